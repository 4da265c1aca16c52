//! Workers and `enqueue` against the real broker (127.0.0.1:5672, or
//! `DATAPROF_TEST_AMQP_URL`). Each test has its own queue prefix and
//! deletes its queues and exchanges at the end.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::WAIT;
use common::broker::{FileServer, TestBroker, WorkerProcess, enqueue, job_for, unique_prefix};
use common::runners::FakeRunner;
use dataprof::worker::{ConsumerSettings, Health, WorkerSettings, run_worker};
use dataprof_model::ProfileStatus;
use dataprof_queue::RetryPolicy;
use dataprof_queue::amqp::lapin::types::AMQPValue;
use dataprof_queue::topology::{ATTEMPT_HEADER, DEAD_REASON_HEADER};
use tokio_util::sync::CancellationToken;

/// How long a test waits for a message it expects not to come.
const QUIET: Duration = Duration::from_millis(700);

fn header<'a>(received: &'a common::broker::Received, key: &str) -> Option<&'a AMQPValue> {
    received.properties.headers().as_ref()?.inner().get(key)
}

#[tokio::test]
async fn an_enqueued_job_yields_exactly_one_result() {
    let prefix = unique_prefix("one");
    let broker = TestBroker::connect(&prefix).await;
    let files = FileServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let job_file = dir.path().join("job.json");
    let url = files.url("/data.csv");
    std::fs::write(&job_file, job_for("entry-1", "run-1", &url)).unwrap();

    let out = enqueue(&prefix, &[job_file.to_str().unwrap()], b"");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.trim(),
        format!("enqueued 1 job(s) to {prefix}.jobs, 0 invalid")
    );

    let metrics_port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let metrics_addr = format!("127.0.0.1:{metrics_port}");
    let worker = WorkerProcess::start(
        &prefix,
        &dir.path().join("worker.log"),
        &["--metrics-addr", &metrics_addr],
        &[("DATAPROF_ALLOW_NETWORKS", "127.0.0.0/8,::1")],
    );
    let mut results = broker.results(1, WAIT).await;
    results.extend(broker.results(1, QUIET).await);
    assert_eq!(
        results.len(),
        1,
        "exactly one result:\n{}",
        worker.log_text()
    );
    let profile = results[0].profile();
    assert_eq!(profile.run_id, "run-1");
    assert_eq!(profile.entry_id, "entry-1");
    assert_eq!(
        results[0].routing_key,
        format!("profile.{}", profile.status.as_str())
    );
    assert_eq!(profile.distributions.len(), 1);
    assert_eq!(profile.distributions[0].url.as_deref(), Some(url.as_str()));
    assert_eq!(
        profile.distributions[0].distribution_id.as_deref(),
        Some("entry-1-d1")
    );
    assert_eq!(broker.queue_state(&broker.topology.jobs_queue()).await.0, 0);

    let addr = metrics_addr.parse().unwrap();
    let (status, body) = common::http_get(addr, "/healthz").await;
    assert_eq!((status, body.as_str()), (200, "connected to the broker\n"));
    let (_, metrics) = common::http_get(addr, "/metrics").await;
    let outcome = format!(
        "dataprof_jobs_total{{outcome=\"{}\"}} 1",
        profile.status.as_str()
    );
    assert!(metrics.contains(&outcome), "{metrics}");

    drop(worker);
    broker.cleanup(&[]).await;
}

#[tokio::test]
async fn enqueue_reports_invalid_messages_and_sends_the_valid_ones() {
    let prefix = unique_prefix("enq");
    let broker = TestBroker::connect(&prefix).await;
    let ndjson = concat!(
        r#"{"entry_id":"a","distributions":[]}"#,
        "\n",
        r#"{"no":"shape"}"#,
        "\n",
        r#"{"run_id":"r-b","entry_id":"b","distributions":[]}"#,
        "\n"
    );
    let out = enqueue(&prefix, &["-"], ndjson.as_bytes());
    assert_eq!(
        out.status.code(),
        Some(1),
        "an invalid message makes enqueue exit 1"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("stdin:2: not enqueued: message is neither a job"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.trim(),
        format!("enqueued 2 job(s) to {prefix}.jobs, 1 invalid")
    );

    let jobs = broker
        .take(&broker.topology.jobs_queue(), 3, Duration::from_secs(2))
        .await;
    assert_eq!(jobs.len(), 2);
    let job: dataprof_model::Job = serde_json::from_slice(&jobs[1].body).unwrap();
    assert_eq!((job.entry_id.as_str(), job.run_id.as_str()), ("b", "r-b"));
    let first: dataprof_model::Job = serde_json::from_slice(&jobs[0].body).unwrap();
    assert!(
        uuid::Uuid::parse_str(&first.run_id).is_ok(),
        "a run_id was added"
    );
    assert_eq!(
        jobs[0].properties.message_id().as_ref().map(|s| s.as_str()),
        Some(first.run_id.as_str())
    );
    assert_eq!(*jobs[0].properties.delivery_mode(), Some(2));
    broker.cleanup(&[]).await;
}

#[tokio::test]
async fn two_hundred_jobs_across_two_workers_yield_two_hundred_results() {
    let prefix = unique_prefix("200");
    let broker = TestBroker::connect(&prefix).await;
    let files = FileServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let envs = [("DATAPROF_ALLOW_NETWORKS", "127.0.0.0/8")];
    let a = WorkerProcess::start(
        &prefix,
        &dir.path().join("a.log"),
        &["--concurrency", "8"],
        &envs,
    );
    let b = WorkerProcess::start(
        &prefix,
        &dir.path().join("b.log"),
        &["--concurrency", "8", "--log-format", "json"],
        &envs,
    );
    broker
        .wait_for_consumers(&broker.topology.jobs_queue(), 2, WAIT)
        .await;

    let url = files.url("/data.csv");
    let ndjson: String = (0..200)
        .map(|n| job_for(&format!("entry-{n}"), &format!("run-{n}"), &url) + "\n")
        .collect();
    let out = enqueue(&prefix, &["-"], ndjson.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let results = broker.results(200, Duration::from_secs(60)).await;
    assert_eq!(results.len(), 200);
    assert!(broker.results(1, QUIET).await.is_empty(), "no duplicate");
    let run_ids: BTreeSet<String> = results.iter().map(|r| r.profile().run_id).collect();
    let expected: BTreeSet<String> = (0..200).map(|n| format!("run-{n}")).collect();
    assert_eq!(run_ids, expected, "each run_id exactly once");
    broker
        .wait_until_empty(&broker.topology.jobs_queue(), WAIT)
        .await;

    let by_a = a.log_text().matches("profile published").count();
    let json_lines: Vec<serde_json::Value> = b
        .log_text()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .filter(|event: &serde_json::Value| event["fields"]["message"] == "profile published")
        .collect();
    assert_eq!(by_a + json_lines.len(), 200, "every job published once");
    assert!(
        by_a > 0 && !json_lines.is_empty(),
        "both workers took jobs: {by_a} and {}",
        json_lines.len()
    );
    let span = &json_lines[0]["span"];
    assert_eq!(span["name"], "job");
    assert!(
        span["run_id"].as_str().unwrap().starts_with("run-"),
        "{span}"
    );
    assert!(
        span["entry_id"].as_str().unwrap().starts_with("entry-"),
        "{span}"
    );

    drop((a, b));
    broker.cleanup(&[]).await;
}

#[tokio::test]
async fn jobs_held_by_a_killed_worker_are_completed_by_another() {
    let prefix = unique_prefix("kill");
    let broker = TestBroker::connect(&prefix).await;
    let dir = tempfile::tempdir().unwrap();
    let jobs_queue = broker.topology.jobs_queue();
    let mut doomed = WorkerProcess::start(
        &prefix,
        &dir.path().join("doomed.log"),
        &["--concurrency", "4"],
        &[("DATAPROF_JOB_DELAY", "1h")],
    );
    broker.wait_for_consumers(&jobs_queue, 1, WAIT).await;
    let ndjson: String = (0..4)
        .map(|n| {
            job_for(
                &format!("entry-{n}"),
                &format!("run-{n}"),
                "http://192.0.2.1/x.csv",
            ) + "\n"
        })
        .collect();
    assert!(enqueue(&prefix, &["-"], ndjson.as_bytes()).status.success());
    // All four are delivered to the doomed worker (prefetch 4) and held.
    broker.wait_until_empty(&jobs_queue, WAIT).await;
    doomed.wait_for_log("job received", WAIT).await;

    let survivor = WorkerProcess::start(&prefix, &dir.path().join("survivor.log"), &[], &[]);
    broker.wait_for_consumers(&jobs_queue, 2, WAIT).await;
    assert!(
        broker.results(1, QUIET).await.is_empty(),
        "nothing finished yet"
    );
    doomed.kill();

    let mut results = broker.results(4, WAIT).await;
    results.extend(broker.results(1, QUIET).await);
    let run_ids: BTreeSet<String> = results.iter().map(|r| r.profile().run_id).collect();
    assert_eq!(results.len(), 4, "{}", survivor.log_text());
    assert_eq!(run_ids, (0..4).map(|n| format!("run-{n}")).collect());
    broker.wait_until_empty(&jobs_queue, WAIT).await;
    assert!(
        survivor.log_text().contains("redelivered=true"),
        "{}",
        survivor.log_text()
    );
    drop(survivor);
    broker.cleanup(&[]).await;
}

#[tokio::test]
async fn a_poison_message_is_dead_lettered_with_a_failed_result() {
    let prefix = unique_prefix("poison");
    let broker = TestBroker::connect(&prefix).await;
    let dir = tempfile::tempdir().unwrap();
    let worker = WorkerProcess::start(&prefix, &dir.path().join("w.log"), &[], &[]);
    broker.publish_raw(b"<html>not a job</html>").await;
    broker
        .publish_raw(br#"{"run_id":"r-p","entry_id":"e-p","distributions":{"a":1}}"#)
        .await;

    let mut results = broker.results(2, WAIT).await;
    assert_eq!(results.len(), 2, "{}", worker.log_text());
    assert!(results.iter().all(|r| r.routing_key == "profile.failed"));
    // The two run concurrently: put the one without ids first.
    results.sort_by_key(|r| r.profile().run_id);
    let first = results[0].profile();
    assert_eq!(first.status, ProfileStatus::Failed);
    assert_eq!(first.run_id, "", "HTML carries no run_id to recover");
    assert!(
        first
            .error_message
            .as_deref()
            .unwrap()
            .starts_with("invalid job message: message is not valid JSON"),
        "{first:?}"
    );
    let second = results[1].profile();
    assert_eq!(
        (second.entry_id.as_str(), second.run_id.as_str()),
        ("e-p", "r-p")
    );

    let dead = broker
        .take(&broker.topology.dead_queue(), 2, Duration::from_secs(5))
        .await;
    assert_eq!(dead.len(), 2);
    let html = dead
        .iter()
        .find(|d| d.body == b"<html>not a job</html>")
        .unwrap();
    let reason = header(html, DEAD_REASON_HEADER).unwrap();
    let AMQPValue::LongString(reason) = reason else {
        panic!("reason is {reason:?}");
    };
    assert!(
        reason.to_string().starts_with("invalid job message"),
        "{reason}"
    );
    assert!(
        broker.results(1, QUIET).await.is_empty(),
        "never requeued in a loop"
    );
    assert_eq!(broker.queue_state(&broker.topology.jobs_queue()).await.0, 0);
    drop(worker);
    broker.cleanup(&[]).await;
}

#[tokio::test]
async fn a_result_with_nowhere_to_go_makes_the_worker_redeclare_and_retry() {
    let prefix = unique_prefix("unbound");
    let broker = TestBroker::connect(&prefix).await;
    let dir = tempfile::tempdir().unwrap();
    let worker = WorkerProcess::start(&prefix, &dir.path().join("w.log"), &[], &[]);
    broker
        .wait_for_consumers(&broker.topology.jobs_queue(), 1, WAIT)
        .await;
    // Someone removes the results binding: a result would be lost.
    broker
        .channel()
        .queue_unbind(
            broker.topology.results_queue().into(),
            broker.topology.results_exchange().into(),
            broker.topology.results_binding().into(),
            Default::default(),
        )
        .await
        .unwrap();
    broker
        .publish_raw(job_for("e-n", "r-n", "http://192.0.2.1/x.csv").as_bytes())
        .await;

    let results = broker.results(1, WAIT).await;
    assert_eq!(results.len(), 1, "{}", worker.log_text());
    assert_eq!(results[0].profile().run_id, "r-n");
    let log = worker.log_text();
    assert!(log.contains("result not published"), "{log}");
    assert_eq!(
        log.matches("connected to the broker, consuming jobs")
            .count(),
        2,
        "{log}"
    );
    drop(worker);
    broker.cleanup(&[]).await;
}

/// A worker whose log reader went away (closed stderr) keeps working and
/// still stops on SIGTERM.
#[tokio::test]
async fn a_closed_stderr_breaks_neither_jobs_nor_shutdown() {
    let prefix = unique_prefix("stderr");
    let broker = TestBroker::connect(&prefix).await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dataprof"))
        .args([
            "worker",
            "--queue-prefix",
            &prefix,
            "--metrics-addr",
            "none",
        ])
        .env("DATAPROF_AMQP_URL", common::broker::amqp_url())
        .env("DATAPROF_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let mut worker = WorkerProcess::adopt(child);
    broker
        .wait_for_consumers(&broker.topology.jobs_queue(), 1, WAIT)
        .await;
    broker
        .publish_raw(job_for("e-s", "r-s", "http://192.0.2.1/x.csv").as_bytes())
        .await;
    let results = broker.results(1, WAIT).await;
    assert_eq!(results.len(), 1);
    let profile = results[0].profile();
    assert_ne!(profile.status, ProfileStatus::Failed, "{profile:?}");
    assert_eq!(broker.queue_state(&broker.topology.dead_queue()).await.0, 0);

    worker.terminate();
    let status = worker
        .wait_exit(Duration::from_secs(10))
        .expect("the worker stops on SIGTERM");
    assert!(status.success(), "{status:?}");
    broker.cleanup(&[]).await;
}

/// The retry mechanism on the real broker, with a runner that always hits
/// a transient fault: attempts 1 to 3 go through the retry queues, then a
/// `failed` result and a dead letter.
#[tokio::test]
async fn transient_faults_go_through_retry_queues_then_the_dead_letter_queue() {
    let prefix = unique_prefix("retry");
    let broker = TestBroker::connect(&prefix).await;
    let retry = RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(1),
    };
    let settings = WorkerSettings {
        amqp_url: common::broker::amqp_url(),
        topology: broker.topology.clone(),
        consumer: ConsumerSettings {
            concurrency: 2,
            retry,
            ..ConsumerSettings::default()
        },
        reconnect_max_delay: Duration::from_secs(1),
    };
    let runner = Arc::new(FakeRunner::failing(usize::MAX));
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(run_worker(
        settings,
        Arc::clone(&runner),
        Health::default(),
        shutdown.clone(),
    ));
    let started = Instant::now();
    broker
        .publish_raw(job_for("e-r", "r-r", "http://192.0.2.1/x.csv").as_bytes())
        .await;

    let results = broker.results(1, WAIT).await;
    assert_eq!(results.len(), 1);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "waited 100 ms then 200 ms"
    );
    let failed = results[0].profile();
    assert_eq!(failed.status, ProfileStatus::Failed);
    assert_eq!(failed.run_id, "r-r");
    assert_eq!(
        failed.error_message.as_deref(),
        Some(
            "gave up after 3 attempts, the source kept failing: fetch: HTTP 503 Service Unavailable"
        )
    );
    assert_eq!(runner.calls(), 3);
    let dead = broker.take(&broker.topology.dead_queue(), 1, WAIT).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(
        header(&dead[0], ATTEMPT_HEADER),
        Some(&AMQPValue::LongLongInt(3))
    );
    assert!(broker.results(1, QUIET).await.is_empty());

    shutdown.cancel();
    tokio::time::timeout(WAIT, worker)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    broker.cleanup(&retry.delays()).await;
}

/// The same with the real pipeline: a source that keeps answering 503.
#[tokio::test]
async fn a_download_that_keeps_failing_with_503_is_retried_then_dead_lettered() {
    let prefix = unique_prefix("503");
    let broker = TestBroker::connect(&prefix).await;
    let files = FileServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let worker = WorkerProcess::start(
        &prefix,
        &dir.path().join("w.log"),
        &["--max-retries", "2", "--retry-base-delay", "100ms"],
        &[("DATAPROF_ALLOW_NETWORKS", "127.0.0.0/8")],
    );
    let url = files.url("/unavailable.csv");
    broker
        .publish_raw(job_for("e-503", "r-503", &url).as_bytes())
        .await;

    let results = broker.results(1, WAIT).await;
    assert_eq!(results.len(), 1, "{}", worker.log_text());
    let failed = results[0].profile();
    assert_eq!(failed.status, ProfileStatus::Failed);
    let message = failed.error_message.unwrap_or_default();
    assert!(message.starts_with("gave up after 3 attempts"), "{message}");
    assert!(message.contains("503"), "{message}");
    assert_eq!(
        files
            .unavailable_hits
            .load(std::sync::atomic::Ordering::SeqCst),
        3
    );
    assert_eq!(
        broker
            .take(&broker.topology.dead_queue(), 1, WAIT)
            .await
            .len(),
        1
    );
    drop(worker);
    let delays = RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(100),
        max_delay: RetryPolicy::default().max_delay,
    }
    .delays();
    broker.cleanup(&delays).await;
}

/// A worker (logging to `log`) whose every job takes `job_delay`,
/// terminated while it holds job `run_id`: returns once it exited 0, with
/// how long that took.
async fn terminate_while_holding_a_job(
    broker: &TestBroker,
    log: &std::path::Path,
    drain_timeout: &str,
    job_delay: &str,
    run_id: &str,
) -> (WorkerProcess, Duration) {
    let mut worker = WorkerProcess::start(
        broker.topology.prefix(),
        log,
        &["--drain-timeout", drain_timeout],
        &[("DATAPROF_JOB_DELAY", job_delay)],
    );
    broker
        .wait_for_consumers(&broker.topology.jobs_queue(), 1, WAIT)
        .await;
    broker
        .publish_raw(job_for("e-t", run_id, "http://192.0.2.1/x.csv").as_bytes())
        .await;
    worker.wait_for_log("job received", WAIT).await;
    let asked = Instant::now();
    worker.terminate();
    let status = worker.wait_exit(Duration::from_secs(10)).expect("exited");
    assert!(status.success(), "{status:?}\n{}", worker.log_text());
    (worker, asked.elapsed())
}

#[tokio::test]
async fn sigterm_lets_a_slow_job_finish_then_exits_zero() {
    let prefix = unique_prefix("term");
    let broker = TestBroker::connect(&prefix).await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("w.log");
    let (_worker, took) = terminate_while_holding_a_job(&broker, &log, "10s", "1s", "r-t").await;
    assert!(took < Duration::from_secs(5), "{took:?}");
    let results = broker.results(1, Duration::from_secs(2)).await;
    assert_eq!(results.len(), 1, "the job finished during the drain");
    assert_eq!(results[0].profile().run_id, "r-t");
    assert_eq!(broker.queue_state(&broker.topology.jobs_queue()).await.0, 0);
    broker.cleanup(&[]).await;
}

#[tokio::test]
async fn sigterm_past_the_drain_deadline_returns_the_job_and_exits_zero() {
    let prefix = unique_prefix("term2");
    let broker = TestBroker::connect(&prefix).await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("w.log");
    let (worker, took) = terminate_while_holding_a_job(&broker, &log, "300ms", "1h", "r-u").await;
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(worker.log_text().contains("drain deadline passed"));
    assert!(broker.results(1, QUIET).await.is_empty());
    // Unacked, the job went back to the queue for the next worker.
    let jobs = broker.take(&broker.topology.jobs_queue(), 1, WAIT).await;
    assert_eq!(jobs.len(), 1);
    assert!(String::from_utf8_lossy(&jobs[0].body).contains("r-u"));
    broker.cleanup(&[]).await;
}

#[tokio::test]
async fn a_refused_login_stops_the_worker_with_the_brokers_reason() {
    let prefix = unique_prefix("refused");
    let dir = tempfile::tempdir().unwrap();
    let mut wrong = url::Url::parse(&common::broker::amqp_url()).unwrap();
    wrong.set_password(Some("not-the-password")).unwrap();
    let mut worker = WorkerProcess::start(
        &prefix,
        &dir.path().join("worker.log"),
        &[],
        &[("DATAPROF_AMQP_URL", wrong.as_str())],
    );
    let status = worker
        .wait_exit(Duration::from_secs(20))
        .unwrap_or_else(|| panic!("a refused worker kept retrying:\n{}", worker.log_text()));
    assert_eq!(status.code(), Some(2), "{}", worker.log_text());
    let log = worker.log_text();
    assert!(log.contains("ACCESS_REFUSED"), "{log}");
    assert!(log.contains("the broker refused the worker"), "{log}");
    assert!(!log.contains("not-the-password"), "password leaked:\n{log}");
    assert!(!log.contains("reconnecting after a pause"), "{log}");
}
