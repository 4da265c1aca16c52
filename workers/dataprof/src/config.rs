//! Every setting of the `dataprof` command, as a flag and a `DATAPROF_*`
//! environment variable (a flag given on the command line wins).
//!
//! Durations are written `250ms`, `30s`, `5m` or `1h` (a bare number is
//! seconds); sizes `512MiB`, `2GiB`, `100MB` or a bare number of bytes.
//! Defaults come from the library types themselves (`FetchConfig`,
//! `Limits`, `RetryPolicy`), so the help text always shows the real ones.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use dataprof_fetch::{FetchConfig, NetworkPolicy};
use dataprof_profiler::{Limits, ProfileOptions};
use dataprof_queue::{RetryPolicy, Topology};
use ipnet::IpNet;

use crate::Pipeline;
use crate::logging::LogFormat;
use crate::worker::{ConsumerSettings, WorkerSettings};

/// The broker the worker and `enqueue` use when none is given.
pub const DEFAULT_AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

#[derive(Debug, Parser)]
#[command(
    name = "dataprof",
    version,
    about = "Profile open-data catalog distributions"
)]
pub struct Cli {
    #[command(flatten)]
    pub log: LogArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Profile a catalog entry, a job, a URL or a local file; print the data_profile.
    Profile(ProfileArgs),
    /// Consume jobs from RabbitMQ and publish their profiles.
    Worker(Box<WorkerArgs>),
    /// Publish jobs to RabbitMQ (entry or job files, JSON arrays, NDJSON; `-` reads stdin).
    Enqueue(EnqueueArgs),
}

#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Log output format, on stderr.
    #[arg(
        long,
        global = true,
        env = "DATAPROF_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Human
    )]
    pub log_format: LogFormat,
    /// Log filter, e.g. `info` or `dataprof=debug,lapin=warn`; RUST_LOG is
    /// read when unset [default: `warn,lapin=off` for profile,
    /// `info,lapin=off` otherwise].
    #[arg(long, global = true, env = "DATAPROF_LOG")]
    pub log_level: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ProfileArgs {
    /// Catalog entry or job JSON file, http(s) URL, file:// URL or data file.
    pub input: String,
    /// Indent the JSON output.
    #[arg(long)]
    pub pretty: bool,
    #[command(flatten)]
    pub fetch: FetchArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

impl ProfileArgs {
    /// The pipeline of the command line: local files allowed.
    pub fn pipeline(&self, base_dir: Option<PathBuf>) -> Pipeline {
        Pipeline {
            fetch: self.fetch.fetch_config(true),
            profile: self.limits.profile_options(),
            base_dir,
            ..Pipeline::default()
        }
    }
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Broker")]
pub struct BrokerArgs {
    /// RabbitMQ URL.
    #[arg(
        long,
        env = "DATAPROF_AMQP_URL",
        default_value = DEFAULT_AMQP_URL,
        hide_env_values = true
    )]
    pub amqp_url: String,
    /// Prefix of every queue and exchange name (`<prefix>.jobs`, ...).
    #[arg(long, env = "DATAPROF_QUEUE_PREFIX", default_value = "dataprof")]
    pub queue_prefix: String,
}

impl BrokerArgs {
    pub fn topology(&self) -> anyhow::Result<Topology> {
        Ok(Topology::new(&self.queue_prefix)?)
    }
}

#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub broker: BrokerArgs,
    #[command(flatten)]
    pub worker: WorkerLoopArgs,
    #[command(flatten)]
    pub fetch: FetchArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Worker")]
pub struct WorkerLoopArgs {
    /// Jobs run at once; also the broker prefetch.
    #[arg(
        long,
        env = "DATAPROF_CONCURRENCY",
        default_value_t = 4,
        value_parser = clap::value_parser!(u16).range(1..)
    )]
    pub concurrency: u16,
    /// Retries of a job after transient faults (timeouts, 5xx, 429) before
    /// it fails and is dead-lettered.
    #[arg(long, env = "DATAPROF_MAX_RETRIES", default_value_t = RetryPolicy::default().max_retries)]
    pub max_retries: u32,
    /// Wait before the first retry; it doubles at each retry.
    #[arg(
        long,
        env = "DATAPROF_RETRY_BASE_DELAY",
        default_value_t = HumanDuration(RetryPolicy::default().base_delay)
    )]
    pub retry_base_delay: HumanDuration,
    /// Longest wait between two attempts.
    #[arg(
        long,
        env = "DATAPROF_RETRY_MAX_DELAY",
        default_value_t = HumanDuration(RetryPolicy::default().max_delay)
    )]
    pub retry_max_delay: HumanDuration,
    /// Time in-flight jobs get to finish after SIGTERM/SIGINT; unfinished
    /// ones go back to the broker.
    #[arg(long, env = "DATAPROF_DRAIN_TIMEOUT", default_value_t = HumanDuration(ConsumerSettings::default().drain_timeout))]
    pub drain_timeout: HumanDuration,
    /// Longest wait between two attempts to reach the broker.
    #[arg(long, env = "DATAPROF_RECONNECT_MAX_DELAY", default_value = "30s")]
    pub reconnect_max_delay: HumanDuration,
    /// Address of the /metrics and /healthz endpoints, or `none`.
    #[arg(long, env = "DATAPROF_METRICS_ADDR", default_value = "0.0.0.0:9464")]
    pub metrics_addr: MetricsAddr,
    /// Test hook: wait this long before each job.
    #[arg(long, env = "DATAPROF_JOB_DELAY", hide = true)]
    pub job_delay: Option<HumanDuration>,
}

impl WorkerArgs {
    /// The worker's settings, checked.
    pub fn settings(&self) -> anyhow::Result<WorkerSettings> {
        let w = &self.worker;
        Ok(WorkerSettings {
            amqp_url: self.broker.amqp_url.clone(),
            topology: self.broker.topology()?,
            consumer: ConsumerSettings {
                concurrency: usize::from(w.concurrency),
                retry: RetryPolicy {
                    max_retries: w.max_retries,
                    base_delay: w.retry_base_delay.0,
                    max_delay: w.retry_max_delay.0,
                },
                drain_timeout: w.drain_timeout.0,
                ..ConsumerSettings::default()
            },
            reconnect_max_delay: w.reconnect_max_delay.0,
        })
    }

    /// The worker's pipeline: http(s) only, no local files.
    pub fn pipeline(&self) -> Pipeline {
        Pipeline {
            fetch: self.fetch.fetch_config(false),
            profile: self.limits.profile_options(),
            base_dir: None,
            ..Pipeline::default()
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct EnqueueArgs {
    #[command(flatten)]
    pub broker: BrokerArgs,
    /// Entry or job JSON files (an object, an array of them, or NDJSON);
    /// `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<String>,
}

/// Download limits and network policy (`FetchConfig`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Download limits and network policy")]
pub struct FetchArgs {
    /// Bytes one download may take.
    #[arg(long, env = "DATAPROF_MAX_DOWNLOAD_BYTES", default_value_t = ByteSize(FetchConfig::default().max_bytes))]
    pub max_download_bytes: ByteSize,
    /// Longest wait for a connection.
    #[arg(long, env = "DATAPROF_CONNECT_TIMEOUT", default_value_t = HumanDuration(FetchConfig::default().connect_timeout))]
    pub connect_timeout: HumanDuration,
    /// Longest wait for the next chunk of a response.
    #[arg(long, env = "DATAPROF_READ_TIMEOUT", default_value_t = HumanDuration(FetchConfig::default().read_timeout))]
    pub read_timeout: HumanDuration,
    /// Longest time for a whole download, redirects included.
    #[arg(long, env = "DATAPROF_TOTAL_TIMEOUT", default_value_t = HumanDuration(FetchConfig::default().total_timeout))]
    pub total_timeout: HumanDuration,
    /// Redirects followed per download.
    #[arg(long, env = "DATAPROF_MAX_REDIRECTS", default_value_t = FetchConfig::default().max_redirects)]
    pub max_redirects: usize,
    /// Network (CIDR or single address) downloads may reach even though it
    /// is loopback, private or link-local; repeat the flag, or separate
    /// with commas in the variable.
    #[arg(
        long = "allow-network",
        env = "DATAPROF_ALLOW_NETWORKS",
        value_name = "CIDR",
        value_delimiter = ',',
        value_parser = parse_network
    )]
    pub allow_networks: Vec<IpNet>,
    /// Skip every address check (trusted catalogs only). The variable
    /// reads true/false, 1/0, yes/no, on/off.
    #[arg(
        long,
        env = "DATAPROF_ALLOW_ALL_ADDRESSES",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub allow_all_addresses: bool,
    /// User-Agent header of downloads.
    #[arg(long, env = "DATAPROF_USER_AGENT", default_value_t = FetchConfig::default().user_agent)]
    pub user_agent: String,
    /// Directory for downloaded files [default: the system's temp dir].
    #[arg(long, env = "DATAPROF_TEMP_DIR")]
    pub temp_dir: Option<PathBuf>,
}

impl FetchArgs {
    #[allow(
        clippy::needless_update,
        reason = "fields added to the fetch types later keep their defaults"
    )]
    pub fn fetch_config(&self, allow_local_files: bool) -> FetchConfig {
        FetchConfig {
            max_bytes: self.max_download_bytes.0,
            connect_timeout: self.connect_timeout.0,
            read_timeout: self.read_timeout.0,
            total_timeout: self.total_timeout.0,
            max_redirects: self.max_redirects,
            user_agent: self.user_agent.clone(),
            temp_dir: self.temp_dir.clone(),
            policy: NetworkPolicy {
                allow_local_files,
                allowed_networks: self.allow_networks.clone(),
                allow_all_addresses: self.allow_all_addresses,
                ..NetworkPolicy::default()
            },
            ..FetchConfig::default()
        }
    }
}

/// What profiling keeps and the limits it must respect (`ProfileOptions`,
/// `Limits`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Profiling limits")]
pub struct LimitArgs {
    /// Records kept in sample_records.
    #[arg(long, env = "DATAPROF_SAMPLE_SIZE", default_value_t = ProfileOptions::default().sample_size)]
    pub sample_size: usize,
    /// Fields in one source.
    #[arg(long, env = "DATAPROF_MAX_FIELDS", default_value_t = Limits::default().max_fields)]
    pub max_fields: usize,
    /// Bytes an archive may decompress to, all members together.
    #[arg(long, env = "DATAPROF_MAX_DECOMPRESSED_BYTES", default_value_t = ByteSize(Limits::default().max_decompressed_bytes))]
    pub max_decompressed_bytes: ByteSize,
    /// Decompressed bytes per compressed byte before an archive is a bomb.
    #[arg(long, env = "DATAPROF_MAX_COMPRESSION_RATIO", default_value_t = Limits::default().max_compression_ratio)]
    pub max_compression_ratio: u64,
    /// Members an archive may list.
    #[arg(long, env = "DATAPROF_MAX_ARCHIVE_MEMBERS", default_value_t = Limits::default().max_archive_members)]
    pub max_archive_members: usize,
    /// Archives inside archives.
    #[arg(long, env = "DATAPROF_MAX_ARCHIVE_DEPTH", default_value_t = Limits::default().max_archive_depth)]
    pub max_archive_depth: u32,
    /// Nesting of JSON arrays and objects, 1 to 127 (the JSON parser's own
    /// limit).
    #[arg(
        long,
        env = "DATAPROF_MAX_JSON_DEPTH",
        default_value_t = Limits::default().max_json_depth,
        value_parser = parse_json_depth
    )]
    pub max_json_depth: usize,
    /// Bytes in one CSV record or NDJSON line.
    #[arg(long, env = "DATAPROF_MAX_RECORD_BYTES", default_value_t = ByteSize(Limits::default().max_record_bytes as u64))]
    pub max_record_bytes: ByteSize,
    /// Characters of a cell kept in samples and examples.
    #[arg(long, env = "DATAPROF_MAX_SAMPLE_CELL_CHARS", default_value_t = Limits::default().max_sample_cell_chars)]
    pub max_sample_cell_chars: usize,
}

impl LimitArgs {
    #[allow(
        clippy::needless_update,
        reason = "limits added to the profiler later keep their defaults"
    )]
    pub fn profile_options(&self) -> ProfileOptions {
        ProfileOptions {
            sample_size: self.sample_size,
            limits: Limits {
                max_fields: self.max_fields,
                max_decompressed_bytes: self.max_decompressed_bytes.0,
                max_compression_ratio: self.max_compression_ratio,
                max_archive_members: self.max_archive_members,
                max_archive_depth: self.max_archive_depth,
                max_json_depth: self.max_json_depth,
                max_record_bytes: usize::try_from(self.max_record_bytes.0).unwrap_or(usize::MAX),
                max_sample_cell_chars: self.max_sample_cell_chars,
                ..Limits::default()
            },
            ..ProfileOptions::default()
        }
    }
}

/// A duration written `250ms`, `30s`, `5m`, `1h 30m` (humantime's
/// syntax), or a bare number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl FromStr for HumanDuration {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Ok(seconds) = text.parse::<u64>() {
            return Ok(HumanDuration(Duration::from_secs(seconds)));
        }
        humantime::parse_duration(text)
            .map(HumanDuration)
            .map_err(|e| format!("{text:?} is not a duration such as 250ms, 30s, 5m or 1h: {e}"))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

/// A size written `512MiB`, `2GiB`, `100MB`, `1.5 GB` (the bytesize
/// crate's syntax), or a bare number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl FromStr for ByteSize {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        text.parse::<bytesize::ByteSize>()
            .map(|size| ByteSize(size.as_u64()))
            .map_err(|e| format!("{text:?} is not a size such as 512MiB or 1000000: {e}"))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", bytesize::ByteSize(self.0).display().iec())
    }
}

/// Where the metrics endpoints listen, if anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsAddr {
    Disabled,
    Listen(SocketAddr),
}

impl FromStr for MetricsAddr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "" | "none" | "off" => Ok(MetricsAddr::Disabled),
            addr => addr.parse().map(MetricsAddr::Listen).map_err(|_| {
                format!("{addr:?} is not an address such as 0.0.0.0:9464 (or `none`)")
            }),
        }
    }
}

impl fmt::Display for MetricsAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricsAddr::Disabled => write!(f, "none"),
            MetricsAddr::Listen(addr) => write!(f, "{addr}"),
        }
    }
}

/// A network in CIDR notation, or one address.
fn parse_json_depth(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(depth @ 1..=127) => Ok(depth),
        Ok(_) => Err("must be from 1 to 127 (the JSON parser reads no deeper)".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    if let Ok(net) = text.parse::<IpNet>() {
        return Ok(net);
    }
    text.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| format!("{text:?} is not a network such as 10.0.0.0/8 or an address"))
}

/// `url` with its password hidden, for logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                // Only fails for URLs that cannot have credentials.
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "(unparsable URL)".to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("dataprof").chain(args.iter().copied())).unwrap()
    }

    fn worker(args: &[&str]) -> WorkerArgs {
        let mut all = vec!["worker"];
        all.extend_from_slice(args);
        match parse(&all).command {
            Command::Worker(args) => *args,
            other => panic!("expected worker, got {other:?}"),
        }
    }

    #[test]
    fn durations_and_sizes_read_and_print_their_units() {
        let d = |s: &str| s.parse::<HumanDuration>().unwrap().0;
        assert_eq!(d("250ms"), Duration::from_millis(250));
        assert_eq!(d("30"), Duration::from_secs(30));
        assert_eq!(d("5m"), Duration::from_secs(300));
        assert_eq!(d("1h 30m"), Duration::from_secs(5400));
        assert!("5 fortnights".parse::<HumanDuration>().is_err());
        assert!("ms".parse::<HumanDuration>().is_err());
        assert_eq!(HumanDuration(Duration::from_secs(300)).to_string(), "5m");
        assert_eq!(
            HumanDuration(Duration::from_millis(1500)).to_string(),
            "1s 500ms"
        );
        // What a setting prints as its default reads back to the same value.
        let printed = HumanDuration(Duration::from_millis(1500)).to_string();
        assert_eq!(d(&printed), Duration::from_millis(1500));

        let b = |s: &str| s.parse::<ByteSize>().unwrap().0;
        assert_eq!(b("512MiB"), 512 << 20);
        assert_eq!(b("100MB"), 100_000_000);
        assert_eq!(b("42"), 42);
        assert_eq!(b("1.5 KiB"), 1536);
        assert!("1XB".parse::<ByteSize>().is_err());
        assert!("lots".parse::<ByteSize>().is_err());
        assert_eq!(ByteSize(2 << 30).to_string(), "2.0 GiB");
        assert_eq!(b(&ByteSize(512 << 20).to_string()), 512 << 20);
    }

    #[test]
    fn worker_defaults_match_the_library_defaults() {
        let args = worker(&[]);
        let settings = args.settings().unwrap();
        assert_eq!(settings.amqp_url, DEFAULT_AMQP_URL);
        assert_eq!(settings.topology.jobs_queue(), "dataprof.jobs");
        assert_eq!(settings.consumer.concurrency, 4);
        assert_eq!(settings.consumer.retry, RetryPolicy::default());
        assert_eq!(
            args.worker.metrics_addr,
            MetricsAddr::Listen("0.0.0.0:9464".parse().unwrap())
        );
        let pipeline = args.pipeline();
        let defaults = FetchConfig::default();
        assert_eq!(pipeline.fetch.max_bytes, defaults.max_bytes);
        assert_eq!(pipeline.fetch.total_timeout, defaults.total_timeout);
        assert!(!pipeline.fetch.policy.allow_local_files);
        assert_eq!(pipeline.profile.sample_size, 5);
        assert_eq!(
            pipeline.profile.limits.max_record_bytes,
            Limits::default().max_record_bytes
        );
    }

    #[test]
    fn flags_set_every_worker_setting() {
        let args = worker(&[
            "--queue-prefix",
            "t-1",
            "--concurrency",
            "7",
            "--max-retries",
            "2",
            "--retry-base-delay",
            "100ms",
            "--retry-max-delay",
            "1s",
            "--drain-timeout",
            "3s",
            "--metrics-addr",
            "none",
            "--allow-network",
            "127.0.0.0/8",
            "--allow-network",
            "10.1.2.3",
            "--max-download-bytes",
            "1MiB",
            "--read-timeout",
            "2s",
            "--sample-size",
            "3",
            "--max-fields",
            "10",
        ]);
        let settings = args.settings().unwrap();
        assert_eq!(settings.topology.jobs_queue(), "t-1.jobs");
        assert_eq!(settings.consumer.concurrency, 7);
        assert_eq!(
            settings.consumer.retry,
            RetryPolicy {
                max_retries: 2,
                base_delay: Duration::from_millis(100),
                max_delay: Duration::from_secs(1),
            }
        );
        assert_eq!(settings.consumer.drain_timeout, Duration::from_secs(3));
        assert_eq!(args.worker.metrics_addr, MetricsAddr::Disabled);
        let pipeline = args.pipeline();
        let nets: Vec<String> = pipeline
            .fetch
            .policy
            .allowed_networks
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(nets, vec!["127.0.0.0/8", "10.1.2.3/32"]);
        assert_eq!(pipeline.fetch.max_bytes, 1 << 20);
        assert_eq!(pipeline.fetch.read_timeout, Duration::from_secs(2));
        assert_eq!(pipeline.profile.sample_size, 3);
        assert_eq!(pipeline.profile.limits.max_fields, 10);
    }

    #[test]
    fn bad_values_are_refused_at_parse_time() {
        let refused = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("dataprof").chain(args.iter().copied())).is_err()
        };
        assert!(refused(&["worker", "--concurrency", "0"]));
        assert!(refused(&["worker", "--concurrency", "70000"]));
        assert!(refused(&["worker", "--allow-network", "nope"]));
        assert!(refused(&["worker", "--metrics-addr", "9464"]));
        assert!(refused(&["enqueue"]));
        assert!(refused(&["worker", "--max-json-depth", "128"]));
        assert!(refused(&["worker", "--max-json-depth", "0"]));
        let args = worker(&["--queue-prefix", "bad prefix"]);
        let err = args.settings().unwrap_err();
        assert!(err.to_string().contains("invalid queue prefix"), "{err}");
    }

    #[test]
    fn profile_keeps_its_flags_and_allows_local_files() {
        let Command::Profile(args) =
            parse(&["profile", "x.csv", "--pretty", "--sample-size", "2"]).command
        else {
            panic!("expected profile");
        };
        assert_eq!(args.input, "x.csv");
        assert!(args.pretty);
        let pipeline = args.pipeline(None);
        assert!(pipeline.fetch.policy.allow_local_files);
        assert_eq!(pipeline.profile.sample_size, 2);
    }

    #[test]
    fn passwords_stay_out_of_logs() {
        assert_eq!(
            redact_url("amqp://guest:secret@rabbit:5672/%2f"),
            "amqp://guest:***@rabbit:5672/%2f"
        );
        assert_eq!(redact_url("amqp://rabbit"), "amqp://rabbit");
    }
}
