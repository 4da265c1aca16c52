//! Property test: a CSV written to RFC 4180 with a header, whatever its
//! cells hold (delimiters, quotes, line breaks inside quoted cells, accents,
//! empty cells), is read with its exact record count, field count and
//! field names, under any of the four delimiters and both line ends.
//!
//! The case count is `PROPTEST_CASES` when set, else a count small enough
//! for CI.

use std::io::Write;

use dataprof_profiler::{ProfileOptions, profile_path};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(96);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/regressions/proptest_csv.txt",
        ))),
        ..ProptestConfig::default()
    }
}

/// One generated table, before it is written out.
#[derive(Debug, Clone)]
struct Table {
    delimiter: u8,
    line_end: &'static str,
    final_line_end: bool,
    names: Vec<Cell>,
    /// Each row: an integer id (so that the header is recognisable as
    /// text above a numeric column), then the other cells.
    rows: Vec<(u32, Vec<Cell>)>,
}

/// A cell's text and whether it is written quoted.
#[derive(Debug, Clone)]
struct Cell {
    text: String,
    quoted: bool,
}

impl Cell {
    fn write(&self, out: &mut String) {
        if self.quoted {
            out.push('"');
            out.push_str(&self.text.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&self.text);
        }
    }
}

impl Table {
    fn render(&self) -> Vec<u8> {
        let delimiter = char::from(self.delimiter);
        let mut out = String::new();
        for (i, name) in self.names.iter().enumerate() {
            if i > 0 {
                out.push(delimiter);
            }
            name.write(&mut out);
        }
        for (id, cells) in &self.rows {
            out.push_str(self.line_end);
            out.push_str(&id.to_string());
            for cell in cells {
                out.push(delimiter);
                cell.write(&mut out);
            }
        }
        if self.final_line_end {
            out.push_str(self.line_end);
        }
        out.into_bytes()
    }
}

/// Unquoted text: no delimiter of any kind, no quote, no line break.
fn plain_text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9àéèêîôûçÉÀ .\\-_/()'+]{0,14}"
}

/// Quoted text: anything, delimiters, quotes and line breaks included.
fn quoted_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => "[A-Za-z0-9éèàç ]{1,6}",
            2 => prop::sample::select(vec![",", ";", "\t", "|", "\"", "\"\"", "'", "#", "\\"])
                .prop_map(str::to_owned),
            1 => prop::sample::select(vec!["\n", "\r\n", "\r"]).prop_map(str::to_owned),
        ],
        0..8,
    )
    .prop_map(|parts| parts.concat())
}

fn cell() -> impl Strategy<Value = Cell> {
    prop_oneof![
        3 => plain_text().prop_map(|text| Cell { text, quoted: false }),
        2 => quoted_text().prop_map(|text| Cell { text, quoted: true }),
    ]
}

fn header_name(index: usize) -> impl Strategy<Value = Cell> {
    ("[a-z][a-z_]{1,10}", any::<bool>()).prop_map(move |(stem, quoted)| Cell {
        // The index keeps names distinct, so none is renamed.
        text: format!("{stem}{index}"),
        quoted,
    })
}

fn table() -> impl Strategy<Value = Table> {
    (2usize..=6, 1usize..=40).prop_flat_map(|(fields, rows)| {
        let names: Vec<_> = (0..fields).map(header_name).collect();
        let row = (
            100_000u32..999_999,
            prop::collection::vec(cell(), fields - 1),
        );
        (
            prop::sample::select(b",;\t|".to_vec()),
            prop::sample::select(vec!["\n", "\r\n"]),
            any::<bool>(),
            names,
            prop::collection::vec(row, rows),
        )
            .prop_map(|(delimiter, line_end, final_line_end, names, rows)| Table {
                delimiter,
                line_end,
                final_line_end,
                names,
                rows,
            })
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn rfc4180_tables_are_counted_exactly(table in table()) {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(&table.render()).expect("write");
        file.flush().expect("flush");
        let profile = profile_path(file.path(), &ProfileOptions::default())
            .map_err(|e| TestCaseError::fail(format!("no profile: {e}")))?;
        let names: Vec<&str> = profile.fields.iter().map(|f| f.name.as_str()).collect();
        let expected: Vec<&str> = table.names.iter().map(|c| c.text.as_str()).collect();
        prop_assert_eq!(names, expected);
        prop_assert_eq!(profile.record_count, table.rows.len() as u64);
        let dialect = profile.dialect.as_ref().expect("a CSV has a dialect");
        prop_assert_eq!(dialect.delimiter.as_bytes(), &[table.delimiter]);
        prop_assert!(dialect.has_header);
        // The id column reads back as written in the samples.
        let first = &table.names[0].text;
        for (record, (id, _)) in profile.sample_records.iter().zip(&table.rows) {
            let value = &record[first.as_str()];
            prop_assert!(
                value.as_u64() == Some(u64::from(*id)) || value.as_str() == Some(&id.to_string()),
                "{} read as {:?}", id, value
            );
        }
    }
}
