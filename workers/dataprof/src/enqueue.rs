//! `dataprof enqueue`: checks job messages and publishes them to the jobs
//! exchange, with publisher confirms.
//!
//! An input is a file (or `-` for stdin) holding one job or catalog entry,
//! a JSON array of them, or NDJSON (one per line). Each message is checked
//! with [`Job::from_value`]; an invalid one is reported and not sent. What
//! is sent is the compact job form, with a `run_id` (a fresh one when the
//! message had none), so a redelivered job keeps its id.

use std::io::Read;
use std::time::Duration;

use anyhow::Context;
use dataprof_model::Job;
use dataprof_queue::amqp::{self, AmqpPublisher};
use serde_json::Value;
use tracing::info;
use uuid::Uuid;

use crate::config::{EnqueueArgs, redact_url};

/// Longest wait for the broker to accept the connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// A checked job, ready to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct JobMessage {
    /// Where it came from: `file`, `file[3]` (array item) or `file:7`
    /// (NDJSON line).
    pub origin: String,
    pub job: Job,
}

/// A message that is not a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub origin: String,
    pub error: String,
}

/// What `enqueue` did.
#[derive(Debug, Default)]
pub struct EnqueueReport {
    pub enqueued: usize,
    pub rejected: Vec<Rejected>,
}

/// Reads every input, checks its messages and publishes the valid ones.
pub async fn run(args: &EnqueueArgs) -> anyhow::Result<EnqueueReport> {
    let mut messages = Vec::new();
    let mut report = EnqueueReport::default();
    for input in &args.inputs {
        let bytes = read_input(input)?;
        let (jobs, rejected) = split_messages(input, &bytes);
        for message in &jobs {
            for warning in local_sources(&message.job) {
                eprintln!("{}: warning: {warning}", message.origin);
            }
        }
        messages.extend(jobs);
        report.rejected.extend(rejected);
    }
    let topology = args.broker.topology()?;
    let url = redact_url(&args.broker.amqp_url);
    let connection = tokio::time::timeout(
        CONNECT_TIMEOUT,
        amqp::connect(&args.broker.amqp_url, "dataprof enqueue"),
    )
    .await
    .map_err(|_| anyhow::anyhow!("the broker at {url} did not answer within {CONNECT_TIMEOUT:?}"))?
    .with_context(|| format!("cannot reach the broker at {url}"))?;
    let publisher = AmqpPublisher::open(&connection, topology).await?;
    amqp::declare_topology(publisher.channel(), publisher.topology()).await?;
    for message in &messages {
        let body = serde_json::to_vec(&message.job)?;
        publisher
            .publish_job(&body, &message.job.run_id)
            .await
            .with_context(|| format!("{}: not enqueued", message.origin))?;
        info!(origin = %message.origin, entry_id = %message.job.entry_id, run_id = %message.job.run_id, "job enqueued");
        report.enqueued += 1;
    }
    connection
        .close(200, "enqueued".into())
        .await
        .context("closing the broker connection")?;
    Ok(report)
}

/// Distributions whose every URL is local (a path or `file://`): workers
/// refuse those, so the producer hears it now rather than from a result.
pub fn local_sources(job: &dataprof_model::Job) -> Vec<String> {
    job.distributions
        .iter()
        .filter(|d| {
            let urls = d.candidate_urls();
            !urls.is_empty()
                && urls
                    .iter()
                    .all(|u| !(u.starts_with("http://") || u.starts_with("https://")))
        })
        .map(|d| {
            format!(
                "distribution {} has only local sources ({}); workers fetch http(s) URLs only",
                d.id.as_deref().unwrap_or("(no id)"),
                d.candidate_urls().join(", ")
            )
        })
        .collect()
}

fn read_input(input: &str) -> anyhow::Result<Vec<u8>> {
    if input == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        Ok(bytes)
    } else {
        std::fs::read(input).with_context(|| format!("cannot read {input}"))
    }
}

/// Splits one input into jobs: a JSON document (an object, or an array of
/// objects), else NDJSON.
pub fn split_messages(name: &str, bytes: &[u8]) -> (Vec<JobMessage>, Vec<Rejected>) {
    let name = if name == "-" { "stdin" } else { name };
    let mut jobs = Vec::new();
    let mut rejected = Vec::new();
    let mut take = |origin: String, value: Result<Value, String>| match value.and_then(to_job) {
        Ok(job) => jobs.push(JobMessage { origin, job }),
        Err(error) => rejected.push(Rejected { origin, error }),
    };
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Array(items)) => {
            for (index, item) in items.into_iter().enumerate() {
                take(format!("{name}[{index}]"), Ok(item));
            }
        }
        Ok(value) => take(name.to_owned(), Ok(value)),
        Err(_) => {
            for (index, line) in bytes.split(|b| *b == b'\n').enumerate() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let value = serde_json::from_slice::<Value>(line)
                    .map_err(|e| format!("message is not valid JSON: {e}"));
                take(format!("{name}:{}", index + 1), value);
            }
        }
    }
    (jobs, rejected)
}

/// Checks one message; a message without `run_id` gets a fresh one.
fn to_job(value: Value) -> Result<Job, String> {
    Job::from_value(value, Uuid::new_v4().to_string()).map_err(|e| e.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ENTRY: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/catalog-entry-acv.json"
    );

    #[test]
    fn one_object_is_one_job_and_keeps_its_run_id() {
        let (jobs, rejected) = split_messages(
            "job.json",
            br#"{"run_id":"r1","entry_id":"e1","distributions":[]}"#,
        );
        assert!(rejected.is_empty());
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].origin, "job.json");
        assert_eq!(jobs[0].job.run_id, "r1");
    }

    #[test]
    fn a_catalog_entry_becomes_a_job_with_a_fresh_run_id() {
        let bytes = std::fs::read(ENTRY).unwrap();
        let (a, _) = split_messages("entry.json", &bytes);
        let (b, _) = split_messages("entry.json", &bytes);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].job.entry_id, b[0].job.entry_id);
        assert!(!a[0].job.distributions.is_empty());
        assert_ne!(
            a[0].job.run_id, b[0].job.run_id,
            "each enqueue is a new run"
        );
        assert!(Uuid::parse_str(&a[0].job.run_id).is_ok());
    }

    #[test]
    fn arrays_and_ndjson_are_split_and_bad_items_named() {
        let (jobs, rejected) = split_messages(
            "many.json",
            br#"[{"entry_id":"a","distributions":[]}, 7, {"entry_id":"b","distributions":[]}]"#,
        );
        let ids: Vec<&str> = jobs.iter().map(|j| j.job.entry_id.as_str()).collect();
        assert_eq!(ids, vec!["a", "b"]);
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].origin, "many.json[1]");
        assert_eq!(
            rejected[0].error,
            "message is a JSON number, expected an object"
        );

        let ndjson = b"{\"entry_id\":\"x\",\"distributions\":[]}\n\n{oops\n{\"a\":1}\n";
        let (jobs, rejected) = split_messages("-", ndjson);
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].origin, "stdin:1");
        let origins: Vec<&str> = rejected.iter().map(|r| r.origin.as_str()).collect();
        assert_eq!(origins, vec!["stdin:3", "stdin:4"]);
        assert!(rejected[0].error.starts_with("message is not valid JSON"));
        assert!(rejected[1].error.starts_with("message is neither a job"));
    }

    #[test]
    fn local_sources_are_named() {
        let job = dataprof_model::Job::from_slice(
            br#"{"entry_id":"e","distributions":[
                {"id":"a","download_url":"data/x.csv"},
                {"id":"b","download_url":"file:///tmp/y.csv","access_url":"https://h/y.csv"},
                {"id":"c","download_url":"http://h/z.csv"}]}"#,
        )
        .unwrap();
        assert_eq!(
            local_sources(&job),
            ["distribution a has only local sources (data/x.csv); workers fetch http(s) URLs only"]
        );
    }
}
