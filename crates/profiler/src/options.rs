//! What the profiler is asked to do, and the limits it must keep to.

use crate::infer::InferOptions;
use crate::source::Growing;

/// Settings for one profiling run.
#[derive(Debug, Clone)]
pub struct ProfileOptions {
    /// Records kept in `sample_records`.
    pub sample_size: usize,
    pub infer: InferOptions,
    pub limits: Limits,
    /// The source file while it is still downloading: reads of that file
    /// wait for its bytes ([`crate::source`]). None for a complete file.
    pub growing: Option<Growing>,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        ProfileOptions {
            sample_size: 5,
            infer: InferOptions::default(),
            limits: Limits::default(),
            growing: None,
        }
    }
}

/// Hard limits that protect a worker from hostile or broken content.
///
/// Every limit, when hit, ends the source with its own `limit exceeded`
/// error rather than a partial profile.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bytes one archive may decompress to, all members together.
    pub max_decompressed_bytes: u64,
    /// Decompressed bytes per compressed byte; past it a zip or gzip is
    /// treated as a bomb.
    pub max_compression_ratio: u64,
    /// Members an archive may list.
    pub max_archive_members: usize,
    /// Archives inside archives.
    pub max_archive_depth: u32,
    /// Nesting of JSON arrays and objects; at most 127, the JSON parser's
    /// own limit (a larger value acts as 127).
    pub max_json_depth: usize,
    /// Bytes in one CSV record or one NDJSON line.
    pub max_record_bytes: usize,
    /// Fields in one source.
    pub max_fields: usize,
    /// Characters of a cell kept in `sample_records` and `examples`; longer
    /// values are cut and end with `…`.
    pub max_sample_cell_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decompressed_bytes: 2 << 30,
            max_compression_ratio: 200,
            max_archive_members: 10_000,
            max_archive_depth: 2,
            max_json_depth: 127,
            max_record_bytes: 16 << 20,
            max_fields: 4_096,
            max_sample_cell_chars: 1_000,
        }
    }
}
