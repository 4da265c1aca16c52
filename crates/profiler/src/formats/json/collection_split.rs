//! A large GeoJSON FeatureCollection on several threads.
//!
//! The `features` array is cut at commas between two features. Bytes alone
//! cannot tell such a comma from one deeper in a feature or inside a
//! string, so each cut is a guess: a `,` between a `}` and a `{` whose
//! object has `"type": "Feature"` among its own members. Every part is
//! then parsed as a whole document of its own, which checks the guess
//! exactly:
//!
//! - the first part is the file up to the first cut, closed by `]}`: it
//!   must read as an object that says FeatureCollection before `features`,
//!   with `features` still open at the cut (no member after it);
//! - a later part is `{"type":"FeatureCollection","features":[`, then its
//!   bytes, then `]}` (the last part gets no suffix: the rest of the file
//!   closes it, and its members after `features`, `crs` say, are read).
//!
//! A cut anywhere but between two features leaves some part unbalanced,
//! and any failed part voids the attempt: the file is read again on one
//! thread, which also reports real errors with their real position. Only
//! UTF-8 is split (a comma byte is then always a comma). Each part is
//! itself read in chunks cut and checked the same way
//! ([`super::collection_chunks`]), so that it is parsed from memory.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::collection_chunks::{Part, PartOutcome, read_part};
use super::failure::Attempt;
use super::geojson::FeatureCollector;
use super::parts::{ranges, read_in_parts};
use super::source::{ByteStats, Decoding};
use super::walk::{ShortText, SurveyReport};
use crate::formats::csv::parallel::Parallelism;
use crate::{ProfileError, ProfileOptions};

/// What opens every part but the first.
pub(crate) const PREFIX: &[u8] = br#"{"type":"FeatureCollection","features":["#;

/// What closes every part but the last.
pub(crate) const SUFFIX: &[u8] = b"]}";

/// Members of [`PREFIX`], which the later parts' surveys also report.
const PREFIX_MEMBERS: usize = 2;

/// Bytes read at the start of the file, and at each cut point.
const WINDOW: u64 = 1 << 20;

/// The parts of a FeatureCollection, merged.
pub(crate) struct CollectionParts {
    pub report: SurveyReport,
    pub features: FeatureCollector,
    pub stats: ByteStats,
}

/// Reads the file in parts when it is a large UTF-8 FeatureCollection
/// whose `type` comes before `features`; `None` when it is read on one
/// thread instead.
pub(crate) fn read(
    path: &Path,
    decoding: Decoding,
    opts: &ProfileOptions,
    parallelism: &Parallelism,
) -> Result<Option<CollectionParts>, Attempt> {
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
    let mut window = Vec::new();
    read_window(&mut file, first, &mut window).map_err(io)?;
    if !says_feature_collection(&window) {
        return Ok(None);
    }
    let cuts = cut_points(&mut file, first, len, parts, &mut window).map_err(io)?;
    if cuts.is_empty() {
        return Ok(None);
    }
    let ranges = ranges(first, &cuts, len, true);
    let last = ranges.len() - 1;
    tracing::debug!(
        parts = ranges.len(),
        threads = parallelism.threads,
        "geojson features read in parts"
    );
    let read_part = |index: usize, range: (u64, u64)| {
        let part = Part {
            range,
            first: index == 0,
            last: index == last,
        };
        read_part(path, part, opts)
    };
    let merge = |merged: &mut PartOutcome, next: PartOutcome| {
        merged.non_ascii |= next.non_ascii;
        merged.chunks += next.chunks;
        if next.tail.is_some() {
            merged.tail = next.tail;
        }
        merged.features.merge(next.features).is_ok()
    };
    let Some(merged) = read_in_parts(&ranges, parallelism.threads, read_part, merge) else {
        tracing::debug!("a GeoJSON part failed; reading on one thread");
        return Ok(None);
    };
    let (Some(mut report), Some(tail)) = (merged.head, merged.tail) else {
        return Ok(None);
    };
    merge_last_report(&mut report, tail);
    tracing::debug!(chunks = merged.chunks, "geojson features read in chunks");
    Ok(Some(CollectionParts {
        report,
        features: merged.features,
        stats: ByteStats {
            non_ascii: merged.non_ascii,
            ..ByteStats::default()
        },
    }))
}

/// Adds what the last part saw after `features` to the first part's
/// report (the last part's own `type` and `features` are [`PREFIX`]'s).
fn merge_last_report(report: &mut SurveyReport, last: SurveyReport) {
    if report.crs.is_none() {
        report.crs = last.crs;
    }
    report.arrays.extend(last.arrays);
    let room = 50usize.saturating_sub(report.members.len());
    report
        .members
        .extend(last.members.into_iter().skip(PREFIX_MEMBERS).take(room));
    report.after_features += last.after_features;
}

fn read_window(file: &mut File, at: u64, window: &mut Vec<u8>) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(at))?;
    window.clear();
    file.by_ref().take(WINDOW).read_to_end(window)?;
    Ok(())
}

/// Offsets of the commas where parts 2, 3... are cut, one near each
/// `len / parts` step; fewer when a step has no feature boundary near it.
fn cut_points(
    file: &mut File,
    first: u64,
    len: u64,
    parts: usize,
    window: &mut Vec<u8>,
) -> std::io::Result<Vec<u64>> {
    let mut cuts: Vec<u64> = Vec::with_capacity(parts.saturating_sub(1));
    for i in 1..parts as u64 {
        let target = (len / parts as u64 * i).max(first);
        if cuts.last().is_some_and(|&last| target <= last) {
            continue;
        }
        read_window(file, target, window)?;
        if let Some(at) = feature_boundary(window) {
            let cut = target + at as u64;
            if cut + 1 < len {
                cuts.push(cut);
            }
        }
    }
    Ok(cuts)
}

/// The first comma in `window` that looks like it separates two features.
pub(crate) fn feature_boundary(window: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'{', window).find_map(|open| {
        let comma = last_non_blank(&window[..open])?;
        if window[comma] != b',' {
            return None;
        }
        let close = last_non_blank(&window[..comma])?;
        (window[close] == b'}' && is_feature(&window[open..])).then_some(comma)
    })
}

fn last_non_blank(bytes: &[u8]) -> Option<usize> {
    bytes.iter().rposition(|b| !b.is_ascii_whitespace())
}

/// Whether `text` starts with an object whose own `type` member is
/// `"Feature"`, as far as the text goes.
fn is_feature(text: &[u8]) -> bool {
    let mut tag = None;
    let mut de = serde_json::Deserializer::from_slice(text);
    let _ = FirstMembers {
        wanted: Wanted::FeatureTag,
        verdict: &mut tag,
    }
    .deserialize(&mut de);
    tag == Some(true)
}

/// Whether the head of a document says FeatureCollection (in its first
/// `type` member) before its `features` member starts.
fn says_feature_collection(head: &[u8]) -> bool {
    let mut verdict = None;
    let mut de = serde_json::Deserializer::from_slice(head);
    let _ = FirstMembers {
        wanted: Wanted::CollectionBeforeFeatures,
        verdict: &mut verdict,
    }
    .deserialize(&mut de);
    verdict == Some(true)
}

/// What [`FirstMembers`] looks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wanted {
    /// The first `type` member is `"Feature"`.
    FeatureTag,
    /// The first `type` member is `"FeatureCollection"` (any case), and it
    /// comes before `features`.
    CollectionBeforeFeatures,
}

/// Reads an object's members until the verdict is known, then stops the
/// parse (with an error the caller ignores).
struct FirstMembers<'a> {
    wanted: Wanted,
    verdict: &'a mut Option<bool>,
}

const DECIDED: &str = "decided";

impl<'de> DeserializeSeed<'de> for FirstMembers<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FirstMembers<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut collection = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => {
                    let kind = map.next_value_seed(ShortText)?;
                    match self.wanted {
                        Wanted::FeatureTag => {
                            *self.verdict = Some(kind.as_deref() == Some("Feature"));
                            return Err(de::Error::custom(DECIDED));
                        }
                        Wanted::CollectionBeforeFeatures => {
                            let is = kind
                                .as_deref()
                                .is_some_and(|k| k.eq_ignore_ascii_case("FeatureCollection"));
                            if !is {
                                *self.verdict = Some(false);
                                return Err(de::Error::custom(DECIDED));
                            }
                            collection = true;
                        }
                    }
                }
                "features" if self.wanted == Wanted::CollectionBeforeFeatures => {
                    *self.verdict = Some(collection);
                    return Err(de::Error::custom(DECIDED));
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        *self.verdict = Some(false);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_that_allow_a_split() {
        assert!(says_feature_collection(
            br#"{"type":"FeatureCollection","name":"x","crs":{"type":"name"},"features":[{"#
        ));
        assert!(says_feature_collection(
            b"{ \"type\" : \"featurecollection\", \"features\": ["
        ));
        assert!(!says_feature_collection(
            br#"{"features":[{"type":"Feature"}],"type":"FeatureCollection"}"#
        ));
        assert!(!says_feature_collection(
            br#"{"type":"Topology","features":["#
        ));
        assert!(!says_feature_collection(br#"{"type":"Feature"#));
        assert!(!says_feature_collection(
            br#"[{"type":"FeatureCollection"}]"#
        ));
    }

    #[test]
    fn boundaries_are_commas_between_features() {
        let text = br#"1.5]]]}},{"type":"Feature","properties":{}},{"a":1}"#;
        assert_eq!(feature_boundary(text), Some(8));
        let nested = br#"{"a":[{"b":1},{"c":2}]},
  {"geometry":{"type":"Point","coordinates":[1,2]},"type":"Feature"}"#;
        assert_eq!(feature_boundary(nested), Some(23));
        assert_eq!(feature_boundary(br#"{"b":1},{"c":2}"#), None);
        assert_eq!(feature_boundary(br#"{"b":1},{"type":"Featu"#), None);
    }
}
