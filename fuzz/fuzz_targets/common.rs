//! What every target shares: the input written to a file (the profiler
//! reads files, never memory), and the options a worker runs with.

use std::path::PathBuf;
use std::sync::OnceLock;

use dataprof_profiler::{ProfileError, ProfileOptions};

/// One temporary directory per fuzzing process, removed at exit.
fn scratch() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory for fuzz inputs"))
}

/// Writes `data` to the process's input file and returns its path. The
/// same file is overwritten by every run: no temporary file per input.
pub fn input_file(data: &[u8]) -> PathBuf {
    let path = scratch().path().join("input");
    std::fs::write(&path, data).expect("write the fuzz input");
    path
}

/// Worker defaults: the limits under test are the ones production uses.
pub fn options() -> ProfileOptions {
    ProfileOptions::default()
}

/// Every error must render as the one-line `step: cause` a catalog shows.
pub fn check_error(err: &ProfileError) {
    let line = err.to_string();
    assert!(!line.is_empty(), "empty error message");
    assert!(line.contains(": "), "error without a step: {line:?}");
}
