//! Jobs per second through RabbitMQ for one worker process.
//!
//! `cargo bench -p dataprof --bench broker_throughput` (RabbitMQ on
//! 127.0.0.1:5672). Enqueues small-file jobs (each a CSV served by a local
//! HTTP server), starts one `dataprof worker` process and times it until
//! every result is confirmed on the results queue. Environment:
//! `BENCH_JOBS` (default 3000), `BENCH_CONCURRENCY` (default 32).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::broker::{FileServer, TestBroker, WorkerProcess, enqueue, job_for, unique_prefix};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let jobs = env_usize("BENCH_JOBS", 3000);
    let concurrency = env_usize("BENCH_CONCURRENCY", 32);
    let prefix = unique_prefix("bench");
    let broker = TestBroker::connect(&prefix).await;
    let files = FileServer::start().await;
    let url = files.url("/data.csv");
    let ndjson: String = (0..jobs)
        .map(|n| job_for(&format!("entry-{n}"), &format!("run-{n}"), &url) + "\n")
        .collect();
    let out = enqueue(&prefix, &["-"], ndjson.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let worker = WorkerProcess::start(
        &prefix,
        &dir.path().join("worker.log"),
        &["--concurrency", &concurrency.to_string()],
        &[
            ("DATAPROF_ALLOW_NETWORKS", "127.0.0.0/8"),
            ("DATAPROF_LOG", "warn"),
        ],
    );
    let results_queue = broker.topology.results_queue();
    let deadline = started + Duration::from_secs(300);
    let mut first_result = None;
    loop {
        let (messages, _) = broker.queue_state(&results_queue).await;
        if messages > 0 && first_result.is_none() {
            first_result = Some(started.elapsed());
        }
        if messages as usize >= jobs || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let total = started.elapsed();
    worker.terminate();
    let results = broker.results(jobs, Duration::from_secs(30)).await;
    let profiled = results
        .iter()
        .filter(|r| r.routing_key == "profile.profiled")
        .count();
    broker.cleanup(&[]).await;

    let first = first_result.unwrap_or(total);
    let steady = total.saturating_sub(first).as_secs_f64();
    println!("broker throughput: 1 worker process, concurrency {concurrency}");
    println!("  jobs               {jobs} ({profiled} profiled)");
    println!("  wall (from start)  {:.3} s", total.as_secs_f64());
    println!(
        "  jobs/s (overall)   {:.0}",
        jobs as f64 / total.as_secs_f64()
    );
    if steady > 0.0 {
        println!("  jobs/s (steady)    {:.0}", (jobs - 1) as f64 / steady);
    }
    assert_eq!(results.len(), jobs, "every job yields one result");
    assert_eq!(profiled, jobs, "every small file is profiled");
}
