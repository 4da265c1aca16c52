//! Gzip streams, read with `flate2`: decompressed (all concatenated
//! members) to a temporary file within the decompression limits, then
//! profiled like any file.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::Path;

use dataprof_model::{ContainerInfo, SourceProfile};
use flate2::bufread::MultiGzDecoder;
use tempfile::NamedTempFile;

use super::budget::Budget;
use super::in_member;
use crate::{ProfileError, ProfileOptions};

pub(crate) fn profile(
    path: &Path,
    opts: &ProfileOptions,
    depth: u32,
) -> Result<SourceProfile, ProfileError> {
    let file = File::open(path).map_err(|e| ProfileError::io("read", e))?;
    let compressed = file
        .metadata()
        .map_err(|e| ProfileError::io("read", e))?
        .len();
    let mut decoder = MultiGzDecoder::new(BufReader::new(file));
    let mut tmp = NamedTempFile::new().map_err(|e| ProfileError::io("archive", e))?;
    let mut budget = Budget::new("gzip", &opts.limits);
    let size = budget.copy("the gzip stream", compressed, &mut decoder, &mut tmp)?;
    tmp.flush().map_err(|e| ProfileError::io("archive", e))?;
    // The name stored in the gzip header, for the record only: it never
    // becomes a path.
    let member = decoder
        .header()
        .and_then(|h| h.filename())
        .map(|name| String::from_utf8_lossy(name).into_owned());
    tracing::info!(
        compressed,
        size,
        member = member.as_deref(),
        "gzip decompressed"
    );
    let shown = member.clone().unwrap_or_else(|| "(unnamed)".to_owned());
    let mut profile = crate::profile_nested(tmp.path(), opts, depth + 1)
        .map_err(|e| in_member(e, "gzip", &shown))?;
    if let Some(inner) = profile.container.take() {
        profile.warnings.push(format!(
            "the gzip holds a {} archive; profiled its member {}",
            inner.kind,
            inner.member.as_deref().unwrap_or("(unnamed)")
        ));
    }
    profile.container = Some(ContainerInfo {
        kind: "gzip".to_owned(),
        member,
    });
    Ok(profile)
}
