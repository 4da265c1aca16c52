//! NDJSON / JSON Lines: one JSON value per line, read one line at a time.
//!
//! Lines are bounded by `limits.max_record_bytes`. Blank lines are skipped.
//! A line that is not valid JSON is skipped and reported (line number and
//! cause of the first one), because a real feed with one broken line still
//! describes its data; nesting past the depth limit, though, ends the read.
//! When the first value is a GeoJSON Feature (a GeoJSON text sequence,
//! RFC 8142, whose lines may start with 0x1E), the lines are read as
//! features.

use std::path::Path;

use serde_json::Value;

use super::Profiled;
use super::failure::{Attempt, describe, strip_position};
use super::geojson::FeatureCollector;
use super::records::{NonObjects, RecordsCollector, kind_of};
use super::source::{self, Decoding, LineRead};
use super::walk::{PARSER_DEPTH_LIMIT, RecordSink, depth};
use crate::{ProfileError, ProfileOptions};

enum Reader {
    Records(RecordsCollector),
    Features(FeatureCollector),
}

impl Reader {
    fn sink(&mut self) -> &mut dyn RecordSink {
        match self {
            Reader::Records(r) => r,
            Reader::Features(f) => f,
        }
    }
}

/// Lines that could not be read, for the warning.
#[derive(Default)]
struct BadLines {
    count: u64,
    first: Option<String>,
}

pub(crate) fn profile(
    path: &Path,
    decoding: Decoding,
    opts: &ProfileOptions,
) -> Result<Profiled, Attempt> {
    let source = source::open(path, decoding, opts)?;
    let stats = source.stats.clone();
    let mut input = source.reader;
    let max_line = opts.limits.max_record_bytes;
    let mut line = Vec::new();
    let mut number = 0u64;
    let mut reader: Option<Reader> = None;
    let mut bad = BadLines::default();
    loop {
        let read = source::read_line(&mut input, &mut line, max_line)
            .map_err(|e| ProfileError::io("read", e))?;
        match read {
            LineRead::Eof => break,
            LineRead::TooLong => {
                return Err(ProfileError::limit(
                    "json",
                    format!("NDJSON line {} is longer than {max_line} bytes", number + 1),
                )
                .into());
            }
            LineRead::Line => number += 1,
        }
        let text = line.trim_ascii();
        let text = text.strip_prefix(b"\x1e").unwrap_or(text).trim_ascii();
        if text.is_empty() {
            continue;
        }
        if matches!(decoding, Decoding::Utf8 { .. }) && std::str::from_utf8(text).is_err() {
            return Err(Attempt::NotUtf8);
        }
        let value = match serde_json::from_slice::<Value>(text) {
            Ok(v) => v,
            Err(e) if strip_position(&e.to_string()).starts_with("recursion limit") => {
                return Err(line_error(describe(&e, opts.limits.max_json_depth), number).into());
            }
            Err(e) => {
                bad.count += 1;
                bad.first.get_or_insert_with(|| {
                    format!(
                        "line {number}: {} (column {})",
                        strip_position(&e.to_string()),
                        e.column()
                    )
                });
                continue;
            }
        };
        if opts.limits.max_json_depth < PARSER_DEPTH_LIMIT
            && depth(&value) > opts.limits.max_json_depth
        {
            return Err(ProfileError::limit(
                "json",
                format!(
                    "JSON nested deeper than {} levels (NDJSON line {number})",
                    opts.limits.max_json_depth
                ),
            )
            .into());
        }
        let current = match &mut reader {
            Some(r) => r,
            None => reader.insert(first_reader(&value, number, opts)?),
        };
        current.sink().accept(value)?;
    }
    let stats = stats.get();
    if matches!(decoding, Decoding::Utf8 { .. }) && stats.invalid_utf8 {
        return Err(Attempt::NotUtf8);
    }
    let Some(reader) = reader else {
        return Err(match bad.first {
            Some(first) => ProfileError::malformed(
                "json",
                format!("no line of this NDJSON file is valid JSON ({first})"),
            ),
            None => ProfileError::unsupported("empty", "the file holds only blank lines"),
        }
        .into());
    };
    let mut warnings = Vec::new();
    if let Some(first) = &bad.first {
        warnings.push(format!(
            "{} NDJSON lines are not valid JSON and were skipped (first: {first})",
            bad.count
        ));
    }
    let (format, table, geometry) = match reader {
        Reader::Records(r) => ("ndjson", r.finish(), None),
        Reader::Features(f) => {
            warnings.push("GeoJSON text sequence: one feature per line".to_owned());
            let (table, geometry) = f.finish(None);
            ("geojson", table, Some(geometry))
        }
    };
    Ok(Profiled {
        format,
        encoding: decoding.label(&stats),
        table,
        geometry,
        warnings,
    })
}

/// Decides from the first value how to read the lines: features, records,
/// or not at all (lines of scalars or arrays are not a table).
fn first_reader(value: &Value, number: u64, opts: &ProfileOptions) -> Result<Reader, ProfileError> {
    match value {
        Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("Feature") => {
            Ok(Reader::Features(FeatureCollector::new(opts)))
        }
        Value::Object(_) => Ok(Reader::Records(RecordsCollector::new(
            opts,
            NonObjects::Skip,
        ))),
        other => Err(ProfileError::unsupported(
            "json",
            format!(
                "one JSON value per line, but line {number} holds {}, not a record (object)",
                with_article(kind_of(other))
            ),
        )),
    }
}

fn with_article(kind: &str) -> String {
    match kind {
        "array" | "object" => format!("an {kind}"),
        "null" => "null".to_owned(),
        other => format!("a {other}"),
    }
}

fn line_error(e: ProfileError, number: u64) -> ProfileError {
    match e {
        ProfileError::Failed { step, cause } => ProfileError::Failed {
            step,
            cause: format!("{cause} (NDJSON line {number})"),
        },
        other => other,
    }
}
