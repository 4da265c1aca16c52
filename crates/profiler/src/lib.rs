//! Synchronous, streaming profiling of one data source on disk.
//!
//! The profiler never trusts a declared format, a Content-Type or a file
//! name: [`profile_path`] looks at the bytes, finds the container (zip,
//! gzip), the format (CSV, JSON, NDJSON, GeoJSON, Shapefile) or what the
//! file is instead (HTML, PDF, empty...), then reads the whole source once,
//! in bounded memory, to infer every field's type and statistics.
//!
//! It does no networking and needs no async runtime: the fetch crate puts
//! the bytes in a file, this crate reads it, if need be while it is still
//! being written ([`source`], [`ProfileOptions::growing`]).
//!
//! Layout:
//! - [`source`]: opening the file, whole or still downloading.
//! - [`sniff`]: what the first bytes say the content is.
//! - [`encoding`]: which text encoding a file is in.
//! - [`formats`]: one reader per format and container.
//! - [`infer`]: per-column type, format and statistics inference.

pub mod crs;
pub mod encoding;
pub mod error;
pub mod formats;
pub mod geometry;
pub mod infer;
pub mod options;
pub mod sniff;
pub mod source;
mod threads;

use std::io::Read;
use std::path::Path;

pub use dataprof_model as model;
pub use error::ProfileError;
pub use options::{Limits, ProfileOptions};

use dataprof_model::SourceProfile;
use sniff::Sniffed;

/// How many leading bytes [`sniff::sniff`] is shown.
pub const SNIFF_LEN: usize = 64 * 1024;

/// Profiles the file at `path`, whatever its format.
pub fn profile_path(path: &Path, opts: &ProfileOptions) -> Result<SourceProfile, ProfileError> {
    profile_nested(path, opts, 0)
}

/// Profiles a file found `depth` archives deep (0 for the file itself).
///
/// Archive readers extract a member to a temporary file and call this
/// again, so every format is reachable inside every container, and the
/// depth limit stops archives nested without end.
pub fn profile_nested(
    path: &Path,
    opts: &ProfileOptions,
    depth: u32,
) -> Result<SourceProfile, ProfileError> {
    if depth > opts.limits.max_archive_depth {
        return Err(ProfileError::limit(
            "archive",
            format!(
                "archives nested deeper than {}",
                opts.limits.max_archive_depth
            ),
        ));
    }
    let head = read_head(path, SNIFF_LEN, opts)?;
    let sniffed = sniff::sniff(&head);
    tracing::debug!(path = %path.display(), ?sniffed, depth, "sniffed");
    match sniffed {
        Sniffed::Zip => formats::archive::profile_zip(path, &whole(path, opts)?, depth),
        Sniffed::Gzip => formats::archive::profile_gzip(path, &whole(path, opts)?, depth),
        Sniffed::Json => formats::json::profile(path, opts),
        Sniffed::Text => formats::csv::profile(path, opts),
        Sniffed::NotData { detected, reason } => Err(ProfileError::unsupported(detected, reason)),
    }
}

/// Waits until `path` is whole (archives are read from their end: the zip
/// central directory; the gzip reader extracts the stream as a whole), then
/// the options without the growing file, for the members, which are
/// complete files.
fn whole(path: &Path, opts: &ProfileOptions) -> Result<ProfileOptions, ProfileError> {
    source::wait_complete(path, opts).map_err(|e| ProfileError::io("read", e))?;
    Ok(ProfileOptions {
        growing: None,
        ..opts.clone()
    })
}

/// Reads up to `len` bytes from the start of the file (fewer only when the
/// file, or the download it comes from, ends sooner).
pub fn read_head(path: &Path, len: usize, opts: &ProfileOptions) -> Result<Vec<u8>, ProfileError> {
    let file = source::open(path, opts).map_err(|e| ProfileError::io("read", e))?;
    let mut head = Vec::with_capacity(len.min(1 << 20));
    file.take(len as u64)
        .read_to_end(&mut head)
        .map_err(|e| ProfileError::io("read", e))?;
    Ok(head)
}
