//! One delivery, from message bytes to a settled delivery.
//!
//! What happens to a message:
//!
//! | outcome | result published | delivery |
//! | --- | --- | --- |
//! | profiled, partial, unsupported, or a permanent fault | the profile | acked |
//! | transient fault, retries left | none | parked in a retry queue |
//! | transient fault, retries spent | `failed`, saying how many attempts | dead-lettered |
//! | not a job (bad JSON, unknown shape) | `failed`, naming what is wrong | dead-lettered |
//! | the runner panicked | `failed` | dead-lettered |
//! | the result could not be published | none | handed back to the broker |
//!
//! A delivery is settled only after its result is confirmed by the broker.

use std::any::Any;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dataprof_model::{DataProfile, Job, JobError};
use dataprof_queue::{JobDelivery, QueueError, ResultSink, RetryPolicy};
use serde_json::Value;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, info, info_span, warn};

use super::JobRunner;
use crate::JobRun;
use crate::metrics as m;

/// What a job task shares with its session.
pub(crate) struct JobContext<K, R> {
    pub sink: Arc<K>,
    pub runner: Arc<R>,
    pub retry: RetryPolicy,
    pub requeue_pause: Duration,
    /// Cancelled by a job that finds the broker connection broken, so the
    /// session reconnects.
    pub broken: CancellationToken,
}

/// What to do with a job once it has run.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Publish the profile, then ack.
    Done(DataProfile),
    /// Transient faults: run it again after `delay`.
    Retry {
        delay: Duration,
        faults: Vec<String>,
    },
    /// Publish a `failed` profile, then dead-letter with `reason`.
    GiveUp {
        profile: DataProfile,
        reason: String,
    },
}

/// Takes one delivery to its end.
pub(crate) async fn process<D, K, R>(delivery: D, ctx: &JobContext<K, R>)
where
    D: JobDelivery,
    K: ResultSink,
    R: JobRunner,
{
    let started = Instant::now();
    let job = match Job::from_slice(delivery.body()) {
        Ok(job) => job,
        Err(err) => return reject_invalid(delivery, ctx, &err).await,
    };
    let span = info_span!(
        "job",
        entry_id = %job.entry_id,
        run_id = %job.run_id,
        attempt = delivery.attempt()
    );
    async {
        info!(
            redelivered = delivery.redelivered(),
            distributions = job.distributions.len(),
            "job received"
        );
        let outcome = run_isolated(&ctx.runner, job.clone()).await;
        if let Ok(run) = &outcome {
            record_run(run);
        }
        let verdict = decide(&job, outcome, delivery.attempt(), &ctx.retry);
        let settled = settle(delivery, verdict, ctx).await;
        m::job_finished(settled, started.elapsed());
    }
    .instrument(span)
    .await;
}

/// Decides a job's fate from how its run went.
pub(crate) fn decide(
    job: &Job,
    outcome: Result<JobRun, String>,
    attempt: u32,
    retry: &RetryPolicy,
) -> Verdict {
    let run = match outcome {
        Ok(run) => run,
        Err(panic) => {
            let reason = format!("internal error: the job crashed the profiler ({panic})");
            return Verdict::GiveUp {
                profile: DataProfile::failed(Some(job), reason.clone()),
                reason,
            };
        }
    };
    if run.transient_faults.is_empty() {
        return Verdict::Done(run.profile);
    }
    if let Some(delay) = retry.delay_after(attempt) {
        return Verdict::Retry {
            delay,
            faults: run.transient_faults,
        };
    }
    let reason = format!(
        "gave up after {attempt} attempts, the source kept failing: {}",
        run.transient_faults.join("; ")
    );
    let mut profile = DataProfile::failed(Some(job), reason.clone());
    profile.distributions = run.profile.distributions;
    Verdict::GiveUp { profile, reason }
}

/// Runs the job in its own task, so that a panic fails this job only. The
/// task is aborted if this future is dropped (the session gave the job up).
async fn run_isolated<R: JobRunner>(runner: &Arc<R>, job: Job) -> Result<JobRun, String> {
    let runner = Arc::clone(runner);
    let mut task = AbortOnDrop(tokio::spawn(async move { runner.run(&job).await }));
    match (&mut task.0).await {
        Ok(run) => Ok(run),
        Err(join_error) if join_error.is_panic() => Err(panic_message(join_error.into_panic())),
        Err(join_error) => Err(join_error.to_string()),
    }
}

/// A task handle that aborts the task when dropped.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic without a message".to_owned()
    }
}

/// Carries out a verdict; returns the outcome label for the metrics.
async fn settle<D, K, R>(delivery: D, verdict: Verdict, ctx: &JobContext<K, R>) -> &'static str
where
    D: JobDelivery,
    K: ResultSink,
    R: JobRunner,
{
    match verdict {
        Verdict::Done(profile) => {
            let status = profile.status.as_str();
            if publish_result(&profile, ctx).await.is_err() {
                return give_back(delivery, ctx).await;
            }
            match delivery.ack().await {
                Ok(()) => info!(status, "profile published"),
                Err(e) => {
                    warn!(error = %e, "profile published but the job not acked; it will run again")
                }
            }
            status
        }
        Verdict::Retry { delay, faults } => {
            let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            match delivery.retry_later(delay).await {
                Ok(()) => {
                    warn!(delay_ms, faults = ?faults, "transient fault, job retried later");
                    m::job_retried();
                    "retried"
                }
                Err(e) => {
                    warn!(error = %e, "retry not scheduled; the job goes back to the broker");
                    note_broker_fault(&e, ctx);
                    "requeued"
                }
            }
        }
        Verdict::GiveUp { profile, reason } => {
            if publish_result(&profile, ctx).await.is_err() {
                return give_back(delivery, ctx).await;
            }
            match delivery.dead_letter(&reason).await {
                Ok(()) => warn!(reason = %reason, "job failed and dead-lettered"),
                Err(e) => {
                    warn!(error = %e, "failed result published but the job not dead-lettered")
                }
            }
            m::job_dead_lettered(dead_letter_kind(&reason));
            "failed"
        }
    }
}

/// Publishes `profile`; on failure logs it, and flags the session for a
/// reconnect when the connection or the topology is broken.
async fn publish_result<K, R>(profile: &DataProfile, ctx: &JobContext<K, R>) -> Result<(), ()>
where
    K: ResultSink,
{
    match ctx.sink.publish(profile).await {
        Ok(()) => Ok(()),
        Err(e) => {
            warn!(error = %e, "result not published; the job goes back to the broker");
            note_broker_fault(&e, ctx);
            Err(())
        }
    }
}

/// Hands a job whose result was not published back to the broker. On a
/// broken connection there is nothing to do: the broker takes it back when
/// the channel closes.
async fn give_back<D, K, R>(delivery: D, ctx: &JobContext<K, R>) -> &'static str
where
    D: JobDelivery,
{
    if ctx.broken.is_cancelled() {
        return "requeued";
    }
    tokio::time::sleep(ctx.requeue_pause).await;
    if let Err(e) = delivery.requeue().await {
        warn!(error = %e, "job not requeued; the broker redelivers it when the channel closes");
    }
    "requeued"
}

fn note_broker_fault<K, R>(error: &QueueError, ctx: &JobContext<K, R>) {
    if error.needs_reconnect() {
        ctx.broken.cancel();
    }
}

/// A message that is not a job gets a `failed` result naming what is wrong
/// (with the ids it carries, when it has them) and goes to the dead-letter
/// queue: retrying it could never succeed.
async fn reject_invalid<D, K, R>(delivery: D, ctx: &JobContext<K, R>, error: &JobError)
where
    D: JobDelivery,
    K: ResultSink,
    R: JobRunner,
{
    let started = Instant::now();
    let reason = format!("invalid job message: {error}");
    let mut profile = DataProfile::failed(None, reason.clone());
    let ids = recoverable_ids(delivery.body());
    if let Some(entry_id) = ids.entry_id {
        profile.entry_id = entry_id;
    }
    if let Some(run_id) = ids.run_id {
        profile.run_id = run_id;
    }
    let span = info_span!(
        "job",
        entry_id = %profile.entry_id,
        run_id = %profile.run_id,
        attempt = delivery.attempt()
    );
    let settled = settle(delivery, Verdict::GiveUp { profile, reason }, ctx)
        .instrument(span)
        .await;
    m::job_finished(settled, started.elapsed());
}

/// Ids found in a message that is not a valid job.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct RecoveredIds {
    pub entry_id: Option<String>,
    pub run_id: Option<String>,
}

/// Reads `entry_id` (or an entry's `id`) and `run_id` from a JSON object,
/// when the message is one.
pub(crate) fn recoverable_ids(body: &[u8]) -> RecoveredIds {
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
        return RecoveredIds::default();
    };
    let text = |key: &str| match object.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    RecoveredIds {
        entry_id: text("entry_id").or_else(|| text("id")),
        run_id: text("run_id"),
    }
}

fn record_run(run: &JobRun) {
    for distribution in &run.profile.distributions {
        if let Some(bytes) = distribution.byte_size {
            m::bytes_downloaded(bytes);
        }
        m::distribution_profiled(distribution.status, distribution.elapsed_ms);
    }
}

fn dead_letter_kind(reason: &str) -> &'static str {
    let [invalid_message, crashed, retries_exhausted] = m::DEAD_LETTER_REASONS;
    if reason.starts_with("invalid job message") {
        invalid_message
    } else if reason.starts_with("internal error") {
        crashed
    } else {
        retries_exhausted
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use dataprof_model::ProfileStatus;

    fn job() -> Job {
        Job::from_slice(br#"{"run_id":"r1","entry_id":"e1","distributions":[{"download_url":"http://h/x.csv"}]}"#)
            .unwrap()
    }

    fn run(faults: &[&str]) -> JobRun {
        JobRun {
            profile: DataProfile::assemble(&job(), Vec::new()),
            transient_faults: faults.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        }
    }

    #[test]
    fn a_clean_run_is_published() {
        let verdict = decide(&job(), Ok(run(&[])), 1, &policy());
        let Verdict::Done(profile) = verdict else {
            panic!("expected Done, got {verdict:?}");
        };
        assert_eq!(profile.run_id, "r1");
    }

    #[test]
    fn transient_faults_retry_until_the_limit_then_give_up() {
        let verdict = decide(&job(), Ok(run(&["fetch: HTTP 503"])), 2, &policy());
        let Verdict::Retry { delay, faults } = verdict else {
            panic!("expected Retry, got {verdict:?}");
        };
        assert_eq!(delay, Duration::from_millis(200));
        assert_eq!(faults, vec!["fetch: HTTP 503"]);

        let verdict = decide(&job(), Ok(run(&["fetch: HTTP 503"])), 3, &policy());
        let Verdict::GiveUp { profile, reason } = verdict else {
            panic!("expected GiveUp, got {verdict:?}");
        };
        assert_eq!(
            reason,
            "gave up after 3 attempts, the source kept failing: fetch: HTTP 503"
        );
        assert_eq!(profile.status, ProfileStatus::Failed);
        assert_eq!(profile.error_message.as_deref(), Some(reason.as_str()));
        assert_eq!(
            (profile.entry_id.as_str(), profile.run_id.as_str()),
            ("e1", "r1")
        );
    }

    #[test]
    fn a_panic_gives_the_job_up() {
        let verdict = decide(&job(), Err("boom".to_owned()), 1, &policy());
        let Verdict::GiveUp { profile, reason } = verdict else {
            panic!("expected GiveUp, got {verdict:?}");
        };
        assert!(reason.contains("boom"), "{reason}");
        assert_eq!(profile.status, ProfileStatus::Failed);
        assert_eq!(dead_letter_kind(&reason), "crashed");
    }

    #[test]
    fn ids_are_recovered_from_invalid_messages_when_present() {
        assert_eq!(
            recoverable_ids(br#"{"run_id":"r9","entry_id":"e9","distributions":3}"#),
            RecoveredIds {
                entry_id: Some("e9".to_owned()),
                run_id: Some("r9".to_owned())
            }
        );
        assert_eq!(
            recoverable_ids(br#"{"id":42}"#).entry_id.as_deref(),
            Some("42")
        );
        assert_eq!(recoverable_ids(b"not json"), RecoveredIds::default());
        assert_eq!(recoverable_ids(b"[1,2]"), RecoveredIds::default());
    }
}
