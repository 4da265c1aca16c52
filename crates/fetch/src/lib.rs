//! Downloads a distribution to a temporary file, within hard limits and a
//! network policy.
//!
//! Placeholder interface: the full implementation (limits while streaming,
//! per-hop redirect checks, address policy at connect time) replaces the
//! internals, not the interface.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// Where downloads may go and how much they may take.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Bytes one download may take (Content-Length and while streaming).
    pub max_bytes: u64,
    pub connect_timeout: Duration,
    /// Longest wait for the next chunk of the body.
    pub read_timeout: Duration,
    /// Whole download, headers to last byte.
    pub total_timeout: Duration,
    pub max_redirects: usize,
    pub policy: NetworkPolicy,
    pub user_agent: String,
    /// Directory the temporary files go to (the system's when None).
    pub temp_dir: Option<PathBuf>,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            max_bytes: 512 << 20,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(300),
            max_redirects: 5,
            policy: NetworkPolicy::default(),
            user_agent: concat!("dataprof/", env!("CARGO_PKG_VERSION")).to_owned(),
            temp_dir: None,
        }
    }
}

/// Which sources are allowed.
#[derive(Debug, Clone, Default)]
pub struct NetworkPolicy {
    /// Local paths and `file://` URLs (the command line only).
    pub allow_local_files: bool,
    /// Networks allowed even though they are loopback, private, link-local...
    pub allowed_networks: Vec<ipnet::IpNet>,
    /// Skip the address checks entirely (the command line's explicit opt-out).
    pub allow_all_addresses: bool,
}

/// A source copied to a local file.
#[derive(Debug)]
pub struct Fetched {
    /// The local copy; deleted when dropped unless it is the user's own
    /// file (a local path).
    pub file: LocalCopy,
    /// The URL (after redirects) or path the bytes came from.
    pub source: String,
    pub byte_size: u64,
    pub sha256: String,
    pub content_type: Option<String>,
}

/// A local file holding a source's bytes.
#[derive(Debug)]
pub enum LocalCopy {
    Temp(tempfile::TempPath),
    User(PathBuf),
}

impl LocalCopy {
    pub fn path(&self) -> &Path {
        match self {
            LocalCopy::Temp(p) => p,
            LocalCopy::User(p) => p,
        }
    }
}

/// Why a source could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    /// Worth retrying later: connect errors, timeouts, HTTP 5xx and 429.
    pub transient: bool,
    pub message: String,
}

impl FetchError {
    pub fn permanent(message: impl Into<String>) -> Self {
        FetchError {
            transient: false,
            message: message.into(),
        }
    }
    pub fn transient(message: impl Into<String>) -> Self {
        FetchError {
            transient: true,
            message: message.into(),
        }
    }
}

/// Fetches `location` (an http(s) URL, a `file://` URL or a path; a relative
/// path is resolved against `base_dir`).
pub async fn fetch(
    location: &str,
    base_dir: Option<&Path>,
    cfg: &FetchConfig,
) -> Result<Fetched, FetchError> {
    let path = if let Some(rest) = location.strip_prefix("file://") {
        PathBuf::from(rest)
    } else if location.starts_with("http://") || location.starts_with("https://") {
        return Err(FetchError::permanent("HTTP fetching is not built yet"));
    } else {
        match base_dir {
            Some(dir) => dir.join(location),
            None => PathBuf::from(location),
        }
    };
    if !cfg.policy.allow_local_files {
        return Err(FetchError::permanent("local files are not allowed here"));
    }
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| FetchError::permanent(format!("{}: {e}", path.display())))?;
    Ok(Fetched {
        source: path.display().to_string(),
        byte_size: bytes.len() as u64,
        sha256: hex_digest(&bytes),
        content_type: None,
        file: LocalCopy::User(path),
    })
}

fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
