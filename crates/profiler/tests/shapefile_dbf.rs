//! DBF details real Shapefiles carry: field names in the table's code
//! page, records marked deleted, layers with no records. Each case edits
//! the bytes of a corpus Shapefile (the Paris arrondissements: 20 polygons,
//! 6 `C` fields and 2 `F` fields).

use std::io::{Read, Write};

use dataprof_profiler::model::{FieldType, SourceProfile};
use dataprof_profiler::{ProfileOptions, profile_path};

const CORPUS_ZIP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/corpus/ods_paris_arrondissements_shp.zip"
);

/// Header length and record length of the corpus DBF.
const HEADER_LEN: usize = 289;
const RECORD_LEN: usize = 1631;

fn members() -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(CORPUS_ZIP).expect("corpus zip");
    let mut archive = zip::ZipArchive::new(file).expect("zip");
    (0..archive.len())
        .map(|i| {
            let mut member = archive.by_index(i).expect("member");
            let mut bytes = Vec::new();
            member.read_to_end(&mut bytes).expect("member bytes");
            (member.name().expect("member name").into_owned(), bytes)
        })
        .collect()
}

/// Profiles the corpus layer with its `.dbf` and `.cpg` edited.
fn profile_edited(edit_dbf: impl Fn(&mut Vec<u8>), cpg: &[u8]) -> SourceProfile {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("layer.zip");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&path).expect("zip file"));
    for (name, mut bytes) in members() {
        if name.ends_with(".dbf") {
            edit_dbf(&mut bytes);
        }
        if name.ends_with(".cpg") {
            bytes = cpg.to_vec();
        }
        writer
            .start_file(name, zip::write::SimpleFileOptions::default())
            .expect("member");
        writer.write_all(&bytes).expect("write");
    }
    writer.finish().expect("finish");
    profile_path(&path, &ProfileOptions::default()).expect("a profile")
}

#[test]
fn field_names_are_decoded_with_the_tables_code_page() {
    let p = profile_edited(
        |dbf| {
            // First descriptor's name: `ANNÉE` in windows-1252.
            let name = &mut dbf[32..43];
            name.fill(0);
            name[..5].copy_from_slice(b"ANN\xC9E");
        },
        b"1252",
    );
    assert_eq!(p.fields[0].name, "ANNÉE");
    assert!(p.sample_records[0].contains_key("ANNÉE"));
}

#[test]
fn shapes_of_deleted_records_are_not_counted() {
    let p = profile_edited(
        |dbf| {
            for record in [0, 5] {
                dbf[HEADER_LEN + record * RECORD_LEN] = b'*';
            }
        },
        b"UTF-8",
    );
    assert_eq!(p.record_count, 18);
    let geometry = p.geometry.as_ref().expect("geometry");
    assert_eq!(geometry.count, 18);
    assert_eq!(geometry.types.get("Polygon"), Some(&18));
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("2 records marked deleted")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn a_layer_without_records_keeps_its_declared_types() {
    let p = profile_edited(
        |dbf| {
            dbf[4..8].copy_from_slice(&0u32.to_le_bytes());
            dbf.truncate(HEADER_LEN);
            dbf.push(0x1A);
        },
        b"UTF-8",
    );
    assert_eq!(p.record_count, 0);
    let types: Vec<FieldType> = p.fields.iter().map(|f| f.field_type).collect();
    assert_eq!(types[..6], [FieldType::String; 6]);
    assert_eq!(types[6..], [FieldType::Number; 2]);

    // A date field declares the format its values would be written in.
    let p = profile_edited(
        |dbf| {
            dbf[4..8].copy_from_slice(&0u32.to_le_bytes());
            dbf[32 + 11] = b'D';
            dbf.truncate(HEADER_LEN);
            dbf.push(0x1A);
        },
        b"UTF-8",
    );
    assert_eq!(p.fields[0].field_type, FieldType::Date);
    assert_eq!(p.fields[0].format.as_deref(), Some("%Y-%m-%d"));
    assert_eq!(p.fields[1].format, None);
}
