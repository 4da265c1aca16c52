//! `dataprof`: profile open-data distributions, embedded or as a worker.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use dataprof::config::{
    Cli, Command, EnqueueArgs, MetricsAddr, ProfileArgs, WorkerArgs, redact_url,
};
use dataprof::worker::{self, DelayedRunner, Health};
use dataprof::{enqueue, input, logging, metrics};
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

/// Time blocking work (a profile still parsing) gets after the worker is
/// done, before the process exits anyway.
const BLOCKING_GRACE: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    let cli = Cli::parse();
    // lapin logs every connection fault at ERROR from its own tasks, and
    // the worker logs the same faults once with what it does about them;
    // `--log-level lapin=debug` brings lapin's own lines back.
    let default_filter = match cli.command {
        Command::Profile(_) => "warn,lapin=off",
        Command::Worker(_) | Command::Enqueue(_) => "info,lapin=off",
    };
    if let Err(err) = logging::init(
        cli.log.log_format,
        cli.log.log_level.as_deref(),
        default_filter,
    ) {
        eprintln!("dataprof: {err:#}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("dataprof: cannot start the async runtime: {err}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Profile(args) => runtime.block_on(run_profile(args)),
        Command::Worker(args) => runtime.block_on(run_worker(*args)),
        Command::Enqueue(args) => runtime.block_on(run_enqueue(args)),
    };
    runtime.shutdown_timeout(BLOCKING_GRACE);
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("dataprof: {err:#}");
            ExitCode::from(2)
        }
    }
}

async fn run_profile(args: ProfileArgs) -> anyhow::Result<ExitCode> {
    let input = input::resolve(&args.input)?;
    let pipeline = args.pipeline(input.base_dir);
    let run = pipeline.run(&input.job).await;
    let json = if args.pretty {
        serde_json::to_string_pretty(&run.profile)?
    } else {
        serde_json::to_string(&run.profile)?
    };
    print_line(&json)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` and a line feed to stdout. A reader that has gone (`|
/// head -c 100`) is not an error of ours: the rest is dropped quietly.
fn print_line(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(err).context("cannot write to stdout"))
        }
        _ => Ok(()),
    }
}

async fn run_worker(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    let settings = args.settings()?;
    let pipeline = args.pipeline();
    let shutdown = CancellationToken::new();
    worker::supervisor::stop_on_signals(shutdown.clone())?;
    let health = Health::default();
    let metrics_server = match args.worker.metrics_addr {
        MetricsAddr::Disabled => None,
        MetricsAddr::Listen(addr) => {
            let handle = metrics::install()?;
            let listener = metrics::bind(addr).await?;
            let serving = metrics::serve(listener, handle, health.clone(), shutdown.clone());
            Some(tokio::spawn(serving))
        }
    };
    info!(
        amqp_url = %redact_url(&settings.amqp_url),
        prefix = %settings.topology.prefix(),
        concurrency = settings.consumer.concurrency,
        max_retries = settings.consumer.retry.max_retries,
        "worker starting"
    );
    let outcome = match args.worker.job_delay {
        Some(delay) => {
            let runner = DelayedRunner {
                inner: pipeline,
                delay: delay.0,
            };
            worker::run_worker(settings, Arc::new(runner), health, shutdown.clone()).await
        }
        None => worker::run_worker(settings, Arc::new(pipeline), health, shutdown.clone()).await,
    };
    shutdown.cancel();
    if let Some(server) = metrics_server {
        match server.await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => error!(error = %format!("{err:#}"), "metrics endpoint failed"),
            Err(err) => error!(error = %err, "metrics endpoint crashed"),
        }
    }
    outcome.map(|()| ExitCode::SUCCESS)
}

async fn run_enqueue(args: EnqueueArgs) -> anyhow::Result<ExitCode> {
    let report = enqueue::run(&args).await?;
    for rejected in &report.rejected {
        eprintln!(
            "dataprof: {}: not enqueued: {}",
            rejected.origin, rejected.error
        );
    }
    print_line(&format!(
        "enqueued {} job(s) to {}.jobs, {} invalid",
        report.enqueued,
        args.broker.queue_prefix,
        report.rejected.len()
    ))?;
    Ok(if report.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
