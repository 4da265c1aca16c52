//! Shapefile layers: a `.shp` (geometries) with its `.dbf` (attributes),
//! `.prj` (CRS, as WKT) and `.cpg` (text encoding).
//!
//! The zip reader finds the member sets and hands each one here as files;
//! [`profile_layer`] reads the geometries for the geometry facts and the
//! attribute records for the fields, each in one pass.
//!
//! Layout:
//! - [`shapes`]: the `.shp`, with the `shapefile` crate.
//! - [`dbf`]: the `.dbf`, header by the `dbase` crate, records as bytes.
//! - [`text`]: which encoding the DBF text is in.

mod dbf;
mod shapes;
mod text;

use std::io::{BufReader, Read, Seek};

use dataprof_model::{FieldProfile, FieldType, GeometryProfile, Record};
use serde_json::Value;

use crate::crs::{self, BboxCrs};
use crate::formats::json::sample_cell;
use crate::infer::ColumnProfiler;
use crate::{ProfileError, ProfileOptions};

use dbf::{Cell, DbfTable};
use text::DbfText;

/// The files of one layer, ready to read.
pub(crate) struct LayerFiles<R> {
    /// The member path without extension (`map_Paris/arrondissements`).
    pub name: String,
    pub shp: R,
    pub dbf: R,
    /// `.prj` text, when the set has one.
    pub prj: Option<String>,
    /// `.cpg` text, when the set has one.
    pub cpg: Option<String>,
}

/// What one layer holds.
pub(crate) struct LayerProfile {
    pub name: String,
    pub encoding: String,
    pub record_count: u64,
    pub fields: Vec<FieldProfile>,
    pub samples: Vec<Record>,
    pub geometry: GeometryProfile,
    pub warnings: Vec<String>,
}

/// Values that needed care, for the warnings.
#[derive(Default)]
struct Oddities {
    unreadable: u64,
    first_unreadable: Option<String>,
    memo: u64,
}

pub(crate) fn profile_layer<R: Read + Seek>(
    files: LayerFiles<R>,
    opts: &ProfileOptions,
) -> Result<LayerProfile, ProfileError> {
    let name = files.name;
    let mut dbf = BufReader::new(files.dbf);
    let mut table = DbfTable::read(&mut dbf, &name)?;
    if table.fields.len() > opts.limits.max_fields {
        return Err(ProfileError::limit(
            "shapefile",
            format!(
                "{name}.dbf has {} fields, more than {}",
                table.fields.len(),
                opts.limits.max_fields
            ),
        ));
    }
    let mut text = DbfText::new(text::declared(files.cpg.as_deref(), table.language_driver));
    table.decode_names(&mut text);
    let mut columns: Vec<ColumnProfiler> = table
        .fields
        .iter()
        .map(|f| ColumnProfiler::new(f.name.clone(), opts.infer.clone()))
        .collect();
    let mut samples: Vec<Record> = Vec::new();
    let mut odd = Oddities::default();
    let max_chars = opts.limits.max_sample_cell_chars;
    let (records, deleted) = table.for_each_record(&mut dbf, &name, |cells| {
        let keep = samples.len() < opts.sample_size;
        let mut sample = Record::new();
        for ((field, bytes), column) in table.fields.iter().zip(cells).zip(columns.iter_mut()) {
            let cell = dbf::cell(field, bytes, &mut text);
            if let Some(value) = observe(column, cell, &mut odd, keep) {
                sample.insert(field.name.clone(), sample_cell(value, max_chars));
            }
        }
        if keep {
            samples.push(sample);
        }
        Ok(())
    })?;

    let facts = shapes::read(BufReader::new(files.shp), &name, |n| deleted.contains(n))?;
    let mut warnings = text.warnings();
    if facts.records != table.declared_records {
        warnings.push(format!(
            "the .shp holds {} shapes but the .dbf {} records",
            facts.records, table.declared_records
        ));
    }
    if records < table.declared_records {
        warnings.push(format!(
            "{} records marked deleted in the .dbf were skipped",
            table.declared_records - records
        ));
    }
    if let Some(first) = &odd.first_unreadable {
        warnings.push(format!(
            "{} numeric or date values do not read as such and were kept as text (first: {first:?})",
            odd.unreadable
        ));
    }
    if odd.memo > 0 {
        warnings.push(format!(
            "{} memo values live in a .dbt file that is not read; reported as null",
            odd.memo
        ));
    }
    let crs = layer_crs(files.prj.as_deref(), facts.stats.bbox(), &mut warnings);
    let geometry = match facts.type_name {
        Some(t) => facts.stats.finish_with_type(t, crs),
        None => facts.stats.finish(crs),
    };
    let encoding = text.label();
    tracing::info!(
        layer = %name,
        records,
        fields = columns.len(),
        shapes = geometry.count,
        encoding = %encoding,
        crs = geometry.crs.as_deref(),
        "shapefile layer profiled"
    );
    let mut fields: Vec<FieldProfile> = columns.into_iter().map(ColumnProfiler::finish).collect();
    for (field, declared) in fields.iter_mut().zip(&table.fields) {
        if field.field_type == FieldType::Any
            && let Some(t) = declared.declared_type()
        {
            field.field_type = t;
            field.format = declared.declared_format().map(str::to_owned);
        }
    }
    type_text_samples(&mut samples, &fields);
    Ok(LayerProfile {
        name,
        encoding,
        record_count: records,
        fields,
        samples,
        geometry,
        warnings,
    })
}

/// DBF character fields often hold numbers, codes or dates as text: once
/// the column's type is known, their sample values take it (as CSV cells
/// do), so `"750000017"` in an integer field shows as `750000017`.
fn type_text_samples(samples: &mut [Record], fields: &[FieldProfile]) {
    for sample in samples {
        for field in fields {
            if let Some(value) = sample.get_mut(&field.name)
                && let Value::String(text) = value
            {
                *value = crate::infer::typed_cell(text, field);
            }
        }
    }
}

/// Feeds one cell to its column; returns the typed value when a sample
/// wants it.
fn observe(
    column: &mut ColumnProfiler,
    cell: Cell<'_>,
    odd: &mut Oddities,
    keep: bool,
) -> Option<Value> {
    let value = match cell {
        Cell::Null => {
            column.observe_json(&Value::Null);
            Value::Null
        }
        Cell::Memo => {
            odd.memo += 1;
            column.observe_json(&Value::Null);
            Value::Null
        }
        Cell::Text(s) => {
            column.observe_text(&s);
            if !keep {
                return None;
            }
            Value::String(s.into_owned())
        }
        Cell::Date(s) => {
            column.observe_text(&s);
            Value::String(s)
        }
        Cell::Unreadable(s) => {
            odd.unreadable += 1;
            odd.first_unreadable.get_or_insert_with(|| s.to_string());
            column.observe_text(&s);
            Value::String(s.into_owned())
        }
        Cell::Number(n) => {
            let v = Value::Number(n);
            column.observe_json(&v);
            v
        }
        Cell::Bool(b) => {
            let v = Value::Bool(b);
            column.observe_json(&v);
            v
        }
    };
    keep.then_some(value)
}

/// The CRS from the `.prj`; without one, judged from the coordinates.
fn layer_crs(
    prj: Option<&str>,
    bbox: Option<[f64; 4]>,
    warnings: &mut Vec<String>,
) -> Option<String> {
    if let Some(wkt) = prj {
        let named = crs::from_wkt(wkt);
        if named.is_none() {
            warnings.push("the .prj is not readable WKT: CRS unknown".to_owned());
        }
        return named;
    }
    let Some(bbox) = bbox else {
        warnings.push("no .prj and no geometry: CRS unknown".to_owned());
        return None;
    };
    match crs::infer_from_bbox(bbox) {
        BboxCrs::Wgs84 => {
            warnings
                .push("no .prj: EPSG:4326 assumed from longitude/latitude coordinates".to_owned());
            Some(crs::WGS84.to_owned())
        }
        BboxCrs::Lambert93 => {
            warnings.push(
                "no .prj: EPSG:2154 (Lambert-93) inferred from the coordinates' extent".to_owned(),
            );
            Some("EPSG:2154".to_owned())
        }
        BboxCrs::Unknown => {
            warnings.push("no .prj and projected coordinates: CRS unknown".to_owned());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/corpus/");

    /// A member of a fixture zip, in memory.
    fn member(zip: &str, name: &str) -> Cursor<Vec<u8>> {
        let file = std::fs::File::open(format!("{CORPUS}{zip}")).expect("fixture");
        let mut archive = zip::ZipArchive::new(file).expect("zip");
        let mut bytes = Vec::new();
        archive
            .by_name(name)
            .expect("member")
            .read_to_end(&mut bytes)
            .expect("read");
        Cursor::new(bytes)
    }

    fn layer(zip: &str, stem: &str, cpg: Option<&str>) -> LayerProfile {
        let files = LayerFiles {
            name: stem.to_owned(),
            shp: member(zip, &format!("{stem}.shp")),
            dbf: member(zip, &format!("{stem}.dbf")),
            prj: None,
            cpg: cpg.map(str::to_owned),
        };
        profile_layer(files, &ProfileOptions::default()).expect("layer")
    }

    /// Every value of one DBF character field, decoded.
    fn names(zip: &str, stem: &str, field: &str, cpg: Option<&str>) -> (Vec<String>, String) {
        let mut dbf = member(zip, &format!("{stem}.dbf"));
        let table = DbfTable::read(&mut dbf, stem).expect("dbf header");
        let at = table
            .fields
            .iter()
            .position(|f| f.name == field)
            .expect("field");
        let mut text = DbfText::new(text::declared(cpg, table.language_driver));
        let mut out = Vec::new();
        let _ = table
            .for_each_record(&mut dbf, stem, |cells| {
                if let Cell::Text(s) = dbf::cell(&table.fields[at], cells[at], &mut text) {
                    out.push(s.into_owned());
                }
                Ok(())
            })
            .expect("records");
        (out, text.label())
    }

    #[test]
    fn latin1_dbf_text_is_decoded_and_labelled() {
        let (countries, label) = names(
            "ne_110m_admin_0_countries.zip",
            "ne_110m_admin_0_countries",
            "name",
            Some("ISO-8859-1"),
        );
        assert_eq!(countries.len(), 177);
        assert!(
            countries.iter().any(|n| n == "Côte d'Ivoire"),
            "{countries:?}"
        );
        assert_eq!(label, "iso-8859-1");
        // Without the .cpg (and with language driver 0), the bytes decide.
        let (countries, label) = names(
            "ne_110m_admin_0_countries.zip",
            "ne_110m_admin_0_countries",
            "name",
            None,
        );
        assert!(countries.iter().any(|n| n == "Côte d'Ivoire"));
        assert_eq!(label, "iso-8859-1");
    }

    #[test]
    fn utf8_dbf_text_is_decoded_and_labelled() {
        let (names, label) = names(
            "ods_paris_arrondissements_shp.zip",
            "arrondissements",
            "l_ar",
            Some("UTF-8"),
        );
        assert!(names.iter().any(|n| n == "17ème Ardt"), "{names:?}");
        assert_eq!(label, "utf-8");
    }

    #[test]
    fn layer_without_prj_infers_crs_with_a_warning_and_keeps_numbers_exact() {
        let l = layer(
            "ods_paris_arrondissements_shp.zip",
            "arrondissements",
            Some("UTF-8"),
        );
        assert_eq!(l.record_count, 20);
        assert_eq!(l.fields.len(), 8);
        assert_eq!(l.geometry.crs.as_deref(), Some("EPSG:4326"));
        assert!(
            l.warnings.iter().any(|w| w.starts_with("no .prj")),
            "{:?}",
            l.warnings
        );
        // F(50,10) values keep their written digits (dbase alone reads f32).
        let surface = l.samples[0].get("surface").and_then(Value::as_f64);
        assert_eq!(surface, Some(5_668_834.504_453_93));
    }

    #[test]
    fn projected_layer_without_prj_outside_lambert93_has_no_crs() {
        let l = layer(
            "paris_land_use_urban_atlas.zip",
            "paris_land_use",
            Some("ISO-8859-1"),
        );
        assert_eq!(l.record_count, 3243);
        assert_eq!(l.geometry.crs, None);
        assert_eq!(l.encoding, "ascii");
    }
}
