//! The file read in parts on several threads, or read as UTF-8 on trust,
//! must give exactly the profile of one plain pass: the whole encoding
//! detection first, then every record on one thread.

use std::io::Write;
use std::path::Path;

use dataprof_model::SourceProfile;

use super::parallel::{Parallelism, PassError};
use super::{detect, profile_as, profile_with};
use crate::{ProfileError, ProfileOptions};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

const ONE_THREAD: Parallelism = Parallelism {
    threads: 1,
    min_part_bytes: u64::MAX,
    balance_part_bytes: u64::MAX,
};

/// Four threads, one part each, whatever the size (cuts stay past the
/// sample, see [`super::split::MIN_CUT`]).
const FOUR_PARTS: Parallelism = Parallelism {
    threads: 4,
    min_part_bytes: 1,
    balance_part_bytes: u64::MAX,
};

/// Two threads taking 16 parts of 64 KB or more in turns.
const MANY_PARTS: Parallelism = Parallelism {
    threads: 2,
    min_part_bytes: 1,
    balance_part_bytes: 64 << 10,
};

/// The reference: whole-file encoding detection, then one thread.
fn plain(path: &Path) -> Result<SourceProfile, ProfileError> {
    let opts = ProfileOptions::default();
    let detected = detect(path, &opts)?;
    profile_as(path, &opts, &detected, false, ONE_THREAD).map_err(|err| match err {
        PassError::Failed(err) => err,
        PassError::NotUtf8 => panic!("an unchecked pass reported non-UTF-8"),
    })
}

fn fast(path: &Path, parallelism: Parallelism) -> Result<SourceProfile, ProfileError> {
    profile_with(path, &ProfileOptions::default(), parallelism)
}

fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(bytes).expect("write");
    file.flush().expect("flush");
    file
}

fn csv_fixtures() -> Vec<std::path::PathBuf> {
    let mut paths = Vec::new();
    for dir in ["corpus", "peers/duckdb"] {
        let entries = std::fs::read_dir(Path::new(FIXTURES).join(dir)).expect("fixtures");
        for entry in entries {
            let path = entry.expect("entry").path();
            let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase());
            if matches!(ext.as_deref(), Some("csv" | "tsv" | "txt")) {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths
}

#[test]
fn every_csv_fixture_profiles_the_same_every_way() {
    let fixtures = csv_fixtures();
    assert!(fixtures.len() >= 35, "{} fixtures", fixtures.len());
    for path in &fixtures {
        let reference = plain(path);
        assert_eq!(fast(path, ONE_THREAD), reference, "{}", path.display());
        assert_eq!(fast(path, FOUR_PARTS), reference, "{}", path.display());
        assert_eq!(fast(path, MANY_PARTS), reference, "{}", path.display());
    }
}

/// A French-style table of about `bytes` bytes: a title line, CRLF, a
/// quoted value with a line break in every third record, doubled quotes,
/// decimal commas and accents. Returns the text and its record count.
fn french_table(bytes: usize) -> (String, u64) {
    let mut text = String::from("Subventions 2024;;;\r\nid;libelle;montant;date\r\n");
    let mut n = 0u64;
    while text.len() < bytes {
        n += 1;
        let libelle = match n % 3 {
            0 => format!("\"Aide n°{n}\r\nsuite \"\"{}\"\"\"", n % 7),
            1 => format!("Château {}", n % 1000),
            _ => format!("\"Évry; {n}\""),
        };
        text.push_str(&format!(
            "{n};{libelle};{},{:02};{:02}/03/2021\r\n",
            n * 7 % 1000,
            n % 100,
            n % 28 + 1
        ));
    }
    (text, n)
}

#[test]
fn a_large_table_read_in_parts_equals_one_pass() {
    let (text, records) = french_table(1_500_000);
    let file = temp_file(text.as_bytes());
    let reference = plain(file.path()).expect("profile");
    assert_eq!(reference.record_count, records);
    assert_eq!(reference.encoding.as_deref(), Some("utf-8"));
    assert_eq!(fast(file.path(), FOUR_PARTS), Ok(reference.clone()));
    assert_eq!(fast(file.path(), MANY_PARTS), Ok(reference.clone()));
    // In windows-1252, the parts are transcoded each on their own.
    let (latin, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable);
    let file = temp_file(&latin);
    let parts = fast(file.path(), FOUR_PARTS).expect("profile");
    assert_eq!(parts.encoding.as_deref(), Some("iso-8859-1"));
    assert_eq!(parts.record_count, records);
    assert_eq!(Ok(parts), plain(file.path()));
}

#[test]
fn a_quote_that_never_closes_in_the_last_part_is_named_at_its_line() {
    let (mut text, records) = french_table(1_500_000);
    // Three more lines, the first opening a quote that never closes.
    text.push_str("900001;\"Aide jamais fermée;12,00;01/03/2021\r\n");
    text.push_str("900002;Lyon;13,00;02/03/2021\r\n900003;Lille;14,00;03/03/2021\r\n");
    let file = temp_file(text.as_bytes());
    let total_lines = text.matches("\r\n").count() as u64;
    let expected = format!(
        "a quote opened in the record starting on line {} never closes: the 3 lines",
        total_lines - 2
    );
    for (way, profile) in [
        ("one pass", plain(file.path())),
        ("four parts", fast(file.path(), FOUR_PARTS)),
        ("many parts", fast(file.path(), MANY_PARTS)),
    ] {
        let profile = profile.expect("profile");
        assert_eq!(profile.record_count, records + 1, "{way}");
        assert!(
            profile.warnings.iter().any(|w| w.starts_with(&expected)),
            "{way}: {:?}",
            profile.warnings
        );
    }
}

#[test]
fn the_parts_really_are_read_apart() {
    use super::reader::ReadPlan;
    use super::{dialect::Syntax, split};

    let (text, records) = french_table(1_500_000);
    let file = temp_file(text.as_bytes());
    let names: Vec<String> = ["id", "libelle", "montant", "date"]
        .map(str::to_owned)
        .to_vec();
    let opts = ProfileOptions::default();
    let plan = ReadPlan {
        syntax: Syntax::delimited(b';'),
        skip_records: 2,
        names: &names,
        opts: &opts,
    };
    let mut handle = std::fs::File::open(file.path()).expect("open");
    let len = text.len() as u64;
    let cuts = split::cut_points(&mut handle, len, 4, plan.syntax, names.len()).expect("cuts");
    assert_eq!(cuts.len(), 3);
    let detected = detect(file.path(), &opts).expect("encoding");
    let run = super::parallel::read_parts(file.path(), &detected, &plan, &cuts, len, true, 2)
        .expect("the cuts fall between records")
        .map_err(|_| "a failed pass")
        .expect("a run");
    assert_eq!(run.record_count, records);
    assert!(run.non_ascii);
    // A cut inside a quoted value (right after `Aide n°3\r\n`) is caught.
    let inside = text.find("suite \"\"3").expect("a quoted line break") as u64;
    let misread =
        super::parallel::read_parts(file.path(), &detected, &plan, &[inside], len, true, 2);
    assert!(misread.is_none());
}

#[test]
fn a_cut_inside_a_quoted_value_falls_back_to_one_pass() {
    // Every record holds a long quoted value with many line breaks whose
    // lines look like records: cuts can only guess, and the profile must
    // still be exact.
    let mut text = String::from("id;texte;n\n");
    let mut n = 0u64;
    while text.len() < 1_200_000 {
        n += 1;
        text.push_str(&format!("{n};\"a;b;c\n"));
        for line in 0..40 {
            text.push_str(&format!("{line};x;y\n"));
        }
        text.push_str(&format!("fin\";{n}\n"));
    }
    let file = temp_file(text.as_bytes());
    let reference = plain(file.path()).expect("profile");
    assert_eq!(reference.record_count, n);
    assert_eq!(fast(file.path(), FOUR_PARTS), Ok(reference));
}

#[test]
fn a_clean_head_then_bytes_that_are_not_utf8() {
    // Past the head, a latin-1 byte: the pass that read UTF-8 on trust
    // gives way to the whole-file detection.
    let mut bytes = "ville;n\n".as_bytes().to_vec();
    let mut n = 0u64;
    while bytes.len() < 1_000_000 {
        n += 1;
        bytes.extend_from_slice(format!("Paris {n};{n}\n").as_bytes());
    }
    bytes.extend_from_slice(b"Orl\xE9ans;1\n");
    let file = temp_file(&bytes);
    for parallelism in [ONE_THREAD, FOUR_PARTS, MANY_PARTS] {
        let profile = fast(file.path(), parallelism).expect("profile");
        assert_eq!(profile.encoding.as_deref(), Some("iso-8859-1"));
        assert_eq!(profile.record_count, n + 1);
        assert_eq!(Ok(profile), plain(file.path()));
    }
    // Past the head, a UTF-8 sequence cut by a quote: the cells read as
    // valid UTF-8 (the parser drops the quote), yet the bytes are not.
    let mut bytes = b"id;nom\n".to_vec();
    bytes.extend_from_slice("2;Nîmes\n".repeat(30_000).as_bytes());
    bytes.extend_from_slice(b"1;\"ab\xC3\"\xA9\"\n");
    let file = temp_file(&bytes);
    let profile = fast(file.path(), ONE_THREAD).expect("profile");
    assert_eq!(profile.encoding.as_deref(), Some("utf-8"));
    assert_eq!(profile.warnings, ["2 invalid UTF-8 sequences replaced"]);
    assert_eq!(Ok(profile), plain(file.path()));
}

#[test]
fn ascii_is_told_from_utf8_by_the_whole_file() {
    let mut bytes = b"id;nom\n".to_vec();
    for i in 0..20_000 {
        bytes.extend_from_slice(format!("{i};plain\n").as_bytes());
    }
    let file = temp_file(&bytes);
    let profile = fast(file.path(), FOUR_PARTS).expect("profile");
    assert_eq!(profile.encoding.as_deref(), Some("ascii"));
    bytes.extend_from_slice("20000;élan\n".as_bytes());
    let file = temp_file(&bytes);
    let profile = fast(file.path(), FOUR_PARTS).expect("profile");
    assert_eq!(profile.encoding.as_deref(), Some("utf-8"));
    assert_eq!(profile.record_count, 20_001);
}

#[test]
fn a_long_record_in_a_later_part_is_reported_at_its_offset() {
    let mut text = String::from("id;texte\n");
    while text.len() < 1_000_000 {
        text.push_str("1;court\n");
    }
    let start = text.len();
    text.push_str("2;\"");
    text.push_str(&"long ".repeat(60_000));
    text.push_str("\"\n3;fin\n");
    let file = temp_file(text.as_bytes());
    let mut opts = ProfileOptions::default();
    opts.limits.max_record_bytes = 100_000;
    let want = format!(
        "csv: limit exceeded: a record starting at byte {start} is longer than 100000 bytes"
    );
    for parallelism in [ONE_THREAD, FOUR_PARTS, MANY_PARTS] {
        let err = profile_with(file.path(), &opts, parallelism).expect_err("limit");
        assert_eq!(err.to_string(), want);
    }
}

/// A download whose first `first` bytes are in the file at once, and all
/// the rest as soon as a reader waits past them.
#[derive(Debug)]
struct Burst {
    bytes: Vec<u8>,
    state: std::sync::Mutex<(std::fs::File, usize)>,
}

impl Burst {
    fn extent_of(&self, written: usize) -> crate::source::Extent {
        crate::source::Extent {
            len: written as u64,
            complete: written == self.bytes.len(),
        }
    }
}

impl crate::source::Growth for Burst {
    fn extent(&self) -> std::io::Result<crate::source::Extent> {
        let state = self
            .state
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        Ok(self.extent_of(state.1))
    }

    fn wait_beyond(&self, offset: u64) -> std::io::Result<crate::source::Extent> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        if state.1 as u64 <= offset {
            let start = state.1;
            state.0.write_all(&self.bytes[start..])?;
            state.0.flush()?;
            state.1 = self.bytes.len();
        }
        Ok(self.extent_of(state.1))
    }
}

/// Options whose growing file is `text`, `first` bytes of it written.
fn bursting(text: &[u8], first: usize) -> (tempfile::NamedTempFile, ProfileOptions) {
    let file = temp_file(&text[..first]);
    let mut writer = file.reopen().expect("writer");
    std::io::Seek::seek(&mut writer, std::io::SeekFrom::End(0)).expect("seek");
    let growth = std::sync::Arc::new(Burst {
        bytes: text.to_vec(),
        state: std::sync::Mutex::new((writer, first)),
    });
    let opts = ProfileOptions {
        growing: Some(crate::source::Growing::new(file.path(), growth)),
        ..ProfileOptions::default()
    };
    (file, opts)
}

#[test]
fn a_download_that_ends_early_is_read_again_in_parts() {
    use super::dialect::Syntax;
    use super::reader::ReadPlan;

    let (text, records) = french_table(1_500_000);
    let names: Vec<String> = ["id", "libelle", "montant", "date"]
        .map(str::to_owned)
        .to_vec();
    let whole = temp_file(text.as_bytes());
    let detected = detect(whole.path(), &ProfileOptions::default()).expect("encoding");
    for (first, restarted) in [(200_000, true), (1_400_000, false)] {
        let (file, opts) = bursting(text.as_bytes(), first);
        let plan = ReadPlan {
            syntax: Syntax::delimited(b';'),
            skip_records: 2,
            names: &names,
            opts: &opts,
        };
        let source = crate::source::open(file.path(), &opts).expect("open");
        let pass =
            super::parallel::read_while_downloading(source, &detected, &plan, true, FOUR_PARTS);
        assert_eq!(
            pass.is_none(),
            restarted,
            "download ended after {first} bytes"
        );
        if let Some(pass) = pass {
            let run = pass.map_err(|_| "a failed pass").expect("a run");
            assert_eq!(run.record_count, records);
        }
        // Restarted or not, the pass over the file is exact.
        let (file, opts) = bursting(text.as_bytes(), first);
        let plan = ReadPlan {
            opts: &opts,
            ..plan
        };
        let run = super::parallel::read_file(file.path(), &detected, &plan, true, FOUR_PARTS)
            .map_err(|_| "a failed pass")
            .expect("a run");
        assert_eq!(run.record_count, records);
        assert!(run.non_ascii);
    }
}
