//! A worker fed hostile sources: every job ends with exactly one result and
//! one ack, nothing is dead-lettered or retried, and the worker stays up.
//! Sources are generated here and served by a local HTTP server, except the
//! ones the network policy must refuse before any connection (local files,
//! private and metadata addresses).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use common::WAIT;
use common::broker::{TestBroker, WorkerProcess, enqueue, job_for, unique_prefix};
use dataprof_model::ProfileStatus;

/// Hostile files by name, each with a substring its result must carry.
fn hostile_files() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let csv = b"code;nom\n01001;L'Abergement\n01002;L'Abergement-de-Varey\n".repeat(200);
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&csv).unwrap();
    let gzip = gzip.finish().unwrap();
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    bomb.write_all(&vec![b'0'; 8 << 20]).unwrap();
    let bomb = bomb.finish().unwrap();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        "data/communes.csv",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(&csv).unwrap();
    let zip = zip.finish().unwrap().into_inner();
    let mut wide = (0..10_000)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(";");
    wide.push('\n');
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut long_line = vec![b'x'; 3 << 20];
    long_line.extend_from_slice(b";y\n");
    vec![
        ("truncated.csv.gz", gzip[..gzip.len() / 2].to_vec(), "gzip"),
        ("truncated.zip", zip[..zip.len() / 2].to_vec(), "zip"),
        ("bomb.csv.gz", bomb, "limit exceeded"),
        ("error-page.csv", b"<!DOCTYPE html><html><body>500</body></html>".to_vec(), "HTML"),
        ("empty.csv", Vec::new(), "empty"),
        ("binary.csv", b"a;b\n\0\0\0\x01\x02;\0\n".to_vec(), "binary"),
        ("wide.csv", wide.into_bytes(), "limit exceeded"),
        ("deep.json", deep.into_bytes(), "nested deeper"),
        ("long-line.csv", long_line, "limit exceeded"),
        (
            "bad-coordinates.geojson",
            br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":1},"geometry":{"type":"Point","coordinates":["x",null]}}]}"#.to_vec(),
            "",
        ),
        (
            "huge-numbers.csv",
            b"n;x\n99999999999999999999999;1e999\n-99999999999999999999999;2e308\n".to_vec(),
            "",
        ),
    ]
}

/// URLs the worker must refuse without touching them.
const REFUSED: [(&str, &str); 5] = [
    ("/etc/passwd", "local files are not allowed"),
    ("file:///etc/passwd", "local files are not allowed"),
    (
        "http://169.254.169.254/latest/meta-data/",
        "refused by network policy",
    ),
    ("http://10.0.0.1/data.csv", "refused by network policy"),
    ("ftp://example.org/data.csv", "only http and https"),
];

async fn serve(dir: PathBuf) -> std::net::SocketAddr {
    use axum::Router;
    use axum::extract::Path;
    use axum::http::StatusCode;
    use axum::routing::get;
    let app = Router::new().route(
        "/{name}",
        get(move |Path(name): Path<String>| {
            let dir = dir.clone();
            async move {
                match tokio::fs::read(dir.join(name)).await {
                    Ok(bytes) => Ok(bytes),
                    Err(_) => Err(StatusCode::NOT_FOUND),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test]
async fn a_worker_fed_hostile_sources_answers_each_once_and_stays_up() {
    let prefix = unique_prefix("hostile");
    let broker = TestBroker::connect(&prefix).await;
    let files = tempfile::tempdir().unwrap();
    let mut expected: BTreeMap<String, &str> = BTreeMap::new();
    let mut jobs = String::new();
    let addr = serve(files.path().to_owned()).await;
    for (name, bytes, needle) in hostile_files() {
        std::fs::write(files.path().join(name), bytes).unwrap();
        let url = format!("http://{addr}/{name}");
        jobs += &(job_for(name, &format!("run-{name}"), &url) + "\n");
        expected.insert(name.to_owned(), needle);
    }
    for (url, needle) in REFUSED {
        jobs += &(job_for(url, &format!("run-{url}"), url) + "\n");
        expected.insert(url.to_owned(), needle);
    }

    let logs = tempfile::tempdir().unwrap();
    let mut worker = WorkerProcess::start(
        &prefix,
        &logs.path().join("worker.log"),
        &[
            "--concurrency",
            "4",
            "--max-decompressed-bytes",
            "4MiB",
            "--max-record-bytes",
            "1MiB",
            "--retry-base-delay",
            "100ms",
        ],
        &[("DATAPROF_ALLOW_NETWORKS", "127.0.0.1/32")],
    );
    let out = enqueue(&prefix, &["-"], jobs.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let results = broker
        .results(expected.len(), Duration::from_secs(90))
        .await;
    assert_eq!(results.len(), expected.len(), "{}", worker.log_text());
    assert!(
        broker
            .results(1, Duration::from_millis(700))
            .await
            .is_empty(),
        "one result per job"
    );
    let mut seen = BTreeMap::new();
    for result in &results {
        let profile = result.profile();
        let needle = expected
            .get(&profile.entry_id)
            .unwrap_or_else(|| panic!("unexpected entry {}", profile.entry_id));
        let message = profile.error_message.clone().unwrap_or_default();
        println!("{}: {:?}: {message}", profile.entry_id, profile.status);
        if needle.is_empty() {
            assert_eq!(
                profile.status,
                ProfileStatus::Profiled,
                "{}: {message}",
                profile.entry_id
            );
        } else {
            assert_eq!(
                profile.status,
                ProfileStatus::Unsupported,
                "{}: a terminal outcome for the source, not a job failure",
                profile.entry_id
            );
            let reason = message
                .rsplit_once(": fetch:")
                .map_or(message.as_str(), |(_, r)| r);
            assert!(
                message.contains(needle) && !message.contains('\n'),
                "{}: expected {needle:?} in {reason}",
                profile.entry_id
            );
        }
        if let Some(ext) = profile.entry_id.strip_prefix("truncated.") {
            let kind = if ext.ends_with("gz") { "gzip" } else { "zip" };
            let container = profile.distributions[0].container.as_ref();
            assert_eq!(
                container.map(|c| c.kind.as_str()),
                Some(kind),
                "{}: the broken archive is named",
                profile.entry_id
            );
        }
        *seen.entry(profile.entry_id.clone()).or_insert(0) += 1;
    }
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    broker
        .wait_until_empty(&broker.topology.jobs_queue(), WAIT)
        .await;
    assert_eq!(broker.queue_state(&broker.topology.dead_queue()).await.0, 0);
    assert!(
        worker.child.try_wait().unwrap().is_none(),
        "the worker is still running"
    );
    let log = worker.log_text();
    assert!(!log.contains("panicked"), "{log}");
    worker.terminate();
    assert!(worker.wait_exit(WAIT).is_some_and(|s| s.success()));
    broker.cleanup(&[]).await;
}
