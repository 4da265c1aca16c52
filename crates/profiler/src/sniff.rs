//! What the first bytes of a file say it is.
//!
//! Placeholder: the full sniffer (HTML, PDF, images, Git LFS pointers,
//! UTF-16 JSON...) replaces this.

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
        return Sniffed::NotData {
            detected: "empty".into(),
            reason: "the file is empty (0 bytes)".into(),
        };
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Sniffed::Zip;
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Sniffed::Gzip;
    }
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | Some(b'[') => Sniffed::Json,
        _ => Sniffed::Text,
    }
}
