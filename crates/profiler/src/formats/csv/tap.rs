//! A pass-through reader under the CSV parser that watches the text go by.
//!
//! It learns what the parser does not report, at memchr speed and without a
//! second pass: which line terminators the file uses, whether any field
//! is actually quoted (a quote right after a delimiter or a line start),
//! and whether any byte is outside ASCII. It also guards memory: the csv
//! crate buffers a whole record before handing it over, so a 100 MB line
//! without a newline would be buffered whole. The tap knows where the
//! current record started and fails the read once the record has grown
//! past the limit.
//!
//! When the text is read as UTF-8 before it is known to be valid (see
//! [`super::run`]), the records the parser hands over are checked, but the
//! parser drops quotes and escapes between cell bytes: `\xC3"\xA9` reads as
//! a valid `é` though the file's bytes are not UTF-8. The tap catches that
//! case: a UTF-8 continuation byte right after a quote or an escape.

use std::io::{self, Read};

/// Line terminators seen in the text (quoted line breaks included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineTerminators {
    pub lf: u64,
    pub crlf: u64,
    pub cr: u64,
}

impl LineTerminators {
    /// Adds the terminators of the text that follows.
    pub fn add(&mut self, next: &LineTerminators) {
        self.lf += next.lf;
        self.crlf += next.crlf;
        self.cr += next.cr;
    }

    /// Line breaks of any kind.
    pub fn breaks(&self) -> u64 {
        self.lf + self.crlf + self.cr
    }

    /// `crlf`, `lf`, `cr`, or `mixed` when more than one kind occurs; `lf`
    /// for text without any line end.
    pub fn label(&self) -> &'static str {
        match (self.lf > 0, self.crlf > 0, self.cr > 0) {
            (_, true, false) if self.lf == 0 => "crlf",
            (false, false, true) => "cr",
            (_, false, false) => "lf",
            _ => "mixed",
        }
    }
}

/// The error a tap returns when a record outgrows the limit.
#[derive(Debug)]
pub struct RecordTooLong;

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("record longer than the limit")
    }
}

impl std::error::Error for RecordTooLong {}

pub struct Tap<R> {
    inner: R,
    delimiter: u8,
    quote: u8,
    /// Bytes handed to the reader above.
    delivered: u64,
    /// Offset where the record being parsed starts.
    record_start: u64,
    /// Bytes a record may span before reads fail (the limit plus the
    /// parser's read-ahead buffer).
    max_span: u64,
    tripped: bool,
    newlines: u64,
    crlf: u64,
    cr: u64,
    /// The previous chunk ended with `\r`.
    pending_cr: bool,
    /// The byte before the current chunk (`\n` at the start of the text).
    previous: u8,
    quoted_field: bool,
    non_ascii: bool,
    /// Look for UTF-8 sequences split by a quote or this escape byte.
    utf8_check: Option<Option<u8>>,
    split_sequence: bool,
    /// The last byte seen that is not white space.
    last_significant: Option<u8>,
}

impl<R: Read> Tap<R> {
    pub fn new(inner: R, delimiter: u8, quote: u8, max_span: u64) -> Self {
        Tap {
            inner,
            delimiter,
            quote,
            delivered: 0,
            record_start: 0,
            max_span,
            tripped: false,
            newlines: 0,
            crlf: 0,
            cr: 0,
            pending_cr: false,
            previous: b'\n',
            quoted_field: false,
            non_ascii: false,
            utf8_check: None,
            split_sequence: false,
            last_significant: None,
        }
    }

    /// Also watches for UTF-8 sequences that a quote or `escape` splits
    /// (see [`Tap::split_sequence`]).
    pub fn check_utf8(mut self, escape: Option<u8>) -> Self {
        self.utf8_check = Some(escape);
        self
    }

    /// Bytes handed to the parser so far.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// True when some byte is not ASCII.
    pub fn saw_non_ascii(&self) -> bool {
        self.non_ascii
    }

    /// True when, with [`Tap::check_utf8`], a UTF-8 continuation byte came
    /// right after a quote or an escape: the text is not valid UTF-8 even
    /// if every record the parser returns is.
    pub fn split_sequence(&self) -> bool {
        self.split_sequence
    }

    /// Tells the tap where the record now being parsed starts.
    pub fn set_record_start(&mut self, offset: u64) {
        self.record_start = offset;
    }

    /// True once a read failed because a record grew past the limit.
    pub fn tripped(&self) -> bool {
        self.tripped
    }

    /// True when the text so far ends with `\n` or `\r`.
    pub fn ends_with_line_break(&self) -> bool {
        self.delivered > 0 && matches!(self.previous, b'\n' | b'\r')
    }

    /// The last byte of the text so far that is not white space.
    pub fn last_significant(&self) -> Option<u8> {
        self.last_significant
    }

    /// True when some field starts with the quote character.
    pub fn saw_quoted_field(&self) -> bool {
        self.quoted_field
    }

    pub fn line_terminators(&self) -> LineTerminators {
        let cr = self.cr + u64::from(self.pending_cr);
        LineTerminators {
            lf: self.newlines - self.crlf,
            crlf: self.crlf,
            cr,
        }
    }

    fn watch(&mut self, chunk: &[u8]) {
        let Some(&last) = chunk.last() else {
            return;
        };
        if self.pending_cr {
            if chunk[0] == b'\n' {
                self.crlf += 1;
            } else {
                self.cr += 1;
            }
            self.pending_cr = false;
        }
        self.newlines += memchr::memchr_iter(b'\n', chunk).count() as u64;
        for at in memchr::memchr_iter(b'\r', chunk) {
            match chunk.get(at + 1) {
                Some(b'\n') => self.crlf += 1,
                Some(_) => self.cr += 1,
                None => self.pending_cr = true,
            }
        }
        if !self.non_ascii && !chunk.is_ascii() {
            self.non_ascii = true;
        }
        if let Some(escape) = self.utf8_check {
            self.watch_split_sequences(chunk, escape);
        }
        if !self.quoted_field {
            for at in memchr::memchr_iter(self.quote, chunk) {
                let before = if at == 0 {
                    self.previous
                } else {
                    chunk[at - 1]
                };
                if before == self.delimiter || before == b'\n' || before == b'\r' {
                    self.quoted_field = true;
                    break;
                }
            }
        }
        if let Some(at) = chunk.iter().rposition(|b| !b.is_ascii_whitespace()) {
            self.last_significant = Some(chunk[at]);
        }
        self.previous = last;
    }

    fn watch_split_sequences(&mut self, chunk: &[u8], escape: Option<u8>) {
        if self.split_sequence || !self.non_ascii {
            return;
        }
        let continuation = |b: &u8| b & 0xC0 == 0x80;
        let marker = |b: u8| b == self.quote || Some(b) == escape;
        if marker(self.previous) && chunk.first().is_some_and(continuation) {
            self.split_sequence = true;
            return;
        }
        // Over every pair of neighbours, without an early exit, so that it
        // compiles to vector code: quotes are frequent, and a search that
        // stops at each of them is ten times slower.
        let quote = self.quote;
        let escape = escape.unwrap_or(quote);
        let pairs = chunk.iter().zip(chunk.get(1..).unwrap_or_default());
        self.split_sequence = pairs.fold(false, |found, (&a, &b)| {
            found | ((a == quote || a == escape) & (b & 0xC0 == 0x80))
        });
    }
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.delivered.saturating_sub(self.record_start) > self.max_span {
            self.tripped = true;
            return Err(io::Error::new(io::ErrorKind::InvalidData, RecordTooLong));
        }
        let n = self.inner.read(buf)?;
        self.watch(&buf[..n]);
        self.delivered += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch_all(text: &[u8], chunk: usize) -> Tap<&[u8]> {
        let mut tap = Tap::new(text, b',', b'"', u64::MAX);
        let mut buf = vec![0; chunk];
        while tap.read(&mut buf).expect("read") > 0 {}
        tap
    }

    #[test]
    fn terminators_across_chunk_boundaries() {
        let tap = watch_all(b"1,2,3\n4,5,6\r\n7,8,9\n", 12);
        assert_eq!(
            tap.line_terminators(),
            LineTerminators {
                lf: 2,
                crlf: 1,
                cr: 0
            }
        );
        assert_eq!(tap.line_terminators().label(), "mixed");
        assert_eq!(
            watch_all(b"a\r\nb\r\n", 3).line_terminators().label(),
            "crlf"
        );
        assert_eq!(watch_all(b"a\rb\r", 2).line_terminators().label(), "cr");
        assert_eq!(watch_all(b"a", 2).line_terminators().label(), "lf");
    }

    #[test]
    fn quoted_fields_only_at_field_start() {
        assert!(!watch_all(b"a,b \"x\" c\n", 4).saw_quoted_field());
        assert!(watch_all(b"a,b\n1,\"x,y\"\n", 5).saw_quoted_field());
        assert!(watch_all(b"\"a\",b\n", 5).saw_quoted_field());
    }

    fn split_found(text: &[u8], chunk: usize, escape: Option<u8>) -> bool {
        let mut tap = Tap::new(text, b';', b'"', u64::MAX).check_utf8(escape);
        let mut buf = vec![0; chunk];
        while tap.read(&mut buf).expect("read") > 0 {}
        tap.split_sequence()
    }

    #[test]
    fn utf8_sequences_split_by_a_quote_or_an_escape() {
        // `é` is C3 A9.
        assert!(!split_found("a;\"é\";\"\"é\"\"\n".as_bytes(), 64, None));
        assert!(split_found(b"a;\"x\xC3\"\xA9\"\n", 64, None));
        // The quote ends one chunk, the continuation byte starts the next.
        assert!(split_found(b"\xC3\xA9;\"x\xC3\"\xA9\"\n", 7, None));
        assert!(split_found(b"\"x\xC3\\\xA9\"\n", 64, Some(b'\\')));
        assert!(!split_found(b"\"x\xC3\\\xA9\"\n", 64, None));
    }

    #[test]
    fn long_record_trips_the_guard() {
        let text = vec![b'x'; 10_000];
        let mut tap = Tap::new(&text[..], b',', b'"', 1_000);
        let mut buf = [0u8; 512];
        let mut result = Ok(1);
        while matches!(result, Ok(n) if n > 0) {
            result = tap.read(&mut buf);
        }
        assert!(result.is_err());
        assert!(tap.tripped());
    }
}
