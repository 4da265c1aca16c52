//! Which text encoding a file is written in.
//!
//! Placeholder: the full detector replaces this.

use encoding_rs::Encoding;

/// The encoding of a text source and how it was decided.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectedEncoding {
    pub encoding: &'static Encoding,
    /// Name reported in profiles: `ascii`, `utf-8`, `utf-16le`,
    /// `iso-8859-1`, `windows-1252`...
    pub label: String,
    /// Bytes of byte-order mark at the start of the file.
    pub bom_len: usize,
}

/// Detects the encoding from a sample of the file's bytes.
pub fn detect(sample: &[u8]) -> DetectedEncoding {
    if sample.starts_with(b"\xEF\xBB\xBF") {
        return DetectedEncoding {
            encoding: encoding_rs::UTF_8,
            label: "utf-8".into(),
            bom_len: 3,
        };
    }
    let label = if sample.is_ascii() { "ascii" } else { "utf-8" };
    DetectedEncoding {
        encoding: encoding_rs::UTF_8,
        label: label.into(),
        bom_len: 0,
    }
}
