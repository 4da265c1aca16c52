//! The accuracy suite: every fixture with a truth entry is profiled, and
//! every fact its truth establishes is checked.
//!
//! Truth files (`fixtures/corpus/TRUTH.json`, `fixtures/peers/duckdb/
//! TRUTH.json`) give format, container, encoding, delimiter, quote, header,
//! skipped lines, record and field counts, field types and geometry. A null
//! fact is not established and not scored; a list accepts any of its values;
//! a `columnN` key that is not a field name means the field at position N.
//! The suite prints a score per file and fails on any wrong fact.

use dataprof_model::SourceProfile;
use dataprof_profiler::{ProfileError, ProfileOptions, profile_path};
use dataprof_tests::truth_entries;
use serde_json::Value;

/// The checks that went wrong for one file.
#[derive(Default)]
struct Score {
    checked: usize,
    wrong: Vec<String>,
}

impl Score {
    fn check(&mut self, fact: &str, expected: &Value, actual: Value, ok: bool) {
        self.checked += 1;
        if !ok {
            self.wrong
                .push(format!("{fact}: expected {expected}, got {actual}"));
        }
    }
}

#[test]
fn every_truth_fact_holds() {
    let entries = truth_entries();
    assert!(
        entries.len() >= 57,
        "expected the whole corpus, found {}",
        entries.len()
    );
    let mut failures = 0;
    let mut facts = 0;
    println!("{:<70} {:>7}", "file", "score");
    for (path, truth) in &entries {
        let outcome = profile_path(path, &ProfileOptions::default());
        let score = score_file(truth, &outcome);
        facts += score.checked;
        failures += score.wrong.len();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        println!(
            "{name:<70} {:>3}/{:<3}",
            score.checked - score.wrong.len(),
            score.checked
        );
        for wrong in &score.wrong {
            println!("    {wrong}");
        }
    }
    println!("{} facts, {} wrong", facts, failures);
    assert_eq!(
        failures, 0,
        "{failures} of {facts} truth facts are wrong (see the table above)"
    );
}

fn score_file(truth: &Value, outcome: &Result<SourceProfile, ProfileError>) -> Score {
    let mut score = Score::default();
    let format = &truth["format"];
    let profile = match outcome {
        Ok(profile) => profile,
        Err(err) => {
            let unsupported = matches!(err, ProfileError::Unsupported { .. });
            let expected_unsupported = format.as_str() == Some("unsupported");
            score.check(
                "format",
                format,
                Value::String(format!("error: {err}")),
                unsupported && expected_unsupported,
            );
            return score;
        }
    };
    score.check(
        "format",
        format,
        profile.detected_format.clone().into(),
        accepts(format, &profile.detected_format.clone().into()),
    );
    if let Some(kind) = truth["container"].as_str() {
        let actual = profile.container.as_ref().map(|c| c.kind.clone());
        score.check(
            "container",
            &truth["container"],
            actual.clone().into(),
            actual.as_deref() == Some(kind),
        );
    }
    if !truth["encoding"].is_null() {
        let actual = profile.encoding.clone();
        let ok = actual
            .as_deref()
            .is_some_and(|a| same_encoding(&truth["encoding"], a));
        score.check("encoding", &truth["encoding"], actual.into(), ok);
    }
    let dialect = profile.dialect.as_ref();
    if !truth["delimiter"].is_null() {
        let actual: Value = dialect.map(|d| d.delimiter.clone()).into();
        score.check(
            "delimiter",
            &truth["delimiter"],
            actual.clone(),
            accepts(&truth["delimiter"], &actual),
        );
    }
    if !truth["quote"].is_null() {
        let actual: Value = dialect.and_then(|d| d.quote.clone()).into();
        score.check(
            "quote",
            &truth["quote"],
            actual.clone(),
            accepts(&truth["quote"], &actual),
        );
    }
    if !truth["header"].is_null() {
        let actual: Value = dialect.map(|d| d.has_header).into();
        score.check(
            "header",
            &truth["header"],
            actual.clone(),
            accepts(&truth["header"], &actual),
        );
    }
    if !truth["skip_rows"].is_null() {
        let actual: Value = dialect.map(|d| d.lines_skipped).into();
        score.check(
            "skip_rows",
            &truth["skip_rows"],
            actual.clone(),
            accepts(&truth["skip_rows"], &actual),
        );
    }
    if !truth["record_count"].is_null() {
        let actual: Value = profile.record_count.into();
        let ok = accepts(&truth["record_count"], &actual);
        score.check("record_count", &truth["record_count"], actual, ok);
    }
    if !truth["field_count"].is_null() {
        let actual: Value = profile.field_count.into();
        let ok = accepts(&truth["field_count"], &actual);
        score.check("field_count", &truth["field_count"], actual, ok);
    }
    if let Some(fields) = truth["fields"].as_object() {
        for (name, expected) in fields {
            let field = profile
                .fields
                .iter()
                .find(|f| &f.name == name)
                .or_else(|| positional_index(name).and_then(|i| profile.fields.get(i)));
            let actual: Value = field.map(|f| f.field_type.as_str()).into();
            let ok = accepts(expected, &actual);
            score.check(&format!("fields.{name}"), expected, actual, ok);
        }
    }
    if let Some(geometry) = truth.get("geometry").and_then(Value::as_object) {
        score_geometry(&mut score, geometry, profile);
    }
    score
}

fn score_geometry(
    score: &mut Score,
    truth: &serde_json::Map<String, Value>,
    profile: &SourceProfile,
) {
    let geometry = profile.geometry.as_ref();
    if let Some(expected) = truth.get("type").filter(|v| !v.is_null()) {
        let actual: Value = geometry.and_then(|g| g.geometry_type.clone()).into();
        score.check(
            "geometry.type",
            expected,
            actual.clone(),
            accepts(expected, &actual),
        );
    }
    if let Some(expected) = truth.get("count").filter(|v| !v.is_null()) {
        let actual: Value = geometry.map(|g| g.count).into();
        score.check(
            "geometry.count",
            expected,
            actual.clone(),
            accepts(expected, &actual),
        );
    }
    if let Some(expected) = truth.get("crs").filter(|v| !v.is_null()) {
        let actual: Value = geometry.and_then(|g| g.crs.clone()).into();
        score.check(
            "geometry.crs",
            expected,
            actual.clone(),
            accepts(expected, &actual),
        );
    }
    if let Some(expected) = truth.get("bbox").and_then(Value::as_array) {
        let actual = geometry.and_then(|g| g.bbox);
        let ok = actual.is_some_and(|bbox| {
            expected.len() == 4
                && expected.iter().zip(bbox).all(|(e, a)| {
                    e.as_f64()
                        .is_some_and(|e| (e - a).abs() <= 1e-6 * e.abs().max(1.0))
                })
        });
        score.check(
            "geometry.bbox",
            &Value::Array(expected.clone()),
            serde_json::json!(actual),
            ok,
        );
    }
}

/// A truth value accepts the actual one when equal, or, for a list, when
/// any member is equal. Numbers compare by value.
fn accepts(expected: &Value, actual: &Value) -> bool {
    match expected {
        Value::Array(options) => options.iter().any(|o| accepts(o, actual)),
        Value::Number(e) => actual.as_f64().is_some_and(|a| e.as_f64() == Some(a)),
        other => other == actual,
    }
}

/// `column7` means the 8th field when no field has that name.
fn positional_index(name: &str) -> Option<usize> {
    name.strip_prefix("column")?.parse().ok()
}

/// Encodings compare by what they decode: `utf-8-sig` is UTF-8 with a
/// BOM, `latin-1` is ISO-8859-1, which windows-1252 decodes identically for
/// the bytes these files hold.
fn same_encoding(expected: &Value, actual: &str) -> bool {
    fn family(name: &str) -> &'static str {
        match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "ascii" | "us-ascii" => "ascii",
            "utf-8" | "utf8" | "utf-8-sig" => "utf-8",
            "latin-1" | "latin1" | "iso-8859-1" | "windows-1252" | "cp1252" => "latin-1",
            "utf-16le" | "utf-16be" | "utf-16" => "utf-16",
            _ => "other",
        }
    }
    match expected {
        Value::Array(options) => options.iter().any(|o| same_encoding(o, actual)),
        Value::String(e) => family(e) == family(actual),
        _ => false,
    }
}
