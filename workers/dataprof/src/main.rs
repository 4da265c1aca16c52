//! `dataprof`: profile open-data distributions, embedded or as a worker.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dataprof::{Pipeline, input};

#[derive(Debug, Parser)]
#[command(
    name = "dataprof",
    version,
    about = "Profile open-data catalog distributions"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Profile a catalog entry, a job, a URL or a local file; print the data_profile.
    Profile(ProfileArgs),
}

#[derive(Debug, clap::Args)]
struct ProfileArgs {
    /// Catalog entry or job JSON file, http(s) URL, file:// URL or data file.
    input: String,
    /// Indent the JSON output.
    #[arg(long)]
    pretty: bool,
    /// Records kept in sample_records.
    #[arg(long, default_value_t = 5, env = "DATAPROF_SAMPLE_SIZE")]
    sample_size: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DATAPROF_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let result = match cli.command {
        Command::Profile(args) => run_profile(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("dataprof: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run_profile(args: ProfileArgs) -> anyhow::Result<()> {
    let input = input::resolve(&args.input)?;
    let mut pipeline = Pipeline {
        base_dir: input.base_dir,
        ..Pipeline::default()
    };
    pipeline.fetch.policy.allow_local_files = true;
    pipeline.profile.sample_size = args.sample_size;
    let runtime = tokio::runtime::Runtime::new()?;
    let run = runtime.block_on(pipeline.run(&input.job));
    let json = if args.pretty {
        serde_json::to_string_pretty(&run.profile)?
    } else {
        serde_json::to_string(&run.profile)?
    };
    println!("{json}");
    Ok(())
}
