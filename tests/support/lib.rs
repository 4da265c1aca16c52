//! Shared support for the end-to-end tests: where the fixtures are, and a
//! local HTTP server that serves them the way real portals do (and the way
//! broken ones do).

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};

use axum::Router;
use axum::extract::{Path as UrlPath, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

/// The repository's `tests/fixtures` folder.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A file under `tests/fixtures`.
pub fn fixture(relative: &str) -> PathBuf {
    fixtures_dir().join(relative)
}

/// Every truth entry, each with the path of the file it describes.
pub fn truth_entries() -> Vec<(PathBuf, Value)> {
    let mut entries = Vec::new();
    for folder in ["corpus", "peers/duckdb"] {
        let dir = fixtures_dir().join(folder);
        let text = std::fs::read_to_string(dir.join("TRUTH.json")).expect("truth file");
        let list: Vec<Value> = serde_json::from_str(&text).expect("truth JSON");
        for entry in list {
            let file = entry["file"].as_str().expect("truth entry names its file");
            entries.push((dir.join(file), entry));
        }
    }
    entries
}

/// A local HTTP server over `tests/fixtures`, on 127.0.0.1 and an
/// ephemeral port, for as long as the test's runtime lives.
///
/// - `/files/<path>` serves a fixture; `?content_type=...` overrides the
///   Content-Type, to show the bytes decide and not the headers.
/// - `/status/<code>` answers with that status and a short body.
pub struct FileServer {
    pub addr: SocketAddr,
}

impl FileServer {
    pub async fn start() -> FileServer {
        let app = Router::new()
            .route("/files/{*path}", get(serve_fixture))
            .route("/status/{code}", get(serve_status));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("file server");
        });
        FileServer { addr }
    }

    /// The URL of a fixture, e.g. `url("corpus/laposte_hexasmal.csv")`.
    pub fn url(&self, relative: &str) -> String {
        format!("http://{}/files/{relative}", self.addr)
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn serve_fixture(
    UrlPath(path): UrlPath<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let relative = Path::new(&path);
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return StatusCode::BAD_REQUEST.into_response();
    }
    match tokio::fs::read(fixtures_dir().join(relative)).await {
        Ok(bytes) => {
            let mut headers = HeaderMap::new();
            let content_type = query
                .get("content_type")
                .map_or("application/octet-stream", String::as_str);
            if let Ok(value) = HeaderValue::from_str(content_type) {
                headers.insert(header::CONTENT_TYPE, value);
            }
            (headers, bytes).into_response()
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn serve_status(UrlPath(code): UrlPath<u16>) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, format!("status {code}\n")).into_response()
}

/// A pipeline as a worker would run it, allowed to reach the local server.
pub fn loopback_pipeline() -> dataprof::Pipeline {
    let mut pipeline = dataprof::Pipeline::default();
    pipeline.fetch.policy.allowed_networks = vec!["127.0.0.0/8".parse().expect("cidr")];
    pipeline
}
