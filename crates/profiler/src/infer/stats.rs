//! Type-independent statistics of one column: distinct count, value
//! counts for low-cardinality columns, examples, and the lexical min/max
//! used when the column ends up a string.
//!
//! Memory is bounded in three steps: values with their counts while the
//! column has at most `top_values_max_cardinality` distinct values (so
//! `top_values` can be reported), then 64-bit hashes only up to
//! `distinct_cap` (exact count), then a [`HyperLogLog`] sketch (estimate).
//!
//! In the last two steps a value's hash waits in a short queue, and the
//! queue goes into the set or the sketch in one tight loop: looked up one
//! by one between the other work a cell costs, their table slots and
//! registers are out of cache on a large file and each lookup waits for
//! memory on its own (measured: a quarter of the profiling time); in a
//! loop, the lookups' memory accesses overlap. The order of the values,
//! and so the result, is unchanged.

use std::collections::HashMap;

use serde_json::Value;

use super::InferOptions;
use super::hash::{PassThroughBuild, tail_word};
use super::hashset::HashSet64;
use super::hll::HyperLogLog;

#[derive(Debug, Clone)]
enum Distinct {
    /// Every distinct value, by hash, with its text and count.
    Counted(HashMap<u64, (Box<str>, u64), PassThroughBuild>),
    /// Hashes of every distinct value.
    Hashed(HashSet64),
    Sketched(Box<HyperLogLog>),
}

/// Hashes queued before they go into the set or the sketch.
const QUEUE_LEN: usize = 256;

#[derive(Debug, Clone)]
pub(crate) struct ValueStats {
    distinct: Distinct,
    /// Hashes not yet in `distinct` (only while it is `Hashed` or
    /// `Sketched`).
    queued: Vec<u64>,
    /// First distinct values in arrival order, with their hashes.
    examples: Vec<(u64, Value)>,
    str_min: Option<Extreme>,
    str_max: Option<Extreme>,
}

/// The lexical minimum or maximum so far, with its first bytes as a
/// number: most values differ from it in their first 8 bytes, and two
/// integers compare faster than two strings.
#[derive(Debug, Clone)]
struct Extreme {
    text: String,
    key: u64,
}

/// The first 8 bytes of `bytes` as a big-endian number, zero-padded. When
/// two keys differ, they order their texts as the texts order themselves
/// (a shorter text pads with zeros, which sort first, as a prefix does);
/// equal keys say nothing.
fn prefix_key(bytes: &[u8]) -> u64 {
    match bytes.first_chunk::<8>() {
        Some(head) => u64::from_be_bytes(*head),
        None if bytes.is_empty() => 0,
        None => tail_word(bytes).swap_bytes(),
    }
}

impl ValueStats {
    pub(crate) fn new() -> Self {
        ValueStats {
            distinct: Distinct::Counted(HashMap::default()),
            queued: Vec::new(),
            examples: Vec::new(),
            str_min: None,
            str_max: None,
        }
    }

    /// Counts one non-null value, given as written and by its hash; true
    /// when it is known to have been counted before (while every distinct
    /// value is kept), and so added nothing but its count.
    pub(crate) fn observe(&mut self, text: &str, hash: u64, opts: &InferOptions) -> bool {
        match &mut self.distinct {
            Distinct::Counted(map) => match map.get_mut(&hash) {
                Some((_, count)) => {
                    *count += 1;
                    return true;
                }
                None => {
                    map.insert(hash, (text.into(), 1));
                    self.settle(opts);
                }
            },
            Distinct::Hashed(_) | Distinct::Sketched(_) => {
                if self.queued.capacity() == 0 {
                    self.queued.reserve_exact(QUEUE_LEN);
                }
                self.queued.push(hash);
                if self.queued.len() >= QUEUE_LEN {
                    self.flush(opts);
                }
            }
        }
        let key = prefix_key(text.as_bytes());
        update_min(&mut self.str_min, text, key);
        update_max(&mut self.str_max, text, key);
        false
    }

    /// Puts the queued hashes into the set or the sketch, in arrival order.
    pub(crate) fn flush(&mut self, opts: &InferOptions) {
        let queued = std::mem::take(&mut self.queued);
        for &hash in &queued {
            match &mut self.distinct {
                Distinct::Hashed(set) => {
                    if set.insert(hash) {
                        self.settle(opts);
                    }
                }
                Distinct::Sketched(hll) => hll.insert(hash),
                // Unreachable: values are queued only past this stage.
                Distinct::Counted(_) => {}
            }
        }
        self.queued = queued;
        self.queued.clear();
    }

    /// Whether another example is wanted (so callers build none for nothing).
    pub(crate) fn wants_example(&self, hash: u64, opts: &InferOptions) -> bool {
        self.examples.len() < opts.examples && !self.examples.iter().any(|(h, _)| *h == hash)
    }

    pub(crate) fn add_example(&mut self, hash: u64, example: Value) {
        self.examples.push((hash, example));
    }

    /// Moves to the next, cheaper representation once a bound is passed.
    fn settle(&mut self, opts: &InferOptions) {
        let counted_cap = usize::try_from(opts.top_values_max_cardinality).unwrap_or(usize::MAX);
        if let Distinct::Counted(map) = &self.distinct
            && map.len() > counted_cap
        {
            let set = map.keys().copied().collect();
            self.distinct = Distinct::Hashed(set);
        }
        let too_many = match &self.distinct {
            Distinct::Counted(map) => map.len() > opts.distinct_cap,
            Distinct::Hashed(set) => set.len() > opts.distinct_cap,
            Distinct::Sketched(_) => false,
        };
        if too_many {
            let mut hll = HyperLogLog::new();
            match &self.distinct {
                Distinct::Counted(map) => map.keys().for_each(|h| hll.insert(*h)),
                Distinct::Hashed(set) => set.iter().for_each(|h| hll.insert(h)),
                Distinct::Sketched(_) => {}
            }
            self.distinct = Distinct::Sketched(Box::new(hll));
        }
    }

    /// Folds in the statistics of a later part of the column.
    pub(crate) fn merge(&mut self, mut other: ValueStats, opts: &InferOptions) {
        self.flush(opts);
        other.flush(opts);
        let mine = std::mem::replace(&mut self.distinct, Distinct::Counted(HashMap::default()));
        self.distinct = match (mine, other.distinct) {
            (Distinct::Counted(mut a), Distinct::Counted(b)) => {
                for (hash, (text, count)) in b {
                    a.entry(hash).or_insert((text, 0)).1 += count;
                }
                Distinct::Counted(a)
            }
            (Distinct::Sketched(mut a), b) | (b, Distinct::Sketched(mut a)) => {
                match b {
                    Distinct::Counted(map) => map.keys().for_each(|h| a.insert(*h)),
                    Distinct::Hashed(set) => set.iter().for_each(|h| a.insert(h)),
                    Distinct::Sketched(other) => a.merge(&other),
                }
                Distinct::Sketched(a)
            }
            (Distinct::Hashed(mut a), Distinct::Counted(b))
            | (Distinct::Counted(b), Distinct::Hashed(mut a)) => {
                a.extend(b.keys().copied());
                Distinct::Hashed(a)
            }
            (Distinct::Hashed(mut a), Distinct::Hashed(b)) => {
                a.extend(b.iter());
                Distinct::Hashed(a)
            }
        };
        self.settle(opts);
        for (hash, example) in other.examples {
            if self.wants_example(hash, opts) {
                self.examples.push((hash, example));
            }
        }
        if let Some(min) = other.str_min {
            update_min(&mut self.str_min, &min.text, min.key);
        }
        if let Some(max) = other.str_max {
            update_max(&mut self.str_max, &max.text, max.key);
        }
    }

    /// The distinct count and whether it is an estimate (after
    /// [`ValueStats::flush`]).
    pub(crate) fn distinct_count(&self) -> (u64, bool) {
        match &self.distinct {
            Distinct::Counted(map) => (map.len() as u64, false),
            Distinct::Hashed(set) => (set.len() as u64, false),
            Distinct::Sketched(hll) => (hll.estimate(), true),
        }
    }

    /// Every distinct value with its count, while they are all kept.
    pub(crate) fn value_counts(&self) -> Option<Vec<(&str, u64)>> {
        match &self.distinct {
            Distinct::Counted(map) => Some(map.values().map(|(t, c)| (&**t, *c)).collect()),
            _ => None,
        }
    }

    pub(crate) fn examples(&self) -> impl Iterator<Item = &Value> {
        self.examples.iter().map(|(_, v)| v)
    }

    pub(crate) fn string_min_max(&self) -> (Option<&str>, Option<&str>) {
        (
            self.str_min.as_ref().map(|m| m.text.as_str()),
            self.str_max.as_ref().map(|m| m.text.as_str()),
        )
    }
}

/// Replaces the kept minimum, reusing its buffer (a sorted column would
/// otherwise allocate on every row).
fn update_min(slot: &mut Option<Extreme>, text: &str, key: u64) {
    match slot {
        Some(current)
            if key < current.key || (key == current.key && text < current.text.as_str()) =>
        {
            current.text.clear();
            current.text.push_str(text);
            current.key = key;
        }
        Some(_) => {}
        None => {
            *slot = Some(Extreme {
                text: text.to_owned(),
                key,
            });
        }
    }
}

fn update_max(slot: &mut Option<Extreme>, text: &str, key: u64) {
    match slot {
        Some(current)
            if key > current.key || (key == current.key && text > current.text.as_str()) =>
        {
            current.text.clear();
            current.text.push_str(text);
            current.key = key;
        }
        Some(_) => {}
        None => {
            *slot = Some(Extreme {
                text: text.to_owned(),
                key,
            });
        }
    }
}

/// Cuts a value to `max_chars` characters, marking the cut with `…`.
pub(crate) fn cut(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => {
            let mut out = String::with_capacity(end + 3);
            out.push_str(&text[..end]);
            out.push('…');
            out
        }
        None => text.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::hash::hash_bytes;
    use super::*;

    fn feed(stats: &mut ValueStats, values: &[&str], opts: &InferOptions) {
        for v in values {
            let h = hash_bytes(v.as_bytes());
            stats.observe(v, h, opts);
            if stats.wants_example(h, opts) {
                stats.add_example(h, Value::String((*v).to_owned()));
            }
        }
        stats.flush(opts);
    }

    #[test]
    fn counts_distinct_exactly_then_switches_to_hashes() {
        let opts = InferOptions {
            top_values_max_cardinality: 3,
            ..InferOptions::default()
        };
        let mut stats = ValueStats::new();
        feed(&mut stats, &["a", "b", "a", "c"], &opts);
        let mut counts = stats.value_counts().unwrap();
        counts.sort();
        assert_eq!(counts, vec![("a", 2), ("b", 1), ("c", 1)]);
        feed(&mut stats, &["d", "a"], &opts);
        assert!(stats.value_counts().is_none());
        assert_eq!(stats.distinct_count(), (4, false));
        assert_eq!(stats.string_min_max(), (Some("a"), Some("d")));
    }

    proptest::proptest! {
        #[test]
        fn prefix_keys_order_as_texts_do(a in "[a\\x00é0-9 ]{0,12}", b in "[a\\x00é0-9 ]{0,12}") {
            let (ka, kb) = (prefix_key(a.as_bytes()), prefix_key(b.as_bytes()));
            if ka != kb {
                proptest::prop_assert_eq!(ka < kb, a < b, "{:?} {:?}", a, b);
            }
        }
    }

    #[test]
    fn min_and_max_by_prefix_then_whole_text() {
        let opts = InferOptions::default();
        let mut stats = ValueStats::new();
        feed(
            &mut stats,
            &[
                "Aide Nîmes n°2",
                "Aide Nîmes n°10",
                "A",
                "",
                "Aide Nîmes n°2 bis",
            ],
            &opts,
        );
        assert_eq!(
            stats.string_min_max(),
            (Some(""), Some("Aide Nîmes n°2 bis"))
        );
    }

    #[test]
    fn cut_marks_the_cut() {
        assert_eq!(cut("Château", 4), "Chât…");
        assert_eq!(cut("abc", 3), "abc");
    }
}
