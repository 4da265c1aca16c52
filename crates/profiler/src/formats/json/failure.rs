//! How a JSON read can end short of a profile, and turning serde_json's
//! errors into messages a catalog editor can act on.

use super::source::{ByteStats, Decoding};
use super::walk::PARSER_DEPTH_LIMIT;
use crate::ProfileError;

/// Why one attempt at reading a JSON file did not produce a profile.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// The file was read as UTF-8 but is not: read it again as
    /// Windows-1252.
    NotUtf8,
    Failed(ProfileError),
}

impl From<ProfileError> for Attempt {
    fn from(e: ProfileError) -> Self {
        Attempt::Failed(e)
    }
}

/// Maps a serde_json error from a document pass.
///
/// `parked` is the error a sink parked before serde unwound (it wins: it is
/// the real cause). Invalid UTF-8 under a UTF-8 reading asks for a second
/// reading; nesting past the limit is a limit error; the rest is malformed
/// JSON, located by line and column.
pub(crate) fn classify(
    err: serde_json::Error,
    parked: Option<ProfileError>,
    stats: &ByteStats,
    decoding: Decoding,
    max_depth: usize,
) -> Attempt {
    if let Some(real) = parked {
        return Attempt::Failed(real);
    }
    if matches!(decoding, Decoding::Utf8 { .. }) && stats.invalid_utf8 {
        return Attempt::NotUtf8;
    }
    Attempt::Failed(describe(&err, max_depth))
}

/// The message for a serde_json error, with its position.
pub(crate) fn describe(err: &serde_json::Error, max_depth: usize) -> ProfileError {
    let text = err.to_string();
    let message = strip_position(&text);
    let (line, column) = (err.line(), err.column());
    if message.starts_with("recursion limit exceeded") {
        return ProfileError::limit(
            "json",
            format!(
                "JSON nested deeper than {} levels (at line {line} column {column})",
                max_depth.min(PARSER_DEPTH_LIMIT)
            ),
        );
    }
    if err.is_io() {
        return ProfileError::malformed("json", format!("read error: {message}"));
    }
    if err.is_eof() {
        return ProfileError::malformed(
            "json",
            format!(
                "invalid JSON: the document ends at line {line} column {column} before it is complete (truncated?)"
            ),
        );
    }
    if err.is_data() {
        return ProfileError::malformed(
            "json",
            format!("unexpected JSON at line {line} column {column}: {message}"),
        );
    }
    if message == "trailing characters" && column == 1 {
        // A second value at the start of a line: NDJSON whose first line
        // was too long to be read as one (see `detect`).
        return ProfileError::malformed(
            "json",
            format!(
                "invalid JSON at line {line} column 1: a second value follows the first one; \
                 if this is NDJSON, a line before it is longer than the record limit"
            ),
        );
    }
    ProfileError::malformed(
        "json",
        format!("invalid JSON at line {line} column {column}: {message}"),
    )
}

/// serde_json ends its messages with ` at line L column C`; the position
/// is reported separately.
pub(crate) fn strip_position(text: &str) -> &str {
    match text.rfind(" at line ") {
        Some(i) => &text[..i],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> serde_json::Error {
        serde_json::from_str::<serde_json::Value>(text).expect_err("invalid")
    }

    #[test]
    fn a_second_value_on_a_new_line_hints_at_long_ndjson_lines() {
        let err = describe(&error_of("{\"a\": 1}\n{\"b\": 2}\n"), 128);
        assert_eq!(
            err.to_string(),
            "json: invalid JSON at line 2 column 1: a second value follows the first one; \
             if this is NDJSON, a line before it is longer than the record limit"
        );
    }

    #[test]
    fn messages_carry_the_position() {
        let e = describe(&error_of("[1,\n 2,,]"), 128);
        assert_eq!(
            e.to_string(),
            "json: invalid JSON at line 2 column 4: expected value"
        );
        let e = describe(&error_of("[{\"a\": 1"), 128);
        assert!(e.to_string().contains("before it is complete"), "{e}");
        let deep = "[".repeat(200);
        let e = describe(&error_of(&deep), 128);
        assert!(
            e.to_string()
                .starts_with("json: limit exceeded: JSON nested deeper than 127 levels"),
            "{e}"
        );
    }

    #[test]
    fn parked_errors_and_utf8_retries_come_first() {
        let stats = ByteStats::default();
        let parked = ProfileError::malformed("json", "real cause");
        match classify(
            error_of("x"),
            Some(parked.clone()),
            &stats,
            Decoding::Utf8 { bom: false },
            128,
        ) {
            Attempt::Failed(e) => assert_eq!(e, parked),
            Attempt::NotUtf8 => panic!("parked error expected"),
        }
        let bad = ByteStats {
            invalid_utf8: true,
            ..ByteStats::default()
        };
        assert!(matches!(
            classify(
                error_of("x"),
                None,
                &bad,
                Decoding::Utf8 { bom: false },
                128
            ),
            Attempt::NotUtf8
        ));
        assert!(matches!(
            classify(error_of("x"), None, &bad, Decoding::Windows1252, 128),
            Attempt::Failed(_)
        ));
    }
}
