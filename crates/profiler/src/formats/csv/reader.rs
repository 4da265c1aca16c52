//! What the streaming pass is told and what it learns.
//!
//! [`super::parallel`] reads the file in one [`super::run`], or in parts on
//! several threads whose runs merge; [`finish`] turns the run of the whole
//! file into fields and typed samples.

use dataprof_model::{FieldProfile, Record};
use serde_json::Value;

use super::dialect::Syntax;
use super::run::{Run, RunError, UnclosedQuote};
use super::tap::LineTerminators;
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
    /// Rows of delimiters only, not counted as records.
    pub empty_rows: u64,
    /// Note lines after the last record, not counted as records.
    pub trailing_notes: u64,
    pub first_note: Option<String>,
    pub unclosed_quote: Option<UnclosedQuote>,
}

impl StreamResult {
    /// What was left out of the records, for the profile's warnings.
    pub fn left_out_warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        match (self.trailing_notes, &self.first_note) {
            (0, _) => {}
            (1, Some(note)) => warnings.push(format!(
                "1 note line after the table is not a record: {note:?}"
            )),
            (n, note) => warnings.push(format!(
                "{n} note lines after the table are not records: {:?}…",
                note.as_deref().unwrap_or_default()
            )),
        }
        if let Some(UnclosedQuote { line, lines }) = self.unclosed_quote {
            warnings.push(format!(
                "a quote opened in the record starting on line {line} never closes: the {lines} \
                 lines from there to the end of the file were read into one value of a single \
                 record, so the record count leaves them out"
            ));
        }
        match self.empty_rows {
            0 => {}
            1 => warnings.push("1 row of delimiters only is not a record".to_owned()),
            n => warnings.push(format!("{n} rows of delimiters only are not records")),
        }
        warnings
    }
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
    pub fn new(expected: usize) -> Self {
        Ragged {
            expected,
            records: 0,
            min_fields: usize::MAX,
            max_fields: 0,
        }
    }

    pub fn note(&mut self, fields: usize) {
        self.records += 1;
        self.min_fields = self.min_fields.min(fields);
        self.max_fields = self.max_fields.max(fields);
    }

    /// Adds the ragged records of another part of the same table.
    pub fn merge(&mut self, other: &Ragged) {
        self.records += other.records;
        self.min_fields = self.min_fields.min(other.min_fields);
        self.max_fields = self.max_fields.max(other.max_fields);
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
pub struct SampleCell {
    text: String,
    cut: bool,
}

impl SampleCell {
    pub fn into_text(self) -> String {
        self.text
    }
}

/// The error of a run that started at `offset` of the text.
pub fn run_error(err: RunError, offset: u64, max_record_bytes: usize) -> ProfileError {
    match err {
        RunError::Failed(err) => err,
        RunError::RecordTooLong { start } => record_limit(offset + start, max_record_bytes),
        // Callers handle both before; kept as errors all the same.
        RunError::NotUtf8 => ProfileError::malformed("csv", "the text is not valid UTF-8"),
        RunError::Stopped => ProfileError::malformed("csv", "the pass was stopped"),
    }
}

/// The fields and typed samples of the run of the whole text.
pub fn finish(run: Run) -> StreamResult {
    let fields: Vec<FieldProfile> = run
        .columns
        .into_iter()
        .map(ColumnProfiler::finish)
        .collect();
    let sample_records = run
        .samples
        .into_iter()
        .map(|row| typed_record(row, &fields))
        .collect();
    tracing::debug!(
        record_count = run.record_count,
        ragged = run.ragged.records,
        "csv records read"
    );
    StreamResult {
        record_count: run.record_count,
        fields,
        sample_records,
        ragged: run.ragged,
        line_terminators: run.line_terminators,
        quoted_fields: run.quoted_fields,
        empty_rows: run.empty_rows,
        trailing_notes: run.trailing_notes,
        first_note: run.first_note,
        unclosed_quote: run.unclosed_quote,
    }
}

fn record_limit(start: u64, max: usize) -> ProfileError {
    ProfileError::limit(
        "csv",
        format!("a record starting at byte {start} is longer than {max} bytes"),
    )
}

/// The cell cut to `max_chars` characters, ending with `…` when cut.
pub fn cut_cell(cell: &str, max_chars: usize) -> SampleCell {
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
    fn cells_are_cut_by_characters() {
        let cut = cut_cell("Château", 4);
        assert_eq!((cut.text.as_str(), cut.cut), ("Chât…", true));
        let whole = cut_cell("abc", 3);
        assert_eq!((whole.text.as_str(), whole.cut), ("abc", false));
    }
}
