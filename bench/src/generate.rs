//! Deterministic synthetic inputs shaped like French open data.
//!
//! The same seed always writes the same bytes, so figures from two runs or
//! two machines describe the same work.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// A small xorshift generator: deterministic and dependency-free.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const COMMUNES: [&str; 8] = [
    "Saint-Étienne",
    "Château-Thierry",
    "L'Haÿ-les-Roses",
    "Besançon",
    "Ajaccio",
    "Bourg-en-Bresse",
    "Nîmes",
    "Évry-Courcouronnes",
];
const CATEGORIES: [&str; 6] = [
    "Associations",
    "Culture",
    "Sport",
    "Social",
    "Éducation",
    "Environnement",
];

/// Writes a `;`-separated, CRLF, UTF-8 CSV of about `target_bytes`, with 11
/// columns: integers, leading-zero codes, quoted text holding `;` and
/// doubled quotes, day-first dates, decimal commas, `oui`/`non`, postal
/// codes, a low-cardinality category and a geopoint. Returns the record count.
pub fn french_csv(path: &Path, target_bytes: u64, seed: u64) -> std::io::Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut rng = Rng::new(seed);
    out.write_all(
        b"id;code_commune;libelle;date_attribution;montant;taux;actif;code_postal;categorie;coordonnees;commentaire\r\n",
    )?;
    let mut written = 0u64;
    let mut records = 0u64;
    let mut line = String::with_capacity(256);
    while written < target_bytes {
        records += 1;
        line.clear();
        let dep = rng.below(95) + 1;
        let commune = if dep == 20 {
            format!(
                "2{}{:03}",
                if rng.below(2) == 0 { 'A' } else { 'B' },
                rng.below(400)
            )
        } else {
            format!("{dep:02}{:03}", rng.below(900) + 1)
        };
        let name = COMMUNES[rng.below(COMMUNES.len() as u64) as usize];
        let libelle = match rng.below(10) {
            0 => format!("\"Subvention {name}; fonctionnement\""),
            1 => format!("\"Projet \"\"{name}\"\" {}\"", rng.below(1000)),
            _ => format!("Aide {name} n°{}", rng.below(100_000)),
        };
        let day = rng.below(28) + 1;
        let month = rng.below(12) + 1;
        let year = 2000 + rng.below(25);
        let amount = rng.below(10_000_000);
        let rate = rng.below(10_000);
        let active = if rng.below(3) == 0 { "non" } else { "oui" };
        let postal = format!("{:05}", dep * 1000 + rng.below(999));
        let category = CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize];
        let lat = 42.0 + rng.below(9_000_000) as f64 / 1e6;
        let lon = -4.0 + rng.below(12_000_000) as f64 / 1e6;
        let comment = if rng.below(4) == 0 { "" } else { "RAS" };
        use std::fmt::Write as _;
        let _ = write!(
            line,
            "{records};{commune};{libelle};{day:02}/{month:02}/{year};{},{:02};{},{:02};{active};{postal};{category};\"{lat:.6},{lon:.6}\";{comment}\r\n",
            amount / 100,
            amount % 100,
            rate / 100,
            rate % 100,
        );
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    out.flush()?;
    Ok(records)
}

/// Writes a GeoJSON FeatureCollection of about `target_bytes`: points and
/// small polygons with Opendatasoft-like properties. Returns the feature count.
pub fn geojson(path: &Path, target_bytes: u64, seed: u64) -> std::io::Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut rng = Rng::new(seed);
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    let mut written = 0u64;
    let mut features = 0u64;
    let mut item = String::with_capacity(512);
    while written < target_bytes {
        use std::fmt::Write as _;
        item.clear();
        if features > 0 {
            item.push_str(",\n");
        }
        features += 1;
        let x = -4.0 + rng.below(12_000_000) as f64 / 1e6;
        let y = 42.0 + rng.below(9_000_000) as f64 / 1e6;
        let geometry = if rng.below(3) == 0 {
            format!(
                "{{\"type\":\"Polygon\",\"coordinates\":[[[{x:.6},{y:.6}],[{:.6},{y:.6}],[{:.6},{:.6}],[{x:.6},{y:.6}]]]}}",
                x + 0.01,
                x + 0.01,
                y + 0.01
            )
        } else {
            format!("{{\"type\":\"Point\",\"coordinates\":[{x:.6},{y:.6}]}}")
        };
        let _ = write!(
            item,
            "{{\"type\":\"Feature\",\"geometry\":{geometry},\"properties\":{{\"id\":{features},\"code_insee\":\"{:05}\",\"nom\":\"{}\",\"categorie\":\"{}\",\"surface\":{}.{:02},\"date_maj\":\"20{:02}-{:02}-{:02}\",\"ouvert\":{}}}}}",
            rng.below(95_000) + 1000,
            COMMUNES[rng.below(COMMUNES.len() as u64) as usize],
            CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize],
            rng.below(100_000),
            rng.below(100),
            rng.below(25),
            rng.below(12) + 1,
            rng.below(28) + 1,
            rng.below(2) == 0,
        );
        out.write_all(item.as_bytes())?;
        written += item.len() as u64;
    }
    out.write_all(b"\n]}\n")?;
    out.flush()?;
    Ok(features)
}

/// Writes NDJSON of about `target_bytes`, one record a line, with nested
/// objects, arrays, floats and optional keys. Returns the record count.
pub fn ndjson(path: &Path, target_bytes: u64, seed: u64) -> std::io::Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut rng = Rng::new(seed);
    let mut written = 0u64;
    let mut records = 0u64;
    let mut line = String::with_capacity(512);
    while written < target_bytes {
        use std::fmt::Write as _;
        line.clear();
        records += 1;
        let track = if rng.below(20) == 0 {
            format!(",\"track\":\"{}\"", rng.below(9) + 1)
        } else {
            String::new()
        };
        let _ = writeln!(
            line,
            "{{\"id\":{records},\"station\":{{\"id\":\"9000{:08}\",\"name\":\"{}\",\"geo\":{{\"lat\":{:.6},\"lon\":{:.6}}}}},\"lines\":[\"U{}\",\"S{}\"],\"position\":{}.{},\"accessible\":{},\"updated\":\"2024-0{}-1{}T0{}:1{}:00+01:00\"{track}}}",
            rng.below(100_000_000),
            COMMUNES[rng.below(COMMUNES.len() as u64) as usize],
            52.3 + rng.below(300_000) as f64 / 1e6,
            13.2 + rng.below(400_000) as f64 / 1e6,
            rng.below(9) + 1,
            rng.below(47) + 1,
            rng.below(300),
            rng.below(10),
            rng.below(2) == 0,
            rng.below(9) + 1,
            rng.below(9),
            rng.below(9),
            rng.below(6),
        );
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    out.flush()?;
    Ok(records)
}
