//! Fake job runners: instant, flaky, panicking, slow.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dataprof::JobRun;
use dataprof::worker::JobRunner;
use dataprof_model::{DataProfile, Job, ProfileStatus};

/// A `profiled` result for `job`, as a successful pipeline would give.
pub fn profiled(job: &Job) -> JobRun {
    let mut profile = DataProfile::assemble(job, Vec::new());
    profile.status = ProfileStatus::Profiled;
    JobRun {
        profile,
        transient_faults: Vec::new(),
    }
}

/// Fails transiently on its first `failures` calls, then succeeds. It
/// panics on jobs whose entry_id is `boom`, and can be made slow.
#[derive(Debug, Default)]
pub struct FakeRunner {
    pub failures: usize,
    pub delay: Duration,
    pub calls: AtomicUsize,
    running: AtomicUsize,
    pub most_at_once: AtomicUsize,
    pub seen_run_ids: Mutex<Vec<String>>,
}

impl FakeRunner {
    pub fn failing(failures: usize) -> Self {
        FakeRunner {
            failures,
            ..FakeRunner::default()
        }
    }

    pub fn slow(delay: Duration) -> Self {
        FakeRunner {
            delay,
            ..FakeRunner::default()
        }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl JobRunner for FakeRunner {
    async fn run(&self, job: &Job) -> JobRun {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut seen) = self.seen_run_ids.lock() {
            seen.push(job.run_id.clone());
        }
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        assert_ne!(
            job.entry_id, "boom",
            "the fake runner panics on entry `boom`"
        );
        let mut run = profiled(job);
        if call < self.failures {
            run.profile.status = ProfileStatus::Unsupported;
            run.transient_faults = vec!["fetch: HTTP 503 Service Unavailable".to_owned()];
        }
        run
    }
}
