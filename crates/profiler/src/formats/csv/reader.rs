//! The streaming pass: every record of the file, once, in bounded memory.
//!
//! One reused `csv::ByteRecord`, no allocation per record: each cell goes to
//! its column's [`ColumnProfiler`] as `&str` (the text is UTF-8 already:
//! validated up front, or transcoded). Short rows count as missing values
//! in the absent columns, long rows lose their extra cells, and both are
//! summed up in one warning (extra cells that are all empty, a trailing
//! delimiter, are dropped silently). The first records are kept for
//! `sample_records` and typed once the fields' types are known.

use std::borrow::Cow;
use std::io::Read;

use dataprof_model::{FieldProfile, Record};
use serde_json::Value;

use super::dialect::{READ_BUFFER, Syntax};
use super::tap::{LineTerminators, Tap};
use crate::infer::{self, ColumnProfiler};
use crate::{ProfileError, ProfileOptions};

/// What the pass is told about the file.
#[derive(Debug, Clone)]
pub struct ReadPlan<'a> {
    pub syntax: Syntax,
    /// Records before the first data record: preamble rows and the header.
    pub skip_records: u64,
    pub names: &'a [String],
    pub opts: &'a ProfileOptions,
}

/// What the pass learnt.
#[derive(Debug, Clone)]
pub struct StreamResult {
    pub record_count: u64,
    pub fields: Vec<FieldProfile>,
    pub sample_records: Vec<Record>,
    pub ragged: Ragged,
    pub line_terminators: LineTerminators,
    /// Some field starts with a quote.
    pub quoted_fields: bool,
}

/// Records whose field count differs from the table's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ragged {
    pub expected: usize,
    pub records: u64,
    pub min_fields: usize,
    pub max_fields: usize,
}

impl Ragged {
    fn new(expected: usize) -> Self {
        Ragged {
            expected,
            records: 0,
            min_fields: usize::MAX,
            max_fields: 0,
        }
    }

    fn note(&mut self, fields: usize) {
        self.records += 1;
        self.min_fields = self.min_fields.min(fields);
        self.max_fields = self.max_fields.max(fields);
    }

    /// `"12 records have 5 fields instead of 4"`, or `None` when every
    /// record has the table's field count.
    pub fn warning(&self) -> Option<String> {
        let (subject, verb) = match self.records {
            0 => return None,
            1 => ("1 record".to_owned(), "has"),
            n => (format!("{n} records"), "have"),
        };
        let counts = if self.min_fields == self.max_fields {
            format!("{}", self.min_fields)
        } else {
            format!("{} to {}", self.min_fields, self.max_fields)
        };
        Some(format!(
            "{subject} {verb} {counts} fields instead of {}: missing cells read as null, extra cells dropped",
            self.expected
        ))
    }
}

/// A sample cell: the text (cut to the sample limit), and whether it was cut.
#[derive(Debug, Clone)]
struct SampleCell {
    text: String,
    cut: bool,
}

/// Reads every record of `decoded` under `plan`.
pub fn stream<R: Read>(decoded: R, plan: &ReadPlan<'_>) -> Result<StreamResult, ProfileError> {
    let limits = &plan.opts.limits;
    let max_record = limits.max_record_bytes as u64;
    let tap = Tap::new(
        plan.syntax.text_source(decoded),
        plan.syntax.delimiter,
        super::dialect::QUOTE,
        max_record + READ_BUFFER as u64,
    );
    let mut reader = plan.syntax.csv_reader(tap);
    let field_count = plan.names.len();
    let mut columns: Vec<ColumnProfiler> = plan
        .names
        .iter()
        .map(|name| ColumnProfiler::new(name.clone(), plan.opts.infer.clone()))
        .collect();
    let mut samples: Vec<Vec<Option<SampleCell>>> = Vec::with_capacity(plan.opts.sample_size);
    let mut ragged = Ragged::new(field_count);
    let mut record = csv::ByteRecord::new();
    let mut index = 0u64;
    let mut record_count = 0u64;
    loop {
        let start = reader.position().byte();
        reader.get_mut().set_record_start(start);
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) if reader.get_ref().tripped() => {
                tracing::debug!(%err, start, "record over the length limit");
                return Err(record_limit(start, limits.max_record_bytes));
            }
            Err(err) => return Err(ProfileError::malformed("csv", err.to_string())),
        }
        if reader.position().byte() - start > max_record {
            return Err(record_limit(start, limits.max_record_bytes));
        }
        index += 1;
        if index <= plan.skip_records || is_blank_line(&record, field_count) {
            continue;
        }
        record_count += 1;
        let present = record.len().min(field_count);
        for (column, cell) in columns.iter_mut().zip(record.iter()) {
            column.observe_text(&as_text(cell));
        }
        for column in &mut columns[present..] {
            column.observe_missing(1);
        }
        if record.len() != field_count && !only_trailing_empty_cells(&record, field_count) {
            ragged.note(record.len());
        }
        if samples.len() < plan.opts.sample_size {
            samples.push(sample_row(
                &record,
                field_count,
                limits.max_sample_cell_chars,
            ));
        }
    }
    let tap = reader.get_ref();
    let fields: Vec<FieldProfile> = columns.into_iter().map(ColumnProfiler::finish).collect();
    let sample_records = samples
        .into_iter()
        .map(|row| typed_record(row, &fields))
        .collect();
    tracing::debug!(record_count, ragged = ragged.records, "csv records read");
    Ok(StreamResult {
        record_count,
        fields,
        sample_records,
        ragged,
        line_terminators: tap.line_terminators(),
        quoted_fields: tap.saw_quoted_field(),
    })
}

fn record_limit(start: u64, max: usize) -> ProfileError {
    ProfileError::limit(
        "csv",
        format!("a record starting at byte {start} is longer than {max} bytes"),
    )
}

/// A line of white space in a table of several fields: not a record.
fn is_blank_line(record: &csv::ByteRecord, field_count: usize) -> bool {
    field_count > 1 && record.len() == 1 && record[0].iter().all(u8::is_ascii_whitespace)
}

/// A long row whose extra cells are all empty: a trailing delimiter
/// (`1;2;3;` under `a;b;c`), not a ragged record.
fn only_trailing_empty_cells(record: &csv::ByteRecord, field_count: usize) -> bool {
    record.len() > field_count
        && record
            .iter()
            .skip(field_count)
            .all(|cell| cell.iter().all(u8::is_ascii_whitespace))
}

fn as_text(cell: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(cell) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(cell),
    }
}

fn sample_row(
    record: &csv::ByteRecord,
    field_count: usize,
    max_chars: usize,
) -> Vec<Option<SampleCell>> {
    let mut row: Vec<Option<SampleCell>> = record
        .iter()
        .take(field_count)
        .map(|cell| Some(cut_cell(&as_text(cell), max_chars)))
        .collect();
    row.resize_with(field_count, || None);
    row
}

/// The cell cut to `max_chars` characters, ending with `…` when cut.
fn cut_cell(cell: &str, max_chars: usize) -> SampleCell {
    match cell.char_indices().nth(max_chars) {
        Some((at, _)) => SampleCell {
            text: format!("{}…", &cell[..at]),
            cut: true,
        },
        None => SampleCell {
            text: cell.to_owned(),
            cut: false,
        },
    }
}

fn typed_record(row: Vec<Option<SampleCell>>, fields: &[FieldProfile]) -> Record {
    fields
        .iter()
        .zip(row)
        .map(|(field, cell)| {
            let value = match cell {
                None => Value::Null,
                Some(SampleCell { text, cut: true }) => Value::String(text),
                Some(SampleCell { text, cut: false }) => infer::typed_cell(&text, field),
            };
            (field.name.clone(), value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ragged_warning_wording() {
        let mut ragged = Ragged::new(4);
        assert_eq!(ragged.warning(), None);
        ragged.note(5);
        assert_eq!(
            ragged.warning().as_deref(),
            Some(
                "1 record has 5 fields instead of 4: missing cells read as null, extra cells dropped"
            )
        );
        for _ in 0..11 {
            ragged.note(5);
        }
        ragged.note(2);
        assert!(
            ragged
                .warning()
                .is_some_and(|w| w.starts_with("13 records have 2 to 5 fields instead of 4"))
        );
    }

    #[test]
    fn trailing_delimiters_are_not_ragged() {
        let record = csv::ByteRecord::from(vec!["1", "2", "3", " "]);
        assert!(only_trailing_empty_cells(&record, 3));
        let record = csv::ByteRecord::from(vec!["1", "2", "3", "x"]);
        assert!(!only_trailing_empty_cells(&record, 3));
        let record = csv::ByteRecord::from(vec!["1", "2"]);
        assert!(!only_trailing_empty_cells(&record, 3));
    }

    #[test]
    fn cells_are_cut_by_characters() {
        let cut = cut_cell("Château", 4);
        assert_eq!((cut.text.as_str(), cut.cut), ("Chât…", true));
        let whole = cut_cell("abc", 3);
        assert_eq!((whole.text.as_str(), whole.cut), ("abc", false));
    }
}
