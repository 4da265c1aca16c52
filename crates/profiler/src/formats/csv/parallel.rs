//! The streaming pass over a whole file, on several threads when it is
//! large.
//!
//! The file is cut at line feeds into parts of about equal size (see
//! [`super::split`]); each part is read by a thread of its own (std scoped
//! threads: the profiler is synchronous) with its own column profilers,
//! and the parts' runs merge in file order, the first part keeping the
//! sample records and the first examples. A part that turns out not to
//! end between two records (the cut was inside a quoted value) voids the
//! split: the file is then read again, whole, on one thread.
//!
//! Only encodings where a line feed byte is always a line feed are split:
//! UTF-8 and the single-byte encodings.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use encoding_rs::UTF_8;
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::reader::{ReadPlan, run_error};
use super::run::{self, END_MARK, Run, RunError, RunSpec, Stop};
use super::split;
use crate::ProfileError;
use crate::encoding::{self, DecodedText, DetectedEncoding};

/// Smallest part worth a thread of its own.
pub const MIN_PART_BYTES: u64 = 4 << 20;

/// Threads used at most, whatever the machine.
const MAX_THREADS: usize = 8;

/// How many threads a file may be read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parallelism {
    pub threads: usize,
    /// A file is cut into parts of at least this many bytes.
    pub min_part_bytes: u64,
}

impl Parallelism {
    /// One thread per core, up to [`MAX_THREADS`], for parts of at least
    /// [`MIN_PART_BYTES`].
    pub fn of_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Parallelism {
            threads: cores.clamp(1, MAX_THREADS),
            min_part_bytes: MIN_PART_BYTES,
        }
    }

    fn parts_for(&self, len: u64) -> usize {
        let by_size = usize::try_from(len / self.min_part_bytes.max(1)).unwrap_or(usize::MAX);
        by_size.clamp(1, self.threads.max(1))
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
pub fn read_file(
    path: &Path,
    detected: &DetectedEncoding,
    plan: &ReadPlan<'_>,
    check_utf8: bool,
    parallelism: Parallelism,
) -> Result<Run, PassError> {
    let io = |e| PassError::Failed(ProfileError::io("read", e));
    let mut file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let parts = parallelism.parts_for(len);
    if parts > 1 && splittable(detected) {
        let field_count = plan.names.len();
        let cuts =
            split::cut_points(&mut file, len, parts, plan.syntax, field_count).map_err(io)?;
        if !cuts.is_empty() {
            match read_parts(path, detected, plan, &cuts, len, check_utf8) {
                Some(result) => return result,
                None => tracing::debug!(?cuts, "a cut fell inside a record; reading on one thread"),
            }
        }
    }
    file.rewind().map_err(io)?;
    let text = encoding::decode(file, detected).map_err(io)?;
    let stop = Stop::default();
    let spec = RunSpec {
        index: 0,
        skip_records: plan.skip_records,
        marked_end: false,
        check_utf8,
        stop: &stop,
    };
    run::read_run(text, plan, &spec).map_err(|err| pass_error(err, 0, plan))
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

/// Reads the parts that start at 0 and at each cut, one thread each, and
/// merges their runs; `None` when a part did not end between records.
pub(super) fn read_parts(
    path: &Path,
    detected: &DetectedEncoding,
    plan: &ReadPlan<'_>,
    cuts: &[u64],
    len: u64,
    check_utf8: bool,
) -> Option<Result<Run, PassError>> {
    let starts = std::iter::once(0).chain(cuts.iter().copied());
    let ends = cuts.iter().copied().chain(std::iter::once(len));
    let ranges: Vec<(u64, u64)> = starts.zip(ends).collect();
    let stop = Stop::default();
    let read = |index: usize| {
        let (start, end) = ranges[index];
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
        match &result {
            Err(RunError::NotUtf8) => stop.every(),
            Err(_) => stop.after(index),
            Ok(_) => {}
        }
        result
    };
    tracing::debug!(parts = ranges.len(), ?cuts, "csv read in parts");
    let results: Vec<Result<Run, RunError>> = std::thread::scope(|scope| {
        let read = &read;
        let others: Vec<_> = (1..ranges.len())
            .map(|index| scope.spawn(move || read(index)))
            .collect();
        let first = read(0);
        std::iter::once(first)
            .chain(others.into_iter().map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            }))
            .collect()
    });
    merge_in_order(results, plan)
}

/// Merges the parts' runs in file order. A part's run (or error) counts
/// only when the part before it ended between two records.
fn merge_in_order(
    results: Vec<Result<Run, RunError>>,
    plan: &ReadPlan<'_>,
) -> Option<Result<Run, PassError>> {
    if results.iter().any(|r| matches!(r, Err(RunError::NotUtf8))) {
        // Bytes that are not UTF-8 are so wherever the records start.
        return Some(Err(PassError::NotUtf8));
    }
    let mut merged: Option<Run> = None;
    for result in results {
        let offset = merged.as_ref().map_or(0, |run| run.text_bytes);
        if merged.as_ref().is_some_and(|run| !run.ends_between_records) {
            return None;
        }
        let run = match result {
            Ok(run) => run,
            // Only a failed earlier part stops a later one.
            Err(RunError::Stopped) => return None,
            Err(err) => return Some(Err(pass_error(err, offset, plan))),
        };
        match &mut merged {
            None => merged = Some(run),
            Some(before) => before.merge(run, plan.opts.sample_size),
        }
    }
    merged.map(Ok)
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
        DecodedText::Transcoded(Box::new(decoder))
    };
    Ok(if marked {
        Box::new(text.chain(END_MARK))
    } else {
        Box::new(text)
    })
}
