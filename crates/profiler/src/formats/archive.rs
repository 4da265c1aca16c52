//! Zip and gzip containers.
//!
//! Placeholder until the archive readers land.

use std::path::Path;

use dataprof_model::SourceProfile;

use crate::{ProfileError, ProfileOptions};

pub fn profile_zip(
    _path: &Path,
    _opts: &ProfileOptions,
    _depth: u32,
) -> Result<SourceProfile, ProfileError> {
    Err(ProfileError::malformed(
        "zip",
        "the zip reader is not built yet",
    ))
}

pub fn profile_gzip(
    _path: &Path,
    _opts: &ProfileOptions,
    _depth: u32,
) -> Result<SourceProfile, ProfileError> {
    Err(ProfileError::malformed(
        "gzip",
        "the gzip reader is not built yet",
    ))
}
