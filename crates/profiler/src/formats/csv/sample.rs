//! The decoded head of a file, and its rows as a given syntax reads them.
//!
//! Dialect and header detection work on this sample only; the streaming
//! pass then reads the whole file with the syntax chosen here.

use std::io::{self, Read};

use super::dialect::Syntax;

/// Decoded bytes read for detection.
pub const SAMPLE_BYTES: usize = 128 * 1024;

/// Rows of the sample looked at.
pub const SAMPLE_ROWS: usize = 2_000;

/// The decoded (UTF-8) head of a file.
#[derive(Debug, Clone)]
pub struct Sample {
    pub text: Vec<u8>,
    /// True when `text` is the whole file.
    pub complete: bool,
}

impl Sample {
    /// True when the sample holds nothing but white space.
    pub fn is_blank(&self) -> bool {
        self.text.iter().all(u8::is_ascii_whitespace)
    }

    /// Physical lines before `offset`: each `\r\n`, `\n` or lone `\r` ends one.
    pub fn lines_before(&self, offset: u64) -> u64 {
        let end = usize::try_from(offset).map_or(self.text.len(), |o| o.min(self.text.len()));
        let head = &self.text[..end];
        let newlines = memchr::memchr_iter(b'\n', head).count();
        let lone_cr = memchr::memchr_iter(b'\r', head)
            .filter(|&at| head.get(at + 1) != Some(&b'\n'))
            .count();
        (newlines + lone_cr) as u64
    }
}

/// Reads up to [`SAMPLE_BYTES`] of decoded text.
pub fn read_sample<R: Read>(decoded: R) -> io::Result<Sample> {
    let mut text = Vec::with_capacity(SAMPLE_BYTES + 1);
    decoded
        .take(SAMPLE_BYTES as u64 + 1)
        .read_to_end(&mut text)?;
    let complete = text.len() <= SAMPLE_BYTES;
    text.truncate(SAMPLE_BYTES);
    Ok(Sample { text, complete })
}

/// What a row looks like, without its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowShape {
    pub fields: usize,
    /// Cells that are not empty after trimming.
    pub non_empty: usize,
    pub last_empty: bool,
    /// No cell holds anything: a line of white space, or delimiters only
    /// (`;;;;`, the empty rows of a spreadsheet export).
    pub blank: bool,
    /// Only the first cell holds something: a title or a note line
    /// (`Source : INSEE`, padded or not).
    pub first_only: bool,
    /// Empty lines come between this row and the one before.
    pub gap_before: bool,
    /// Byte offset of the row in the sample.
    pub offset: u64,
}

/// The rows of the sample under `syntax` (a possibly cut last row dropped).
pub fn row_shapes(sample: &Sample, syntax: Syntax) -> Vec<RowShape> {
    let mut shapes = Vec::new();
    for_each_row(sample, syntax, |record, offset, gap_before| {
        let non_empty = record.iter().filter(|c| !is_blank_cell(c)).count();
        shapes.push(RowShape {
            fields: record.len(),
            non_empty,
            last_empty: record.iter().next_back().is_none_or(is_blank_cell),
            blank: non_empty == 0,
            first_only: non_empty == 1 && record.iter().next().is_some_and(|c| !is_blank_cell(c)),
            gap_before,
            offset,
        });
    });
    shapes
}

/// The cells of the sample's rows `from..` (at most [`SAMPLE_ROWS`] rows
/// in all), as text.
pub fn row_cells(sample: &Sample, syntax: Syntax, from: usize) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut index = 0usize;
    for_each_row(sample, syntax, |record, _, _| {
        if index >= from {
            rows.push(
                record
                    .iter()
                    .map(|cell| String::from_utf8_lossy(cell).into_owned())
                    .collect(),
            );
        }
        index += 1;
    });
    rows
}

/// Where a record really starts: the parser's position is the end of the
/// previous record, before the empty lines and comment lines it skips.
fn record_start(text: &[u8], mut at: u64, comment: Option<u8>) -> u64 {
    loop {
        let Some(&byte) = usize::try_from(at).ok().and_then(|i| text.get(i)) else {
            return at;
        };
        if byte == b'\n' || byte == b'\r' {
            at += 1;
        } else if Some(byte) == comment {
            let rest = &text[at as usize..];
            match memchr::memchr(b'\n', rest) {
                Some(end) => at += end as u64 + 1,
                None => return text.len() as u64,
            }
        } else {
            return at;
        }
    }
}

fn is_blank_cell(cell: &[u8]) -> bool {
    cell.iter().all(u8::is_ascii_whitespace)
}

/// Calls `visit` with each row, its offset and whether empty lines come
/// before it.
fn for_each_row(
    sample: &Sample,
    syntax: Syntax,
    mut visit: impl FnMut(&csv::ByteRecord, u64, bool),
) {
    let mut reader = syntax.csv_reader(syntax.text_source(&sample.text[..]));
    let mut record = csv::ByteRecord::new();
    let mut pending: Option<(csv::ByteRecord, u64, bool)> = None;
    let mut count = 0usize;
    while count < SAMPLE_ROWS {
        let offset = reader.position().byte();
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            // A slice reader cannot fail; stop at the end either way.
            Ok(false) | Err(_) => break,
        }
        let gap = skipped_empty_lines(line, reader.position().line(), &record);
        let offset = record_start(&sample.text, offset, syntax.comment);
        // Hold each row back by one, so that the last row of a cut sample
        // (possibly cut mid-record) can be dropped.
        if let Some((row, at, gap)) = pending.replace((record.clone(), offset, gap)) {
            visit(&row, at, gap);
        }
        count += 1;
    }
    if let Some((row, at, gap)) = pending {
        let cut = !sample.complete && count < SAMPLE_ROWS && count > 1;
        if !cut {
            visit(&row, at, gap);
        }
    }
}

/// Whether the parser skipped empty lines before `record`, given its line
/// numbers before and after reading it. A record takes one line break
/// (its own, or with CRLF the `\n` of the one before) plus those quoted
/// inside it; the parser skips empty lines without a record, so any more
/// are empty lines. Lone `\r` line ends are not counted by the parser:
/// there no gap is seen.
pub fn skipped_empty_lines(line_before: u64, line_after: u64, record: &csv::ByteRecord) -> bool {
    let taken = line_after.saturating_sub(line_before);
    taken >= 2 && taken - memchr::memchr_iter(b'\n', record.as_slice()).count() as u64 >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_before_counts_every_terminator_kind() {
        let sample = Sample {
            text: b"a\r\nb\nc\rd\n".to_vec(),
            complete: true,
        };
        assert_eq!(sample.lines_before(0), 0);
        assert_eq!(sample.lines_before(3), 1);
        assert_eq!(sample.lines_before(7), 3);
        assert_eq!(sample.lines_before(100), 4);
    }

    #[test]
    fn cut_last_row_is_dropped() {
        let syntax = Syntax::delimited(b',');
        let cut = Sample {
            text: b"a,b\n1,2\n3,".to_vec(),
            complete: false,
        };
        assert_eq!(row_shapes(&cut, syntax).len(), 2);
        let whole = Sample {
            complete: true,
            ..cut
        };
        let shapes = row_shapes(&whole, syntax);
        assert_eq!(shapes.len(), 3);
        assert_eq!(
            shapes[2],
            RowShape {
                fields: 2,
                non_empty: 1,
                last_empty: true,
                blank: false,
                first_only: true,
                gap_before: false,
                offset: 8
            }
        );
    }
}
