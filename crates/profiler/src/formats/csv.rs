//! Delimited text: dialect, header and a streaming pass over every record.
//!
//! Placeholder until the CSV reader lands.

use std::path::Path;

use dataprof_model::SourceProfile;

use crate::{ProfileError, ProfileOptions};

pub fn profile(_path: &Path, _opts: &ProfileOptions) -> Result<SourceProfile, ProfileError> {
    Err(ProfileError::malformed(
        "csv",
        "the CSV reader is not built yet",
    ))
}
