//! The contracts between dataprof and the systems around it.
//!
//! Two messages cross the broker: a [`Job`] (ingestion service to workers)
//! and a [`DataProfile`] (workers to the catalog). The catalog stores the
//! profile verbatim, so the names and meanings of its keys are fixed by
//! `DESIGN.md`; this crate is the one place that spells them out.
//!
//! Layout:
//! - [`job`]: the job message, in both accepted forms (job or catalog entry).
//! - [`profile`]: the `data_profile` result and its per-distribution detail.
//! - [`field`]: the profile of one field (type, format, statistics).

pub mod assemble;
pub mod field;
pub mod job;
pub mod profile;

pub use field::{FieldProfile, FieldType, TopValue};
pub use job::{Distribution, Job, JobError};
pub use profile::{
    ContainerInfo, DataProfile, Dialect, DistributionProfile, DistributionStatus, GeometryProfile,
    LayerSummary, ProfileStatus, SourceProfile,
};

/// A record as published in `sample_records`: field name to typed value,
/// in field order.
pub type Record = serde_json::Map<String, serde_json::Value>;
