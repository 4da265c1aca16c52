//! `dataprof worker`: consume jobs, run them, publish their profiles.
//!
//! - [`runner`]: what runs a job ([`JobRunner`], implemented by the
//!   [`Pipeline`](crate::Pipeline)).
//! - [`job`]: one delivery, from message bytes to a settled delivery.
//! - [`session`]: the consumer loop over one connection, with bounded
//!   concurrency and a drain on shutdown. Broker-agnostic, so it is tested
//!   against the in-memory broker.
//! - [`supervisor`]: the RabbitMQ side: connect, declare, consume,
//!   reconnect with back-off, stop on SIGTERM/SIGINT.

mod job;
pub mod runner;
pub mod session;
pub mod supervisor;

use std::time::Duration;

use dataprof_queue::RetryPolicy;

pub use runner::{DelayedRunner, JobRunner};
pub use session::{SessionEnd, run_session};
pub use supervisor::{Health, WorkerSettings, run_worker};

/// How one consumer session treats its jobs.
#[derive(Debug, Clone)]
pub struct ConsumerSettings {
    /// Jobs run at once (and the broker's prefetch).
    pub concurrency: usize,
    pub retry: RetryPolicy,
    /// How long in-flight jobs may take to finish once the worker is told
    /// to stop; past it they are left to the broker, unacknowledged.
    pub drain_timeout: Duration,
    /// Wait before handing back a job whose result could not be published,
    /// so a broker that refuses results is not hammered.
    pub requeue_pause: Duration,
}

impl Default for ConsumerSettings {
    fn default() -> Self {
        ConsumerSettings {
            concurrency: 4,
            retry: RetryPolicy::default(),
            drain_timeout: Duration::from_secs(30),
            requeue_pause: Duration::from_secs(1),
        }
    }
}
