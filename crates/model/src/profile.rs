//! The `data_profile` result and its per-distribution detail.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{FieldProfile, Record};

/// Outcome of a whole job, as the catalog files it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileStatus {
    /// Every distribution was introspected.
    Profiled,
    /// Some distributions were introspected, not all.
    Partial,
    /// No distribution could be introspected.
    Unsupported,
    /// The job itself could not be carried out (bad message, retries spent).
    Failed,
}

impl ProfileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileStatus::Profiled => "profiled",
            ProfileStatus::Partial => "partial",
            ProfileStatus::Unsupported => "unsupported",
            ProfileStatus::Failed => "failed",
        }
    }
}

/// Outcome for one distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DistributionStatus {
    /// Fields, counts and samples were read.
    Profiled,
    /// The content was fetched but is not an introspectable data format
    /// (HTML page, PDF, empty file...), or it is malformed beyond reading.
    Unsupported,
    /// It could not be fetched or read (HTTP error, limit exceeded, I/O).
    Failed,
}

impl DistributionStatus {
    /// The name the profile JSON uses.
    pub fn as_str(self) -> &'static str {
        match self {
            DistributionStatus::Profiled => "profiled",
            DistributionStatus::Unsupported => "unsupported",
            DistributionStatus::Failed => "failed",
        }
    }
}

/// The archive a data file was found in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerInfo {
    /// `zip` or `gzip`.
    pub kind: String,
    /// The member that was profiled (for a Shapefile, its `.shp`).
    pub member: Option<String>,
}

/// How a delimited text file is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dialect {
    /// The field delimiter, as a one-character string (`"\t"` for TSV).
    pub delimiter: String,
    /// The quote character, or null when no field is quoted.
    pub quote: Option<String>,
    /// The escape character when it is not the quote itself (e.g. `\`).
    pub escape: Option<String>,
    pub has_header: bool,
    /// 0-based physical line of the header, null without a header.
    pub header_row_index: Option<u64>,
    /// Physical lines before the header (or before the first record when
    /// there is no header): titles, notes, blank lines, comments.
    pub lines_skipped: u64,
    /// `crlf`, `lf`, `cr` or `mixed`.
    pub line_terminator: String,
}

/// Where and what the geometries of a spatial source are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeometryProfile {
    /// The single or dominant geometry type (for a Shapefile, its shape type).
    #[serde(rename = "type")]
    pub geometry_type: Option<String>,
    /// Each geometry type with its count.
    pub types: BTreeMap<String, u64>,
    /// Features that carry a geometry.
    pub count: u64,
    /// `EPSG:4326`, another `EPSG:n` when recognisable, else the CRS name.
    pub crs: Option<String>,
    /// `[min x, min y, max x, max y]` over every coordinate.
    pub bbox: Option<[f64; 4]>,
}

/// One layer of a source that holds several (e.g. two Shapefiles in a zip).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerSummary {
    pub name: String,
    pub encoding: Option<String>,
    pub record_count: u64,
    pub field_count: usize,
    pub fields: Vec<FieldProfile>,
    pub geometry: Option<GeometryProfile>,
}

/// What the synchronous profiler learns from the bytes of one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceProfile {
    /// `csv`, `json`, `ndjson`, `geojson` or `shapefile`.
    pub detected_format: String,
    pub container: Option<ContainerInfo>,
    pub encoding: Option<String>,
    pub dialect: Option<Dialect>,
    pub record_count: u64,
    pub field_count: usize,
    pub fields: Vec<FieldProfile>,
    pub sample_records: Vec<Record>,
    pub geometry: Option<GeometryProfile>,
    /// For a multi-layer source, the layer the fields above describe.
    pub layer: Option<String>,
    /// Every layer of a multi-layer source (empty for single-table sources).
    pub layers: Vec<LayerSummary>,
    /// Things a careful reader should know: ragged rows, renamed headers...
    pub warnings: Vec<String>,
}

/// One distribution's profile: the detail the catalog UI can drill into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistributionProfile {
    pub distribution_id: Option<String>,
    /// The URL (or path) the bytes came from.
    pub url: Option<String>,
    pub declared_format: Option<String>,
    /// The format found in the bytes; for an unsupported source, what was
    /// found instead (`html`, `pdf`, `empty`...); null when nothing was read.
    pub detected_format: Option<String>,
    pub container: Option<ContainerInfo>,
    pub encoding: Option<String>,
    pub dialect: Option<Dialect>,
    /// Bytes as served (before decompression).
    pub byte_size: Option<u64>,
    pub sha256: Option<String>,
    pub record_count: Option<u64>,
    pub field_count: Option<usize>,
    pub fields: Vec<FieldProfile>,
    pub sample_records: Vec<Record>,
    pub geometry: Option<GeometryProfile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<LayerSummary>,
    pub status: DistributionStatus,
    /// `step: cause`, e.g. `fetch: HTTP 404 Not Found`.
    pub error: Option<String>,
    pub warnings: Vec<String>,
    pub elapsed_ms: u64,
    /// True for the distribution the top-level fields describe.
    pub primary: bool,
}

/// The `data_profile` object the catalog stores for an entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataProfile {
    pub id: String,
    pub entry_id: String,
    pub dataset_id: Option<String>,
    pub run_id: String,
    pub profile_kind: String,
    /// Format of the primary distribution, `none` when nothing was read.
    pub profile_source: String,
    pub status: ProfileStatus,
    pub error_message: Option<String>,
    pub fields: Option<Vec<FieldProfile>>,
    pub field_count: Option<usize>,
    pub sample_records: Option<Vec<Record>>,
    pub record_count: Option<u64>,
    pub data_size_bytes: Option<u64>,
    pub dataset_count: usize,
    pub query_examples: Option<Value>,
    pub profiled_at: DateTime<Utc>,
    pub distributions: Vec<DistributionProfile>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_are_the_serialised_ones() {
        for status in [
            ProfileStatus::Profiled,
            ProfileStatus::Partial,
            ProfileStatus::Unsupported,
            ProfileStatus::Failed,
        ] {
            let json = serde_json::to_value(status).expect("serialises");
            assert_eq!(json.as_str(), Some(status.as_str()));
        }
        for status in [
            DistributionStatus::Profiled,
            DistributionStatus::Unsupported,
            DistributionStatus::Failed,
        ] {
            let json = serde_json::to_value(status).expect("serialises");
            assert_eq!(json.as_str(), Some(status.as_str()));
        }
    }
}
