//! `dataprof profile` as a user runs it: the binary, its output and its
//! exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn dataprof(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dataprof"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("run dataprof")
}

fn profile_json(args: &[&str]) -> Value {
    let output = dataprof(args);
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is the data_profile JSON")
}

#[test]
fn the_readme_example_entry_is_profiled() {
    let profile = profile_json(&["profile", "--pretty", "examples/catalog-entry-paris.json"]);
    assert_eq!(
        profile["status"], "profiled",
        "{}",
        profile["error_message"]
    );
    assert_eq!(profile["dataset_count"], 4);
    assert_eq!(profile["entry_id"], "0b6f3c1e-5a57-4d7e-9a51-3f2d7c0e9a01");
    let distributions = profile["distributions"].as_array().expect("distributions");
    let formats: Vec<&str> = distributions
        .iter()
        .map(|d| d["detected_format"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(formats, ["csv", "json", "geojson", "shapefile"]);
    assert_eq!(profile["sample_records"].as_array().map(Vec::len), Some(5));
}

#[test]
fn a_local_data_file_is_profiled_directly() {
    let profile = profile_json(&[
        "profile",
        "tests/fixtures/corpus/insee_FILO2019_iris_bondy_latin1.csv",
    ]);
    assert_eq!(profile["status"], "profiled");
    assert_eq!(profile["profile_source"], "csv");
    assert_eq!(profile["record_count"], 21);
    let d = &profile["distributions"][0];
    assert_eq!(d["encoding"], "iso-8859-1");
    assert_eq!(d["dialect"]["delimiter"], ";");
    let names: Vec<&str> = profile["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["IRIS", "LIBIRIS", "COM", "LIBCOM", "DISP_MED19"]);
    assert_eq!(profile["sample_records"][0]["LIBCOM"], "Bondy");
}

#[test]
fn unsupported_content_still_exits_zero_with_a_reason() {
    let profile = profile_json(&[
        "profile",
        "tests/fixtures/unsupported/error_page_served_as.csv",
    ]);
    assert_eq!(profile["status"], "unsupported");
    assert_eq!(profile["distributions"][0]["detected_format"], "html");
    let message = profile["error_message"].as_str().expect("error_message");
    assert!(message.contains("HTML"), "{message}");
}

#[test]
fn misuse_exits_non_zero_with_a_message() {
    let output = dataprof(&["profile"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Usage"), "{stderr}");

    let output = dataprof(&["profile", "no/such/file.csv"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no/such/file.csv"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn an_unsupported_url_scheme_is_a_usage_error() {
    let output = dataprof(&["profile", "ftp://example.org/data.csv"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unsupported URL scheme `ftp`"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_device_or_pipe_is_refused_not_read_forever() {
    let output = dataprof(&["profile", "/dev/zero"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/dev/zero is not a regular file"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn a_broken_catalog_entry_is_a_usage_error_not_data() {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let entry = std::fs::read_to_string(repo_root().join("examples/catalog-entry-paris.json"))
        .expect("example entry");
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, &entry[..entry.len() / 2]).expect("write");
    let output = dataprof(&["profile", cut.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cut.json: not a valid job or catalog entry"),
        "{stderr}"
    );

    let bare = dir.path().join("bare.json");
    std::fs::write(&bare, r#"{"id": "x", "dataset_details": {"title": "t"}}"#).expect("write");
    let output = dataprof(&["profile", bare.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("has `dataset_details` but no `dataset_details.distributions`"),
        "{stderr}"
    );
}

#[test]
fn allow_all_addresses_reads_the_usual_spellings_of_true() {
    // Port 9 (discard) is closed here: with the policy off the download is
    // tried and refused by the system; with it on, it is never tried.
    let url = "http://127.0.0.1:9/data.csv";
    let error_of = |value: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_dataprof"));
        command.args(["profile", url]).current_dir(repo_root());
        command.env_remove("DATAPROF_ALLOW_ALL_ADDRESSES");
        if let Some(value) = value {
            command.env("DATAPROF_ALLOW_ALL_ADDRESSES", value);
        }
        let output = command.output().expect("run dataprof");
        assert_eq!(output.status.code(), Some(0), "{value:?}");
        let profile: Value = serde_json::from_slice(&output.stdout).expect("profile");
        profile["distributions"][0]["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    for on in ["1", "true", "yes", "on"] {
        let error = error_of(Some(on));
        assert!(!error.contains("network policy"), "{on}: {error}");
    }
    for off in [None, Some("0"), Some("false"), Some("no")] {
        let error = error_of(off);
        assert!(
            error.contains("refused by network policy"),
            "{off:?}: {error}"
        );
    }
}

#[test]
fn data_that_mentions_entries_below_the_top_level_is_data() {
    // A catalog API's answer lists entries: it holds `dataset_details`, but
    // not at its top level, so it is a data file to profile.
    let dir = tempfile::TempDir::new().expect("temp dir");
    let listing = dir.path().join("entries.json");
    std::fs::write(
        &listing,
        r#"{"results": [{"id": "a", "dataset_details": {"title": "x"}},
                        {"id": "b", "dataset_details": {"title": "y"}}]}"#,
    )
    .expect("write");
    let profile = profile_json(&["profile", listing.to_str().expect("utf-8")]);
    assert_eq!(profile["status"], "profiled");
    assert_eq!(profile["distributions"][0]["record_count"], 2);
}

#[test]
fn a_reader_that_goes_away_is_no_crash() {
    // `dataprof profile ... | head -c 0`: stdout is closed before the
    // profile is written.
    let mut child = Command::new(env!("CARGO_BIN_EXE_dataprof"))
        .args(["profile", "examples/catalog-entry-paris.json"])
        .current_dir(repo_root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run dataprof");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

#[test]
fn log_fields_are_plain_values() {
    let output = Command::new(env!("CARGO_BIN_EXE_dataprof"))
        .args(["profile", "tests/fixtures/corpus/laposte_hexasmal.csv"])
        .env("DATAPROF_LOG", "info")
        .current_dir(repo_root())
        .output()
        .expect("run dataprof");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("distribution profiled"))
        .unwrap_or_else(|| panic!("no distribution line in {stderr}"));
    assert!(line.contains(r#"status="profiled""#), "{line}");
    assert!(line.contains("records=39192"), "{line}");
    assert!(!line.contains("Some("), "{line}");
}
