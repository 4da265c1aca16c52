//! Where a large file is cut into parts that threads read on their own.
//!
//! A part must start at a record: right after a line feed that is not
//! inside a quoted value. Bytes alone cannot tell (a quote may be data),
//! so each cut is a guess, checked twice: here, the records that follow a
//! candidate line feed must have the table's field count (a cut inside a
//! quoted value soon misreads the rows after it), else the next line feed
//! is tried; then, exactly, by the part before the cut (see
//! [`super::run::END_MARK`]).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use super::dialect::{QUOTE, Syntax};
use super::run::only_trailing_empty_cells;
use super::sample::SAMPLE_BYTES;

/// No cut before this offset: the preamble and the header, skipped by the
/// first part, lie in the sample's first [`SAMPLE_BYTES`] decoded bytes
/// (decoding never shortens the text of the encodings that are split).
pub const MIN_CUT: u64 = 2 * SAMPLE_BYTES as u64;

/// Bytes read at a cut point to look for a line feed.
const WINDOW: usize = 64 * 1024;

/// Line feeds tried at each cut point.
const CANDIDATES: usize = 16;

/// Records read after a candidate line feed.
const CHECK_RECORDS: usize = 16;

/// Offsets where parts 2, 3... start, for `parts` parts of about equal
/// size; fewer when a cut point has no line feed near it.
pub fn cut_points(
    file: &mut File,
    file_len: u64,
    parts: usize,
    syntax: Syntax,
    field_count: usize,
) -> io::Result<Vec<u64>> {
    let mut cuts: Vec<u64> = Vec::with_capacity(parts.saturating_sub(1));
    let mut window = Vec::with_capacity(WINDOW);
    for i in 1..parts as u64 {
        let target = (file_len / parts as u64 * i).max(MIN_CUT);
        if cuts.last().is_some_and(|&last| target <= last) || target >= file_len {
            continue;
        }
        file.seek(SeekFrom::Start(target))?;
        window.clear();
        file.by_ref().take(WINDOW as u64).read_to_end(&mut window)?;
        if let Some(at) = choose_line_feed(&window, syntax, field_count) {
            let cut = target + at as u64 + 1;
            if cut < file_len {
                cuts.push(cut);
            }
        }
    }
    Ok(cuts)
}

/// The first line feed in `window` after which the text looks like the
/// start of a record, or the first line feed when none does.
fn choose_line_feed(window: &[u8], syntax: Syntax, field_count: usize) -> Option<usize> {
    let mut feeds = memchr::memchr_iter(b'\n', window).take(CANDIDATES);
    let first = feeds.next()?;
    std::iter::once(first)
        .chain(feeds)
        .find(|&at| {
            let text = window.get(at + 1..).unwrap_or_default();
            first_quote_opens(text, syntax.delimiter) && records_fit(text, syntax, field_count)
        })
        .or(Some(first))
}

/// Whether the first quote on the first line of `text` (if any) starts a
/// field. After a cut inside a quoted value, the first quote is that
/// value's closing quote, which follows the value's text.
fn first_quote_opens(text: &[u8], delimiter: u8) -> bool {
    let line = memchr::memchr(b'\n', text).map_or(text, |end| &text[..end]);
    match memchr::memchr(QUOTE, line) {
        None | Some(0) => true,
        Some(at) => line[at - 1] == delimiter,
    }
}

/// Whether the records at the start of `text`, as far as the window shows
/// them whole, have `field_count` fields: the first one, and all but one
/// of the others (tables have a few ragged rows).
fn records_fit(text: &[u8], syntax: Syntax, field_count: usize) -> bool {
    let mut reader = syntax.csv_reader(syntax.text_source(text));
    let mut record = csv::ByteRecord::new();
    let (mut checked, mut misfits) = (0usize, 0usize);
    while checked < CHECK_RECORDS {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) | Err(_) => break,
        }
        // The window may cut the last record.
        if reader.position().byte() >= text.len() as u64 {
            break;
        }
        let fits = record.len() == field_count || only_trailing_empty_cells(&record, field_count);
        if checked == 0 && !fits {
            return false;
        }
        checked += 1;
        misfits += usize::from(!fits);
    }
    checked > 0 && misfits <= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_feed_inside_quotes_is_passed_over() {
        let syntax = Syntax::delimited(b';');
        // The window starts inside a quoted value of the first column: the
        // first line feed is inside it too, and the line after it has the
        // right field count, but its first quote closes a value.
        let text = b"x one\nline two\";b;c\n2;\"b\";x\n3;c;y\n4;\"d\ne\";z\n5;f;w\n6;g;v\n";
        let at = choose_line_feed(text, syntax, 3).expect("a line feed");
        assert_eq!(&text[at + 1..at + 3], b"2;");
        // Inside a value of the last column: the line after has one field.
        let text = b"x one\nline two\"\n2;b;x\n3;c;y\n4;d;z\n";
        let at = choose_line_feed(text, syntax, 3).expect("a line feed");
        assert_eq!(&text[at + 1..at + 3], b"2;");
        // Nothing fits: the first line feed.
        assert_eq!(choose_line_feed(b"a\nb\nc\n", syntax, 3), Some(1));
        assert_eq!(choose_line_feed(b"no line feed", syntax, 3), None);
    }

    #[test]
    fn cuts_are_after_line_feeds_and_past_the_head() -> io::Result<()> {
        let mut text = Vec::new();
        let mut n = 0;
        while text.len() < 1_000_000 {
            n += 1;
            text.extend_from_slice(format!("{n};\"v\n{n}\";x\n").as_bytes());
        }
        let mut file = tempfile::tempfile()?;
        std::io::Write::write_all(&mut file, &text)?;
        let cuts = cut_points(&mut file, text.len() as u64, 4, Syntax::delimited(b';'), 3)?;
        assert_eq!(cuts.len(), 3);
        for cut in &cuts {
            let at = *cut as usize;
            assert!(*cut >= MIN_CUT);
            assert_eq!(text[at - 1], b'\n');
            // A record starts there, not the rest of a quoted value.
            assert!(text[at].is_ascii_digit(), "{}", at);
            assert_ne!(text[at - 2], b'v');
        }
        Ok(())
    }
}
