//! Profiling a file while it is still being written gives the profile of
//! the whole file, and a download that fails fails the profile.
//!
//! The growth here is lazy and deterministic: the file receives its next
//! chunk only when the profiler waits for bytes past its end, so every
//! byte is read through a wait on an incomplete file.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use dataprof_profiler::source::{Extent, Growing, Growth};
use dataprof_profiler::{ProfileError, ProfileOptions, profile_path};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/corpus/");

/// Chunk the lazy writer appends per wait.
const CHUNK: usize = 32 << 10;

/// A file fed `CHUNK` bytes of `bytes` at a time, on demand; fails instead
/// of writing past `fail_at` when set.
#[derive(Debug)]
struct OnDemand {
    bytes: Vec<u8>,
    fail_at: Option<usize>,
    state: Mutex<Fed>,
}

#[derive(Debug)]
struct Fed {
    file: std::fs::File,
    written: usize,
    waits: usize,
}

impl OnDemand {
    fn extent_of(&self, fed: &Fed) -> io::Result<Extent> {
        if self.fail_at.is_some_and(|at| fed.written >= at) {
            return Err(io::Error::other(
                "fetch: download interrupted: connection reset",
            ));
        }
        Ok(Extent {
            len: fed.written as u64,
            complete: fed.written == self.bytes.len(),
        })
    }
}

impl Growth for OnDemand {
    fn extent(&self) -> io::Result<Extent> {
        let fed = self
            .state
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?;
        self.extent_of(&fed)
    }

    fn wait_beyond(&self, offset: u64) -> io::Result<Extent> {
        let mut fed = self
            .state
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?;
        fed.waits += 1;
        while (fed.written as u64) <= offset && fed.written < self.bytes.len() {
            self.extent_of(&fed)?;
            let end = (fed.written + CHUNK).min(self.bytes.len());
            let end = self.fail_at.map_or(end, |at| end.min(at));
            let chunk = &self.bytes[fed.written..end];
            fed.file.write_all(chunk)?;
            fed.file.flush()?;
            fed.written = end;
        }
        self.extent_of(&fed)
    }
}

/// Profiles `name` from the corpus as a growing file; also returns how many
/// times the profiler waited for bytes.
fn profile_growing(
    name: &str,
    fail_at: Option<usize>,
) -> (
    Result<dataprof_profiler::model::SourceProfile, ProfileError>,
    usize,
) {
    let bytes = std::fs::read(fixture(name)).expect("fixture");
    let suffix = Path::new(name)
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let temp = tempfile::Builder::new()
        .suffix(&suffix)
        .tempfile()
        .expect("temp file");
    let file = temp.reopen().expect("writer");
    let growth = Arc::new(OnDemand {
        bytes,
        fail_at,
        state: Mutex::new(Fed {
            file,
            written: 0,
            waits: 0,
        }),
    });
    let opts = ProfileOptions {
        growing: Some(Growing::new(temp.path(), growth.clone())),
        ..ProfileOptions::default()
    };
    let result = profile_path(temp.path(), &opts);
    let waits = growth.state.lock().map(|fed| fed.waits).unwrap_or(0);
    (result, waits)
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(CORPUS).join(name)
}

fn same_profile_as_the_whole_file(name: &str) -> usize {
    let whole = profile_path(&fixture(name), &ProfileOptions::default()).expect("whole file");
    let (growing, waits) = profile_growing(name, None);
    let growing = growing.expect("growing file");
    assert_eq!(growing, whole, "{name}");
    waits
}

#[test]
fn a_utf8_csv_read_as_it_grows_has_the_whole_files_profile() {
    let waits = same_profile_as_the_whole_file("laposte_hexasmal.csv");
    // 2,688,814 bytes in 32 KiB chunks, each one asked for.
    assert!(waits >= 2_688_814 / CHUNK, "{waits}");
    let (profile, _) = profile_growing("laposte_hexasmal.csv", None);
    let profile = profile.expect("profile");
    assert_eq!(profile.record_count, 39_192);
    assert_eq!(profile.encoding.as_deref(), Some("utf-8"));
}

#[test]
fn a_latin1_csv_read_as_it_grows_has_the_whole_files_profile() {
    let waits = same_profile_as_the_whole_file("insee_FILO2019_iris_bondy_latin1.csv");
    assert!(waits >= 1, "{waits}");
}

#[test]
fn json_ndjson_and_geojson_read_as_they_grow() {
    for name in [
        "ods_sanisettesparis_v1.json",
        "vbb_change_positions.ndjson",
        "ods_sncf_liste-des-gares.geojson",
    ] {
        let waits = same_profile_as_the_whole_file(name);
        assert!(waits > 3, "{name}: {waits}");
    }
}

#[test]
fn a_zip_waits_for_the_whole_download() {
    let waits = same_profile_as_the_whole_file("ods_paris_arrondissements_shp.zip");
    assert!(waits >= 1, "{waits}");
}

#[test]
fn a_failed_download_fails_the_profile_with_its_error() {
    let (result, _) = profile_growing("laposte_hexasmal.csv", Some(1_000_000));
    let err = result.expect_err("the download failed");
    assert_eq!(
        err,
        ProfileError::Failed {
            step: "read",
            cause: "fetch: download interrupted: connection reset".to_owned()
        }
    );
    let (result, _) = profile_growing("ods_paris_arrondissements_shp.zip", Some(10_000));
    assert!(
        matches!(&result, Err(ProfileError::Failed { cause, .. }) if cause.contains("connection reset")),
        "{result:?}"
    );
}
