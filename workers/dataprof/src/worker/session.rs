//! The consumer loop over one broker connection.
//!
//! A job is taken only when a concurrency slot is free, and each runs in
//! its own task. The loop ends when the worker is told to stop (it then
//! stops consuming and drains in-flight jobs until a deadline) or when the
//! connection breaks (in-flight jobs are abandoned: their deliveries died
//! with the channel and the broker will redeliver them).

use std::sync::Arc;

use dataprof_queue::{JobSource, ResultSink};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use super::job::{JobContext, process};
use super::{ConsumerSettings, JobRunner};
use crate::metrics as m;

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEnd {
    /// Told to stop; in-flight jobs were drained or left to the broker.
    Stopped,
    /// The broker connection broke; the caller should reconnect.
    Lost(String),
}

/// Consumes `source` until `shutdown` is cancelled or the source breaks.
pub async fn run_session<S, K, R>(
    mut source: S,
    sink: Arc<K>,
    runner: Arc<R>,
    settings: &ConsumerSettings,
    shutdown: &CancellationToken,
) -> SessionEnd
where
    S: JobSource,
    K: ResultSink,
    R: JobRunner,
{
    let ctx = Arc::new(JobContext {
        sink,
        runner,
        retry: settings.retry,
        requeue_pause: settings.requeue_pause,
        broken: CancellationToken::new(),
    });
    let abandon = CancellationToken::new();
    let tracker = TaskTracker::new();
    let slots = Arc::new(Semaphore::new(settings.concurrency.max(1)));

    let end = loop {
        let slot = tokio::select! {
            biased;
            () = shutdown.cancelled() => break SessionEnd::Stopped,
            () = ctx.broken.cancelled() => break lost("a job found the connection broken"),
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break lost("concurrency slots closed"),
            },
        };
        let next = tokio::select! {
            biased;
            () = shutdown.cancelled() => break SessionEnd::Stopped,
            () = ctx.broken.cancelled() => break lost("a job found the connection broken"),
            next = source.next() => next,
        };
        let delivery = match next {
            Some(Ok(delivery)) => delivery,
            Some(Err(e)) => break lost(&e.to_string()),
            None => break lost("the broker ended the consumer"),
        };
        let ctx = Arc::clone(&ctx);
        let abandon = abandon.clone();
        tracker.spawn(async move {
            let _in_flight = m::InFlight::start();
            let taken = std::time::Instant::now();
            tokio::select! {
                () = process(delivery, &ctx) => {}
                () = abandon.cancelled() => m::job_finished("abandoned", taken.elapsed()),
            }
            drop(slot);
        });
    };

    tracker.close();
    match &end {
        SessionEnd::Stopped => {
            info!(
                in_flight = tracker.len(),
                "stopping: no new jobs, draining in-flight ones"
            );
            if let Err(e) = source.stop().await {
                warn!(error = %e, "consumer not cancelled; closing the channel will stop it");
            }
            let drained = tokio::time::timeout(settings.drain_timeout, tracker.wait()).await;
            if drained.is_err() {
                warn!(
                    unfinished = tracker.len(),
                    "drain deadline passed; unfinished jobs are left to the broker"
                );
                abandon.cancel();
                tracker.wait().await;
            }
        }
        SessionEnd::Lost(reason) => {
            warn!(reason = %reason, in_flight = tracker.len(), "broker connection lost; in-flight jobs will be redelivered");
            abandon.cancel();
            tracker.wait().await;
        }
    }
    // The source (and its channel) lives until every job has settled.
    drop(source);
    end
}

fn lost(reason: &str) -> SessionEnd {
    SessionEnd::Lost(reason.to_owned())
}
