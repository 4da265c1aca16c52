//! `/metrics` and `/healthz`, served from the recorder the worker installs.
//! Its own test binary: the recorder is global to the process.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::runners::FakeRunner;
use common::{WAIT, http_get, job_body};
use dataprof::metrics;
use dataprof::worker::{ConsumerSettings, Health, run_session};
use dataprof_queue::memory::MemoryBroker;
use tokio_util::sync::CancellationToken;

/// The value of the sample named exactly `series` in Prometheus text.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_count_jobs_by_outcome_and_health_follows_the_broker() {
    let handle = metrics::install().unwrap();
    let health = Health::default();
    let shutdown = CancellationToken::new();
    let listener = metrics::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(metrics::serve(
        listener,
        handle,
        health.clone(),
        shutdown.clone(),
    ));

    let (status, body) = http_get(addr, "/healthz").await;
    assert_eq!(
        (status, body.as_str()),
        (503, "not connected to the broker\n")
    );
    health.set_connected(true);
    let (status, _) = http_get(addr, "/healthz").await;
    assert_eq!(status, 200);

    // Before any job: the counters an alert would watch are there, at 0.
    let (_, before) = http_get(addr, "/metrics").await;
    assert_eq!(sample(&before, "dataprof_job_retries_total"), Some(0.0));
    assert_eq!(
        sample(
            &before,
            r#"dataprof_dead_letters_total{reason="retries_exhausted"}"#
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(&before, "dataprof_downloaded_bytes_total"),
        Some(0.0)
    );

    let broker = MemoryBroker::new();
    broker.push_job(job_body("e1", Some("r1")));
    broker.push_job(b"{not json".to_vec());
    let runner = Arc::new(FakeRunner::default());
    let session_stop = CancellationToken::new();
    let session = {
        let (source, sink, stop) = (
            broker.source(),
            Arc::new(broker.sink()),
            session_stop.clone(),
        );
        let settings = ConsumerSettings {
            requeue_pause: Duration::from_millis(10),
            ..ConsumerSettings::default()
        };
        tokio::spawn(async move { run_session(source, sink, runner, &settings, &stop).await })
    };
    let done = broker
        .wait_until(WAIT, |s| s.acked == 1 && s.dead_letters.len() == 1)
        .await;
    assert_eq!(done.results.len(), 2);
    session_stop.cancel();
    session.await.unwrap();

    let (status, text) = http_get(addr, "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(
        sample(&text, r#"dataprof_jobs_total{outcome="profiled"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, r#"dataprof_jobs_total{outcome="failed"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"dataprof_dead_letters_total{reason="invalid_message"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "dataprof_jobs_in_flight"),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "dataprof_broker_connected"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"dataprof_job_duration_seconds_count{outcome="profiled"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        text.contains("# HELP dataprof_jobs_total Jobs finished, by outcome"),
        "{text}"
    );
    assert!(
        text.contains(r#"dataprof_job_duration_seconds_bucket{outcome="profiled",le="0.01"}"#),
        "{text}"
    );

    // The real pipeline times its steps.
    let mut pipeline = dataprof::Pipeline::default();
    pipeline.fetch.policy.allow_local_files = true;
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/corpus/insee_FILO2019_iris_bondy_latin1.csv"
    );
    let job = dataprof_model::Job::from_slice(
        format!(r#"{{"entry_id":"e","distributions":[{{"download_url":"{data}"}}]}}"#).as_bytes(),
    )
    .unwrap();
    assert_eq!(pipeline.run(&job).await.profile.record_count, Some(21));
    let (_, text) = http_get(addr, "/metrics").await;
    for step in ["fetch", "profile"] {
        assert_eq!(
            sample(
                &text,
                &format!(r#"dataprof_step_duration_seconds_count{{step="{step}"}}"#)
            ),
            Some(1.0),
            "{text}"
        );
    }

    shutdown.cancel();
    tokio::time::timeout(WAIT, server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
