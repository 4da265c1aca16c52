//! JSON arrays of records, wrapped records, NDJSON and GeoJSON.
//!
//! Placeholder until the JSON readers land.

use std::path::Path;

use dataprof_model::SourceProfile;

use crate::{ProfileError, ProfileOptions};

pub fn profile(_path: &Path, _opts: &ProfileOptions) -> Result<SourceProfile, ProfileError> {
    Err(ProfileError::malformed(
        "json",
        "the JSON reader is not built yet",
    ))
}
