//! The streaming pass over a whole file, on several threads when it is
//! large.
//!
//! The file is cut at line feeds into parts of about equal size (see
//! [`super::split`]), one or a few per thread; threads (std scoped
//! threads: the profiler is synchronous) take the parts in turns, each
//! read with column profilers of its own, and the parts' runs merge in
//! file order ([`super::merge`]), the first part keeping the sample
//! records and the first examples. A part that turns out not to end
//! between two records (the cut was inside a quoted value) voids the
//! split: the file is then read again, whole, on one thread.
//!
//! Only encodings where a line feed byte is always a line feed are split:
//! UTF-8 and the single-byte encodings.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use encoding_rs::UTF_8;
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::merge::InOrder;
use super::reader::{ReadPlan, run_error};
use super::run::{self, END_MARK, Run, RunError, RunSpec, Stop};
use super::split;
use crate::ProfileError;
use crate::encoding::{self, DecodedText, DetectedEncoding};
use crate::source::{self, SourceFile};

/// Smallest part worth reading apart.
pub const MIN_PART_BYTES: u64 = 4 << 20;

/// Size of part above which a thread gets several: more, smaller parts
/// even out the threads' work when the machine is busy with other things,
/// but each part costs its columns a fresh start (measured: 16 parts of a
/// 100 MB file take 15 % more CPU time than 2).
pub const BALANCE_PART_BYTES: u64 = 32 << 20;

/// Threads used at most, whatever the machine.
const MAX_THREADS: usize = 8;

/// Parts per thread at most.
const PARTS_PER_THREAD: u64 = 8;

/// How many threads a file may be read with, in how many parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parallelism {
    pub threads: usize,
    /// Parts have at least this many bytes.
    pub min_part_bytes: u64,
    /// Each thread gets one more part per this many bytes it reads (up to
    /// [`PARTS_PER_THREAD`]).
    pub balance_part_bytes: u64,
}

impl Parallelism {
    /// One thread per core, up to [`MAX_THREADS`], for parts of at least
    /// [`MIN_PART_BYTES`].
    pub fn of_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Parallelism {
            threads: cores.clamp(1, MAX_THREADS),
            min_part_bytes: MIN_PART_BYTES,
            balance_part_bytes: BALANCE_PART_BYTES,
        }
    }

    /// A multiple of the threads, as parts of a few tens of MB allow, but
    /// no part below the minimum. Shared by the CSV and JSON readers.
    pub(crate) fn parts_for(&self, len: u64) -> usize {
        let threads = self.threads.max(1) as u64;
        if threads == 1 {
            return 1;
        }
        let per_thread =
            (len / threads / self.balance_part_bytes.max(1)).clamp(1, PARTS_PER_THREAD);
        let most = len / self.min_part_bytes.max(1);
        usize::try_from((threads * per_thread).min(most).max(1)).unwrap_or(1)
    }
}

/// Why the pass has no run.
#[derive(Debug)]
pub enum PassError {
    /// The text was read as UTF-8 on trust and is not.
    NotUtf8,
    Failed(ProfileError),
}

/// Reads every record of the file at `path`, decoded as `detected` says.
/// With `check_utf8`, the file is read as UTF-8 and checked on the way.
///
/// A file still downloading has no size to split by: it is read on one
/// thread as it comes. When the download ends while that pass is still
/// near the start of the file, the pass is dropped and the whole file read
/// again in parts, which then takes less time than reading on (see
/// [`worth_restarting`]).
pub fn read_file(
    path: &Path,
    detected: &DetectedEncoding,
    plan: &ReadPlan<'_>,
    check_utf8: bool,
    parallelism: Parallelism,
) -> Result<Run, PassError> {
    let io = |e| PassError::Failed(ProfileError::io("read", e));
    let file = source::open(path, plan.opts).map_err(io)?;
    if file.complete_len().map_err(io)?.is_none() {
        tracing::debug!(path = %path.display(), "csv read on one thread while it downloads");
        match read_while_downloading(file, detected, plan, check_utf8, parallelism) {
            Some(result) => return result,
            None => tracing::debug!(
                path = %path.display(),
                "the download ended early: csv read again, in parts"
            ),
        }
    }
    let file = source::open(path, plan.opts).map_err(io)?;
    let len = file.complete_len().map_err(io)?;
    let mut file = file.into_whole().map_err(io)?;
    let len = match len {
        Some(len) => len,
        None => file.metadata().map_err(io)?.len(),
    };
    let parts = parallelism.parts_for(len);
    if parts > 1 && splittable(detected) {
        let field_count = plan.names.len();
        let cuts =
            split::cut_points(&mut file, len, parts, plan.syntax, field_count).map_err(io)?;
        if !cuts.is_empty() {
            let threads = parallelism.threads;
            match read_parts(path, detected, plan, &cuts, len, check_utf8, threads) {
                Some(result) => return result,
                None => tracing::debug!(?cuts, "a cut fell inside a record; reading on one thread"),
            }
        }
    }
    file.rewind().map_err(io)?;
    read_one_run(file, detected, plan, check_utf8, &Stop::default())
}

/// The whole text of `file` read as one run.
fn read_one_run<R: Read>(
    file: R,
    detected: &DetectedEncoding,
    plan: &ReadPlan<'_>,
    check_utf8: bool,
    stop: &Stop,
) -> Result<Run, PassError> {
    let text = encoding::decode(file, detected)
        .map_err(|e| PassError::Failed(ProfileError::io("read", e)))?;
    let spec = RunSpec {
        index: 0,
        skip_records: plan.skip_records,
        marked_end: false,
        check_utf8,
        stop,
    };
    run::read_run(text, plan, &spec).map_err(|err| pass_error(err, 0, plan))
}

/// Reads a file that is still downloading on one thread; `None` when the
/// pass was given up because the download ended early (the whole file is
/// then better read in parts).
pub(super) fn read_while_downloading(
    file: SourceFile,
    detected: &DetectedEncoding,
    plan: &ReadPlan<'_>,
    check_utf8: bool,
    parallelism: Parallelism,
) -> Option<Result<Run, PassError>> {
    let stop = Stop::default();
    let watched = UntilDownloaded {
        file,
        read: 0,
        ended: false,
        parts_allowed: splittable(detected).then_some(parallelism),
        stop: &stop,
    };
    match read_one_run(watched, detected, plan, check_utf8, &stop) {
        Err(PassError::Failed(_)) if stop.applies_to(0) => None,
        result => Some(result),
    }
}

/// Whether a file of `len` bytes, `read` of which a one-thread pass has
/// read, is read sooner again from the start in parts than on to its end:
/// with `t` threads, parts take about `1.3 / t` of the one-thread time
/// (their own columns and a busy machine cost about 30 %), the rest
/// `(len - read) / len` of it.
fn worth_restarting(read: u64, len: u64, parallelism: Parallelism) -> bool {
    let threads = parallelism.threads as u128;
    let parts = parallelism.parts_for(len);
    parts > 1
        && threads >= 2
        && u128::from(read) * 10 * threads < u128::from(len) * (10 * threads - 13)
}

/// The file of a one-thread pass over a download: when the download ends,
/// tells the pass to stop if reading the whole file again in parts is
/// faster ([`worth_restarting`]).
struct UntilDownloaded<'s> {
    file: SourceFile,
    /// Bytes handed to the pass so far.
    read: u64,
    /// The download's end has been seen (and the choice made).
    ended: bool,
    /// The parallelism of a restart, if the encoding can be split.
    parts_allowed: Option<Parallelism>,
    stop: &'s Stop,
}

impl Read for UntilDownloaded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.ended
            && let Some(len) = self.file.complete_len()?
        {
            self.ended = true;
            if self
                .parts_allowed
                .is_some_and(|parallelism| worth_restarting(self.read, len, parallelism))
            {
                tracing::debug!(
                    read = self.read,
                    len,
                    "download ended early in the csv pass"
                );
                self.stop.every();
            }
        }
        let n = self.file.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

fn splittable(detected: &DetectedEncoding) -> bool {
    detected.encoding == UTF_8 || detected.encoding.is_single_byte()
}

fn pass_error(err: RunError, offset: u64, plan: &ReadPlan<'_>) -> PassError {
    match err {
        RunError::NotUtf8 => PassError::NotUtf8,
        err => PassError::Failed(run_error(err, offset, plan.opts.limits.max_record_bytes)),
    }
}

/// Reads the parts that start at 0 and at each cut on `threads` threads,
/// each taking the next part not yet taken (so that a thread slowed down
/// by the rest of the machine does less of the work), and merges their
/// runs in order; `None` when a part did not end between records.
pub(super) fn read_parts(
    path: &Path,
    detected: &DetectedEncoding,
    plan: &ReadPlan<'_>,
    cuts: &[u64],
    len: u64,
    check_utf8: bool,
    threads: usize,
) -> Option<Result<Run, PassError>> {
    let starts = std::iter::once(0).chain(cuts.iter().copied());
    let ends = cuts.iter().copied().chain(std::iter::once(len));
    let ranges: Vec<(u64, u64)> = starts.zip(ends).collect();
    let stop = Stop::default();
    let read = |index: usize, (start, end): (u64, u64)| {
        let spec = RunSpec {
            index,
            skip_records: if index == 0 { plan.skip_records } else { 0 },
            marked_end: index + 1 < ranges.len(),
            check_utf8,
            stop: &stop,
        };
        let result = part_text(path, detected, start, end, spec.marked_end)
            .map_err(|e| RunError::Failed(ProfileError::io("read", e)))
            .and_then(|text| run::read_run(text, plan, &spec));
        if result.is_err() {
            stop.after(index);
        }
        result
    };
    let next_part = AtomicUsize::new(0);
    let merger = Mutex::new(InOrder::new(ranges.len(), plan));
    let work = || {
        loop {
            let index = next_part.fetch_add(1, Ordering::Relaxed);
            let Some(&range) = ranges.get(index) else {
                break;
            };
            if stop.applies_to(index) {
                break;
            }
            let result = read(index, range);
            let go_on = merger
                .lock()
                .is_ok_and(|mut merger| merger.offer(index, result));
            if !go_on {
                stop.every();
                break;
            }
        }
    };
    let threads = threads.clamp(1, ranges.len());
    tracing::debug!(parts = ranges.len(), threads, "csv read in parts");
    crate::threads::run_scoped(threads, "csv-part", work);
    merger.into_inner().ok()?.finish()
}

/// The decoded text of bytes `start..end` of the file, with [`END_MARK`]
/// after it when `marked`.
fn part_text<'a>(
    path: &Path,
    detected: &DetectedEncoding,
    start: u64,
    end: u64,
    marked: bool,
) -> io::Result<Box<dyn Read + 'a>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let bytes = file.take(end - start);
    let text: DecodedText<_> = if start == 0 {
        // The byte-order mark, if any, is skipped here.
        encoding::decode(bytes, detected)?
    } else if detected.is_clean_utf8() {
        DecodedText::Raw(bytes)
    } else {
        let decoder = DecodeReaderBytesBuilder::new()
            .encoding(Some(detected.encoding))
            .bom_sniffing(false)
            .utf8_passthru(false)
            .build(bytes);
        DecodedText::transcoded(decoder)
    };
    Ok(if marked {
        Box::new(text.chain(END_MARK))
    } else {
        Box::new(text)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_restarts_in_parts_only_near_the_start_of_a_large_file() {
        const MB: u64 = 1_000_000;
        let two = Parallelism {
            threads: 2,
            min_part_bytes: MIN_PART_BYTES,
            balance_part_bytes: BALANCE_PART_BYTES,
        };
        // Two threads: parts take about 65 % of the one-thread time.
        assert!(worth_restarting(0, 100 * MB, two));
        assert!(worth_restarting(34 * MB, 100 * MB, two));
        assert!(!worth_restarting(35 * MB, 100 * MB, two));
        assert!(!worth_restarting(90 * MB, 100 * MB, two));
        // Too small to be split: never.
        assert!(!worth_restarting(0, 5 * MB, two));
        let one = Parallelism { threads: 1, ..two };
        assert!(!worth_restarting(0, 100 * MB, one));
        // Eight threads: parts take about 16 % of it.
        let eight = Parallelism { threads: 8, ..two };
        assert!(worth_restarting(80 * MB, 100 * MB, eight));
        assert!(!worth_restarting(84 * MB, 100 * MB, eight));
    }

    #[test]
    fn parts_by_size_and_threads() {
        let two = Parallelism {
            threads: 2,
            min_part_bytes: MIN_PART_BYTES,
            balance_part_bytes: BALANCE_PART_BYTES,
        };
        const MB: u64 = 1_000_000;
        assert_eq!(two.parts_for(5 * MB), 1);
        assert_eq!(two.parts_for(10 * MB), 2);
        assert_eq!(two.parts_for(100 * MB), 2);
        assert_eq!(two.parts_for(200 * MB), 4);
        assert_eq!(two.parts_for(1000 * MB), 16);
        let one = Parallelism { threads: 1, ..two };
        assert_eq!(one.parts_for(1000 * MB), 1);
    }
}
