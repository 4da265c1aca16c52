//! `dataprof-bench`: profiling throughput and memory on deterministic
//! synthetic inputs.
//!
//! Run with `cargo run --release -p dataprof-bench` (add `--quick` for a
//! smaller set, `--only csv100` to pick cases). Inputs are generated once
//! into `target/bench-data`. Each case runs in a child process of its own,
//! so the peak resident set (VmHWM) it reports is that case's alone.

mod generate;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use dataprof_profiler::{ProfileOptions, profile_path};

const MB: u64 = 1_000_000;

/// One benchmark input.
struct Case {
    name: &'static str,
    file: &'static str,
    bytes: u64,
    write: fn(&Path, u64, u64) -> std::io::Result<u64>,
}

fn cases(quick: bool) -> Vec<Case> {
    let scale = if quick { 10 } else { 1 };
    vec![
        Case {
            name: "csv100",
            file: "french-100mb.csv",
            bytes: 100 * MB / scale,
            write: generate::french_csv,
        },
        Case {
            name: "csv1g",
            file: "french-1gb.csv",
            bytes: 1000 * MB / scale,
            write: generate::french_csv,
        },
        Case {
            name: "geojson200",
            file: "features-200mb.geojson",
            bytes: 200 * MB / scale,
            write: generate::geojson,
        },
        Case {
            name: "ndjson200",
            file: "records-200mb.ndjson",
            bytes: 200 * MB / scale,
            write: generate::ndjson,
        },
    ]
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        let path = args.get(1).context("--child needs a path")?;
        return run_child(Path::new(path));
    }
    let quick = args.iter().any(|a| a == "--quick");
    let only: Vec<&str> = args
        .iter()
        .skip_while(|a| *a != "--only")
        .skip(1)
        .map(String::as_str)
        .collect();
    let dir = data_dir(quick);
    std::fs::create_dir_all(&dir)?;
    println!(
        "{:<12} {:>9} {:>10} {:>9} {:>12} {:>10}",
        "case", "MB", "seconds", "MB/s", "records/s", "peak MiB"
    );
    for case in cases(quick) {
        if !only.is_empty() && !only.contains(&case.name) {
            continue;
        }
        let path = dir.join(case.file);
        let expected = ensure_input(&case, &path)?;
        let report = run_case(&path)?;
        let records = report["records"].as_u64().unwrap_or(0);
        if records != expected {
            bail!(
                "{}: profiled {records} records, generated {expected}",
                case.name
            );
        }
        let seconds = report["seconds"].as_f64().unwrap_or(f64::NAN);
        let size = std::fs::metadata(&path)?.len() as f64 / MB as f64;
        let peak = report["peak_kib"].as_f64().unwrap_or(f64::NAN) / 1024.0;
        println!(
            "{:<12} {:>9.1} {:>10.3} {:>9.1} {:>12.0} {:>10.1}",
            case.name,
            size,
            seconds,
            size / seconds,
            records as f64 / seconds,
            peak
        );
    }
    Ok(())
}

fn data_dir(quick: bool) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join(if quick {
        "bench-data-quick"
    } else {
        "bench-data"
    })
}

/// Generates the input unless a previous run left it; returns its record
/// count (kept in a side file).
fn ensure_input(case: &Case, path: &Path) -> anyhow::Result<u64> {
    let count_file = path.with_extension("records");
    if let Ok(text) = std::fs::read_to_string(&count_file)
        && path.exists()
        && let Ok(n) = text.trim().parse()
    {
        return Ok(n);
    }
    eprintln!("generating {} ({} MB)...", path.display(), case.bytes / MB);
    let records = (case.write)(path, case.bytes, 0x5eed_da7a)?;
    std::fs::write(&count_file, records.to_string())?;
    Ok(records)
}

fn run_case(path: &Path) -> anyhow::Result<serde_json::Value> {
    let exe = std::env::current_exe()?;
    let output = Command::new(exe).arg("--child").arg(path).output()?;
    if !output.status.success() {
        bail!(
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// Profiles one file and prints elapsed time, records and peak RSS as JSON.
fn run_child(path: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let profile =
        profile_path(path, &ProfileOptions::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let report = serde_json::json!({
        "records": profile.record_count,
        "fields": profile.field_count,
        "seconds": seconds,
        "peak_kib": peak_rss_kib(),
    });
    println!("{report}");
    Ok(())
}

/// The process's peak resident set, from `/proc/self/status` (VmHWM).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
