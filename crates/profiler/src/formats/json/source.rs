//! Opening a JSON file as a UTF-8 byte stream, and what its raw bytes say
//! about its encoding.
//!
//! JSON is UTF-8 by definition, but open-data portals also serve it with a
//! byte-order mark, in UTF-16, or (older French portals) in Windows-1252.
//! The readers always see UTF-8: a UTF-8 BOM is skipped, UTF-16 and
//! Windows-1252 are transcoded on the fly. Meanwhile a [`ByteStats`] watches
//! the raw bytes, so the profile can say `ascii` when no byte is above
//! 0x7F, and so a file announced as UTF-8 that is not valid UTF-8 can be
//! read again as Windows-1252.

use std::cell::RefCell;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::rc::Rc;

use encoding_rs::Encoding;
use encoding_rs_io::DecodeReaderBytesBuilder;

use crate::{ProfileError, ProfileOptions};

/// How the raw bytes become the UTF-8 the JSON parser reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decoding {
    /// UTF-8, with or without a byte-order mark (which is skipped).
    Utf8 { bom: bool },
    /// UTF-16 with a byte-order mark, transcoded.
    Utf16(&'static Encoding),
    /// Single-byte Windows-1252 (a superset of ISO-8859-1 for text),
    /// transcoded: the fallback when the bytes are not valid UTF-8.
    Windows1252,
    /// UTF-8 with a few broken sequences, each replaced by U+FFFD.
    Utf8Lossy,
}

impl Decoding {
    /// Picks the decoding from the first bytes of the file.
    pub fn from_head(head: &[u8]) -> Decoding {
        if head.starts_with(b"\xEF\xBB\xBF") {
            Decoding::Utf8 { bom: true }
        } else if head.starts_with(b"\xFF\xFE") {
            Decoding::Utf16(encoding_rs::UTF_16LE)
        } else if head.starts_with(b"\xFE\xFF") {
            Decoding::Utf16(encoding_rs::UTF_16BE)
        } else {
            Decoding::Utf8 { bom: false }
        }
    }

    /// The encoding name a profile reports, given what the bytes held.
    pub fn label(self, stats: &ByteStats) -> String {
        match self {
            Decoding::Utf8 { bom: false } if !stats.non_ascii => "ascii".to_owned(),
            Decoding::Utf8 { .. } | Decoding::Utf8Lossy => "utf-8".to_owned(),
            Decoding::Utf16(enc) => enc.name().to_ascii_lowercase(),
            // Bytes 0x80-0x9F are printable only in Windows-1252; without
            // them the text is plain ISO-8859-1.
            Decoding::Windows1252 if stats.c1_controls => "windows-1252".to_owned(),
            Decoding::Windows1252 => "iso-8859-1".to_owned(),
        }
    }
}

/// What the raw bytes of a file held, gathered while they stream by.
#[derive(Debug, Default, Clone)]
pub(crate) struct ByteStats {
    /// A byte above 0x7F was seen.
    pub non_ascii: bool,
    /// A byte in 0x80..=0x9F was seen.
    pub c1_controls: bool,
    /// The bytes are not valid UTF-8 (checked across read boundaries).
    pub invalid_utf8: bool,
    /// The start of a multi-byte sequence cut by a read boundary.
    pub(super) carry: Vec<u8>,
    /// Only `non_ascii` is watched: the reader checks the rest itself.
    pub(super) ascii_only: bool,
}

impl ByteStats {
    fn feed(&mut self, mut data: &[u8]) {
        if self.ascii_only {
            self.non_ascii = self.non_ascii || !data.is_ascii();
            return;
        }
        if data.is_ascii() && self.carry.is_empty() {
            return;
        }
        self.non_ascii |= !data.is_ascii();
        self.c1_controls |= data.iter().any(|b| (0x80..=0x9F).contains(b));
        if self.invalid_utf8 {
            return;
        }
        // Finish a sequence that the previous read cut in two.
        while !self.carry.is_empty() {
            let Some((&b, rest)) = data.split_first() else {
                return;
            };
            self.carry.push(b);
            data = rest;
            match std::str::from_utf8(&self.carry) {
                Ok(_) => self.carry.clear(),
                Err(e) if e.error_len().is_some() || self.carry.len() >= 4 => {
                    self.invalid_utf8 = true;
                    return;
                }
                Err(_) => {}
            }
        }
        if let Err(e) = std::str::from_utf8(data) {
            match e.error_len() {
                Some(_) => self.invalid_utf8 = true,
                None => self.carry = data[e.valid_up_to()..].to_vec(),
            }
        }
    }

    /// Called at end of input: a sequence still open is invalid.
    fn finish(&mut self) {
        if !self.carry.is_empty() {
            self.invalid_utf8 = true;
            self.carry.clear();
        }
    }
}

/// Shared view of the statistics of one open stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct StatsHandle(Rc<RefCell<ByteStats>>);

impl StatsHandle {
    /// A snapshot of the statistics so far.
    pub fn get(&self) -> ByteStats {
        self.0.borrow().clone()
    }

    /// From now on, watch only for bytes above 0x7F: for a UTF-8 reader
    /// that checks every byte it reads (NDJSON: a line that parses is valid
    /// UTF-8, one that does not is checked on its own).
    pub fn leave_utf8_to_reader(&self) {
        self.0.borrow_mut().ascii_only = true;
    }
}

/// Passes bytes through, feeding them to [`ByteStats`].
struct Watched<R> {
    inner: R,
    stats: StatsHandle,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut stats = self.stats.0.borrow_mut();
        if n == 0 {
            stats.finish();
        } else {
            stats.feed(&buf[..n]);
        }
        Ok(n)
    }
}

/// Wraps `inner` so that its bytes feed a fresh [`ByteStats`].
pub(crate) fn watch<R: Read>(inner: R) -> (impl Read, StatsHandle) {
    let stats = StatsHandle::default();
    let watched = Watched {
        inner,
        stats: stats.clone(),
    };
    (watched, stats)
}

/// An open JSON file: UTF-8 bytes to parse, and the raw-byte statistics.
pub(crate) struct TextSource {
    pub reader: BufReader<Box<dyn Read>>,
    pub stats: StatsHandle,
}

const BUFFER: usize = 64 * 1024;

/// Opens `path` for reading as UTF-8 under `decoding`.
pub(crate) fn open(
    path: &Path,
    decoding: Decoding,
    opts: &ProfileOptions,
) -> Result<TextSource, ProfileError> {
    let mut file = crate::source::open(path, opts).map_err(|e| ProfileError::io("read", e))?;
    if decoding == (Decoding::Utf8 { bom: true }) {
        file.seek(SeekFrom::Start(3))
            .map_err(|e| ProfileError::io("read", e))?;
    }
    let stats = StatsHandle::default();
    let watched = Watched {
        inner: file,
        stats: stats.clone(),
    };
    let reader: Box<dyn Read> = match decoding {
        Decoding::Utf8 { .. } => Box::new(watched),
        Decoding::Utf16(enc) => Box::new(
            DecodeReaderBytesBuilder::new()
                .encoding(Some(enc))
                .strip_bom(true)
                .build(watched),
        ),
        Decoding::Windows1252 => Box::new(
            DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding_rs::WINDOWS_1252))
                .bom_sniffing(false)
                .build(watched),
        ),
        Decoding::Utf8Lossy => Box::new(
            DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding_rs::UTF_8))
                .strip_bom(true)
                .build(watched),
        ),
    };
    Ok(TextSource {
        reader: BufReader::with_capacity(BUFFER, reader),
        stats,
    })
}

/// How [`read_line`] ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LineRead {
    /// A line (maybe the last, without its newline) is in the buffer.
    Line,
    /// The line is longer than allowed; the buffer holds its start.
    TooLong,
    /// No more input.
    Eof,
}

/// Reads one `\n`-terminated line into `out` (without the `\n`), refusing
/// to buffer more than `max` bytes of it.
pub(crate) fn read_line(
    reader: &mut impl BufRead,
    out: &mut Vec<u8>,
    max: usize,
) -> io::Result<LineRead> {
    out.clear();
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(if out.is_empty() {
                LineRead::Eof
            } else {
                LineRead::Line
            });
        }
        let (taken, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => {
                out.extend_from_slice(&buf[..i]);
                (i + 1, true)
            }
            None => {
                out.extend_from_slice(buf);
                (buf.len(), false)
            }
        };
        reader.consume(taken);
        if out.len() > max {
            return Ok(LineRead::TooLong);
        }
        if done {
            return Ok(LineRead::Line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats_of(chunks: &[&[u8]]) -> ByteStats {
        let mut s = ByteStats::default();
        for c in chunks {
            s.feed(c);
        }
        s.finish();
        s
    }

    #[test]
    fn utf8_checked_across_chunk_boundaries() {
        let e_acute = "é".as_bytes();
        let s = stats_of(&[b"ab", &e_acute[..1], &e_acute[1..], b"cd"]);
        assert!(s.non_ascii && !s.invalid_utf8 && !s.c1_controls);
        let s = stats_of(&[b"C\xF4te"]);
        assert!(s.invalid_utf8);
        let s = stats_of(&[b"abc", &e_acute[..1]]);
        assert!(s.invalid_utf8, "a sequence cut by the end of input");
        let s = stats_of(&[b"plain"]);
        assert!(!s.non_ascii && !s.invalid_utf8);
        let s = stats_of(&[b"\x80 euro"]);
        assert!(s.c1_controls && s.invalid_utf8);
        let mut s = ByteStats {
            ascii_only: true,
            ..ByteStats::default()
        };
        s.feed(b"C\xF4te");
        s.finish();
        assert!(s.non_ascii && !s.invalid_utf8 && !s.c1_controls);
    }

    #[test]
    fn labels() {
        let ascii = ByteStats::default();
        let accented = stats_of(&["é".as_bytes()]);
        assert_eq!(Decoding::Utf8 { bom: false }.label(&ascii), "ascii");
        assert_eq!(Decoding::Utf8 { bom: true }.label(&ascii), "utf-8");
        assert_eq!(Decoding::Utf8 { bom: false }.label(&accented), "utf-8");
        assert_eq!(
            Decoding::Utf16(encoding_rs::UTF_16LE).label(&ascii),
            "utf-16le"
        );
        assert_eq!(
            Decoding::Windows1252.label(&stats_of(&[b"\xe9"])),
            "iso-8859-1"
        );
        assert_eq!(
            Decoding::Windows1252.label(&stats_of(&[b"\x80"])),
            "windows-1252"
        );
        assert_eq!(
            Decoding::from_head(b"\xFF\xFE[\0"),
            Decoding::Utf16(encoding_rs::UTF_16LE)
        );
    }

    #[test]
    fn bounded_lines() {
        let mut r = io::Cursor::new(b"ab\ncdef\n\nlast".to_vec());
        let mut line = Vec::new();
        assert_eq!(read_line(&mut r, &mut line, 10).ok(), Some(LineRead::Line));
        assert_eq!(line, b"ab");
        assert_eq!(
            read_line(&mut r, &mut line, 3).ok(),
            Some(LineRead::TooLong)
        );
        let mut r = io::Cursor::new(b"x\n\nlast".to_vec());
        assert_eq!(read_line(&mut r, &mut line, 10).ok(), Some(LineRead::Line));
        assert_eq!(read_line(&mut r, &mut line, 10).ok(), Some(LineRead::Line));
        assert!(line.is_empty());
        assert_eq!(read_line(&mut r, &mut line, 10).ok(), Some(LineRead::Line));
        assert_eq!(line, b"last");
        assert_eq!(read_line(&mut r, &mut line, 10).ok(), Some(LineRead::Eof));
    }
}
