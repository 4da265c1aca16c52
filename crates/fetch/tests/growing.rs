//! Downloads read while they stream ([`Fetcher::start`]): readers see the
//! bytes before the body has ended, and learn how it ended.

mod support;

use std::io::Read;
use std::sync::Arc;

use dataprof_fetch::{FetchErrorKind, Fetcher, Progress};
use support::{Reply, Step, TestServer, fixture_bytes, test_config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// SHA-256 of `corpus/laposte_hexasmal.csv`.
const LAPOSTE_SHA256: &str = "6fb012e5d8003a72b0e6c45968225ce1d1366e00a123fc3ccdc3eea76ddce0a0";

/// Serves `body` once with its Content-Length: the first `first` bytes,
/// then the rest only once `release` is notified.
async fn held_server(body: Vec<u8>, first: usize, release: Arc<Notify>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
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
        let _ = stream.write_all(reply.as_bytes()).await;
        let _ = stream.write_all(&body[..first]).await;
        let _ = stream.flush().await;
        release.notified().await;
        let _ = stream.write_all(&body[first..]).await;
        let _ = stream.shutdown().await;
    });
    format!("http://{addr}/laposte_hexasmal.csv")
}

#[tokio::test]
async fn a_download_is_readable_before_its_body_has_ended() {
    let body = fixture_bytes("corpus/laposte_hexasmal.csv");
    let release = Arc::new(Notify::new());
    // The server sends 1 MB, then waits for the reader: without bytes
    // published while streaming, the reader would never see any and the
    // download would end on its read timeout.
    let url = held_server(body.clone(), 1_000_000, Arc::clone(&release)).await;
    let fetcher = Fetcher::new(&test_config()).expect("fetcher");

    let download = fetcher.start(&url, None).await.expect("head accepted");
    let path = download.path().to_path_buf();
    let growing = download.growing().clone();
    let reader = tokio::task::spawn_blocking(move || {
        let early = growing.wait_beyond(0);
        let Progress::Running { written } = early else {
            panic!("the download ended before the reader saw it grow: {early:?}");
        };
        let mut prefix = vec![0u8; usize::try_from(written).expect("size")];
        std::fs::File::open(&path)
            .and_then(|mut f| f.read_exact(&mut prefix))
            .expect("published bytes are in the file");
        release.notify_one();
        let done = growing.wait_end();
        (written, prefix, done)
    });
    let (file, outcome) = download.finish().await;
    let (written, prefix, seen) = reader.await.expect("reader");

    assert!(written > 0 && written <= 1_000_000, "{written}");
    assert_eq!(prefix[..], body[..prefix.len()]);
    let done = outcome.expect("download");
    assert_eq!(seen.as_ref(), Ok(&done));
    assert_eq!(done.byte_size, 2_688_814);
    assert_eq!(done.sha256, LAPOSTE_SHA256);
    assert_eq!(done.content_type.as_deref(), Some("text/csv"));
    assert_eq!(std::fs::read(file.path()).expect("copy"), body);
}

#[tokio::test]
async fn a_truncated_body_fails_its_readers_and_keeps_the_file_until_dropped() {
    let server = TestServer::start("127.0.0.1", |_| {
        Reply::head_then(
            "Content-Length: 100\r\n",
            vec![Step::Send(b"code;nom\n01001;L'Abergement\n".to_vec())],
        )
    })
    .await;
    let fetcher = Fetcher::new(&test_config()).expect("fetcher");

    let download = fetcher
        .start(&server.url("/cut.csv"), None)
        .await
        .expect("head accepted");
    let growing = download.growing().clone();
    let (file, outcome) = download.finish().await;

    let err = outcome.expect_err("truncated");
    assert_eq!(err.kind, FetchErrorKind::Interrupted, "{}", err.message);
    assert!(err.transient);
    assert_eq!(growing.wait_end(), Err(err));
    assert!(matches!(growing.progress(), Progress::Failed(_)));
    let path = file.path().to_path_buf();
    assert!(path.exists());
    drop(file);
    assert!(!path.exists(), "the temporary copy is deleted on drop");
}

#[tokio::test]
async fn errors_of_the_response_head_come_back_from_start() {
    let server = TestServer::start("127.0.0.1", |_| Reply::status(404, "Not Found")).await;
    let fetcher = Fetcher::new(&test_config()).expect("fetcher");

    let err = fetcher
        .start(&server.url("/missing.csv"), None)
        .await
        .expect_err("404");

    assert_eq!(err.kind, FetchErrorKind::HttpStatus(404));
    assert_eq!(err.message, "HTTP 404 Not Found");
    assert!(!err.transient);
}

#[tokio::test]
async fn an_abandoned_download_fails_its_readers() {
    let server = TestServer::start("127.0.0.1", |_| {
        Reply::head_then("Content-Length: 100\r\n", vec![Step::Hang])
    })
    .await;
    let fetcher = Fetcher::new(&test_config()).expect("fetcher");

    let download = fetcher
        .start(&server.url("/slow.csv"), None)
        .await
        .expect("head accepted");
    let growing = download.growing().clone();
    let waiter = std::thread::spawn(move || growing.wait_end());
    drop(download);

    let err = waiter.join().expect("waiter").expect_err("abandoned");
    assert_eq!(err.kind, FetchErrorKind::Interrupted);
    assert!(err.message.contains("abandoned"), "{}", err.message);
}

#[tokio::test]
async fn a_local_file_starts_whole() {
    let mut cfg = test_config();
    cfg.policy.allow_local_files = true;
    let fetcher = Fetcher::new(&cfg).expect("fetcher");
    let path = support::fixture("corpus/laposte_hexasmal.csv");

    let download = fetcher
        .start(path.to_str().expect("utf-8 path"), None)
        .await
        .expect("local file");

    assert_eq!(download.path(), path);
    let Progress::Complete(done) = download.growing().progress() else {
        panic!("a local file is whole from the start");
    };
    assert_eq!(done.byte_size, 2_688_814);
    assert_eq!(done.sha256, LAPOSTE_SHA256);
    let (_file, outcome) = download.finish().await;
    assert_eq!(outcome, Ok(done));
}
