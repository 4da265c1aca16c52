//! Prometheus metrics and the `/metrics` and `/healthz` endpoints.
//!
//! Metrics are recorded through the `metrics` facade; until [`install`]
//! sets the Prometheus recorder (the worker does, `profile` does not) they
//! cost nothing.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use dataprof_model::DistributionStatus;
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::worker::Health;

/// Jobs finished, by `outcome`: the published status (`profiled`,
/// `partial`, `unsupported`, `failed`), `retried`, `requeued` (result not
/// published) or `abandoned` (connection lost or drain deadline passed).
pub const JOBS: &str = "dataprof_jobs_total";
/// Wall time of a job, receipt to settlement, by `outcome`.
pub const JOB_DURATION: &str = "dataprof_job_duration_seconds";
pub const JOBS_IN_FLIGHT: &str = "dataprof_jobs_in_flight";
/// Retries scheduled after transient faults.
pub const JOB_RETRIES: &str = "dataprof_job_retries_total";
/// Jobs moved to the dead-letter queue, by `reason`.
pub const DEAD_LETTERS: &str = "dataprof_dead_letters_total";
pub const BYTES_DOWNLOADED: &str = "dataprof_downloaded_bytes_total";
/// Fetch and profile time of one distribution, by `status`.
pub const DISTRIBUTION_DURATION: &str = "dataprof_distribution_duration_seconds";
/// Time of one pipeline step (`step` = `fetch` or `profile`), recorded by
/// the pipeline.
pub const STEP_DURATION: &str = "dataprof_step_duration_seconds";
pub const BROKER_CONNECTED: &str = "dataprof_broker_connected";
pub const BROKER_CONNECTIONS: &str = "dataprof_broker_connections_total";

/// Histogram buckets for durations, in seconds: jobs take from
/// milliseconds (a 404) to minutes (a large download).
const DURATION_BUCKETS: [f64; 13] = [
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 180.0, 600.0,
];
/// How often histograms are compacted.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Installs the Prometheus recorder for this process.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &DURATION_BUCKETS)
        .context("invalid histogram buckets")?
        .install_recorder()
        .context("cannot install the metrics recorder")?;
    describe();
    Ok(handle)
}

fn describe() {
    describe_counter!(JOBS, "Jobs finished, by outcome");
    describe_histogram!(
        JOB_DURATION,
        metrics::Unit::Seconds,
        "Job wall time, receipt to settlement"
    );
    describe_gauge!(JOBS_IN_FLIGHT, "Jobs being run now");
    describe_counter!(JOB_RETRIES, "Retries scheduled after transient faults");
    describe_counter!(DEAD_LETTERS, "Jobs dead-lettered, by reason");
    describe_counter!(
        BYTES_DOWNLOADED,
        metrics::Unit::Bytes,
        "Bytes of distributions downloaded"
    );
    describe_histogram!(
        DISTRIBUTION_DURATION,
        metrics::Unit::Seconds,
        "Fetch and profile time of one distribution"
    );
    describe_histogram!(
        STEP_DURATION,
        metrics::Unit::Seconds,
        "Time of one pipeline step"
    );
    describe_gauge!(BROKER_CONNECTED, "1 while connected to the broker");
    describe_counter!(BROKER_CONNECTIONS, "Broker connections opened");
    // Counters that may stay at zero for a long time are shown from the
    // start, so that a dashboard or an alert on them has a series to read.
    counter!(JOB_RETRIES).absolute(0);
    for reason in DEAD_LETTER_REASONS {
        counter!(DEAD_LETTERS, "reason" => reason).absolute(0);
    }
    counter!(BYTES_DOWNLOADED).absolute(0);
}

/// The `reason` labels of [`DEAD_LETTERS`].
pub(crate) const DEAD_LETTER_REASONS: [&str; 3] =
    ["invalid_message", "crashed", "retries_exhausted"];

/// Binds the metrics listener (port 0 picks a free port).
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} for metrics"))
}

/// Serves `/metrics` and `/healthz` on `listener` until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    handle: PrometheusHandle,
    health: Health,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        info!(%addr, "serving /metrics and /healthz");
    }
    let upkeep = handle.clone();
    let upkeep_stop = shutdown.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(UPKEEP_INTERVAL);
        while upkeep_stop
            .run_until_cancelled(ticks.tick())
            .await
            .is_some()
        {
            upkeep.run_upkeep();
        }
    });
    axum::serve(listener, router(handle, health))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .context("metrics server failed")
}

#[derive(Clone)]
struct Endpoints {
    handle: PrometheusHandle,
    health: Health,
}

/// The two operational endpoints.
pub fn router(handle: PrometheusHandle, health: Health) -> Router {
    Router::new()
        .route("/metrics", get(render_metrics))
        .route("/healthz", get(report_health))
        .with_state(Endpoints { handle, health })
}

async fn render_metrics(State(endpoints): State<Endpoints>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        endpoints.handle.render(),
    )
}

async fn report_health(State(endpoints): State<Endpoints>) -> (StatusCode, &'static str) {
    if endpoints.health.is_connected() {
        (StatusCode::OK, "connected to the broker\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not connected to the broker\n",
        )
    }
}

pub(crate) fn job_finished(outcome: &'static str, elapsed: Duration) {
    counter!(JOBS, "outcome" => outcome).increment(1);
    histogram!(JOB_DURATION, "outcome" => outcome).record(elapsed.as_secs_f64());
}

pub(crate) fn job_retried() {
    counter!(JOB_RETRIES).increment(1);
}

pub(crate) fn job_dead_lettered(reason: &'static str) {
    counter!(DEAD_LETTERS, "reason" => reason).increment(1);
}

pub(crate) fn bytes_downloaded(bytes: u64) {
    counter!(BYTES_DOWNLOADED).increment(bytes);
}

pub(crate) fn distribution_profiled(status: DistributionStatus, elapsed_ms: u64) {
    let status = match status {
        DistributionStatus::Profiled => "profiled",
        DistributionStatus::Unsupported => "unsupported",
        DistributionStatus::Failed => "failed",
    };
    histogram!(DISTRIBUTION_DURATION, "status" => status)
        .record(Duration::from_millis(elapsed_ms).as_secs_f64());
}

pub(crate) fn broker_connected(connected: bool) {
    gauge!(BROKER_CONNECTED).set(if connected { 1.0 } else { 0.0 });
}

pub(crate) fn broker_connection_opened() {
    counter!(BROKER_CONNECTIONS).increment(1);
}

/// Counts a job in flight for as long as it lives.
pub(crate) struct InFlight;

impl InFlight {
    pub(crate) fn start() -> Self {
        gauge!(JOBS_IN_FLIGHT).increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        gauge!(JOBS_IN_FLIGHT).decrement(1.0);
    }
}
