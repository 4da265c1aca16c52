//! HTTP(S) downloads streamed to a temporary file, within the limits and the
//! network policy.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::{Client, Response, redirect};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;
use tracing::{info, warn};
use url::Url;

use crate::config::{FetchConfig, format_bytes};
use crate::digest::to_hex;
use crate::error::{FetchError, FetchErrorKind, find_in_chain, root_cause};
use crate::growing::{Completed, GrowingWriter};
use crate::policy::{NetworkPolicy, PolicyRefusal};
use crate::resolver::PolicyResolver;
use crate::{Download, Fetched, LocalCopy};

/// Raised from the redirect policy when a chain is longer than allowed.
#[derive(Debug, thiserror::Error)]
#[error("too many redirects (more than {0})")]
struct TooManyRedirects(usize);

/// An HTTP client set up for one configuration: policy-checking resolver,
/// redirect policy, timeouts, no proxy. Reusable across downloads (it keeps
/// a connection pool).
#[derive(Debug, Clone)]
pub(crate) struct HttpFetcher {
    client: Client,
    policy: Arc<NetworkPolicy>,
    cfg: FetchConfig,
}

/// Where a download's bytes are published to readers: after at least this
/// many new bytes, or this long after the last publication, whichever comes
/// first (each publication flushes the file: once per chunk would cost a
/// blocking-pool round trip per chunk).
const PUBLISH_BYTES: u64 = 256 << 10;
const PUBLISH_INTERVAL: Duration = Duration::from_millis(20);

/// What is known of a download so far, for the log event even when it is
/// cut off by the total timeout.
#[derive(Debug, Default)]
struct Tally {
    status: Option<u16>,
    bytes: u64,
}

/// A response whose head passed the checks, and what it says.
struct Opened {
    response: Response,
    declared: Option<u64>,
    source: String,
    content_type: Option<String>,
}

impl HttpFetcher {
    pub(crate) fn new(cfg: &FetchConfig) -> Result<Self, FetchError> {
        let policy = Arc::new(cfg.policy.clone());
        let client = Client::builder()
            .no_proxy()
            .user_agent(cfg.user_agent.as_str())
            .connect_timeout(cfg.connect_timeout)
            .read_timeout(cfg.read_timeout)
            .redirect(redirect_policy(Arc::clone(&policy), cfg.max_redirects))
            .referer(false)
            .retry(reqwest::retry::never())
            .dns_resolver(PolicyResolver::new(Arc::clone(&policy)))
            .build()
            .map_err(|e| {
                FetchError::new(
                    FetchErrorKind::Setup,
                    format!("cannot set up the HTTP client: {}", root_cause(&e)),
                )
            })?;
        Ok(HttpFetcher {
            client,
            policy,
            cfg: cfg.clone(),
        })
    }

    /// Downloads `url` to a temporary file; logs one event with the outcome.
    pub(crate) async fn download(&self, url: &Url) -> Result<Fetched, FetchError> {
        let download = self.start(url).await?;
        let (file, outcome) = download.finish().await;
        outcome.map(|done| Fetched::new(file, done))
    }

    /// Sends the request and checks the response head (status, declared
    /// length) within the total timeout, then hands back the temporary file
    /// and the rest of the download to drive: the body, streamed to the file
    /// and published to readers as it comes. Logs one event with the
    /// outcome, when the head fails or when the body ends.
    pub(crate) async fn start(&self, url: &Url) -> Result<Download<'_>, FetchError> {
        let started = Instant::now();
        let deadline = started + self.cfg.total_timeout;
        let mut tally = Tally::default();
        let opened = match tokio::time::timeout_at(deadline, self.open(url, &mut tally)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(self.total_timed_out()),
        };
        let opened = opened.and_then(|opened| Ok((opened, self.create_temp_file()?)));
        let (opened, temp) = match opened {
            Ok(found) => found,
            Err(err) => {
                log_failure(url, &tally, started, &err);
                return Err(err);
            }
        };
        let (std_file, path) = temp.into_parts();
        let (writer, growing) = GrowingWriter::new();
        let url = url.clone();
        let body = async move {
            let Opened {
                response,
                declared,
                source,
                content_type,
            } = opened;
            let streamed = tokio::time::timeout_at(
                deadline,
                self.stream_body(response, std_file, &writer, &mut tally),
            )
            .await
            .unwrap_or_else(|_elapsed| Err(self.total_timed_out()));
            let outcome = streamed.and_then(|sha256| {
                if let Some(expected) = declared.filter(|&expected| expected != tally.bytes) {
                    return Err(FetchError::new(
                        FetchErrorKind::Interrupted,
                        format!("body ended after {} of {expected} bytes", tally.bytes),
                    ));
                }
                Ok(Completed {
                    source,
                    byte_size: tally.bytes,
                    sha256,
                    content_type,
                })
            });
            match &outcome {
                Ok(done) => info!(
                    url = %url,
                    final_url = %done.source,
                    status = tally.status,
                    bytes = done.byte_size,
                    elapsed_ms = elapsed_ms(started),
                    outcome = "ok",
                    "download finished"
                ),
                Err(err) => log_failure(&url, &tally, started, err),
            }
            writer.end(outcome.clone());
            outcome
        };
        Ok(Download::new(
            LocalCopy::Temp(path),
            growing,
            Box::pin(body),
        ))
    }

    /// Sends the request; a response with a success status and an
    /// acceptable declared length.
    async fn open(&self, url: &Url, tally: &mut Tally) -> Result<Opened, FetchError> {
        // Literal-IP hosts never reach the resolver: check them here.
        self.policy.check_url(url).map_err(policy_error)?;
        let response = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| self.classify(&e))?;
        tally.status = Some(response.status().as_u16());
        check_status(&response)?;
        let declared = response.content_length();
        if let Some(length) = declared.filter(|&length| length > self.cfg.max_bytes) {
            return Err(too_large(
                self.cfg.max_bytes,
                &format!(" (Content-Length: {length} bytes)"),
            ));
        }
        let source = response.url().to_string();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Opened {
            response,
            declared,
            source,
            content_type,
        })
    }

    /// Copies the body to the file chunk by chunk, hashing as it goes,
    /// cutting off at `max_bytes` and when a chunk takes longer than the
    /// read timeout; publishes the flushed length to readers now and then.
    /// Returns the SHA-256 of the body.
    async fn stream_body(
        &self,
        mut response: Response,
        std_file: std::fs::File,
        writer: &GrowingWriter,
        tally: &mut Tally,
    ) -> Result<String, FetchError> {
        let mut file = tokio::fs::File::from_std(std_file);
        let mut hasher = Sha256::new();
        let read_timeout = self.cfg.read_timeout;
        let mut published = 0u64;
        let mut published_at = Instant::now();
        loop {
            let chunk = match tokio::time::timeout(read_timeout, response.chunk()).await {
                Err(_elapsed) => return Err(read_timed_out(read_timeout)),
                Ok(Err(e)) => return Err(self.classify(&e)),
                Ok(Ok(None)) => break,
                Ok(Ok(Some(chunk))) => chunk,
            };
            tally.bytes += chunk.len() as u64;
            if tally.bytes > self.cfg.max_bytes {
                return Err(too_large(self.cfg.max_bytes, ""));
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(temp_file_error)?;
            if tally.bytes - published >= PUBLISH_BYTES
                || published_at.elapsed() >= PUBLISH_INTERVAL
            {
                file.flush().await.map_err(temp_file_error)?;
                published = tally.bytes;
                published_at = Instant::now();
                writer.grew(published);
            }
        }
        file.flush().await.map_err(temp_file_error)?;
        writer.grew(tally.bytes);
        Ok(to_hex(hasher))
    }

    fn total_timed_out(&self) -> FetchError {
        FetchError::new(
            FetchErrorKind::Timeout,
            format!(
                "download took longer than the {:?} total timeout",
                self.cfg.total_timeout
            ),
        )
    }

    fn create_temp_file(&self) -> Result<tempfile::NamedTempFile, FetchError> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("dataprof-");
        match &self.cfg.temp_dir {
            Some(dir) => builder.tempfile_in(dir),
            None => builder.tempfile(),
        }
        .map_err(temp_file_error)
    }

    /// Turns a reqwest error into a one-line message and a kind.
    fn classify(&self, err: &reqwest::Error) -> FetchError {
        if let Some(refusal) = find_in_chain::<PolicyRefusal>(err) {
            return policy_error(refusal.clone());
        }
        if let Some(too_many) = find_in_chain::<TooManyRedirects>(err) {
            return FetchError::new(FetchErrorKind::Redirect, too_many.to_string());
        }
        let cause = root_cause(err);
        let target = err.url().map(host_and_port).unwrap_or_default();
        if err.is_timeout() {
            return if err.is_connect() {
                FetchError::new(
                    FetchErrorKind::Timeout,
                    format!(
                        "could not connect to {target} within {:?} (connect timeout)",
                        self.cfg.connect_timeout
                    ),
                )
            } else {
                read_timed_out(self.cfg.read_timeout)
            };
        }
        if err.is_connect() {
            let verb = if err.is_dns() {
                "resolve"
            } else {
                "connect to"
            };
            return FetchError::new(
                FetchErrorKind::Connect,
                format!("cannot {verb} {target}: {cause}"),
            );
        }
        if err.is_redirect() {
            return FetchError::new(FetchErrorKind::Redirect, format!("bad redirect: {cause}"));
        }
        if err.is_builder() {
            return FetchError::new(
                FetchErrorKind::InvalidLocation,
                format!("invalid request: {cause}"),
            );
        }
        if err.is_body() || err.is_decode() {
            return FetchError::new(
                FetchErrorKind::Interrupted,
                format!("download interrupted: {cause}"),
            );
        }
        FetchError::new(
            FetchErrorKind::Interrupted,
            format!("request to {target} failed: {cause}"),
        )
    }
}

/// The one event of a failed download.
fn log_failure(url: &Url, tally: &Tally, started: Instant, err: &FetchError) {
    warn!(
        url = %url,
        status = tally.status,
        bytes = tally.bytes,
        elapsed_ms = elapsed_ms(started),
        outcome = if err.transient { "transient_error" } else { "permanent_error" },
        error = %err.message,
        "download failed"
    );
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Follows at most `max` redirects, each to a URL the policy accepts
/// (scheme, literal-IP host; host names are checked when resolved).
fn redirect_policy(policy: Arc<NetworkPolicy>, max: usize) -> redirect::Policy {
    redirect::Policy::custom(move |attempt| {
        // `previous` starts with the original URL: its length is the number
        // of the redirect being attempted.
        if attempt.previous().len() > max {
            return attempt.error(TooManyRedirects(max));
        }
        match policy.check_url(attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(refusal) => attempt.error(refusal),
        }
    })
}

/// Refuses any status other than 2xx: 3xx left unfollowed and 4xx are
/// permanent, 5xx and 429 transient (see [`FetchErrorKind::is_transient`]).
fn check_status(response: &Response) -> Result<(), FetchError> {
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let message = match status.canonical_reason() {
        Some(reason) => format!("HTTP {} {reason}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    };
    if status.is_redirection() {
        // A redirect reqwest did not follow: no Location, or one that is not
        // an http(s) URL.
        let location = response
            .headers()
            .get(LOCATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let message = match location {
            Some(location) => format!("{message}: redirect to {location} not followed"),
            None => format!("{message}: redirect without a Location"),
        };
        return Err(FetchError::new(FetchErrorKind::Redirect, message));
    }
    Err(FetchError::new(
        FetchErrorKind::HttpStatus(status.as_u16()),
        message,
    ))
}

fn policy_error(refusal: PolicyRefusal) -> FetchError {
    FetchError::new(FetchErrorKind::Policy, refusal.to_string())
}

fn too_large(limit: u64, detail: &str) -> FetchError {
    FetchError::new(
        FetchErrorKind::TooLarge,
        format!("download exceeds the {} limit{detail}", format_bytes(limit)),
    )
}

fn read_timed_out(read_timeout: Duration) -> FetchError {
    FetchError::new(
        FetchErrorKind::Timeout,
        format!("no data received for {read_timeout:?} (read timeout)"),
    )
}

fn temp_file_error(err: std::io::Error) -> FetchError {
    FetchError::new(
        FetchErrorKind::TempFile,
        format!("cannot write the temporary copy: {err}"),
    )
}

fn host_and_port(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => url.to_string(),
    }
}
