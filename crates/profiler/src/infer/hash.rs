//! A fast, fixed-seed 64-bit hash for cell values, and a pass-through
//! hasher for tables whose keys already are such hashes.
//!
//! The seed is fixed so that two profilers of the same column (see
//! [`super::ColumnProfiler::merge`]) hash a value the same way: distinct
//! sets and HyperLogLog registers built in parts then merged equal the ones
//! built in one pass.

use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x243F_6A88_85A3_08D3;
const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// Hashes a value's bytes: one folded 64x64->128-bit multiply per 8-byte
/// word (the fold brings high product bits down, so a difference anywhere
/// in a word reaches every bit of the state before the next word is mixed
/// in), then the MurmurHash3 finaliser. HyperLogLog reads the top bits,
/// hash tables the low ones.
pub(crate) fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = SEED ^ (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = folded_multiply(h ^ u64::from_le_bytes(word), K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        h = folded_multiply(h ^ tail_word(rest), K);
    }
    fmix64(h)
}

/// The 1 to 7 bytes of `rest` as a little-endian word padded with zeros,
/// from two overlapping loads (copying them into a zeroed buffer costs a
/// `memcpy` call and a stalled load, a third of a short cell's time).
pub(crate) fn tail_word(rest: &[u8]) -> u64 {
    let len = rest.len();
    let byte = |i: usize| u64::from(rest.get(i).copied().unwrap_or(0));
    let u32_at = |i: usize| {
        let mut word = [0u8; 4];
        if let Some(src) = rest.get(i..i + 4) {
            word.copy_from_slice(src);
        }
        u64::from(u32::from_le_bytes(word))
    };
    if len >= 4 {
        // Bytes 0..4 and len-4..len: the overlap holds the same bits.
        u32_at(0) | (u32_at(len - 4) << (8 * (len - 4)))
    } else {
        byte(0) | (byte(len / 2) << (8 * (len / 2))) | (byte(len - 1) << (8 * (len - 1)))
    }
}

fn folded_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^= h >> 33;
    h
}

/// Uses a `u64` key as its own hash: the keys are [`hash_bytes`] outputs,
/// already well mixed, so hashing them again would only cost time.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub(crate) type PassThroughBuild = BuildHasherDefault<PassThrough>;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn equal_bytes_hash_equal_and_neighbours_differ() {
        assert_eq!(hash_bytes(b"01004"), hash_bytes(b"01004"));
        assert_ne!(hash_bytes(b"01004"), hash_bytes(b"1004"));
        assert_ne!(hash_bytes(b"a"), hash_bytes(b"a\0"));
        assert_ne!(hash_bytes(b"12345678"), hash_bytes(b"12345679"));
        assert_ne!(hash_bytes(b""), hash_bytes(b"\0"));
    }

    #[test]
    fn tail_words_are_zero_padded() {
        let bytes = b"\x01\x02\x03\x04\x05\x06\x07";
        for len in 1..=7 {
            let mut padded = [0u8; 8];
            padded[..len].copy_from_slice(&bytes[..len]);
            assert_eq!(
                tail_word(&bytes[..len]),
                u64::from_le_bytes(padded),
                "{len}"
            );
        }
        // Pinned: the hash of a value must not change between releases.
        assert_eq!(hash_bytes(b"01004"), 0xacc7_b4b8_ef59_2619);
    }

    #[test]
    fn no_collisions_on_structured_values() {
        let hashes: std::collections::HashSet<u64> = (0..200_000u32)
            .map(|i| hash_bytes(format!("value {i}").as_bytes()))
            .collect();
        assert_eq!(hashes.len(), 200_000);
    }

    #[test]
    fn top_bits_are_spread() {
        // 4096 sequential values over 16 buckets of the top 4 bits: each
        // bucket should get close to 256.
        let mut buckets = [0u32; 16];
        for i in 0..4096u32 {
            let h = hash_bytes(format!("row-{i}").as_bytes());
            buckets[(h >> 60) as usize] += 1;
        }
        for count in buckets {
            assert!((180..=330).contains(&count), "bucket {count}");
        }
    }
}
