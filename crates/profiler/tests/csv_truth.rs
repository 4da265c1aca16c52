//! Every CSV/TSV fixture against its truth entry: encoding, delimiter,
//! quote, header, skipped lines, record and field counts, field names.
//! Field TYPES are the inference's business and are not checked here.

use std::path::{Path, PathBuf};

use dataprof_profiler::{ProfileError, ProfileOptions, profile_path};
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

fn truth_entries(dir: &str) -> Vec<(PathBuf, Value)> {
    let dir = Path::new(FIXTURES).join(dir);
    let text = std::fs::read_to_string(dir.join("TRUTH.json")).expect("TRUTH.json");
    let entries: Vec<Value> = serde_json::from_str(&text).expect("truth is JSON");
    entries
        .into_iter()
        .filter(|e| matches!(e["format"].as_str(), Some("csv" | "unsupported")))
        .map(|e| {
            let file = e["file"].as_str().expect("file name");
            (dir.join(file), e)
        })
        .collect()
}

/// Names truth and profile give the same encoding.
fn normalise_encoding(label: &str) -> &str {
    match label {
        "utf-8-sig" => "utf-8",
        "latin-1" | "latin1" => "iso-8859-1",
        other => other,
    }
}

/// The position meant by a `columnN` truth key in a header-less file.
fn positional_key(key: &str) -> Option<usize> {
    key.strip_prefix("column")?.parse().ok()
}

/// Compares one fixture with its truth; returns the differences.
fn check(path: &Path, truth: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut differ = |what: &str, want: &dyn std::fmt::Debug, got: &dyn std::fmt::Debug| {
        diffs.push(format!("{what}: truth {want:?}, got {got:?}"));
    };
    let outcome = profile_path(path, &ProfileOptions::default());
    if truth["format"] == "unsupported" {
        match outcome {
            Err(ProfileError::Unsupported { detected, .. }) if detected == "empty" => {}
            other => differ("outcome", &"unsupported empty", &other),
        }
        return diffs;
    }
    let profile = match outcome {
        Ok(profile) => profile,
        Err(err) => {
            differ("outcome", &"a profile", &err);
            return diffs;
        }
    };
    let Some(dialect) = profile.dialect.as_ref() else {
        differ("dialect", &"some", &"none");
        return diffs;
    };
    if profile.detected_format != "csv" {
        differ("format", &"csv", &profile.detected_format);
    }
    if let Some(want) = truth["encoding"].as_str() {
        let got = profile.encoding.as_deref().unwrap_or("none");
        if normalise_encoding(want) != normalise_encoding(got) {
            differ("encoding", &want, &got);
        }
    }
    if let Some(want) = truth["delimiter"].as_str()
        && dialect.delimiter != want
    {
        differ("delimiter", &want, &dialect.delimiter);
    }
    if let Some(want) = truth["quote"].as_str()
        && dialect.quote.as_deref() != Some(want)
    {
        differ("quote", &want, &dialect.quote);
    }
    if let Some(want) = truth["header"].as_bool()
        && dialect.has_header != want
    {
        differ("header", &want, &dialect.has_header);
    }
    if let Some(want) = truth["skip_rows"].as_u64()
        && dialect.lines_skipped != want
    {
        differ("skip_rows", &want, &dialect.lines_skipped);
    }
    if let Some(want) = truth["record_count"].as_u64()
        && profile.record_count != want
    {
        differ("record_count", &want, &profile.record_count);
    }
    if let Some(want) = truth["field_count"].as_u64()
        && profile.field_count as u64 != want
    {
        differ("field_count", &want, &profile.field_count);
    }
    if profile.field_count != profile.fields.len() {
        differ("fields listed", &profile.field_count, &profile.fields.len());
    }
    let names: Vec<&str> = profile.fields.iter().map(|f| f.name.as_str()).collect();
    let header = truth["header"].as_bool().unwrap_or(true);
    for key in truth["fields"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.keys())
    {
        let found = match positional_key(key) {
            Some(index) if !header => names.get(index) == Some(&format!("column{index}").as_str()),
            _ => names.contains(&key.as_str()),
        };
        if !found {
            differ("field name", key, &names);
        }
    }
    if truth["encoding"] == "utf-8-sig" && names.first().is_some_and(|n| n.contains('\u{feff}')) {
        differ("BOM in first name", &"none", &names.first());
    }
    for record in &profile.sample_records {
        let keys: Vec<&str> = record.keys().map(String::as_str).collect();
        if keys != names {
            differ("sample record keys", &names, &keys);
            break;
        }
    }
    let expected_samples = profile.record_count.min(5) as usize;
    if profile.sample_records.len() != expected_samples {
        differ(
            "sample records",
            &expected_samples,
            &profile.sample_records.len(),
        );
    }
    diffs
}

fn check_all(dir: &str) {
    let entries = truth_entries(dir);
    assert!(entries.len() >= 13, "{dir}: only {} entries", entries.len());
    let mut failures = Vec::new();
    for (path, truth) in &entries {
        let diffs = check(path, truth);
        if !diffs.is_empty() {
            failures.push(format!("{}:\n  {}", path.display(), diffs.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_csv_files_match_their_truth() {
    check_all("corpus");
}

#[test]
fn duckdb_peer_csv_files_match_their_truth() {
    check_all("peers/duckdb");
}
