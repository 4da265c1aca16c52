//! Decompression under hard limits: total bytes per archive, and bytes out
//! per byte in (a zip or gzip bomb expands thousands of times).
//!
//! The limits are checked while the bytes stream, not against the sizes an
//! archive declares, which a hostile archive can fake.

use std::io::{Read, Write};

use crate::{Limits, ProfileError};

/// Small members may be highly compressible (a column of blanks) without
/// being bombs: the ratio is only enforced past this many output bytes.
const RATIO_FLOOR: u64 = 1 << 20;

const CHUNK: usize = 64 * 1024;

/// What one archive may still decompress to.
#[derive(Debug)]
pub(crate) struct Budget {
    step: &'static str,
    limit: u64,
    used: u64,
    max_ratio: u64,
}

impl Budget {
    pub fn new(step: &'static str, limits: &Limits) -> Budget {
        Budget {
            step,
            limit: limits.max_decompressed_bytes,
            used: 0,
            max_ratio: limits.max_compression_ratio,
        }
    }

    /// Copies `reader` (the decompressed bytes of `what`, stored in
    /// `compressed` bytes) into `out`; returns the bytes copied.
    pub fn copy(
        &mut self,
        what: &str,
        compressed: u64,
        reader: &mut impl Read,
        out: &mut impl Write,
    ) -> Result<u64, ProfileError> {
        let mut buf = vec![0u8; CHUNK];
        let mut copied = 0u64;
        let ratio_cap = self.max_ratio.saturating_mul(compressed.max(1));
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => return Ok(copied),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(ProfileError::malformed(
                        self.step,
                        format!("{what} is corrupt or truncated: {e}"),
                    ));
                }
            };
            copied += n as u64;
            self.used += n as u64;
            if self.used > self.limit {
                return Err(ProfileError::limit(
                    self.step,
                    format!(
                        "the archive decompresses to more than {} bytes (at {what})",
                        self.limit
                    ),
                ));
            }
            if copied > RATIO_FLOOR && copied > ratio_cap {
                return Err(ProfileError::limit(
                    self.step,
                    format!(
                        "{what} expands more than {}x ({compressed} compressed bytes): a decompression bomb?",
                        self.max_ratio
                    ),
                ));
            }
            out.write_all(&buf[..n])
                .map_err(|e| ProfileError::io("archive", e))?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(bytes: u64, ratio: u64) -> Limits {
        Limits {
            max_decompressed_bytes: bytes,
            max_compression_ratio: ratio,
            ..Limits::default()
        }
    }

    #[test]
    fn copies_within_limits_and_counts_across_members() {
        let mut b = Budget::new("zip", &limits(10, 1000));
        let mut out = Vec::new();
        let n = b
            .copy("a", 5, &mut &b"hello"[..], &mut out)
            .expect("within");
        assert_eq!((n, out.as_slice()), (5, &b"hello"[..]));
        let err = b
            .copy("b", 5, &mut &b"world!"[..], &mut out)
            .expect_err("total over 10 bytes");
        assert_eq!(
            err.to_string(),
            "zip: limit exceeded: the archive decompresses to more than 10 bytes (at b)"
        );
    }

    #[test]
    fn expansion_ratio_past_the_floor_is_a_bomb() {
        let zeros = vec![0u8; 3 << 20];
        let mut b = Budget::new("gzip", &limits(u64::MAX, 100));
        let err = b
            .copy("stream", 1000, &mut zeros.as_slice(), &mut std::io::sink())
            .expect_err("bomb");
        assert!(err.to_string().contains("expands more than 100x"), "{err}");
        let mut b = Budget::new("gzip", &limits(u64::MAX, 100));
        let small = vec![b' '; 500_000];
        b.copy("blanks", 10, &mut small.as_slice(), &mut std::io::sink())
            .expect("under the floor");
    }
}
