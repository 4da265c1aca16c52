//! Tables written as arrays of arrays: a header row or none, Socrata's
//! `rows.json` with its column list, rows wrapped in an object.

use std::path::PathBuf;

use dataprof_profiler::model::{FieldType, SourceProfile};
use dataprof_profiler::{ProfileOptions, profile_path};
use serde_json::json;
use tempfile::TempDir;

fn profile_with(text: &str, opts: &ProfileOptions) -> SourceProfile {
    let dir = TempDir::new().expect("tmp");
    let path: PathBuf = dir.path().join("rows.json");
    std::fs::write(&path, text).expect("write fixture");
    match profile_path(&path, opts) {
        Ok(p) => p,
        Err(e) => panic!("{text}: {e}"),
    }
}

fn profile(text: &str) -> SourceProfile {
    profile_with(text, &ProfileOptions::default())
}

fn names(p: &SourceProfile) -> Vec<&str> {
    p.fields.iter().map(|f| f.name.as_str()).collect()
}

fn field<'p>(p: &'p SourceProfile, name: &str) -> &'p dataprof_profiler::model::FieldProfile {
    p.fields
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no field {name} in {:?}", names(p)))
}

#[test]
fn a_first_row_of_distinct_names_is_the_header() {
    let p = profile(
        r#"[["nom", "age", "code_postal"],
            ["Ana", 31, "01000"],
            ["Léo", null, "75001"],
            ["Zoé", 7, "13001"]]"#,
    );
    assert_eq!(p.detected_format, "json");
    assert_eq!(p.record_count, 3);
    assert_eq!(names(&p), ["nom", "age", "code_postal"]);
    assert_eq!(field(&p, "age").field_type, FieldType::Integer);
    assert_eq!(field(&p, "age").null_count, 1);
    assert_eq!(field(&p, "code_postal").field_type, FieldType::String);
    assert_eq!(p.sample_records[0]["nom"], json!("Ana"));
    assert_eq!(p.sample_records[1]["code_postal"], json!("75001"));
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("first array is the header row")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn rows_without_a_header_are_named_by_position() {
    let p = profile(r#"[[1, "a", true], [2, "b", false], [3, "a", null]]"#);
    assert_eq!(p.record_count, 3);
    assert_eq!(names(&p), ["column0", "column1", "column2"]);
    assert_eq!(field(&p, "column0").field_type, FieldType::Integer);
    assert_eq!(field(&p, "column2").field_type, FieldType::Boolean);
    assert_eq!(field(&p, "column2").null_count, 1);
    assert!(
        p.warnings.iter().any(|w| w.contains("no header row")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn repeated_or_empty_names_are_data_not_a_header() {
    let p = profile(r#"[["a", "a"], ["b", "c"]]"#);
    assert_eq!((p.record_count, names(&p)), (2, vec!["column0", "column1"]));
    let p = profile(r#"[["a", ""], ["b", "c"]]"#);
    assert_eq!(p.record_count, 2);
}

#[test]
fn ragged_rows_and_stray_elements_are_counted() {
    let p = profile(r#"[["x", "y"], [1, 2], [3], [4, 5, 6], {"x": 7}, "eight"]"#);
    assert_eq!(p.record_count, 3);
    assert_eq!(names(&p), ["x", "y", "column2"]);
    assert_eq!(field(&p, "y").null_count, 1);
    assert!(
        p.warnings
            .iter()
            .any(|w| w == "2 rows have more or fewer cells than the header (2)"),
        "{:?}",
        p.warnings
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w == "2 elements are not arrays (rows) and were skipped (the first is object)"),
        "{:?}",
        p.warnings
    );
}

#[test]
fn objects_in_cells_are_flattened_under_the_column_name() {
    let p = profile(
        r#"[["id", "geo"], [1, {"lat": 48.85, "lon": 2.35}], [2, {"lat": 45.76, "lon": 4.83}]]"#,
    );
    assert_eq!(names(&p), ["id", "geo.lat", "geo.lon"]);
    assert_eq!(field(&p, "geo.lat").field_type, FieldType::Number);
}

#[test]
fn socrata_rows_json_is_named_by_its_column_list() {
    let doc = json!({
        "meta": {"view": {
            "id": "abcd-1234",
            "name": "Permits",
            "columns": [
                {"id": -1, "name": "sid", "dataTypeName": "meta_data", "fieldName": ":sid"},
                {"id": -1, "name": "id", "dataTypeName": "meta_data", "fieldName": ":id"},
                {"id": 1, "name": "Permit Number", "dataTypeName": "text", "fieldName": "permit_number"},
                {"id": 2, "name": "Fee", "dataTypeName": "number", "fieldName": "fee"},
                {"id": 3, "name": "Issued", "dataTypeName": "calendar_date", "fieldName": "issued"}
            ]
        }},
        "data": [
            ["row-1", "00000000-0000-0000-0000-000000000001", "P-001", "125.50", "2024-03-01T00:00:00"],
            ["row-2", "00000000-0000-0000-0000-000000000002", "P-002", "80", "2024-03-02T00:00:00"],
            ["row-3", "00000000-0000-0000-0000-000000000003", "P-003", null, "2024-03-05T00:00:00"]
        ]
    });
    let p = profile(&doc.to_string());
    assert_eq!(p.record_count, 3, "the first row is data, not a header");
    assert_eq!(names(&p), [":sid", ":id", "permit_number", "fee", "issued"]);
    assert_eq!(field(&p, "fee").null_count, 1);
    assert_eq!(p.sample_records[0]["permit_number"], json!("P-001"));
    assert!(
        p.warnings.iter().any(|w| w.contains("`meta.view.columns`")),
        "{:?}",
        p.warnings
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("`data` member") && w.contains("3 of 3 elements are arrays")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn rows_wrapped_in_an_object_take_their_header_from_the_first_row() {
    let sheet = json!({"range": "Feuille1!A1:B3", "majorDimension": "ROWS",
        "values": [["commune", "population"], ["Lille", "236234"], ["Roubaix", "98828"]]});
    let p = profile(&sheet.to_string());
    assert_eq!(p.record_count, 2);
    assert_eq!(names(&p), ["commune", "population"]);
}

#[test]
fn an_array_of_objects_still_wins_over_an_array_of_rows() {
    let doc = json!({"bbox": [[0, 0], [1, 1]], "items": [{"a": 1}, {"a": 2}]});
    let p = profile(&doc.to_string());
    assert_eq!((p.record_count, names(&p)), (2, vec!["a"]));
}

#[test]
fn rows_read_whole_under_a_tight_depth_limit_give_the_same_profile() {
    let text = r#"[["id", "tags", "geo"], [1, ["a", "b"], {"lat": 1.5}], [2, [], {"lat": 2.5}]]"#;
    let streamed = profile(text);
    let mut opts = ProfileOptions::default();
    opts.limits.max_json_depth = 16;
    let whole = profile_with(text, &opts);
    assert_eq!(
        serde_json::to_value(&streamed.fields).expect("fields"),
        serde_json::to_value(&whole.fields).expect("fields")
    );
    assert_eq!(whole.record_count, 2);
    assert_eq!(names(&whole), ["id", "tags", "geo.lat"]);
}

#[test]
fn the_header_names_fields_even_where_no_row_fills_them() {
    let p = profile(r#"[["commune", "population"]]"#);
    assert_eq!(p.record_count, 0);
    assert_eq!(names(&p), ["commune", "population"]);
    assert_eq!(field(&p, "population").field_type, FieldType::Any);

    let p = profile(r#"[["x", "y", "z"], [1, 2], [3, 4]]"#);
    assert_eq!(p.record_count, 2);
    assert_eq!(names(&p), ["x", "y", "z"]);
    assert_eq!(field(&p, "z").null_count, 2, "absent from both rows");
}

#[test]
fn a_column_list_that_does_not_name_every_column_is_set_aside_with_a_warning() {
    let doc = json!({
        "meta": {"view": {"columns": [{"fieldName": "a"}, {"name": "no field name"}]}},
        "data": [["x", 1], ["y", 2]]
    });
    let p = profile(&doc.to_string());
    assert_eq!(p.record_count, 2);
    assert_eq!(names(&p), ["column0", "column1"]);
    assert!(
        p.warnings.iter().any(|w| w.starts_with(
            "the document's column list (`meta.view.columns`) does not name every column"
        )),
        "{:?}",
        p.warnings
    );
    // A `meta` of another kind (JSON:API) says nothing about columns.
    let other = json!({"meta": {"total": 2}, "data": [[1, 2], [3, 4]]});
    let p = profile(&other.to_string());
    assert!(
        !p.warnings.iter().any(|w| w.contains("column list")),
        "{:?}",
        p.warnings
    );
}
