//! One structured `tracing` event per download, with its outcome.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use dataprof_fetch::fetch;
use support::{Reply, TestServer, test_config};

/// Collects formatted log lines in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn download_lines(&self) -> Vec<String> {
        let bytes = self.0.lock().expect("log buffer").clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|l| l.contains("download finished") || l.contains("download failed"))
            .map(str::to_owned)
            .collect()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn each_download_logs_one_event_with_its_outcome() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = TestServer::start("127.0.0.1", |path| match path {
        "/ok.csv" => Reply::ok("text/csv", b"code;nom\n01;Ain\n"),
        _ => Reply::status(503, "Service Unavailable"),
    })
    .await;

    fetch(&server.url("/ok.csv"), None, &test_config())
        .await
        .expect("download");
    let lines = captured.download_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let ok = &lines[0];
    assert!(ok.contains(r#""outcome":"ok""#), "{ok}");
    assert!(ok.contains(r#""status":200"#), "{ok}");
    assert!(ok.contains(r#""bytes":16"#), "{ok}");
    assert!(ok.contains(r#""elapsed_ms":"#), "{ok}");
    assert!(
        ok.contains(&format!(r#""url":"{}""#, server.url("/ok.csv"))),
        "{ok}"
    );

    fetch(&server.url("/busy.csv"), None, &test_config())
        .await
        .expect_err("503");
    let lines = captured.download_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let failed = &lines[1];
    assert!(
        failed.contains(r#""outcome":"transient_error""#),
        "{failed}"
    );
    assert!(failed.contains(r#""status":503"#), "{failed}");
    assert!(
        failed.contains(r#""error":"HTTP 503 Service Unavailable""#),
        "{failed}"
    );
}
