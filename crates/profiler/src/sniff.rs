//! What the first bytes of a file say it is.
//!
//! The declared format, the Content-Type and the file name all lie on real
//! catalogs (an HTML error page served as `data.csv`, a Git LFS pointer in
//! place of a GeoJSON...), so the bytes decide. [`sniff`] looks at the head
//! of the file only (up to [`crate::SNIFF_LEN`]): magic numbers first, then,
//! for text, the first meaningful character. Anything that is not data gets
//! a one-line reason a catalog editor can act on.

use encoding_rs::{UTF_16BE, UTF_16LE};

use crate::encoding;

/// The kind of content the leading bytes reveal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniffed {
    Zip,
    Gzip,
    /// Starts (after a BOM and white space) with `{` or `[`: JSON, NDJSON
    /// or GeoJSON, which the JSON reader tells apart.
    Json,
    /// Anything else that decodes as text: a delimited table.
    Text,
    /// Not a data format: `detected` names it (`html`, `pdf`, `empty`...),
    /// `reason` says so in one line.
    NotData {
        detected: String,
        reason: String,
    },
}

/// Classifies content from its first bytes (up to [`crate::SNIFF_LEN`]).
pub fn sniff(head: &[u8]) -> Sniffed {
    if head.is_empty() {
        return not_data("empty", "the file is empty (0 bytes)");
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Sniffed::Zip;
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Sniffed::Gzip;
    }
    if let Some(found) = magic_number(head) {
        return found;
    }
    let text = match text_head(head) {
        Ok(text) => text,
        Err(found) => return found,
    };
    classify_text(&text, head.len() < crate::SNIFF_LEN)
}

fn not_data(detected: &str, reason: &str) -> Sniffed {
    Sniffed::NotData {
        detected: detected.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Binary formats known by their signature.
fn magic_number(head: &[u8]) -> Option<Sniffed> {
    const SIGNATURES: &[(&[u8], &str, &str)] = &[
        (
            b"%PDF-",
            "pdf",
            "the file is a PDF document, not a data file",
        ),
        (
            b"\x89PNG\r\n\x1a\n",
            "png",
            "the file is a PNG image, not a data file",
        ),
        (
            b"\xFF\xD8\xFF",
            "jpeg",
            "the file is a JPEG image, not a data file",
        ),
        (b"GIF87a", "gif", "the file is a GIF image, not a data file"),
        (b"GIF89a", "gif", "the file is a GIF image, not a data file"),
        (
            b"II*\0",
            "tiff",
            "the file is a TIFF image, not a data file",
        ),
        (
            b"MM\0*",
            "tiff",
            "the file is a TIFF image, not a data file",
        ),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "ms-office",
            "the file is a legacy Microsoft Office document (.xls/.doc), not a data file: publish it as CSV",
        ),
        (
            b"7z\xBC\xAF\x27\x1C",
            "7z",
            "the file is a 7z archive, which is not supported (zip or gzip expected)",
        ),
        (
            b"Rar!\x1A\x07",
            "rar",
            "the file is a RAR archive, which is not supported (zip or gzip expected)",
        ),
        (
            b"\xFD7zXZ\0",
            "xz",
            "the file is xz-compressed, which is not supported (zip or gzip expected)",
        ),
        (
            b"BZh",
            "bzip2",
            "the file is bzip2-compressed, which is not supported (zip or gzip expected)",
        ),
        (
            b"PAR1",
            "parquet",
            "the file is Apache Parquet, which is not supported (CSV, JSON, GeoJSON or zipped Shapefile expected)",
        ),
        (
            b"SQLite format 3\0",
            "sqlite",
            "the file is an SQLite database, which is not supported (CSV, JSON, GeoJSON or zipped Shapefile expected)",
        ),
    ];
    if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        return Some(not_data(
            "webp",
            "the file is a WebP image, not a data file",
        ));
    }
    SIGNATURES
        .iter()
        .find(|(magic, _, _)| head.starts_with(magic))
        // "BZh" is also how a text file may start: require the block size digit.
        .filter(|(magic, _, _)| *magic != b"BZh" || head.get(3).is_some_and(u8::is_ascii_digit))
        .map(|(_, detected, reason)| not_data(detected, reason))
}

/// The head as UTF-8-compatible text: UTF-16 decoded, a UTF-8 BOM removed.
/// Fails for binary content (NUL bytes in a file that is not UTF-16).
fn text_head(head: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, Sniffed> {
    let utf16 = if head.starts_with(b"\xFF\xFE") {
        Some(UTF_16LE)
    } else if head.starts_with(b"\xFE\xFF") {
        Some(UTF_16BE)
    } else {
        encoding::utf16_without_bom(head)
    };
    if let Some(enc) = utf16 {
        let (text, _, _) = enc.decode(head);
        return Ok(std::borrow::Cow::Owned(text.into_owned().into_bytes()));
    }
    if memchr::memchr(0, head).is_some() {
        return Err(not_data(
            "binary",
            "the file is binary (it holds NUL bytes), not a text data file",
        ));
    }
    Ok(std::borrow::Cow::Borrowed(
        head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head),
    ))
}

/// Classifies text by its first meaningful characters. `complete` says the
/// head is the whole file, so white space only means empty.
fn classify_text(text: &[u8], complete: bool) -> Sniffed {
    if text.starts_with(b"version https://git-lfs.github.com/spec/v1") {
        return not_data(
            "git-lfs-pointer",
            "the file is a Git LFS pointer, not the data itself (the repository serves the pointer instead of the file)",
        );
    }
    let start = skip_space_and_comments(text);
    let rest = &text[start..];
    match rest.first() {
        None if complete => not_data("empty", "the file contains only white space"),
        None => Sniffed::Text,
        Some(b'{') | Some(b'[') if looks_like_json(rest) => Sniffed::Json,
        // RFC 8142 GeoJSON text sequences: each record starts with RS (0x1E).
        Some(0x1e) if rest.get(1) == Some(&b'{') => Sniffed::Json,
        Some(b'<') => classify_markup(rest),
        Some(_) => Sniffed::Text,
    }
}

/// `{` or `[` followed by what JSON allows there, so that a CSV header such
/// as `[Code];[Nom]` stays a table.
fn looks_like_json(rest: &[u8]) -> bool {
    let next = rest[1..].iter().find(|b| !b.is_ascii_whitespace());
    match (rest[0], next) {
        (_, None) => true,
        (b'{', Some(b)) => matches!(b, b'"' | b'}'),
        (_, Some(b)) => matches!(
            b,
            b'{' | b'[' | b'"' | b']' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
        ),
    }
}

/// Index of the first byte that is neither white space nor inside a leading
/// `<!-- ... -->` comment.
fn skip_space_and_comments(text: &[u8]) -> usize {
    let mut at = 0;
    loop {
        while text.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        if !text[at..].starts_with(b"<!--") {
            return at;
        }
        match memchr::memmem::find(&text[at + 4..], b"-->") {
            Some(end) => at += 4 + end + 3,
            None => return text.len(),
        }
    }
}

/// Markup: an HTML page (the usual error or landing page served in place of
/// data) or XML.
fn classify_markup(rest: &[u8]) -> Sniffed {
    const HTML_STARTS: &[&[u8]] = &[
        b"<!doctype html",
        b"<html",
        b"<head",
        b"<body",
        b"<meta",
        b"<title",
        b"<script",
        b"<link",
        b"<style",
        b"<div",
        b"<table",
        b"<p>",
        b"<h1",
        b"<br",
    ];
    let near = &rest[..rest.len().min(2048)];
    let lower = near.to_ascii_lowercase();
    let starts_html = HTML_STARTS.iter().any(|tag| lower.starts_with(tag));
    let mentions_html = memchr::memmem::find(&lower, b"<html").is_some()
        || memchr::memmem::find(&lower, b"<body").is_some();
    if starts_html || mentions_html {
        return not_data(
            "html",
            "the file is an HTML page, not a data file (an error or landing page served in place of the data?)",
        );
    }
    not_data(
        "xml",
        "the file is XML, which is not a supported data format (CSV, JSON, GeoJSON or zipped Shapefile expected)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detected(head: &[u8]) -> String {
        match sniff(head) {
            Sniffed::NotData { detected, .. } => detected,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn containers_and_json() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Sniffed::Zip);
        assert_eq!(sniff(b"PK\x05\x06\0\0\0\0"), Sniffed::Zip);
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Sniffed::Gzip);
        assert_eq!(sniff(b" \n {\"a\": 1}"), Sniffed::Json);
        assert_eq!(sniff(b"\xEF\xBB\xBF[1, 2]"), Sniffed::Json);
        assert_eq!(sniff(b"\xFF\xFE[\0{\0}\0]\0"), Sniffed::Json);
        assert_eq!(sniff(b"\xFE\xFF\0{\0}"), Sniffed::Json);
        assert_eq!(sniff(b"\x1e{\"type\":\"Feature\"}\n"), Sniffed::Json);
    }

    #[test]
    fn text_is_a_table() {
        assert_eq!(sniff(b"a;b\n1;2\n"), Sniffed::Text);
        assert_eq!(sniff(b"\xEF\xBB\xBFid,name\r\n"), Sniffed::Text);
        assert_eq!(sniff(b"nom\nJos\xE9\n"), Sniffed::Text);
        assert_eq!(sniff(b"a\0;\0b\0\n\0"), Sniffed::Text);
        assert_eq!(sniff(b"BZh,count\nx,1\n"), Sniffed::Text);
        assert_eq!(sniff(b"[Code];[Nom]\n01;Ain\n"), Sniffed::Text);
        assert_eq!(sniff(b"{id};{name}\n1;a\n"), Sniffed::Text);
        assert_eq!(sniff(b"[\n  {\"a\": 1}\n]"), Sniffed::Json);
        assert_eq!(sniff(b"[]"), Sniffed::Json);
    }

    #[test]
    fn html_pages() {
        assert_eq!(
            detected(b"<!DOCTYPE html>\n<html><body>404</body></html>"),
            "html"
        );
        assert_eq!(detected(b"\xEF\xBB\xBF  <HTML lang=fr>"), "html");
        assert_eq!(
            detected(b"<!-- generated -->\n<head><title>x</title>"),
            "html"
        );
        assert_eq!(detected(b"\n\n<body>Not found</body>"), "html");
        assert_eq!(
            detected(b"<?xml version=\"1.0\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\">\n<html>"),
            "html"
        );
        match sniff(b"<html>") {
            Sniffed::NotData { reason, .. } => assert!(reason.contains("HTML page")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_non_data() {
        assert_eq!(detected(b"<?xml version=\"1.0\"?><kml></kml>"), "xml");
        assert_eq!(detected(b"%PDF-1.7\n%\xE2\xE3"), "pdf");
        assert_eq!(detected(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "png");
        assert_eq!(detected(b"\xFF\xD8\xFF\xE0\0\x10JFIF"), "jpeg");
        assert_eq!(detected(b"GIF89a\x01\0"), "gif");
        assert_eq!(detected(b"RIFF\x24\0\0\0WEBPVP8 "), "webp");
        assert_eq!(detected(b"II*\0\x08\0\0\0"), "tiff");
        assert_eq!(
            detected(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0"),
            "ms-office"
        );
        assert_eq!(detected(b""), "empty");
        assert_eq!(detected(b"  \r\n\t\n"), "empty");
        assert_eq!(
            detected(b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n"),
            "git-lfs-pointer"
        );
        assert_eq!(detected(b"id,name\n1,a\0b\n"), "binary");
    }

    #[test]
    fn whitespace_beyond_the_head_is_not_called_empty() {
        let head = vec![b'\n'; crate::SNIFF_LEN];
        assert_eq!(sniff(&head), Sniffed::Text);
    }
}
