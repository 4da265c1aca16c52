//! Content a catalog really serves instead of clean CSV: non-data files
//! named `.csv`, over-long lines, broken encodings, NUL bytes, ragged rows.
//! Each must end with a profile or a clear error, never a panic or a hang.

use std::io::Write;

use dataprof_profiler::model::SourceProfile;
use dataprof_profiler::{ProfileError, ProfileOptions, profile_path};
use serde_json::Value;

fn write_temp(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new()
        .suffix(".csv")
        .tempfile()
        .expect("temp file");
    file.write_all(bytes).expect("write");
    file.flush().expect("flush");
    file
}

fn profile_bytes(bytes: &[u8], opts: &ProfileOptions) -> Result<SourceProfile, ProfileError> {
    let file = write_temp(bytes);
    profile_path(file.path(), opts)
}

fn profile(bytes: &[u8]) -> SourceProfile {
    profile_bytes(bytes, &ProfileOptions::default()).expect("a profile")
}

fn unsupported_kind(bytes: &[u8]) -> (String, String) {
    match profile_bytes(bytes, &ProfileOptions::default()) {
        Err(ProfileError::Unsupported {
            detected, reason, ..
        }) => (detected, reason),
        other => panic!("expected unsupported, got {other:?}"),
    }
}

fn names(profile: &SourceProfile) -> Vec<&str> {
    profile.fields.iter().map(|f| f.name.as_str()).collect()
}

#[test]
fn html_error_page_saved_as_csv() {
    let page = b"\xEF\xBB\xBF\r\n<!DOCTYPE html>\n<html lang=\"fr\"><head><title>404 - Page introuvable</title></head>\n<body><p>Erreur</p></body></html>\n";
    let (detected, reason) = unsupported_kind(page);
    assert_eq!(detected, "html");
    assert_eq!(
        reason,
        "the file is an HTML page, not a data file (an error or landing page served in place of the data?)"
    );
}

#[test]
fn other_non_data_files() {
    assert_eq!(unsupported_kind(b"%PDF-1.4\n1 0 obj\n").0, "pdf");
    assert_eq!(
        unsupported_kind(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10").0,
        "png"
    );
    assert_eq!(unsupported_kind(b"").0, "empty");
    assert_eq!(unsupported_kind(b"\r\n  \n\t\n").0, "empty");
    let (detected, reason) = unsupported_kind(
        b"version https://git-lfs.github.com/spec/v1\noid sha256:9f2c1e\nsize 52311\n",
    );
    assert_eq!(detected, "git-lfs-pointer");
    assert!(reason.contains("Git LFS pointer"));
    assert_eq!(unsupported_kind(b"id;nom\n1;a\0\0\0b\n").0, "binary");
    assert_eq!(
        unsupported_kind(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rows/>").0,
        "xml"
    );
}

#[test]
fn empty_corpus_file_is_unsupported_empty() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/corpus/uk_locations-1998_empty.csv"
    );
    match profile_path(path.as_ref(), &ProfileOptions::default()) {
        Err(err) => {
            assert_eq!(err.detected_format(), Some("empty"));
            assert_eq!(err.to_string(), "sniff: the file is empty (0 bytes)");
        }
        Ok(profile) => panic!("profiled an empty file: {profile:?}"),
    }
}

#[test]
fn only_comments_is_empty() {
    assert_eq!(unsupported_kind(b"# nothing here\n# at all\n").0, "empty");
}

fn small_record_limit() -> ProfileOptions {
    let mut opts = ProfileOptions::default();
    opts.limits.max_record_bytes = 1 << 20;
    opts
}

#[test]
fn twenty_megabyte_line_hits_the_record_limit() {
    let mut bytes = b"id,text\n1,".to_vec();
    bytes.resize(20 << 20, b'x');
    match profile_bytes(&bytes, &small_record_limit()) {
        Err(ProfileError::Failed { step, cause }) => {
            assert_eq!(step, "csv");
            assert!(cause.starts_with("limit exceeded: "), "{cause}");
            assert!(cause.contains("longer than 1048576 bytes"), "{cause}");
        }
        other => panic!("expected a limit error, got {other:?}"),
    }
}

#[test]
fn unclosed_quote_hits_the_record_limit() {
    // A quote that never closes swallows every following line into one
    // record; the guard stops it at the limit.
    let mut bytes = b"id,text\n1,\"open\n".to_vec();
    while bytes.len() < 3 << 20 {
        bytes.extend_from_slice(b"2,more text on another line\n");
    }
    let err = profile_bytes(&bytes, &small_record_limit()).expect_err("limit");
    assert!(err.to_string().starts_with("csv: limit exceeded"), "{err}");
}

#[test]
fn invalid_utf8_mid_file_is_replaced_and_reported() {
    let mut bytes = "commune;population\n".as_bytes().to_vec();
    for i in 0..400 {
        bytes.extend_from_slice(format!("Évry-{i};{i}\n").as_bytes());
    }
    bytes.extend_from_slice(b"Bad \xFF name;7\n");
    bytes.extend_from_slice("Orléans;116000\n".as_bytes());
    let profile = profile(&bytes);
    assert_eq!(profile.encoding.as_deref(), Some("utf-8"));
    assert_eq!(profile.record_count, 402);
    assert!(
        profile
            .warnings
            .contains(&"1 invalid UTF-8 sequence replaced".to_owned()),
        "{:?}",
        profile.warnings
    );
}

#[test]
fn nul_bytes_after_the_head_do_not_break_the_reader() {
    let mut bytes = b"id,text\n".to_vec();
    let mut n = 0;
    while bytes.len() < 100 * 1024 {
        bytes.extend_from_slice(format!("{n},plain\n").as_bytes());
        n += 1;
    }
    bytes.extend_from_slice(b"999,nul\0inside\n");
    let profile = profile(&bytes);
    assert_eq!(profile.record_count, n + 1);
    assert_eq!(profile.field_count, 2);
}

#[test]
fn ragged_rows_are_counted_in_one_warning() {
    let text = b"a,b,c,d\n1,2,3,4\n1,2,3,4,5\n1,2,3\n1,2,3,4,5\n1,2,3,4\n1,2,3,4\n";
    let profile = profile(text);
    assert_eq!(profile.field_count, 4);
    assert_eq!(profile.record_count, 6);
    assert_eq!(
        profile.warnings,
        vec![
            "3 records have 3 to 5 fields instead of 4: missing cells read as null, extra cells dropped"
                .to_owned()
        ]
    );
    // The short row's absent cell is a null of column d.
    assert_eq!(profile.fields[3].null_count, 1);
    // Samples hold the declared fields only, null for the absent cell.
    let third = &profile.sample_records[2];
    assert_eq!(third.len(), 4);
    assert_eq!(third["d"], Value::Null);
}

#[test]
fn windows_1252_file_with_title_lines() {
    let text = b"Population l\xE9gale 2017;;;\nSource : Insee;;;\n;;;\nCODGEO;Libell\xE9;Taux;Montant\n01004;Amb\xE9rieu (\x80);51,6;12 \x80\n01005;Ambutrix;3,4;7 \x80\n";
    let profile = profile(text);
    assert_eq!(profile.encoding.as_deref(), Some("windows-1252"));
    let dialect = profile.dialect.as_ref().expect("dialect");
    assert_eq!(dialect.delimiter, ";");
    assert_eq!(dialect.lines_skipped, 3);
    assert_eq!(dialect.header_row_index, Some(3));
    assert!(dialect.has_header);
    assert_eq!(names(&profile), ["CODGEO", "Libellé", "Taux", "Montant"]);
    assert_eq!(profile.record_count, 2);
    assert_eq!(profile.sample_records[0]["Libellé"], "Ambérieu (€)");
}

#[test]
fn utf16_csv_with_bom() {
    let text = "id;ville\r\n1;Orléans\r\n2;Nîmes\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let profile = profile(&bytes);
    assert_eq!(profile.encoding.as_deref(), Some("utf-16le"));
    assert_eq!(names(&profile), ["id", "ville"]);
    assert_eq!(profile.record_count, 2);
    assert_eq!(profile.sample_records[1]["ville"], "Nîmes");
    assert_eq!(
        profile.dialect.as_ref().map(|d| d.line_terminator.as_str()),
        Some("crlf")
    );
}

#[test]
fn late_latin1_byte_decides_the_encoding() {
    let mut bytes = b"id,name\n".to_vec();
    let mut n = 0;
    while bytes.len() < 3 << 20 {
        bytes.extend_from_slice(format!("{n},plain\n").as_bytes());
        n += 1;
    }
    bytes.extend_from_slice(b"last,Jos\xE9\n");
    let profile = profile(&bytes);
    assert_eq!(profile.encoding.as_deref(), Some("iso-8859-1"));
    assert_eq!(profile.record_count, n + 1);
}

#[test]
fn quoted_line_breaks_stay_in_their_cell() {
    let text = b"id,comment\r\n1,\"first line\r\nsecond line\"\r\n2,\"a \"\"quoted\"\" word\"\r\n3,plain\r\n";
    let profile = profile(text);
    assert_eq!(profile.record_count, 3);
    assert_eq!(
        profile.sample_records[0]["comment"],
        "first line\r\nsecond line"
    );
    assert_eq!(profile.sample_records[1]["comment"], "a \"quoted\" word");
    let dialect = profile.dialect.as_ref().expect("dialect");
    assert_eq!(dialect.quote.as_deref(), Some("\""));
    assert_eq!(dialect.line_terminator, "crlf");
}

#[test]
fn header_names_are_repaired_with_warnings() {
    let profile = profile(b"id;nom;;nom\n1;a;x;b\n2;c;y;d\n");
    assert_eq!(names(&profile), ["id", "nom", "column2", "nom_2"]);
    assert_eq!(
        profile.warnings,
        [
            "1 empty header name replaced: column2",
            "duplicate header names renamed: nom -> nom_2"
        ]
    );
}

#[test]
fn long_cells_are_cut_in_samples() {
    let mut opts = ProfileOptions::default();
    opts.limits.max_sample_cell_chars = 10;
    let long = "é".repeat(50);
    let text = format!("id,text\n1,{long}\n");
    let profile = profile_bytes(text.as_bytes(), &opts).expect("profile");
    assert_eq!(
        profile.sample_records[0]["text"],
        format!("{}…", "é".repeat(10))
    );
}

#[test]
fn too_many_fields_is_a_limit_error() {
    let mut opts = ProfileOptions::default();
    opts.limits.max_fields = 3;
    let err = profile_bytes(b"a,b,c,d\n1,2,3,4\n", &opts).expect_err("limit");
    assert_eq!(
        err.to_string(),
        "csv: limit exceeded: the table has 4 fields, more than the 3 allowed"
    );
}

#[test]
fn sample_size_is_respected() {
    let opts = ProfileOptions {
        sample_size: 2,
        ..ProfileOptions::default()
    };
    let profile = profile_bytes(b"n\nx\ny\nz\n", &opts).expect("profile");
    assert_eq!(profile.record_count, 3);
    assert_eq!(profile.sample_records.len(), 2);
    assert_eq!(profile.sample_records[1]["n"], "y");
}

#[test]
fn a_quote_that_never_closes_is_named_with_its_line() {
    let mut text = String::from("id,nom,val\n");
    for i in 1..=20 {
        if i == 10 {
            text.push_str("10,\"stray,10\n");
        } else {
            text.push_str(&format!("{i},n{i},{i}\n"));
        }
    }
    let p = profile(text.as_bytes());
    assert_eq!(names(&p), ["id", "nom", "val"]);
    assert_eq!(p.record_count, 10, "the rest went into one value");
    let warning = p
        .warnings
        .iter()
        .find(|w| w.contains("never closes"))
        .unwrap_or_else(|| panic!("no unclosed-quote warning: {:?}", p.warnings));
    assert!(
        warning.starts_with(
            "a quote opened in the record starting on line 11 never closes: the 11 lines"
        ),
        "{warning}"
    );

    // Every kind of line break, and a last line without one.
    for text in [
        "a,b\r\n1,2\r\n3,\"x\r\n5,6\r\n",
        "a,b\r1,2\r3,\"x\r5,6\r",
        "a,b\n1,2\n3,\"x\n5,6",
    ] {
        let p = profile(text.as_bytes());
        assert_eq!(p.record_count, 2, "{text:?}");
        assert!(
            p.warnings.iter().any(|w| w.starts_with(
                "a quote opened in the record starting on line 3 never closes: the 2 lines"
            )),
            "{text:?}: {:?}",
            p.warnings
        );
    }

    // The open value ends the file with an escaped quote (`""`): the
    // record it swallowed is short of the table's fields.
    let p = profile(b"id,nom,c\n1,\"Dupont,\"\"\n2,Martin,\"\"\n3,Durand,\"\"\n");
    assert_eq!(p.record_count, 1);
    assert!(
        p.warnings.iter().any(|w| w.starts_with(
            "a quote opened in the record starting on line 2 never closes: the 3 lines"
        )),
        "{:?}",
        p.warnings
    );

    // Quoted line breaks that do close are no such thing, last cell or not.
    for closed in [
        "a,b\n1,\"multi\nline\"\n2,\"x\"\n",
        "a,b\n1,\"multi\nline\"\n",
        "a,b,c\n1,\"multi\nline\",z\n",
        "a,b\r\n1,\"multi\r\nline\"\r\n\r\n",
        "a,b,c\n1,2,3\n4,\"short\nrow\"\n",
    ] {
        let p = profile(closed.as_bytes());
        assert!(
            !p.warnings.iter().any(|w| w.contains("never closes")),
            "{closed:?}: {:?}",
            p.warnings
        );
    }
}
