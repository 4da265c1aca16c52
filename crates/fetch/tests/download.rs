//! HTTP downloads against a scripted local server: content, limits,
//! timeouts, redirects and how failures are classified.

mod support;

use std::time::{Duration, Instant};

use dataprof_fetch::{FetchErrorKind, Fetcher, LocalCopy, fetch};
use support::{Reply, Step, TestServer, fixture_bytes, test_config};

/// From `tests/fixtures/corpus/SOURCES.md`.
const GEORISQUES_SHA256: &str = "7a41c87ac0c0651c4c52274469df58857072734358b9f22f229507f5e8db4a18";
const LAPOSTE_SHA256: &str = "6fb012e5d8003a72b0e6c45968225ce1d1366e00a123fc3ccdc3eea76ddce0a0";

#[tokio::test]
async fn downloads_a_file_after_a_redirect() {
    let body = fixture_bytes("corpus/georisques_icpe2024_bondy.csv");
    let server = TestServer::start("127.0.0.1", move |path| match path {
        "/old/icpe.csv" => Reply::redirect("/data/icpe2024.csv"),
        "/data/icpe2024.csv" => Reply::ok("text/csv; charset=utf-8", &body),
        _ => Reply::status(404, "Not Found"),
    })
    .await;
    let temp_dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = test_config();
    cfg.temp_dir = Some(temp_dir.path().to_path_buf());

    let fetched = fetch(&server.url("/old/icpe.csv"), None, &cfg)
        .await
        .expect("download");

    assert_eq!(fetched.source, server.url("/data/icpe2024.csv"));
    assert_eq!(fetched.byte_size, 2586);
    assert_eq!(fetched.sha256, GEORISQUES_SHA256);
    assert_eq!(
        fetched.content_type.as_deref(),
        Some("text/csv; charset=utf-8")
    );
    let path = fetched.file.path().to_path_buf();
    assert!(matches!(fetched.file, LocalCopy::Temp(_)));
    assert_eq!(path.parent(), Some(temp_dir.path()));
    let copied = std::fs::read(&path).expect("temp copy");
    assert_eq!(copied.len(), 2586);
    assert!(copied.starts_with(b"\xef\xbb\xbf"), "the BOM is kept");
    assert_eq!(
        copied,
        fixture_bytes("corpus/georisques_icpe2024_bondy.csv")
    );
    drop(fetched);
    assert!(!path.exists(), "the temporary copy is deleted on drop");
}

#[tokio::test]
async fn streams_a_large_chunked_file_exactly() {
    let body = fixture_bytes("corpus/laposte_hexasmal.csv");
    let chunks: Vec<Vec<u8>> = body.chunks(100_000).map(<[u8]>::to_vec).collect();
    let server = TestServer::start("127.0.0.1", move |_| Reply::chunked(&chunks)).await;
    let fetcher = Fetcher::new(&test_config()).expect("fetcher");

    let fetched = fetcher
        .fetch(&server.url("/laposte_hexasmal.csv"), None)
        .await
        .expect("download");

    assert_eq!(fetched.byte_size, 2_688_814);
    assert_eq!(fetched.sha256, LAPOSTE_SHA256);
    assert_eq!(fetched.content_type.as_deref(), Some("text/csv"));
    let len = std::fs::metadata(fetched.file.path()).expect("copy").len();
    assert_eq!(len, 2_688_814);
}

#[tokio::test]
async fn an_empty_body_is_an_empty_file() {
    let server = TestServer::start("127.0.0.1", |_| Reply::ok("text/csv", b"")).await;
    let fetched = fetch(&server.url("/locations-1998.csv"), None, &test_config())
        .await
        .expect("download");
    assert_eq!(fetched.byte_size, 0);
    assert_eq!(
        fetched.sha256,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

async fn fetch_status(code: u16, reason: &'static str) -> dataprof_fetch::FetchError {
    let server = TestServer::start("127.0.0.1", move |_| Reply::status(code, reason)).await;
    fetch(&server.url("/x.csv"), None, &test_config())
        .await
        .expect_err("an error status")
}

#[tokio::test]
async fn client_errors_are_permanent() {
    for (code, reason) in [
        (404, "Not Found"),
        (410, "Gone"),
        (403, "Forbidden"),
        (401, "Unauthorized"),
        (400, "Bad Request"),
    ] {
        let err = fetch_status(code, reason).await;
        assert_eq!(err.message, format!("HTTP {code} {reason}"));
        assert_eq!(err.kind, FetchErrorKind::HttpStatus(code));
        assert!(!err.transient, "{code} must be permanent");
    }
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_transient() {
    for (code, reason) in [
        (503, "Service Unavailable"),
        (500, "Internal Server Error"),
        (429, "Too Many Requests"),
    ] {
        let err = fetch_status(code, reason).await;
        assert_eq!(err.message, format!("HTTP {code} {reason}"));
        assert!(err.transient, "{code} must be transient");
    }
}

#[tokio::test]
async fn connection_refused_is_transient() {
    // Take a free port, then close it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);

    let err = fetch(
        &format!("http://127.0.0.1:{port}/x.csv"),
        None,
        &test_config(),
    )
    .await
    .expect_err("nothing listens");

    assert_eq!(err.kind, FetchErrorKind::Connect);
    assert!(err.transient);
    assert!(
        err.message
            .starts_with(&format!("cannot connect to 127.0.0.1:{port}: ")),
        "{}",
        err.message
    );
    assert!(err.message.contains("refused"), "{}", err.message);
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_transient() {
    let server = TestServer::start("127.0.0.1", |_| {
        Reply::head_then(
            "Content-Length: 100\r\n",
            vec![Step::Send(
                b"IRIS;LIBIRIS;COM\n930100101;Centre;93010\n".to_vec(),
            )],
        )
    })
    .await;

    let err = fetch(&server.url("/FILO2019.csv"), None, &test_config())
        .await
        .expect_err("truncated");

    assert_eq!(err.kind, FetchErrorKind::Interrupted, "{}", err.message);
    assert!(err.transient);
    assert!(
        err.message.starts_with("download interrupted: "),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_the_body() {
    // The head announces 20 MiB and then nothing comes: reading the body
    // would hang until the read timeout.
    let server = TestServer::start("127.0.0.1", |_| {
        Reply::head_then("Content-Length: 20971520\r\n", vec![Step::Hang])
    })
    .await;
    let mut cfg = test_config();
    cfg.max_bytes = 10 << 20;
    let started = Instant::now();

    let err = fetch(&server.url("/big.csv"), None, &cfg)
        .await
        .expect_err("too large");

    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(err.kind, FetchErrorKind::TooLarge);
    assert!(!err.transient);
    assert_eq!(
        err.message,
        "download exceeds the 10 MiB limit (Content-Length: 20971520 bytes)"
    );
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_cut() {
    let chunks = vec![vec![b'x'; 16 << 10]; 10];
    let server = TestServer::start("127.0.0.1", move |_| Reply::chunked(&chunks)).await;
    let mut cfg = test_config();
    cfg.max_bytes = 64 << 10;

    let err = fetch(&server.url("/stream.csv"), None, &cfg)
        .await
        .expect_err("too large");

    assert_eq!(err.kind, FetchErrorKind::TooLarge);
    assert!(!err.transient);
    assert_eq!(err.message, "download exceeds the 64 KiB limit");
}

#[tokio::test]
async fn a_body_of_exactly_the_limit_is_accepted() {
    let chunks = vec![vec![b'x'; 16 << 10]; 4];
    let server = TestServer::start("127.0.0.1", move |_| Reply::chunked(&chunks)).await;
    let mut cfg = test_config();
    cfg.max_bytes = 64 << 10;

    let fetched = fetch(&server.url("/stream.csv"), None, &cfg)
        .await
        .expect("at the limit");

    assert_eq!(fetched.byte_size, 64 << 10);
}

#[tokio::test]
async fn a_trickling_server_is_cut_by_the_total_timeout() {
    // One byte every 200 ms: never idle long enough for the read timeout.
    let steps: Vec<Step> = b"code_postal;commune\n"
        .iter()
        .flat_map(|b| {
            [
                Step::Sleep(Duration::from_millis(200)),
                Step::Send(vec![*b]),
            ]
        })
        .collect();
    let server = TestServer::start("127.0.0.1", move |_| Reply::head_then("", steps.clone())).await;
    let mut cfg = test_config();
    cfg.read_timeout = Duration::from_millis(800);
    cfg.total_timeout = Duration::from_millis(1200);
    let started = Instant::now();

    let err = fetch(&server.url("/slow.csv"), None, &cfg)
        .await
        .expect_err("timed out");

    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(1100), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
    assert_eq!(err.kind, FetchErrorKind::Timeout);
    assert!(err.transient);
    assert_eq!(
        err.message,
        "download took longer than the 1.2s total timeout"
    );
}

#[tokio::test]
async fn a_stalled_body_is_cut_by_the_read_timeout() {
    let server = TestServer::start("127.0.0.1", |_| {
        Reply::head_then(
            "",
            vec![Step::Send(b"code;nom\n01;Ain\n".to_vec()), Step::Hang],
        )
    })
    .await;
    let mut cfg = test_config();
    cfg.read_timeout = Duration::from_millis(300);
    cfg.total_timeout = Duration::from_millis(2500);
    let started = Instant::now();

    let err = fetch(&server.url("/stalled.csv"), None, &cfg)
        .await
        .expect_err("timed out");

    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    assert_eq!(err.kind, FetchErrorKind::Timeout);
    assert!(err.transient);
    assert_eq!(err.message, "no data received for 300ms (read timeout)");
}

#[tokio::test]
async fn a_server_that_never_answers_is_cut_by_the_read_timeout() {
    let server = TestServer::start("127.0.0.1", |_| Reply(vec![Step::Hang])).await;
    let mut cfg = test_config();
    cfg.read_timeout = Duration::from_millis(300);
    cfg.total_timeout = Duration::from_millis(2500);
    let started = Instant::now();

    let err = fetch(&server.url("/silent.csv"), None, &cfg)
        .await
        .expect_err("timed out");

    assert!(started.elapsed() < Duration::from_millis(1500));
    assert_eq!(err.kind, FetchErrorKind::Timeout);
    assert!(err.transient);
    assert_eq!(err.message, "no data received for 300ms (read timeout)");
}

fn redirect_chain(path: &str) -> Reply {
    // /hop/N redirects to /hop/N-1; /hop/0 is the data.
    let n: u32 = path
        .strip_prefix("/hop/")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    if n == 0 {
        Reply::ok("text/csv", b"a;b\n1;2\n")
    } else {
        Reply::redirect(&format!("/hop/{}", n - 1))
    }
}

#[tokio::test]
async fn too_many_redirects_are_refused() {
    let server = TestServer::start("127.0.0.1", redirect_chain).await;
    let mut cfg = test_config();
    cfg.max_redirects = 3;

    let err = fetch(&server.url("/hop/4"), None, &cfg)
        .await
        .expect_err("too many redirects");

    assert_eq!(err.kind, FetchErrorKind::Redirect);
    assert!(!err.transient);
    assert_eq!(err.message, "too many redirects (more than 3)");
}

#[tokio::test]
async fn redirects_up_to_the_limit_are_followed() {
    let server = TestServer::start("127.0.0.1", redirect_chain).await;
    let mut cfg = test_config();
    cfg.max_redirects = 3;

    let fetched = fetch(&server.url("/hop/3"), None, &cfg)
        .await
        .expect("three redirects");

    assert_eq!(fetched.source, server.url("/hop/0"));
    assert_eq!(fetched.byte_size, 8);
}

#[tokio::test]
async fn a_redirect_loop_is_refused() {
    let server = TestServer::start("127.0.0.1", |_| Reply::redirect("/loop")).await;

    let err = fetch(&server.url("/loop"), None, &test_config())
        .await
        .expect_err("loop");

    assert_eq!(err.kind, FetchErrorKind::Redirect);
    assert_eq!(err.message, "too many redirects (more than 5)");
}
