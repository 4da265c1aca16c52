//! The job message: one catalog entry and the distributions to profile.
//!
//! Producers may send either the compact job form or the whole catalog entry
//! as the catalog stores it; both become a [`Job`]. Anything else is refused
//! with a [`JobError`] that says what is wrong, so the worker can publish a
//! `failed` result naming it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// The top-level keys that make a JSON object a job (`distributions`) or
/// a catalog entry (`dataset_details`), as [`Job::from_value`] tells them.
pub const SHAPE_KEYS: [&str; 2] = [JOB_KEY, ENTRY_KEY];
const JOB_KEY: &str = "distributions";
const ENTRY_KEY: &str = "dataset_details";

/// Namespace for run ids derived from message bytes (see [`Job::from_slice`]).
const RUN_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6461_7461_7072_6f66_0000_0000_0000_0001);

/// One download of a dataset, as the catalog lists it.
///
/// `format`, `media_type` and `byte_size` are hints only: the profiler
/// decides the format from the bytes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// A string in the catalog; a number is read as its text.
    #[serde(default, deserialize_with = "id_field")]
    pub id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub download_url: Option<String>,
    #[serde(default)]
    pub access_url: Option<String>,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub media_type: Option<String>,
    /// A hint: a number, or its text as some catalogs write it.
    #[serde(default, deserialize_with = "size_hint")]
    pub byte_size: Option<u64>,
}

/// A distribution's `id`, read as [`id_text`] reads any id.
fn id_field<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = Option::<Value>::deserialize(deserializer)?;
    id_text(value.as_ref()).map_err(|cause| serde::de::Error::custom(format!("`id`: {cause}")))
}

/// A byte size given as a number or as its text; a size that cannot be
/// read is no hint rather than a reason to refuse the job.
fn size_hint<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

impl Distribution {
    /// The URLs to try, in order: `download_url`, then `access_url`.
    pub fn candidate_urls(&self) -> Vec<&str> {
        let mut urls: Vec<&str> = Vec::with_capacity(2);
        for url in [&self.download_url, &self.access_url].into_iter().flatten() {
            let url = url.trim();
            if !url.is_empty() && !urls.contains(&url) {
                urls.push(url);
            }
        }
        urls
    }
}

/// A profile job, in the compact job form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub run_id: String,
    pub entry_id: String,
    #[serde(default)]
    pub dataset_id: Option<String>,
    #[serde(default = "default_profile_kind")]
    pub profile_kind: String,
    pub distributions: Vec<Distribution>,
}

fn default_profile_kind() -> String {
    "dataset".to_owned()
}

/// Why a message is not a job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("message is not valid JSON: {0}")]
    NotJson(String),
    #[error("message is a JSON {0}, expected an object")]
    NotAnObject(&'static str),
    #[error(
        "message is neither a job (with `entry_id` and `distributions`) nor a catalog entry \
         (with `id` and `dataset_details.distributions`)"
    )]
    UnknownShape,
    #[error("invalid `{field}`: {cause}")]
    InvalidField { field: &'static str, cause: String },
}

impl Job {
    /// Parses a job from message bytes, in either accepted form.
    ///
    /// When the message carries no `run_id`, one is derived from the bytes
    /// themselves, so that a redelivered message yields the same `run_id`
    /// and the catalog can de-duplicate results.
    pub fn from_slice(bytes: &[u8]) -> Result<Job, JobError> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| JobError::NotJson(e.to_string()))?;
        let fallback_run_id = Uuid::new_v5(&RUN_ID_NAMESPACE, bytes).to_string();
        Job::from_value(value, fallback_run_id)
    }

    /// Parses a job from an already decoded JSON value; `fallback_run_id`
    /// is used when the value has no `run_id`.
    pub fn from_value(value: Value, fallback_run_id: String) -> Result<Job, JobError> {
        let Value::Object(object) = value else {
            return Err(JobError::NotAnObject(json_kind(&value)));
        };
        if object.contains_key(JOB_KEY) {
            Job::from_job_form(object, fallback_run_id)
        } else if object
            .get(ENTRY_KEY)
            .and_then(|d| d.get("distributions"))
            .is_some()
        {
            Job::from_entry_form(object, fallback_run_id)
        } else {
            Err(JobError::UnknownShape)
        }
    }

    fn from_job_form(
        object: serde_json::Map<String, Value>,
        fallback_run_id: String,
    ) -> Result<Job, JobError> {
        let entry_id = required_id(&object, "entry_id")?;
        let run_id = optional_id(&object, "run_id")?.unwrap_or(fallback_run_id);
        let dataset_id = optional_id(&object, "dataset_id")?;
        let profile_kind =
            optional_id(&object, "profile_kind")?.unwrap_or_else(default_profile_kind);
        let distributions = parse_distributions(object.get("distributions"), "distributions")?;
        Ok(Job {
            run_id,
            entry_id,
            dataset_id,
            profile_kind,
            distributions,
        })
    }

    fn from_entry_form(
        object: serde_json::Map<String, Value>,
        fallback_run_id: String,
    ) -> Result<Job, JobError> {
        let entry_id = required_id(&object, "id")?;
        let details = object.get("dataset_details").and_then(Value::as_object);
        let dataset_id = match details {
            Some(details) => optional_id(details, "id")?,
            None => None,
        };
        let distributions = parse_distributions(
            details.and_then(|d| d.get("distributions")),
            "dataset_details.distributions",
        )?;
        Ok(Job {
            run_id: fallback_run_id,
            entry_id,
            dataset_id,
            profile_kind: default_profile_kind(),
            distributions,
        })
    }
}

fn parse_distributions(
    value: Option<&Value>,
    field: &'static str,
) -> Result<Vec<Distribution>, JobError> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                serde_json::from_value(item.clone()).map_err(|e| JobError::InvalidField {
                    field,
                    cause: format!("item {i}: {e}"),
                })
            })
            .collect(),
        Some(Value::Null) | None => Ok(Vec::new()),
        Some(other) => Err(JobError::InvalidField {
            field,
            cause: format!("expected an array, found {}", a_json_kind(other)),
        }),
    }
}

/// Ids are strings in the catalog, but producers sometimes send numbers;
/// an empty one means none.
fn id_text(value: Option<&Value>) -> Result<Option<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(format!("expected a string, found {}", a_json_kind(other))),
    }
}

fn optional_id(
    object: &serde_json::Map<String, Value>,
    field: &'static str,
) -> Result<Option<String>, JobError> {
    id_text(object.get(field)).map_err(|cause| JobError::InvalidField { field, cause })
}

fn required_id(
    object: &serde_json::Map<String, Value>,
    field: &'static str,
) -> Result<String, JobError> {
    optional_id(object, field)?.ok_or(JobError::InvalidField {
        field,
        cause: "missing or empty".to_owned(),
    })
}

/// The kind of a JSON value with its article, for messages.
fn a_json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_form_keeps_its_run_id() {
        let job = Job::from_slice(
            br#"{"run_id":"r1","entry_id":"e1","distributions":[{"download_url":"http://x/a.csv"}]}"#,
        )
        .unwrap();
        assert_eq!(job.run_id, "r1");
        assert_eq!(job.entry_id, "e1");
        assert_eq!(job.profile_kind, "dataset");
        assert_eq!(
            job.distributions[0].candidate_urls(),
            vec!["http://x/a.csv"]
        );
    }

    #[test]
    fn missing_run_id_is_derived_from_the_bytes() {
        let body = br#"{"entry_id":"e1","distributions":[]}"#;
        let a = Job::from_slice(body).unwrap();
        let b = Job::from_slice(body).unwrap();
        assert_eq!(a.run_id, b.run_id);
        let c = Job::from_slice(br#"{"entry_id":"e2","distributions":[]}"#).unwrap();
        assert_ne!(a.run_id, c.run_id);
    }

    #[test]
    fn entry_form_reads_dataset_details() {
        let body = br#"{"id":"e9","type":"DATASET","dataset_details":{"id":"d9",
            "distributions":[{"id":"x","download_url":" ","access_url":"http://a/b"}]}}"#;
        let job = Job::from_slice(body).unwrap();
        assert_eq!(job.entry_id, "e9");
        assert_eq!(job.dataset_id.as_deref(), Some("d9"));
        assert_eq!(job.distributions[0].candidate_urls(), vec!["http://a/b"]);
    }

    #[test]
    fn bad_messages_say_what_is_wrong() {
        assert!(matches!(
            Job::from_slice(b"nope"),
            Err(JobError::NotJson(_))
        ));
        assert_eq!(Job::from_slice(b"[1]"), Err(JobError::NotAnObject("array")));
        assert_eq!(Job::from_slice(b"{\"a\":1}"), Err(JobError::UnknownShape));
        let err = Job::from_slice(br#"{"distributions":[]}"#).unwrap_err();
        assert_eq!(err.to_string(), "invalid `entry_id`: missing or empty");
        let err = Job::from_slice(br#"{"entry_id":"e","distributions":{}}"#).unwrap_err();
        assert!(err.to_string().contains("expected an array"), "{err}");
        let err =
            Job::from_slice(br#"{"entry_id":"e","distributions":[{"id":"a"},{"download_url":7}]}"#)
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid `distributions`: item 1: invalid type: integer `7`, expected a string"
        );
        let err = Job::from_slice(br#"{"entry_id":"e","distributions":[{"id":[1]}]}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid `distributions`: item 0: `id`: expected a string, found an array"
        );
    }

    #[test]
    fn numeric_ids_and_sizes_written_as_text_are_read() {
        let job = Job::from_slice(
            br#"{"entry_id":"e","distributions":[
                {"id":5,"byte_size":"1024"},
                {"id":" x ","byte_size":"about 1 MB"},
                {"id":"","byte_size":2048}]}"#,
        )
        .unwrap();
        let ids: Vec<Option<&str>> = job.distributions.iter().map(|d| d.id.as_deref()).collect();
        assert_eq!(ids, [Some("5"), Some("x"), None]);
        let sizes: Vec<Option<u64>> = job.distributions.iter().map(|d| d.byte_size).collect();
        assert_eq!(sizes, [Some(1024), None, Some(2048)]);
    }
}
