//! The RabbitMQ side of the worker: connect, declare the topology, consume,
//! and start over with back-off when the connection breaks, until told to
//! stop.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dataprof_queue::amqp::{self, AmqpJobSource, AmqpPublisher, Connection};
use dataprof_queue::{QueueError, Topology};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::session::{SessionEnd, run_session};
use super::{ConsumerSettings, JobRunner};
use crate::metrics as m;

/// Longest wait for the broker to accept a connection and the topology.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// First wait before reconnecting; it doubles up to the configured cap.
const FIRST_RECONNECT_DELAY: Duration = Duration::from_millis(200);

/// Everything `dataprof worker` needs besides the job runner.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub amqp_url: String,
    pub topology: Topology,
    pub consumer: ConsumerSettings,
    /// Longest wait between two connection attempts.
    pub reconnect_max_delay: Duration,
}

/// Whether the worker is connected to the broker, for `/healthz`. Clones
/// share the flag.
#[derive(Debug, Clone, Default)]
pub struct Health(Arc<AtomicBool>);

impl Health {
    pub fn is_connected(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    pub fn set_connected(&self, connected: bool) {
        self.0.store(connected, Ordering::Relaxed);
        m::broker_connected(connected);
    }
}

/// Runs the worker until `shutdown` is cancelled: returns once in-flight
/// jobs are drained (or left to the broker past the drain deadline).
///
/// Returns an error only when the broker refuses the credentials, the
/// virtual host or a permission: retrying cannot fix a setting, and an
/// operator (or a supervisor's restart policy) should see it at once.
/// Every other broker fault is retried with back-off.
pub async fn run_worker<R: JobRunner>(
    settings: WorkerSettings,
    runner: Arc<R>,
    health: Health,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut backoff = Backoff::new(settings.reconnect_max_delay);
    while !shutdown.is_cancelled() {
        match open_session(&settings).await {
            Ok((connection, source, publisher)) => {
                backoff.reset();
                health.set_connected(true);
                info!(
                    queue = %settings.topology.jobs_queue(),
                    concurrency = settings.consumer.concurrency,
                    "connected to the broker, consuming jobs"
                );
                let end = run_session(
                    source,
                    Arc::new(publisher),
                    Arc::clone(&runner),
                    &settings.consumer,
                    &shutdown,
                )
                .await;
                health.set_connected(false);
                // Closing returns whatever this worker still holds.
                if let Err(e) = connection.close(200, "worker stopping".into()).await {
                    info!(error = %e, "connection already closed");
                }
                if end == SessionEnd::Stopped {
                    break;
                }
            }
            Err(e) if refused_by_broker(&e) => {
                error!(error = %format!("{e:#}"), "the broker refused this worker; stopping");
                return Err(e.context("the broker refused the worker's login or permissions"));
            }
            Err(e) => warn!(error = %format!("{e:#}"), "cannot start consuming"),
        }
        let delay = backoff.next_delay();
        info!(
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "reconnecting after a pause"
        );
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(delay) => {}
        }
    }
    info!("worker stopped");
    Ok(())
}

fn refused_by_broker(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<QueueError>()
        .is_some_and(QueueError::is_access_refused)
}

/// Connects, declares the topology, and starts consuming.
async fn open_session(
    settings: &WorkerSettings,
) -> anyhow::Result<(Connection, AmqpJobSource, AmqpPublisher)> {
    let opening = async {
        let name = format!("dataprof worker (pid {})", std::process::id());
        let connection = amqp::connect(&settings.amqp_url, &name).await?;
        m::broker_connection_opened();
        let publisher = AmqpPublisher::open(&connection, settings.topology.clone()).await?;
        amqp::declare_topology(publisher.channel(), publisher.topology()).await?;
        let prefetch = u16::try_from(settings.consumer.concurrency).unwrap_or(u16::MAX);
        let source = AmqpJobSource::start(&connection, publisher.clone(), prefetch).await?;
        anyhow::Ok((connection, source, publisher))
    };
    tokio::time::timeout(CONNECT_TIMEOUT, opening)
        .await
        .map_err(|_| anyhow::anyhow!("the broker did not answer within {CONNECT_TIMEOUT:?}"))?
}

/// Cancels `shutdown` on SIGTERM or SIGINT (ctrl-c).
pub fn stop_on_signals(shutdown: CancellationToken) -> std::io::Result<()> {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::spawn(async move {
        #[cfg(unix)]
        let signal = tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = tokio::signal::ctrl_c() => "SIGINT",
        };
        #[cfg(not(unix))]
        let signal = {
            let _ = tokio::signal::ctrl_c().await;
            "ctrl-c"
        };
        shutdown.cancel();
        info!(signal, "stop requested");
    });
    Ok(())
}

/// Exponential back-off with a little jitter, so workers that lost the
/// broker together do not all come back at the same instant.
#[derive(Debug)]
struct Backoff {
    current: Duration,
    max: Duration,
}

impl Backoff {
    fn new(max: Duration) -> Self {
        Backoff {
            current: FIRST_RECONNECT_DELAY.min(max),
            max,
        }
    }

    fn reset(&mut self) {
        self.current = FIRST_RECONNECT_DELAY.min(self.max);
    }

    fn next_delay(&mut self) -> Duration {
        let delay = self.current;
        self.current = self.current.saturating_mul(2).min(self.max);
        delay + jitter(delay / 4)
    }
}

/// A pseudo-random duration below `bound`, from the clock's nanoseconds.
fn jitter(bound: Duration) -> Duration {
    let bound_ns = bound.as_nanos();
    if bound_ns == 0 {
        return Duration::ZERO;
    }
    let now_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    Duration::from_nanos(u64::try_from(u128::from(now_ns) % bound_ns).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_and_resets() {
        let mut backoff = Backoff::new(Duration::from_secs(1));
        let first = backoff.next_delay();
        assert!(first >= Duration::from_millis(200) && first < Duration::from_millis(250));
        let second = backoff.next_delay();
        assert!(second >= Duration::from_millis(400) && second < Duration::from_millis(500));
        backoff.next_delay();
        let capped = backoff.next_delay();
        assert!(capped >= Duration::from_secs(1) && capped < Duration::from_millis(1250));
        backoff.reset();
        assert!(backoff.next_delay() < Duration::from_millis(250));
    }
}
