//! Zip and gzip containers.
//!
//! An archive is opened, its data extracted to temporary files within the
//! limits (total decompressed bytes, expansion ratio, member count), and
//! each extracted file profiled through [`crate::profile_nested`] one level
//! deeper, so every format is reachable in every container and nesting is
//! bounded. Zipped Shapefiles are read as layers.
//!
//! Layout:
//! - [`budget`]: bounded decompression.
//! - [`members`]: junk, Shapefile sets and the data member.
//! - [`zip`] and [`gzip`]: the two containers.

mod budget;
mod gzip;
mod members;
mod zip;

use std::path::Path;

use dataprof_model::SourceProfile;

use crate::{ProfileError, ProfileOptions};

/// Profiles a zip archive found `depth` archives deep.
pub fn profile_zip(
    path: &Path,
    opts: &ProfileOptions,
    depth: u32,
) -> Result<SourceProfile, ProfileError> {
    zip::profile(path, opts, depth)
}

/// Profiles a gzip stream found `depth` archives deep.
pub fn profile_gzip(
    path: &Path,
    opts: &ProfileOptions,
    depth: u32,
) -> Result<SourceProfile, ProfileError> {
    gzip::profile(path, opts, depth)
}

/// Says which archive member an error is about.
fn in_member(e: ProfileError, container: &str, member: &str) -> ProfileError {
    match e {
        ProfileError::Unsupported {
            step,
            detected,
            reason,
        } => ProfileError::Unsupported {
            step,
            detected,
            reason: format!("{reason} (in {container} member {member})"),
        },
        ProfileError::Failed { step, cause } => ProfileError::Failed {
            step,
            cause: format!("{cause} (in {container} member {member})"),
        },
    }
}
