//! One job in, one `data_profile` out.
//!
//! Each distribution is fetched (async) and profiled (on a blocking thread,
//! since the profiler is synchronous and CPU-bound) at the same time: the
//! profiler reads the downloaded file as the body streams into it, so a
//! job takes about the longer of the two rather than their sum. The
//! outcomes are then assembled into the entry's profile. A fault in one
//! distribution never stops the others.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use dataprof_fetch::{FetchConfig, FetchError, Fetched, Fetcher, GrowingFile, Progress};
use dataprof_model::{
    ContainerInfo, DataProfile, Distribution, DistributionProfile, DistributionStatus, Job,
    SourceProfile,
};
use dataprof_profiler::source::{Extent, Growing, Growth};
use dataprof_profiler::{ProfileError, ProfileOptions};
use tracing::{debug, info, warn};

/// Everything a job run needs to know.
#[derive(Debug, Clone, Default)]
pub struct Pipeline {
    pub fetch: FetchConfig,
    pub profile: ProfileOptions,
    /// Directory relative `download_url`s are resolved against (the entry
    /// file's folder on the command line; none in worker mode).
    pub base_dir: Option<PathBuf>,
    /// The HTTP client, built from `fetch` on first use and then shared by
    /// every job (and clone) of this pipeline, so connections are reused.
    /// Configure `fetch` before the first run.
    pub(crate) fetcher: Arc<OnceLock<Fetcher>>,
}

/// The result of running a job, with what a worker needs to decide whether
/// to retry it.
#[derive(Debug)]
pub struct JobRun {
    pub profile: DataProfile,
    /// Transient fetch faults (timeouts, 5xx...), one per distribution that
    /// hit one. A worker retries the job while this is not empty.
    pub transient_faults: Vec<String>,
}

impl Pipeline {
    /// Runs every distribution of `job` and assembles the profile.
    pub async fn run(&self, job: &Job) -> JobRun {
        let mut distributions = Vec::with_capacity(job.distributions.len());
        let mut transient_faults = Vec::new();
        for distribution in &job.distributions {
            let (profile, transient) = self.run_distribution(distribution).await;
            if let Some(fault) = transient {
                transient_faults.push(fault);
            }
            distributions.push(profile);
        }
        let profile = DataProfile::assemble(job, distributions);
        info!(
            entry_id = %job.entry_id,
            run_id = %job.run_id,
            status = profile.status.as_str(),
            dataset_count = profile.dataset_count,
            "job profiled"
        );
        JobRun {
            profile,
            transient_faults,
        }
    }

    /// Profiles one distribution; the second value is a transient fault
    /// description when the fetch failed in a retryable way.
    ///
    /// `download_url` is tried first, then `access_url`; when both fail,
    /// the error names each (see [`combine_failures`]). Each source is
    /// profiled while it downloads; a fetch
    /// error (in the response head or in the body) overrides whatever the
    /// profiler made of the truncated file.
    async fn run_distribution(
        &self,
        distribution: &Distribution,
    ) -> (DistributionProfile, Option<String>) {
        let started = Instant::now();
        let mut profile = empty_profile(distribution);
        let mut failures: Vec<(&str, FetchError)> = Vec::new();
        let mut outcome = None;
        let mut fetch_ended = None;
        for url in distribution.candidate_urls() {
            let (ended, attempt) = self.fetch_and_profile(url).await;
            fetch_ended = Some(ended);
            match attempt {
                Ok(done) => {
                    outcome = Some(done);
                    break;
                }
                Err(err) => {
                    debug!(url, error = %err, "source not fetched");
                    failures.push((url, err));
                }
            }
        }
        record_span("fetch", started, fetch_ended.unwrap_or_else(Instant::now));
        let Some((fetched, outcome)) = outcome else {
            let last_err = combine_failures(failures);
            warn!(
                distribution_id = distribution.id.as_deref(),
                error = %last_err,
                "fetch failed"
            );
            profile.status = DistributionStatus::Failed;
            profile.error = Some(format!("fetch: {}", last_err.message));
            profile.elapsed_ms = elapsed_ms(started);
            let transient = last_err.transient.then(|| last_err.message.clone());
            return (profile, transient);
        };
        profile.url = Some(fetched.source);
        profile.byte_size = Some(fetched.byte_size);
        profile.sha256 = Some(fetched.sha256);
        match outcome {
            Ok(source) => {
                profile.status = DistributionStatus::Profiled;
                profile.detected_format = Some(source.detected_format);
                profile.container = source.container;
                profile.encoding = source.encoding;
                profile.dialect = source.dialect;
                profile.record_count = Some(source.record_count);
                profile.field_count = Some(source.field_count);
                profile.fields = source.fields;
                profile.sample_records = source.sample_records;
                profile.geometry = source.geometry;
                profile.layer = source.layer;
                profile.layers = source.layers;
                profile.warnings = source.warnings;
            }
            Err(err) => {
                profile.status = match err {
                    ProfileError::Unsupported { .. } => DistributionStatus::Unsupported,
                    ProfileError::Failed { .. } => DistributionStatus::Failed,
                };
                profile.detected_format = err.detected_format().map(str::to_owned);
                profile.container = err.failed_container().map(|kind| ContainerInfo {
                    kind: kind.to_owned(),
                    member: None,
                });
                profile.error = Some(err.to_string());
            }
        }
        profile.elapsed_ms = elapsed_ms(started);
        info!(
            distribution_id = distribution.id.as_deref(),
            url = profile.url.as_deref(),
            status = profile.status.as_str(),
            detected_format = profile.detected_format.as_deref(),
            records = profile.record_count,
            elapsed_ms = profile.elapsed_ms,
            "distribution profiled"
        );
        (profile, None)
    }

    /// Downloads `url` and profiles it at the same time: the profiler (on a
    /// blocking thread) reads the file as the body streams into it. Returns
    /// when the download ended, and the download's facts with the
    /// profiler's outcome once both are done, or the fetch error, which
    /// then wins over the profiler's.
    async fn fetch_and_profile(&self, url: &str) -> (Instant, Attempt) {
        let fetcher = match self.fetcher() {
            Ok(fetcher) => fetcher,
            Err(err) => return (Instant::now(), Err(err)),
        };
        let download = match fetcher.start(url, self.base_dir.as_deref()).await {
            Ok(download) => download,
            Err(err) => return (Instant::now(), Err(err)),
        };
        let path = download.path().to_path_buf();
        let mut opts = self.profile.clone();
        // A local file is whole from the start: it is read as it always was.
        if !download.growing().progress().has_ended() {
            let growth = Arc::new(DownloadGrowth(download.growing().clone()));
            opts.growing = Some(Growing::new(path.clone(), growth));
        }
        let profiling = async {
            let profiling_started = Instant::now();
            let outcome =
                tokio::task::spawn_blocking(move || dataprof_profiler::profile_path(&path, &opts))
                    .await
                    .unwrap_or_else(|join_err| {
                        Err(ProfileError::malformed(
                            "profile",
                            format!("profiler crashed: {join_err}"),
                        ))
                    });
            record_step("profile", profiling_started);
            outcome
        };
        let downloading = async {
            let (file, downloaded) = download.finish().await;
            (file, downloaded, Instant::now())
        };
        // The file is deleted (when `file` drops) only once the profiler is
        // done with it.
        let ((file, downloaded, ended), outcome) = tokio::join!(downloading, profiling);
        let attempt = match downloaded {
            Ok(done) => Ok((Fetched::new(file, done), outcome)),
            Err(err) => {
                if let Err(profile_err) = &outcome {
                    debug!(url, error = %profile_err, "the profile of an incomplete download is dropped");
                }
                Err(err)
            }
        };
        (ended, attempt)
    }
}

/// A fetched source and the profiler's outcome, or why it was not fetched.
type Attempt = Result<(Fetched, Result<SourceProfile, ProfileError>), FetchError>;

/// A download's progress as the profiler reads it: a failed download is an
/// I/O error that says so.
#[derive(Debug)]
struct DownloadGrowth(GrowingFile);

impl DownloadGrowth {
    fn extent_of(progress: Progress) -> std::io::Result<Extent> {
        match progress {
            Progress::Running { written } => Ok(Extent {
                len: written,
                complete: false,
            }),
            Progress::Complete(done) => Ok(Extent {
                len: done.byte_size,
                complete: true,
            }),
            Progress::Failed(err) => Err(std::io::Error::other(format!(
                "the download failed: {}",
                err.message
            ))),
        }
    }
}

impl Growth for DownloadGrowth {
    fn extent(&self) -> std::io::Result<Extent> {
        DownloadGrowth::extent_of(self.0.progress())
    }

    fn wait_beyond(&self, offset: u64) -> std::io::Result<Extent> {
        DownloadGrowth::extent_of(self.0.wait_beyond(offset))
    }
}

/// One error for every URL tried.
fn combine_failures(mut failures: Vec<(&str, FetchError)>) -> FetchError {
    if failures.len() <= 1 {
        return failures.pop().map_or_else(
            || FetchError::permanent("distribution has no download_url or access_url"),
            |(_, err)| err,
        );
    }
    let message = failures
        .iter()
        .map(|(url, err)| format!("{url}: {}", err.message))
        .collect::<Vec<_>>()
        .join("; then ");
    let pick = failures
        .iter()
        .position(|(_, err)| err.transient)
        .unwrap_or(failures.len() - 1);
    let (_, mut err) = failures.swap_remove(pick);
    err.message = message;
    err
}

impl Pipeline {
    fn fetcher(&self) -> Result<&Fetcher, FetchError> {
        if let Some(fetcher) = self.fetcher.get() {
            return Ok(fetcher);
        }
        let fetcher = Fetcher::new(&self.fetch)?;
        Ok(self.fetcher.get_or_init(|| fetcher))
    }
}

/// Time of one step, for `/metrics` (a no-op without a recorder).
fn record_step(step: &'static str, started: Instant) {
    record_span(step, started, Instant::now());
}

/// [`record_step`] for a step that ended at `ended`.
fn record_span(step: &'static str, started: Instant, ended: Instant) {
    metrics::histogram!(crate::metrics::STEP_DURATION, "step" => step)
        .record(ended.saturating_duration_since(started).as_secs_f64());
}

fn empty_profile(distribution: &Distribution) -> DistributionProfile {
    DistributionProfile {
        distribution_id: distribution.id.clone(),
        url: distribution
            .candidate_urls()
            .first()
            .map(|u| (*u).to_owned()),
        declared_format: distribution.format.clone(),
        detected_format: None,
        container: None,
        encoding: None,
        dialect: None,
        byte_size: None,
        sha256: None,
        record_count: None,
        field_count: None,
        fields: Vec::new(),
        sample_records: Vec::new(),
        geometry: None,
        layer: None,
        layers: Vec::new(),
        status: DistributionStatus::Failed,
        error: None,
        warnings: Vec::new(),
        elapsed_ms: 0,
        primary: false,
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_urls_are_named_and_a_transient_cause_wins() {
        let err = combine_failures(vec![
            (
                "http://a/x.csv",
                FetchError::permanent("HTTP 404 Not Found"),
            ),
            (
                "http://b/x.csv",
                FetchError::transient("HTTP 503 Service Unavailable"),
            ),
        ]);
        assert!(err.transient);
        assert_eq!(
            err.message,
            "http://a/x.csv: HTTP 404 Not Found; then http://b/x.csv: HTTP 503 Service Unavailable"
        );
        let err = combine_failures(vec![
            (
                "http://a/x.csv",
                FetchError::permanent("HTTP 404 Not Found"),
            ),
            ("http://b/x.csv", FetchError::permanent("HTTP 410 Gone")),
        ]);
        assert!(!err.transient);
        let only = combine_failures(vec![(
            "http://a",
            FetchError::permanent("HTTP 404 Not Found"),
        )]);
        assert_eq!(only.message, "HTTP 404 Not Found");
        assert_eq!(
            combine_failures(Vec::new()).message,
            "distribution has no download_url or access_url"
        );
    }
}
