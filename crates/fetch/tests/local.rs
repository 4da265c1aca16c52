//! Local files on the command line: used in place, hashed by streaming.

mod support;

use dataprof_fetch::{FetchErrorKind, LocalCopy, fetch};
use support::{fixture, strict_config};

/// From `tests/fixtures/corpus/SOURCES.md`.
const FILO_SHA256: &str = "eafd9d1d5a07d1fc59f6f6271faf8ed1fda22c243351791ad39c270ec36cce0c";

fn cli_config() -> dataprof_fetch::FetchConfig {
    let mut cfg = strict_config();
    cfg.policy.allow_local_files = true;
    cfg
}

#[tokio::test]
async fn a_relative_path_is_taken_from_the_base_dir() {
    let base = fixture("corpus");

    let fetched = fetch(
        "insee_FILO2019_iris_bondy_latin1.csv",
        Some(&base),
        &cli_config(),
    )
    .await
    .expect("local file");

    assert_eq!(fetched.byte_size, 954);
    assert_eq!(fetched.sha256, FILO_SHA256);
    assert_eq!(fetched.content_type, None);
    let expected = base.join("insee_FILO2019_iris_bondy_latin1.csv");
    assert_eq!(fetched.source, expected.display().to_string());
    match &fetched.file {
        LocalCopy::User(path) => assert_eq!(path, &expected),
        LocalCopy::Temp(_) => panic!("a local file must be used in place"),
    }
    drop(fetched);
    assert!(expected.exists(), "the user's file is never deleted");
}

#[tokio::test]
async fn a_file_url_names_a_local_file() {
    let path = fixture("corpus/laposte_hexasmal.csv");
    let url = url::Url::from_file_path(&path).expect("absolute path");

    let fetched = fetch(url.as_str(), None, &cli_config())
        .await
        .expect("file URL");

    assert_eq!(fetched.byte_size, 2_688_814);
    assert_eq!(
        fetched.sha256,
        "6fb012e5d8003a72b0e6c45968225ce1d1366e00a123fc3ccdc3eea76ddce0a0"
    );
    assert_eq!(fetched.file.path(), path.as_path());
}

#[tokio::test]
async fn an_empty_local_file_has_the_empty_digest() {
    let fetched = fetch(
        "corpus/uk_locations-1998_empty.csv",
        Some(&fixture("")),
        &cli_config(),
    )
    .await
    .expect("empty file");
    assert_eq!(fetched.byte_size, 0);
    assert_eq!(
        fetched.sha256,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[tokio::test]
async fn a_missing_file_is_a_permanent_error() {
    let base = fixture("corpus");
    let err = fetch("absent.csv", Some(&base), &cli_config())
        .await
        .expect_err("missing");
    assert!(!err.transient);
    assert_eq!(err.kind, FetchErrorKind::LocalFile);
    assert_eq!(
        err.message,
        format!("no such file: {}", base.join("absent.csv").display())
    );
}

#[tokio::test]
async fn a_directory_is_a_permanent_error() {
    let dir = fixture("corpus");
    let err = fetch(dir.to_str().expect("utf-8 path"), None, &cli_config())
        .await
        .expect_err("directory");
    assert!(!err.transient);
    assert_eq!(err.kind, FetchErrorKind::LocalFile);
    assert_eq!(
        err.message,
        format!("{} is a directory, not a file", dir.display())
    );
}

#[cfg(unix)]
#[tokio::test]
async fn pipes_and_devices_are_refused_without_being_opened() {
    // A FIFO with no writer would block `open`; /dev/zero would never end.
    let dir = tempfile::TempDir::new().expect("temp dir");
    let fifo = dir.path().join("feed.csv");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    for path in [fifo.as_path(), std::path::Path::new("/dev/zero")] {
        let err = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            fetch(path.to_str().expect("utf-8 path"), None, &cli_config()),
        )
        .await
        .expect("answers at once")
        .expect_err("not a regular file");
        assert!(!err.transient);
        assert_eq!(err.kind, FetchErrorKind::LocalFile);
        assert!(
            err.message
                .starts_with(&format!("{} is not a regular file", path.display())),
            "{}",
            err.message
        );
    }
}
