//! Reading a large UTF-8 JSON file in parts, on several threads.
//!
//! The format readers ([`super::lines_split`] for NDJSON,
//! [`super::collection_split`] for a FeatureCollection) choose where the
//! parts start and how a part is read; here the parts are read on std
//! scoped threads, which take them in turns so that a thread slowed down
//! by the rest of the machine does less of the work, and their results
//! are merged in file order as they come in. Any failure stops the other
//! threads and voids the whole attempt: the caller then reads the file on
//! one thread, which gives the exact error (with its line number) or finds
//! that a cut was a bad guess.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::source::{StatsHandle, watch};

/// Buffer of a part's reader.
const PART_BUFFER: usize = 256 * 1024;

/// Bytes `start..end` of a file, buffered, with their statistics.
pub(crate) struct PartText {
    pub reader: BufReader<Box<dyn Read>>,
    pub stats: StatsHandle,
}

impl PartText {
    pub fn open(path: &Path, (start, end): (u64, u64)) -> io::Result<PartText> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(start))?;
        let (watched, stats) = watch(file.take(end.saturating_sub(start)));
        let text: Box<dyn Read> = Box::new(watched);
        Ok(PartText {
            reader: BufReader::with_capacity(PART_BUFFER, text),
            stats,
        })
    }
}

/// Parts read but not merged yet, and the merge of those before them.
struct InOrder<T> {
    /// The first part not merged yet.
    next: usize,
    merged: Option<T>,
    waiting: Vec<Option<T>>,
}

/// Runs `read` on every range, on up to `threads` threads, and folds the
/// results with `merge` in file order as they come in (so that only a few
/// wait at a time, whatever the number of parts); `None` as soon as one
/// part gives `None` or a merge fails.
pub(crate) fn read_in_parts<T: Send>(
    ranges: &[(u64, u64)],
    threads: usize,
    read: impl Fn(usize, (u64, u64)) -> Option<T> + Sync,
    merge: impl Fn(&mut T, T) -> bool + Sync,
) -> Option<T> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let state = Mutex::new(InOrder {
        next: 0,
        merged: None,
        waiting: (0..ranges.len()).map(|_| None).collect(),
    });
    let offer = |index: usize, result: T| -> bool {
        let Ok(mut state) = state.lock() else {
            return false;
        };
        let state = &mut *state;
        if let Some(slot) = state.waiting.get_mut(index) {
            *slot = Some(result);
        }
        while let Some(ready) = state.waiting.get_mut(state.next).and_then(Option::take) {
            match &mut state.merged {
                None => state.merged = Some(ready),
                Some(merged) => {
                    if !merge(merged, ready) {
                        return false;
                    }
                }
            }
            state.next += 1;
        }
        true
    };
    let work = || {
        while !failed.load(Ordering::Relaxed) {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(&range) = ranges.get(index) else {
                break;
            };
            let merged = read(index, range).is_some_and(|result| offer(index, result));
            if !merged {
                failed.store(true, Ordering::Relaxed);
            }
        }
    };
    let threads = threads.clamp(1, ranges.len().max(1));
    crate::threads::run_scoped(threads, "json-part", work);
    if failed.load(Ordering::Relaxed) {
        return None;
    }
    let state = state.into_inner().ok()?;
    (state.next == ranges.len())
        .then_some(state.merged)
        .flatten()
}

/// Byte ranges of the parts that start at `first` and after each cut (the
/// byte at a cut belongs to no part when `skip_cut_byte`).
pub(crate) fn ranges(first: u64, cuts: &[u64], len: u64, skip_cut_byte: bool) -> Vec<(u64, u64)> {
    let skip = u64::from(skip_cut_byte);
    let starts = std::iter::once(first).chain(cuts.iter().map(|c| c + skip));
    let ends = cuts.iter().copied().chain(std::iter::once(len));
    starts.zip(ends).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_merge_in_file_order_or_not_at_all() {
        let ranges = ranges(0, &[10, 20, 30], 40, true);
        assert_eq!(ranges, [(0, 10), (11, 20), (21, 30), (31, 40)]);
        let append = |all: &mut Vec<(usize, u64)>, next: Vec<(usize, u64)>| {
            all.extend(next);
            true
        };
        let got = read_in_parts(&ranges, 2, |i, (s, e)| Some(vec![(i, e - s)]), append);
        assert_eq!(got, Some(vec![(0, 10), (1, 9), (2, 9), (3, 9)]));
        let got = read_in_parts(&ranges, 2, |i, _| (i != 2).then_some(vec![(i, 0)]), append);
        assert_eq!(got, None);
        let refuse_third = |all: &mut Vec<usize>, next: Vec<usize>| {
            all.extend(next);
            all.len() < 3
        };
        let got = read_in_parts(&ranges, 2, |i, _| Some(vec![i]), refuse_third);
        assert_eq!(got, None);
    }
}
