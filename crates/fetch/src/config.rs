//! Limits and policy for downloads.

use std::path::PathBuf;
use std::time::Duration;

use crate::policy::NetworkPolicy;

/// Where downloads may go and how much they may take.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Bytes one download may take (Content-Length and while streaming).
    pub max_bytes: u64,
    /// Longest wait for a TCP (and TLS) connection to be made.
    pub connect_timeout: Duration,
    /// Longest wait for the next chunk of the body (or for the response
    /// head): cuts off servers that stall.
    pub read_timeout: Duration,
    /// Whole download, connect to last byte, redirects included: cuts off
    /// servers that trickle.
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

/// A byte count as people write limits: "10 MiB", "64 KiB", "1000 bytes".
pub(crate) fn format_bytes(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{} {unit}", bytes / size);
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::format_bytes;

    #[test]
    fn limits_read_like_people_write_them() {
        assert_eq!(format_bytes(10 << 20), "10 MiB");
        assert_eq!(format_bytes(512 << 20), "512 MiB");
        assert_eq!(format_bytes(2 << 30), "2 GiB");
        assert_eq!(format_bytes(64 << 10), "64 KiB");
        assert_eq!(format_bytes(1000), "1000 bytes");
        assert_eq!(format_bytes(0), "0 bytes");
    }
}
