//! GeoJSON features: their properties make the table, their geometries
//! make the [`GeometryProfile`].
//!
//! Each feature arrives as one JSON value. Its `properties` go to a
//! [`RecordTable`] (flattened like any record; the geometry is not a
//! field). Its `geometry` is parsed with the `geojson` crate and walked for
//! the bounding box; a geometry that does not parse or holds unusable
//! positions is counted as invalid in a warning and left out of the
//! geometry facts, so one broken feature cannot sink the profile.
//!
//! The CRS is decided at the end: the legacy `crs` member when the file has
//! one; otherwise RFC 7946's WGS 84, unless the coordinates are plainly not
//! longitude/latitude.

use std::fmt;

use dataprof_model::GeometryProfile;
use geojson::GeometryValue;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::feature_geometry::{Checked, GeometryDraft, GeometryInto};
use super::flat::{FlatRecord, Skip};

use super::records::{RecordTable, TableOutcome, kind_of};
use super::walk::{RecordSink, scalars_are};
use crate::crs::{self, BboxCrs};
use crate::geometry::{BboxAccumulator, GeometryStats};
use crate::{ProfileError, ProfileOptions};

/// A [`RecordSink`] for GeoJSON features.
pub(crate) struct FeatureCollector {
    table: RecordTable,
    geometry: GeometryStats,
    invalid: u64,
    /// The number (1-based) of the first feature with an invalid geometry,
    /// and why.
    first_invalid: Option<(u64, String)>,
    /// Features whose `properties` is neither an object nor null.
    odd_properties: u64,
    /// Elements of `features` that are not objects.
    not_features: u64,
    /// The properties of the feature being read, and the rest of it.
    flat: FlatRecord,
    draft: GeometryDraft,
    pending: Option<Pending>,
}

impl FeatureCollector {
    pub fn new(opts: &ProfileOptions) -> FeatureCollector {
        FeatureCollector {
            table: RecordTable::new(opts),
            geometry: GeometryStats::new(),
            invalid: 0,
            first_invalid: None,
            odd_properties: 0,
            not_features: 0,
            flat: FlatRecord::default(),
            draft: GeometryDraft::default(),
            pending: None,
        }
    }

    /// Features read so far.
    #[cfg(test)]
    pub fn record_count(&self) -> u64 {
        self.table.record_count()
    }

    fn add_geometry(&mut self, geometry: Value, feature: u64) {
        let checked = serde_json::from_value::<geojson::Geometry>(geometry)
            .map_err(|e| e.to_string())
            .and_then(|g| {
                let mut bbox = BboxAccumulator::new();
                walk(&g.value, &mut bbox)?;
                Ok((g.value.type_name(), bbox))
            });
        match checked {
            Ok((kind, bbox)) => self.geometry.add(kind, &bbox),
            Err(reason) => {
                self.invalid += 1;
                self.first_invalid.get_or_insert((feature, reason));
            }
        }
    }

    /// Folds in the collector of the features that follow this one's.
    pub fn merge(&mut self, next: FeatureCollector) -> Result<(), ProfileError> {
        let before = self.table.record_count();
        self.table.merge(next.table)?;
        self.geometry.merge(&next.geometry);
        self.invalid += next.invalid;
        if self.first_invalid.is_none() {
            self.first_invalid = next.first_invalid.map(|(n, reason)| (before + n, reason));
        }
        self.odd_properties += next.odd_properties;
        self.not_features += next.not_features;
        Ok(())
    }

    /// The table, the geometry profile and the warnings. `crs_member` is
    /// the FeatureCollection's legacy `crs` member, if it had one.
    pub fn finish(self, crs_member: Option<&Value>) -> (TableOutcome, GeometryProfile) {
        let mut warnings = Vec::new();
        if self.invalid > 0 {
            warnings.push(format!(
                "{} features have an invalid geometry, left out of the geometry facts (first: {})",
                self.invalid,
                self.first_invalid
                    .as_ref()
                    .map_or("?".to_owned(), |(n, reason)| format!(
                        "feature {n}: {reason}"
                    ))
            ));
        }
        if self.odd_properties > 0 {
            warnings.push(format!(
                "{} features have `properties` that is not an object; read as empty",
                self.odd_properties
            ));
        }
        if self.not_features > 0 {
            warnings.push(format!(
                "{} elements of `features` are not objects and were skipped",
                self.not_features
            ));
        }
        let bbox = self.geometry.bbox();
        let crs = decide_crs(crs_member, bbox, &mut warnings);
        let geometry = self.geometry.finish(crs);
        let mut table = self.table.finish();
        table.warnings.extend(warnings);
        (table, geometry)
    }
}

impl RecordSink for FeatureCollector {
    fn accept(&mut self, value: Value) -> Result<(), ProfileError> {
        let Value::Object(mut feature) = value else {
            self.not_features += 1;
            return Ok(());
        };
        let number = self.table.record_count() + 1;
        match feature.remove("properties") {
            Some(Value::Object(p)) => self.flat.fill_from_map(p),
            None | Some(Value::Null) => self.flat.clear(),
            Some(_) => {
                self.odd_properties += 1;
                self.flat.clear();
            }
        }
        self.table.add_flat(&self.flat)?;
        match feature.remove("geometry") {
            None | Some(Value::Null) => {}
            Some(g) => self.add_geometry(g, number),
        }
        Ok(())
    }

    fn read<'de, D: Deserializer<'de>>(&mut self, deserializer: D) -> Result<(), D::Error> {
        let seed = FeatureInto {
            flat: &mut self.flat,
            geometry: &mut self.draft,
        };
        self.pending = Some(seed.deserialize(deserializer)?);
        Ok(())
    }

    fn commit(&mut self) -> Result<(), ProfileError> {
        let Some(pending) = self.pending.take() else {
            return Ok(());
        };
        let Pending::Feature { properties } = pending else {
            self.not_features += 1;
            return Ok(());
        };
        let number = self.table.record_count() + 1;
        match properties {
            Properties::Object => {}
            Properties::Missing => self.flat.clear(),
            Properties::Odd => {
                self.odd_properties += 1;
                self.flat.clear();
            }
        }
        self.table.add_flat(&self.flat)?;
        match self.draft.check() {
            Checked::Absent => {}
            Checked::Simple(kind, bbox) => self.geometry.add(kind, &bbox),
            Checked::Whole(g) => self.add_geometry(g, number),
        }
        Ok(())
    }
}

/// A feature read from the parser, before it is added.
enum Pending {
    /// A feature: its properties are in the [`FlatRecord`], its geometry
    /// (the last `geometry` member, as in a parsed object) in the
    /// [`GeometryDraft`].
    Feature { properties: Properties },
    /// An element of `features` that is not an object.
    NotObject,
}

/// What a feature's `properties` member held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Properties {
    /// An object, now in the [`FlatRecord`].
    Object,
    /// No member, or `null`.
    Missing,
    /// Neither an object nor null.
    Odd,
}

/// Reads a feature: `properties` (the first one) into a [`FlatRecord`],
/// `geometry` into a [`GeometryDraft`], other members skipped.
struct FeatureInto<'r> {
    flat: &'r mut FlatRecord,
    geometry: &'r mut GeometryDraft,
}

impl<'de> DeserializeSeed<'de> for FeatureInto<'_> {
    type Value = Pending;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Pending, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FeatureInto<'_> {
    type Value = Pending;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON feature")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pending, A::Error> {
        let mut properties = None;
        self.geometry.clear();
        while let Some(key) = map.next_key_seed(FeatureKey)? {
            match key {
                Member::Properties if properties.is_none() => {
                    properties = Some(map.next_value_seed(PropertiesInto(&mut *self.flat))?);
                }
                Member::Geometry => map.next_value_seed(GeometryInto(&mut *self.geometry))?,
                _ => {
                    map.next_value_seed(Skip)?;
                }
            }
        }
        Ok(Pending::Feature {
            properties: properties.unwrap_or(Properties::Missing),
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Pending, A::Error> {
        self.geometry.clear();
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(Pending::NotObject)
    }

    scalars_are!(Pending::NotObject);
}

/// The feature members that matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Member {
    Properties,
    Geometry,
    Other,
}

struct FeatureKey;

impl<'de> DeserializeSeed<'de> for FeatureKey {
    type Value = Member;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Member, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for FeatureKey {
    type Value = Member;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Member, E> {
        Ok(match key {
            "properties" => Member::Properties,
            "geometry" => Member::Geometry,
            _ => Member::Other,
        })
    }
}

/// Reads a feature's `properties` into a [`FlatRecord`] when it is an
/// object.
struct PropertiesInto<'r>(&'r mut FlatRecord);

impl<'de> DeserializeSeed<'de> for PropertiesInto<'_> {
    type Value = Properties;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Properties, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PropertiesInto<'_> {
    type Value = Properties;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object or null")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Properties, A::Error> {
        self.0.read_record(&mut map)?;
        Ok(Properties::Object)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Properties, A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(Properties::Odd)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Properties, E> {
        Ok(Properties::Missing)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Properties, E> {
        Ok(Properties::Odd)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Properties, E> {
        Ok(Properties::Odd)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Properties, E> {
        Ok(Properties::Odd)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Properties, E> {
        Ok(Properties::Odd)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Properties, E> {
        Ok(Properties::Odd)
    }
}

/// Walks every position of a geometry into `bbox`.
fn walk(value: &GeometryValue, bbox: &mut BboxAccumulator) -> Result<(), String> {
    match value {
        GeometryValue::Point { coordinates } => position(coordinates, bbox),
        GeometryValue::MultiPoint { coordinates } | GeometryValue::LineString { coordinates } => {
            coordinates.iter().try_for_each(|p| position(p, bbox))
        }
        GeometryValue::MultiLineString { coordinates } | GeometryValue::Polygon { coordinates } => {
            coordinates
                .iter()
                .flatten()
                .try_for_each(|p| position(p, bbox))
        }
        GeometryValue::MultiPolygon { coordinates } => coordinates
            .iter()
            .flatten()
            .flatten()
            .try_for_each(|p| position(p, bbox)),
        GeometryValue::GeometryCollection { geometries } => {
            geometries.iter().try_for_each(|g| walk(&g.value, bbox))
        }
    }
}

fn position(p: &geojson::Position, bbox: &mut BboxAccumulator) -> Result<(), String> {
    match p.as_slice() {
        [x, y, ..] if x.is_finite() && y.is_finite() => {
            bbox.add(*x, *y);
            Ok(())
        }
        [_, _, ..] => Err("a position holds a non-finite number".to_owned()),
        short => Err(format!(
            "a position has {} number(s), at least 2 are needed",
            short.len()
        )),
    }
}

/// The CRS to report: the `crs` member when there is one; else WGS 84
/// unless the coordinates cannot be longitude/latitude.
fn decide_crs(
    member: Option<&Value>,
    bbox: Option<[f64; 4]>,
    warnings: &mut Vec<String>,
) -> Option<String> {
    match member {
        Some(Value::Null) | None => {}
        Some(m) => match crs::from_geojson_member(m) {
            Some(named) => return Some(named),
            None => warnings.push(format!(
                "the `crs` member ({}) names no CRS; judged from the coordinates",
                kind_of(m)
            )),
        },
    }
    let Some(bbox) = bbox else {
        return Some(crs::WGS84.to_owned());
    };
    match crs::infer_from_bbox(bbox) {
        BboxCrs::Wgs84 => Some(crs::WGS84.to_owned()),
        BboxCrs::Lambert93 => {
            warnings.push(
                "no `crs` member and the coordinates are projected: EPSG:2154 (Lambert-93) inferred from their extent"
                    .to_owned(),
            );
            Some("EPSG:2154".to_owned())
        }
        BboxCrs::Unknown => {
            warnings.push(format!(
                "no `crs` member and the coordinates are not longitude/latitude (bbox {bbox:?}): CRS unknown"
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn collect(features: Vec<Value>, crs: Option<Value>) -> (TableOutcome, GeometryProfile) {
        let mut c = FeatureCollector::new(&ProfileOptions::default());
        for f in features {
            c.accept(f).expect("feature");
        }
        c.finish(crs.as_ref())
    }

    fn point(x: f64, y: f64) -> Value {
        json!({"type": "Feature", "properties": {"name": "p"}, "geometry": {"type": "Point", "coordinates": [x, y]}})
    }

    #[test]
    fn properties_are_fields_geometry_is_not() {
        let (table, geo) = collect(
            vec![
                json!({"type": "Feature", "properties": {"name": "a", "pop": 1}, "geometry": {"type": "Point", "coordinates": [1.0, 2.0]}}),
                json!({"type": "Feature", "properties": {"area": 2.5}, "geometry": null}),
                json!({"type": "Feature", "properties": null, "geometry": {"type": "LineString", "coordinates": [[0.0, 0.0], [1.0, 1.0]]}}),
            ],
            None,
        );
        assert_eq!(table.record_count, 3);
        let names: Vec<&str> = table.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["name", "pop", "area"]);
        assert_eq!(geo.count, 2);
        assert_eq!(geo.types.get("Point"), Some(&1));
        assert_eq!(geo.types.get("LineString"), Some(&1));
        assert_eq!(geo.geometry_type.as_deref(), Some("LineString"));
        assert_eq!(geo.bbox, Some([0.0, 0.0, 1.0, 2.0]));
        assert_eq!(geo.crs.as_deref(), Some("EPSG:4326"));
        assert!(table.warnings.is_empty(), "{:?}", table.warnings);
    }

    #[test]
    fn invalid_geometries_are_counted_not_fatal() {
        let (table, geo) = collect(
            vec![
                point(1.0, 1.0),
                json!({"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": ["a", "b"]}}),
                json!({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [1.0, 2.0]}}),
                json!({"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[1.0], [2.0, 3.0]]}}),
                json!({"type": "Feature", "properties": {}, "geometry": {"type": "Blob"}}),
            ],
            None,
        );
        assert_eq!(table.record_count, 5);
        assert_eq!(geo.count, 1);
        assert_eq!(geo.bbox, Some([1.0, 1.0, 1.0, 1.0]));
        assert_eq!(table.warnings.len(), 1);
        assert!(
            table.warnings[0].starts_with("4 features have an invalid geometry"),
            "{:?}",
            table.warnings
        );
        assert!(
            table.warnings[0].contains("feature 2"),
            "{:?}",
            table.warnings
        );
    }

    #[test]
    fn crs_from_member_or_coordinates() {
        let named = json!({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}});
        let (_, geo) = collect(vec![point(650_000.0, 6_860_000.0)], Some(named));
        assert_eq!(geo.crs.as_deref(), Some("EPSG:2154"));

        let (t, geo) = collect(vec![point(650_000.0, 6_860_000.0)], None);
        assert_eq!(geo.crs.as_deref(), Some("EPSG:2154"));
        assert!(t.warnings[0].contains("inferred"), "{:?}", t.warnings);

        let (t, geo) = collect(vec![point(3_751_378.9, 2_886_000.0)], None);
        assert_eq!(geo.crs, None);
        assert!(t.warnings[0].contains("CRS unknown"), "{:?}", t.warnings);

        let (_, geo) = collect(vec![point(2.3, 48.8)], Some(Value::Null));
        assert_eq!(geo.crs.as_deref(), Some("EPSG:4326"));
    }

    #[test]
    fn geometry_collections_and_multipolygons_reach_every_position() {
        let (_, geo) = collect(
            vec![
                json!({"type": "Feature", "properties": {}, "geometry": {"type": "GeometryCollection", "geometries": [
                    {"type": "Point", "coordinates": [-5.0, 40.0, 12.0]},
                    {"type": "MultiPolygon", "coordinates": [[[[0.0, 0.0], [9.5, 0.0], [9.5, 51.25], [0.0, 0.0]]]]}
                ]}}),
            ],
            None,
        );
        assert_eq!(geo.types.get("GeometryCollection"), Some(&1));
        assert_eq!(geo.bbox, Some([-5.0, 0.0, 9.5, 51.25]));
    }
}
