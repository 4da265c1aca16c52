//! Hostile and broken files, table-driven: every case is a file generated
//! here (big ones generated, never committed), profiled under a watchdog,
//! and must end with its expected terminal outcome (a profile with some
//! facts, `Unsupported` with what was detected, or `Failed` with its step
//! and cause) within a deadline, without a panic.
//!
//! Tables:
//! - [`done_readers`]: sniffing, encodings and CSV, whose outcomes are
//!   exact;
//! - [`archive_json_shapefile_readers`]: zip, gzip, JSON, GeoJSON and
//!   Shapefile cases, exact too;
//! - [`json_numbers_beyond_f64_end_with_a_named_error`]: the one input
//!   whose outcome is an error by choice (see its cases);
//! - [`parallel_csv_reader`]: CSV files over 8 MiB, read in parts on several
//!   threads: quoted line breaks across the cuts, ragged rows, late encoding
//!   evidence, an over-long record in the last part;
//! - the 100 MB line without a newline runs in a child process, so that its
//!   peak memory can be measured alone.

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use dataprof_profiler::model::{FieldType, SourceProfile};
use dataprof_profiler::{ProfileError, ProfileOptions, profile_path};
use serde_json::Value;

/// Longest a case may take, debug build, on a shared 2-core CI machine.
/// The slowest case here takes well under a second when the machine is
/// idle: a case over this is hanging or reading far more than it should.
const DEADLINE: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// The harness
// ---------------------------------------------------------------------------

/// What a case must end with.
enum Expect {
    /// A profile; the check asserts its facts.
    Profiled(fn(&SourceProfile)),
    /// `ProfileError::Unsupported` naming `detected`, its reason containing
    /// `reason`.
    Unsupported {
        detected: &'static str,
        reason: &'static str,
    },
    /// `ProfileError::Failed` at `step`, its cause containing `cause`.
    Failed {
        step: &'static str,
        cause: &'static str,
    },
}

struct Case {
    name: &'static str,
    /// Writes the input under the given directory and returns the file to
    /// profile.
    build: fn(&Path) -> PathBuf,
    options: fn() -> ProfileOptions,
    expect: Expect,
}

fn case(name: &'static str, build: fn(&Path) -> PathBuf, expect: Expect) -> Case {
    Case {
        name,
        build,
        options: ProfileOptions::default,
        expect,
    }
}

/// Why a profile call did not end cleanly.
#[derive(Debug)]
enum Abnormal {
    Hung(Duration),
    Panicked(String),
}

impl std::fmt::Display for Abnormal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Abnormal::Hung(deadline) => write!(f, "no outcome within {deadline:?}"),
            Abnormal::Panicked(message) => write!(f, "panicked: {message}"),
        }
    }
}

/// Runs `profile_path` on a thread and waits at most `deadline` for it: a
/// hang fails the case instead of blocking the test run (the stuck thread
/// is left behind), a panic is caught and reported.
fn profile_with_watchdog(
    path: &Path,
    opts: ProfileOptions,
    deadline: Duration,
) -> Result<(Result<SourceProfile, ProfileError>, Duration), Abnormal> {
    let (send, receive) = mpsc::channel();
    let path = path.to_owned();
    let started = Instant::now();
    let worker = std::thread::Builder::new()
        .name(format!("profile {}", path.display()))
        .spawn(move || {
            let outcome = profile_path(&path, &opts);
            // The receiver is gone only when the watchdog gave up.
            let _ = send.send(outcome);
        })
        .expect("spawn the profiling thread");
    match receive.recv_timeout(deadline) {
        Ok(outcome) => Ok((outcome, started.elapsed())),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Abnormal::Hung(deadline)),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            let payload = worker.join().err();
            Err(Abnormal::Panicked(payload.map_or_else(
                || "no payload".to_owned(),
                |p| panic_text(&*p),
            )))
        }
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "non-text panic payload".to_owned()
    }
}

/// Runs one case; `Err` says what went wrong.
fn run(case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let path = (case.build)(dir.path());
    let (outcome, took) = profile_with_watchdog(&path, (case.options)(), DEADLINE)
        .map_err(|abnormal| abnormal.to_string())?;
    eprintln!("{}: {:?} in {took:?}", case.name, summary(&outcome));
    check_one_line(&outcome)?;
    match (&case.expect, outcome) {
        (Expect::Profiled(check), Ok(profile)) => {
            catch_unwind(AssertUnwindSafe(|| check(&profile)))
                .map_err(|p| format!("wrong facts: {}", panic_text(&*p)))
        }
        (
            Expect::Unsupported { detected, reason },
            Err(ProfileError::Unsupported {
                detected: got,
                reason: why,
                ..
            }),
        ) if got == *detected && why.contains(reason) => Ok(()),
        (
            Expect::Failed { step, cause },
            Err(ProfileError::Failed {
                step: at,
                cause: why,
            }),
        ) if at == *step && why.contains(cause) => Ok(()),
        (_, other) => Err(format!("unexpected outcome: {other:?}")),
    }
}

/// Runs a whole table and reports every failing case at once.
fn run_table(cases: &[Case]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| run(case).err().map(|why| format!("{}: {why}", case.name)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// An error is the one line a catalog editor reads: `step: cause`.
fn check_one_line(outcome: &Result<SourceProfile, ProfileError>) -> Result<(), String> {
    match outcome {
        Ok(_) => Ok(()),
        Err(err) => {
            let line = err.to_string();
            if line.contains('\n') || !line.contains(": ") || line.len() > 2_000 {
                Err(format!(
                    "error is not one short `step: cause` line: {line:?}"
                ))
            } else {
                Ok(())
            }
        }
    }
}

/// A short view of an outcome for the log (not the whole profile).
fn summary(outcome: &Result<SourceProfile, ProfileError>) -> String {
    match outcome {
        Ok(p) => format!(
            "{} records={} fields={} warnings={:?}",
            p.detected_format, p.record_count, p.field_count, p.warnings
        ),
        Err(e) => format!("{e} ({:?})", e.detected_format()),
    }
}

// ---------------------------------------------------------------------------
// Fixture builders
// ---------------------------------------------------------------------------

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/corpus/");

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write the fixture");
    path
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

fn utf16be(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

/// A zip of `(name, bytes)` members, deflated.
fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        writer.start_file(*name, options).expect("zip member");
        writer.write_all(bytes).expect("zip write");
    }
    writer.finish().expect("zip finish").into_inner()
}

/// A zip whose members are stored, not compressed.
fn zip_stored(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in members {
        writer.start_file(*name, options).expect("zip member");
        writer.write_all(bytes).expect("zip write");
    }
    writer.finish().expect("zip finish").into_inner()
}

/// The members of a corpus zip, by name.
fn corpus_zip_members(name: &str) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(format!("{CORPUS}{name}")).expect("corpus zip");
    let mut archive = zip::ZipArchive::new(file).expect("readable corpus zip");
    (0..archive.len())
        .map(|i| {
            let mut member = archive.by_index(i).expect("member");
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut member, &mut bytes).expect("member bytes");
            (member.name().expect("member name").into_owned(), bytes)
        })
        .collect()
}

/// The Paris arrondissements Shapefile set, each member passed through
/// `edit` (which returns `None` to leave a member out).
fn shapefile_zip(edit: fn(&str, Vec<u8>) -> Option<Vec<u8>>) -> Vec<u8> {
    let members: Vec<(String, Vec<u8>)> = corpus_zip_members("ods_paris_arrondissements_shp.zip")
        .into_iter()
        .filter_map(|(name, bytes)| edit(&name, bytes).map(|b| (name, b)))
        .collect();
    let borrowed: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    zip(&borrowed)
}

/// A small valid CSV, the payload of most container cases.
const COMMUNES: &[u8] = "code_postal;commune;population\n01000;Bourg-en-Bresse;41365\n13001;Marseille;861635\n75001;Paris;2133111\n".as_bytes();

/// Sets the "encrypted" flag (general purpose bit 0) of every member, in
/// both its local header and its central directory entry.
fn mark_encrypted(mut bytes: Vec<u8>) -> Vec<u8> {
    let mut at = 0;
    while at + 4 <= bytes.len() {
        let flag_offset = match &bytes[at..at + 4] {
            b"PK\x03\x04" => Some(at + 6),
            b"PK\x01\x02" => Some(at + 8),
            _ => None,
        };
        if let Some(offset) = flag_offset {
            bytes[offset] |= 1;
        }
        at += 1;
    }
    bytes
}

// ---------------------------------------------------------------------------
// Done readers: sniffing, encodings, CSV
// ---------------------------------------------------------------------------

fn names(profile: &SourceProfile) -> Vec<&str> {
    profile.fields.iter().map(|f| f.name.as_str()).collect()
}

fn done_cases() -> Vec<Case> {
    vec![
        case(
            "html page served as data.csv",
            |d| {
                write(
                    d,
                    "data.csv",
                    b"\r\n<!DOCTYPE html>\n<html><head><title>Erreur 404</title></head><body>Page introuvable</body></html>",
                )
            },
            Expect::Unsupported {
                detected: "html",
                reason: "HTML page",
            },
        ),
        case(
            "pdf served as data.csv",
            |d| {
                write(
                    d,
                    "data.csv",
                    b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\n",
                )
            },
            Expect::Unsupported {
                detected: "pdf",
                reason: "PDF document",
            },
        ),
        case(
            "png served as data.geojson",
            |d| {
                write(
                    d,
                    "data.geojson",
                    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0",
                )
            },
            Expect::Unsupported {
                detected: "png",
                reason: "PNG image",
            },
        ),
        case(
            "empty file",
            |d| write(d, "data.csv", b""),
            Expect::Unsupported {
                detected: "empty",
                reason: "0 bytes",
            },
        ),
        case(
            "white space only",
            |d| write(d, "data.csv", b" \r\n\t\n\n"),
            Expect::Unsupported {
                detected: "empty",
                reason: "white space",
            },
        ),
        case(
            "UTF-8 BOM only",
            |d| write(d, "data.csv", b"\xEF\xBB\xBF"),
            Expect::Unsupported {
                detected: "empty",
                reason: "white space",
            },
        ),
        case(
            "git LFS pointer in place of the data",
            |d| {
                write(
                    d,
                    "data.geojson",
                    b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 3810656\n",
                )
            },
            Expect::Unsupported {
                detected: "git-lfs-pointer",
                reason: "Git LFS pointer",
            },
        ),
        case(
            "NUL bytes in the head",
            |d| write(d, "data.csv", b"id;nom\n1;a\0\0\0\0b\n2;c\n"),
            Expect::Unsupported {
                detected: "binary",
                reason: "NUL bytes",
            },
        ),
        case(
            "NUL bytes past the head",
            |d| {
                let mut bytes = b"id;nom\n".to_vec();
                let mut n = 0u32;
                while bytes.len() <= dataprof_profiler::SNIFF_LEN {
                    bytes.extend_from_slice(format!("{n};ligne\n").as_bytes());
                    n += 1;
                }
                bytes.extend_from_slice(b"99999;nul\0\0au milieu\n");
                write(d, "data.csv", &bytes)
            },
            Expect::Profiled(|p| {
                assert_eq!(p.detected_format, "csv");
                assert_eq!(names(p), ["id", "nom"]);
                assert_eq!(p.record_count, 6_060);
            }),
        ),
        case(
            "invalid UTF-8 mid-file of a UTF-8 CSV",
            |d| {
                let mut bytes = "ville;habitants\n".as_bytes().to_vec();
                for i in 0..2_000 {
                    bytes.extend_from_slice(format!("Évry-Courcouronnes {i};{i}\n").as_bytes());
                }
                bytes.extend_from_slice(b"Orl\xC3ans;116\n");
                bytes.extend_from_slice("Nîmes;148\n".as_bytes());
                write(d, "data.csv", &bytes)
            },
            Expect::Profiled(|p| {
                assert_eq!(p.encoding.as_deref(), Some("utf-8"));
                assert_eq!(p.record_count, 2_002);
                assert!(
                    p.warnings
                        .contains(&"1 invalid UTF-8 sequence replaced".to_owned()),
                    "{:?}",
                    p.warnings
                );
            }),
        ),
        case(
            "UTF-8 sequence cut by the end of the file",
            |d| {
                let mut bytes = "id,ville\n".as_bytes().to_vec();
                for i in 0..50 {
                    bytes.extend_from_slice(format!("{i},Nîmes-Saint-Césaire\n").as_bytes());
                }
                bytes.extend_from_slice(b"50,Orl\xC3");
                write(d, "data.csv", &bytes)
            },
            Expect::Profiled(|p| {
                assert_eq!(p.encoding.as_deref(), Some("utf-8"));
                assert_eq!(p.record_count, 51);
                assert_eq!(p.warnings, ["1 invalid UTF-8 sequence replaced"]);
            }),
        ),
        case(
            "ragged rows",
            |d| {
                write(
                    d,
                    "data.csv",
                    b"a;b;c\n1;2;3\n4;5\n6;7;8;9\n10;11;12\n13;14;15\n16;17;18\n19;20\n21;22;23\n24;25;26\n27;28;29\n",
                )
            },
            Expect::Profiled(|p| {
                assert_eq!(names(p), ["a", "b", "c"]);
                assert_eq!(p.record_count, 10);
                assert_eq!(
                    p.warnings,
                    [
                        "3 records have 2 to 4 fields instead of 3: missing cells read as null, extra cells dropped"
                    ]
                );
                assert_eq!(p.fields[2].null_count, 2);
            }),
        ),
        case(
            "a footnote line below a long table",
            |d| {
                let mut rows: Vec<String> = vec!["code;libelle;valeur".to_owned()];
                rows.extend((0..200).map(|i| format!("{i:03};commune {i};{}", i * 2)));
                rows.push("Source : Insee, recensement 2020".to_owned());
                write(d, "data.csv", format!("{}\n", rows.join("\n")).as_bytes())
            },
            Expect::Profiled(|p| {
                assert_eq!(names(p), ["code", "libelle", "valeur"]);
                assert_eq!(p.record_count, 200);
                assert_eq!(p.fields[0].format.as_deref(), None);
                assert_eq!(p.fields[2].field_type, FieldType::Integer);
                assert_eq!(
                    p.warnings,
                    [
                        "1 note line after the table is not a record: \"Source : Insee, recensement 2020\""
                    ]
                );
            }),
        ),
        case(
            "numbers beyond i64 and f64 in CSV",
            |d| {
                write(
                    d,
                    "data.csv",
                    b"id;grand;enorme;minuscule\n1;99999999999999999999999;1e400;1e-400\n2;-99999999999999999999999;-1.5e308;2,5e-330\n",
                )
            },
            Expect::Profiled(|p| {
                assert_eq!(names(p), ["id", "grand", "enorme", "minuscule"]);
                assert_eq!(p.record_count, 2);
                // A value the profile cannot write as a JSON number must not
                // be silently turned into null.
                for record in &p.sample_records {
                    for name in ["grand", "enorme", "minuscule"] {
                        assert_ne!(record[name], Value::Null, "{name} in {record:?}");
                    }
                }
                assert_eq!(p.fields[1].null_count, 0);
                // Beyond i64 is still an integer (with no range, which f64
                // would round); beyond f64 is not a number.
                let types: Vec<_> = p.fields.iter().map(|f| f.field_type).collect();
                assert_eq!(
                    types,
                    [
                        FieldType::Integer,
                        FieldType::Integer,
                        FieldType::String,
                        FieldType::Number
                    ]
                );
                assert_eq!(p.fields[1].max, None);
                assert_eq!(p.sample_records[0]["enorme"], "1e400");
            }),
        ),
        case(
            "CR-only line ends",
            |d| {
                write(
                    d,
                    "data.csv",
                    b"code;libelle\r01;Ain\r02;Aisne\r03;Allier\r",
                )
            },
            Expect::Profiled(|p| {
                assert_eq!(names(p), ["code", "libelle"]);
                assert_eq!(p.record_count, 3);
                assert_eq!(p.sample_records[2]["libelle"], "Allier");
                let dialect = p.dialect.as_ref().expect("dialect");
                assert_eq!(dialect.line_terminator, "cr");
            }),
        ),
        case(
            "UTF-16LE CSV with a BOM",
            |d| {
                write(
                    d,
                    "data.csv",
                    &utf16le_with_bom(
                        "commune\tpopulation\r\nSaint-Étienne\t172565\r\nNîmes\t148561\r\n",
                    ),
                )
            },
            Expect::Profiled(|p| {
                assert_eq!(p.encoding.as_deref(), Some("utf-16le"));
                assert_eq!(names(p), ["commune", "population"]);
                assert_eq!(p.record_count, 2);
                assert_eq!(p.sample_records[0]["commune"], "Saint-Étienne");
                assert_eq!(p.dialect.as_ref().map(|d| d.delimiter.as_str()), Some("\t"));
            }),
        ),
        case(
            "UTF-16BE CSV without a BOM",
            |d| {
                write(
                    d,
                    "data.csv",
                    &utf16be("id;ville\n1;Lyon\n2;Brest\n3;Metz\n"),
                )
            },
            Expect::Profiled(|p| {
                assert_eq!(p.encoding.as_deref(), Some("utf-16be"));
                assert_eq!(names(p), ["id", "ville"]);
                assert_eq!(p.record_count, 3);
            }),
        ),
        case(
            "only a header",
            |d| {
                write(
                    d,
                    "data.csv",
                    b"code_commune_insee;nom_commune;code_postal;libelle_acheminement\n",
                )
            },
            Expect::Profiled(|p| {
                assert_eq!(p.record_count, 0);
                assert_eq!(
                    names(p),
                    [
                        "code_commune_insee",
                        "nom_commune",
                        "code_postal",
                        "libelle_acheminement"
                    ]
                );
                assert!(p.sample_records.is_empty());
            }),
        ),
        case(
            "10,000 columns",
            |d| {
                let header: Vec<String> = (0..10_000).map(|i| format!("c{i}")).collect();
                let row: Vec<String> = (0..10_000).map(|i| (i % 10).to_string()).collect();
                let text = format!("{}\n{}\n", header.join(","), row.join(","));
                write(d, "data.csv", text.as_bytes())
            },
            Expect::Failed {
                step: "csv",
                cause: "limit exceeded: the table has 10000 fields, more than the 4096 allowed",
            },
        ),
        case(
            "a 1 MB single cell",
            |d| {
                let text = format!("id,texte\n1,{}\n2,court\n", "é".repeat(512 * 1024));
                write(d, "data.csv", text.as_bytes())
            },
            Expect::Profiled(|p| {
                assert_eq!(p.record_count, 2);
                let cell = p.sample_records[0]["texte"].as_str().expect("text cell");
                assert_eq!(cell.chars().count(), 1_001);
                assert!(cell.ends_with("é…"), "{}", &cell[cell.len() - 8..]);
                assert_eq!(p.sample_records[1]["texte"], "court");
                for example in &p.fields[1].examples {
                    let text = example.as_str().unwrap_or_default();
                    assert!(text.chars().count() <= 1_001, "uncut example");
                }
            }),
        ),
        case(
            "an unclosed quote swallowing the file",
            |d| {
                let mut bytes = b"id,commentaire\n1,\"ouvert\n".to_vec();
                while bytes.len() < 2 << 20 {
                    bytes.extend_from_slice(b"2,suite du texte sur une autre ligne\n");
                }
                write(d, "data.csv", &bytes)
            },
            Expect::Profiled(|p| {
                // Relaxed quoting or one long record: either way it ends, and
                // the header is read.
                assert_eq!(names(p), ["id", "commentaire"]);
                assert!(p.record_count >= 1);
            }),
        ),
        case(
            "a 20 MB line under the default record limit",
            |d| {
                let mut bytes = b"id,texte\n1,".to_vec();
                bytes.resize(20 << 20, b'x');
                write(d, "data.csv", &bytes)
            },
            Expect::Failed {
                step: "csv",
                cause: "limit exceeded: a record starting at byte 9 is longer than 16777216 bytes",
            },
        ),
        case(
            "one field, one million short lines",
            |d| {
                let mut bytes = b"n\n".to_vec();
                for i in 0..1_000_000u32 {
                    bytes.extend_from_slice(format!("{}\n", i % 7).as_bytes());
                }
                write(d, "data.csv", &bytes)
            },
            Expect::Profiled(|p| {
                assert_eq!(p.record_count, 1_000_000);
                assert_eq!(p.field_count, 1);
            }),
        ),
        case(
            "delimiters only",
            |d| write(d, "data.csv", b";;;\n;;;\n;;;\n"),
            Expect::Unsupported {
                detected: "empty",
                reason: "only blank lines, delimiters or comments",
            },
        ),
        case(
            "64 KiB of blank lines before the table",
            |d| {
                let mut bytes = vec![b'\n'; dataprof_profiler::SNIFF_LEN + 10];
                bytes.extend_from_slice(b"id;nom\n1;a\n2;b\n");
                write(d, "data.csv", &bytes)
            },
            Expect::Profiled(|p| {
                assert_eq!(names(p), ["id", "nom"]);
                assert_eq!(p.record_count, 2);
            }),
        ),
        case(
            "a backslash before a doubled quote (RFC 4180)",
            // Found by proptest_csv: `\""` once made the reader switch to
            // backslash escapes and merge three records into one cell.
            |d| {
                write(
                    d,
                    "data.csv",
                    b"id,texte\n1,\"C:\\dossier\\\"\"\"\n2,b\n3,c\n4,\"d\"\n5,e\n6,f\n7,g\n8,h\n9,i\n10,j\n",
                )
            },
            Expect::Profiled(|p| {
                assert_eq!(p.record_count, 10);
                assert_eq!(p.sample_records[0]["texte"], "C:\\dossier\\\"");
                assert_eq!(p.sample_records[1]["texte"], "b");
                assert_eq!(p.dialect.as_ref().and_then(|d| d.escape.as_deref()), None);
            }),
        ),
        case(
            "XML served as CSV",
            |d| {
                write(
                    d,
                    "data.csv",
                    b"<?xml version=\"1.0\"?>\n<rows><row id=\"1\"/></rows>\n",
                )
            },
            Expect::Unsupported {
                detected: "xml",
                reason: "XML",
            },
        ),
    ]
}

#[test]
fn done_readers() {
    run_table(&done_cases());
}

// ---------------------------------------------------------------------------
// Archives, JSON, Shapefile
// ---------------------------------------------------------------------------

/// A 20 MB member of zeros deflates to about 20 KB: far past the ratio
/// limit (200), far below the size limit, so only the ratio can catch it.
const BOMB_BYTES: usize = 20 << 20;

fn archive_json_shapefile_cases() -> Vec<Case> {
    vec![
        case(
            "truncated gzip",
            |d| {
                let mut text = COMMUNES.to_vec();
                for i in 0..5_000 {
                    text.extend_from_slice(format!("{i:05};Commune {i};{i}\n").as_bytes());
                }
                let whole = gzip(&text);
                write(d, "data.csv.gz", &whole[..whole.len() / 2])
            },
            Expect::Failed {
                step: "gzip",
                cause: "truncated",
            },
        ),
        case(
            "truncated zip",
            |d| {
                let whole = zip(&[("communes.csv", COMMUNES)]);
                write(d, "data.zip", &whole[..whole.len() - 30])
            },
            Expect::Failed {
                step: "zip",
                cause: "truncated or corrupt",
            },
        ),
        case(
            "corrupt .shp header",
            |d| {
                let bytes = shapefile_zip(|name, mut bytes| {
                    if name.ends_with(".shp") {
                        bytes[..4].copy_from_slice(b"ABCD");
                    }
                    Some(bytes)
                });
                write(d, "data.zip", &bytes)
            },
            Expect::Failed {
                step: "shapefile",
                cause: "arrondissements.shp",
            },
        ),
        case(
            "corrupt .dbf header",
            |d| {
                let bytes = shapefile_zip(|name, bytes| {
                    Some(if name.ends_with(".dbf") {
                        bytes[..20].to_vec()
                    } else {
                        bytes
                    })
                });
                write(d, "data.zip", &bytes)
            },
            Expect::Failed {
                step: "shapefile",
                cause: "arrondissements.dbf",
            },
        ),
        case(
            ".shp without .dbf",
            |d| {
                let bytes = shapefile_zip(|name, bytes| (!name.ends_with(".dbf")).then_some(bytes));
                write(d, "data.zip", &bytes)
            },
            Expect::Failed {
                step: "shapefile",
                cause: "no matching .dbf",
            },
        ),
        case(
            ".dbf without .shp",
            |d| {
                let bytes = shapefile_zip(|name, bytes| {
                    (!name.ends_with(".shp") && !name.ends_with(".shx")).then_some(bytes)
                });
                write(d, "data.zip", &bytes)
            },
            Expect::Failed {
                step: "shapefile",
                cause: "no matching .shp",
            },
        ),
        case(
            "JSON nested 100,000 deep",
            |d| {
                let mut bytes = vec![b'['; 100_000];
                bytes.extend(std::iter::repeat_n(b']', 100_000));
                write(d, "data.json", &bytes)
            },
            Expect::Failed {
                step: "json",
                cause: "limit exceeded",
            },
        ),
        case(
            "JSON records nested 100,000 deep",
            |d| {
                let mut bytes = b"[{\"a\": ".to_vec();
                bytes.extend(std::iter::repeat_n(b'[', 100_000));
                bytes.extend(std::iter::repeat_n(b']', 100_000));
                bytes.extend_from_slice(b"}]");
                write(d, "data.json", &bytes)
            },
            Expect::Failed {
                step: "json",
                cause: "limit exceeded",
            },
        ),
        case(
            "integers beyond i64 in JSON",
            |d| {
                write(
                    d,
                    "data.json",
                    br#"[{"id": 1, "grand": 123456789012345678901234567890, "minuscule": 1e-400},
                        {"id": 2, "grand": -123456789012345678901234567890, "minuscule": 0}]"#,
                )
            },
            Expect::Profiled(|p| {
                assert_eq!(p.detected_format, "json");
                assert_eq!(p.record_count, 2);
                assert_eq!(names(p), ["id", "grand", "minuscule"]);
                assert_eq!(p.fields[1].field_type, FieldType::Number);
                assert_eq!(p.fields[1].null_count, 0);
            }),
        ),
        case(
            "truncated JSON",
            |d| {
                write(
                    d,
                    "data.json",
                    br#"[{"id": 1, "nom": "Ain"}, {"id": 2, "nom": "Ais"#,
                )
            },
            Expect::Failed {
                step: "json",
                cause: "truncated",
            },
        ),
        case(
            "GeoJSON with invalid coordinates",
            |d| {
                write(
                    d,
                    "data.geojson",
                    br#"{"type": "FeatureCollection", "features": [
                        {"type": "Feature", "properties": {"nom": "ok"}, "geometry": {"type": "Point", "coordinates": [2.35, 48.85]}},
                        {"type": "Feature", "properties": {"nom": "texte"}, "geometry": {"type": "Point", "coordinates": ["2.35", "48.85"]}},
                        {"type": "Feature", "properties": {"nom": "court"}, "geometry": {"type": "Point", "coordinates": [2.35]}},
                        {"type": "Feature", "properties": {"nom": "imbrique"}, "geometry": {"type": "Polygon", "coordinates": [1, 2, 3]}},
                        {"type": "Feature", "properties": {"nom": "vide"}, "geometry": {"type": "LineString", "coordinates": null}},
                        {"type": "Feature", "properties": {"nom": "ok2"}, "geometry": {"type": "Point", "coordinates": [5.37, 43.30]}}
                    ]}"#,
                )
            },
            Expect::Profiled(|p| {
                assert_eq!(p.detected_format, "geojson");
                assert_eq!(p.record_count, 6);
                assert_eq!(names(p), ["nom"]);
                let geometry = p.geometry.as_ref().expect("geometry");
                assert_eq!(geometry.count, 2);
                assert_eq!(geometry.bbox, Some([2.35, 43.30, 5.37, 48.85]));
                assert!(
                    p.warnings
                        .iter()
                        .any(|w| w.starts_with("4 features have an invalid geometry")),
                    "{:?}",
                    p.warnings
                );
            }),
        ),
        case(
            "zip bomb",
            |d| {
                write(
                    d,
                    "data.zip",
                    &zip(&[("zeros.csv", &vec![b'0'; BOMB_BYTES])]),
                )
            },
            Expect::Failed {
                step: "zip",
                cause: "limit exceeded",
            },
        ),
        case(
            "gzip bomb",
            |d| write(d, "data.csv.gz", &gzip(&vec![b'0'; BOMB_BYTES])),
            Expect::Failed {
                step: "gzip",
                cause: "limit exceeded",
            },
        ),
        Case {
            name: "gzip over the decompressed-size limit",
            // Plain text compresses about 10 times: only the size limit
            // (lowered to 1 MiB here) can stop it, not the ratio.
            build: |d| {
                let mut text = COMMUNES.to_vec();
                let mut i = 0u32;
                while text.len() < 3 << 20 {
                    text.extend_from_slice(
                        format!("{:05};Commune n°{i} {};{}\n", i % 97_000, i * 7919, i * 31)
                            .as_bytes(),
                    );
                    i += 1;
                }
                write(d, "data.csv.gz", &gzip(&text))
            },
            options: || {
                let mut opts = ProfileOptions::default();
                opts.limits.max_decompressed_bytes = 1 << 20;
                opts
            },
            expect: Expect::Failed {
                step: "gzip",
                cause: "limit exceeded: the archive decompresses to more than 1048576 bytes",
            },
        },
        case(
            "zip with 20,000 members",
            |d| {
                let names: Vec<String> = (0..20_000).map(|i| format!("part/{i}.csv")).collect();
                let members: Vec<(&str, &[u8])> =
                    names.iter().map(|n| (n.as_str(), &b"a\n1\n"[..])).collect();
                write(d, "data.zip", &zip_stored(&members))
            },
            Expect::Failed {
                step: "zip",
                cause: "limit exceeded: the archive lists 20000 members, more than 10000",
            },
        ),
        case(
            "zip in zip in zip",
            |d| {
                let inner = zip(&[("communes.csv", COMMUNES)]);
                let middle = zip(&[("inner.zip", &inner)]);
                write(d, "data.zip", &zip(&[("middle.zip", &middle)]))
            },
            Expect::Failed {
                step: "archive",
                cause: "limit exceeded: archives nested deeper than 2",
            },
        ),
        case(
            "zip in zip within the depth limit",
            |d| {
                let inner = zip(&[("communes.csv", COMMUNES)]);
                write(d, "data.zip", &zip(&[("inner.zip", &inner)]))
            },
            Expect::Profiled(|p| {
                assert_eq!(p.detected_format, "csv");
                assert_eq!(p.record_count, 3);
            }),
        ),
        case(
            "encrypted zip member",
            |d| {
                write(
                    d,
                    "data.zip",
                    &mark_encrypted(zip_stored(&[("communes.csv", COMMUNES)])),
                )
            },
            Expect::Unsupported {
                detected: "zip",
                reason: "encrypted",
            },
        ),
        case(
            "zip member named ../../evil.csv",
            |d| {
                let nested = d.join("a").join("b");
                std::fs::create_dir_all(&nested).expect("nested dir");
                let path = nested.join("data.zip");
                std::fs::write(&path, zip(&[("../../evil.csv", COMMUNES)])).expect("write");
                path
            },
            Expect::Profiled(|p| {
                assert_eq!(p.detected_format, "csv");
                assert_eq!(p.record_count, 3);
                let container = p.container.as_ref().expect("container");
                assert_eq!(container.kind, "zip");
                assert_eq!(container.member.as_deref(), Some("../../evil.csv"));
            }),
        ),
        case(
            "CSV in a folder of a zip",
            |d| {
                write(
                    d,
                    "data.zip",
                    &zip(&[("export/2024/communes.csv", COMMUNES)]),
                )
            },
            Expect::Profiled(|p| {
                assert_eq!(p.record_count, 3);
                assert_eq!(names(p), ["code_postal", "commune", "population"]);
                let member = p.container.as_ref().and_then(|c| c.member.as_deref());
                assert_eq!(member, Some("export/2024/communes.csv"));
            }),
        ),
        case(
            "zip of nothing but folders and system files",
            |d| {
                let bytes = zip(&[
                    ("__MACOSX/._communes.csv", b"\0\x05\x16\x07"),
                    (".DS_Store", b"\0\0\0\x01Bud1"),
                ]);
                write(d, "data.zip", &bytes)
            },
            Expect::Unsupported {
                detected: "zip",
                reason: "holds no file",
            },
        ),
        case(
            "HTML page gzipped",
            |d| {
                write(
                    d,
                    "data.csv.gz",
                    &gzip(b"<!DOCTYPE html><html><body>503</body></html>"),
                )
            },
            Expect::Unsupported {
                detected: "html",
                reason: "HTML page",
            },
        ),
        case(
            "JSON with 10,000 keys",
            |d| {
                let keys: Vec<String> = (0..10_000).map(|i| format!("\"k{i}\": {i}")).collect();
                write(
                    d,
                    "data.json",
                    format!("[{{{}}}]", keys.join(", ")).as_bytes(),
                )
            },
            Expect::Failed {
                step: "json",
                cause: "limit exceeded",
            },
        ),
        case(
            "a 1 MB JSON string",
            |d| {
                let text = format!("[{{\"id\": 1, \"texte\": \"{}\"}}]", "é".repeat(512 * 1024));
                write(d, "data.json", text.as_bytes())
            },
            Expect::Profiled(|p| {
                assert_eq!(p.record_count, 1);
                let cell = p.sample_records[0]["texte"].as_str().expect("text");
                assert_eq!(cell.chars().count(), 1_001);
                assert!(cell.ends_with('…'));
            }),
        ),
    ]
}

#[test]
fn archive_json_shapefile_readers() {
    run_table(&archive_json_shapefile_cases());
}

// ---------------------------------------------------------------------------
// Large CSV files, read in parts on several threads
// ---------------------------------------------------------------------------

/// Over 8 MiB: the CSV reader cuts files this large into parts (4 MiB at
/// least, one per core) and reads them on several threads.
const PARALLEL_BYTES: usize = 10 << 20;

/// Rows of about 300 bytes (`id;commune;texte`) up to [`PARALLEL_BYTES`];
/// `row` writes row `i`. Returns the rows written.
fn big_csv(bytes: &mut Vec<u8>, row: impl Fn(usize, &mut Vec<u8>)) -> usize {
    let mut rows = 0;
    while bytes.len() < PARALLEL_BYTES {
        row(rows, bytes);
        rows += 1;
    }
    rows
}

fn filler(i: usize) -> String {
    format!("{:0>280}", i.wrapping_mul(2_654_435_761) % 1_000_003)
}

fn parallel_cases() -> Vec<Case> {
    vec![
        case(
            "quoted line breaks across the part cuts",
            |d| {
                let mut bytes = b"id;commune;texte\n".to_vec();
                let rows = big_csv(&mut bytes, |i, out| {
                    out.extend_from_slice(
                        format!(
                            "{i};\"Saint-{i}\nsur-Loire\";\"{}\n{}\"\n",
                            filler(i),
                            i % 7
                        )
                        .as_bytes(),
                    );
                });
                assert_eq!(rows, 33_359);
                write(d, "data.csv", &bytes)
            },
            Expect::Profiled(|p| {
                assert_eq!(names(p), ["id", "commune", "texte"]);
                assert_eq!(p.record_count, 33_359);
                assert_eq!(p.sample_records[0]["commune"], "Saint-0\nsur-Loire");
                assert_eq!(p.fields[0].null_count, 0);
            }),
        ),
        case(
            "ragged rows in every part",
            |d| {
                let mut bytes = b"id;commune;texte\n".to_vec();
                big_csv(&mut bytes, |i, out| {
                    let row = match i % 10_000 {
                        5_000 => format!("{i};court\n"),
                        9_999 => format!("{i};long;{};extra\n", filler(i)),
                        _ => format!("{i};commune {i};{}\n", filler(i)),
                    };
                    out.extend_from_slice(row.as_bytes());
                });
                write(d, "data.csv", &bytes)
            },
            Expect::Profiled(|p| {
                assert_eq!(p.record_count, 34_914);
                assert_eq!(
                    p.warnings,
                    [
                        "6 records have 2 to 4 fields instead of 3: missing cells read as null, extra cells dropped"
                    ]
                );
                assert_eq!(p.fields[2].null_count, 3);
            }),
        ),
        case(
            "a latin-1 byte in the last part only",
            |d| {
                let mut bytes = b"id;commune;texte\n".to_vec();
                let rows = big_csv(&mut bytes, |i, out| {
                    out.extend_from_slice(format!("{i};commune {i};{}\n", filler(i)).as_bytes());
                });
                bytes.extend_from_slice(b"999999;Orl\xE9ans;x\n");
                assert_eq!(rows, 34_911);
                write(d, "data.csv", &bytes)
            },
            Expect::Profiled(|p| {
                assert_eq!(p.encoding.as_deref(), Some("iso-8859-1"));
                assert_eq!(p.record_count, 34_912);
            }),
        ),
        case(
            "invalid UTF-8 in the last part of a UTF-8 file",
            |d| {
                let mut bytes = "id;commune;texte\n".as_bytes().to_vec();
                big_csv(&mut bytes, |i, out| {
                    out.extend_from_slice(format!("{i};Évry {i};{}\n", filler(i)).as_bytes());
                });
                bytes.extend_from_slice(b"999999;Orl\xE9ans;x\n");
                write(d, "data.csv", &bytes)
            },
            Expect::Profiled(|p| {
                assert_eq!(p.encoding.as_deref(), Some("utf-8"));
                assert_eq!(p.record_count, 35_145);
                assert_eq!(p.warnings, ["1 invalid UTF-8 sequence replaced"]);
            }),
        ),
        Case {
            name: "an over-long record in the last part",
            build: |d| {
                let mut bytes = b"id;commune;texte\n".to_vec();
                big_csv(&mut bytes, |i, out| {
                    out.extend_from_slice(format!("{i};commune {i};{}\n", filler(i)).as_bytes());
                });
                assert_eq!(bytes.len(), 10_486_008);
                bytes.extend_from_slice(b"999999;long;");
                bytes.resize(bytes.len() + (2 << 20), b'x');
                bytes.push(b'\n');
                write(d, "data.csv", &bytes)
            },
            options: || {
                let mut opts = ProfileOptions::default();
                opts.limits.max_record_bytes = 1 << 20;
                opts
            },
            expect: Expect::Failed {
                step: "csv",
                cause: "limit exceeded: a record starting at byte 10486008 is longer than 1048576 bytes",
            },
        },
    ]
}

#[test]
fn parallel_csv_reader() {
    run_table(&parallel_cases());
}

/// Numbers beyond f64 in JSON: serde_json (without `arbitrary_precision`,
/// which would allocate every number) refuses them, so the source ends with
/// a clear `json` error naming the place, not a profile. RFC 8259 allows
/// such numbers; they are rare enough in open data that a terminal, named
/// outcome is the chosen behaviour. The CSV reader keeps them as text.
fn json_number_range_cases() -> Vec<Case> {
    vec![case(
        "numbers beyond f64 in JSON",
        |d| {
            write(
                d,
                "data.json",
                br#"[{"id": 1, "enorme": 1e400}, {"id": 2, "enorme": -1e400}, {"id": 3, "enorme": 5}]"#,
            )
        },
        Expect::Failed {
            step: "json",
            cause: "number out of range",
        },
    )]
}

#[test]
fn json_numbers_beyond_f64_end_with_a_named_error() {
    run_table(&json_number_range_cases());
}

/// Nothing is written outside the profiler's own temporary files, whatever
/// the member names say.
#[test]
fn traversal_member_names_write_nothing_outside() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nested = dir.path().join("a").join("b");
    std::fs::create_dir_all(&nested).expect("nested dir");
    let names = [
        "../../evil.csv",
        "/tmp/evil-absolute.csv",
        "..\\..\\evil-backslash.csv",
    ];
    let cwd = std::env::current_dir().expect("cwd");
    let watched: Vec<PathBuf> = [
        dir.path().join("evil.csv"),
        dir.path().join("a").join("evil.csv"),
        cwd.join("../../evil.csv"),
        std::env::temp_dir().join("evil.csv"),
        PathBuf::from("/tmp/evil-absolute.csv"),
        std::env::temp_dir().join("evil-backslash.csv"),
    ]
    .into_iter()
    .filter(|p| !p.exists())
    .collect();
    for name in names {
        let path = nested.join("data.zip");
        std::fs::write(&path, zip(&[(name, COMMUNES)])).expect("write");
        let outcome = profile_with_watchdog(&path, ProfileOptions::default(), DEADLINE)
            .expect("ends cleanly");
        let profile = outcome.0.expect("the member is profiled");
        assert_eq!(profile.record_count, 3, "{name}");
        for path in &watched {
            assert!(!path.exists(), "{name} wrote {}", path.display());
        }
    }
    let left: Vec<_> = std::fs::read_dir(&nested)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, ["data.zip"]);
}

// ---------------------------------------------------------------------------
// A 100 MB line without a newline: fails fast, in bounded memory
// ---------------------------------------------------------------------------

/// Set in the child process that runs the measured case alone.
const CHILD: &str = "DATAPROF_HOSTILE_CHILD";

/// Peak resident memory of this process, in KiB (`VmHWM` in
/// /proc/self/status); `None` where /proc is not available.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The measured case, run in the child: writes the 100 MB file in 1 MiB
/// steps (so the fixture itself costs no memory), then profiles it and
/// prints the growth of the peak resident set.
fn hundred_megabyte_line_child() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("data.csv");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        file.write_all(b"id;texte\n1;").expect("write");
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..100 {
            file.write_all(&chunk).expect("write");
        }
        file.flush().expect("flush");
    }
    let before = peak_rss_kib();
    let started = Instant::now();
    let (outcome, _) = profile_with_watchdog(&path, ProfileOptions::default(), DEADLINE)
        .expect("ends within the deadline");
    let took = started.elapsed();
    let after = peak_rss_kib();
    match outcome {
        Err(ProfileError::Failed { step, cause }) => {
            assert_eq!(step, "csv");
            assert_eq!(
                cause,
                "limit exceeded: a record starting at byte 9 is longer than 16777216 bytes"
            );
        }
        other => panic!("expected the record limit, got {other:?}"),
    }
    if let (Some(before), Some(after)) = (before, after) {
        println!("peak-rss-growth-kib={}", after.saturating_sub(before));
    }
    println!("elapsed-ms={}", took.as_millis());
}

#[test]
fn hundred_megabyte_line_fails_fast_in_bounded_memory() {
    if std::env::var_os(CHILD).is_some() {
        hundred_megabyte_line_child();
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "hundred_megabyte_line_fails_fast_in_bounded_memory",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .expect("run the child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value = |key: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    let elapsed = value("elapsed-ms=").expect("the child reports its time");
    eprintln!("100 MB line: {elapsed} ms, {stdout}");
    assert!(elapsed < DEADLINE.as_millis() as u64);
    // The limit is 16 MiB per record: the reader may hold one record of up
    // to that size (and the csv crate doubles its buffer while growing), but
    // never the 100 MB line.
    if let Some(growth) = value("peak-rss-growth-kib=") {
        assert!(
            growth < 80 * 1024,
            "peak memory grew by {growth} KiB reading a 100 MB line"
        );
    }
}
