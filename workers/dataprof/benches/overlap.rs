//! Download overlapped with profiling: one large CSV served over HTTP at a
//! fixed rate, profiled sequentially (download, then profile, as the
//! pipeline did before) and overlapped (the pipeline now).
//!
//! `cargo bench -p dataprof --bench overlap`. The input is the 100 MB CSV
//! of `dataprof-bench` (`cargo run --release -p dataprof-bench -- --only
//! csv100` writes it to `target/bench-data`). A local HTTP server sends it
//! in 64 KiB writes paced to `BENCH_RATE_MBPS` (10^6 bytes per second,
//! default 200). Each measure is run `BENCH_RUNS` times (default 3); the
//! figures printed are the median and the range. Environment:
//! `BENCH_INPUT` (another file), `BENCH_RATE_MBPS`, `BENCH_RUNS`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dataprof::Pipeline;
use dataprof_fetch::Fetcher;
use dataprof_model::{Distribution, DistributionStatus, Job};
use dataprof_profiler::ProfileOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const WRITE: usize = 64 << 10;

fn input_path() -> PathBuf {
    if let Some(path) = std::env::var_os("BENCH_INPUT") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("bench-data/french-100mb.csv")
}

fn env_f64(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Serves `body` to every request at `rate` bytes per second.
async fn throttled_server(body: Arc<Vec<u8>>, rate: f64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, Arc::clone(&body), rate));
        }
    });
    format!("http://{addr}/french-100mb.csv")
}

async fn serve(mut stream: TcpStream, body: Arc<Vec<u8>>, rate: f64) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if stream.write_all(reply.as_bytes()).await.is_err() {
        return;
    }
    let started = Instant::now();
    let mut sent = 0usize;
    for chunk in body.chunks(WRITE) {
        if stream.write_all(chunk).await.is_err() {
            return;
        }
        sent += chunk.len();
        let due = Duration::from_secs_f64(sent as f64 / rate);
        let now = started.elapsed();
        if due > now + Duration::from_millis(2) {
            tokio::time::sleep(due - now).await;
        }
    }
    let _ = stream.shutdown().await;
}

fn pipeline() -> Pipeline {
    let mut pipeline = Pipeline::default();
    pipeline.fetch.policy.allowed_networks = vec!["127.0.0.0/8".parse().unwrap()];
    pipeline
}

fn job(url: &str) -> Job {
    Job {
        run_id: "bench".to_owned(),
        entry_id: "bench".to_owned(),
        dataset_id: None,
        profile_kind: "dataset".to_owned(),
        distributions: vec![Distribution {
            id: Some("d1".to_owned()),
            download_url: Some(url.to_owned()),
            ..Distribution::default()
        }],
    }
}

/// Seconds of one run of each measure.
#[derive(Debug, Default)]
struct Times {
    download: Vec<f64>,
    profile: Vec<f64>,
    sequential: Vec<f64>,
    overlapped: Vec<f64>,
}

fn summary(values: &[f64]) -> String {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    format!(
        "{median:7.3} s   ({:.3} .. {:.3})",
        sorted[0],
        sorted[sorted.len() - 1]
    )
}

#[tokio::main]
async fn main() {
    let input = input_path();
    let body = std::fs::read(&input).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): run `cargo run --release -p dataprof-bench -- --only csv100` first",
            input.display()
        )
    });
    let size = body.len() as f64;
    let rate = env_f64("BENCH_RATE_MBPS", 200.0) * 1e6;
    let runs = env_f64("BENCH_RUNS", 3.0).max(1.0) as usize;
    let url = throttled_server(Arc::new(body), rate).await;
    let pipeline = pipeline();
    let fetcher = Fetcher::new(&pipeline.fetch).unwrap();
    let mut times = Times::default();
    let mut records = None;

    for _ in 0..runs {
        // Download alone.
        let started = Instant::now();
        let fetched = fetcher.fetch(&url, None).await.unwrap();
        times.download.push(started.elapsed().as_secs_f64());

        // Profile alone, of the downloaded copy (in the page cache).
        let path = fetched.file.path().to_path_buf();
        let started = Instant::now();
        let profile = tokio::task::spawn_blocking(move || {
            dataprof_profiler::profile_path(&path, &ProfileOptions::default())
        })
        .await
        .unwrap()
        .unwrap();
        times.profile.push(started.elapsed().as_secs_f64());
        records = Some(profile.record_count);
        drop(fetched);

        // Sequential: the pipeline before (download, then profile).
        let started = Instant::now();
        let fetched = fetcher.fetch(&url, None).await.unwrap();
        let profile = tokio::task::spawn_blocking(move || {
            dataprof_profiler::profile_path(fetched.file.path(), &ProfileOptions::default())
        })
        .await
        .unwrap()
        .unwrap();
        times.sequential.push(started.elapsed().as_secs_f64());
        assert_eq!(Some(profile.record_count), records);

        // Overlapped: the pipeline now.
        let started = Instant::now();
        let run = pipeline.run(&job(&url)).await;
        times.overlapped.push(started.elapsed().as_secs_f64());
        let d = &run.profile.distributions[0];
        assert_eq!(d.status, DistributionStatus::Profiled, "{:?}", d.error);
        assert_eq!(d.record_count, records);
    }

    println!(
        "overlap: {} ({:.1} MB, {} records) served at {:.0} MB/s, {runs} runs (median, min .. max)",
        input.display(),
        size / 1e6,
        records.unwrap_or(0),
        rate / 1e6
    );
    println!("  download alone       {}", summary(&times.download));
    println!("  profile alone        {}", summary(&times.profile));
    println!("  job, sequential      {}", summary(&times.sequential));
    println!("  job, overlapped      {}", summary(&times.overlapped));
}
