//! The dataprof binary's library: the job pipeline shared by the embedded
//! command line and the workers.
//!
//! - [`pipeline`]: one job in, one `data_profile` out (fetch, then profile
//!   each distribution).
//! - [`input`]: what `dataprof profile` accepts (entry file, job, URL, path).

pub mod input;
pub mod pipeline;

pub use pipeline::{JobRun, Pipeline};
