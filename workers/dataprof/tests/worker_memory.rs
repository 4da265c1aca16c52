//! The worker loop against the in-memory broker: acks, retries, dead
//! letters, panics, drain and connection loss, without RabbitMQ.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::runners::FakeRunner;
use common::{WAIT, job_body};
use dataprof::worker::{ConsumerSettings, SessionEnd, run_session};
use dataprof_model::{Job, ProfileStatus};
use dataprof_queue::RetryPolicy;
use dataprof_queue::memory::{MemoryBroker, ScheduledRetry, Snapshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

fn settings() -> ConsumerSettings {
    ConsumerSettings {
        concurrency: 2,
        retry: RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_secs(1),
        },
        drain_timeout: Duration::from_secs(5),
        requeue_pause: Duration::from_millis(10),
    }
}

/// A running session over `broker`, stopped by the returned token.
fn start(
    broker: &MemoryBroker,
    runner: &Arc<FakeRunner>,
    settings: ConsumerSettings,
) -> (CancellationToken, JoinHandle<SessionEnd>) {
    let shutdown = CancellationToken::new();
    let source = broker.source();
    let sink = Arc::new(broker.sink());
    let runner = Arc::clone(runner);
    let stop = shutdown.clone();
    let session =
        tokio::spawn(async move { run_session(source, sink, runner, &settings, &stop).await });
    (shutdown, session)
}

async fn stop(shutdown: CancellationToken, session: JoinHandle<SessionEnd>) -> SessionEnd {
    shutdown.cancel();
    tokio::time::timeout(WAIT, session).await.unwrap().unwrap()
}

fn run_ids(snapshot: &Snapshot) -> Vec<String> {
    let mut ids: Vec<String> = snapshot.results.iter().map(|p| p.run_id.clone()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn jobs_are_acked_once_their_results_are_published() {
    let broker = MemoryBroker::new();
    for n in 1..=3 {
        broker.push_job(job_body(&format!("e{n}"), Some(&format!("r{n}"))));
    }
    let runner = Arc::new(FakeRunner::default());
    let (shutdown, session) = start(&broker, &runner, settings());
    let done = broker.wait_until(WAIT, |s| s.acked == 3).await;
    assert_eq!(run_ids(&done), vec!["r1", "r2", "r3"]);
    assert!(
        done.results
            .iter()
            .all(|p| p.status == ProfileStatus::Profiled)
    );
    assert_eq!((done.ready, done.unsettled), (0, 0));
    assert!(done.dead_letters.is_empty() && done.retries.is_empty());
    assert_eq!(stop(shutdown, session).await, SessionEnd::Stopped);
}

#[tokio::test]
async fn a_job_whose_result_is_refused_is_not_acked_and_keeps_its_run_id() {
    let broker = MemoryBroker::new();
    // No run_id: it is derived from the bytes, so the redelivery must
    // publish the same one.
    let body = job_body("e1", None);
    let expected_run_id = Job::from_slice(&body).unwrap().run_id;
    broker.push_job(body);
    broker.fail_next_publishes(1);
    let runner = Arc::new(FakeRunner::default());
    let (shutdown, session) = start(&broker, &runner, settings());
    let done = broker.wait_until(WAIT, |s| s.acked == 1).await;
    assert_eq!(done.requeued, 1, "the refused result sent the job back");
    assert_eq!(done.results.len(), 1);
    assert_eq!(done.results[0].run_id, expected_run_id);
    assert_eq!(runner.calls(), 2);
    let seen = runner.seen_run_ids.lock().unwrap().clone();
    assert_eq!(seen, vec![expected_run_id.clone(), expected_run_id]);
    stop(shutdown, session).await;
}

#[tokio::test]
async fn transient_faults_are_retried_with_back_off_then_dead_lettered() {
    let broker = MemoryBroker::new();
    broker.push_job(job_body("e1", Some("r1")));
    let runner = Arc::new(FakeRunner::failing(usize::MAX));
    let (shutdown, session) = start(&broker, &runner, settings());
    let done = broker
        .wait_until(WAIT, |s| !s.dead_letters.is_empty())
        .await;
    assert_eq!(
        done.retries,
        vec![
            ScheduledRetry {
                attempt: 1,
                delay: Duration::from_millis(20)
            },
            ScheduledRetry {
                attempt: 2,
                delay: Duration::from_millis(40)
            },
        ]
    );
    assert_eq!(runner.calls(), 3, "first attempt plus two retries");
    assert_eq!(done.dead_letters.len(), 1);
    assert_eq!(done.dead_letters[0].attempt, 3);
    assert_eq!(
        done.results.len(),
        1,
        "one result, for the last attempt only"
    );
    let failed = &done.results[0];
    assert_eq!(failed.status, ProfileStatus::Failed);
    assert_eq!(failed.run_id, "r1");
    assert_eq!(
        failed.error_message.as_deref(),
        Some(
            "gave up after 3 attempts, the source kept failing: fetch: HTTP 503 Service Unavailable"
        )
    );
    assert_eq!(
        done.dead_letters[0].reason,
        failed.error_message.clone().unwrap()
    );
    assert_eq!(done.acked, 0);
    stop(shutdown, session).await;
}

#[tokio::test]
async fn a_job_that_recovers_is_published_once() {
    let broker = MemoryBroker::new();
    broker.push_job(job_body("e1", Some("r1")));
    let runner = Arc::new(FakeRunner::failing(1));
    let (shutdown, session) = start(&broker, &runner, settings());
    let done = broker.wait_until(WAIT, |s| s.acked == 1).await;
    assert_eq!(done.retries.len(), 1);
    assert_eq!(done.results.len(), 1);
    assert_eq!(done.results[0].status, ProfileStatus::Profiled);
    assert!(done.dead_letters.is_empty());
    stop(shutdown, session).await;
}

#[tokio::test]
async fn invalid_messages_get_a_failed_result_and_are_dead_lettered() {
    let broker = MemoryBroker::new();
    broker.push_job(b"this is not json".to_vec());
    broker.push_job(br#"{"hello":"world"}"#.to_vec());
    broker.push_job(br#"{"run_id":"r5","entry_id":"e5","distributions":"x.csv"}"#.to_vec());
    let runner = Arc::new(FakeRunner::default());
    let (shutdown, session) = start(&broker, &runner, settings());
    let done = broker.wait_until(WAIT, |s| s.dead_letters.len() == 3).await;
    assert_eq!(runner.calls(), 0, "nothing was run");
    assert_eq!(done.results.len(), 3);
    assert!(
        done.results
            .iter()
            .all(|p| p.status == ProfileStatus::Failed)
    );
    let messages: Vec<&str> = done
        .results
        .iter()
        .filter_map(|p| p.error_message.as_deref())
        .collect();
    assert!(messages[0].starts_with("invalid job message: message is not valid JSON"));
    assert!(messages[1].starts_with("invalid job message: message is neither a job"));
    assert_eq!(
        messages[2],
        "invalid job message: invalid `distributions`: expected an array, found a string"
    );
    let with_ids = &done.results[2];
    assert_eq!(
        (with_ids.entry_id.as_str(), with_ids.run_id.as_str()),
        ("e5", "r5")
    );
    assert_eq!(done.dead_letters[0].body, b"this is not json");
    assert_eq!(
        (done.acked, done.ready, done.requeued),
        (0, 0, 0),
        "never requeued"
    );
    stop(shutdown, session).await;
}

#[tokio::test]
async fn a_panicking_job_fails_alone_and_the_worker_goes_on() {
    let broker = MemoryBroker::new();
    broker.push_job(job_body("boom", Some("r-boom")));
    broker.push_job(job_body("fine", Some("r-fine")));
    let runner = Arc::new(FakeRunner::default());
    let (shutdown, session) = start(&broker, &runner, settings());
    let done = broker.wait_until(WAIT, |s| s.results.len() == 2).await;
    let boom = done.results.iter().find(|p| p.run_id == "r-boom").unwrap();
    assert_eq!(boom.status, ProfileStatus::Failed);
    let message = boom.error_message.as_deref().unwrap();
    assert!(
        message.starts_with("internal error: the job crashed"),
        "{message}"
    );
    assert!(message.contains("panics on entry `boom`"), "{message}");
    let fine = done.results.iter().find(|p| p.run_id == "r-fine").unwrap();
    assert_eq!(fine.status, ProfileStatus::Profiled);
    assert_eq!(done.dead_letters.len(), 1);
    assert_eq!(done.acked, 1);

    broker.push_job(job_body("after", Some("r-after")));
    let later = broker.wait_until(WAIT, |s| s.acked == 2).await;
    assert!(later.results.iter().any(|p| p.run_id == "r-after"));
    assert_eq!(stop(shutdown, session).await, SessionEnd::Stopped);
}

#[tokio::test]
async fn no_more_jobs_run_at_once_than_the_concurrency() {
    let broker = MemoryBroker::new();
    for n in 0..8 {
        broker.push_job(job_body(&format!("e{n}"), None));
    }
    let runner = Arc::new(FakeRunner::slow(Duration::from_millis(40)));
    let (shutdown, session) = start(
        &broker,
        &runner,
        ConsumerSettings {
            concurrency: 3,
            ..settings()
        },
    );
    let done = broker.wait_until(WAIT, |s| s.acked == 8).await;
    assert_eq!(done.results.len(), 8);
    assert_eq!(runner.most_at_once.load(Ordering::SeqCst), 3);
    stop(shutdown, session).await;
}

#[tokio::test]
async fn stopping_drains_in_flight_jobs_and_takes_no_new_ones() {
    let broker = MemoryBroker::new();
    for n in 0..3 {
        broker.push_job(job_body(&format!("e{n}"), None));
    }
    let runner = Arc::new(FakeRunner::slow(Duration::from_millis(300)));
    let (shutdown, session) = start(&broker, &runner, settings());
    broker.wait_until(WAIT, |s| s.unsettled == 2).await;
    let asked = Instant::now();
    assert_eq!(stop(shutdown, session).await, SessionEnd::Stopped);
    assert!(asked.elapsed() < Duration::from_secs(2));
    let after = broker.snapshot();
    assert_eq!(after.acked, 2, "both in-flight jobs finished");
    assert_eq!(after.results.len(), 2);
    assert_eq!(after.ready, 1, "the third job was never taken");
    assert_eq!(runner.calls(), 2);
}

#[tokio::test]
async fn past_the_drain_deadline_unfinished_jobs_go_back_to_the_broker() {
    let broker = MemoryBroker::new();
    broker.push_job(job_body("slow", Some("r-slow")));
    let runner = Arc::new(FakeRunner::slow(Duration::from_secs(30)));
    let (shutdown, session) = start(
        &broker,
        &runner,
        ConsumerSettings {
            drain_timeout: Duration::from_millis(200),
            ..settings()
        },
    );
    broker.wait_until(WAIT, |s| s.unsettled == 1).await;
    let asked = Instant::now();
    assert_eq!(stop(shutdown, session).await, SessionEnd::Stopped);
    let waited = asked.elapsed();
    assert!(waited >= Duration::from_millis(200), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    let after = broker.snapshot();
    assert_eq!((after.acked, after.returned, after.ready), (0, 1, 1));
    assert!(after.results.is_empty());
}

#[tokio::test]
async fn a_lost_connection_ends_the_session_and_returns_held_jobs() {
    let broker = MemoryBroker::new();
    broker.push_job(job_body("slow", Some("r-slow")));
    let runner = Arc::new(FakeRunner::slow(Duration::from_secs(30)));
    let (_shutdown, session) = start(&broker, &runner, settings());
    broker.wait_until(WAIT, |s| s.unsettled == 1).await;
    broker.close();
    let end = tokio::time::timeout(WAIT, session).await.unwrap().unwrap();
    assert_eq!(
        end,
        SessionEnd::Lost("the broker ended the consumer".to_owned())
    );
    let after = broker.snapshot();
    assert_eq!((after.acked, after.returned, after.unsettled), (0, 1, 0));
}
