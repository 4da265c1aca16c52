//! Downloads a distribution to a temporary file, within hard limits and a
//! network policy; or, on the command line, hands over a local file in place.
//!
//! - [`config`]: the limits ([`FetchConfig`]).
//! - [`policy`]: which schemes and addresses are allowed ([`NetworkPolicy`]).
//! - `resolver`: the DNS resolver that applies the policy at connect time.
//! - `http`: the streaming download.
//! - [`growing`]: a download's file while it is written, for readers that
//!   start before it ends ([`Fetcher::start`]).
//! - `local`: local paths and `file://` URLs.

pub mod config;
mod digest;
pub mod error;
pub mod growing;
mod http;
mod local;
mod location;
pub mod policy;
mod resolver;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

pub use config::FetchConfig;
pub use error::{FetchError, FetchErrorKind};
pub use growing::{Completed, GrowingFile, Progress};
pub use local::not_a_regular_file;
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

impl Fetched {
    /// The local copy and the facts of a download that ended well.
    pub fn new(file: LocalCopy, done: Completed) -> Self {
        Fetched {
            file,
            source: done.source,
            byte_size: done.byte_size,
            sha256: done.sha256,
            content_type: done.content_type,
        }
    }
}

/// The rest of a download, driven by whoever awaits it.
type Body<'a> = Pin<Box<dyn Future<Output = Result<Completed, FetchError>> + Send + 'a>>;

/// A download under way: its file can be read (through [`GrowingFile`])
/// while [`Download::finish`] streams the rest of the body into it. The
/// body moves only while that future is polled: a reader blocked on the
/// file must run elsewhere (a blocking thread), and dropping the download
/// ends the file with an error rather than leaving readers waiting.
pub struct Download<'a> {
    file: LocalCopy,
    growing: GrowingFile,
    body: Body<'a>,
}

impl std::fmt::Debug for Download<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("file", &self.file)
            .field("progress", &self.growing.progress())
            .finish_non_exhaustive()
    }
}

impl<'a> Download<'a> {
    pub(crate) fn new(file: LocalCopy, growing: GrowingFile, body: Body<'a>) -> Self {
        Download {
            file,
            growing,
            body,
        }
    }

    /// A source that is whole already (a local file).
    fn whole(fetched: Fetched) -> Self {
        let done = Completed {
            source: fetched.source,
            byte_size: fetched.byte_size,
            sha256: fetched.sha256,
            content_type: fetched.content_type,
        };
        Download {
            file: fetched.file,
            growing: GrowingFile::complete(done.clone()),
            body: Box::pin(std::future::ready(Ok(done))),
        }
    }

    /// The file the bytes go to.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// How far the download is, for readers of [`Download::path`].
    pub fn growing(&self) -> &GrowingFile {
        &self.growing
    }

    /// Streams the rest of the body to the file. Returns the file even
    /// when the download fails, so that its readers can finish before it is
    /// deleted. Dropping the future abandons the download (readers then
    /// see it fail).
    pub async fn finish(self) -> (LocalCopy, Result<Completed, FetchError>) {
        let outcome = self.body.await;
        (self.file, outcome)
    }
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

impl Fetcher {
    /// Starts fetching `location` (as [`Fetcher::fetch`] reads it): returns
    /// once the response head has passed its checks, with the rest of the
    /// body still to stream through [`Download::finish`]. Errors of the
    /// head (connection, status, declared length, policy) come back here; a
    /// local file comes back whole.
    pub async fn start(
        &self,
        location: &str,
        base_dir: Option<&Path>,
    ) -> Result<Download<'_>, FetchError> {
        match Location::parse(location, base_dir, &self.policy)? {
            Location::Http(url) => self.http.start(&url).await,
            Location::Local(path) => local::describe(path).await.map(Download::whole),
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
