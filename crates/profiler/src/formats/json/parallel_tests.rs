//! A JSON file read in parts on several threads must give exactly the
//! profile of one thread: same records, fields (names, order, types,
//! counts, statistics), samples, geometry facts and warnings.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use super::collection_split;
use super::lines_split;
use super::profile_with;
use super::source::Decoding;
use crate::formats::csv::parallel::Parallelism;
use crate::{ProfileError, ProfileOptions};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

const ONE_THREAD: Parallelism = Parallelism {
    threads: 1,
    min_part_bytes: u64::MAX,
    balance_part_bytes: u64::MAX,
};

/// Two threads taking up to 16 parts of 4 KiB or more in turns.
const MANY_PARTS: Parallelism = Parallelism {
    threads: 2,
    min_part_bytes: 4 << 10,
    balance_part_bytes: 4 << 10,
};

/// The profile of one thread and of many parts, as JSON text.
fn both(path: &Path) -> (Result<String, String>, Result<String, String>) {
    let opts = ProfileOptions::default();
    let text = |r: Result<_, ProfileError>| {
        r.map(|p| serde_json::to_string_pretty(&p).expect("serialisable"))
            .map_err(|e| e.to_string())
    };
    (
        text(profile_with(path, &opts, ONE_THREAD)),
        text(profile_with(path, &opts, MANY_PARTS)),
    )
}

fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(bytes).expect("write");
    file.flush().expect("flush");
    file
}

fn parts_of_lines(path: &Path) -> Option<u64> {
    let opts = ProfileOptions::default();
    let decoding = Decoding::Utf8 { bom: false };
    match lines_split::read(path, decoding, &opts, &MANY_PARTS) {
        Ok(Some((run, _))) => Some(run.lines()),
        _ => None,
    }
}

fn parts_of_collection(path: &Path) -> Option<u64> {
    let opts = ProfileOptions::default();
    let decoding = Decoding::Utf8 { bom: false };
    match collection_split::read(path, decoding, &opts, &MANY_PARTS) {
        Ok(Some(parts)) => Some(parts.features.record_count()),
        _ => None,
    }
}

/// NDJSON whose later lines add fields, drop others, break, and hold a
/// stray array; 3000 records.
fn varied_ndjson() -> String {
    let mut text = String::new();
    for i in 0..3000u32 {
        match i {
            1234 => text.push_str("{\"id\": broken\n"),
            2100 => text.push_str("[1, 2]\n"),
            2500 => text.push('\n'),
            _ => {}
        }
        let _ = write!(
            text,
            "{{\"id\":{i},\"code\":\"{:05}\"",
            (i * 7919) % 100_000
        );
        if i % 3 == 0 {
            let _ = write!(text, ",\"geo\":{{\"lat\":{}.5,\"lon\":2.25}}", 40 + i % 9);
        }
        if i >= 1700 {
            let _ = write!(text, ",\"late\":\"x{}\"", i % 11);
        }
        if i == 2999 {
            text.push_str(",\"last\":true");
        }
        text.push_str("}\n");
    }
    text
}

#[test]
fn ndjson_in_parts_equals_one_thread() {
    let file = temp_file(varied_ndjson().as_bytes());
    assert_eq!(parts_of_lines(file.path()), Some(3003), "read in parts");
    let (one, many) = both(file.path());
    let one = one.expect("profiled");
    assert_eq!(Ok(one.clone()), many);
    let profile: serde_json::Value = serde_json::from_str(&one).expect("json");
    assert_eq!(profile["record_count"], 3000);
    let names: Vec<&str> = profile["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert_eq!(names, ["id", "code", "geo.lat", "geo.lon", "late", "last"]);
    let warnings = profile["warnings"].to_string();
    assert!(
        warnings.contains("1 NDJSON lines are not valid JSON"),
        "{warnings}"
    );
    assert!(warnings.contains("(first: line 1235:"), "{warnings}");
    assert!(
        warnings.contains("1 elements are not objects"),
        "{warnings}"
    );
}

/// JSON Lines of arrays: a header row (or none), then 3000 rows, a few of
/// them ragged or not arrays, spread over every part.
fn ndjson_rows(header: bool) -> String {
    let mut text = String::new();
    if header {
        text.push_str("[\"id\", \"code\", \"ville\", \"prix\"]\n");
    }
    for i in 0..3000u32 {
        match i {
            900 => text.push_str("{\"id\": 1}\n"),
            2600 => text.push_str("[1, \"00042\"]\n"),
            _ => {}
        }
        let _ = writeln!(
            text,
            "[{i}, \"{:05}\", \"Ville {}\", {}.{}]",
            (i * 7919) % 100_000,
            i % 37,
            i % 500,
            i % 10
        );
    }
    text
}

#[test]
fn ndjson_rows_in_parts_equal_one_thread() {
    for (header, names) in [
        (true, ["id", "code", "ville", "prix"]),
        (false, ["column0", "column1", "column2", "column3"]),
    ] {
        let file = temp_file(ndjson_rows(header).as_bytes());
        assert!(parts_of_lines(file.path()).is_some(), "read in parts");
        let (one, many) = both(file.path());
        let one = one.expect("profiled");
        assert_eq!(Ok(one.clone()), many, "header: {header}");
        let profile: serde_json::Value = serde_json::from_str(&one).expect("json");
        assert_eq!(profile["record_count"], 3001, "header: {header}");
        let got: Vec<&str> = profile["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .filter_map(|f| f["name"].as_str())
            .collect();
        assert_eq!(got, names);
        assert_eq!(
            profile["fields"][1]["type"], "string",
            "codes keep their zeros"
        );
        let warnings = profile["warnings"].to_string();
        assert!(
            warnings.contains("1 rows have more or fewer cells"),
            "{warnings}"
        );
        assert!(
            warnings.contains("1 elements are not arrays (rows) and were skipped"),
            "{warnings}"
        );
    }
}

#[test]
fn ndjson_pages_in_parts_equal_one_thread() {
    let mut text = String::new();
    for page in 0..600u32 {
        text.push('[');
        for i in 0..5u32 {
            let n = page * 5 + i;
            if i > 0 {
                text.push(',');
            }
            let _ = write!(text, "{{\"id\":{n},\"code\":\"{:05}\"}}", n * 7 % 100_000);
        }
        text.push_str("]\n");
    }
    let file = temp_file(text.as_bytes());
    assert!(parts_of_lines(file.path()).is_some(), "read in parts");
    let (one, many) = both(file.path());
    let one = one.expect("profiled");
    assert_eq!(Ok(one.clone()), many);
    let profile: serde_json::Value = serde_json::from_str(&one).expect("json");
    assert_eq!(profile["record_count"], 3000);
}

/// A FeatureCollection of 2000 features: points and polygons, one broken
/// geometry late in the file, fields that appear late, and a `crs`
/// member after `features`.
fn varied_collection(crs_after: bool) -> String {
    let mut text = String::from("{\"type\":\"FeatureCollection\",\"name\":\"t\",\"features\":[\n");
    for i in 0..2000u32 {
        if i > 0 {
            text.push_str(",\n");
        }
        let x = 650_000 + i * 10;
        let y = 6_860_000 + i * 3;
        let geometry = match i {
            1500 => "{\"type\":\"Point\",\"coordinates\":[1]}".to_owned(),
            _ if i % 4 == 0 => format!(
                "{{\"type\":\"Polygon\",\"coordinates\":[[[{x},{y}],[{},{y}],[{x},{}],[{x},{y}]]]}}",
                x + 5,
                y + 5
            ),
            _ => format!("{{\"type\":\"Point\",\"coordinates\":[{x},{y}]}}"),
        };
        let late = if i > 1200 {
            format!(",\"ajout\":\"v{}\"", i % 3)
        } else {
            String::new()
        };
        let _ = write!(
            text,
            "{{\"type\":\"Feature\",\"properties\":{{\"id\":{i},\"nom\":\"Lieu {{{i}}}, \\\"x\\\"\"{late}}},\"geometry\":{geometry}}}"
        );
    }
    text.push_str("\n]");
    if crs_after {
        text.push_str(
            ",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::2154\"}}",
        );
    }
    text.push_str("}\n");
    text
}

#[test]
fn feature_collection_in_parts_equals_one_thread() {
    for crs_after in [true, false] {
        let file = temp_file(varied_collection(crs_after).as_bytes());
        assert_eq!(
            parts_of_collection(file.path()),
            Some(2000),
            "read in parts"
        );
        let (one, many) = both(file.path());
        let one = one.expect("profiled");
        assert_eq!(Ok(one.clone()), many);
        let profile: serde_json::Value = serde_json::from_str(&one).expect("json");
        assert_eq!(profile["record_count"], 2000);
        assert_eq!(profile["geometry"]["count"], 1999);
        assert_eq!(profile["geometry"]["types"]["Polygon"], 499);
        assert_eq!(profile["geometry"]["crs"], "EPSG:2154");
        let warnings = profile["warnings"].to_string();
        assert!(warnings.contains("first: feature 1501:"), "{warnings}");
        assert_eq!(warnings.contains("inferred"), !crs_after, "{warnings}");
    }
}

#[test]
fn a_wrong_guess_falls_back_to_one_thread() {
    // Every feature's properties hold objects that look like features: the
    // cuts fall inside features, the parts do not parse, one thread reads.
    let mut text = String::from("{\"type\":\"FeatureCollection\",\"features\":[");
    for i in 0..400 {
        if i > 0 {
            text.push(',');
        }
        let _ = write!(
            text,
            "{{\"type\":\"Feature\",\"properties\":{{\"n\":{i},\"list\":[{{\"a\":1}},{{\"type\":\"Feature\",\"b\":2}},{{\"type\":\"Feature\",\"c\":3}}]}},\"geometry\":null}}"
        );
    }
    text.push_str("]}");
    let file = temp_file(text.as_bytes());
    assert_eq!(parts_of_collection(file.path()), None);
    let (one, many) = both(file.path());
    assert_eq!(one, many);
    assert!(one.expect("profiled").contains("\"record_count\": 400"));
}

#[test]
fn malformed_files_give_the_one_thread_error() {
    let mut lines = varied_ndjson();
    lines.push_str(&format!(
        "{{\"deep\":{}1{}}}\n",
        "[".repeat(200),
        "]".repeat(200)
    ));
    let mut collection = varied_collection(false);
    collection.truncate(collection.len() - 10);
    for text in [lines, collection] {
        let file = temp_file(text.as_bytes());
        let (one, many) = both(file.path());
        assert!(one.is_err(), "{one:?}");
        assert_eq!(one, many);
    }
}

#[test]
fn corpus_json_files_in_parts_equal_one_thread() {
    let corpus = Path::new(FIXTURES).join("corpus");
    let mut split = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&corpus)
        .expect("corpus")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "geojson" || e == "ndjson" || e == "json")
                && !p.ends_with("TRUTH.json")
        })
        .collect();
    names.sort();
    assert!(names.len() >= 12, "{names:?}");
    for path in &names {
        let (one, many) = both(path);
        assert!(one.is_ok(), "{}: {one:?}", path.display());
        assert_eq!(one, many, "{}", path.display());
        if parts_of_collection(path).is_some() || parts_of_lines(path).is_some() {
            split.push(path.file_name().map(|n| n.to_string_lossy().into_owned()));
        }
    }
    let split: Vec<String> = split.into_iter().flatten().collect();
    for expected in [
        "france_departements.geojson",
        "ods_sncf_liste-des-gares.geojson",
        "vbb_change_positions.ndjson",
    ] {
        assert!(
            split.iter().any(|s| s == expected),
            "{expected} not split: {split:?}"
        );
    }
}

/// With a nesting limit below the parser's, records are parsed as whole
/// `Value`s (to measure their depth) and flattened; otherwise they are
/// read straight from the parser. Both must give the same profile.
#[test]
fn records_read_from_the_parser_equal_parsed_values() {
    let corpus = Path::new(FIXTURES).join("corpus");
    let mut paths: Vec<_> = std::fs::read_dir(&corpus)
        .expect("corpus")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "geojson" || e == "ndjson" || e == "json")
                && !p.ends_with("TRUTH.json")
        })
        .collect();
    paths.sort();
    let generated = [
        temp_file(varied_ndjson().as_bytes()),
        temp_file(varied_collection(true).as_bytes()),
    ];
    paths.extend(generated.iter().map(|f| f.path().to_owned()));
    let streamed = ProfileOptions::default();
    let mut parsed = ProfileOptions::default();
    parsed.limits.max_json_depth = 126;
    let text = |r: Result<_, ProfileError>| {
        r.map(|p| serde_json::to_string_pretty(&p).expect("serialisable"))
            .map_err(|e| e.to_string())
    };
    for path in &paths {
        let a = text(profile_with(path, &streamed, ONE_THREAD));
        let b = text(profile_with(path, &parsed, ONE_THREAD));
        assert!(a.is_ok(), "{}: {a:?}", path.display());
        assert_eq!(a, b, "{}", path.display());
    }
}

#[test]
fn latin1_past_the_first_part_is_read_again_as_windows_1252() {
    let mut lines = varied_ndjson().into_bytes();
    lines.extend_from_slice(b"{\"id\": 1, \"ville\": \"Cr\xe9teil\", \"prix\": \"5 \x80\"}\n");
    let mut collection = varied_collection(false).into_bytes();
    let at = collection.len() - 4;
    collection.splice(
        at..at,
        b",{\"type\":\"Feature\",\"properties\":{\"ville\":\"S\xe8te\"},\"geometry\":null}"
            .iter()
            .copied(),
    );
    for (text, city) in [(lines, "Créteil"), (collection, "Sète")] {
        let file = temp_file(&text);
        let (one, many) = both(file.path());
        let one = one.expect("profiled");
        assert_eq!(Ok(one.clone()), many);
        let profile: serde_json::Value = serde_json::from_str(&one).expect("json");
        let expected = if city == "Sète" {
            "iso-8859-1"
        } else {
            "windows-1252"
        };
        assert_eq!(profile["encoding"], expected);
        let ville = profile["fields"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["name"] == "ville"))
            .expect("ville field");
        assert_eq!(ville["examples"][0], city, "{ville}");
    }
}

#[test]
fn files_with_a_byte_order_mark_are_split_after_it() {
    let opts = ProfileOptions::default();
    let bom = Decoding::Utf8 { bom: true };
    let mut lines = b"\xEF\xBB\xBF".to_vec();
    lines.extend_from_slice(varied_ndjson().as_bytes());
    let mut collection = b"\xEF\xBB\xBF".to_vec();
    collection.extend_from_slice(varied_collection(true).as_bytes());
    let lines = temp_file(&lines);
    let collection = temp_file(&collection);
    let split_lines = lines_split::read(lines.path(), bom, &opts, &MANY_PARTS);
    assert!(matches!(split_lines, Ok(Some(_))), "ndjson read in parts");
    let split_collection = collection_split::read(collection.path(), bom, &opts, &MANY_PARTS);
    assert!(
        matches!(split_collection, Ok(Some(_))),
        "geojson read in parts"
    );
    for file in [&lines, &collection] {
        let (one, many) = both(file.path());
        let one = one.expect("profiled");
        assert!(one.contains("\"encoding\": \"utf-8\""), "{one}");
        assert_eq!(Ok(one), many);
    }
}
