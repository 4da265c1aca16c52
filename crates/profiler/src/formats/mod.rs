//! One reader per format and container. Each takes a file on disk and
//! returns a [`dataprof_model::SourceProfile`] or a terminal
//! [`crate::ProfileError`].

pub mod archive;
pub mod csv;
pub mod json;
pub mod shapefile;
