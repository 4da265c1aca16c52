//! Hostile and unusual inputs for the JSON, GeoJSON, Shapefile and archive
//! readers, generated here: each must give a clear error or a sound
//! profile, never a panic, a hang or a write outside temporary files.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use dataprof_profiler::formats::json;
use dataprof_profiler::model::SourceProfile;
use dataprof_profiler::{ProfileError, ProfileOptions, profile_path};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::json;
use tempfile::TempDir;
use zip::write::SimpleFileOptions;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/corpus/");

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

fn profile(dir: &TempDir, name: &str, bytes: &[u8]) -> Result<SourceProfile, ProfileError> {
    profile_path(&write(dir, name, bytes), &ProfileOptions::default())
}

fn error(dir: &TempDir, name: &str, bytes: &[u8]) -> String {
    match profile(dir, name, bytes) {
        Ok(p) => panic!(
            "{name}: expected an error, got a {} profile",
            p.detected_format
        ),
        Err(e) => e.to_string(),
    }
}

fn ok(dir: &TempDir, name: &str, bytes: &[u8]) -> SourceProfile {
    match profile(dir, name, bytes) {
        Ok(p) => p,
        Err(e) => panic!("{name}: {e}"),
    }
}

/// Straight to the JSON reader, for content whose routing is the sniffer's
/// job (UTF-16, a leading record separator).
fn json_ok(dir: &TempDir, name: &str, bytes: &[u8]) -> SourceProfile {
    match json::profile(&write(dir, name, bytes), &ProfileOptions::default()) {
        Ok(p) => p,
        Err(e) => panic!("{name}: {e}"),
    }
}

fn names(p: &SourceProfile) -> Vec<&str> {
    p.fields.iter().map(|f| f.name.as_str()).collect()
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        w.start_file(*name, opts).expect("start member");
        w.write_all(bytes).expect("member bytes");
    }
    w.finish().expect("finish zip").into_inner()
}

fn gzip_of(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip end")
}

/// The members of a corpus zip, by name.
fn corpus_members(zip: &str) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(format!("{CORPUS}{zip}")).expect("fixture");
    let mut archive = zip::ZipArchive::new(file).expect("zip");
    (0..archive.len())
        .map(|i| {
            let mut m = archive.by_index(i).expect("member");
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut m, &mut bytes).expect("read member");
            (m.name().expect("name").into_owned(), bytes)
        })
        .collect()
}

const RECORDS: &[u8] = br#"[{"id": 1, "nom": "Lille"}, {"id": 2, "nom": "Roubaix"}]"#;

// ---- JSON ----------------------------------------------------------------

#[test]
fn json_nesting_is_read_to_127_levels_and_refused_at_128() {
    let dir = TempDir::new().expect("tmp");
    let nested = |levels: usize| {
        // A record (level 2) whose member holds arrays down to `levels`.
        let inner = levels - 2;
        format!("[{{\"a\": {}1{}}}]", "[".repeat(inner), "]".repeat(inner))
    };
    let p = ok(&dir, "deep127.json", nested(127).as_bytes());
    assert_eq!(p.record_count, 1);
    let e = error(&dir, "deep128.json", nested(128).as_bytes());
    assert!(
        e.starts_with("json: limit exceeded: JSON nested deeper than 127 levels"),
        "{e}"
    );
}

#[test]
fn json_nested_100000_deep_is_a_clear_error_not_a_stack_overflow() {
    let dir = TempDir::new().expect("tmp");
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let e = error(&dir, "deep.json", deep.as_bytes());
    assert!(
        e.starts_with("json: limit exceeded: JSON nested deeper than 127 levels"),
        "{e}"
    );
    // Members that are skipped rather than read are walked without
    // recursion by serde_json: a deep one is simply not records.
    let deep_object = format!("{}1{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000));
    let e = error(&dir, "deep_object.json", deep_object.as_bytes());
    assert_eq!(
        e,
        "sniff: a JSON object with no array of records (members: a)"
    );
    let deep_features = format!(
        r#"{{"type":"FeatureCollection","features":[{{"properties":{}1{}}}]}}"#,
        r#"{"a":"#.repeat(100_000),
        "}".repeat(100_000)
    );
    let e = error(&dir, "deep_feature.geojson", deep_features.as_bytes());
    assert!(e.contains("nested deeper than 127 levels"), "{e}");
    let wrapped = format!(
        r#"{{"records": [{{"a": {}1{}}}]}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let e = error(&dir, "deep_record.json", wrapped.as_bytes());
    assert!(e.contains("nested deeper than 127 levels"), "{e}");
}

#[test]
fn tighter_depth_limit_applies_to_records() {
    let dir = TempDir::new().expect("tmp");
    let mut opts = ProfileOptions::default();
    opts.limits.max_json_depth = 3;
    let path = write(&dir, "d.json", br#"[{"a": {"b": {"c": 1}}}]"#);
    let e = profile_path(&path, &opts)
        .expect_err("too deep")
        .to_string();
    assert!(e.contains("nested deeper than 3 levels"), "{e}");
    let path = write(&dir, "d2.json", br#"[{"a": {"b": 1}}]"#);
    assert!(profile_path(&path, &opts).is_ok());
}

#[test]
fn invalid_json_says_where() {
    let dir = TempDir::new().expect("tmp");
    let e = error(&dir, "bad.json", b"[\n{\"a\": 1},\n{\"a\": }\n]");
    assert_eq!(e, "json: invalid JSON at line 3 column 7: expected value");
    let e = error(&dir, "cut.json", br#"[{"a": 1}, {"a": "#);
    assert!(e.contains("before it is complete (truncated?)"), "{e}");
}

#[test]
fn scalars_and_arrays_of_scalars_are_unsupported() {
    let dir = TempDir::new().expect("tmp");
    let p = ok(&dir, "gap.json", br#"[null, {"a": 1}, {"a": 2}]"#);
    assert_eq!(p.record_count, 2);
    let e = error(&dir, "nums.json", b"[1, 2, 3]");
    assert_eq!(
        e,
        "sniff: a JSON array of numbers, not of records (objects)"
    );
    let e = error(&dir, "strings.json", br#"["a", ["b"], {"c": 1}]"#);
    assert_eq!(
        e,
        "sniff: a JSON array of strings, not of records (objects)"
    );
    let e = error(
        &dir,
        "obj.json",
        br#"{"title": "x", "count": 3, "tags": ["a"]}"#,
    );
    assert_eq!(
        e,
        "sniff: a JSON object with no array of records (members: title, count, tags)"
    );
    let e = error(
        &dir,
        "point.json",
        br#"{"type": "Point", "coordinates": [1, 2]}"#,
    );
    assert!(e.contains("bare GeoJSON Point geometry"), "{e}");
}

#[test]
fn wrapped_records_are_found_at_the_top_or_one_level_down() {
    let dir = TempDir::new().expect("tmp");
    let ods_v2 = json!({"total_count": 2, "links": [{"rel": "self"}],
        "results": [{"a": 1, "geo": {"lat": 50.6, "lon": 3.1}}, {"a": 2, "b": "x"}]});
    let p = ok(&dir, "v2.json", ods_v2.to_string().as_bytes());
    assert_eq!((p.detected_format.as_str(), p.record_count), ("json", 2));
    assert_eq!(names(&p), ["a", "geo.lat", "geo.lon", "b"]);
    assert!(
        p.warnings.iter().any(|w| w.contains("`results`")),
        "{:?}",
        p.warnings
    );

    let ckan = json!({"help": "...", "success": true,
        "result": {"fields": [{"id": "a"}], "records": [{"a": 1}, {"a": 2}, {"a": 3}], "total": 3}});
    let p = ok(&dir, "ckan.json", ckan.to_string().as_bytes());
    assert_eq!(p.record_count, 3);
    assert_eq!(names(&p), ["a"]);
    assert!(
        p.warnings.iter().any(|w| w.contains("`result.records`")),
        "{:?}",
        p.warnings
    );

    let empty = json!({"nhits": 0, "parameters": {}, "records": []});
    let p = ok(&dir, "empty.json", empty.to_string().as_bytes());
    assert_eq!((p.record_count, p.field_count), (0, 0));
}

#[test]
fn latin1_and_utf16_json_are_decoded() {
    let dir = TempDir::new().expect("tmp");
    let p = ok(
        &dir,
        "latin1.json",
        b"[{\"ville\": \"Cr\xe9teil\"}, {\"ville\": \"S\xe8te\"}]",
    );
    assert_eq!(p.encoding.as_deref(), Some("iso-8859-1"));
    assert_eq!(p.sample_records[0]["ville"], json!("Créteil"));
    let p = ok(&dir, "cp1252.json", b"[{\"prix\": \"5 \x80\"}]");
    assert_eq!(p.encoding.as_deref(), Some("windows-1252"));
    assert_eq!(p.sample_records[0]["prix"], json!("5 €"));

    let mut utf16 = vec![0xFF, 0xFE];
    for unit in r#"[{"nom": "Évry"}]"#.encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let p = json_ok(&dir, "utf16.json", &utf16);
    assert_eq!(p.encoding.as_deref(), Some("utf-16le"));
    assert_eq!(p.sample_records[0]["nom"], json!("Évry"));

    let p = ok(&dir, "bom.json", "\u{feff}[{\"a\": 1}]".as_bytes());
    assert_eq!(p.encoding.as_deref(), Some("utf-8"));

    // UTF-8 with one broken byte stays UTF-8: the byte is replaced and
    // counted, the accents elsewhere are kept (not read as windows-1252).
    let with_bad_byte = |head: &str, tail: &[u8]| {
        let mut bytes = head.as_bytes().to_vec();
        bytes.push(0xff);
        bytes.extend_from_slice(tail);
        bytes
    };
    for (name, bytes) in [
        (
            "broken.json",
            with_bad_byte(
                r#"[{"nom": "Éloïse"}, {"nom": "Orléans"}, {"nom": "x"#,
                b"\"}]",
            ),
        ),
        (
            "broken.ndjson",
            with_bad_byte(
                "{\"nom\": \"Éloïse\"}\n{\"nom\": \"Orléans\"}\n{\"nom\": \"x",
                b"\"}\n",
            ),
        ),
    ] {
        let p = ok(&dir, name, &bytes);
        assert_eq!(p.encoding.as_deref(), Some("utf-8"), "{name}");
        assert_eq!(p.sample_records[0]["nom"], json!("Éloïse"), "{name}");
        assert_eq!(p.sample_records[2]["nom"], json!("x\u{fffd}"), "{name}");
        assert!(
            p.warnings
                .iter()
                .any(|w| w == "1 invalid UTF-8 sequence replaced"),
            "{name}: {:?}",
            p.warnings
        );
    }
}

#[test]
fn samples_are_cut_and_fields_limited() {
    let dir = TempDir::new().expect("tmp");
    let long = "x".repeat(2000);
    let p = ok(
        &dir,
        "long.json",
        json!([{"t": long}]).to_string().as_bytes(),
    );
    let cut = p.sample_records[0]["t"]
        .as_str()
        .expect("string")
        .to_owned();
    assert_eq!(cut.chars().count(), 1001);
    assert!(cut.ends_with('…'));

    let mut opts = ProfileOptions::default();
    opts.limits.max_fields = 2;
    let path = write(&dir, "wide.json", br#"[{"a": 1, "b": 2, "c": 3}]"#);
    let e = profile_path(&path, &opts)
        .expect_err("too wide")
        .to_string();
    assert!(
        e.starts_with("json: limit exceeded: more than 2 fields"),
        "{e}"
    );
}

// ---- NDJSON --------------------------------------------------------------

#[test]
fn ndjson_bad_line_is_skipped_and_reported() {
    let dir = TempDir::new().expect("tmp");
    let p = ok(
        &dir,
        "feed.ndjson",
        b"{\"a\": 1, \"s\": {\"n\": \"x\"}}\n{\"a\": 2, oops}\n\n{\"a\": 3, \"t\": [1]}\n",
    );
    assert_eq!(p.detected_format, "ndjson");
    assert_eq!(p.record_count, 2);
    assert_eq!(names(&p), ["a", "s.n", "t"]);
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    assert!(
        p.warnings[0]
            .starts_with("1 NDJSON lines are not valid JSON and were skipped (first: line 2:"),
        "{:?}",
        p.warnings
    );
}

#[test]
fn ndjson_lines_ending_with_commas_are_read_and_reported() {
    let dir = TempDir::new().expect("tmp");
    let p = ok(
        &dir,
        "export.jsonl",
        b"{\"a\": 1, \"b\": \"x\"},\n{\"a\": 2, \"b\": \"y\"} ,\r\n{\"a\": 3, \"b\": \"z\"}\n",
    );
    assert_eq!(p.detected_format, "ndjson");
    assert_eq!(p.record_count, 3);
    assert_eq!(names(&p), ["a", "b"]);
    assert_eq!(
        p.warnings,
        [
            "2 lines end with a comma (a JSON array written without its brackets?); the commas were ignored"
        ]
    );
    let p = ok(&dir, "one.jsonl", b"{\"a\": 1},\n");
    assert_eq!((p.detected_format.as_str(), p.record_count), ("ndjson", 1));
}

#[test]
fn ndjson_lines_of_pages_give_their_records() {
    let dir = TempDir::new().expect("tmp");
    let p = ok(
        &dir,
        "pages.jsonl",
        b"[{\"id\": 1, \"nom\": \"a\"}, {\"id\": 2, \"nom\": \"b\"}]\n\
          [{\"id\": 3, \"nom\": \"c\"}, {\"id\": 4}, {\"id\": 5, \"nom\": \"e\"}]\n",
    );
    assert_eq!(p.detected_format, "ndjson");
    assert_eq!(p.record_count, 5);
    assert_eq!(names(&p), ["id", "nom"]);
    assert_eq!(p.fields[1].null_count, 1);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.starts_with("each line is an array of records")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn ndjson_limits_and_refusals() {
    let dir = TempDir::new().expect("tmp");
    let mut opts = ProfileOptions::default();
    opts.limits.max_record_bytes = 64;
    let long_line = format!("{{\"a\": 1}}\n{{\"a\": \"{}\"}}\n", "y".repeat(200));
    let path = write(&dir, "long.ndjson", long_line.as_bytes());
    let e = profile_path(&path, &opts)
        .expect_err("line too long")
        .to_string();
    assert_eq!(
        e,
        "json: limit exceeded: NDJSON line 2 is longer than 64 bytes"
    );
    // A first line that is a number reaches the JSON reader only when
    // asked directly (the sniffer calls such text a one-column CSV file).
    let path = write(&dir, "numbers.ndjson", b"1\n{\"a\": 2}\n");
    let e = json::profile(&path, &ProfileOptions::default())
        .expect_err("numbers are not records")
        .to_string();
    assert!(e.contains("line 1 holds a number, not a record"), "{e}");
    let p = ok(&dir, "rows.ndjson", b"[\"x\", \"y\"]\n[1, 2]\n[3, 4]\n");
    assert_eq!((p.record_count, names(&p)), (2, vec!["x", "y"]));
}

#[test]
fn geojson_text_sequence_reads_features() {
    let dir = TempDir::new().expect("tmp");
    let seq = concat!(
        "\x1e{\"type\":\"Feature\",\"properties\":{\"n\":1},\"geometry\":{\"type\":\"Point\",\"coordinates\":[2.35,48.85]}}\n",
        "\x1e{\"type\":\"Feature\",\"properties\":{\"n\":2},\"geometry\":{\"type\":\"Point\",\"coordinates\":[3.06,50.63]}}\n"
    );
    let p = json_ok(&dir, "seq.geojsons", seq.as_bytes());
    assert_eq!((p.detected_format.as_str(), p.record_count), ("geojson", 2));
    let g = p.geometry.expect("geometry");
    assert_eq!(g.count, 2);
    assert_eq!(g.bbox, Some([2.35, 48.85, 3.06, 50.63]));
}

// ---- GeoJSON -------------------------------------------------------------

#[test]
fn geojson_invalid_coordinates_are_counted_not_fatal() {
    let dir = TempDir::new().expect("tmp");
    let fc = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"n": 1}, "geometry": {"type": "Point", "coordinates": [2.0, 48.0]}},
        {"type": "Feature", "properties": {"n": 2}, "geometry": {"type": "Point", "coordinates": ["2", "48"]}},
        {"type": "Feature", "properties": {"n": 3}, "geometry": {"type": "Polygon", "coordinates": [[2.0, 48.0]]}},
        {"type": "Feature", "properties": {"n": 4}, "geometry": {"type": "LineString", "coordinates": [[2.0], [3.0, 49.0]]}},
        {"type": "Feature", "properties": {"n": 5}, "geometry": null}
    ]});
    let p = ok(&dir, "bad_coords.geojson", fc.to_string().as_bytes());
    assert_eq!(p.record_count, 5);
    let g = p.geometry.expect("geometry");
    assert_eq!(g.count, 1);
    assert_eq!(g.bbox, Some([2.0, 48.0, 2.0, 48.0]));
    assert!(
        p.warnings
            .iter()
            .any(|w| w.starts_with("3 features have an invalid geometry")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn geojson_crs_member_before_or_after_features() {
    let dir = TempDir::new().expect("tmp");
    let feature = json!({"type": "Feature", "properties": {"code": "59350"},
        "geometry": {"type": "Point", "coordinates": [704_000.0, 7_059_000.0]}});
    let crs = json!({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}});
    let after = format!(r#"{{"type":"FeatureCollection","features":[{feature}],"crs":{crs}}}"#);
    let before_type =
        format!(r#"{{"features":[{feature}],"crs":{crs},"type":"FeatureCollection"}}"#);
    for (name, text) in [("after.geojson", after), ("late_type.geojson", before_type)] {
        let p = ok(&dir, name, text.as_bytes());
        assert_eq!(p.record_count, 1, "{name}");
        let g = p.geometry.expect("geometry");
        assert_eq!(g.crs.as_deref(), Some("EPSG:2154"), "{name}");
        assert_eq!(
            g.bbox,
            Some([704_000.0, 7_059_000.0, 704_000.0, 7_059_000.0])
        );
    }
    // No crs member and Lambert-93 coordinates: inferred, with a warning.
    let bare = format!(r#"{{"type":"FeatureCollection","features":[{feature}]}}"#);
    let p = ok(&dir, "bare.geojson", bare.as_bytes());
    assert_eq!(
        p.geometry.as_ref().and_then(|g| g.crs.as_deref()),
        Some("EPSG:2154")
    );
    assert!(
        p.warnings.iter().any(|w| w.contains("inferred")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn single_feature_is_one_record() {
    let dir = TempDir::new().expect("tmp");
    let f = json!({"type": "Feature", "id": 7, "properties": {"nom": "Bondy", "pop": 53_000},
        "geometry": {"type": "MultiPolygon", "coordinates": [[[[2.46, 48.89], [2.5, 48.9], [2.48, 48.91], [2.46, 48.89]]]]}});
    let p = ok(&dir, "one.geojson", f.to_string().as_bytes());
    assert_eq!((p.detected_format.as_str(), p.record_count), ("geojson", 1));
    assert_eq!(names(&p), ["nom", "pop"]);
    let g = p.geometry.expect("geometry");
    assert_eq!(g.geometry_type.as_deref(), Some("MultiPolygon"));
    assert_eq!(g.bbox, Some([2.46, 48.89, 2.5, 48.91]));
}

// ---- gzip ----------------------------------------------------------------

#[test]
fn gzip_of_json_is_profiled_with_its_container() {
    let dir = TempDir::new().expect("tmp");
    let mut e = flate2::GzBuilder::new()
        .filename("communes.json")
        .write(Vec::new(), Compression::default());
    e.write_all(RECORDS).expect("gzip");
    let p = ok(&dir, "x.gz", &e.finish().expect("gzip end"));
    assert_eq!((p.detected_format.as_str(), p.record_count), ("json", 2));
    let c = p.container.expect("container");
    assert_eq!(
        (c.kind.as_str(), c.member.as_deref()),
        ("gzip", Some("communes.json"))
    );
}

#[test]
fn truncated_gzip_is_malformed() {
    let dir = TempDir::new().expect("tmp");
    let big: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let gz = gzip_of(&big);
    let e = error(&dir, "cut.gz", &gz[..gz.len() / 2]);
    assert!(
        e.starts_with("gzip: the gzip stream is corrupt or truncated"),
        "{e}"
    );
}

#[test]
fn gzip_bombs_hit_the_limits() {
    let dir = TempDir::new().expect("tmp");
    let bomb = gzip_of(&vec![b' '; 20 << 20]);
    let mut opts = ProfileOptions::default();
    opts.limits.max_decompressed_bytes = 1 << 20;
    opts.limits.max_compression_ratio = u64::MAX;
    let path = write(&dir, "bomb.gz", &bomb);
    let e = profile_path(&path, &opts)
        .expect_err("size limit")
        .to_string();
    assert_eq!(
        e,
        "gzip: limit exceeded: the archive decompresses to more than 1048576 bytes (at the gzip stream)"
    );
    let e = profile_path(&path, &ProfileOptions::default())
        .expect_err("ratio limit")
        .to_string();
    assert!(e.contains("expands more than 200x"), "{e}");
}

// ---- zip -----------------------------------------------------------------

#[test]
fn truncated_and_corrupt_zips_are_malformed() {
    let dir = TempDir::new().expect("tmp");
    let bytes = std::fs::read(format!("{CORPUS}ne_110m_admin_0_countries.zip")).expect("fixture");
    let e = error(&dir, "cut.zip", &bytes[..bytes.len() / 2]);
    assert!(e.starts_with("zip: not a readable zip archive"), "{e}");

    let payload: Vec<u8> = (0..50_000u32)
        .flat_map(|i| (i * 7919).to_le_bytes())
        .collect();
    let mut z = zip_of(&[("data.json", &payload)]);
    // Flip bytes in the middle of the compressed data: the CRC check fails.
    for b in &mut z[200..260] {
        *b ^= 0x5A;
    }
    let e = error(&dir, "corrupt.zip", &z);
    assert!(
        e.starts_with("zip: member data.json is corrupt or truncated"),
        "{e}"
    );
}

#[test]
fn member_names_never_become_paths() {
    let dir = TempDir::new().expect("tmp");
    let z = zip_of(&[("../../etc/evil.csv", RECORDS)]);
    let nested = dir.path().join("a/b");
    std::fs::create_dir_all(&nested).expect("dirs");
    let path = nested.join("evil.zip");
    std::fs::write(&path, z).expect("write zip");
    let p = profile_path(&path, &ProfileOptions::default()).expect("profiled from a temp file");
    assert_eq!(p.record_count, 2);
    let c = p.container.expect("container");
    assert_eq!(c.member.as_deref(), Some("../../etc/evil.csv"));
    assert!(!dir.path().join("etc/evil.csv").exists());
    assert!(!nested.join("../../etc/evil.csv").exists());
    assert!(!Path::new("/etc/evil.csv").exists());
}

#[test]
fn csv_in_a_folder_is_chosen_over_readme_and_junk() {
    let dir = TempDir::new().expect("tmp");
    let csv = "code;nom\n59350;Lille\n".repeat(50);
    let z = zip_of(&[
        ("export/", b""),
        ("export/README.txt", b"Source: MEL"),
        ("export/data/communes.csv", csv.as_bytes()),
        ("__MACOSX/export/data/._communes.csv", b"\x00\x05\x16\x07"),
        ("export/.DS_Store", b"\x00\x00\x00\x01Bud1"),
    ]);
    let member = "export/data/communes.csv";
    match profile(&dir, "folder.zip", &z) {
        Ok(p) => {
            let c = p.container.expect("container");
            assert_eq!(
                (c.kind.as_str(), c.member.as_deref()),
                ("zip", Some(member))
            );
            assert!(
                p.warnings
                    .iter()
                    .any(|w| w.contains("profiled export/data/communes.csv"))
            );
        }
        // Until the CSV reader lands, its error names the member.
        Err(e) => assert!(
            e.to_string()
                .ends_with(&format!("(in zip member {member})")),
            "{e}"
        ),
    }
}

#[test]
fn encrypted_members_are_unsupported() {
    let dir = TempDir::new().expect("tmp");
    let mut z = zip_of(&[("secret.json", RECORDS)]);
    // Set the "encrypted" flag (bit 0 of the general purpose flags) in the
    // local header (offset 6) and the central directory entry (offset 8).
    z[6] |= 1;
    let central = z
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .expect("central directory");
    z[central + 8] |= 1;
    let e = error(&dir, "secret.zip", &z);
    assert_eq!(e, "zip: member secret.json is encrypted");
}

#[test]
fn zip_limits_and_empty_archives() {
    let dir = TempDir::new().expect("tmp");
    let z = zip_of(&[
        ("a.json", RECORDS),
        ("b.json", RECORDS),
        ("c.json", RECORDS),
    ]);
    let mut opts = ProfileOptions::default();
    opts.limits.max_archive_members = 2;
    let path = write(&dir, "many.zip", &z);
    let e = profile_path(&path, &opts)
        .expect_err("too many")
        .to_string();
    assert_eq!(
        e,
        "zip: limit exceeded: the archive lists 3 members, more than 2"
    );
    let e = error(
        &dir,
        "empty.zip",
        &zip_of(&[("folder/", b""), ("__MACOSX/x", b"1")]),
    );
    assert_eq!(
        e,
        "sniff: the zip archive holds no file (only folders or system files)"
    );
    let inner = zip_of(&[("inner.json", RECORDS)]);
    let outer = zip_of(&[("inner.zip", &inner)]);
    let p = ok(&dir, "nested.zip", &outer);
    assert_eq!(p.record_count, 2);
    assert_eq!(
        p.container.and_then(|c| c.member).as_deref(),
        Some("inner.zip")
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("profiled its member inner.json"))
    );
    let three = zip_of(&[("l3.zip", &zip_of(&[("l2.zip", &outer)]))]);
    let e = error(&dir, "deep.zip", &three);
    assert!(e.contains("archives nested deeper than 2"), "{e}");
}

// ---- Shapefile -----------------------------------------------------------

#[test]
fn shp_without_dbf_and_dbf_without_shp_are_malformed() {
    let dir = TempDir::new().expect("tmp");
    let members = corpus_members("ods_paris_arrondissements_shp.zip");
    let get = |ext: &str| {
        members
            .iter()
            .find(|(n, _)| n.ends_with(ext))
            .map(|(_, b)| b.clone())
            .expect("member")
    };
    let e = error(
        &dir,
        "no_dbf.zip",
        &zip_of(&[("arr.shp", &get(".shp")), ("arr.prj", &get(".prj"))]),
    );
    assert_eq!(
        e,
        "shapefile: arr.shp has no matching .dbf (a Shapefile needs its attribute table)"
    );
    let e = error(&dir, "no_shp.zip", &zip_of(&[("arr.dbf", &get(".dbf"))]));
    assert_eq!(
        e,
        "shapefile: arr.dbf has no matching .shp (a lone dBase table is not read)"
    );
}

#[test]
fn corrupt_shp_header_is_malformed() {
    let dir = TempDir::new().expect("tmp");
    let members = corpus_members("ods_paris_arrondissements_shp.zip");
    let mut shp = members
        .iter()
        .find(|(n, _)| n.ends_with(".shp"))
        .map(|(_, b)| b.clone())
        .expect("shp");
    let dbf = members
        .iter()
        .find(|(n, _)| n.ends_with(".dbf"))
        .map(|(_, b)| b.clone())
        .expect("dbf");
    shp[..4].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    let e = error(
        &dir,
        "bad_shp.zip",
        &zip_of(&[("arr.shp", &shp), ("arr.dbf", &dbf)]),
    );
    assert!(e.starts_with("shapefile: arr.shp: invalid header"), "{e}");
    // A .shp cut short: the shapes run out before the header says.
    let mut cut = members
        .iter()
        .find(|(n, _)| n.ends_with(".shp"))
        .map(|(_, b)| b.clone())
        .expect("shp");
    cut.truncate(cut.len() / 2);
    let e = error(
        &dir,
        "cut_shp.zip",
        &zip_of(&[("arr.shp", &cut), ("arr.dbf", &dbf)]),
    );
    assert!(e.starts_with("shapefile: arr.shp: shape"), "{e}");
}

#[test]
fn two_layers_describe_the_richest_and_list_both() {
    let p = profile_path(
        Path::new(&format!("{CORPUS}natural_earth_two_layers.zip")),
        &ProfileOptions::default(),
    )
    .expect("profile");
    assert_eq!(p.layer.as_deref(), Some("ne_110m_admin_0_countries"));
    assert_eq!(p.field_count, 5);
    assert_eq!(
        p.container.and_then(|c| c.member).as_deref(),
        Some("ne_110m_admin_0_countries.shp")
    );
    let layers: Vec<(&str, u64, usize, Option<&str>)> = p
        .layers
        .iter()
        .map(|l| {
            (
                l.name.as_str(),
                l.record_count,
                l.field_count,
                l.geometry.as_ref().and_then(|g| g.geometry_type.as_deref()),
            )
        })
        .collect();
    assert_eq!(
        layers,
        [
            ("ne_110m_admin_0_countries", 177, 5, Some("Polygon")),
            ("ne_110m_populated_places", 243, 1, Some("Point"))
        ]
    );
    assert!(
        p.layers
            .iter()
            .all(|l| l.encoding.as_deref() == Some("iso-8859-1"))
    );
}

#[test]
fn office_documents_are_named_not_profiled_as_xml() {
    let dir = TempDir::new().expect("tempdir");
    let xlsx = zip_of(&[
        ("[Content_Types].xml", b"<Types/>".as_slice()),
        ("xl/workbook.xml", b"<workbook/>".as_slice()),
        ("xl/worksheets/sheet1.xml", b"<worksheet/>".as_slice()),
    ]);
    match profile(&dir, "export.csv", &xlsx) {
        Err(ProfileError::Unsupported {
            detected, reason, ..
        }) => {
            assert_eq!(detected, "xlsx");
            assert!(reason.contains("Excel workbook"), "{reason}");
        }
        other => panic!("expected unsupported xlsx, got {other:?}"),
    }
    let ods = zip_of(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet".as_slice(),
        ),
        ("content.xml", b"<office:document-content/>".as_slice()),
    ]);
    let err = error(&dir, "export.ods", &ods);
    assert!(err.contains("OpenDocument"), "{err}");
}

#[test]
fn esri_json_is_read_as_records_not_as_geojson() {
    let dir = TempDir::new().expect("temp dir");
    let esri = json!({
        "displayFieldName": "nom",
        "geometryType": "esriGeometryPoint",
        "spatialReference": {"wkid": 2154, "latestWkid": 2154},
        "fields": [{"name": "OBJECTID", "type": "esriFieldTypeOID"}],
        "features": [
            {"attributes": {"OBJECTID": 1, "nom": "a"}, "geometry": {"x": 652469.0, "y": 6862035.0}},
            {"attributes": {"OBJECTID": 2, "nom": "b"}, "geometry": {"x": 700000.0, "y": 6600000.0}}
        ]
    });
    let p = ok(&dir, "query.json", esri.to_string().as_bytes());
    assert_eq!(p.detected_format, "json");
    assert!(p.geometry.is_none(), "no WGS 84 claim: {:?}", p.geometry);
    assert_eq!(p.record_count, 2);
    let names: Vec<&str> = p.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "attributes.OBJECTID",
            "attributes.nom",
            "geometry.x",
            "geometry.y"
        ]
    );
    assert!(
        p.warnings.iter().any(|w| w.contains("Esri JSON")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn a_member_that_is_an_object_or_null_has_no_always_null_field() {
    let dir = TempDir::new().expect("temp dir");
    let records = json!([
        {"id": 1, "adresse": {"rue": "a", "cp": "75001"}},
        {"id": 2, "adresse": null},
        {"id": 3},
        {"id": 4, "adresse": {"rue": "b", "cp": "75002"}}
    ]);
    let p = ok(&dir, "records.json", records.to_string().as_bytes());
    let names: Vec<&str> = p.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["id", "adresse.rue", "adresse.cp"]);
    assert_eq!(p.fields[1].null_count, 2);
    assert!(p.sample_records.iter().all(|r| !r.contains_key("adresse")));
}

#[test]
fn a_feature_collection_wrapped_in_an_api_response_is_geojson() {
    let dir = TempDir::new().expect("temp dir");
    let wrapped = json!({
        "status": "ok",
        "data": {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
            "features": [
                {"type": "Feature", "properties": {"nom": "a", "n": 1},
                 "geometry": {"type": "Point", "coordinates": [652469.0, 6862035.0]}},
                {"type": "Feature", "properties": {"nom": "b", "n": 2},
                 "geometry": {"type": "Point", "coordinates": [700000.0, 6600000.0]}}
            ]
        }
    });
    let p = ok(&dir, "api.json", wrapped.to_string().as_bytes());
    assert_eq!(p.detected_format, "geojson");
    assert_eq!(p.record_count, 2);
    assert_eq!(names(&p), ["nom", "n"]);
    let geometry = p.geometry.as_ref().expect("geometry");
    assert_eq!(geometry.crs.as_deref(), Some("EPSG:2154"));
    assert_eq!(geometry.geometry_type.as_deref(), Some("Point"));
    assert_eq!(
        geometry.bbox,
        Some([652469.0, 6600000.0, 700000.0, 6862035.0])
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("from the `data.features` member")),
        "{:?}",
        p.warnings
    );

    // Beside a larger array of objects (pagination links), still GeoJSON.
    let mut with_links = wrapped.clone();
    with_links["links"] = json!([{"rel": "self", "href": "a"}, {"rel": "next", "href": "b"},
        {"rel": "last", "href": "c"}]);
    let p = ok(&dir, "links.json", with_links.to_string().as_bytes());
    assert_eq!((p.detected_format.as_str(), p.record_count), ("geojson", 2));

    // The same features under an object that does not say it is a
    // FeatureCollection stay plain records.
    let untyped = json!({"data": {"features": [{"type": "Feature", "properties": {"a": 1}}]}});
    let p = ok(&dir, "untyped.json", untyped.to_string().as_bytes());
    assert_eq!(p.detected_format, "json");
}
