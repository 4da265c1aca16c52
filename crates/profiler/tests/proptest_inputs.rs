//! Property tests over arbitrary input: whatever the bytes, sniffing,
//! encoding detection and `profile_path` return (within a deadline) and
//! never panic, and what they return is well formed.
//!
//! The case count is `PROPTEST_CASES` when set (`scripts/fuzz.sh` sets it
//! high for a long run), else a count small enough for CI.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{OnceLock, mpsc};
use std::time::Duration;

use dataprof_profiler::model::SourceProfile;
use dataprof_profiler::sniff::{self, Sniffed};
use dataprof_profiler::{ProfileError, ProfileOptions, encoding, profile_path};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// Longest one `profile_path` call on a small input may take (debug build,
/// shared CI machine); these inputs take milliseconds.
const DEADLINE: Duration = Duration::from_secs(20);

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/corpus/");
const PEERS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/peers/duckdb/"
);

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/regressions/proptest_inputs.txt",
        ))),
        ..ProptestConfig::default()
    }
}

/// Bytes biased towards what steers the profiler: magic numbers, BOMs,
/// delimiters, quotes, line ends, JSON punctuation, NUL and high bytes.
fn hostile_bytes(max_len: usize) -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        4 => any::<u8>().prop_map(|b| vec![b]),
        4 => prop::sample::select(b",;\t|\"'\r\n {}[]:0123456789.-e#\\".to_vec()).prop_map(|b| vec![b]),
        2 => "[a-zA-Zéèà ]{1,8}".prop_map(String::into_bytes),
        1 => prop::sample::select(vec![
            b"PK\x03\x04".to_vec(),
            b"PK\x05\x06".to_vec(),
            vec![0x1f, 0x8b, 8, 0],
            b"\xEF\xBB\xBF".to_vec(),
            b"\xFF\xFE".to_vec(),
            b"\xFE\xFF".to_vec(),
            b"<html>".to_vec(),
            b"%PDF-".to_vec(),
            b"\"type\": \"FeatureCollection\"".to_vec(),
            b"\"features\": [".to_vec(),
            b"{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [".to_vec(),
            b"\"coordinates\": [[[".to_vec(),
            b"null".to_vec(),
            b"1e400".to_vec(),
            b"99999999999999999999999".to_vec(),
            b"\0".to_vec(),
            b"\x80\x9f".to_vec(),
            b"\xC3".to_vec(),
        ]),
    ];
    prop::collection::vec(token, 0..max_len).prop_map(|parts| parts.concat())
}

/// Runs `profile_path` on a thread; `Err` when it panicked or outlived the
/// deadline.
fn profile_bounded(path: &Path) -> Result<Result<SourceProfile, ProfileError>, String> {
    let (send, receive) = mpsc::channel();
    let path = path.to_owned();
    let worker = std::thread::spawn(move || {
        let _ = send.send(profile_path(&path, &ProfileOptions::default()));
    });
    match receive.recv_timeout(DEADLINE) {
        Ok(outcome) => Ok(outcome),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!("no outcome within {DEADLINE:?}")),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(match worker.join() {
            Err(payload) => format!(
                "panicked: {}",
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default()
            ),
            Ok(()) => "the profiling thread ended without an outcome".to_owned(),
        }),
    }
}

/// What every outcome must look like, whatever the input.
fn check_outcome(outcome: &Result<SourceProfile, ProfileError>) -> Result<(), TestCaseError> {
    match outcome {
        Ok(profile) => {
            prop_assert_eq!(profile.field_count, profile.fields.len());
            prop_assert!(profile.sample_records.len() <= ProfileOptions::default().sample_size);
            prop_assert!(profile.sample_records.len() as u64 <= profile.record_count);
            let names: Vec<&str> = profile.fields.iter().map(|f| f.name.as_str()).collect();
            // Sample keys are field names, in field order. A CSV sample holds
            // every field; a JSON one only the keys its record has.
            for record in &profile.sample_records {
                let mut rest = names.iter();
                for key in record.keys() {
                    prop_assert!(
                        rest.any(|name| name == key),
                        "sample key {:?} is not a field, or out of order: {:?}",
                        key,
                        names
                    );
                }
                if profile.detected_format == "csv" {
                    prop_assert_eq!(record.len(), names.len());
                }
            }
            for field in &profile.fields {
                prop_assert!(field.null_count <= profile.record_count);
            }
        }
        Err(err) => {
            let line = err.to_string();
            prop_assert!(!line.contains('\n'), "multi-line error: {:?}", line);
            prop_assert!(line.contains(": "), "error without a step: {:?}", line);
            if let ProfileError::Unsupported { detected, .. } = err {
                prop_assert!(!detected.is_empty());
            }
        }
    }
    Ok(())
}

fn profile_bytes(bytes: &[u8]) -> Result<(), TestCaseError> {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(bytes).expect("write");
    file.flush().expect("flush");
    let outcome = profile_bounded(file.path()).map_err(TestCaseError::fail)?;
    check_outcome(&outcome)
}

/// A small file of the fixtures, mutated.
#[derive(Debug, Clone)]
enum Mutation {
    Truncate(prop::sample::Index),
    Flip(Vec<(prop::sample::Index, u8)>),
    Insert(prop::sample::Index, Vec<u8>),
    Repeat(prop::sample::Index, prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
            .prop_map(Mutation::Flip),
        (any::<prop::sample::Index>(), hostile_bytes(16))
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(a, b)| Mutation::Repeat(a, b)),
    ]
}

fn apply(mut bytes: Vec<u8>, mutation: &Mutation) -> Vec<u8> {
    if bytes.is_empty() {
        return bytes;
    }
    match mutation {
        Mutation::Truncate(at) => bytes.truncate(at.index(bytes.len())),
        Mutation::Flip(flips) => {
            for (at, value) in flips {
                let i = at.index(bytes.len());
                bytes[i] = *value;
            }
        }
        Mutation::Insert(at, inserted) => {
            let i = at.index(bytes.len());
            bytes.splice(i..i, inserted.iter().copied());
        }
        Mutation::Repeat(a, b) => {
            let (x, y) = (a.index(bytes.len()), b.index(bytes.len()));
            let (from, to) = (x.min(y), x.max(y).min(x.min(y) + 4096));
            let copy = bytes[from..to].to_vec();
            bytes.splice(to..to, copy);
        }
    }
    bytes
}

/// Small real files of every format: the seeds the mutations start from.
fn seed_files() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(read_seed_files)
}

fn read_seed_files() -> Vec<Vec<u8>> {
    let names = [
        "insee_FILO2019_iris_bondy_latin1.csv",
        "georisques_icpe2024_bondy.csv",
        "insee_base-cc-coupl-fam-men-2017-COM.CSV",
        "ods_rennes_metro_star_stations_v1.geojson",
        "ods_api_v1_lille_disponibilite-parkings.json",
        "ods_paris_arrondissements_shp.zip",
    ];
    let mut seeds: Vec<Vec<u8>> = names
        .iter()
        .map(|n| std::fs::read(format!("{CORPUS}{n}")).expect("corpus fixture"))
        .collect();
    for peer in [
        "A16-inconsistent_cells.csv",
        "A18-unescaped_quote.csv",
        "A21-backslash_escape.csv",
    ] {
        seeds.push(std::fs::read(format!("{PEERS}{peer}")).expect("peer fixture"));
    }
    // An NDJSON head and a gzip of a CSV, made here.
    let ndjson = std::fs::read(format!("{CORPUS}vbb_change_positions.ndjson")).expect("ndjson");
    seeds.push(ndjson[..ndjson.len().min(4096)].to_vec());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&seeds[1]).expect("gzip");
    seeds.push(gz.finish().expect("gzip"));
    seeds
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn sniff_takes_any_bytes(bytes in hostile_bytes(512)) {
        if let Sniffed::NotData { detected, reason } = sniff::sniff(&bytes) {
            prop_assert!(!detected.is_empty());
            prop_assert!(!reason.is_empty() && !reason.contains('\n'));
        }
    }

    #[test]
    fn encoding_detection_takes_any_bytes(bytes in hostile_bytes(512)) {
        let found = encoding::detect(&bytes);
        prop_assert!(found.bom_len <= bytes.len());
        // Streaming and in-memory detection agree.
        let streamed = encoding::detect_reader(&bytes[..]).expect("reading a slice cannot fail");
        prop_assert_eq!(&streamed, &found);
        // Whatever was detected decodes to valid UTF-8 without an error.
        let mut text = String::new();
        encoding::decode(&bytes[..], &found)
            .and_then(|mut decoded| decoded.read_to_string(&mut text))
            .map_err(|e| TestCaseError::fail(format!("decode failed: {e}")))?;
        if found.is_clean_utf8() {
            prop_assert_eq!(text.as_bytes(), &bytes[found.bom_len..]);
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn profile_path_takes_any_small_file(bytes in hostile_bytes(2048)) {
        profile_bytes(&bytes)?;
    }

    #[test]
    fn profile_path_takes_mutated_real_files(
        seed in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let seeds = seed_files();
        let mut bytes = seeds[seed.index(seeds.len())].clone();
        for m in &mutations {
            bytes = apply(bytes, m);
        }
        profile_bytes(&bytes)?;
    }
}
