//! JSON sources: arrays of records, objects wrapping a records array
//! (Opendatasoft API v1 `records`, API v2 `results`, CKAN `result.records`
//! ...), GeoJSON, and NDJSON / JSON Lines.
//!
//! Everything streams: one record (a feature, a line) is held at a time,
//! never the whole document, so a file of any size is read in memory
//! bounded by its largest record.
//!
//! Large UTF-8 NDJSON files and FeatureCollections are read in parts on
//! several threads, each part with its own field table, merged in file
//! order into exactly the profile one thread gives.
//!
//! Layout:
//! - [`source`]: opening the file as UTF-8 (BOM, UTF-16, Windows-1252
//!   fallback) and noting what its bytes hold, for the encoding label.
//! - [`detect`]: one document or one value per line.
//! - [`walk`]: the serde visitors that stream a document's structure.
//! - [`document`]: arrays, wrapping objects and GeoJSON documents.
//! - [`ndjson`]: line-delimited files.
//! - [`parts`], [`lines_split`], [`collection_split`],
//!   [`collection_chunks`]: reading in parts.
//! - [`records`], [`flat`] and [`flatten`]: the field table records add
//!   up to, and records read straight from the parser into it.
//! - [`geojson`] and [`feature_geometry`]: features, geometry facts and
//!   the CRS.
//! - [`failure`]: errors and their messages.

mod collection_chunks;
mod collection_split;
mod detect;
mod document;
mod failure;
mod feature_geometry;
mod flat;
mod flatten;
mod geojson;
mod lines_split;
mod ndjson;
#[cfg(test)]
mod parallel_tests;
mod parts;
mod records;
mod rows;
mod source;
mod walk;

use std::path::Path;

use dataprof_model::{GeometryProfile, SourceProfile};
use serde::de::IgnoredAny;

pub(crate) use flatten::sample_cell;

use detect::Layout;
use failure::Attempt;
use records::TableOutcome;
use source::Decoding;

use crate::formats::csv::parallel::Parallelism;
use crate::{ProfileError, ProfileOptions};

/// What one of the readers found, before it becomes a [`SourceProfile`].
pub(crate) struct Profiled {
    /// `json`, `ndjson` or `geojson`.
    pub format: &'static str,
    pub encoding: String,
    pub table: TableOutcome,
    pub geometry: Option<GeometryProfile>,
    pub warnings: Vec<String>,
}

/// Profiles a JSON, NDJSON or GeoJSON file; which one is decided from the
/// bytes.
pub fn profile(path: &Path, opts: &ProfileOptions) -> Result<SourceProfile, ProfileError> {
    // Parts are cut by the file's length: a file still downloading has
    // none yet, so it is read as it grows, on one thread.
    let parallelism = if opts.growing.is_some() {
        Parallelism {
            threads: 1,
            ..Parallelism::of_machine()
        }
    } else {
        Parallelism::of_machine()
    };
    profile_with(path, opts, parallelism)
}

/// [`profile`], with at most `parallelism` threads (large UTF-8 NDJSON
/// files and FeatureCollections are read in parts; see [`parts`]).
pub fn profile_with(
    path: &Path,
    opts: &ProfileOptions,
    parallelism: Parallelism,
) -> Result<SourceProfile, ProfileError> {
    let head = crate::read_head(path, 4, opts)?;
    let decoding = Decoding::from_head(&head);
    let mut decoding_note = None;
    let profiled = match profile_as(path, opts, decoding, &parallelism) {
        Err(Attempt::NotUtf8) => {
            // A few broken sequences in UTF-8 text are replaced; text that
            // is not UTF-8 at all is a legacy single-byte encoding.
            let file = crate::source::open(path, opts).map_err(|e| ProfileError::io("read", e))?;
            let detected =
                crate::encoding::detect_reader(file).map_err(|e| ProfileError::io("read", e))?;
            let fallback = if detected.encoding == encoding_rs::UTF_8 {
                decoding_note = detected.warning();
                Decoding::Utf8Lossy
            } else {
                Decoding::Windows1252
            };
            tracing::info!(
                path = %path.display(),
                encoding = %detected.label,
                replaced = detected.replaced_sequences,
                "json is not valid UTF-8; read again"
            );
            profile_as(path, opts, fallback, &parallelism)
        }
        other => other,
    };
    let profiled = match profiled {
        Ok(p) => p,
        Err(Attempt::Failed(e)) => return Err(e),
        Err(Attempt::NotUtf8) => {
            return Err(ProfileError::malformed(
                "json",
                "the text could not be decoded",
            ));
        }
    };
    let mut warnings: Vec<String> = decoding_note.into_iter().collect();
    warnings.extend(profiled.warnings);
    warnings.extend(profiled.table.warnings);
    tracing::info!(
        path = %path.display(),
        format = profiled.format,
        encoding = %profiled.encoding,
        records = profiled.table.record_count,
        fields = profiled.table.fields.len(),
        geometries = profiled.geometry.as_ref().map(|g| g.count),
        "json source profiled"
    );
    Ok(SourceProfile {
        detected_format: profiled.format.to_owned(),
        container: None,
        encoding: Some(profiled.encoding),
        dialect: None,
        record_count: profiled.table.record_count,
        field_count: profiled.table.fields.len(),
        fields: profiled.table.fields,
        sample_records: profiled.table.samples,
        geometry: profiled.geometry,
        layer: None,
        layers: Vec::new(),
        warnings,
    })
}

fn profile_as(
    path: &Path,
    opts: &ProfileOptions,
    decoding: Decoding,
    parallelism: &Parallelism,
) -> Result<Profiled, Attempt> {
    let layout = detect::layout(path, decoding, opts)?;
    tracing::debug!(path = %path.display(), ?layout, ?decoding, "json layout");
    match layout {
        Layout::Array => document::profile_array(path, decoding, opts),
        Layout::Object => document::profile_object(path, decoding, opts, parallelism),
        Layout::Lines => ndjson::profile(path, decoding, opts, parallelism),
        Layout::Scalar(first) => Err(scalar_document(path, decoding, opts, first)),
        Layout::Blank => {
            Err(ProfileError::unsupported("empty", "the file holds only white space").into())
        }
    }
}

/// A document that is one scalar is valid JSON but not a table; anything
/// else starting like that is not JSON.
fn scalar_document(path: &Path, decoding: Decoding, opts: &ProfileOptions, first: u8) -> Attempt {
    let source = match source::open(path, decoding, opts) {
        Ok(s) => s,
        Err(e) => return e.into(),
    };
    let stats = source.stats.clone();
    match serde_json::from_reader::<_, IgnoredAny>(source.reader) {
        Ok(_) => {
            let kind = match first {
                b'"' => "string",
                b't' | b'f' => "boolean",
                b'n' => "null",
                _ => "number",
            };
            ProfileError::unsupported("json", format!("a single JSON {kind}, not records")).into()
        }
        Err(e) => failure::classify(e, None, &stats.get(), decoding, opts.limits.max_json_depth),
    }
}
