//! What spreadsheet and statistics-office exports put around a table:
//! padded metadata rows above the header, copies of the header, rows of
//! delimiters only, notes below the data. None of it is a record, and none
//! of it may change a field's type.

use std::io::Write;

use dataprof_profiler::model::{FieldType, SourceProfile};
use dataprof_profiler::{ProfileOptions, profile_path};

fn profile(text: &str) -> SourceProfile {
    let mut file = tempfile::Builder::new()
        .suffix(".csv")
        .tempfile()
        .expect("temp file");
    file.write_all(text.as_bytes()).expect("write");
    file.flush().expect("flush");
    profile_path(file.path(), &ProfileOptions::default()).expect("a profile")
}

fn names(profile: &SourceProfile) -> Vec<&str> {
    profile.fields.iter().map(|f| f.name.as_str()).collect()
}

fn types(profile: &SourceProfile) -> Vec<FieldType> {
    profile.fields.iter().map(|f| f.field_type).collect()
}

fn dialect(profile: &SourceProfile) -> (String, bool, u64) {
    let d = profile.dialect.as_ref().expect("a dialect");
    (d.delimiter.clone(), d.has_header, d.lines_skipped)
}

/// `rows` data lines of a code;name;count table.
fn communes(rows: usize, line_end: &str) -> String {
    (1..=rows)
        .map(|i| format!("{:05};Commune {i};{}{line_end}", 1000 + i, i * 7))
        .collect()
}

#[test]
fn a_note_below_a_small_table_keeps_its_delimiter_and_is_not_a_record() {
    let p = profile(
        "dep;libelle;effectif\n01;Ain;1200\n02;Aisne;950\n2A;Corse-du-Sud;300\n971;Guadeloupe;420\n\nSource : INSEE\n",
    );
    assert_eq!(dialect(&p), (";".to_owned(), true, 0));
    assert_eq!(names(&p), ["dep", "libelle", "effectif"]);
    assert_eq!(p.record_count, 4);
    assert_eq!(p.fields[0].format.as_deref(), Some("fr_departement"));
    assert_eq!(p.fields[2].field_type, FieldType::Integer);
    assert_eq!(
        p.warnings,
        ["1 note line after the table is not a record: \"Source : INSEE\""]
    );
}

#[test]
fn insee_title_and_notes_around_the_table() {
    let text = format!(
        "Population des communes en 2017\n\nCODGEO;LIBGEO;P17_POP\n{}\nSource : Insee, RP2017\nChamp : France hors Mayotte\n",
        communes(200, "\n")
    );
    let p = profile(&text);
    assert_eq!(dialect(&p), (";".to_owned(), true, 2));
    assert_eq!(p.record_count, 200);
    assert_eq!(p.fields[0].field_type, FieldType::String);
    assert_eq!(p.fields[2].field_type, FieldType::Integer);
    assert_eq!(p.fields[2].null_count, 0);
    assert_eq!(
        p.warnings,
        ["2 note lines after the table are not records: \"Source : Insee, RP2017\"…"]
    );
}

#[test]
fn padded_notes_after_an_empty_row_are_not_records() {
    let text = format!(
        "code;nom;pop\r\n{};;\r\nSource : INSEE;;\r\n",
        communes(30, "\r\n")
    );
    let p = profile(&text);
    assert_eq!(p.record_count, 30);
    assert_eq!(p.fields[2].null_count, 0);
    assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
}

#[test]
fn a_last_record_with_one_filled_cell_stays_a_record() {
    // Padded to the table's width and not set apart by an empty line: a
    // sparse record, not a note.
    let text = format!("code;nom;pop\n{}99999;;\n", communes(30, "\n"));
    let p = profile(&text);
    assert_eq!(p.record_count, 31);
    assert_eq!(p.fields[1].null_count, 1);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn padded_metadata_rows_above_the_header_are_a_preamble() {
    let text = format!(
        "Date d'export :;12/03/2024;;;\r\n;;;;\r\ncode;nom;pop;surface;densite\r\n{}",
        (1..=50)
            .map(|i| format!(
                "{:05};C{i};{};{},{};{},{}\r\n",
                1000 + i,
                i * 7,
                i % 40,
                i % 10,
                i % 90,
                i % 7
            ))
            .collect::<String>()
    );
    let p = profile(&text);
    assert_eq!(dialect(&p), (";".to_owned(), true, 2));
    assert_eq!(names(&p), ["code", "nom", "pop", "surface", "densite"]);
    assert_eq!(p.record_count, 50);
    assert_eq!(
        types(&p),
        [
            FieldType::String,
            FieldType::String,
            FieldType::Integer,
            FieldType::Number,
            FieldType::Number
        ]
    );
    assert_eq!(p.fields[3].format.as_deref(), Some("decimal_comma"));
}

#[test]
fn rows_of_delimiters_only_are_not_records() {
    let p = profile(
        "code;libelle;valeur\r\n01;Ain;12\r\n02;Aisne;15\r\n03;Allier;9\r\n;;\r\n;;\r\n;;\r\n",
    );
    assert_eq!(p.record_count, 3);
    assert!(p.fields.iter().all(|f| f.null_count == 0));
    assert_eq!(p.warnings, ["3 rows of delimiters only are not records"]);
}

#[test]
fn copies_of_the_header_below_it_are_skipped() {
    let header = "NUMCOM;NOMCOM;TX\n";
    let rows: String = (0..50)
        .map(|i| format!("{};NOM {i};{}.5\n", 1000 + i, i))
        .collect();
    let p = profile(&format!("{header}{header}{header}{rows}"));
    assert_eq!(dialect(&p), (";".to_owned(), true, 2));
    assert_eq!(p.record_count, 50);
    assert_eq!(
        types(&p),
        [FieldType::Integer, FieldType::String, FieldType::Number]
    );
}

#[test]
fn one_column_of_decimal_commas_is_not_split_on_the_comma() {
    let p = profile("taux\n1,5\n2,5\n3,25\n10,75\n");
    assert_eq!(names(&p), ["taux"]);
    assert_eq!(p.record_count, 4);
    assert_eq!(p.fields[0].field_type, FieldType::Number);
    assert_eq!(p.fields[0].format.as_deref(), Some("decimal_comma"));
}

#[test]
fn notes_at_the_end_of_a_file_read_in_parts() {
    // Large enough for several parts on several threads; short rows in
    // the middle are ragged records, the notes at the end are not.
    let mut text = String::from("code;nom;pop\n");
    for i in 0..600_000 {
        if i == 150_000 {
            text.push_str("orphan\n");
        }
        text.push_str(&format!("{:06};Commune {i};{}\n", i, i % 5000));
    }
    text.push_str("\nSource : Insee\nNote : provisoire\n");
    assert!(text.len() > 12 << 20, "{}", text.len());
    let p = profile(&text);
    assert_eq!(p.record_count, 600_001);
    assert_eq!(p.fields[2].null_count, 1);
    assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
    assert!(
        p.warnings[1].starts_with("2 note lines"),
        "{:?}",
        p.warnings
    );
}
