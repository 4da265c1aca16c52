//! Delimited text: dialect, header and a streaming pass over every record.
//!
//! [`profile`] never holds the file whole, and reads it once when it can:
//! 1. the head decides the encoding when it is UTF-8 (the common case):
//!    the file is then read as UTF-8 and checked on the way; if the check
//!    fails, or the head is not UTF-8, [`crate::encoding::detect_reader`]
//!    reads the whole file first to decide its encoding;
//! 2. the decoded head ([`sample`]) decides the syntax ([`dialect`]), where
//!    the table starts ([`layout`]) and whether it has a header ([`header`]);
//! 3. [`parallel`] streams every record through the column profilers
//!    ([`run`]), in parts on several threads when the file is large.

pub mod dialect;
pub mod header;
pub mod layout;
pub mod merge;
pub mod parallel;
#[cfg(test)]
mod parallel_tests;
pub mod reader;
pub mod relaxed;
pub mod run;
pub mod sample;
pub mod shape;
pub mod split;
pub mod tap;

use std::path::Path;

use dataprof_model::{Dialect, SourceProfile};
use encoding_rs::UTF_8;

use crate::encoding::{self, DetectedEncoding};
use crate::source::{self, SourceFile};
use crate::{ProfileError, ProfileOptions};

use dialect::DialectChoice;
use parallel::{Parallelism, PassError};
use sample::{RowShape, Sample};

/// Profiles the delimited text file at `path`.
pub fn profile(path: &Path, opts: &ProfileOptions) -> Result<SourceProfile, ProfileError> {
    profile_with(path, opts, Parallelism::of_machine())
}

/// [`profile`], with at most `parallelism` threads.
pub fn profile_with(
    path: &Path,
    opts: &ProfileOptions,
    parallelism: Parallelism,
) -> Result<SourceProfile, ProfileError> {
    if let Some(assumed) = utf8_head(path, opts)? {
        match profile_as(path, opts, &assumed, true, parallelism) {
            Ok(profile) => return Ok(profile),
            Err(PassError::NotUtf8) => {
                tracing::debug!(path = %path.display(), "not UTF-8 past the head");
            }
            Err(PassError::Failed(err)) => {
                // Reported only if it is not an artefact of the assumption.
                if detect(path, opts)?.is_clean_utf8() {
                    return Err(err);
                }
            }
        }
    }
    let detected = detect(path, opts)?;
    profile_as(path, opts, &detected, false, parallelism).map_err(|err| match err {
        PassError::Failed(err) => err,
        // Only a pass that assumed UTF-8 checks it.
        PassError::NotUtf8 => ProfileError::malformed("csv", "the text is not valid UTF-8"),
    })
}

fn detect(path: &Path, opts: &ProfileOptions) -> Result<DetectedEncoding, ProfileError> {
    let detected =
        encoding::detect_reader(open(path, opts)?).map_err(|e| ProfileError::io("read", e))?;
    tracing::debug!(
        path = %path.display(),
        encoding = %detected.label,
        replaced = detected.replaced_sequences,
        "csv encoding"
    );
    Ok(detected)
}

/// Clean UTF-8 as far as the sample reaches (and not UTF-16 that looks
/// like it): the encoding the file is then read in, on trust, with its
/// label still to be settled (`ascii` or `utf-8`) by the pass.
fn utf8_head(path: &Path, opts: &ProfileOptions) -> Result<Option<DetectedEncoding>, ProfileError> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let head = crate::read_head(path, BOM.len() + sample::SAMPLE_BYTES + 4, opts)?;
    let bom_len = if head.starts_with(BOM) { BOM.len() } else { 0 };
    let sample_end = (bom_len + sample::SAMPLE_BYTES).min(head.len());
    let clean = match std::str::from_utf8(&head) {
        Ok(_) => true,
        // The sample is clean; a sequence may be cut at the end of the head.
        Err(e) => e.valid_up_to() >= sample_end,
    };
    if !clean || encoding::utf16_without_bom(&head).is_some() {
        return Ok(None);
    }
    Ok(Some(DetectedEncoding {
        encoding: UTF_8,
        label: "utf-8".to_owned(),
        bom_len,
        replaced_sequences: 0,
    }))
}

/// Profiles the file decoded as `detected`. When `assumed`, that is UTF-8
/// taken from the head ([`utf8_head`]): the pass checks it and settles the
/// label.
fn profile_as(
    path: &Path,
    opts: &ProfileOptions,
    detected: &DetectedEncoding,
    assumed: bool,
    parallelism: Parallelism,
) -> Result<SourceProfile, PassError> {
    let failed = PassError::Failed;
    let sample = sample::read_sample(decoded(path, detected, opts).map_err(failed)?)
        .map_err(|e| failed(ProfileError::io("read", e)))?;
    let choice = match dialect::detect(&sample) {
        Some(choice) if !sample.is_blank() => choice,
        _ => {
            return Err(failed(ProfileError::unsupported(
                "empty",
                "the file holds no records (only blank lines, delimiters or comments)",
            )));
        }
    };
    if assumed && choice.syntax.comment.is_some() {
        // The parser skips comment lines unseen: their bytes cannot be
        // checked on the way.
        return Err(PassError::NotUtf8);
    }
    let layout = TableLayout::decide(&sample, &choice);
    tracing::debug!(
        delimiter = %choice.syntax.reported_delimiter(),
        escape = ?choice.syntax.escape,
        comment = ?choice.syntax.comment,
        relaxed_quotes = choice.syntax.relaxed_quotes,
        has_header = layout.has_header,
        lines_skipped = layout.lines_skipped,
        fields = layout.names.len(),
        "csv dialect"
    );
    let limit = opts.limits.max_fields;
    if layout.names.len() > limit {
        // A header longer than the sample was cut: its count is a floor.
        let cut = !sample.complete && memchr::memchr(b'\n', &sample.text).is_none();
        return Err(failed(ProfileError::limit(
            "csv",
            format!(
                "the table has {}{} fields, more than the {limit} allowed",
                if cut { "at least " } else { "" },
                layout.names.len()
            ),
        )));
    }
    let plan = reader::ReadPlan {
        syntax: choice.syntax,
        skip_records: layout.skip_records,
        names: &layout.names,
        opts,
    };
    let run = parallel::read_file(path, detected, &plan, assumed, parallelism)?;
    let mut detected = detected.clone();
    if assumed && !run.non_ascii && detected.bom_len == 0 {
        detected.label = "ascii".to_owned();
    }
    let result = reader::finish(run);
    tracing::debug!(records = result.record_count, encoding = %detected.label, "csv profiled");
    Ok(assemble(&detected, &choice, layout, result))
}

fn open(path: &Path, opts: &ProfileOptions) -> Result<SourceFile, ProfileError> {
    source::open(path, opts).map_err(|e| ProfileError::io("read", e))
}

fn decoded(
    path: &Path,
    detected: &DetectedEncoding,
    opts: &ProfileOptions,
) -> Result<encoding::DecodedText<SourceFile>, ProfileError> {
    encoding::decode(open(path, opts)?, detected).map_err(|e| ProfileError::io("read", e))
}

/// Where the records are and what their fields are called.
#[derive(Debug, Clone)]
struct TableLayout {
    has_header: bool,
    /// Physical lines before the header (or the first record).
    lines_skipped: u64,
    /// Records the streaming pass skips: preamble rows and the header.
    skip_records: u64,
    names: Vec<String>,
    warnings: Vec<String>,
}

impl TableLayout {
    fn decide(sample: &Sample, choice: &DialectChoice) -> Self {
        let start = choice.table.start;
        let table_rows = choice.table.end.saturating_sub(start);
        let rows: Vec<Vec<String>> = sample::row_cells(sample, choice.syntax, start)
            .into_iter()
            .zip(&choice.shapes[start..])
            .take(table_rows)
            .filter(|(_, shape)| !shape.blank)
            .map(|(cells, _)| cells)
            .collect();
        let first: &[String] = rows.first().map_or(&[], Vec::as_slice);
        let body = rows.get(1..).unwrap_or_default();
        let has_header = header::has_header(first, body);
        // Copies of the header right below it (exports appended to one
        // another keep theirs) are skipped with the preamble: the header
        // is the last copy.
        let copies = if has_header {
            leading_header_copies(first, body, &choice.shapes[start..])
        } else {
            0
        };
        let start = start + copies;
        let lines_skipped = choice
            .shapes
            .get(start)
            .map_or(0, |row| sample.lines_before(row.offset));
        let (names, warnings) = if has_header {
            let names = header::header_names(first);
            (names.names, names.warnings)
        } else {
            (
                header::positional_names(choice.table.field_count),
                Vec::new(),
            )
        };
        TableLayout {
            has_header,
            lines_skipped,
            skip_records: start as u64 + u64::from(has_header),
            names,
            warnings,
        }
    }
}

/// How many rows right below the header repeat it cell for cell, on
/// consecutive non-blank lines.
fn leading_header_copies(first: &[String], body: &[Vec<String>], shapes: &[RowShape]) -> usize {
    body.iter()
        .zip(shapes.iter().skip(1))
        .take_while(|(row, shape)| !shape.blank && row.as_slice() == first)
        .count()
}

fn assemble(
    detected: &DetectedEncoding,
    choice: &DialectChoice,
    layout: TableLayout,
    result: reader::StreamResult,
) -> SourceProfile {
    let mut warnings = Vec::new();
    warnings.extend(detected.warning());
    warnings.extend(layout.warnings);
    warnings.extend(result.ragged.warning());
    warnings.extend(result.left_out_warnings());
    let dialect = Dialect {
        delimiter: choice.syntax.reported_delimiter(),
        quote: result
            .quoted_fields
            .then(|| char::from(dialect::QUOTE).to_string()),
        escape: choice.syntax.escape.map(|e| char::from(e).to_string()),
        has_header: layout.has_header,
        header_row_index: layout.has_header.then_some(layout.lines_skipped),
        lines_skipped: layout.lines_skipped,
        line_terminator: result.line_terminators.label().to_owned(),
    };
    SourceProfile {
        detected_format: "csv".to_owned(),
        container: None,
        encoding: Some(detected.label.clone()),
        dialect: Some(dialect),
        record_count: result.record_count,
        field_count: result.fields.len(),
        fields: result.fields,
        sample_records: result.sample_records,
        geometry: None,
        layer: None,
        layers: Vec::new(),
        warnings,
    }
}
