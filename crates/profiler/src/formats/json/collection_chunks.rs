//! One part of a FeatureCollection, read in chunks of a quarter megabyte
//! that are parsed from memory.
//!
//! serde_json parses a slice several times faster than a reader (strings
//! are borrowed and scanned in bulk), so a part's bytes are read into a
//! buffer and cut again, after [`CHUNK`] bytes, at a comma between two
//! features found as [`super::collection_split`] finds part boundaries.
//! Each chunk is parsed as a document of its own
//! (`{"type":"FeatureCollection","features":[` + chunk + `]}`, the first
//! chunk of the file without that head, the last one of the file without
//! that tail), which checks the cut exactly: a chunk that does not parse
//! so voids the part. Memory stays at a few chunks per thread (more only
//! for one feature larger than a chunk, up to the record limit).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::de::DeserializeSeed;

use super::collection_split::{PREFIX, SUFFIX, feature_boundary};
use super::geojson::FeatureCollector;
use super::walk::{DepthCheck, Elements, Survey, SurveyReport};
use crate::ProfileOptions;

/// Bytes of a part parsed at once, at least (a quarter of a small part,
/// so that small parts, in tests, are cut too).
const CHUNK: usize = 256 << 10;

/// Chunks are never cut smaller than this.
const MIN_CHUNK: usize = 1 << 10;

/// What one part gave.
pub(crate) struct PartOutcome {
    /// The survey of the file's head (first part only).
    pub head: Option<SurveyReport>,
    /// The survey of the file's tail (last part only).
    pub tail: Option<SurveyReport>,
    pub features: FeatureCollector,
    /// A byte above 0x7F was seen.
    pub non_ascii: bool,
    /// Chunks parsed.
    pub chunks: usize,
}

/// Where a part lies in the file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Part {
    pub range: (u64, u64),
    /// It starts the file (its head is the document's own).
    pub first: bool,
    /// It ends the file (its tail is the document's own).
    pub last: bool,
}

/// Reads the features of one part; `None` when any chunk does not parse
/// as it must (or the file cannot be read).
pub(crate) fn read_part(path: &Path, part: Part, opts: &ProfileOptions) -> Option<PartOutcome> {
    let mut file = File::open(path).ok()?;
    file.seek(SeekFrom::Start(part.range.0)).ok()?;
    let len = part.range.1.saturating_sub(part.range.0);
    let mut input = file.take(len);
    let chunk = usize::try_from(len / 4).map_or(CHUNK, |quarter| quarter.clamp(MIN_CHUNK, CHUNK));
    let max_chunk = opts.limits.max_record_bytes.saturating_add(chunk);
    let mut outcome = PartOutcome {
        head: None,
        tail: None,
        features: FeatureCollector::new(opts),
        non_ascii: false,
        chunks: 0,
    };
    let mut text: Vec<u8> = Vec::with_capacity(2 * CHUNK);
    let mut next: Vec<u8> = Vec::with_capacity(2 * CHUNK);
    if !part.first {
        text.extend_from_slice(PREFIX);
    }
    let mut first_chunk = true;
    loop {
        let start = if first_chunk && part.first {
            0
        } else {
            PREFIX.len()
        };
        let (cut, at_end) = find_cut(&mut input, &mut text, start + chunk, max_chunk)?;
        let last_chunk = at_end && cut.is_none();
        next.clear();
        if let Some(comma) = cut {
            next.extend_from_slice(PREFIX);
            next.extend_from_slice(text.get(comma + 1..)?);
            text.truncate(comma);
        }
        if !(last_chunk && part.last) {
            text.extend_from_slice(SUFFIX);
        }
        let head = first_chunk && part.first;
        let tail = last_chunk && part.last;
        // The parser checks the UTF-8 of every string it reads, but not of
        // the members it skips, which only the file's head and tail hold.
        if (head || tail) && std::str::from_utf8(&text).is_err() {
            return None;
        }
        outcome.non_ascii = outcome.non_ascii || !text.is_ascii();
        let report = survey_chunk(&text, &mut outcome.features, opts)?;
        let complete = report
            .kind
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case("FeatureCollection"))
            && report.features_streamed
            && (tail || report.after_features == 0);
        if !complete {
            return None;
        }
        outcome.chunks += 1;
        if head {
            outcome.head = Some(report);
        } else if tail {
            outcome.tail = Some(report);
        }
        if last_chunk {
            return Some(outcome);
        }
        std::mem::swap(&mut text, &mut next);
        first_chunk = false;
    }
}

/// Reads into `text` until it holds a feature boundary at or after
/// `from`, or the end of the part: the comma's offset (if any) and
/// whether the part's end is in `text`. `None` past `max` bytes.
fn find_cut(
    input: &mut impl Read,
    text: &mut Vec<u8>,
    mut from: usize,
    max: usize,
) -> Option<(Option<usize>, bool)> {
    loop {
        if let Some(window) = text.get(from..)
            && let Some(at) = feature_boundary(window)
        {
            return Some((Some(from + at), false));
        }
        if text.len() > max {
            return None;
        }
        let before = text.len();
        let read = input
            .by_ref()
            .take(CHUNK.max(from.saturating_sub(before)) as u64)
            .read_to_end(text)
            .ok()?;
        if read == 0 {
            return Some((None, true));
        }
        // Look again at the last bytes already searched: a boundary there
        // may have lacked the text after it.
        from = from.max(before.saturating_sub(4096));
    }
}

/// Parses one chunk as a whole document, streaming its features.
fn survey_chunk(
    text: &[u8],
    features: &mut FeatureCollector,
    opts: &ProfileOptions,
) -> Option<SurveyReport> {
    let mut parked = None;
    let mut de = serde_json::Deserializer::from_slice(text);
    let report = Survey {
        features: Elements {
            sink: features,
            failure: &mut parked,
            depth: DepthCheck {
                base: 2,
                max: opts.limits.max_json_depth,
            },
        },
    }
    .deserialize(&mut de)
    .and_then(|report| de.end().map(|()| report))
    .ok()?;
    parked.is_none().then_some(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;
    use std::io::Write as _;

    fn collection(features: usize) -> Vec<u8> {
        let mut text = String::from("{\"type\":\"FeatureCollection\",\"features\":[");
        for i in 0..features {
            if i > 0 {
                text.push_str(",\n");
            }
            let _ = write!(
                text,
                "{{\"type\":\"Feature\",\"properties\":{{\"n\":{i},\"s\":\"}},{{\"}},\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{i},1]}}}}"
            );
        }
        text.push_str("],\"crs\":null}");
        text.into_bytes()
    }

    #[test]
    fn a_whole_file_read_in_chunks() {
        let text = collection(500);
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(&text).expect("write");
        let part = Part {
            range: (0, text.len() as u64),
            first: true,
            last: true,
        };
        let outcome = read_part(file.path(), part, &ProfileOptions::default()).expect("read");
        assert_eq!(outcome.features.record_count(), 500);
        assert!(outcome.chunks >= 4, "{} chunks", outcome.chunks);
        let head = outcome.head.expect("head");
        assert_eq!(head.members, ["type", "features"]);
        let tail = outcome.tail.expect("tail");
        assert_eq!(tail.members, ["type", "features", "crs"]);
        assert!(!outcome.non_ascii);
    }

    #[test]
    fn a_chunk_that_does_not_parse_voids_the_part() {
        let mut text = collection(500);
        let at = text.len() / 2;
        text.insert(at, b'{');
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(&text).expect("write");
        let part = Part {
            range: (0, text.len() as u64),
            first: true,
            last: true,
        };
        assert!(read_part(file.path(), part, &ProfileOptions::default()).is_none());
    }
}
