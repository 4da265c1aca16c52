//! What `dataprof profile` accepts, turned into a job.
//!
//! One argument may be a catalog entry file, a job file, an http(s) URL, a
//! `file://` URL or a data file. A JSON file is a job or an entry only when
//! it has one of their shapes; any other file, JSON included, is data.

use std::path::{Path, PathBuf};

use anyhow::Context;
use dataprof_model::{Distribution, Job, JobError};
use uuid::Uuid;

/// Files larger than this are never read whole to check for a job shape:
/// entries are a few kilobytes, data files can be gigabytes.
const MAX_JOB_FILE_BYTES: u64 = 16 << 20;

/// A job and the folder its relative `download_url`s are resolved against.
#[derive(Debug)]
pub struct ProfileInput {
    pub job: Job,
    pub base_dir: Option<PathBuf>,
}

/// Reads the command line's one input argument.
pub fn resolve(arg: &str) -> anyhow::Result<ProfileInput> {
    if arg.starts_with("http://") || arg.starts_with("https://") {
        return Ok(ProfileInput {
            job: single_source_job(arg),
            base_dir: None,
        });
    }
    if let Some((scheme, _)) = arg.split_once("://")
        && scheme != "file"
        && !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        anyhow::bail!(
            "unsupported URL scheme `{scheme}` in {arg}: http, https and file are supported"
        );
    }
    let path = PathBuf::from(arg.strip_prefix("file://").unwrap_or(arg));
    let meta =
        std::fs::metadata(&path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.is_dir() {
        anyhow::bail!(
            "{} is a directory; give a catalog entry, a job, a URL or a data file",
            path.display()
        );
    }
    if !meta.is_file() {
        anyhow::bail!(dataprof_fetch::not_a_regular_file(&path));
    }
    if let Some(job) = read_job_file(&path, meta.len())? {
        let base_dir = path.parent().map(Path::to_path_buf);
        return Ok(ProfileInput { job, base_dir });
    }
    let absolute =
        std::path::absolute(&path).with_context(|| format!("cannot resolve {}", path.display()))?;
    Ok(ProfileInput {
        job: single_source_job(&absolute.display().to_string()),
        base_dir: None,
    })
}

/// The job in a file, or None when the file is not a job or entry.
fn read_job_file(path: &Path, len: u64) -> anyhow::Result<Option<Job>> {
    if len > MAX_JOB_FILE_BYTES {
        return Ok(None);
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let starts_like_object = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    if !starts_like_object {
        return Ok(None);
    }
    let invalid = |err: &dyn std::fmt::Display| {
        anyhow::anyhow!(
            "{}: not a valid job or catalog entry: {err}",
            path.display()
        )
    };
    match Job::from_slice(&bytes) {
        Ok(job) => Ok(Some(job)),
        // A catalog entry gone wrong (cut short, or without its
        // distributions) is a mistake to report, not data to profile.
        Err(err @ (JobError::UnknownShape | JobError::NotJson(_))) if names_entry_parts(&bytes) => {
            Err(invalid(&match err {
                JobError::UnknownShape => {
                    "it has `dataset_details` but no `dataset_details.distributions`".to_owned()
                }
                other => other.to_string(),
            }))
        }
        Err(JobError::UnknownShape | JobError::NotJson(_) | JobError::NotAnObject(_)) => Ok(None),
        Err(err) => Err(invalid(&err)),
    }
}

/// Whether a JSON object's text has a catalog entry's `dataset_details`
/// member, which no data file is expected to have.
fn names_entry_parts(bytes: &[u8]) -> bool {
    let key = b"\"dataset_details\"";
    bytes.windows(key.len()).any(|w| w == key)
}

/// A job for one URL or file, named after it.
fn single_source_job(location: &str) -> Job {
    Job {
        run_id: Uuid::new_v4().to_string(),
        entry_id: location.to_owned(),
        dataset_id: None,
        profile_kind: "dataset".to_owned(),
        distributions: vec![Distribution {
            download_url: Some(location.to_owned()),
            ..Distribution::default()
        }],
    }
}
