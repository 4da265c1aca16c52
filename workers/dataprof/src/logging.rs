//! Log output: human-readable by default, JSON lines on request, always on
//! stderr (stdout carries the command's own output).

use std::io::IsTerminal;

use anyhow::Context;
use tracing_subscriber::EnvFilter;

/// How log events are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event, with the job's span fields.
    #[default]
    Human,
    /// One JSON object per event, with the current span and its parents.
    Json,
}

/// Sets the process's log subscriber. The filter is `filter` when given
/// (`--log-level`/`DATAPROF_LOG`), else `RUST_LOG`, else `default_filter`.
pub fn init(format: LogFormat, filter: Option<&str>, default_filter: &str) -> anyhow::Result<()> {
    let filter = choose_filter(
        filter,
        std::env::var("RUST_LOG").ok().as_deref(),
        default_filter,
    )?;
    // With internal errors logged, an event written to a closed stderr
    // panics (the report goes through `eprintln!`): a worker whose log
    // reader went away would fail every job. Lost log lines are the lesser
    // harm.
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .log_internal_errors(false)
        .with_env_filter(filter);
    let installed = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .try_init(),
    };
    installed.map_err(|e| anyhow::anyhow!("cannot set up logging: {e}"))
}

fn choose_filter(
    explicit: Option<&str>,
    rust_log: Option<&str>,
    default_filter: &str,
) -> anyhow::Result<EnvFilter> {
    let text = [explicit, rust_log]
        .into_iter()
        .flatten()
        .find(|s| !s.trim().is_empty())
        .unwrap_or(default_filter);
    EnvFilter::try_new(text).with_context(|| format!("invalid log filter {text:?}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_explicit_filter_wins_then_rust_log_then_the_default() {
        let f = choose_filter(Some("debug"), Some("error"), "warn").unwrap();
        assert_eq!(f.to_string(), "debug");
        let f = choose_filter(None, Some("error"), "warn").unwrap();
        assert_eq!(f.to_string(), "error");
        let f = choose_filter(Some(" "), None, "dataprof=info").unwrap();
        assert_eq!(f.to_string(), "dataprof=info");
    }

    #[test]
    fn a_bad_filter_is_reported() {
        let err = choose_filter(Some("dataprof=loud"), None, "warn").unwrap_err();
        assert!(err.to_string().contains("invalid log filter"), "{err}");
    }
}
