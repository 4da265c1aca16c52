//! Downloads a distribution to a temporary file, within hard limits and a
//! network policy; or, on the command line, hands over a local file in place.
//!
//! - [`config`]: the limits ([`FetchConfig`]).
//! - [`policy`]: which schemes and addresses are allowed ([`NetworkPolicy`]).
//! - `resolver`: the DNS resolver that applies the policy at connect time.
//! - `http`: the streaming download.
//! - `local`: local paths and `file://` URLs.

pub mod config;
mod digest;
pub mod error;
mod http;
mod local;
mod location;
pub mod policy;
mod resolver;

use std::path::{Path, PathBuf};

pub use config::FetchConfig;
pub use error::{FetchError, FetchErrorKind};
pub use policy::{AllowListError, NetworkPolicy, PolicyRefusal, RefusedRange};

use http::HttpFetcher;
use location::Location;

/// A source copied to a local file.
#[derive(Debug)]
pub struct Fetched {
    /// The local copy; deleted when dropped unless it is the user's own
    /// file (a local path).
    pub file: LocalCopy,
    /// The URL (after redirects) or path the bytes came from.
    pub source: String,
    pub byte_size: u64,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// The server's Content-Type header, as sent (informative only: formats
    /// are detected from the bytes).
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

/// Fetches sources with one configuration, reusing its HTTP client (and so
/// its connections) from one fetch to the next.
#[derive(Debug, Clone)]
pub struct Fetcher {
    http: HttpFetcher,
    policy: NetworkPolicy,
}

impl Fetcher {
    pub fn new(cfg: &FetchConfig) -> Result<Self, FetchError> {
        Ok(Fetcher {
            http: HttpFetcher::new(cfg)?,
            policy: cfg.policy.clone(),
        })
    }

    /// Fetches `location` (an http(s) URL, a `file://` URL or a path; a
    /// relative path is resolved against `base_dir`).
    pub async fn fetch(
        &self,
        location: &str,
        base_dir: Option<&Path>,
    ) -> Result<Fetched, FetchError> {
        match Location::parse(location, base_dir, &self.policy)? {
            Location::Http(url) => self.http.download(&url).await,
            Location::Local(path) => local::describe(path).await,
        }
    }
}

/// Fetches `location` (an http(s) URL, a `file://` URL or a path; a relative
/// path is resolved against `base_dir`) with a client made for this call.
/// Use a [`Fetcher`] to reuse one across calls.
pub async fn fetch(
    location: &str,
    base_dir: Option<&Path>,
    cfg: &FetchConfig,
) -> Result<Fetched, FetchError> {
    match Location::parse(location, base_dir, &cfg.policy)? {
        Location::Http(url) => HttpFetcher::new(cfg)?.download(&url).await,
        Location::Local(path) => local::describe(path).await,
    }
}
