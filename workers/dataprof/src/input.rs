//! What `dataprof profile` accepts, turned into a job.
//!
//! One argument may be a catalog entry file, a job file, an http(s) URL, a
//! `file://` URL or a data file. A JSON file is a job or an entry only when
//! it has one of their shapes; any other file, JSON included, is data.

use std::path::{Path, PathBuf};

use anyhow::Context;
use dataprof_model::job::SHAPE_KEYS;
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
///
/// Only a top-level object with a job's `distributions` or an entry's
/// `dataset_details` is one. Its keys are read first, with every value
/// skipped (no memory held), so a data file is never parsed whole here.
fn read_job_file(path: &Path, len: u64) -> anyhow::Result<Option<Job>> {
    if len > MAX_JOB_FILE_BYTES {
        return Ok(None);
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (keys, broken) = top_level_keys(&bytes);
    let names_a_job = keys.iter().any(|k| SHAPE_KEYS.contains(&k.as_str()));
    if !names_a_job {
        return Ok(None);
    }
    let invalid = |err: &dyn std::fmt::Display| {
        anyhow::anyhow!(
            "{}: not a valid job or catalog entry: {err}",
            path.display()
        )
    };
    if let Some(err) = broken {
        return Err(invalid(&format!("not valid JSON: {err}")));
    }
    match Job::from_slice(&bytes) {
        Ok(job) => Ok(Some(job)),
        Err(JobError::UnknownShape) => Err(invalid(
            &"it has `dataset_details` but no `dataset_details.distributions`",
        )),
        Err(err) => Err(invalid(&err)),
    }
}

/// The keys of a JSON text's top-level object, as far as the text reads
/// (a text cut short still shows the keys before the cut), and the error
/// that stopped the reading, if any. Not an object: no keys.
fn top_level_keys(bytes: &[u8]) -> (Vec<String>, Option<serde_json::Error>) {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

    struct Keys<'k>(&'k mut Vec<String>);

    impl<'de> DeserializeSeed<'de> for Keys<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Keys<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<String>()? {
                self.0.push(key);
                map.next_value::<IgnoredAny>()?;
            }
            Ok(())
        }
    }

    let starts_like_object = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    let mut keys = Vec::new();
    if !starts_like_object {
        return (keys, None);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let read = Keys(&mut keys).deserialize(&mut de).and_then(|()| de.end());
    (keys, read.err())
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
