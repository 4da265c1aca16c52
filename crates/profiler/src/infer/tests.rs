//! Column inference against real values: one test per rule, then the
//! fixture files whose truth lists establish field types.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use dataprof_model::{FieldProfile, FieldType, TopValue};
use serde_json::{Value, json};

use super::{ColumnProfiler, InferOptions, typed_cell, typed_json};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/");

fn text_column(name: &str, values: &[&str]) -> FieldProfile {
    let mut p = ColumnProfiler::new(name, InferOptions::default());
    for v in values {
        p.observe_text(v);
    }
    p.finish()
}

fn json_column(name: &str, values: &[Value]) -> FieldProfile {
    let mut p = ColumnProfiler::new(name, InferOptions::default());
    for v in values {
        p.observe_json(v);
    }
    p.finish()
}

fn kind(name: &str, values: &[&str]) -> (FieldType, Option<String>) {
    let f = text_column(name, values);
    (f.field_type, f.format)
}

// ---------------------------------------------------------------- rules

#[test]
fn leading_zeros_make_codes() {
    assert_eq!(
        kind("code", &["1004", "01004", "75056"]).0,
        FieldType::String
    );
    assert_eq!(kind("n", &["007"]).0, FieldType::String);
    assert_eq!(
        kind("n", &["0", "12", "0,5"]),
        (FieldType::Number, Some("decimal_comma".into()))
    );
    assert_eq!(kind("n", &["0", "12"]).0, FieldType::Integer);
    let f = text_column("CODGEO", &["01004", "2A004", "97411"]);
    assert_eq!(f.field_type, FieldType::String);
    assert_eq!(f.format.as_deref(), Some("fr_commune_insee"));
}

#[test]
fn codes_are_reported_only_with_the_names_support() {
    // Same values, no postal name: a plain string.
    assert_eq!(
        kind("ville", &["01000", "75001"]),
        (FieldType::String, None)
    );
    assert_eq!(
        kind("Code_postal", &["01000", "75001"]),
        (FieldType::String, Some("fr_postal_code".into()))
    );
    // Without leading zeros, the name keeps postal codes strings.
    assert_eq!(
        kind("cp", &["68210", "75001"]),
        (FieldType::String, Some("fr_postal_code".into()))
    );
    assert_eq!(
        kind("insee_dep", &["01", "2A", "971"]),
        (FieldType::String, Some("fr_departement".into()))
    );
    // One value off the shape: no format.
    assert_eq!(
        kind("Code_postal", &["01000", "7500"]),
        (FieldType::String, None)
    );
}

#[test]
fn day_first_and_month_first_settlement() {
    assert_eq!(
        kind("d", &["01-01-2000", "02-02-2002", "13-12-2004"]),
        (FieldType::Date, Some("%d-%m-%Y".into()))
    );
    assert_eq!(
        kind("d", &["05/06/2019"]),
        (FieldType::Date, Some("%d/%m/%Y".into()))
    );
    assert_eq!(
        kind("d", &["05/06/2019", "12/31/2019"]),
        (FieldType::Date, Some("%m/%d/%Y".into()))
    );
    // One value proves day-first, another month-first: not a date.
    assert_eq!(
        kind("d", &["13/01/2019", "01/13/2019"]).0,
        FieldType::String
    );
    // 31/02 is no calendar date.
    assert_eq!(
        kind("d", &["30/01/2020", "31/02/2020"]).0,
        FieldType::String
    );
    let f = text_column("d", &["13/10/2021", "04/10/2021", "23/09/2020"]);
    assert_eq!(f.min, Some(json!("2020-09-23")));
    assert_eq!(f.max, Some(json!("2021-10-13")));
}

#[test]
fn other_date_and_time_patterns() {
    for (v, fmt) in [
        ("2021-01-31", "%Y-%m-%d"),
        ("31.01.2021", "%d.%m.%Y"),
        ("2021.01.31", "%Y.%m.%d"),
        ("2021/01/31", "%Y/%m/%d"),
    ] {
        assert_eq!(kind("d", &[v]), (FieldType::Date, Some(fmt.into())), "{v}");
    }
    assert_eq!(
        kind("ts", &["2023-05-10T09:46:18", "2023-05-10T09:46:18Z"]),
        (FieldType::Datetime, Some("%Y-%m-%dT%H:%M:%SZ".into()))
    );
    assert_eq!(
        kind("ts", &["2021-01-31 10:00:00"]),
        (FieldType::Datetime, Some("%Y-%m-%d %H:%M:%S".into()))
    );
    assert_eq!(
        kind("t", &["12:30", "9:05"]),
        (FieldType::Time, Some("%H:%M".into()))
    );
    // A date and a datetime in one column: neither.
    assert_eq!(
        kind("d", &["2021-01-31", "2021-01-31T10:00:00"]).0,
        FieldType::String
    );
}

#[test]
fn two_digit_years_and_french_times() {
    // 31/12/20 settles day-first; years as %y reads them.
    let f = text_column("d", &["01/02/21", "15/03/21", "31/12/20", "05/06/98"]);
    assert_eq!(
        (f.field_type, f.format.as_deref()),
        (FieldType::Date, Some("%d/%m/%y"))
    );
    assert_eq!(f.min, Some(json!("1998-06-05")));
    assert_eq!(f.max, Some(json!("2021-03-15")));
    assert_eq!(
        kind("d", &["12/31/20", "01/15/21"]),
        (FieldType::Date, Some("%m/%d/%y".into()))
    );
    // Only with slashes: `1.2.21` and `10-12-14` stay text.
    assert_eq!(kind("v", &["1.2.21", "3.4.22"]).0, FieldType::String);
    assert_eq!(kind("v", &["10-12-14"]).0, FieldType::String);

    let f = text_column("ouverture", &["08h30", "9h", "17H00"]);
    assert_eq!(
        (f.field_type, f.format.as_deref()),
        (FieldType::Time, Some("%Hh%M"))
    );
    assert_eq!(f.min, Some(json!("08:30:00")));
    assert_eq!(f.max, Some(json!("17:00:00")));
    // Both spellings in one column are still times.
    assert_eq!(
        kind("t", &["08h30", "17:45"]),
        (FieldType::Time, Some("%H:%M".into()))
    );
    assert_eq!(kind("t", &["25h00"]).0, FieldType::String);
    assert_eq!(kind("t", &["8h3"]).0, FieldType::String);
}

#[test]
fn offsets_are_labelled_as_written() {
    assert_eq!(
        kind("ts", &["2021-03-04T10:22:00+0100"]),
        (FieldType::Datetime, Some("%Y-%m-%dT%H:%M:%S%z".into()))
    );
    assert_eq!(
        kind(
            "ts",
            &["2021-03-04T10:22:00+01:00", "2021-03-04T10:22:00+0100"]
        ),
        (FieldType::Datetime, Some("%Y-%m-%dT%H:%M:%S%:z".into()))
    );
}

#[test]
fn years_and_compact_dates_need_the_name() {
    assert_eq!(kind("date_creation", &["1431", "2023"]).0, FieldType::Year);
    assert_eq!(kind("annee", &["2019", "2020"]).0, FieldType::Year);
    assert_eq!(kind("population", &["1431", "2023"]).0, FieldType::Integer);
    // 2101 is no year.
    assert_eq!(kind("annee", &["2019", "2101"]).0, FieldType::Integer);
    assert_eq!(
        kind("OC_COD", &["20060502", "20150928"]).0,
        FieldType::Integer
    );
    let f = text_column("OC_DATA_INIZIO_PROGETTO", &["20060502", "20150928"]);
    assert_eq!(
        (f.field_type, f.format.as_deref()),
        (FieldType::Date, Some("%Y%m%d"))
    );
    assert_eq!(f.min, Some(json!("2006-05-02")));
    let f = text_column("annee", &["2019", "2020", "2020"]);
    assert_eq!(f.min, Some(json!(2019)));
    assert_eq!(
        f.top_values.unwrap()[0],
        TopValue {
            value: json!(2020),
            count: 2
        }
    );
}

#[test]
fn decimal_comma_and_thousands() {
    let f = text_column("TX_F", &["51,6", "49,1", "52"]);
    assert_eq!(
        (f.field_type, f.format.as_deref()),
        (FieldType::Number, Some("decimal_comma"))
    );
    assert_eq!((f.min, f.max), (Some(json!(49.1)), Some(json!(52.0))));
    let f = text_column("inscrits", &["4 257", "267", "nd", "32\u{a0}215", ""]);
    assert_eq!(
        (f.field_type, f.format.as_deref()),
        (FieldType::Integer, Some("thousands_space"))
    );
    assert_eq!((f.min, f.max), (Some(json!(267)), Some(json!(32215))));
    assert_eq!(f.null_count, 2);
    assert_eq!(
        kind("m", &["1.234,56", "12,5"]).1.as_deref(),
        Some("decimal_comma+thousands_dot")
    );
    assert_eq!(
        kind("m", &["1,234", "12.5"]).1.as_deref(),
        Some("thousands_comma")
    );
    assert_eq!(
        kind("m", &["1,234", "0,25"]).1.as_deref(),
        Some("decimal_comma")
    );
    assert_eq!(kind("m", &["0,25", "12.5"]).0, FieldType::String);
}

#[test]
fn booleans_and_flag_digits() {
    assert_eq!(kind("ok", &["Oui", "non", "OUI"]).0, FieldType::Boolean);
    assert_eq!(
        kind(
            "ok",
            &["true", "False", "T", "f", "yes", "N", "vrai", "faux"]
        )
        .0,
        FieldType::Boolean
    );
    assert_eq!(kind("is_open", &["0", "1", "1"]).0, FieldType::Boolean);
    assert_eq!(kind("f_verre", &["0", "1"]).0, FieldType::Boolean);
    assert_eq!(kind("actif", &["1", "oui"]).0, FieldType::Boolean);
    assert_eq!(kind("count", &["0", "1", "1"]).0, FieldType::Integer);
    assert_eq!(kind("is_open", &["0", "1", "2"]).0, FieldType::Integer);
    let f = text_column("ok", &["Oui", "non"]);
    assert_eq!((f.min, f.max), (Some(json!(false)), Some(json!(true))));
}

#[test]
fn null_tokens_are_nulls_not_values() {
    let nulls = [
        "NA", "N/A", "n/a", "null", "NULL", "None", "-", "nd", "n.d.", "ND", "", "  ",
    ];
    let mut values = nulls.to_vec();
    values.push("12");
    let f = text_column("n", &values);
    assert_eq!(f.field_type, FieldType::Integer);
    assert_eq!(f.null_count, nulls.len() as u64);
    assert_eq!(f.distinct_count, 1);
    assert_eq!(text_column("n", &nulls).field_type, FieldType::Any);
}

#[test]
fn nan_is_null_only_in_numbers() {
    let f = text_column("x", &["1.5", "NaN", "2"]);
    assert_eq!(f.field_type, FieldType::Number);
    assert_eq!((f.null_count, f.distinct_count), (1, 2));
    assert!(
        f.top_values
            .unwrap()
            .iter()
            .all(|t| t.value != json!("NaN"))
    );
    let f = text_column("x", &["abc", "NaN"]);
    assert_eq!(f.field_type, FieldType::String);
    assert_eq!((f.null_count, f.distinct_count), (0, 2));
}

#[test]
fn placeholders_are_null_in_typed_columns_and_values_in_text() {
    // INSEE's secret statistique and non communiqué in a count column.
    let f = text_column("nb", &["12", "s", "NC", "7", "NC"]);
    assert_eq!(f.field_type, FieldType::Integer);
    assert_eq!((f.null_count, f.distinct_count), (3, 2));
    assert_eq!((&f.min, &f.max), (&Some(json!(7)), &Some(json!(12))));
    assert!(
        f.top_values
            .as_ref()
            .unwrap()
            .iter()
            .all(|t| t.value != json!("NC"))
    );
    assert_eq!(typed_cell("NC", &f), Value::Null);
    let f = text_column("d", &["12/03/2021", "#VALEUR!", "01/02/2020"]);
    assert_eq!(f.field_type, FieldType::Date);
    assert_eq!(f.null_count, 1);
    let f = text_column("ok", &["oui", "NR", "non"]);
    assert_eq!((f.field_type, f.null_count), (FieldType::Boolean, 1));

    // In text they are values.
    let f = text_column("pays", &["FR", "NC", "PF"]);
    assert_eq!(
        (f.field_type, f.null_count, f.distinct_count),
        (FieldType::String, 0, 3)
    );
    assert_eq!(typed_cell("NC", &f), json!("NC"));
    let f = text_column("x", &["NC", "NC"]);
    assert_eq!((f.field_type, f.null_count), (FieldType::String, 0));
    // Case matters; among codes a placeholder is a null too.
    assert_eq!(kind("n", &["1", "Nc"]).0, FieldType::String);
    let f = text_column("code_postal", &["75001", "NC", "01000"]);
    assert_eq!(
        (f.field_type, f.format.as_deref(), f.null_count),
        (FieldType::String, Some("fr_postal_code"), 1)
    );
}

#[test]
fn siret_luhn() {
    let f = text_column("idBeneficiaire", &["78012958100010", "41395842200045"]);
    assert_eq!(
        (f.field_type, f.format.as_deref()),
        (FieldType::String, Some("siret"))
    );
    // A bad check digit: no format; digits alone are then an integer...
    assert_eq!(
        kind("id", &["78012958100010", "41395842200046"]),
        (FieldType::Integer, None)
    );
    // ...unless the name says SIRET.
    assert_eq!(
        kind("Numéro SIRET", &["78012958100010", "41395842200046"]),
        (FieldType::String, None)
    );
    assert_eq!(
        kind("uai", &["0951214D", "0573389Z"]),
        (FieldType::String, Some("uai".into()))
    );
}

#[test]
fn web_identifiers() {
    assert_eq!(
        kind("url", &["https://www.essec.edu/fr/", "http://www.ensg.eu/"])
            .1
            .as_deref(),
        Some("uri")
    );
    assert_eq!(
        kind("mail", &["a.b@c.fr", "x@y.org"]).1.as_deref(),
        Some("email")
    );
    assert_eq!(
        kind("IDGAIA", &["51dfb51a-6665-11e3-afff-01f464e0362d"])
            .1
            .as_deref(),
        Some("uuid")
    );
}

#[test]
fn geopoints_and_json_text() {
    assert_eq!(
        kind("gps", &["47.655039001,7.0935498603", "47.88,-0.2263", ""]),
        (FieldType::Geopoint, Some("lat,lon".into()))
    );
    assert_eq!(kind("gps", &["51.0072, 2.3308"]).0, FieldType::Geopoint);
    assert_eq!(
        kind("gps", &["51.0072, 2.3308", "95.0, 2.0"]).0,
        FieldType::String
    );
    // Whole numbers around a comma are decimal commas, in CSV text and in
    // JSON strings alike.
    assert_eq!(
        kind("taux", &["12,5", "3,7"]),
        (FieldType::Number, Some("decimal_comma".into()))
    );
    let f = json_column("taux", &[json!("12,5"), json!("3,7"), json!("8,25")]);
    assert_eq!(f.field_type, FieldType::String);
    let shape =
        r#"{"coordinates": [[2.300280980817689, 48.84090598651907]], "type": "MultiPoint"}"#;
    assert_eq!(kind("geo_shape", &[shape]).0, FieldType::Geojson);
    assert_eq!(kind("p", &[shape, r#"{"a": 1}"#]).0, FieldType::Object);
    assert_eq!(kind("p", &["[1, 2]", "[]"]).0, FieldType::Array);
    assert_eq!(kind("p", &["{broken"]).0, FieldType::String);
}

#[test]
fn late_type_breakers() {
    let mut values = vec!["T"; 2449];
    values.push("gluglu ieie");
    assert_eq!(kind("column0", &values).0, FieldType::String);
    let mut ints: Vec<String> = (0..1999).map(|i| i.to_string()).collect();
    ints.push("12,5x".into());
    let refs: Vec<&str> = ints.iter().map(String::as_str).collect();
    assert_eq!(kind("n", &refs).0, FieldType::String);
    ints.pop();
    ints.push("0,5".into());
    let refs: Vec<&str> = ints.iter().map(String::as_str).collect();
    assert_eq!(kind("n", &refs).0, FieldType::Number);
}

#[test]
fn phone_numbers_are_strings() {
    assert_eq!(
        kind("phone", &["+318855443322", "+15551234567"]).0,
        FieldType::String
    );
    assert_eq!(kind("delta", &["+15", "-3"]).0, FieldType::Integer);
}

#[test]
fn big_numbers() {
    // Whole numbers past i64 are integers all the same.
    let f = text_column("n", &["1", "123456789012345678901234"]);
    assert_eq!(f.field_type, FieldType::Integer);
    assert_eq!(f.max, None);
    let huge = format!("9{}", "0".repeat(400));
    assert_eq!(kind("n", &["1", &huge]).0, FieldType::String);
    let f = json_column("n", &[json!(1), json!(u64::MAX)]);
    assert_eq!(f.field_type, FieldType::Integer);
    let f = json_column("n", &[json!(1.5), json!(u64::MAX)]);
    assert_eq!(f.field_type, FieldType::Number);
}

#[test]
fn json_values() {
    // The GeoJSON acv file: integers and the string "NA".
    let f = json_column("actions_en_cours", &[json!(3), json!("NA"), json!(12)]);
    assert_eq!((f.field_type, f.null_count), (FieldType::Integer, 1));
    assert_eq!((f.min, f.max), (Some(json!(3)), Some(json!(12))));
    assert_eq!(
        json_column("x", &[json!(3), json!(2.5)]).field_type,
        FieldType::Number
    );
    assert_eq!(
        json_column("x", &[json!(3.0)]).field_type,
        FieldType::Number
    );
    assert_eq!(
        json_column("x", &[json!(3), json!("abc")]).field_type,
        FieldType::String
    );
    assert_eq!(
        json_column("x", &[json!("123"), json!("45")]).field_type,
        FieldType::String
    );
    assert_eq!(
        json_column("x", &[json!("true")]).field_type,
        FieldType::String
    );
    assert_eq!(
        json_column("x", &[json!(true), json!(false)]).field_type,
        FieldType::Boolean
    );
    assert_eq!(
        json_column("ann_ouv", &[json!(1998), json!(2005)]).field_type,
        FieldType::Year
    );
    let f = json_column("d", &[json!("13/10/2021"), json!("")]);
    assert_eq!((f.field_type, f.null_count), (FieldType::Date, 1));
    assert_eq!(
        json_column("d", &[json!("20210131")]).field_type,
        FieldType::String
    );
    let f = json_column("geo_point_2d", &[json!([48.1, -1.6]), json!([48.2, -1.7])]);
    assert_eq!(
        (f.field_type, f.format.as_deref()),
        (FieldType::Geopoint, Some("[lat,lon]"))
    );
    assert_eq!(
        json_column("geometry.coordinates", &[json!([2.3, 48.8])]).field_type,
        FieldType::Array
    );
    assert_eq!(
        json_column("d", &[json!([1, 2]), json!([3, 4])]).field_type,
        FieldType::Array
    );
    assert_eq!(
        json_column("lines", &[json!(["U1", "U2"]), json!([])]).field_type,
        FieldType::Array
    );
    let geometry = json!({"type": "Point", "coordinates": [2.3, 48.8]});
    assert_eq!(
        json_column("g", std::slice::from_ref(&geometry)).field_type,
        FieldType::Geojson
    );
    assert_eq!(
        json_column("g", &[geometry, json!({"a": 1})]).field_type,
        FieldType::Object
    );
    let f = json_column("x", &[]);
    assert_eq!(f.field_type, FieldType::Any);
}

#[test]
fn distinct_count_switches_to_an_estimate() {
    let opts = InferOptions::default();
    let mut p = ColumnProfiler::new("id", opts.clone());
    for i in 0..100_000u32 {
        p.observe_text(&format!("id-{i}"));
    }
    let f = p.finish();
    assert!(f.distinct_estimated);
    let error = (f.distinct_count as f64 - 100_000.0).abs() / 100_000.0;
    assert!(error < 0.03, "{} distinct", f.distinct_count);
    assert!(f.distinct_count <= 100_000, "never above the value count");
    assert_eq!(f.top_values, None);

    let mut p = ColumnProfiler::new("id", opts);
    for i in 0..10_000u32 {
        p.observe_text(&i.to_string());
        p.observe_text(&i.to_string());
    }
    let f = p.finish();
    assert_eq!((f.distinct_count, f.distinct_estimated), (10_000, false));
    assert_eq!((f.min, f.max), (Some(json!(0)), Some(json!(9999))));
}

#[test]
fn top_values_and_examples() {
    let f = text_column(
        "backend",
        &["ods", "ckan", "ods", "dcat", "ckan", "ods", "maaf"],
    );
    let top: Vec<(Value, u64)> = f
        .top_values
        .unwrap()
        .into_iter()
        .map(|t| (t.value, t.count))
        .collect();
    assert_eq!(
        top,
        vec![
            (json!("ods"), 3),
            (json!("ckan"), 2),
            (json!("dcat"), 1),
            (json!("maaf"), 1)
        ]
    );
    assert_eq!(
        f.examples,
        vec![json!("ods"), json!("ckan"), json!("dcat"), json!("maaf")]
    );
    assert_eq!((f.min, f.max), (Some(json!("ckan")), Some(json!("ods"))));
    let f = text_column("TX_F", &["51,6", "51,6", "49,1"]);
    assert_eq!(
        f.top_values.unwrap()[0],
        TopValue {
            value: json!(51.6),
            count: 2
        }
    );
    assert_eq!(f.examples, vec![json!("51,6"), json!("49,1")]);

    let opts = InferOptions {
        max_example_chars: 4,
        ..InferOptions::default()
    };
    let mut p = ColumnProfiler::new("nom", opts);
    p.observe_text("Château");
    let f = p.finish();
    assert_eq!(f.examples, vec![json!("Chât…")]);
    assert_eq!(f.max, Some(json!("Chât…")));
}

#[test]
fn merge_equals_one_pass() {
    let mut columns: Vec<(&str, Vec<String>)> = vec![
        (
            "TX_F",
            ["51,6", "49,1", "", "52", "0,5", "51,6"]
                .map(String::from)
                .to_vec(),
        ),
        (
            "d",
            ["05/06/2019", "NA", "13/10/2021", "01/01/2000"]
                .map(String::from)
                .to_vec(),
        ),
        (
            "code",
            ["1004", "75056", "01004", "75056"]
                .map(String::from)
                .to_vec(),
        ),
        ("x", ["1.5", "NaN", "abc", "2"].map(String::from).to_vec()),
        (
            "ts",
            ["2023-05-10T09:46:18.111", "2023-05-09T07:39:08Z"]
                .map(String::from)
                .to_vec(),
        ),
        ("ok", ["oui", "non", "non"].map(String::from).to_vec()),
    ];
    columns.push((
        "id",
        (0..30_000).map(|i| format!("v{}", i % 25_000)).collect(),
    ));
    columns.push(("few", (0..200).map(|i| format!("v{}", i % 70)).collect()));
    for (name, values) in &columns {
        let opts = InferOptions::default();
        let mut whole = ColumnProfiler::new(*name, opts.clone());
        values.iter().for_each(|v| whole.observe_text(v));
        for split in [0, 1, values.len() / 2, values.len()] {
            let mut a = ColumnProfiler::new(*name, opts.clone());
            let mut b = ColumnProfiler::new(*name, opts.clone());
            values[..split].iter().for_each(|v| a.observe_text(v));
            values[split..].iter().for_each(|v| b.observe_text(v));
            a.merge(b);
            assert_eq!(
                a.finish(),
                whole.clone().finish(),
                "{name} split at {split}"
            );
        }
    }
}

#[test]
fn typed_cells_for_samples() {
    let number = text_column("TX_F", &["51,6"]);
    assert_eq!(typed_cell("51,6", &number), json!(51.6));
    assert_eq!(typed_cell("NA", &number), Value::Null);
    assert_eq!(typed_cell("NaN", &number), Value::Null);
    let int = text_column("n", &["4 257"]);
    assert_eq!(typed_cell("4 257", &int), json!(4257));
    let code = text_column("cp", &["01000"]);
    assert_eq!(typed_cell("01000", &code), json!("01000"));
    let date = text_column("d", &["13/10/2021"]);
    assert_eq!(typed_cell("13/10/2021", &date), json!("2021-10-13"));
    let ts = text_column("ts", &["13-12-2004 15:16:00"]);
    assert_eq!(
        typed_cell("02-02-2002 14:15:00", &ts),
        json!("2002-02-02T14:15:00")
    );
    let b = text_column("ok", &["Oui"]);
    assert_eq!(typed_cell("Non", &b), json!(false));
    let gp = text_column("gps", &["47.655039001,7.0935498603"]);
    assert_eq!(
        typed_cell("47.655039001,7.0935498603", &gp),
        json!({"lat": 47.655039001, "lon": 7.0935498603})
    );
    let shape = r#"{"type": "Point", "coordinates": [2.3, 48.8]}"#;
    let g = text_column("geo_shape", &[shape]);
    assert_eq!(
        typed_cell(shape, &g),
        json!({"type": "Point", "coordinates": [2.3, 48.8]})
    );
    let y = text_column("annee", &["2019"]);
    assert_eq!(typed_cell("2019", &y), json!(2019));
    let t = text_column("t", &["12:12:12"]);
    assert_eq!(typed_cell("12:12:12", &t), json!("12:12:12"));
}

#[test]
fn typed_json_values_for_samples() {
    let date = json_column("date_signature", &[json!("28/09/2018")]);
    assert_eq!(typed_json(&json!("28/09/2018"), &date), json!("2018-09-28"));
    assert_eq!(typed_json(&json!("NA"), &date), Value::Null);
    let ints = json_column("actions_en_cours", &[json!(3), json!("NA")]);
    assert_eq!(typed_json(&json!(3), &ints), json!(3));
    assert_eq!(typed_json(&json!("NA"), &ints), Value::Null);
    let gp = json_column("geo_point_2d", &[json!([48.1, -1.6])]);
    assert_eq!(
        typed_json(&json!([48.1, -1.6]), &gp),
        json!({"lat": 48.1, "lon": -1.6})
    );
    let codes = json_column("code", &[json!("01")]);
    assert_eq!(typed_json(&json!("01"), &codes), json!("01"));
}

proptest::proptest! {
    /// No input makes the profiler panic, and every cell reads back.
    #[test]
    fn any_text_is_profiled_without_panic(
        cells in proptest::prop_oneof![
            // One kind of value per column, so that typed columns occur...
            proptest::collection::vec("[0-9]{1,3}([ .,][0-9]{3}){0,3}([.,][0-9]{1,3})?", 1..12),
            proptest::collection::vec("[+-]?[0-9]{1,20}([.,][0-9]{1,4})?(e[0-9])?", 1..12),
            proptest::collection::vec(
                "[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{4}( [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?",
                1..12,
            ),
            proptest::collection::vec("[0-9]{4}-[0-1][0-9]-[0-3][0-9](T[0-2][0-9]:[0-5][0-9](Z|[+-]0[0-9]:00)?)?", 1..12),
            proptest::collection::vec("-?[0-9]{1,2}\\.[0-9]{1,6}, ?-?[0-9]{1,3}\\.[0-9]{1,6}", 1..12),
            proptest::collection::vec("(oui|non|T|f|NA|0|1|NaN|)", 1..12),
            // ...and mixed or arbitrary text.
            proptest::collection::vec(
                proptest::prop_oneof![
                    "[0-9 ,.:/+eETZ-]{0,24}",
                    "[{}\\[\\]\"a-z0-9:, ]{0,20}",
                    proptest::prelude::any::<String>(),
                ],
                0..12,
            ),
        ]
    ) {
        let mut whole = ColumnProfiler::new("x", InferOptions::default());
        let mut a = ColumnProfiler::new("x", InferOptions::default());
        let mut b = ColumnProfiler::new("x", InferOptions::default());
        for (i, cell) in cells.iter().enumerate() {
            whole.observe_text(cell);
            if i % 2 == 0 { a.observe_text(cell) } else { b.observe_text(cell) }
        }
        let field = whole.finish();
        a.merge(b);
        let merged = a.finish();
        proptest::prop_assert_eq!(merged.field_type, field.field_type);
        proptest::prop_assert_eq!(&merged.format, &field.format);
        proptest::prop_assert_eq!(merged.distinct_count, field.distinct_count);
        for cell in &cells {
            let typed = typed_cell(cell, &field);
            let fits = typed.is_null()
                || match field.field_type {
                    FieldType::Integer | FieldType::Year => typed.is_i64(),
                    FieldType::Number => typed.is_number(),
                    FieldType::Boolean => typed.is_boolean(),
                    FieldType::Date => typed.as_str().is_some_and(|d| d.len() == 10),
                    FieldType::Geopoint | FieldType::Geojson | FieldType::Object => typed.is_object(),
                    FieldType::Array => typed.is_array(),
                    _ => typed.is_string(),
                };
            proptest::prop_assert!(fits, "{:?} read back as {} under {:?}", cell, typed, field.field_type);
        }
    }
}

// ------------------------------------------------------------- fixtures

/// A truth entry's expected type: one name or a list of accepted ones.
fn accepted(expected: &Value) -> Vec<&str> {
    match expected {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn decode(bytes: &[u8], encoding: &str) -> String {
    let text = match encoding {
        "latin-1" | "iso-8859-1" => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
        _ => String::from_utf8(bytes.to_vec()).unwrap(),
    };
    text.trim_start_matches('\u{feff}').to_owned()
}

/// Profiles a CSV fixture with the dialect its truth entry states.
fn profile_csv(path: &str, truth: &Value) -> Vec<FieldProfile> {
    let bytes = std::fs::read(path).unwrap();
    let text = decode(&bytes, truth["encoding"].as_str().unwrap());
    let mut body = text.as_str();
    for _ in 0..truth["skip_rows"].as_u64().unwrap_or(0) {
        body = body.split_once('\n').map_or("", |(_, rest)| rest);
    }
    let delimiter = truth["delimiter"]
        .as_str()
        .map_or(0x1f, |d| d.as_bytes()[0]);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .quoting(truth["quote"].is_string())
        .flexible(true)
        .from_reader(body.as_bytes());
    let mut records = reader.records().map(Result::unwrap);
    let header = truth["header"].as_bool().unwrap();
    let first = records.next().unwrap();
    let names: Vec<String> = if header {
        first.iter().map(str::to_owned).collect()
    } else {
        (0..first.len()).map(|i| format!("column{i}")).collect()
    };
    let mut columns: Vec<ColumnProfiler> = names
        .iter()
        .map(|n| ColumnProfiler::new(n.as_str(), InferOptions::default()))
        .collect();
    let data = (!header).then_some(first).into_iter().chain(records);
    for record in data {
        for (i, column) in columns.iter_mut().enumerate() {
            match record.get(i) {
                Some(cell) => column.observe_text(cell),
                None => column.observe_missing(1),
            }
        }
    }
    columns.into_iter().map(ColumnProfiler::finish).collect()
}

/// Flattens nested objects to dotted names; arrays stay whole.
fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, v, out);
            }
        }
        other => {
            out.insert(prefix.to_owned(), other.clone());
        }
    }
}

/// Profiles a JSON, NDJSON or GeoJSON fixture: records are features'
/// properties, the elements of a top-level array, an API response's
/// `records`, or NDJSON lines.
fn profile_json(path: &str) -> Vec<FieldProfile> {
    let text = std::fs::read_to_string(path).unwrap();
    let records: Vec<Value> = if path.ends_with(".ndjson") {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    } else {
        match serde_json::from_str::<Value>(&text).unwrap() {
            Value::Array(items) => items,
            Value::Object(mut o) => match (o.remove("features"), o.remove("records")) {
                (Some(Value::Array(features)), _) => features
                    .into_iter()
                    .map(|f| f["properties"].clone())
                    .collect(),
                (_, Some(Value::Array(records))) => records,
                _ => panic!("no records in {path}"),
            },
            _ => panic!("no records in {path}"),
        }
    };
    let flat: Vec<BTreeMap<String, Value>> = records
        .iter()
        .map(|r| {
            let mut out = BTreeMap::new();
            flatten("", r, &mut out);
            out
        })
        .collect();
    let mut names: Vec<String> = flat.iter().flat_map(|r| r.keys().cloned()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let mut p = ColumnProfiler::new(name.as_str(), InferOptions::default());
            for record in &flat {
                match record.get(&name) {
                    Some(v) => p.observe_json(v),
                    None => p.observe_missing(1),
                }
            }
            p.finish()
        })
        .collect()
}

/// Finds a truth field among profiles: by name, or `columnN` by position
/// in a header-less file.
fn find<'a>(fields: &'a [FieldProfile], key: &str, header: bool) -> Option<&'a FieldProfile> {
    if !header
        && let Some(index) = key
            .strip_prefix("column")
            .and_then(|n| n.parse::<usize>().ok())
    {
        return fields.get(index);
    }
    fields.iter().find(|f| f.name == key)
}

/// Dialects the csv crate alone does not read like the real reader
/// (comment lines, relaxed or backslash quoting): left to the CSV reader's
/// own tests.
const CSV_SKIPPED: [&str; 3] = [
    "A15-simple.csv",
    "A18-unescaped_quote.csv",
    "A21-backslash_escape.csv",
];

fn check_truth_file(truth_path: &str, dir: &str) -> usize {
    let truth: Vec<Value> = serde_json::from_slice(&std::fs::read(truth_path).unwrap()).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in &truth {
        let file = entry["file"].as_str().unwrap();
        let path = format!("{dir}{file}");
        let formats = accepted(&entry["format"]);
        let (fields, header) = if formats.contains(&"csv") {
            if CSV_SKIPPED.contains(&file) {
                continue;
            }
            (
                profile_csv(&path, entry),
                entry["header"].as_bool().unwrap_or(true),
            )
        } else if formats
            .iter()
            .any(|f| ["json", "ndjson", "geojson"].contains(f))
        {
            (profile_json(&path), true)
        } else {
            continue;
        };
        for (key, expected) in entry["fields"].as_object().unwrap() {
            let ok = accepted(expected);
            match find(&fields, key, header) {
                Some(f) if ok.contains(&f.field_type.as_str()) => checked += 1,
                Some(f) => failures.push(format!(
                    "{file}: {key} is {} ({:?}), truth {ok:?}; examples {:?}",
                    f.field_type, f.format, f.examples
                )),
                None => failures.push(format!("{file}: no field {key}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    checked
}

#[test]
fn duckdb_peer_truth_types() {
    let dir = format!("{FIXTURES}peers/duckdb/");
    let checked = check_truth_file(&format!("{dir}TRUTH.json"), &dir);
    // Every field of the 22 files read here (92 in the truth list).
    assert_eq!(checked, 92);
}

#[test]
fn corpus_truth_types() {
    let dir = format!("{FIXTURES}corpus/");
    let checked = check_truth_file(&format!("{dir}TRUTH.json"), &dir);
    // Every field of the CSV, JSON and GeoJSON files (147 in the truth list).
    assert_eq!(checked, 147);
}

fn csv_fixture(file: &str) -> Vec<FieldProfile> {
    let dir = format!("{FIXTURES}corpus/");
    let truth: Vec<Value> =
        serde_json::from_slice(&std::fs::read(format!("{dir}TRUTH.json")).unwrap()).unwrap();
    let entry = truth.iter().find(|e| e["file"] == file).unwrap();
    profile_csv(&format!("{dir}{file}"), entry)
}

fn peer_fixture(file: &str) -> Vec<FieldProfile> {
    let dir = format!("{FIXTURES}peers/duckdb/");
    let truth: Vec<Value> =
        serde_json::from_slice(&std::fs::read(format!("{dir}TRUTH.json")).unwrap()).unwrap();
    let entry = truth.iter().find(|e| e["file"] == file).unwrap();
    profile_csv(&format!("{dir}{file}"), entry)
}

#[test]
fn peer_formats() {
    let kinds = |file: &str| -> Vec<(FieldType, Option<String>)> {
        peer_fixture(file)
            .into_iter()
            .map(|f| (f.field_type, f.format))
            .collect()
    };
    let a07 = kinds("A07-decimal_separators.csv");
    assert_eq!(
        a07,
        vec![
            (FieldType::Number, Some("decimal_comma".into())),
            (FieldType::Number, None)
        ]
    );
    let a09 = peer_fixture("A09-simple.csv");
    assert_eq!(a09[0].format.as_deref(), Some("thousands_comma"));
    assert_eq!(a09[0].max, Some(json!(9999999999.2)));
    assert_eq!(typed_cell("300,000,000.40", &a09[0]), json!(300000000.4));
    let a08 = peer_fixture("A08-comma_decimal_null.csv");
    let fsc = field(&a08, "FINANZ_STATO_FSC");
    assert_eq!(fsc.format.as_deref(), Some("decimal_comma"));
    assert_eq!(
        (fsc.null_count, fsc.max.clone()),
        (2, Some(json!(385000000.0)))
    );
    assert_eq!(field(&a08, "PROGRAMMATO_INDICATORE_1").format, None);
    // All empty: nothing to say.
    assert_eq!(field(&a08, "COD_OB_TEMATICO").field_type, FieldType::Any);
    let a05 = peer_fixture("A05-leading_zeros2.csv");
    let date = field(&a05, "data_entrata_in_carica");
    assert_eq!(date.format.as_deref(), Some("%d/%m/%Y"));
    assert_eq!(
        (date.min.clone(), date.max.clone()),
        (Some(json!("2020-09-23")), Some(json!("2021-10-27")))
    );
    let a01 = kinds("A01-time_date_timestamp_dd-mm-yyyy.csv");
    assert_eq!(a01[3], (FieldType::Date, Some("%d-%m-%Y".into())));
    assert_eq!(
        a01[4],
        (FieldType::Datetime, Some("%d-%m-%Y %H:%M:%S".into()))
    );
    let a02 = kinds("A02-time_date_timestamp_yyyy.mm.dd.csv");
    assert_eq!(a02[2], (FieldType::Time, Some("%H:%M:%S".into())));
    assert_eq!(
        a02[4],
        (FieldType::Datetime, Some("%Y.%m.%d %H:%M:%S".into()))
    );
    let a20 = peer_fixture("A20-big_not_bool.csv");
    assert_eq!(
        a20[0].top_values.as_ref().unwrap()[0],
        TopValue {
            value: json!("T"),
            count: 2450 - 1
        }
    );
}

fn field<'a>(fields: &'a [FieldProfile], name: &str) -> &'a FieldProfile {
    fields.iter().find(|f| f.name == name).unwrap()
}

#[test]
fn laposte_codes_and_geopoints() {
    let fields = csv_fixture("laposte_hexasmal.csv");
    let cp = field(&fields, "Code_postal");
    assert_eq!(
        (cp.field_type, cp.format.as_deref()),
        (FieldType::String, Some("fr_postal_code"))
    );
    assert_eq!(cp.min, Some(json!("01000")));
    let insee = field(&fields, "Code_commune_INSEE");
    assert_eq!(insee.format.as_deref(), Some("fr_commune_insee"));
    let gps = field(&fields, "coordonnees_gps");
    assert_eq!((gps.field_type, gps.null_count), (FieldType::Geopoint, 270));
}

#[test]
fn esr_establishments() {
    let fields = csv_fixture("ods_fr-esr-principaux-etablissements-enseignement-superieur.csv");
    let inscrits = field(&fields, "inscrits_2010");
    assert_eq!(inscrits.field_type, FieldType::Integer);
    assert_eq!(inscrits.format.as_deref(), Some("thousands_space"));
    let sample = inscrits
        .examples
        .iter()
        .find(|e| e.as_str().is_some_and(|s| s.contains(' ')))
        .unwrap();
    assert!(typed_cell(sample.as_str().unwrap(), inscrits).is_i64());
    assert_eq!(field(&fields, "date_creation").field_type, FieldType::Year);
    let siret = field(&fields, "siret");
    assert_eq!(
        (siret.field_type, siret.format.as_deref()),
        (FieldType::String, Some("siret"))
    );
    assert_eq!(field(&fields, "uai").format.as_deref(), Some("uai"));
    assert_eq!(field(&fields, "url").format.as_deref(), Some("uri"));
    assert_eq!(
        field(&fields, "coordonnees").field_type,
        FieldType::Geopoint
    );
}

#[test]
fn caf_rates_use_a_decimal_comma() {
    let fields = csv_fixture("caf_data_DEMO_2020_V1_COM.csv");
    let tx = field(&fields, "TX_F");
    assert_eq!(
        (tx.field_type, tx.format.as_deref()),
        (FieldType::Number, Some("decimal_comma"))
    );
    assert_eq!(tx.null_count, 0);
    let a = field(&fields, "A");
    assert_eq!((a.field_type, a.null_count), (FieldType::Integer, 18));
    let codgeo = field(&fields, "CODGEO");
    // Some CODGEO values join several commune codes (0309503310): no format.
    assert_eq!(
        (codgeo.field_type, codgeo.format.as_deref()),
        (FieldType::String, None)
    );
    assert_eq!(codgeo.distinct_count, 791);
}

#[test]
fn harvest_export_datetimes_and_top_values() {
    let fields = csv_fixture("datagouv_export-harvest-20230614.csv");
    let created = field(&fields, "created_at");
    assert_eq!(created.field_type, FieldType::Datetime);
    assert!(
        created
            .format
            .as_deref()
            .unwrap()
            .starts_with("%Y-%m-%dT%H:%M:%S")
    );
    let backend = field(&fields, "backend");
    let top: Vec<(Value, u64)> = backend
        .top_values
        .clone()
        .unwrap()
        .into_iter()
        .map(|t| (t.value, t.count))
        .collect();
    assert_eq!(
        top,
        vec![
            (json!("ods"), 150),
            (json!("ckan"), 83),
            (json!("dcat"), 64),
            (json!("dkan"), 2),
            (json!("maaf"), 2)
        ]
    );
}

#[test]
fn acv_geojson_properties() {
    let fields = profile_json(&format!(
        "{FIXTURES}corpus/acv_villes_coeur_de_ville_anct_2024-09.geojson"
    ));
    let actions = field(&fields, "actions_en_cours");
    assert_eq!(
        (actions.field_type, actions.null_count),
        (FieldType::Integer, 67)
    );
    let dep = field(&fields, "insee_dep");
    assert_eq!(
        (dep.field_type, dep.format.as_deref()),
        (FieldType::String, Some("fr_departement"))
    );
    assert_eq!(
        field(&fields, "insee_com").format.as_deref(),
        Some("fr_commune_insee")
    );
    let signature = field(&fields, "date_signature");
    assert_eq!(
        (signature.field_type, signature.null_count),
        (FieldType::Date, 5)
    );
}

#[test]
fn cells_are_trimmed_only_when_an_end_may_be_white_space() {
    for (cell, want) in [
        ("01004", "01004"),
        ("x", "x"),
        (" 12 ", "12"),
        ("\u{a0}51,6\u{202f}", "51,6"),
        ("\tNA", "NA"),
        ("", ""),
        ("é", "é"),
    ] {
        assert_eq!(super::trimmed(cell), want, "{cell:?}");
    }
}

proptest::proptest! {
    /// A repeated text value is not shown to the type inference again (it
    /// could not change it): the profile is the one every value makes.
    #[test]
    fn repeated_values_change_nothing(
        picks in proptest::collection::vec(0usize..16, 1..60),
        name in proptest::sample::select(vec!["valeur", "date", "code_postal", "flag", "annee"]),
    ) {
        const VOCABULARY: [&str; 16] = [
            "1", "01", "1,5", "1.5", "oui", "non", "2021-01-31", "13/01/2021", "01/13/2021",
            "NaN", "x", " 2 ", "1e5", "45.1,2.3", "75001", "2019",
        ];
        let mut skipping = ColumnProfiler::new(name, InferOptions::default());
        // A JSON null first: equal texts then stop counting as repeats.
        let mut every = ColumnProfiler::new(name, InferOptions::default());
        every.observe_json(&Value::Null);
        for &i in &picks {
            skipping.observe_text(VOCABULARY[i]);
            every.observe_text(VOCABULARY[i]);
        }
        let mut want = every.finish();
        want.null_count -= 1;
        proptest::prop_assert_eq!(skipping.finish(), want);
    }
}

#[test]
fn json_number_then_same_text_as_string_is_no_repeat() {
    // `1` then `"1"`: the same text, not the same value.
    let f = json_column("n", &[json!(1), json!("1")]);
    assert_eq!(f.field_type, FieldType::String);
    let f = json_column("n", &[json!(1), json!(2), json!(1)]);
    assert_eq!(f.field_type, FieldType::Integer);
}
