//! Which kind of JSON file this is, from its first bytes: one document (an
//! array or an object), or one value per line (NDJSON / JSON Lines, and
//! GeoJSON text sequences).
//!
//! A file is line-delimited when its first non-blank line is a complete
//! JSON value on its own (a trailing comma aside) and another value starts
//! after it. A pretty-printed document fails the first test (its first
//! line is `[` or `{`), a one-line document the second. The first line is read with the same
//! bound as any NDJSON line, so a huge single-line document costs at most
//! that many bytes here.

use std::io::BufRead;
use std::path::Path;

use serde::de::IgnoredAny;

use super::failure::Attempt;
use super::source::{self, Decoding, LineRead};
use crate::{ProfileError, ProfileOptions};

/// The top-level layout of a JSON file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// One document whose top level is an array.
    Array,
    /// One document whose top level is an object.
    Object,
    /// One value per line.
    Lines,
    /// One document that is a scalar (or not JSON at all), starting with
    /// this byte.
    Scalar(u8),
    /// Nothing but white space.
    Blank,
}

pub(crate) fn layout(
    path: &Path,
    decoding: Decoding,
    opts: &ProfileOptions,
) -> Result<Layout, Attempt> {
    let mut reader = source::open(path, decoding, opts)?.reader;
    let Some(first) = skip_blank(&mut reader)? else {
        return Ok(Layout::Blank);
    };
    let document = match first {
        b'[' => Layout::Array,
        b'{' => Layout::Object,
        other => Layout::Scalar(other),
    };
    let mut line = Vec::new();
    let read = source::read_line(&mut reader, &mut line, opts.limits.max_record_bytes)
        .map_err(|e| ProfileError::io("read", e))?;
    if read != LineRead::Line {
        return Ok(document);
    }
    let (first_value, comma) = super::ndjson::without_comma(line.trim_ascii());
    let complete = || serde_json::from_slice::<IgnoredAny>(first_value).is_ok();
    match skip_blank(&mut reader)? {
        Some(b'{' | b'[') if complete() => Ok(Layout::Lines),
        // One line ending with a comma: a single NDJSON record written
        // the way the rest of such a file would be.
        None if comma && complete() => Ok(Layout::Lines),
        _ => Ok(document),
    }
}

/// Skips white space and record separators (0x1E, which starts each value
/// of a GeoJSON text sequence); returns the next byte without consuming it.
fn skip_blank(reader: &mut impl BufRead) -> Result<Option<u8>, ProfileError> {
    loop {
        let buf = reader.fill_buf().map_err(|e| ProfileError::io("read", e))?;
        if buf.is_empty() {
            return Ok(None);
        }
        match buf
            .iter()
            .position(|b| !(b.is_ascii_whitespace() || *b == 0x1E))
        {
            Some(i) => {
                let b = buf[i];
                reader.consume(i);
                return Ok(Some(b));
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn layout_of(text: &[u8]) -> Layout {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(text).expect("write");
        match layout(
            f.path(),
            Decoding::Utf8 { bom: false },
            &ProfileOptions::default(),
        ) {
            Ok(l) => l,
            Err(e) => panic!("layout failed: {e:?}"),
        }
    }

    #[test]
    fn tells_documents_from_lines() {
        assert_eq!(layout_of(b"[\n  {\"a\": 1}\n]\n"), Layout::Array);
        assert_eq!(layout_of(b"[{\"a\": 1}]\n"), Layout::Array);
        assert_eq!(
            layout_of(b"{\"type\":\"FeatureCollection\"}"),
            Layout::Object
        );
        assert_eq!(layout_of(b"\n\n{\"a\":1}\n{\"a\":2}\n"), Layout::Lines);
        assert_eq!(layout_of(b"{\"a\":1}\r\n{\"a\":2}"), Layout::Lines);
        assert_eq!(
            layout_of(b"\x1e{\"type\":\"Feature\"}\n\x1e{\"type\":\"Feature\"}\n"),
            Layout::Lines
        );
        assert_eq!(layout_of(b"{\"a\":1}\n}"), Layout::Object);
        assert_eq!(layout_of(b"{\"a\":1},\n{\"a\":2},\n"), Layout::Lines);
        assert_eq!(layout_of(b"{\"a\":1},\n"), Layout::Lines);
        assert_eq!(layout_of(b"{\"a\":1}\n"), Layout::Object);
        assert_eq!(layout_of(b"  42 "), Layout::Scalar(b'4'));
        assert_eq!(layout_of(b" \n\t"), Layout::Blank);
    }

    #[test]
    fn a_first_line_past_the_record_limit_is_a_document() {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(b"{\"a\":\"0123456789\"}\n{\"a\":1}\n")
            .expect("write");
        let mut opts = ProfileOptions::default();
        opts.limits.max_record_bytes = 8;
        let got = layout(f.path(), Decoding::Utf8 { bom: false }, &opts);
        assert!(matches!(got, Ok(Layout::Object)), "{got:?}");
    }
}
