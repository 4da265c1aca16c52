//! Turning per-distribution outcomes into the entry's `data_profile`.
//!
//! The catalog shows one schema per entry, so one distribution is chosen as
//! the *primary*: among the profiled ones, the one with the richest schema
//! (most fields, a geometry counting as one more), ties going to the
//! distribution listed first in the job. The exports of one dataset usually
//! carry the same columns, so listing order is the only tie-break that
//! follows the publisher's own preference.

use chrono::Utc;
use uuid::Uuid;

use crate::{DataProfile, DistributionProfile, DistributionStatus, Job, ProfileStatus};

impl DataProfile {
    /// Builds the result of a job whose distributions were each attempted.
    pub fn assemble(job: &Job, mut distributions: Vec<DistributionProfile>) -> DataProfile {
        let primary = primary_index(&distributions);
        for (i, d) in distributions.iter_mut().enumerate() {
            d.primary = Some(i) == primary;
        }
        let profiled = distributions
            .iter()
            .filter(|d| d.status == DistributionStatus::Profiled)
            .count();
        let status = match profiled {
            0 => ProfileStatus::Unsupported,
            n if n == distributions.len() => ProfileStatus::Profiled,
            _ => ProfileStatus::Partial,
        };
        let error_message = summarize_errors(&distributions, status);
        let mut profile = DataProfile {
            id: Uuid::new_v4().to_string(),
            entry_id: job.entry_id.clone(),
            dataset_id: job.dataset_id.clone(),
            run_id: job.run_id.clone(),
            profile_kind: job.profile_kind.clone(),
            profile_source: "none".to_owned(),
            status,
            error_message,
            fields: None,
            field_count: None,
            sample_records: None,
            record_count: None,
            data_size_bytes: None,
            dataset_count: profiled,
            query_examples: None,
            profiled_at: Utc::now(),
            distributions: Vec::new(),
        };
        if let Some(p) = primary.map(|i| &distributions[i]) {
            profile.profile_source = catalog_source_name(p.detected_format.as_deref());
            profile.fields = Some(p.fields.clone());
            profile.field_count = p.field_count;
            profile.sample_records = Some(p.sample_records.clone());
            profile.record_count = p.record_count;
            profile.data_size_bytes = p.byte_size;
        }
        profile.distributions = distributions;
        profile
    }

    /// The result for a job that could not be carried out at all: an
    /// unreadable message, or transient faults past the retry limit.
    pub fn failed(job: Option<&Job>, error_message: String) -> DataProfile {
        DataProfile {
            id: Uuid::new_v4().to_string(),
            entry_id: job.map(|j| j.entry_id.clone()).unwrap_or_default(),
            dataset_id: job.and_then(|j| j.dataset_id.clone()),
            run_id: job.map(|j| j.run_id.clone()).unwrap_or_default(),
            profile_kind: job.map_or_else(|| "dataset".to_owned(), |j| j.profile_kind.clone()),
            profile_source: "none".to_owned(),
            status: ProfileStatus::Failed,
            error_message: Some(error_message),
            fields: None,
            field_count: None,
            sample_records: None,
            record_count: None,
            data_size_bytes: None,
            dataset_count: 0,
            query_examples: None,
            profiled_at: Utc::now(),
            distributions: Vec::new(),
        }
    }
}

fn primary_index(distributions: &[DistributionProfile]) -> Option<usize> {
    let richness = |d: &DistributionProfile| d.fields.len() + usize::from(d.geometry.is_some());
    let mut best: Option<(usize, usize)> = None;
    for (i, d) in distributions.iter().enumerate() {
        if d.status != DistributionStatus::Profiled {
            continue;
        }
        let score = richness(d);
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((i, score));
        }
    }
    best.map(|(i, _)| i)
}

/// The catalog knows `csv`, `json`, `geojson`, `shapefile` and `none`;
/// NDJSON is JSON records to it.
fn catalog_source_name(detected: Option<&str>) -> String {
    match detected {
        Some("ndjson") => "json".to_owned(),
        Some(other) => other.to_owned(),
        None => "none".to_owned(),
    }
}

/// One line a catalog editor can act on.
fn summarize_errors(
    distributions: &[DistributionProfile],
    status: ProfileStatus,
) -> Option<String> {
    if status == ProfileStatus::Profiled {
        return None;
    }
    if distributions.is_empty() {
        return Some("no introspectable source: the entry lists no distributions".to_owned());
    }
    let reasons: Vec<String> = distributions
        .iter()
        .filter(|d| d.status != DistributionStatus::Profiled)
        .map(|d| {
            let name = d
                .url
                .as_deref()
                .or(d.distribution_id.as_deref())
                .unwrap_or("distribution");
            format!("{name}: {}", d.error.as_deref().unwrap_or("not profiled"))
        })
        .collect();
    let lead = match status {
        ProfileStatus::Partial => format!(
            "{} of {} distributions could not be profiled",
            reasons.len(),
            distributions.len()
        ),
        _ => "no introspectable source".to_owned(),
    };
    Some(format!("{lead}: {}", reasons.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FieldProfile, FieldType};

    fn field(name: &str) -> FieldProfile {
        FieldProfile {
            name: name.to_owned(),
            field_type: FieldType::String,
            format: None,
            null_count: 0,
            distinct_count: 1,
            distinct_estimated: false,
            min: None,
            max: None,
            examples: vec![],
            top_values: None,
        }
    }

    fn dist(status: DistributionStatus, format: &str, fields: usize) -> DistributionProfile {
        DistributionProfile {
            distribution_id: Some(format!("{format}-{fields}")),
            url: Some(format!("http://h/{format}")),
            declared_format: None,
            detected_format: Some(format.to_owned()),
            container: None,
            encoding: None,
            dialect: None,
            byte_size: Some(10 * fields as u64),
            sha256: None,
            record_count: Some(3),
            field_count: Some(fields),
            fields: (0..fields).map(|i| field(&format!("f{i}"))).collect(),
            sample_records: vec![],
            geometry: None,
            layer: None,
            layers: vec![],
            status,
            error: (status != DistributionStatus::Profiled).then(|| "sniff: html page".to_owned()),
            warnings: vec![],
            elapsed_ms: 1,
            primary: false,
        }
    }

    fn job() -> Job {
        Job {
            run_id: "r".into(),
            entry_id: "e".into(),
            dataset_id: None,
            profile_kind: "dataset".into(),
            distributions: vec![],
        }
    }

    #[test]
    fn richest_profiled_distribution_is_primary_first_wins_ties() {
        let p = DataProfile::assemble(
            &job(),
            vec![
                dist(DistributionStatus::Profiled, "csv", 3),
                dist(DistributionStatus::Profiled, "ndjson", 5),
                dist(DistributionStatus::Profiled, "json", 5),
            ],
        );
        assert_eq!(p.status, ProfileStatus::Profiled);
        assert_eq!(p.profile_source, "json");
        assert_eq!(p.field_count, Some(5));
        assert_eq!(p.data_size_bytes, Some(50));
        assert_eq!(p.dataset_count, 3);
        assert!(p.distributions[1].primary && !p.distributions[2].primary);
        assert_eq!(p.error_message, None);
    }

    #[test]
    fn partial_and_unsupported_explain_themselves() {
        let p = DataProfile::assemble(
            &job(),
            vec![
                dist(DistributionStatus::Unsupported, "html", 0),
                dist(DistributionStatus::Profiled, "csv", 2),
            ],
        );
        assert_eq!(p.status, ProfileStatus::Partial);
        assert_eq!(p.dataset_count, 1);
        assert_eq!(
            p.error_message.as_deref(),
            Some("1 of 2 distributions could not be profiled: http://h/html: sniff: html page")
        );
        let p = DataProfile::assemble(&job(), vec![dist(DistributionStatus::Failed, "x", 0)]);
        assert_eq!(p.status, ProfileStatus::Unsupported);
        assert_eq!(p.profile_source, "none");
        assert!(p.fields.is_none());
        let p = DataProfile::assemble(&job(), vec![]);
        assert_eq!(p.status, ProfileStatus::Unsupported);
    }
}
