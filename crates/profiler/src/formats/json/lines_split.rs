//! NDJSON on several threads: the file is cut right after line feeds
//! (a JSON value on one line holds no raw line feed, so every line feed
//! ends a line), each part's lines are read by a reader of its own, and
//! the parts merge in file order.
//!
//! Which reader (records or features) every part uses is decided first,
//! from the first valid value of the file, as the one-thread read decides
//! it. Only UTF-8 is split; a part that fails in any way (a line too long,
//! too deep, bytes that are not UTF-8) voids the attempt and the file is
//! read again on one thread, which reports the error with its line.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::failure::Attempt;
use super::ndjson::{LinesRun, read_lines, reader_from_head};
use super::parts::{PartText, ranges, read_in_parts};
use super::source::{ByteStats, Decoding};
use crate::formats::csv::parallel::Parallelism;
use crate::{ProfileError, ProfileOptions};

/// Bytes read at a cut point to look for a line feed.
const WINDOW: u64 = 1 << 20;

/// Lines read at most to find the first valid value.
const HEAD_LINES: u64 = 1000;

/// Reads the file in parts when it is UTF-8 and large enough; `None` when
/// it is read on one thread instead.
pub(crate) fn read(
    path: &Path,
    decoding: Decoding,
    opts: &ProfileOptions,
    parallelism: &Parallelism,
) -> Result<Option<(LinesRun, ByteStats)>, Attempt> {
    let Decoding::Utf8 { bom } = decoding else {
        return Ok(None);
    };
    let io = |e| Attempt::Failed(ProfileError::io("read", e));
    let mut file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let parts = parallelism.parts_for(len);
    if parts < 2 {
        return Ok(None);
    }
    let first = if bom { 3 } else { 0 };
    let mut head = PartText::open(path, (first, len)).map_err(io)?;
    let Some(kind) = reader_from_head(&mut head.reader, opts, HEAD_LINES) else {
        return Ok(None);
    };
    let cuts = cut_points(&mut file, first, len, parts).map_err(io)?;
    if cuts.is_empty() {
        return Ok(None);
    }
    let ranges = ranges(first, &cuts, len, false);
    tracing::debug!(
        parts = ranges.len(),
        threads = parallelism.threads,
        "ndjson read in parts"
    );
    let read_part = |index, range| {
        let mut text = PartText::open(path, range).ok()?;
        text.stats.leave_utf8_to_reader();
        let reader = kind.same_kind(opts, index == 0);
        let run = read_lines(&mut text.reader, decoding, opts, Some(reader)).ok()?;
        Some((run, text.stats.get()))
    };
    let merge = |(run, stats): &mut (LinesRun, ByteStats),
                 (next, next_stats): (LinesRun, ByteStats)| {
        stats.non_ascii |= next_stats.non_ascii;
        stats.c1_controls |= next_stats.c1_controls;
        run.merge(next).is_ok()
    };
    let merged = read_in_parts(&ranges, parallelism.threads, read_part, merge);
    if merged.is_none() {
        tracing::debug!("an NDJSON part failed; reading on one thread");
    }
    Ok(merged)
}

/// Where parts 2, 3... start: right after the first line feed at or after
/// each `len / parts` step; fewer when a step has no line feed near it.
fn cut_points(file: &mut File, first: u64, len: u64, parts: usize) -> std::io::Result<Vec<u64>> {
    let mut cuts: Vec<u64> = Vec::with_capacity(parts.saturating_sub(1));
    let mut window = Vec::new();
    for i in 1..parts as u64 {
        let target = (len / parts as u64 * i).max(first);
        if cuts.last().is_some_and(|&last| target < last) {
            continue;
        }
        file.seek(SeekFrom::Start(target))?;
        window.clear();
        file.by_ref().take(WINDOW).read_to_end(&mut window)?;
        if let Some(at) = memchr::memchr(b'\n', &window) {
            let cut = target + at as u64 + 1;
            if cut < len && cuts.last().is_none_or(|&last| cut > last) {
                cuts.push(cut);
            }
        }
    }
    Ok(cuts)
}
