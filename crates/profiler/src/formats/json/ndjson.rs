//! NDJSON / JSON Lines: one JSON value per line, read one line at a time.
//!
//! Lines are bounded by `limits.max_record_bytes`. Blank lines are skipped.
//! A line that is not valid JSON is skipped and reported (line number and
//! cause of the first one), because a real feed with one broken line still
//! describes its data; nesting past the depth limit, though, ends the read.
//! When the first value is a GeoJSON Feature (a GeoJSON text sequence,
//! RFC 8142, whose lines may start with 0x1E), the lines are read as
//! features.

use std::io::BufRead;
use std::path::Path;

use serde_json::Value;

use super::Profiled;
use super::failure::{Attempt, describe, strip_position};
use super::geojson::FeatureCollector;
use super::lines_split;
use super::records::{NonObjects, RecordsCollector, kind_of};
use super::rows::RowLayout;
use super::source::{self, ByteStats, Decoding, LineRead};
use super::walk::{PARSER_DEPTH_LIMIT, RecordSink, depth};
use crate::formats::csv::parallel::Parallelism;
use crate::{ProfileError, ProfileOptions};

pub(crate) enum Reader {
    Records(Box<RecordsCollector>),
    Features(Box<FeatureCollector>),
    /// Each line is a page: an array of records (an API's pages dumped
    /// one per line). `pending` is the page last read.
    Pages {
        records: Box<RecordsCollector>,
        pending: Option<Value>,
    },
}

impl Reader {
    fn accept(&mut self, value: Value) -> Result<(), ProfileError> {
        match self {
            Reader::Records(r) => r.accept(value),
            Reader::Features(f) => f.accept(value),
            Reader::Pages { records, .. } => accept_page(records, value),
        }
    }

    /// Parses a line straight into the reader; nothing is added until
    /// [`Reader::commit`].
    fn read(&mut self, text: &[u8]) -> Result<(), serde_json::Error> {
        match self {
            Reader::Records(r) => read_one(r.as_mut(), text),
            Reader::Features(f) => read_one(f.as_mut(), text),
            Reader::Pages { pending, .. } => {
                *pending = Some(serde_json::from_slice(text)?);
                Ok(())
            }
        }
    }

    fn commit(&mut self) -> Result<(), ProfileError> {
        match self {
            Reader::Records(r) => r.commit(),
            Reader::Features(f) => f.commit(),
            Reader::Pages { records, pending } => match pending.take() {
                Some(page) => accept_page(records, page),
                None => Ok(()),
            },
        }
    }

    /// A fresh reader of the same kind, for the first part of the file
    /// (which holds its first line) or a later one.
    pub(crate) fn same_kind(&self, opts: &ProfileOptions, first_part: bool) -> Reader {
        match self {
            Reader::Records(r) => Reader::Records(Box::new(
                RecordsCollector::new(opts, NonObjects::Skip)
                    .with_rows(r.rows().continuation(first_part)),
            )),
            Reader::Features(_) => Reader::Features(Box::new(FeatureCollector::new(opts))),
            Reader::Pages { .. } => Reader::Pages {
                records: Box::new(RecordsCollector::new(opts, NonObjects::Skip)),
                pending: None,
            },
        }
    }

    /// Folds in the reader of the lines that follow this one's.
    fn merge(&mut self, next: Reader) -> Result<(), ProfileError> {
        match (self, next) {
            (Reader::Records(a), Reader::Records(b)) => a.merge(*b),
            (Reader::Features(a), Reader::Features(b)) => a.merge(*b),
            (Reader::Pages { records: a, .. }, Reader::Pages { records: b, .. }) => a.merge(*b),
            _ => Err(ProfileError::malformed(
                "json",
                "NDJSON parts were read as different kinds",
            )),
        }
    }
}

/// Lines that could not be read, for the warning.
#[derive(Default)]
struct BadLines {
    count: u64,
    /// The first one's line number and cause.
    first: Option<(u64, String)>,
}

/// What reading a run of lines found.
pub(crate) struct LinesRun {
    reader: Option<Reader>,
    bad: BadLines,
    /// Lines that ended with a comma.
    commas: u64,
    /// Lines read, blank ones included.
    lines: u64,
}

impl LinesRun {
    /// Lines read, blank ones included.
    #[cfg(test)]
    pub(crate) fn lines(&self) -> u64 {
        self.lines
    }

    /// Folds in the run of the lines that follow this one's.
    pub(crate) fn merge(&mut self, next: LinesRun) -> Result<(), ProfileError> {
        if self.bad.first.is_none() {
            self.bad.first = next.bad.first.map(|(n, cause)| (self.lines + n, cause));
        }
        self.bad.count += next.bad.count;
        self.commas += next.commas;
        self.lines += next.lines;
        match (&mut self.reader, next.reader) {
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (None, theirs) => {
                self.reader = theirs;
                Ok(())
            }
            (Some(_), None) => Ok(()),
        }
    }
}

pub(crate) fn profile(
    path: &Path,
    decoding: Decoding,
    opts: &ProfileOptions,
    parallelism: &Parallelism,
) -> Result<Profiled, Attempt> {
    if let Some((run, stats)) = lines_split::read(path, decoding, opts, parallelism)? {
        return finish(run, decoding, &stats);
    }
    let source = source::open(path, decoding, opts)?;
    let stats = source.stats.clone();
    if matches!(decoding, Decoding::Utf8 { .. }) {
        stats.leave_utf8_to_reader();
    }
    let mut input = source.reader;
    let run = read_lines(&mut input, decoding, opts, None)?;
    let stats = stats.get();
    if matches!(decoding, Decoding::Utf8 { .. }) && stats.invalid_utf8 {
        return Err(Attempt::NotUtf8);
    }
    finish(run, decoding, &stats)
}

/// Reads lines until the end of `input`. Without a `reader`, the first
/// valid value decides which one reads the lines (see [`first_reader`]).
pub(crate) fn read_lines(
    input: &mut impl BufRead,
    decoding: Decoding,
    opts: &ProfileOptions,
    reader: Option<Reader>,
) -> Result<LinesRun, Attempt> {
    let max_line = opts.limits.max_record_bytes;
    let io = |e| Attempt::Failed(ProfileError::io("read", e));
    let too_long = |number: u64| {
        Attempt::Failed(ProfileError::limit(
            "json",
            format!("NDJSON line {number} is longer than {max_line} bytes"),
        ))
    };
    let mut lines = Lines {
        decoding,
        opts,
        reader,
        bad: BadLines::default(),
        commas: 0,
    };
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        // A line wholly in the input's buffer is read where it is.
        let buffered = input.fill_buf().map_err(io)?;
        if let Some(end) = memchr::memchr(b'\n', buffered) {
            number += 1;
            if end > max_line {
                return Err(too_long(number));
            }
            lines.line(&buffered[..end], number)?;
            input.consume(end + 1);
            continue;
        }
        match source::read_line(input, &mut line, max_line).map_err(io)? {
            LineRead::Eof => break,
            LineRead::TooLong => return Err(too_long(number + 1)),
            LineRead::Line => number += 1,
        }
        lines.line(&line, number)?;
    }
    Ok(LinesRun {
        reader: lines.reader,
        bad: lines.bad,
        commas: lines.commas,
        lines: number,
    })
}

/// The state of a read of lines.
struct Lines<'o> {
    decoding: Decoding,
    opts: &'o ProfileOptions,
    reader: Option<Reader>,
    bad: BadLines,
    commas: u64,
}

impl Lines<'_> {
    /// Reads line `number` (without its line feed).
    fn line(&mut self, line: &[u8], number: u64) -> Result<(), Attempt> {
        let opts = self.opts;
        let Some(LineValue { text, comma }) = line_value(line) else {
            return Ok(());
        };
        self.commas += u64::from(comma);
        // A line that parses is valid UTF-8: serde_json checks every
        // string and member name, and any other byte above 0x7F is a
        // syntax error. So only a line that fails is checked.
        let streamed = match &mut self.reader {
            Some(current) if opts.limits.max_json_depth >= PARSER_DEPTH_LIMIT => {
                Some(current.read(text).map(|()| current))
            }
            _ => None,
        };
        let value = match streamed {
            Some(Ok(current)) => {
                current.commit()?;
                return Ok(());
            }
            Some(Err(e)) => Err(e),
            None => serde_json::from_slice::<Value>(text),
        };
        let value = match value {
            Ok(v) => v,
            Err(_)
                if matches!(self.decoding, Decoding::Utf8 { .. })
                    && std::str::from_utf8(text).is_err() =>
            {
                return Err(Attempt::NotUtf8);
            }
            Err(e) if strip_position(&e.to_string()).starts_with("recursion limit") => {
                return Err(line_error(describe(&e, opts.limits.max_json_depth), number).into());
            }
            Err(e) => {
                self.bad.count += 1;
                self.bad.first.get_or_insert_with(|| {
                    let cause =
                        format!("{} (column {})", strip_position(&e.to_string()), e.column());
                    (number, cause)
                });
                return Ok(());
            }
        };
        if opts.limits.max_json_depth < PARSER_DEPTH_LIMIT
            && depth(&value) > opts.limits.max_json_depth
        {
            return Err(ProfileError::limit(
                "json",
                format!(
                    "JSON nested deeper than {} levels (NDJSON line {number})",
                    opts.limits.max_json_depth
                ),
            )
            .into());
        }
        let current = match &mut self.reader {
            Some(r) => r,
            None => self.reader.insert(first_reader(&value, number, opts)?),
        };
        current.accept(value)?;
        Ok(())
    }
}

/// The JSON text of a line.
struct LineValue<'l> {
    text: &'l [u8],
    /// A trailing comma was taken off (see [`without_comma`]).
    comma: bool,
}

/// The JSON text of a line: trimmed, without the record separator of a
/// GeoJSON text sequence or a trailing comma; `None` for a blank line.
fn line_value(line: &[u8]) -> Option<LineValue<'_>> {
    let text = line.trim_ascii();
    let text = text.strip_prefix(b"\x1e").unwrap_or(text).trim_ascii();
    let (text, comma) = without_comma(text);
    (!text.is_empty()).then_some(LineValue { text, comma })
}

/// A line's text without the comma some exports put after each value (a
/// JSON array written one element per line, without its brackets), and
/// whether there was one.
pub(crate) fn without_comma(text: &[u8]) -> (&[u8], bool) {
    match text.strip_suffix(b",") {
        Some(value) => (value.trim_ascii_end(), true),
        None => (text, false),
    }
}

/// The reader the first valid value among the first lines of `input`
/// calls for; `None` when those lines hold none (or refuse to be read).
pub(crate) fn reader_from_head(
    input: &mut impl BufRead,
    opts: &ProfileOptions,
    max_lines: u64,
) -> Option<Reader> {
    let mut line = Vec::new();
    for number in 1..=max_lines {
        let read = source::read_line(input, &mut line, opts.limits.max_record_bytes).ok()?;
        if read != LineRead::Line {
            return None;
        }
        let Some(LineValue { text, .. }) = line_value(&line) else {
            continue;
        };
        if let Ok(value) = serde_json::from_slice::<Value>(text) {
            return first_reader(&value, number, opts).ok();
        }
    }
    None
}

fn finish(run: LinesRun, decoding: Decoding, stats: &ByteStats) -> Result<Profiled, Attempt> {
    let LinesRun {
        reader,
        bad,
        commas,
        ..
    } = run;
    let Some(reader) = reader else {
        return Err(match bad.first {
            Some((number, cause)) => ProfileError::malformed(
                "json",
                format!("no line of this NDJSON file is valid JSON (line {number}: {cause})"),
            ),
            None => ProfileError::unsupported("empty", "the file holds only blank lines"),
        }
        .into());
    };
    let mut warnings = Vec::new();
    if commas > 0 {
        warnings.push(format!(
            "{commas} lines end with a comma (a JSON array written without its brackets?); the commas were ignored"
        ));
    }
    if let Some((number, cause)) = &bad.first {
        warnings.push(format!(
            "{} NDJSON lines are not valid JSON and were skipped (first: line {number}: {cause})",
            bad.count
        ));
    }
    let (format, table, geometry) = match reader {
        Reader::Records(r) => ("ndjson", r.finish(), None),
        Reader::Pages { records, .. } => {
            warnings.push(
                "each line is an array of records (a page); the records of every page were read"
                    .to_owned(),
            );
            ("ndjson", records.finish(), None)
        }
        Reader::Features(f) => {
            warnings.push("GeoJSON text sequence: one feature per line".to_owned());
            let (table, geometry) = f.finish(None);
            ("geojson", table, Some(geometry))
        }
    };
    Ok(Profiled {
        format,
        encoding: decoding.label(stats),
        table,
        geometry,
        warnings,
    })
}

/// Adds the records of one page (a line holding an array); a line holding
/// one record is taken as it is.
fn accept_page(records: &mut RecordsCollector, page: Value) -> Result<(), ProfileError> {
    match page {
        Value::Array(items) => items.into_iter().try_for_each(|item| records.accept(item)),
        other => records.accept(other),
    }
}

/// Parses one value from `text` into `sink`, which must be all of it.
fn read_one<S: RecordSink>(sink: &mut S, text: &[u8]) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(text);
    sink.read(&mut de)?;
    de.end()
}

/// Decides from the first value how to read the lines: features, records,
/// rows (arrays, see [`super::rows`]), or not at all (lines of scalars are
/// not a table).
fn first_reader(value: &Value, number: u64, opts: &ProfileOptions) -> Result<Reader, ProfileError> {
    match value {
        Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("Feature") => {
            Ok(Reader::Features(Box::new(FeatureCollector::new(opts))))
        }
        Value::Object(_) => Ok(Reader::Records(Box::new(RecordsCollector::new(
            opts,
            NonObjects::Skip,
        )))),
        Value::Array(items) if items.first().is_some_and(Value::is_object) => Ok(Reader::Pages {
            records: Box::new(RecordsCollector::new(opts, NonObjects::Skip)),
            pending: None,
        }),
        Value::Array(items) => Ok(Reader::Records(Box::new(
            RecordsCollector::new(opts, NonObjects::Skip)
                .with_rows(RowLayout::from_first_row(items)),
        ))),
        other => Err(ProfileError::unsupported(
            "json",
            format!(
                "one JSON value per line, but line {number} holds {}, not a record (object)",
                with_article(kind_of(other))
            ),
        )),
    }
}

fn with_article(kind: &str) -> String {
    match kind {
        "array" | "object" => format!("an {kind}"),
        "null" => "null".to_owned(),
        other => format!("a {other}"),
    }
}

fn line_error(e: ProfileError, number: u64) -> ProfileError {
    match e {
        ProfileError::Failed { step, cause } => ProfileError::Failed {
            step,
            cause: format!("{cause} (NDJSON line {number})"),
        },
        other => other,
    }
}
