//! The real broker, the `dataprof` binary and a local HTTP server, for the
//! broker tests. Each test gets its own queue prefix and deletes its
//! queues at the end; worker processes are killed (by their pid) when
//! their handle drops.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dataprof_model::DataProfile;
use dataprof_queue::Topology;
use dataprof_queue::amqp::lapin::options::{BasicGetOptions, QueueDeclareOptions};
use dataprof_queue::amqp::lapin::types::FieldTable;
use dataprof_queue::amqp::lapin::{BasicProperties, Channel};
use dataprof_queue::amqp::{self, AmqpPublisher, Connection};

pub fn amqp_url() -> String {
    std::env::var("DATAPROF_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

/// A prefix no other test uses.
pub fn unique_prefix(name: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("t-{name}-{}", &id[..12])
}

/// A test's own view of the broker: it publishes raw messages, reads the
/// results and dead letters, and deletes the topology at the end.
pub struct TestBroker {
    pub connection: Connection,
    pub publisher: AmqpPublisher,
    pub topology: Topology,
    /// Retry queues to delete besides the main topology.
    pub retry_delays: Vec<Duration>,
    cleaned: bool,
}

/// A message read back from a queue.
#[derive(Debug)]
pub struct Received {
    pub routing_key: String,
    pub properties: BasicProperties,
    pub body: Vec<u8>,
}

impl Received {
    pub fn profile(&self) -> DataProfile {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not a data_profile ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

impl TestBroker {
    pub async fn connect(prefix: &str) -> TestBroker {
        let connection = amqp::connect(&amqp_url(), "dataprof test")
            .await
            .unwrap_or_else(|e| panic!("the broker must be running for these tests: {e}"));
        let topology = Topology::new(prefix).unwrap_or_else(|e| panic!("{e}"));
        let publisher = AmqpPublisher::open(&connection, topology.clone())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        amqp::declare_topology(publisher.channel(), &topology)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        TestBroker {
            connection,
            publisher,
            topology,
            retry_delays: Vec::new(),
            cleaned: false,
        }
    }

    pub fn channel(&self) -> &Channel {
        self.publisher.channel()
    }

    /// Publishes raw bytes to the jobs exchange, as a producer would.
    pub async fn publish_raw(&self, body: &[u8]) {
        self.publisher
            .publish_job(body, "raw")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Ready messages and consumers of `queue`.
    pub async fn queue_state(&self, queue: &str) -> (u32, u32) {
        let passive = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        let q = self
            .channel()
            .queue_declare(queue.into(), passive, FieldTable::default())
            .await
            .unwrap_or_else(|e| panic!("{queue}: {e}"));
        (q.message_count(), q.consumer_count())
    }

    /// Waits until `queue` has `consumers` consumers.
    pub async fn wait_for_consumers(&self, queue: &str, consumers: u32, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.queue_state(queue).await.1 != consumers {
            assert!(
                Instant::now() < deadline,
                "{queue} never had {consumers} consumers"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `queue` holds no ready message.
    pub async fn wait_until_empty(&self, queue: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.queue_state(queue).await.0 != 0 {
            assert!(Instant::now() < deadline, "{queue} was never emptied");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Takes up to `count` messages from `queue`, waiting at most
    /// `timeout` for them.
    pub async fn take(&self, queue: &str, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        let mut taken = Vec::new();
        while taken.len() < count && Instant::now() < deadline {
            let got = self
                .channel()
                .basic_get(queue.into(), BasicGetOptions { no_ack: true })
                .await
                .unwrap_or_else(|e| panic!("{queue}: {e}"));
            match got {
                Some(message) => taken.push(Received {
                    routing_key: message.delivery.routing_key.to_string(),
                    properties: message.delivery.properties.clone(),
                    body: message.delivery.data.clone(),
                }),
                None => tokio::time::sleep(Duration::from_millis(25)).await,
            }
        }
        taken
    }

    /// Results published so far, waiting up to `timeout` for `count`.
    pub async fn results(&self, count: usize, timeout: Duration) -> Vec<Received> {
        self.take(&self.topology.results_queue(), count, timeout)
            .await
    }

    /// Deletes this test's queues and exchanges (with the retry queues for
    /// `retry_delays`).
    pub async fn cleanup(mut self, retry_delays: &[Duration]) {
        self.cleaned = true;
        let mut delays = self.retry_delays.clone();
        delays.extend_from_slice(retry_delays);
        amqp::delete_topology(self.channel(), &self.topology, &delays)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let _ = self.connection.close(200, "test done".into()).await;
    }
}

/// A test that failed before its cleanup still deletes its queues, from a
/// thread of its own (Drop cannot await).
impl Drop for TestBroker {
    fn drop(&mut self) {
        if self.cleaned {
            return;
        }
        let topology = self.topology.clone();
        let delays = self.retry_delays.clone();
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(connection) = amqp::connect(&amqp_url(), "dataprof test cleanup").await {
                    if let Ok(channel) = connection.create_channel().await {
                        let _ = amqp::delete_topology(&channel, &topology, &delays).await;
                    }
                    let _ = connection.close(200, "cleanup".into()).await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// A `dataprof worker` process, killed when dropped.
pub struct WorkerProcess {
    pub child: Child,
    pub log: PathBuf,
}

impl WorkerProcess {
    /// Starts `dataprof worker` on `prefix`; its log goes to `log`.
    pub fn start(prefix: &str, log: &Path, args: &[&str], envs: &[(&str, &str)]) -> Self {
        let log_file = std::fs::File::create(log).unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new(env!("CARGO_BIN_EXE_dataprof"))
            .args(["worker", "--queue-prefix", prefix])
            .args(args)
            .env("DATAPROF_AMQP_URL", amqp_url())
            .env("DATAPROF_METRICS_ADDR", "none")
            .env("DATAPROF_RECONNECT_MAX_DELAY", "1s")
            .env("DATAPROF_LOG", "info,lapin=warn")
            .envs(envs.iter().copied())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the worker: {e}"));
        WorkerProcess {
            child,
            log: log.to_owned(),
        }
    }

    /// Takes charge of a worker started by the test itself (no log file).
    pub fn adopt(child: Child) -> Self {
        WorkerProcess {
            child,
            log: PathBuf::new(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM to this worker.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(status.success());
    }

    /// Kills this worker with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        self.child.kill().unwrap_or_else(|e| panic!("{e}"));
        let _ = self.child.wait();
    }

    /// Waits for the worker to exit, at most `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the worker's log contains `needle`.
    pub async fn wait_for_log(&self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.log_text().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "worker log never said {needle:?}:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `dataprof enqueue` with `args`, feeding `stdin`.
pub fn enqueue(prefix: &str, args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dataprof"))
        .arg("enqueue")
        .args(args)
        .env("DATAPROF_QUEUE_PREFIX", prefix)
        .env("DATAPROF_AMQP_URL", amqp_url())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start enqueue: {e}"));
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin).unwrap_or_else(|e| panic!("{e}"));
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("{e}"))
}

/// A local HTTP server: `/data.csv` serves a small CSV, `/unavailable.csv`
/// always answers 503 and counts its hits.
pub struct FileServer {
    pub addr: SocketAddr,
    pub unavailable_hits: Arc<AtomicUsize>,
}

impl FileServer {
    pub async fn start() -> FileServer {
        use axum::Router;
        use axum::http::StatusCode;
        use axum::routing::get;
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        let app = Router::new()
            .route(
                "/data.csv",
                get(|| async { "code;nom\n01001;L'Abergement\n" }),
            )
            .route(
                "/unavailable.csv",
                get(move || {
                    counter.fetch_add(1, Ordering::SeqCst);
                    async { (StatusCode::SERVICE_UNAVAILABLE, "try later") }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        FileServer {
            addr,
            unavailable_hits: hits,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// A job in the job form for one URL.
pub fn job_for(entry_id: &str, run_id: &str, url: &str) -> String {
    serde_json::json!({
        "run_id": run_id,
        "entry_id": entry_id,
        "distributions": [{"id": format!("{entry_id}-d1"), "download_url": url}]
    })
    .to_string()
}
