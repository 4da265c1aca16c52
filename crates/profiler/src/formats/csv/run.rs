//! One pass over a run of records: the whole text, or one part of it read
//! on a thread of its own (see [`super::parallel`]).
//!
//! One reused `csv::ByteRecord`, no allocation per record or per cell: a
//! record's bytes are checked as UTF-8 once, and each cell goes to its
//! column's [`ColumnProfiler`] as a `&str` slice of them. Short rows count
//! as missing values in the absent columns, long rows lose their extra
//! cells (both are summed up in [`Ragged`]; extra cells that are all
//! empty, a trailing delimiter, are dropped silently). The first records
//! are kept for `sample_records`.
//!
//! Runs of consecutive parts [`Run::merge`] into the run of the whole text.
//! A part but the last is read with [`END_MARK`] appended: when the part
//! really ends between two records, the mark comes back as a record of its
//! own; when the split point was inside a quoted value, it does not, and
//! the parts must not be merged.

use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::dialect::READ_BUFFER;
use super::layout::is_note;
use super::reader::{Ragged, ReadPlan, SampleCell, cut_cell};
use super::sample::skipped_empty_lines;
use super::tap::{LineTerminators, Tap};
use crate::ProfileError;
use crate::infer::ColumnProfiler;

/// Appended to a part to see whether it ends between two records: no line
/// break, quote, delimiter, escape or comment byte, nothing real text holds.
pub const END_MARK: &[u8] = b"\x00\x02dataprof part end\x03\x00";

/// Records between two looks at [`Stop`].
const STOP_CHECK_INTERVAL: u64 = 1024;

/// How one run is read.
#[derive(Debug, Clone, Copy)]
pub struct RunSpec<'c> {
    /// Position of the run among the parts (0 for the first).
    pub index: usize,
    /// Records skipped at the start: the preamble and the header, in the
    /// first run only.
    pub skip_records: u64,
    /// The text ends with [`END_MARK`].
    pub marked_end: bool,
    /// The text is read as UTF-8 before it is known to be: any record
    /// that is not ends the run with [`RunError::NotUtf8`].
    pub check_utf8: bool,
    pub stop: &'c Stop,
}

/// Tells runs on other threads to stop early.
#[derive(Debug)]
pub struct Stop {
    /// Runs after this index are no longer wanted.
    after: AtomicUsize,
    every: AtomicBool,
}

impl Default for Stop {
    fn default() -> Self {
        Stop {
            after: AtomicUsize::new(usize::MAX),
            every: AtomicBool::new(false),
        }
    }
}

impl Stop {
    /// Run `index` ended in an error: the runs after it are wasted work.
    pub fn after(&self, index: usize) {
        self.after.fetch_min(index, Ordering::Relaxed);
    }

    /// Every run is wasted work.
    pub fn every(&self) {
        self.every.store(true, Ordering::Relaxed);
    }

    /// Whether run `index` is no longer wanted.
    pub fn applies_to(&self, index: usize) -> bool {
        self.every.load(Ordering::Relaxed) || self.after.load(Ordering::Relaxed) < index
    }
}

/// Why a run has no result.
#[derive(Debug)]
pub enum RunError {
    Failed(ProfileError),
    /// A record longer than the limit, starting at this offset of the
    /// run's text.
    RecordTooLong {
        start: u64,
    },
    /// Bytes that are not UTF-8 (only with [`RunSpec::check_utf8`]).
    NotUtf8,
    /// Told to stop by another run.
    Stopped,
}

/// What one run learnt.
#[derive(Debug, Clone)]
pub struct Run {
    pub record_count: u64,
    pub columns: Vec<ColumnProfiler>,
    pub samples: Vec<Vec<Option<SampleCell>>>,
    pub ragged: Ragged,
    pub line_terminators: LineTerminators,
    pub quoted_fields: bool,
    pub non_ascii: bool,
    /// Bytes of text read, [`END_MARK`] excluded.
    pub text_bytes: u64,
    /// The run ended with [`END_MARK`] as a record of its own.
    pub ends_between_records: bool,
    /// Rows of delimiters only (`;;;;`): not records.
    pub empty_rows: u64,
    /// Note lines after the last record (`Source : INSEE`): not records.
    pub trailing_notes: u64,
    /// The first of those notes, cut for a warning.
    pub first_note: Option<String>,
    /// The last record's last cell ran to the end of the text from a quote
    /// that never closed.
    pub unclosed_quote: Option<UnclosedQuote>,
}

/// A quote that opened a value and never closed: the parser read the rest
/// of the file into that one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnclosedQuote {
    /// Line where the record holding it starts (1-based).
    pub line: u64,
    /// Lines from there to the end of the text.
    pub lines: u64,
}

impl Run {
    /// Folds in the run of the text that follows this one.
    pub fn merge(&mut self, next: Run, sample_size: usize) {
        self.record_count += next.record_count;
        for (column, theirs) in self.columns.iter_mut().zip(next.columns) {
            column.merge(theirs);
        }
        let room = sample_size.saturating_sub(self.samples.len());
        self.samples.extend(next.samples.into_iter().take(room));
        self.ragged.merge(&next.ragged);
        self.line_terminators.add(&next.line_terminators);
        self.quoted_fields |= next.quoted_fields;
        self.non_ascii |= next.non_ascii;
        self.text_bytes += next.text_bytes;
        self.ends_between_records = next.ends_between_records;
        self.empty_rows += next.empty_rows;
        // Only the last run keeps notes: the others gave theirs back as
        // records, since more records follow them.
        self.trailing_notes = next.trailing_notes;
        self.first_note = next.first_note;
        // The next run starts on the line after this one's last break.
        let lines_before = self.line_terminators.breaks() - next.line_terminators.breaks();
        self.unclosed_quote = next.unclosed_quote.map(|quote| UnclosedQuote {
            line: quote.line + lines_before,
            ..quote
        });
    }
}

/// Reads every record of `text` (a run's UTF-8 text, with [`END_MARK`]
/// appended when `spec.marked_end`).
pub fn read_run<R: Read>(
    text: R,
    plan: &ReadPlan<'_>,
    spec: &RunSpec<'_>,
) -> Result<Run, RunError> {
    let limits = &plan.opts.limits;
    let max_record = limits.max_record_bytes as u64;
    let mut tap = Tap::new(
        plan.syntax.text_source(text),
        plan.syntax.delimiter,
        super::dialect::QUOTE,
        max_record + READ_BUFFER as u64,
    );
    if spec.check_utf8 {
        tap = tap.check_utf8(plan.syntax.escape);
    }
    let mut reader = plan.syntax.csv_reader(tap);
    let field_count = plan.names.len();
    let mut run = Run {
        record_count: 0,
        columns: plan
            .names
            .iter()
            .map(|name| ColumnProfiler::new(name.clone(), plan.opts.infer.clone()))
            .collect(),
        samples: Vec::with_capacity(plan.opts.sample_size),
        ragged: Ragged::new(field_count),
        line_terminators: LineTerminators::default(),
        quoted_fields: false,
        non_ascii: false,
        text_bytes: 0,
        ends_between_records: false,
        empty_rows: 0,
        trailing_notes: 0,
        first_note: None,
        unclosed_quote: None,
    };
    let mut record = csv::ByteRecord::new();
    // The record read before `record`: at the end, the last one.
    let mut previous = csv::ByteRecord::new();
    let mut index = 0u64;
    let mut notes = HeldNotes::default();
    loop {
        let start = reader.position().byte();
        let line = reader.position().line();
        reader.get_mut().set_record_start(start);
        std::mem::swap(&mut record, &mut previous);
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) if reader.get_ref().tripped() => {
                tracing::debug!(%err, start, "record over the length limit");
                return Err(RunError::RecordTooLong { start });
            }
            Err(err) => {
                return Err(RunError::Failed(ProfileError::malformed(
                    "csv",
                    err.to_string(),
                )));
            }
        }
        if reader.position().byte() - start > max_record {
            return Err(RunError::RecordTooLong { start });
        }
        index += 1;
        if index.is_multiple_of(STOP_CHECK_INTERVAL) && spec.stop.applies_to(spec.index) {
            return Err(RunError::Stopped);
        }
        if spec.marked_end && is_end_mark(&record) {
            run.ends_between_records = true;
            continue;
        }
        let text = std::str::from_utf8(record.as_slice()).ok();
        let skipped = index <= spec.skip_records;
        if skipped || is_empty_row(&record, field_count) {
            if spec.check_utf8 && !is_utf8(text, &record) {
                return Err(RunError::NotUtf8);
            }
            if !skipped {
                run.empty_rows += u64::from(record.len() > 1);
                notes.after_gap = true;
            }
            continue;
        }
        if spec.check_utf8 && (text.is_none() || !extra_cells_are_utf8(&record, field_count)) {
            return Err(RunError::NotUtf8);
        }
        notes.after_gap |= skipped_empty_lines(line, reader.position().line(), &record);
        if notes.hold(&record, field_count) {
            continue;
        }
        for held in notes.release() {
            let text = std::str::from_utf8(held.as_slice()).ok();
            add_record(&mut run, &held, text, plan, spec.check_utf8)?;
        }
        add_record(&mut run, &record, text, plan, spec.check_utf8)?;
    }
    if spec.marked_end {
        // More records follow in the next part: these were records too.
        for held in notes.release() {
            let text = std::str::from_utf8(held.as_slice()).ok();
            add_record(&mut run, &held, text, plan, spec.check_utf8)?;
        }
    } else {
        run.trailing_notes = notes.held.len() as u64;
        run.first_note = notes.held.first().map(|note| {
            let first = note.get(0).unwrap_or_default();
            cut_cell(String::from_utf8_lossy(first).trim(), NOTE_CHARS).into_text()
        });
    }
    let tap = reader.get_ref();
    if tap.split_sequence() {
        return Err(RunError::NotUtf8);
    }
    if !spec.marked_end {
        run.unclosed_quote = unclosed_quote(&previous, tap, field_count, plan.syntax.delimiter);
    }
    run.line_terminators = tap.line_terminators();
    run.quoted_fields = tap.saw_quoted_field();
    run.non_ascii = tap.saw_non_ascii();
    let mark = if spec.marked_end { END_MARK.len() } else { 0 };
    run.text_bytes = tap.delivered().saturating_sub(mark as u64);
    Ok(run)
}

/// The quote that never closed, if the last record ran to the end of the
/// text from one: its last cell holds line breaks, and either the text
/// does not end with a closing quote, or the record is short of the
/// table's fields with whole rows (their delimiters) in that cell (the
/// text ended with an escaped `""` inside the open value).
///
/// Its line is counted back from the text's last line by the line breaks
/// inside the record (CRLF, LF and CR alike).
fn unclosed_quote<R: Read>(
    last: &csv::ByteRecord,
    tap: &Tap<R>,
    field_count: usize,
    delimiter: u8,
) -> Option<UnclosedQuote> {
    let cell = last.get(last.len().checked_sub(1)?)?;
    memchr::memchr2(b'\n', b'\r', cell)?;
    let swallowed_rows = last.len() < field_count && memchr::memchr(delimiter, cell).is_some();
    if tap.last_significant() == Some(super::dialect::QUOTE) && !swallowed_rows {
        return None;
    }
    let bytes = last.as_slice();
    let inside = memchr::memchr_iter(b'\n', bytes).count() as u64
        + memchr::memchr_iter(b'\r', bytes)
            .filter(|&at| bytes.get(at + 1) != Some(&b'\n'))
            .count() as u64;
    let breaks = tap.line_terminators().breaks();
    // The record holds every break from its first line on. When the text
    // ends with a break, that one is inside the record too, and no line
    // follows it.
    let last_line = if tap.ends_with_line_break() {
        breaks
    } else {
        breaks + 1
    };
    let line = (breaks + 1).saturating_sub(inside).max(1);
    Some(UnclosedQuote {
        line,
        lines: last_line + 1 - line,
    })
}

/// Characters of a note kept for its warning.
const NOTE_CHARS: usize = 60;

/// Most note lines held back at once: past this, they are data.
const MAX_HELD_NOTES: usize = 32;

/// Rows that look like notes below the table (see [`is_note`]), held back
/// until a record follows them (then they were records after all) or the
/// text ends (then they were notes).
#[derive(Debug, Default)]
struct HeldNotes {
    held: Vec<csv::ByteRecord>,
    /// Empty lines or rows came since the last record.
    after_gap: bool,
}

impl HeldNotes {
    /// Holds `record` back when it may be a note.
    fn hold(&mut self, record: &csv::ByteRecord, field_count: usize) -> bool {
        let mut cells = record.iter();
        let first_only = cells.next().is_some_and(|c| !is_blank(c)) && cells.all(is_blank);
        let note = is_note(first_only, record.len(), field_count, self.after_gap);
        if note && self.held.len() < MAX_HELD_NOTES {
            self.held.push(record.clone());
            return true;
        }
        false
    }

    /// The rows held so far, now known to be records.
    fn release(&mut self) -> Vec<csv::ByteRecord> {
        self.after_gap = false;
        std::mem::take(&mut self.held)
    }
}

fn is_blank(cell: &[u8]) -> bool {
    cell.iter().all(u8::is_ascii_whitespace)
}

/// Counts one record: each cell to its column, the ragged tally, the
/// sample rows.
fn add_record(
    run: &mut Run,
    record: &csv::ByteRecord,
    text: Option<&str>,
    plan: &ReadPlan<'_>,
    check_utf8: bool,
) -> Result<(), RunError> {
    let field_count = plan.names.len();
    let limits = &plan.opts.limits;
    run.record_count += 1;
    let present = record.len().min(field_count);
    // Each cell as a slice of the record's string: `None` when a cell
    // starts or ends inside a character. The text is UTF-8 (checked,
    // or transcoded); the lossy copy is a safety net.
    let mut end = 0;
    for (column, cell) in run.columns.iter_mut().zip(record.iter()) {
        let start = end;
        end += cell.len();
        match text.and_then(|t| t.get(start..end)) {
            Some(cell) => column.observe_text(cell),
            None if check_utf8 => return Err(RunError::NotUtf8),
            None => column.observe_text(&String::from_utf8_lossy(cell)),
        }
    }
    for column in &mut run.columns[present..] {
        column.observe_missing(1);
    }
    if record.len() != field_count && !only_trailing_empty_cells(record, field_count) {
        run.ragged.note(record.len());
    }
    if run.samples.len() < plan.opts.sample_size {
        run.samples.push(sample_row(
            record,
            field_count,
            limits.max_sample_cell_chars,
        ));
    }
    Ok(())
}

/// Whether the cells past the table's fields start outside a character
/// (those within are checked as they are sliced).
fn extra_cells_are_utf8(record: &csv::ByteRecord, field_count: usize) -> bool {
    record.len() <= field_count
        || record
            .iter()
            .skip(field_count)
            .all(|cell| cell.first().is_none_or(|b| b & 0xC0 != 0x80))
}

fn is_end_mark(record: &csv::ByteRecord) -> bool {
    record.len() == 1 && &record[0] == END_MARK
}

/// Whether a record's cells are all UTF-8, given its bytes as one string
/// (cells joined without their delimiters): they are when that string is
/// and no cell starts inside a character.
fn is_utf8(text: Option<&str>, record: &csv::ByteRecord) -> bool {
    text.is_some()
        && record
            .iter()
            .all(|cell| cell.first().is_none_or(|b| b & 0xC0 != 0x80))
}

/// A line of white space, or of delimiters only, in a table of several
/// fields: not a record.
fn is_empty_row(record: &csv::ByteRecord, field_count: usize) -> bool {
    field_count > 1 && record.iter().all(is_blank)
}

/// A long row whose extra cells are all empty: a trailing delimiter
/// (`1;2;3;` under `a;b;c`), not a ragged record.
pub fn only_trailing_empty_cells(record: &csv::ByteRecord, field_count: usize) -> bool {
    record.len() > field_count
        && record
            .iter()
            .skip(field_count)
            .all(|cell| cell.iter().all(u8::is_ascii_whitespace))
}

fn sample_row(
    record: &csv::ByteRecord,
    field_count: usize,
    max_chars: usize,
) -> Vec<Option<SampleCell>> {
    let mut row: Vec<Option<SampleCell>> = record
        .iter()
        .take(field_count)
        .map(|cell| Some(cut_cell(&String::from_utf8_lossy(cell), max_chars)))
        .collect();
    row.resize_with(field_count, || None);
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_delimiters_are_not_ragged() {
        let record = csv::ByteRecord::from(vec!["1", "2", "3", " "]);
        assert!(only_trailing_empty_cells(&record, 3));
        let record = csv::ByteRecord::from(vec!["1", "2", "3", "x"]);
        assert!(!only_trailing_empty_cells(&record, 3));
        let record = csv::ByteRecord::from(vec!["1", "2"]);
        assert!(!only_trailing_empty_cells(&record, 3));
    }

    fn checked_run(text: &[u8], skip_records: u64) -> Result<Run, RunError> {
        let names = vec!["a".to_owned(), "b".to_owned()];
        let opts = crate::ProfileOptions::default();
        let plan = ReadPlan {
            syntax: super::super::dialect::Syntax::delimited(b';'),
            skip_records,
            names: &names,
            opts: &opts,
        };
        let stop = Stop::default();
        let spec = RunSpec {
            index: 0,
            skip_records,
            marked_end: false,
            check_utf8: true,
            stop: &stop,
        };
        read_run(text, &plan, &spec)
    }

    #[test]
    fn a_checked_run_stops_at_the_first_bytes_that_are_not_utf8() {
        let run = checked_run("a;b\né;à;\n".as_bytes(), 1).map_err(|e| format!("{e:?}"));
        assert_eq!(run.map(|r| (r.record_count, r.non_ascii)), Ok((1, true)));
        // A delimiter between the two bytes of `é`, in a field, in an
        // extra cell, in the header row; a lone latin-1 byte.
        for text in [
            &b"a;b\n\xC3;\xA9\n"[..],
            b"a;b\n1;2;\xC3;\xA9\n",
            b"a;\xC3;\xA9\n1;2\n",
            b"a;b\nJos\xE9;2\n",
        ] {
            assert!(
                matches!(checked_run(text, 1), Err(RunError::NotUtf8)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn cells_split_inside_a_character_are_not_utf8() {
        // `é` is C3 A9: a delimiter between its two bytes.
        let record = csv::ByteRecord::from(vec![&b"\xC3"[..], &b"\xA9"[..]]);
        let text = std::str::from_utf8(record.as_slice()).ok();
        assert_eq!(text, Some("é"));
        assert!(!is_utf8(text, &record));
        let record = csv::ByteRecord::from(vec!["é", "", "à"]);
        let text = std::str::from_utf8(record.as_slice()).ok();
        assert!(is_utf8(text, &record));
    }
}
