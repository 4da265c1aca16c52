//! One job in, one `data_profile` out.
//!
//! Each distribution is fetched (async) and profiled (on a blocking thread,
//! since the profiler is synchronous and CPU-bound); the outcomes are then
//! assembled into the entry's profile. A fault in one distribution never
//! stops the others.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use dataprof_fetch::{FetchConfig, FetchError, Fetched, Fetcher};
use dataprof_model::{DataProfile, Distribution, DistributionProfile, DistributionStatus, Job};
use dataprof_profiler::{ProfileError, ProfileOptions};
use tracing::{info, warn};

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
    async fn run_distribution(
        &self,
        distribution: &Distribution,
    ) -> (DistributionProfile, Option<String>) {
        let started = Instant::now();
        let mut profile = empty_profile(distribution);
        let fetch_result = self.fetch_any(distribution).await;
        record_step("fetch", started);
        let fetched = match fetch_result {
            Ok(fetched) => fetched,
            Err(err) => {
                warn!(distribution_id = ?distribution.id, error = %err, "fetch failed");
                profile.status = DistributionStatus::Failed;
                profile.error = Some(format!("fetch: {}", err.message));
                profile.elapsed_ms = elapsed_ms(started);
                let transient = err.transient.then(|| err.message.clone());
                return (profile, transient);
            }
        };
        profile.url = Some(fetched.source.clone());
        profile.byte_size = Some(fetched.byte_size);
        profile.sha256 = Some(fetched.sha256.clone());

        let opts = self.profile.clone();
        let profiling_started = Instant::now();
        let outcome = tokio::task::spawn_blocking(move || {
            let result = dataprof_profiler::profile_path(fetched.file.path(), &opts);
            drop(fetched);
            result
        })
        .await
        .unwrap_or_else(|join_err| {
            Err(ProfileError::malformed(
                "profile",
                format!("profiler crashed: {join_err}"),
            ))
        });
        record_step("profile", profiling_started);
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
                profile.error = Some(err.to_string());
            }
        }
        profile.elapsed_ms = elapsed_ms(started);
        info!(
            distribution_id = ?distribution.id,
            url = ?profile.url,
            status = ?profile.status,
            detected_format = ?profile.detected_format,
            records = ?profile.record_count,
            elapsed_ms = profile.elapsed_ms,
            "distribution profiled"
        );
        (profile, None)
    }

    /// Tries `download_url`, then `access_url`. When both fail, the error
    /// names each URL with its cause, and is transient if either cause is
    /// (the job is worth retrying while one source may come back).
    async fn fetch_any(&self, distribution: &Distribution) -> Result<Fetched, FetchError> {
        let fetcher = self.fetcher()?;
        let urls = distribution.candidate_urls();
        let mut failures: Vec<(&str, FetchError)> = Vec::with_capacity(urls.len());
        for url in urls {
            match fetcher.fetch(url, self.base_dir.as_deref()).await {
                Ok(fetched) => return Ok(fetched),
                Err(err) => {
                    warn!(url, error = %err, "source not fetched");
                    failures.push((url, err));
                }
            }
        }
        Err(combine_failures(failures))
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
    metrics::histogram!(crate::metrics::STEP_DURATION, "step" => step)
        .record(started.elapsed().as_secs_f64());
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
