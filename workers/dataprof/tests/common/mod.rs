//! Helpers shared by the worker tests. Each test binary uses a part.

#![allow(dead_code)]

pub mod broker;
pub mod runners;

use std::time::Duration;

/// A job message in the job form.
pub fn job_body(entry_id: &str, run_id: Option<&str>) -> Vec<u8> {
    let mut job = serde_json::json!({
        "entry_id": entry_id,
        "distributions": [{"download_url": "http://127.0.0.1:9/none.csv"}]
    });
    if let Some(run_id) = run_id {
        job["run_id"] = serde_json::Value::from(run_id);
    }
    serde_json::to_vec(&job).unwrap_or_default()
}

/// Long enough for anything a test waits for; tests that pass are much
/// quicker.
pub const WAIT: Duration = Duration::from_secs(20);

/// A plain HTTP/1.1 GET; returns the status code and the body.
pub async fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return (0, String::new());
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return (0, String::new());
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response).await;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}
