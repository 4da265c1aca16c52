//! Delimited text: dialect, header and a streaming pass over every record.
//!
//! [`profile`] reads a file three times, never holding it whole:
//! 1. [`crate::encoding::detect_reader`] validates the whole file to decide
//!    its encoding;
//! 2. the decoded head ([`sample`]) decides the syntax ([`dialect`]), where
//!    the table starts ([`layout`]) and whether it has a header ([`header`]);
//! 3. [`reader`] streams every record through the column profilers.

pub mod dialect;
pub mod header;
pub mod layout;
pub mod reader;
pub mod relaxed;
pub mod sample;
pub mod shape;
pub mod tap;

use std::fs::File;
use std::path::Path;

use dataprof_model::{Dialect, SourceProfile};

use crate::encoding::{self, DetectedEncoding};
use crate::{ProfileError, ProfileOptions};

use dialect::DialectChoice;
use sample::Sample;

/// Profiles the delimited text file at `path`.
pub fn profile(path: &Path, opts: &ProfileOptions) -> Result<SourceProfile, ProfileError> {
    let detected = encoding::detect_reader(open(path)?).map_err(|e| ProfileError::io("read", e))?;
    tracing::debug!(
        path = %path.display(),
        encoding = %detected.label,
        replaced = detected.replaced_sequences,
        "csv encoding"
    );
    let sample =
        sample::read_sample(decoded(path, &detected)?).map_err(|e| ProfileError::io("read", e))?;
    let choice = match dialect::detect(&sample) {
        Some(choice) if !sample.is_blank() => choice,
        _ => {
            return Err(ProfileError::unsupported(
                "empty",
                "the file holds no records (only blank lines or comments)",
            ));
        }
    };
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
        return Err(ProfileError::limit(
            "csv",
            format!(
                "the table has {} fields, more than the {limit} allowed",
                layout.names.len()
            ),
        ));
    }
    let plan = reader::ReadPlan {
        syntax: choice.syntax,
        skip_records: layout.skip_records,
        names: &layout.names,
        opts,
    };
    let result = reader::stream(decoded(path, &detected)?, &plan)?;
    tracing::debug!(records = result.record_count, "csv profiled");
    Ok(assemble(&detected, &choice, layout, result))
}

fn open(path: &Path) -> Result<File, ProfileError> {
    File::open(path).map_err(|e| ProfileError::io("read", e))
}

fn decoded(
    path: &Path,
    detected: &DetectedEncoding,
) -> Result<encoding::DecodedText<File>, ProfileError> {
    encoding::decode(open(path)?, detected).map_err(|e| ProfileError::io("read", e))
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
        let rows: Vec<Vec<String>> = sample::row_cells(sample, choice.syntax, start)
            .into_iter()
            .zip(&choice.shapes[start..])
            .filter(|(_, shape)| !shape.blank)
            .map(|(cells, _)| cells)
            .collect();
        let first: &[String] = rows.first().map_or(&[], Vec::as_slice);
        let body = rows.get(1..).unwrap_or_default();
        let has_header = header::has_header(first, body);
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
