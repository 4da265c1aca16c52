//! The names of dataprof's queues and exchanges, derived from one prefix so
//! that tenants and tests can share a broker.
//!
//! With prefix `P`:
//!
//! | name | kind | role |
//! | --- | --- | --- |
//! | `P.jobs` | direct exchange | producers publish jobs here, routing key `P.jobs` |
//! | `P.jobs` | quorum queue | workers consume it |
//! | `P.jobs.retry.<ms>ms` | classic queue | jobs waiting `<ms>` before another attempt |
//! | `P.jobs.dead` | fanout exchange and queue | jobs given up on |
//! | `P.results` | topic exchange | `data_profile` results, routing key `profile.<status>` |
//! | `P.results` | queue bound to `profile.#` | results for the catalog |

use std::time::Duration;

use dataprof_model::ProfileStatus;

use crate::QueueError;

/// Message header counting attempts at a job (1 on the first delivery).
pub const ATTEMPT_HEADER: &str = "dataprof-attempt";
/// Message header on a dead letter saying why the job was given up.
pub const DEAD_REASON_HEADER: &str = "dataprof-dead-reason";
/// Deliveries of one job before the broker itself dead-letters it: the
/// guard against a job that kills every worker that takes it (crash, OOM).
pub const JOB_DELIVERY_LIMIT: i64 = 10;
/// How long an unused retry queue outlives its delay; it is redeclared at
/// every retry, so it only expires once no job has waited in it for a while.
pub const RETRY_QUEUE_IDLE_EXPIRY: Duration = Duration::from_secs(15 * 60);

/// AMQP names are at most 255 bytes; the longest suffix we add is well
/// under 55.
const MAX_PREFIX_LEN: usize = 200;

/// The queue and exchange names for one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    prefix: String,
}

impl Topology {
    /// Checks that `prefix` makes valid, unambiguous AMQP names: letters,
    /// digits, `-`, `_`, `.` and `:`, at most 200 bytes.
    pub fn new(prefix: &str) -> Result<Self, QueueError> {
        let invalid = |reason| QueueError::InvalidPrefix {
            prefix: prefix.to_owned(),
            reason,
        };
        if prefix.is_empty() {
            return Err(invalid("it is empty"));
        }
        if prefix.len() > MAX_PREFIX_LEN {
            return Err(invalid("it is longer than 200 bytes"));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
        if !prefix.chars().all(allowed) {
            return Err(invalid("use only letters, digits, '-', '_', '.' and ':'"));
        }
        Ok(Topology {
            prefix: prefix.to_owned(),
        })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The direct exchange producers publish jobs to.
    pub fn jobs_exchange(&self) -> String {
        format!("{}.jobs", self.prefix)
    }

    /// The quorum queue workers consume.
    pub fn jobs_queue(&self) -> String {
        format!("{}.jobs", self.prefix)
    }

    /// The routing key binding the jobs queue to its exchange: the queue's
    /// own name, so publishing through the default exchange works as well.
    pub fn jobs_routing_key(&self) -> String {
        self.jobs_queue()
    }

    /// The fanout exchange dead letters go through.
    pub fn dead_exchange(&self) -> String {
        format!("{}.jobs.dead", self.prefix)
    }

    /// The queue holding jobs given up on.
    pub fn dead_queue(&self) -> String {
        format!("{}.jobs.dead", self.prefix)
    }

    /// The queue a job waits in for `delay` before coming back to the jobs
    /// exchange. One queue per delay, so every message in it has the same
    /// time to live and none waits behind a longer one.
    pub fn retry_queue(&self, delay: Duration) -> String {
        format!("{}.jobs.retry.{}ms", self.prefix, delay.as_millis())
    }

    /// The topic exchange results are published to.
    pub fn results_exchange(&self) -> String {
        format!("{}.results", self.prefix)
    }

    /// The durable queue bound to every result.
    pub fn results_queue(&self) -> String {
        format!("{}.results", self.prefix)
    }

    /// The binding of the results queue: every status.
    pub fn results_binding(&self) -> &'static str {
        "profile.#"
    }

    /// The routing key of a result: `profile.<status>`.
    pub fn result_routing_key(&self, status: ProfileStatus) -> String {
        format!("profile.{}", status.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_derive_from_the_prefix() {
        let t = Topology::new("dataprof").unwrap();
        assert_eq!(t.jobs_exchange(), "dataprof.jobs");
        assert_eq!(t.jobs_queue(), "dataprof.jobs");
        assert_eq!(t.dead_queue(), "dataprof.jobs.dead");
        assert_eq!(t.results_exchange(), "dataprof.results");
        assert_eq!(t.results_queue(), "dataprof.results");
        assert_eq!(
            t.retry_queue(Duration::from_millis(1600)),
            "dataprof.jobs.retry.1600ms"
        );
        assert_eq!(
            t.result_routing_key(ProfileStatus::Unsupported),
            "profile.unsupported"
        );
    }

    #[test]
    fn bad_prefixes_are_refused() {
        assert!(Topology::new("").is_err());
        assert!(Topology::new("a b").is_err());
        assert!(Topology::new("a/b").is_err());
        assert!(Topology::new(&"x".repeat(201)).is_err());
        let err = Topology::new("été").unwrap_err();
        assert!(err.to_string().contains("letters, digits"), "{err}");
        assert!(Topology::new("t-0b9e.tenant_1:a").is_ok());
    }
}
