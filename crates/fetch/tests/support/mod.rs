//! A scripted HTTP/1.1 server for the fetch tests.
//!
//! A hand-written server rather than axum: the tests need byte-level control
//! that a real server refuses to produce (a Content-Length larger than the
//! body, a head then silence, one byte every 200 ms) and a count of accepted
//! TCP connections, to prove that refused destinations were never contacted.

#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dataprof_fetch::{FetchConfig, NetworkPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One step of a scripted response.
#[derive(Debug, Clone)]
pub enum Step {
    Send(Vec<u8>),
    Sleep(Duration),
    /// Keep the connection open and send nothing more.
    Hang,
}

/// What the server does for one request: the steps, then close.
#[derive(Debug, Clone)]
pub struct Reply(pub Vec<Step>);

impl Reply {
    /// A complete response with a Content-Length.
    pub fn ok(content_type: &str, body: &[u8]) -> Reply {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        Reply(vec![
            Step::Send(head.into_bytes()),
            Step::Send(body.to_vec()),
        ])
    }

    /// An error status with a small body.
    pub fn status(code: u16, reason: &str) -> Reply {
        let body = format!("<html><body><h1>{code} {reason}</h1></body></html>");
        let head = format!(
            "HTTP/1.1 {code} {reason}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        Reply(vec![
            Step::Send(head.into_bytes()),
            Step::Send(body.into_bytes()),
        ])
    }

    pub fn redirect(location: &str) -> Reply {
        let head = format!(
            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        Reply(vec![Step::Send(head.into_bytes())])
    }

    /// A 200 head with the given extra header lines, then the steps.
    pub fn head_then(extra_headers: &str, steps: Vec<Step>) -> Reply {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n{extra_headers}Connection: close\r\n\r\n"
        );
        let mut all = vec![Step::Send(head.into_bytes())];
        all.extend(steps);
        Reply(all)
    }

    /// A chunked 200 response made of `chunks`.
    pub fn chunked(chunks: &[Vec<u8>]) -> Reply {
        let mut steps = Vec::new();
        for chunk in chunks {
            let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
            framed.extend_from_slice(chunk);
            framed.extend_from_slice(b"\r\n");
            steps.push(Step::Send(framed));
        }
        steps.push(Step::Send(b"0\r\n\r\n".to_vec()));
        Reply::head_then("Transfer-Encoding: chunked\r\n", steps)
    }
}

/// A listening test server; counts the TCP connections it accepted.
pub struct TestServer {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
}

impl TestServer {
    /// Serves on `ip` (port chosen by the system), answering each request
    /// path with `route(path)`.
    pub async fn start<F>(ip: &str, route: F) -> TestServer
    where
        F: Fn(&str) -> Reply + Send + Sync + 'static,
    {
        let ip: IpAddr = ip.parse().expect("test server address");
        let listener = TcpListener::bind((ip, 0)).await.expect("bind test server");
        let addr = listener.local_addr().expect("local addr");
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&connections);
        let route = Arc::new(route);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let route = Arc::clone(&route);
                tokio::spawn(async move { serve(stream, route.as_ref()).await });
            }
        });
        TestServer { addr, connections }
    }

    /// A listener that only counts connections (answers nothing useful).
    pub async fn counting(ip: &str) -> TestServer {
        TestServer::start(ip, |_| Reply::ok("text/plain", b"reached")).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Connections accepted so far (after a short grace period, so that a
    /// connection in flight is counted).
    pub async fn connections(&self) -> usize {
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.connections.load(Ordering::SeqCst)
    }
}

async fn serve(mut stream: TcpStream, route: &(dyn Fn(&str) -> Reply + Send + Sync)) {
    let Some(path) = read_request_path(&mut stream).await else {
        return;
    };
    let Reply(steps) = route(&path);
    for step in steps {
        match step {
            Step::Send(bytes) => {
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
                let _ = stream.flush().await;
            }
            Step::Sleep(d) => tokio::time::sleep(d).await,
            Step::Hang => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
        }
    }
    let _ = stream.shutdown().await;
}

/// Reads a request head; returns its path.
async fn read_request_path(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 || head.len() > 16 << 10 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let first = text.lines().next()?;
    first.split(' ').nth(1).map(str::to_owned)
}

/// A configuration with short timeouts for tests; loopback 127.0.0.1 is
/// allowed as in the worker's test setup.
pub fn test_config() -> FetchConfig {
    FetchConfig {
        max_bytes: 10 << 20,
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        max_redirects: 5,
        policy: NetworkPolicy {
            allow_local_files: false,
            allowed_networks: NetworkPolicy::parse_allow_list("127.0.0.1/32").expect("allow-list"),
            allow_all_addresses: false,
        },
        ..FetchConfig::default()
    }
}

/// A worker configuration with an empty allow-list.
pub fn strict_config() -> FetchConfig {
    let mut cfg = test_config();
    cfg.policy.allowed_networks.clear();
    cfg
}

/// The canonical path of a repository fixture (no `..` left in it).
pub fn fixture(relative: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/"
    ))
    .join(relative)
    .canonicalize()
    .expect("fixture exists")
}

pub fn fixture_bytes(relative: &str) -> Vec<u8> {
    std::fs::read(fixture(relative)).expect("fixture")
}
