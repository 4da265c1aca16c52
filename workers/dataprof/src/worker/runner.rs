//! What runs a job: the pipeline in production, fakes in tests.

use std::future::Future;
use std::time::Duration;

use dataprof_model::Job;

use crate::{JobRun, Pipeline};

/// Runs one job to a profile. Implementations must not panic on bad input,
/// but the worker survives one that does: each job runs in its own task.
pub trait JobRunner: Send + Sync + 'static {
    fn run(&self, job: &Job) -> impl Future<Output = JobRun> + Send;
}

impl JobRunner for Pipeline {
    async fn run(&self, job: &Job) -> JobRun {
        Pipeline::run(self, job).await
    }
}

/// Waits a fixed time before each job: the `--job-delay` test hook, which
/// makes jobs slow enough to be caught in flight by a kill or a stop.
#[derive(Debug, Clone)]
pub struct DelayedRunner<R> {
    pub inner: R,
    pub delay: Duration,
}

impl<R: JobRunner> JobRunner for DelayedRunner<R> {
    async fn run(&self, job: &Job) -> JobRun {
        tokio::time::sleep(self.delay).await;
        self.inner.run(job).await
    }
}
