//! Local files (command line only): used in place, hashed by streaming.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use url::Url;

use crate::digest::to_hex;
use crate::error::{FetchError, FetchErrorKind};
use crate::{Fetched, LocalCopy};

/// Size of the reads used to hash a file.
const HASH_BUFFER: usize = 64 << 10;

/// The path a `file://` URL names.
pub(crate) fn file_url_path(url: &Url) -> Result<PathBuf, FetchError> {
    url.to_file_path().map_err(|()| {
        FetchError::new(
            FetchErrorKind::InvalidLocation,
            format!("{url} is not a local file path"),
        )
    })
}

/// `location` as a path, relative ones taken from `base_dir`.
pub(crate) fn resolve_path(location: &str, base_dir: Option<&Path>) -> PathBuf {
    let path = Path::new(location);
    match base_dir {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_path_buf(),
    }
}

/// Describes the user's file at `path` without copying it: size and SHA-256.
pub(crate) async fn describe(path: PathBuf) -> Result<Fetched, FetchError> {
    let display = path.display().to_string();
    let joined = tokio::task::spawn_blocking(move || hash_file(&path).map(|h| (path, h))).await;
    let (path, (byte_size, sha256)) = joined.map_err(|e| {
        FetchError::new(
            FetchErrorKind::LocalFile,
            format!("cannot read {display}: {e}"),
        )
    })??;
    Ok(Fetched {
        file: LocalCopy::User(path),
        source: display,
        byte_size,
        sha256,
        content_type: None,
    })
}

/// Streams the file through SHA-256; returns its size and digest.
fn hash_file(path: &Path) -> Result<(u64, String), FetchError> {
    let local_error = |message: String| FetchError::new(FetchErrorKind::LocalFile, message);
    // Checked before opening: opening a pipe with no writer blocks, and a
    // device such as /dev/zero never ends.
    let metadata = std::fs::metadata(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => local_error(format!("no such file: {}", path.display())),
        _ => local_error(format!("cannot read {}: {e}", path.display())),
    })?;
    if metadata.is_dir() {
        return Err(local_error(format!(
            "{} is a directory, not a file",
            path.display()
        )));
    }
    if !metadata.is_file() {
        return Err(local_error(not_a_regular_file(path)));
    }
    let mut file = File::open(path)
        .map_err(|e| local_error(format!("cannot read {}: {e}", path.display())))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; HASH_BUFFER];
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(local_error(format!("cannot read {}: {e}", path.display()))),
        };
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((size, to_hex(hasher)))
}

/// Why a pipe, socket or device is refused.
pub fn not_a_regular_file(path: &Path) -> String {
    format!(
        "{} is not a regular file (a pipe, socket or device, which may never end); save its content to a file first",
        path.display()
    )
}
