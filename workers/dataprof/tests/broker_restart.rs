//! A broker restart in the middle of 100 jobs loses none of them. In its
//! own test binary, so that it never runs beside the other broker tests
//! (cargo runs test binaries one at a time): it stops the broker's app.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use common::broker::{TestBroker, WorkerProcess, enqueue, job_for, unique_prefix};

const JOBS: usize = 100;

fn rabbitmqctl(action: &str) {
    let status = Command::new("rabbitmqctl")
        .args(["-q", action])
        .status()
        .unwrap_or_else(|e| panic!("rabbitmqctl {action}: {e}"));
    assert!(status.success(), "rabbitmqctl {action} failed");
}

#[tokio::test]
async fn a_broker_restart_mid_run_loses_no_job() {
    let prefix = unique_prefix("restart");
    let broker = TestBroker::connect(&prefix).await;
    let results_queue = broker.topology.results_queue();
    let dir = tempfile::tempdir().unwrap();
    let worker = WorkerProcess::start(
        &prefix,
        &dir.path().join("w.log"),
        &["--concurrency", "4"],
        &[("DATAPROF_JOB_DELAY", "100ms")],
    );
    let ndjson: String = (0..JOBS)
        .map(|n| {
            job_for(
                &format!("entry-{n}"),
                &format!("run-{n}"),
                "http://192.0.2.1/x.csv",
            ) + "\n"
        })
        .collect();
    assert!(enqueue(&prefix, &["-"], ndjson.as_bytes()).status.success());

    // Restart once some results are in and most jobs are still waiting.
    let deadline = Instant::now() + Duration::from_secs(30);
    while broker.queue_state(&results_queue).await.0 < 8 {
        assert!(Instant::now() < deadline, "{}", worker.log_text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = broker
        .connection
        .close(200, "restarting the broker".into())
        .await;
    rabbitmqctl("stop_app");
    tokio::time::sleep(Duration::from_millis(500)).await;
    rabbitmqctl("start_app");

    let broker = TestBroker::connect(&prefix).await;
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.len() < JOBS && Instant::now() < deadline {
        for received in broker.results(JOBS, Duration::from_millis(500)).await {
            *seen.entry(received.profile().run_id).or_default() += 1;
        }
    }
    let expected: Vec<String> = (0..JOBS).map(|n| format!("run-{n}")).collect();
    let missing: Vec<&String> = expected
        .iter()
        .filter(|id| !seen.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "lost {missing:?}\n{}",
        worker.log_text()
    );
    assert_eq!(seen.len(), JOBS, "no result for a job that was never sent");
    broker
        .wait_until_empty(&broker.topology.jobs_queue(), Duration::from_secs(10))
        .await;

    let log = worker.log_text();
    assert!(log.contains("broker connection lost"), "{log}");
    assert!(
        log.matches("connected to the broker, consuming jobs")
            .count()
            >= 2,
        "the worker reconnected:\n{log}"
    );
    drop(worker);
    broker.cleanup(&[]).await;
}
