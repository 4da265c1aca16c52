//! Sorting an archive's members: system junk to ignore, Shapefile sets to
//! read as layers, and the other files, among which the data file is.
//!
//! Member names are only ever compared and shown here; they never become
//! paths on disk.

use std::collections::BTreeMap;

/// One file in an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    pub index: usize,
    pub name: String,
    pub size: u64,
    pub compressed: u64,
    pub encrypted: bool,
}

/// Files that archivers and operating systems add beside the data.
pub(crate) fn is_junk(name: &str) -> bool {
    let mut parts = name.split(['/', '\\']).filter(|p| !p.is_empty());
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    parts.any(|p| p == "__MACOSX")
        || base.starts_with('.')
        || base.eq_ignore_ascii_case("Thumbs.db")
        || base.eq_ignore_ascii_case("desktop.ini")
}

/// The Shapefile part a member is, by its (case-insensitive) extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Shp,
    Dbf,
    Prj,
    Cpg,
    /// Indexes and metadata (`.shx`, `.sbn`, `.qix`, `.shp.xml`...): part
    /// of the set, not read.
    Sidecar,
}

fn split_part(name: &str) -> Option<(&str, Part)> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".shp.xml") {
        return Some((&name[..name.len() - ".shp.xml".len()], Part::Sidecar));
    }
    let dot = name.rfind('.')?;
    let part = match &lower[dot + 1..] {
        "shp" => Part::Shp,
        "dbf" => Part::Dbf,
        "prj" => Part::Prj,
        "cpg" => Part::Cpg,
        "shx" | "sbn" | "sbx" | "qix" | "fix" | "qpj" | "cst" | "atx" | "ain" | "aih" => {
            Part::Sidecar
        }
        _ => return None,
    };
    Some((&name[..dot], part))
}

/// The members of one Shapefile, grouped by path without extension.
#[derive(Debug, Clone, Default)]
pub(crate) struct ShapefileSet {
    /// The member path without extension, as written in the archive.
    pub name: String,
    pub shp: Option<Member>,
    pub dbf: Option<Member>,
    pub prj: Option<Member>,
    pub cpg: Option<Member>,
}

/// What an archive holds, sorted.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Complete Shapefile sets (`.shp` and `.dbf`), by name.
    pub layers: Vec<ShapefileSet>,
    /// Why each incomplete set cannot be read.
    pub incomplete: Vec<String>,
    /// Every other file: candidates for the data file.
    pub others: Vec<Member>,
}

/// Sorts members (already without directories) into a [`Plan`].
pub(crate) fn plan(members: Vec<Member>) -> Plan {
    let mut sets: BTreeMap<String, ShapefileSet> = BTreeMap::new();
    let mut plan = Plan::default();
    for m in members {
        if is_junk(&m.name) {
            continue;
        }
        let Some((stem, part)) = split_part(&m.name) else {
            plan.others.push(m);
            continue;
        };
        let set = sets.entry(stem.to_ascii_lowercase()).or_default();
        if set.name.is_empty() || part == Part::Shp {
            set.name = stem.to_owned();
        }
        let slot = match part {
            Part::Shp => &mut set.shp,
            Part::Dbf => &mut set.dbf,
            Part::Prj => &mut set.prj,
            Part::Cpg => &mut set.cpg,
            Part::Sidecar => continue,
        };
        slot.get_or_insert(m);
    }
    for set in sets.into_values() {
        match (&set.shp, &set.dbf) {
            (Some(_), Some(_)) => plan.layers.push(set),
            (Some(shp), None) => plan.incomplete.push(format!(
                "{} has no matching .dbf (a Shapefile needs its attribute table)",
                shp.name
            )),
            (None, Some(dbf)) => plan.incomplete.push(format!(
                "{} has no matching .shp (a lone dBase table is not read)",
                dbf.name
            )),
            // Only indexes or a .prj: nothing to read.
            (None, None) => {}
        }
    }
    plan
}

/// Extensions that name tabular or JSON data: a tie-break among members
/// whose content looks like data.
const DATA_EXTENSIONS: [&str; 11] = [
    "csv", "tsv", "tab", "txt", "json", "geojson", "ndjson", "jsonl", "geojsonl", "gz", "zip",
];

pub(crate) fn has_data_extension(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| DATA_EXTENSIONS.iter().any(|d| d.eq_ignore_ascii_case(ext)))
}

/// The member to profile among several: data by content first, then a
/// data extension, then the largest, then the first name. `looks_like_data`
/// is the content verdict for each member (same order as `members`).
pub(crate) fn choose<'a>(members: &'a [Member], looks_like_data: &[bool]) -> Option<&'a Member> {
    members
        .iter()
        .zip(looks_like_data.iter().chain(std::iter::repeat(&false)))
        .max_by(|(a, da), (b, db)| {
            da.cmp(db)
                .then(has_data_extension(&a.name).cmp(&has_data_extension(&b.name)))
                .then(a.size.cmp(&b.size))
                .then(b.name.cmp(&a.name))
        })
        .map(|(m, _)| m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(index: usize, name: &str, size: u64) -> Member {
        Member {
            index,
            name: name.to_owned(),
            size,
            compressed: size / 2,
            encrypted: false,
        }
    }

    #[test]
    fn junk_is_recognised() {
        assert!(is_junk("__MACOSX/map/._a.shp"));
        assert!(is_junk("data/.DS_Store"));
        assert!(is_junk("Thumbs.db"));
        assert!(!is_junk("map_Paris/arrondissements.shp"));
        assert!(!is_junk("../../etc/evil.csv"));
    }

    #[test]
    fn shapefile_sets_group_by_stem_in_folders_case_insensitively() {
        let p = plan(vec![
            m(0, "map_Paris/arrondissements.shp", 10),
            m(1, "map_Paris/arrondissements.SHX", 1),
            m(2, "map_Paris/Arrondissements.DBF", 5),
            m(3, "map_Paris/arrondissements.prj", 1),
            m(4, "map_Paris/arrondissements.cpg", 1),
            m(5, "__MACOSX/map_Paris/._arrondissements.shp", 1),
            m(6, "README.txt", 3),
        ]);
        assert_eq!(p.layers.len(), 1);
        let l = &p.layers[0];
        assert_eq!(l.name, "map_Paris/arrondissements");
        assert_eq!(l.dbf.as_ref().map(|d| d.index), Some(2));
        assert!(l.prj.is_some() && l.cpg.is_some());
        assert!(p.incomplete.is_empty());
        assert_eq!(p.others, vec![m(6, "README.txt", 3)]);
    }

    #[test]
    fn incomplete_sets_say_what_is_missing() {
        let p = plan(vec![
            m(0, "a.shp", 1),
            m(1, "a.prj", 1),
            m(2, "b.dbf", 1),
            m(3, "c.shx", 1),
        ]);
        assert!(p.layers.is_empty());
        assert_eq!(
            p.incomplete,
            [
                "a.shp has no matching .dbf (a Shapefile needs its attribute table)",
                "b.dbf has no matching .shp (a lone dBase table is not read)"
            ]
        );
    }

    #[test]
    fn data_member_by_content_then_extension_then_size() {
        let members = [
            m(0, "notice.pdf", 900),
            m(1, "README.txt", 10),
            m(2, "data.csv", 500),
        ];
        let chosen = choose(&members, &[false, true, true]).map(|c| c.index);
        assert_eq!(chosen, Some(2));
        let members = [m(0, "export", 100), m(1, "notes.md", 100)];
        assert_eq!(choose(&members, &[true, true]).map(|c| c.index), Some(0));
        assert_eq!(choose(&members, &[false, false]).map(|c| c.index), Some(0));
        let members = [m(0, "a.csv", 10), m(1, "b.csv", 10)];
        assert_eq!(choose(&members, &[true, true]).map(|c| c.index), Some(0));
        assert_eq!(choose(&[], &[]), None);
    }
}
