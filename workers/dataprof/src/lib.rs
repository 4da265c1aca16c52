//! The dataprof binary's library: the job pipeline shared by the embedded
//! command line and the workers.
//!
//! - [`pipeline`]: one job in, one `data_profile` out (fetch, then profile
//!   each distribution).
//! - [`input`]: what `dataprof profile` accepts (entry file, job, URL, path).
//! - [`worker`]: `dataprof worker`, the RabbitMQ consumer.
//! - [`enqueue`]: `dataprof enqueue`, the job publisher.
//! - [`config`]: every setting, as a flag and a `DATAPROF_*` variable.
//! - [`metrics`] and [`logging`]: what operators see.

pub mod config;
pub mod enqueue;
pub mod input;
pub mod logging;
pub mod metrics;
pub mod pipeline;
pub mod worker;

pub use pipeline::{JobRun, Pipeline};
