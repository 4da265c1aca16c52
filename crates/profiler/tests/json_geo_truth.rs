//! Every JSON, NDJSON, GeoJSON and Shapefile fixture of the corpus and the
//! peer set, checked against its truth file: format, container, encoding,
//! record and field counts, field names, and geometry facts.

use std::path::{Path, PathBuf};

use dataprof_profiler::model::SourceProfile;
use dataprof_profiler::{ProfileOptions, profile_path};
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");
const FORMATS: [&str; 4] = ["json", "ndjson", "geojson", "shapefile"];

/// A truth value that is one value or a list of accepted ones.
fn accepted(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

fn truth_entries() -> Vec<(PathBuf, Value)> {
    let mut out = Vec::new();
    for dir in ["corpus", "peers/duckdb"] {
        let base = Path::new(FIXTURES).join(dir);
        let text = std::fs::read_to_string(base.join("TRUTH.json")).expect("truth file");
        let entries: Vec<Value> = serde_json::from_str(&text).expect("truth JSON");
        for e in entries {
            let formats = accepted(&e["format"]);
            if formats
                .iter()
                .any(|f| FORMATS.contains(&f.as_str().unwrap_or("")))
            {
                let file = e["file"].as_str().expect("file name").to_owned();
                out.push((base.join(file), e));
            }
        }
    }
    out
}

/// Encoding names a truth value accepts.
fn encodings_for(truth: &str) -> Vec<&'static str> {
    match truth {
        "ascii" => vec!["ascii"],
        "utf-8" => vec!["utf-8"],
        "latin-1" | "iso-8859-1" | "windows-1252" => vec!["iso-8859-1", "windows-1252", "latin-1"],
        _ => vec![],
    }
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-6 * want.abs().max(1.0)
}

fn check(file: &Path, truth: &Value, p: &SourceProfile) -> Vec<String> {
    let mut problems = Vec::new();
    let mut expect = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };
    let formats = accepted(&truth["format"]);
    expect(
        formats
            .iter()
            .any(|f| f.as_str() == Some(p.detected_format.as_str())),
        format!("format {} not in {formats:?}", p.detected_format),
    );
    if let Some(container) = truth.get("container") {
        let got = p.container.as_ref().map(|c| c.kind.as_str());
        expect(
            got == container.as_str(),
            format!("container {got:?}, truth {container}"),
        );
    }
    if let Some(enc) = truth["encoding"].as_str() {
        let ok = encodings_for(enc);
        expect(
            p.encoding.as_deref().is_some_and(|e| ok.contains(&e)),
            format!("encoding {:?}, truth {enc}", p.encoding),
        );
    }
    let records = accepted(&truth["record_count"]);
    if !records.is_empty() {
        expect(
            records.iter().any(|r| r.as_u64() == Some(p.record_count)),
            format!("record_count {}, truth {records:?}", p.record_count),
        );
    }
    let fields = accepted(&truth["field_count"]);
    if !fields.is_empty() {
        expect(
            fields
                .iter()
                .any(|r| r.as_u64() == Some(p.field_count as u64)),
            format!("field_count {}, truth {fields:?}", p.field_count),
        );
    }
    expect(
        p.field_count == p.fields.len(),
        "field_count differs from fields".into(),
    );
    if let Some(names) = truth["fields"].as_object() {
        for name in names.keys() {
            expect(
                p.fields.iter().any(|f| &f.name == name),
                format!("field {name} missing"),
            );
        }
    }
    let geo = &truth["geometry"];
    if geo.is_object() {
        let Some(g) = &p.geometry else {
            problems.push("no geometry".into());
            return problems;
        };
        let types = accepted(&geo["type"]);
        if !types.is_empty() {
            expect(
                types
                    .iter()
                    .any(|t| t.as_str() == g.geometry_type.as_deref()),
                format!("geometry type {:?}, truth {types:?}", g.geometry_type),
            );
        }
        if let Some(count) = geo["count"].as_u64() {
            expect(
                g.count == count,
                format!("geometry count {}, truth {count}", g.count),
            );
        }
        if let Some(crs) = geo["crs"].as_str() {
            expect(
                g.crs.as_deref() == Some(crs),
                format!("crs {:?}, truth {crs}", g.crs),
            );
        }
        if let Some(bbox) = geo["bbox"].as_array() {
            let want: Vec<f64> = bbox.iter().filter_map(Value::as_f64).collect();
            let ok = g
                .bbox
                .is_some_and(|b| b.iter().zip(&want).all(|(g, w)| close(*g, *w)));
            expect(ok, format!("bbox {:?}, truth {want:?}", g.bbox));
        }
    } else if geo.is_null() && truth.get("geometry").is_some() {
        expect(
            p.geometry.is_none(),
            format!("unexpected geometry for {}", file.display()),
        );
    }
    problems
}

#[test]
fn every_json_and_geo_fixture_matches_its_truth() {
    let entries = truth_entries();
    assert!(
        entries.len() >= 19,
        "truth entries found: {}",
        entries.len()
    );
    let opts = ProfileOptions::default();
    let mut failures = Vec::new();
    for (file, truth) in &entries {
        match profile_path(file, &opts) {
            Ok(p) => {
                let problems = check(file, truth, &p);
                if !problems.is_empty() {
                    failures.push(format!("{}: {}", file.display(), problems.join("; ")));
                }
            }
            Err(e) => failures.push(format!("{}: error {e}", file.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
