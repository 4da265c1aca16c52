//! The back-off schedule for jobs that hit transient faults.

use std::time::Duration;

/// How often and how long apart a job is retried.
///
/// Attempt 1 is the first delivery. After a transient fault on attempt `n`
/// (with `n <= max_retries`) the job waits `base_delay * 2^(n-1)`, capped at
/// `max_delay`, then runs again as attempt `n + 1`. A fault on attempt
/// `max_retries + 1` ends the job with a `failed` result and a dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`, or None when `attempt` was
    /// the last one allowed.
    pub fn delay_after(&self, attempt: u32) -> Option<Duration> {
        if attempt == 0 || attempt > self.max_retries {
            return None;
        }
        let doublings = (attempt - 1).min(31);
        let delay = self.base_delay.saturating_mul(1u32 << doublings);
        Some(delay.min(self.max_delay))
    }

    /// Every distinct delay this policy uses, shortest first (one retry
    /// queue each).
    pub fn delays(&self) -> Vec<Duration> {
        let mut delays: Vec<Duration> = (1..=self.max_retries)
            .filter_map(|attempt| self.delay_after(attempt))
            .collect();
        delays.dedup();
        delays
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_then_stop() {
        let policy = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        };
        let ms = |n| policy.delay_after(n).map(|d| d.as_millis());
        assert_eq!(ms(0), None);
        assert_eq!(ms(1), Some(100));
        assert_eq!(ms(2), Some(200));
        assert_eq!(ms(3), Some(400));
        assert_eq!(ms(4), Some(500));
        assert_eq!(ms(5), Some(500));
        assert_eq!(ms(6), None);
        let delays: Vec<u128> = policy.delays().iter().map(Duration::as_millis).collect();
        assert_eq!(delays, vec![100, 200, 400, 500]);
    }

    #[test]
    fn no_retries_means_no_delay() {
        let policy = RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        };
        assert_eq!(policy.delay_after(1), None);
        assert!(policy.delays().is_empty());
    }

    #[test]
    fn huge_attempt_numbers_saturate() {
        let policy = RetryPolicy {
            max_retries: u32::MAX,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        };
        assert_eq!(policy.delay_after(200), Some(Duration::from_secs(60)));
    }
}
