//! `dataprof-bench`: profiling throughput and memory on deterministic
//! synthetic inputs.
//!
//! Run with `cargo run --release -p dataprof-bench` (add `--quick` for a
//! smaller set, `--runs 5` to keep the fastest of five runs, `--only
//! csv100` to pick cases; `--only` takes the rest of the line). Inputs are
//! generated once into `target/bench-data`. Each run is a child process of
//! its own, so the peak resident set (VmHWM) it reports is that run's
//! alone, and so is its CPU time (user + system, all threads), which a
//! busy machine inflates less than the wall time. A case that fails (an
//! input the profiler refuses) prints its error and the others still run.

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
    let runs: usize = match args.iter().position(|a| a == "--runs") {
        Some(at) => args
            .get(at + 1)
            .and_then(|n| n.parse().ok())
            .filter(|&n| n > 0)
            .context("--runs needs a number above 0")?,
        None => 1,
    };
    let only: Vec<&str> = args
        .iter()
        .skip_while(|a| *a != "--only")
        .skip(1)
        .map(String::as_str)
        .collect();
    let dir = data_dir(quick);
    std::fs::create_dir_all(&dir)?;
    println!(
        "{:<12} {:>9} {:>10} {:>9} {:>12} {:>10} {:>9}",
        "case", "MB", "seconds", "MB/s", "records/s", "peak MiB", "cpu s"
    );
    let mut failed = 0;
    for case in cases(quick) {
        if !only.is_empty() && !only.contains(&case.name) {
            continue;
        }
        if let Err(err) = bench_case(&case, &dir, runs) {
            println!("{:<12} failed: {err:#}", case.name);
            failed += 1;
        }
    }
    if failed > 0 {
        eprintln!("{failed} case(s) failed");
        std::process::exit(1);
    }
    Ok(())
}

/// Runs one case `runs` times and prints its fastest run.
fn bench_case(case: &Case, dir: &Path, runs: usize) -> anyhow::Result<()> {
    let path = dir.join(case.file);
    let expected = ensure_input(case, &path)?;
    let mut best: Option<Report> = None;
    for _ in 0..runs {
        let report = run_case(&path)?;
        if report.records != expected {
            bail!("profiled {} records, generated {expected}", report.records);
        }
        if best.as_ref().is_none_or(|b| report.seconds < b.seconds) {
            best = Some(report);
        }
    }
    let Some(best) = best else {
        return Ok(());
    };
    let size = std::fs::metadata(&path)?.len() as f64 / MB as f64;
    println!(
        "{:<12} {:>9.1} {:>10.3} {:>9.1} {:>12.0} {:>10.1} {:>9.2}",
        case.name,
        size,
        best.seconds,
        size / best.seconds,
        best.records as f64 / best.seconds,
        best.peak_mib,
        best.cpu_seconds
    );
    Ok(())
}

/// What a child run reports.
struct Report {
    records: u64,
    seconds: f64,
    peak_mib: f64,
    cpu_seconds: f64,
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

fn run_case(path: &Path) -> anyhow::Result<Report> {
    let exe = std::env::current_exe()?;
    let output = Command::new(exe).arg("--child").arg(path).output()?;
    if !output.status.success() {
        // The child's error, without the backtrace that may follow it.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let error = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        bail!("{}: {}", path.display(), error.trim());
    }
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    Ok(Report {
        records: report["records"].as_u64().unwrap_or(0),
        seconds: report["seconds"].as_f64().unwrap_or(f64::NAN),
        peak_mib: report["peak_kib"].as_f64().unwrap_or(f64::NAN) / 1024.0,
        cpu_seconds: report["cpu_seconds"].as_f64().unwrap_or(f64::NAN),
    })
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
        "cpu_seconds": cpu_seconds(),
    });
    println!("{report}");
    Ok(())
}

/// User and system time of the process, all threads, from
/// `/proc/self/stat` (fields 14 and 15, in clock ticks of 1/100 s on Linux).
fn cpu_seconds() -> Option<f64> {
    const TICKS_PER_SECOND: f64 = 100.0;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    // `rest` starts at field 3, so fields 14 and 15 are at 11 and 12.
    Some((ticks(11)? + ticks(12)?) / TICKS_PER_SECOND)
}

/// The process's peak resident set, from `/proc/self/status` (VmHWM).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
