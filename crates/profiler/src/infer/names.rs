//! What a column's name suggests about its values.
//!
//! Some readings are only safe with the name's support: `0`/`1` are
//! booleans in `is_active`, 4-digit integers are years in `annee`,
//! `20210131` is a date in `date_maj`, 5-digit numbers are postal codes in
//! `code_postal`. Names are split into lower-case, accent-free tokens
//! (`Code_commune_INSEE` -> code, commune, insee; `isActive` -> is, active).

/// Hints read once from a field name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NameHints {
    pub year: bool,
    pub date: bool,
    pub flag: bool,
    pub postal: bool,
    pub insee: bool,
    pub departement: bool,
    pub siren: bool,
    pub siret: bool,
    /// GeoJSON `coordinates`: a 2-number array there is `[lon, lat]`, not a
    /// `[lat, lon]` geopoint.
    pub coordinates: bool,
}

impl NameHints {
    pub(crate) fn from_name(name: &str) -> Self {
        let tokens = tokens(name);
        let has = |words: &[&str]| tokens.iter().any(|t| words.contains(&t.as_str()));
        let starts = |prefixes: &[&str]| {
            tokens
                .iter()
                .any(|t| prefixes.iter().any(|p| t.starts_with(p)))
        };
        let first = tokens.first().map(String::as_str).unwrap_or("");
        NameHints {
            year: has(&["an", "ann", "year", "years", "yr", "exercice", "vintage"])
                || starts(&["annee", "year", "millesime", "date"]),
            date: has(&["dt", "jour", "day", "data", "datum", "fecha"]) || starts(&["date"]),
            flag: ["is", "has", "f", "est", "b", "flag", "bool"].contains(&first)
                || has(&[
                    "flag", "flags", "actif", "active", "enabled", "bool", "boolean",
                ]),
            postal: has(&["cp", "zip", "zipcode", "postcode", "codpost"])
                || starts(&["postal", "codepostal"]),
            insee: has(&[
                "insee",
                "codgeo",
                "depcom",
                "codecommune",
                "codcom",
                "com",
                "citycode",
            ]) || (has(&["code"]) && has(&["commune"])),
            departement: has(&[
                "dep",
                "dept",
                "dpt",
                "departement",
                "codedep",
                "coddep",
                "numdep",
            ]),
            siren: has(&["siren"]),
            siret: has(&["siret"]),
            coordinates: tokens.last().is_some_and(|t| t == "coordinates"),
        }
    }
}

/// Splits a name at non-alphanumerics and lower-to-upper case changes,
/// lower-cased with French accents removed.
fn tokens(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if ch.is_alphanumeric() {
            if ch.is_uppercase() && prev_lower && !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            prev_lower = ch.is_lowercase() || ch.is_ascii_digit();
            for lower in ch.to_lowercase() {
                current.push(strip_accent(lower));
            }
        } else {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            prev_lower = false;
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn strip_accent(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' | 'á' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' | 'í' => 'i',
        'ô' | 'ö' | 'ó' => 'o',
        'ù' | 'û' | 'ü' | 'ú' => 'u',
        'ç' => 'c',
        'ÿ' => 'y',
        other => other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn splits_names_into_tokens() {
        assert_eq!(tokens("Code_commune_INSEE"), ["code", "commune", "insee"]);
        assert_eq!(tokens("isActive"), ["is", "active"]);
        assert_eq!(tokens("Numéro SIRET"), ["numero", "siret"]);
        assert_eq!(tokens("Année"), ["annee"]);
    }

    #[test]
    fn reads_hints() {
        assert!(NameHints::from_name("date_creation").year);
        assert!(NameHints::from_name("Année").year);
        assert!(NameHints::from_name("ann_ouv").year);
        assert!(!NameHints::from_name("population").year);
        assert!(!NameHints::from_name("annonce").year);
        assert!(NameHints::from_name("is_open").flag);
        assert!(NameHints::from_name("f_verre").flag);
        assert!(!NameHints::from_name("effectif").flag);
        assert!(NameHints::from_name("Code_postal").postal);
        assert!(NameHints::from_name("CP").postal);
        assert!(NameHints::from_name("Code_commune_INSEE").insee);
        assert!(NameHints::from_name("CODGEO").insee);
        assert!(NameHints::from_name("insee_com").insee);
        assert!(NameHints::from_name("insee_dep").departement);
        assert!(NameHints::from_name("Numéro SIRET").siret);
        assert!(NameHints::from_name("OC_DATA_INIZIO_PROGETTO").date);
        assert!(NameHints::from_name("dateMaj").date);
        assert!(NameHints::from_name("geometry.coordinates").coordinates);
    }
}
