//! A distribution is profiled while it downloads, and the download still
//! decides the outcome when it fails.
//!
//! The proof of overlap does not time anything: the server holds back the
//! last part of the body until the profiler reports (through its tracing
//! event "reading a file still downloading") that it has read bytes of the
//! file, and records whether that report came while it was holding. A
//! pipeline that profiled only after the download would never report it
//! then: the server would give up waiting and the test fail.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use dataprof::Pipeline;
use dataprof_model::{Distribution, DistributionStatus, Job};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

const LAPOSTE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/corpus/laposte_hexasmal.csv"
);
/// SHA-256 of `corpus/laposte_hexasmal.csv` (39,192 records, 6 fields).
const LAPOSTE_SHA256: &str = "6fb012e5d8003a72b0e6c45968225ce1d1366e00a123fc3ccdc3eea76ddce0a0";

/// The profiler's event for a read served while the file still grows.
const OVERLAP_EVENT: &str = "reading a file still downloading";

/// Where [`OVERLAP_EVENT`]s are notified, from any thread: the running
/// test's own [`Notify`].
static WATCH: Mutex<Option<Arc<Notify>>> = Mutex::new(None);

/// One test at a time, so that the events a test sees are its own.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Takes the test lock and a fresh [`Notify`] for this test's overlap
/// events.
async fn watch_overlap() -> (tokio::sync::MutexGuard<'static, ()>, Arc<Notify>) {
    static SUBSCRIBED: OnceLock<()> = OnceLock::new();
    SUBSCRIBED.get_or_init(|| {
        tracing::subscriber::set_global_default(Registry::default().with(OverlapWatch))
            .expect("the only subscriber of this test binary");
    });
    let guard = SERIAL.lock().await;
    let reads = Arc::new(Notify::new());
    if let Ok(mut watch) = WATCH.lock() {
        *watch = Some(Arc::clone(&reads));
    }
    (guard, reads)
}

struct OverlapWatch;

impl<S: tracing::Subscriber> Layer<S> for OverlapWatch {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        struct Message(bool);
        impl Visit for Message {
            fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" && format!("{value:?}") == OVERLAP_EVENT {
                    self.0 = true;
                }
            }
        }
        let mut message = Message(false);
        event.record(&mut message);
        if message.0
            && let Ok(watch) = WATCH.lock()
            && let Some(reads) = watch.as_ref()
        {
            reads.notify_one();
        }
    }
}

/// How the test server answers.
#[derive(Clone)]
enum Script {
    /// The body, all but its last `held` bytes at once; the rest once the
    /// profiler has read (or after 30 s). Sets the flag when the profiler
    /// read first.
    HoldTail {
        body: Arc<Vec<u8>>,
        held: usize,
        reads: Arc<Notify>,
        read_first: Arc<AtomicBool>,
    },
    /// A head announcing `declared` bytes, then `body` (shorter), then close.
    Truncated { body: Arc<Vec<u8>>, declared: usize },
    /// The whole body.
    Whole(Arc<Vec<u8>>),
}

/// Serves `/held.csv`, `/cut.csv` and `/whole.csv` per their scripts.
async fn server(routes: Vec<(&'static str, Script)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let routes = Arc::new(routes);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let routes = Arc::clone(&routes);
            tokio::spawn(async move { answer(stream, &routes).await });
        }
    });
    format!("http://{addr}")
}

async fn answer(mut stream: TcpStream, routes: &[(&'static str, Script)]) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let path = text.split(' ').nth(1).unwrap_or_default().to_owned();
    let Some((_, script)) = routes.iter().find(|(p, _)| *p == path) else {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
        return;
    };
    let reply = |len: usize| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
        )
    };
    match script {
        Script::HoldTail {
            body,
            held,
            reads,
            read_first,
        } => {
            let split = body.len() - held;
            let _ = stream.write_all(reply(body.len()).as_bytes()).await;
            let _ = stream.write_all(&body[..split]).await;
            let _ = stream.flush().await;
            let waited = tokio::time::timeout(Duration::from_secs(30), reads.notified()).await;
            read_first.store(waited.is_ok(), Ordering::SeqCst);
            let _ = stream.write_all(&body[split..]).await;
        }
        Script::Truncated { body, declared } => {
            let _ = stream.write_all(reply(*declared).as_bytes()).await;
            let _ = stream.write_all(body).await;
        }
        Script::Whole(body) => {
            let _ = stream.write_all(reply(body.len()).as_bytes()).await;
            let _ = stream.write_all(body).await;
        }
    }
    let _ = stream.shutdown().await;
}

fn pipeline() -> Pipeline {
    let mut pipeline = Pipeline::default();
    pipeline.fetch.policy.allowed_networks = vec!["127.0.0.0/8".parse().expect("cidr")];
    pipeline
}

fn job(download_url: String, access_url: Option<String>) -> Job {
    Job {
        run_id: "run-1".to_owned(),
        entry_id: "entry-1".to_owned(),
        dataset_id: None,
        profile_kind: "dataset".to_owned(),
        distributions: vec![Distribution {
            id: Some("d1".to_owned()),
            download_url: Some(download_url),
            access_url,
            format: Some("CSV".to_owned()),
            ..Distribution::default()
        }],
    }
}

fn laposte() -> Arc<Vec<u8>> {
    Arc::new(std::fs::read(LAPOSTE).expect("fixture"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_profiler_reads_the_file_before_the_download_has_ended() {
    let (_serial, reads) = watch_overlap().await;
    let read_first = Arc::new(AtomicBool::new(false));
    let base = server(vec![(
        "/held.csv",
        Script::HoldTail {
            body: laposte(),
            held: 100_000,
            reads,
            read_first: Arc::clone(&read_first),
        },
    )])
    .await;

    let run = pipeline().run(&job(format!("{base}/held.csv"), None)).await;

    assert!(
        read_first.load(Ordering::SeqCst),
        "the profiler read nothing before the last bytes were sent"
    );
    assert!(run.transient_faults.is_empty());
    let d = &run.profile.distributions[0];
    assert_eq!(d.status, DistributionStatus::Profiled, "{:?}", d.error);
    assert_eq!(d.record_count, Some(39_192));
    assert_eq!(d.field_count, Some(6));
    assert_eq!(d.byte_size, Some(2_688_814));
    assert_eq!(d.sha256.as_deref(), Some(LAPOSTE_SHA256));
    assert_eq!(d.url.as_deref(), Some(format!("{base}/held.csv").as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_cut_short_fails_the_fetch_whatever_the_profiler_read() {
    let _serial = watch_overlap().await;
    // The first 2,000,000 bytes are a fine CSV on their own (cut at a line
    // feed): only the download knows they are not the whole file.
    let body = laposte();
    let cut = body[..2_000_000]
        .iter()
        .rposition(|&b| b == b'\n')
        .expect("a line feed")
        + 1;
    let base = server(vec![(
        "/cut.csv",
        Script::Truncated {
            body: Arc::new(body[..cut].to_vec()),
            declared: body.len(),
        },
    )])
    .await;

    let run = pipeline().run(&job(format!("{base}/cut.csv"), None)).await;

    let d = &run.profile.distributions[0];
    assert_eq!(d.status, DistributionStatus::Failed);
    let error = d.error.as_deref().unwrap_or_default();
    assert!(
        error.starts_with("fetch: download interrupted: "),
        "{error}"
    );
    assert_eq!(d.record_count, None);
    assert_eq!(d.byte_size, None);
    assert_eq!(d.sha256, None);
    // A transient fault: the worker retries the job, as before.
    assert_eq!(run.transient_faults.len(), 1);
    assert!(
        run.transient_faults[0].starts_with("download interrupted: "),
        "{:?}",
        run.transient_faults
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_cut_short_falls_back_to_the_access_url() {
    let _serial = watch_overlap().await;
    let body = laposte();
    let base = server(vec![
        (
            "/cut.csv",
            Script::Truncated {
                body: Arc::new(body[..1_000_000].to_vec()),
                declared: body.len(),
            },
        ),
        ("/whole.csv", Script::Whole(Arc::clone(&body))),
    ])
    .await;

    let run = pipeline()
        .run(&job(
            format!("{base}/cut.csv"),
            Some(format!("{base}/whole.csv")),
        ))
        .await;

    assert!(run.transient_faults.is_empty());
    let d = &run.profile.distributions[0];
    assert_eq!(d.status, DistributionStatus::Profiled, "{:?}", d.error);
    assert_eq!(d.url.as_deref(), Some(format!("{base}/whole.csv").as_str()));
    assert_eq!(d.record_count, Some(39_192));
    assert_eq!(d.sha256.as_deref(), Some(LAPOSTE_SHA256));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_file_is_a_permanent_fetch_failure() {
    let _serial = watch_overlap().await;
    let base = server(Vec::new()).await;

    let run = pipeline().run(&job(format!("{base}/gone.csv"), None)).await;

    let d = &run.profile.distributions[0];
    assert_eq!(d.status, DistributionStatus::Failed);
    assert_eq!(d.error.as_deref(), Some("fetch: HTTP 404 Not Found"));
    assert!(run.transient_faults.is_empty());
}
