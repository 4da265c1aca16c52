//! Which text encoding a file is written in, and a reader that turns it
//! into UTF-8.
//!
//! The decision is taken over the WHOLE content, not a head sample: a
//! UTF-8 file whose first accent sits at 10 MB, or a latin-1 file whose only
//! `é` is on the last line, must not be misread. [`detect_reader`] streams
//! the file once through `std::str::from_utf8` (which is SIMD-fast on ASCII),
//! carrying a sequence split across two chunks over to the next one.
//!
//! Rules, in order:
//! - a byte-order mark decides (`utf-8`, `utf-16le`, `utf-16be`); UTF-16
//!   without a BOM is recognised by its NUL byte pattern;
//! - valid UTF-8 is `ascii` when every byte is below 0x80, else `utf-8`;
//! - mostly valid UTF-8 with a few broken sequences stays `utf-8`, and the
//!   broken sequences are replaced and reported in a warning;
//! - otherwise a legacy single-byte encoding: `windows-1252` when a byte in
//!   0x80–0x9F is present (printable there only in windows-1252), else
//!   `iso-8859-1`. Both decode with encoding_rs's windows-1252, a superset.
//!   chardetng is asked only to spot other legacy encodings (Cyrillic,
//!   Japanese...), and is followed only when it is confident.

use std::io::{self, BufReader, Read};

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};

/// The encoding of a text source and how it was decided.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectedEncoding {
    /// The decoder to use (windows-1252 for `iso-8859-1` too).
    pub encoding: &'static Encoding,
    /// Name reported in profiles: `ascii`, `utf-8`, `utf-16le`,
    /// `iso-8859-1`, `windows-1252`...
    pub label: String,
    /// Bytes of byte-order mark at the start of the file.
    pub bom_len: usize,
    /// Broken sequences in a file read as UTF-8, replaced by U+FFFD when
    /// decoding; 0 for a clean file and for other encodings.
    pub replaced_sequences: u64,
}

impl DetectedEncoding {
    /// True when the bytes after the BOM are valid UTF-8 and can be used as
    /// they are, without transcoding.
    pub fn is_clean_utf8(&self) -> bool {
        self.encoding == UTF_8 && self.replaced_sequences == 0
    }

    /// What a reader of the profile should know about the decoding.
    pub fn warning(&self) -> Option<String> {
        match self.replaced_sequences {
            0 => None,
            1 => Some("1 invalid UTF-8 sequence replaced".to_owned()),
            n => Some(format!("{n} invalid UTF-8 sequences replaced")),
        }
    }

    fn new(encoding: &'static Encoding, label: &str, bom_len: usize) -> Self {
        DetectedEncoding {
            encoding,
            label: label.to_owned(),
            bom_len,
            replaced_sequences: 0,
        }
    }
}

/// Detects the encoding of content held whole in memory.
pub fn detect(bytes: &[u8]) -> DetectedEncoding {
    if let Some(found) = detect_from_head(bytes) {
        return found;
    }
    let mut scan = Utf8Scan::new(bom_len(bytes));
    scan.push(bytes, true);
    scan.finish()
}

/// Detects the encoding of a whole stream, reading it to the end once.
pub fn detect_reader<R: Read>(mut reader: R) -> io::Result<DetectedEncoding> {
    let mut buf = vec![0u8; SCAN_CHUNK];
    let mut filled = fill(&mut reader, &mut buf)?;
    if let Some(found) = detect_from_head(&buf[..filled]) {
        return Ok(found);
    }
    let mut scan = Utf8Scan::new(bom_len(&buf[..filled]));
    loop {
        let last = filled < buf.len();
        scan.push(&buf[..filled], last);
        if last {
            break;
        }
        filled = fill(&mut reader, &mut buf)?;
    }
    Ok(scan.finish())
}

/// UTF-16 without a byte-order mark, recognised from ASCII text whose every
/// other byte is NUL: `Some(UTF_16LE)` for `a\0b\0`, `Some(UTF_16BE)` for
/// `\0a\0b`.
pub fn utf16_without_bom(head: &[u8]) -> Option<&'static Encoding> {
    let pairs = head.len().min(4096) / 2;
    if pairs < 2 {
        return None;
    }
    let (mut even_nul, mut odd_nul) = (0usize, 0usize);
    for pair in head[..pairs * 2].chunks_exact(2) {
        even_nul += usize::from(pair[0] == 0 && pair[1] != 0);
        odd_nul += usize::from(pair[1] == 0 && pair[0] != 0);
    }
    // Nearly every pair must show the pattern: binary files have NULs too,
    // but not with this regularity.
    let threshold = pairs * 9 / 10;
    if odd_nul >= threshold.max(2) {
        Some(UTF_16LE)
    } else if even_nul >= threshold.max(2) {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// A stream of UTF-8 text decoded from a source in any detected encoding.
pub enum DecodedText<R: Read> {
    /// Clean UTF-8 (BOM already skipped): the bytes pass through.
    Raw(R),
    /// Any other encoding, or UTF-8 with broken sequences to replace.
    ///
    /// The buffer in front of the transcoder keeps every read it is asked
    /// for large: encoding_rs_io 0.1.8 drops the end of the last character
    /// (a U+FFFD for a cut sequence) when the read that reaches the end of
    /// the input offers fewer than 4 bytes, as `Read::take` and
    /// `read_to_end` do near their limits.
    Transcoded(Box<BufReader<DecodeReaderBytes<R, Vec<u8>>>>),
}

impl<R: Read> DecodedText<R> {
    /// The text `decoder` yields, behind the buffer that keeps its reads
    /// large.
    pub fn transcoded(decoder: DecodeReaderBytes<R, Vec<u8>>) -> Self {
        DecodedText::Transcoded(Box::new(BufReader::with_capacity(
            TRANSCODE_BUFFER,
            decoder,
        )))
    }
}

impl<R: Read> Read for DecodedText<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            DecodedText::Raw(r) => r.read(buf),
            DecodedText::Transcoded(r) => r.read(buf),
        }
    }
}

/// Wraps `reader` (positioned at the start of the content) so that it
/// yields UTF-8 without a byte-order mark.
pub fn decode<R: Read>(mut reader: R, detected: &DetectedEncoding) -> io::Result<DecodedText<R>> {
    let mut bom = [0u8; 4];
    let bom_len = detected.bom_len.min(bom.len());
    reader.read_exact(&mut bom[..bom_len])?;
    if detected.is_clean_utf8() {
        return Ok(DecodedText::Raw(reader));
    }
    let decoder = DecodeReaderBytesBuilder::new()
        .encoding(Some(detected.encoding))
        .utf8_passthru(false)
        .build(reader);
    Ok(DecodedText::transcoded(decoder))
}

/// Bytes the transcoder is asked for at least, per read.
const TRANSCODE_BUFFER: usize = 8 * 1024;

/// Bytes read per step of the validation pass.
const SCAN_CHUNK: usize = 256 * 1024;

/// Bytes shown to chardetng when the file is not UTF-8.
const CHARDET_BYTES: usize = 1 << 20;

/// A file is still called UTF-8 when its valid non-ASCII bytes outnumber
/// the bytes of broken sequences by at least this factor.
const MOSTLY_UTF8_RATIO: u64 = 4;

fn bom_len(head: &[u8]) -> usize {
    if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    }
}

/// The decisions that need no scan: UTF-16 by BOM or NUL pattern.
fn detect_from_head(head: &[u8]) -> Option<DetectedEncoding> {
    if head.starts_with(b"\xFF\xFE") {
        return Some(DetectedEncoding::new(UTF_16LE, "utf-16le", 2));
    }
    if head.starts_with(b"\xFE\xFF") {
        return Some(DetectedEncoding::new(UTF_16BE, "utf-16be", 2));
    }
    utf16_without_bom(head).map(|enc| {
        let label = if enc == UTF_16LE {
            "utf-16le"
        } else {
            "utf-16be"
        };
        DetectedEncoding::new(enc, label, 0)
    })
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
fn fill<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Running counts of a UTF-8 validation pass.
struct Utf8Scan {
    bom_len: usize,
    started: bool,
    /// Start of a sequence cut by the end of the previous chunk.
    carry: Vec<u8>,
    invalid_sequences: u64,
    invalid_bytes: u64,
    non_ascii_bytes: u64,
    /// Bytes in 0x80–0x9F: C1 controls in latin-1, printable in windows-1252.
    c1_bytes: u64,
    /// The first [`CHARDET_BYTES`] after the BOM, kept for chardetng,
    /// which is only asked (and only costs time) when the file turns out
    /// not to be UTF-8: it reads about 10 MB/s.
    head: Vec<u8>,
}

impl Utf8Scan {
    fn new(bom_len: usize) -> Self {
        Utf8Scan {
            bom_len,
            started: false,
            carry: Vec::with_capacity(4),
            invalid_sequences: 0,
            invalid_bytes: 0,
            non_ascii_bytes: 0,
            c1_bytes: 0,
            head: Vec::new(),
        }
    }

    fn push(&mut self, chunk: &[u8], last: bool) {
        let chunk = if self.started {
            chunk
        } else {
            self.started = true;
            chunk.get(self.bom_len..).unwrap_or_default()
        };
        self.count_bytes(chunk);
        if self.head.len() < CHARDET_BYTES {
            let take = chunk.len().min(CHARDET_BYTES - self.head.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        let rest = if self.carry.is_empty() {
            chunk
        } else {
            self.complete_carry(chunk)
        };
        self.validate(rest, last);
    }

    /// Validates the carried partial sequence with the bytes that follow it
    /// and returns the part of `chunk` left to validate.
    fn complete_carry<'a>(&mut self, chunk: &'a [u8]) -> &'a [u8] {
        let take = chunk.len().min(4 - self.carry.len());
        let mut joined = [0u8; 8];
        let held = self.carry.len();
        joined[..held].copy_from_slice(&self.carry);
        joined[held..held + take].copy_from_slice(&chunk[..take]);
        let joined = &joined[..held + take];
        self.carry.clear();
        match std::str::from_utf8(joined) {
            Ok(_) => &chunk[take..],
            Err(e) if e.valid_up_to() > 0 => {
                // The carried sequence completed; resume right after it.
                let used = e.valid_up_to() - held;
                &chunk[used..]
            }
            Err(e) => match e.error_len() {
                Some(bad) => {
                    self.invalid_sequences += 1;
                    self.invalid_bytes += bad as u64;
                    // `bad` may end inside the carried bytes or in the chunk.
                    &chunk[bad.saturating_sub(held)..]
                }
                None => {
                    // Still incomplete: the chunk was tiny; keep carrying.
                    self.carry.extend_from_slice(joined);
                    &[]
                }
            },
        }
    }

    fn validate(&mut self, mut bytes: &[u8], last: bool) {
        loop {
            match std::str::from_utf8(bytes) {
                Ok(_) => return,
                Err(e) => {
                    let after_valid = &bytes[e.valid_up_to()..];
                    match e.error_len() {
                        Some(bad) => {
                            self.invalid_sequences += 1;
                            self.invalid_bytes += bad as u64;
                            bytes = &after_valid[bad..];
                        }
                        None if last => {
                            self.invalid_sequences += 1;
                            self.invalid_bytes += after_valid.len() as u64;
                            return;
                        }
                        None => {
                            self.carry.extend_from_slice(after_valid);
                            return;
                        }
                    }
                }
            }
        }
    }

    fn count_bytes(&mut self, chunk: &[u8]) {
        if chunk.is_ascii() {
            return;
        }
        let (mut non_ascii, mut c1) = (0u64, 0u64);
        for &b in chunk {
            non_ascii += u64::from(b >> 7);
            c1 += u64::from(b & 0xE0 == 0x80);
        }
        self.non_ascii_bytes += non_ascii;
        self.c1_bytes += c1;
    }

    fn finish(mut self) -> DetectedEncoding {
        if !self.carry.is_empty() {
            self.invalid_sequences += 1;
            self.invalid_bytes += self.carry.len() as u64;
        }
        let bom_len = self.bom_len;
        if self.invalid_sequences == 0 {
            let label = if self.non_ascii_bytes == 0 && bom_len == 0 {
                "ascii"
            } else {
                "utf-8"
            };
            return DetectedEncoding::new(UTF_8, label, bom_len);
        }
        let valid_non_ascii = self.non_ascii_bytes.saturating_sub(self.invalid_bytes);
        if bom_len > 0 || valid_non_ascii >= self.invalid_bytes * MOSTLY_UTF8_RATIO {
            let mut found = DetectedEncoding::new(UTF_8, "utf-8", bom_len);
            found.replaced_sequences = self.invalid_sequences;
            return found;
        }
        let mut chardet = chardetng::EncodingDetector::new();
        chardet.feed(&self.head, true);
        let (guess, confident) = chardet.guess_assess(Some(b"fr"), false);
        if confident && guess != WINDOWS_1252 && guess != UTF_8 {
            return DetectedEncoding::new(guess, &guess.name().to_ascii_lowercase(), 0);
        }
        let label = if self.c1_bytes > 0 {
            "windows-1252"
        } else {
            "iso-8859-1"
        };
        DetectedEncoding::new(WINDOWS_1252, label, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_utf8() {
        assert_eq!(detect(b"a,b\n1,2\n").label, "ascii");
        let found = detect("nom\nChâteau\n".as_bytes());
        assert_eq!(found.label, "utf-8");
        assert!(found.is_clean_utf8());
    }

    #[test]
    fn utf8_bom_is_skipped() {
        let found = detect(b"\xEF\xBB\xBFid,name\n1,a\n");
        assert_eq!((found.label.as_str(), found.bom_len), ("utf-8", 3));
        let mut text = String::new();
        decode(&b"\xEF\xBB\xBFid,name\n"[..], &found)
            .and_then(|mut r| r.read_to_string(&mut text))
            .expect("decode");
        assert_eq!(text, "id,name\n");
    }

    #[test]
    fn latin1_vs_windows_1252() {
        // 0xE9 = é in both; 0x80 = € only in windows-1252.
        assert_eq!(detect(b"nom\nJos\xE9\n").label, "iso-8859-1");
        let found = detect(b"prix\n12 \x80\nJos\xE9\n");
        assert_eq!(found.label, "windows-1252");
        let mut text = String::new();
        decode(&b"prix\n12 \x80\n"[..], &found)
            .and_then(|mut r| r.read_to_string(&mut text))
            .expect("decode");
        assert_eq!(text, "prix\n12 €\n");
    }

    #[test]
    fn late_non_ascii_bytes_decide() {
        // A UTF-8 accent after 1 MB of ASCII, read through small chunks.
        let mut utf8 = vec![b'a'; 1 << 20];
        utf8.extend_from_slice("\nécole\n".as_bytes());
        let found = detect_reader(&utf8[..]).expect("read");
        assert_eq!(found.label, "utf-8");
        // A single latin-1 byte at the very end.
        let mut latin = vec![b'a'; 1 << 20];
        latin.extend_from_slice(b"\nJos\xE9");
        assert_eq!(detect_reader(&latin[..]).expect("read").label, "iso-8859-1");
    }

    #[test]
    fn sequence_split_across_chunks_is_valid() {
        // Place a 3-byte character across the SCAN_CHUNK boundary.
        let mut bytes = vec![b'x'; SCAN_CHUNK - 1];
        bytes.extend_from_slice("€ and é".as_bytes());
        let found = detect_reader(&bytes[..]).expect("read");
        assert_eq!(
            (found.label.as_str(), found.replaced_sequences),
            ("utf-8", 0)
        );
    }

    #[test]
    fn mostly_utf8_keeps_utf8_with_warning() {
        let mut bytes = "é".repeat(200).into_bytes();
        bytes.extend_from_slice(b"\nbad \xE9 byte\nbad \xFF\n");
        bytes.extend_from_slice("ü".repeat(50).as_bytes());
        let found = detect(&bytes);
        assert_eq!(found.label, "utf-8");
        assert_eq!(found.replaced_sequences, 2);
        assert_eq!(
            found.warning().as_deref(),
            Some("2 invalid UTF-8 sequences replaced")
        );
        let mut text = String::new();
        decode(&bytes[..], &found)
            .and_then(|mut r| r.read_to_string(&mut text))
            .expect("decode");
        assert!(text.contains("bad \u{FFFD} byte"));
    }

    #[test]
    fn other_legacy_encodings_follow_a_confident_chardetng() {
        // Russian city names in windows-1251.
        let cp1251 = b"\xE3\xEE\xF0\xEE\xE4;\xED\xE0\xF1\xE5\xEB\xE5\xED\xE8\xE5\n\xCC\xEE\xF1\xEA\xE2\xE0;12655050\n\xD1\xE0\xED\xEA\xF2-\xCF\xE5\xF2\xE5\xF0\xE1\xF3\xF0\xE3;5384342\n\xCD\xEE\xE2\xEE\xF1\xE8\xE1\xE8\xF0\xF1\xEA;1620162\n\xC5\xEA\xE0\xF2\xE5\xF0\xE8\xED\xE1\xF3\xF0\xE3;1493749\n\xCA\xE0\xE7\xE0\xED\xFC;1257391\n";
        let found = detect(cp1251);
        assert_eq!(found.label, "windows-1251");
        let mut text = String::new();
        decode(&cp1251[..], &found)
            .and_then(|mut r| r.read_to_string(&mut text))
            .expect("decode");
        assert!(text.starts_with("город;население\nМосква;"));
        // French latin-1 stays iso-8859-1 however much text there is.
        let french = b"commune;libell\xE9\nAmb\xE9rieu;Ch\xE2teau d'eau\nN\xEEmes;for\xEAt \xE0 l'\xE9t\xE9\n";
        assert_eq!(detect(french).label, "iso-8859-1");
    }

    #[test]
    fn valid_utf8_does_not_pay_for_the_legacy_detector() {
        // 2 MiB of accents: chardetng over its 1 MiB took seconds in a
        // debug build when it was fed during the scan; validation alone
        // takes milliseconds.
        let bytes = "é".repeat(1 << 20).into_bytes();
        let started = std::time::Instant::now();
        let found = detect_reader(&bytes[..]).expect("read");
        assert_eq!(found.label, "utf-8");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        // The head kept for chardetng stays bounded however long the file.
        let mut scan = Utf8Scan::new(0);
        scan.push(&bytes, false);
        scan.push(&bytes, true);
        assert_eq!(scan.head.len(), CHARDET_BYTES);
    }

    #[test]
    fn the_last_character_survives_tiny_reads() {
        // UTF-16LE `a` then an odd trailing byte: `a` and U+FFFD. Read one
        // byte at a time, the replacement character used to lose two of
        // its three bytes (found by the decoding property test).
        let bytes = b"\xFF\xFEa\0\x41";
        let found = detect(bytes);
        assert_eq!(found.label, "utf-16le");
        let mut decoded = decode(&bytes[..], &found).expect("decode");
        let mut text = Vec::new();
        let mut byte = [0u8; 1];
        while decoded.read(&mut byte).expect("read") == 1 {
            text.push(byte[0]);
        }
        assert_eq!(String::from_utf8(text).as_deref(), Ok("a\u{FFFD}"));
    }

    #[test]
    fn utf16_by_bom_and_by_pattern() {
        assert_eq!(detect(b"\xFF\xFEa\0,\0b\0").label, "utf-16le");
        assert_eq!(detect(b"\xFE\xFF\0a\0,\0b").label, "utf-16be");
        assert_eq!(detect(b"a\0,\0b\0\n\0").label, "utf-16le");
        assert_eq!(detect(b"\0a\0,\0b\0\n").label, "utf-16be");
        let found = detect(b"\xFF\xFEi\0d\0\n\0");
        let mut text = String::new();
        decode(&b"\xFF\xFEi\0d\0\n\0"[..], &found)
            .and_then(|mut r| r.read_to_string(&mut text))
            .expect("decode");
        assert_eq!(text, "id\n");
    }
}
