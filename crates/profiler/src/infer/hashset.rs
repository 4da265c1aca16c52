//! A set of 64-bit value hashes, in one flat array.
//!
//! A column's exact distinct count keeps up to `distinct_cap` (10,000)
//! hashes and looks one up for every cell. With a general-purpose table a
//! lookup touches two cache lines (control bytes, then the bucket), and on
//! a large file both are usually out of cache: measured, that was a third
//! of the profiling time. Here the hashes sit in one array probed
//! linearly, so a lookup touches one line, two at worst. The keys are
//! [`super::hash::hash_bytes`] outputs, already well mixed, so their low
//! bits index the array directly.

/// Slots per element at most, as a fraction: the table grows past 70 %.
const MAX_LOAD_NUM: usize = 7;
const MAX_LOAD_DEN: usize = 10;
const MIN_SLOTS: usize = 64;

#[derive(Debug, Clone, Default)]
pub(crate) struct HashSet64 {
    /// `0` marks an empty slot; the hash `0` itself is kept in `zero`.
    slots: Vec<u64>,
    /// Non-zero hashes held.
    len: usize,
    zero: bool,
}

impl HashSet64 {
    /// Number of hashes held.
    pub(crate) fn len(&self) -> usize {
        self.len + usize::from(self.zero)
    }

    /// Adds `hash`; true when it was not there yet.
    pub(crate) fn insert(&mut self, hash: u64) -> bool {
        if hash == 0 {
            return !std::mem::replace(&mut self.zero, true);
        }
        if (self.len + 1) * MAX_LOAD_DEN > self.slots.len() * MAX_LOAD_NUM {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        loop {
            match self.slots.get_mut(at) {
                Some(slot) if *slot == hash => return false,
                Some(slot) if *slot == 0 => {
                    *slot = hash;
                    self.len += 1;
                    return true;
                }
                Some(_) => at = (at + 1) & mask,
                // Unreachable: `at` is masked to the table's size.
                None => return false,
            }
        }
    }

    /// Every hash held, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.zero
            .then_some(0)
            .into_iter()
            .chain(self.slots.iter().copied().filter(|&h| h != 0))
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        self.len = 0;
        for hash in old.into_iter().filter(|&h| h != 0) {
            self.insert(hash);
        }
    }
}

impl Extend<u64> for HashSet64 {
    fn extend<I: IntoIterator<Item = u64>>(&mut self, hashes: I) {
        for hash in hashes {
            self.insert(hash);
        }
    }
}

impl FromIterator<u64> for HashSet64 {
    fn from_iter<I: IntoIterator<Item = u64>>(hashes: I) -> Self {
        let mut set = HashSet64::default();
        set.extend(hashes);
        set
    }
}

#[cfg(test)]
mod tests {
    use super::super::hash::hash_bytes;
    use super::*;

    #[test]
    fn counts_each_hash_once() {
        let mut set = HashSet64::default();
        for round in 0..2 {
            for i in 0..5_000u32 {
                let fresh = set.insert(hash_bytes(format!("v{i}").as_bytes()));
                assert_eq!(fresh, round == 0, "{i}");
            }
        }
        assert!(set.insert(0));
        assert!(!set.insert(0));
        assert_eq!(set.len(), 5_001);
        assert_eq!(set.iter().count(), 5_001);
        let copy: HashSet64 = set.iter().collect();
        assert_eq!(copy.len(), 5_001);
    }

    #[test]
    fn colliding_low_bits_probe_on() {
        // Same low bits, different hashes: all kept.
        let mut set = HashSet64::default();
        for i in 1..=100u64 {
            assert!(set.insert(i << 40));
        }
        assert!(!set.insert(5 << 40));
        assert_eq!(set.len(), 100);
    }
}
