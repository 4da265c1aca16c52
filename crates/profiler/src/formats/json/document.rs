//! One JSON document: a top-level array of records (or of rows), an object
//! wrapping such an array, or GeoJSON (a FeatureCollection or a single Feature).
//!
//! An array is streamed in one pass. An object is surveyed in one pass
//! (see [`walk::Survey`]); a FeatureCollection whose `type` comes before
//! `features`, the usual order, is profiled during that same pass. Any
//! other object gets a second pass over the member the survey chose.
//!
//! Which member holds the records of a wrapping object is decided by a
//! fixed rule: the array (at the top level or one object deeper) with the
//! most object elements; ties go to a conventional name (`records`,
//! `results`, `data`, `items`, `features`, `rows`, `hits`, `entries`), then
//! to the member met first. With no object anywhere, the array with the
//! most arrays is a table of rows (see [`super::rows`]), and failing that
//! an empty array under a conventional name means "no records" (an empty
//! API result).

use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeSeed;
use serde_json::Value;

use super::Profiled;
use super::collection_split;
use super::failure::{Attempt, classify};
use super::geojson::FeatureCollector;
use super::records::{NonObjects, RecordsCollector};
use super::rows::{ListedColumns, RowLayout, RowMode};
use super::source::{self, Decoding};
use super::walk::{ArrayMember, AtPath, DepthCheck, Elements, RecordSink, Survey, SurveyReport};
use crate::formats::csv::parallel::Parallelism;
use crate::{ProfileError, ProfileOptions};

/// Member names that conventionally hold records, in order of preference.
const RECORD_KEYS: [&str; 8] = [
    "records", "results", "data", "items", "features", "rows", "hits", "entries",
];

/// GeoJSON geometry objects, which hold no features to profile.
const GEOMETRY_TYPES: [&str; 7] = [
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
];

/// A document whose top level is an array: each element is a record.
pub(crate) fn profile_array(
    path: &Path,
    decoding: Decoding,
    opts: &ProfileOptions,
) -> Result<Profiled, Attempt> {
    let mut records = RecordsCollector::new(opts, NonObjects::RefuseIfFirst)
        .with_rows(RowLayout::new(RowMode::IfFirst));
    let encoding = stream(path, decoding, opts, &[], &mut records)?;
    let table = records.finish();
    let mut warnings = Vec::new();
    if table.record_count == 0 {
        warnings.push("the JSON array holds no records".to_owned());
    }
    Ok(Profiled {
        format: "json",
        encoding,
        table,
        geometry: None,
        warnings,
    })
}

/// A document whose top level is an object.
pub(crate) fn profile_object(
    path: &Path,
    decoding: Decoding,
    opts: &ProfileOptions,
    parallelism: &Parallelism,
) -> Result<Profiled, Attempt> {
    let (survey, encoding, mut features) =
        match collection_split::read(path, decoding, opts, parallelism)? {
            Some(parts) => (parts.report, decoding.label(&parts.stats), parts.features),
            None => {
                let mut features = FeatureCollector::new(opts);
                let (survey, encoding) = survey(path, decoding, opts, &mut features)?;
                (survey, encoding, features)
            }
        };
    tracing::debug!(
        kind = survey.kind.as_deref(),
        arrays = survey.arrays.len(),
        features_streamed = survey.features_streamed,
        "json object surveyed"
    );
    let kind = survey.kind.as_deref();
    let is = |name: &str| kind.is_some_and(|k| k.eq_ignore_ascii_case(name));

    if is("FeatureCollection") {
        let mut warnings = Vec::new();
        if !survey.features_streamed {
            let features_path = ["features".to_owned()];
            if !survey.arrays.iter().any(|a| a.path == features_path) {
                return Err(ProfileError::malformed(
                    "json",
                    "a GeoJSON FeatureCollection without a `features` array",
                )
                .into());
            }
            stream(path, decoding, opts, &features_path, &mut features)?;
        }
        if survey.arrays.iter().any(|a| a.path == ["features"]) && survey.features_streamed {
            warnings.push(
                "the object has more than one `features` member; the first was read".to_owned(),
            );
        }
        return Ok(geojson_profile(
            features,
            survey.crs.as_ref(),
            encoding,
            warnings,
        ));
    }
    if is("Feature") {
        let feature = read_whole(path, decoding, opts)?;
        features.accept(feature)?;
        return Ok(geojson_profile(
            features,
            survey.crs.as_ref(),
            encoding,
            Vec::new(),
        ));
    }
    if let Some(k) = kind.filter(|k| GEOMETRY_TYPES.contains(k)) {
        return Err(ProfileError::unsupported(
            "json",
            format!("a bare GeoJSON {k} geometry, with no features or properties to profile"),
        )
        .into());
    }
    if is("Topology") {
        return Err(
            ProfileError::unsupported("json", "TopoJSON (type Topology) is not supported").into(),
        );
    }
    // A member that says it is a FeatureCollection wins over any sibling
    // array (an API response's `links`, `errors`...).
    let wrapped = survey.arrays.iter().find(|a| a.wrapped_features);
    let Some(member) = wrapped.or_else(|| pick_records(&survey.arrays)) else {
        return Err(ProfileError::unsupported(
            "json",
            format!(
                "a JSON object with no array of records (members: {})",
                survey.members.join(", ")
            ),
        )
        .into());
    };
    let dotted = member.path.join(".");
    // Esri JSON (ArcGIS REST `query?f=json`) also holds `features`, but
    // with `attributes` and `{x, y}` geometries in its own
    // `spatialReference`: read as GeoJSON it would lose every field and
    // claim WGS 84.
    let esri = survey
        .members
        .iter()
        .any(|m| m == "spatialReference" || m == "geometryType");
    // A `features` array read as GeoJSON: under an object that says it is
    // a FeatureCollection, or at the top of an object with no `type`.
    let collection = if esri {
        None
    } else if member.wrapped_features {
        Some(format!(
            "a GeoJSON FeatureCollection read from the `{dotted}` member"
        ))
    } else if member.path == ["features"] && kind.is_none() {
        Some(
            "no `type` member: the `features` array was read as a GeoJSON FeatureCollection"
                .to_owned(),
        )
    } else {
        None
    };
    if let Some(warning) = collection {
        stream(path, decoding, opts, &member.path, &mut features)?;
        return Ok(geojson_profile(
            features,
            member.wrapped_crs.as_ref().or(survey.crs.as_ref()),
            encoding,
            vec![warning],
        ));
    }
    let as_rows = member.objects == 0 && member.arrays > 0;
    let mut records = RecordsCollector::new(opts, NonObjects::Skip);
    let mut list_unusable = false;
    if as_rows {
        records = records.with_rows(match survey.column_names.clone() {
            Some(ListedColumns::Names(names)) => RowLayout::listed(names),
            Some(ListedColumns::Unusable) => {
                list_unusable = true;
                RowLayout::new(RowMode::On)
            }
            None => RowLayout::new(RowMode::On),
        });
    }
    stream(path, decoding, opts, &member.path, &mut records)?;
    let table = records.finish();
    let (held, kind) = if as_rows {
        (member.arrays, "arrays")
    } else {
        (member.objects, "objects")
    };
    let mut warnings = vec![format!(
        "records read from the `{dotted}` member of the top-level object ({held} of {} elements are {kind})",
        member.elements
    )];
    if list_unusable {
        warnings.push(
            "the document's column list (`meta.view.columns`) does not name every column (an entry without a `fieldName`, or too many entries): it was not used"
                .to_owned(),
        );
    }
    if esri {
        warnings.push(
            "an Esri JSON feature set: geometries are read as plain fields, in the file's own spatialReference"
                .to_owned(),
        );
    }
    Ok(Profiled {
        format: "json",
        encoding,
        table,
        geometry: None,
        warnings,
    })
}

fn geojson_profile(
    features: FeatureCollector,
    crs: Option<&Value>,
    encoding: String,
    warnings: Vec<String>,
) -> Profiled {
    let (table, geometry) = features.finish(crs);
    Profiled {
        format: "geojson",
        encoding,
        table,
        geometry: Some(geometry),
        warnings,
    }
}

/// The array member that holds the records; see the module documentation.
fn pick_records(arrays: &[ArrayMember]) -> Option<&ArrayMember> {
    let rank = |a: &ArrayMember| {
        let name = a.path.last().map(String::as_str).unwrap_or("");
        RECORD_KEYS
            .iter()
            .position(|k| k.eq_ignore_ascii_case(name))
            .unwrap_or(RECORD_KEYS.len())
    };
    let most = |count: fn(&ArrayMember) -> u64| {
        let mut best: Option<&ArrayMember> = None;
        for a in arrays.iter().filter(|a| count(a) > 0) {
            let better = match best {
                None => true,
                Some(b) => count(a) > count(b) || (count(a) == count(b) && rank(a) < rank(b)),
            };
            if better {
                best = Some(a);
            }
        }
        best
    };
    // Rows (arrays of cells) only where no array holds any object.
    let best = most(|a| a.objects).or_else(|| most(|a| a.arrays));
    best.or_else(|| {
        arrays
            .iter()
            .filter(|a| a.elements == 0 && rank(a) < RECORD_KEYS.len())
            .min_by_key(|a| rank(a))
    })
}

/// First pass over a top-level object; streams `features` into `features`
/// when the object says early that it is a FeatureCollection.
fn survey(
    path: &Path,
    decoding: Decoding,
    opts: &ProfileOptions,
    features: &mut FeatureCollector,
) -> Result<(SurveyReport, String), Attempt> {
    let source = source::open(path, decoding, opts)?;
    let stats = source.stats.clone();
    let mut parked = None;
    let result = {
        let mut de = serde_json::Deserializer::from_reader(source.reader);
        Survey {
            features: Elements {
                sink: features,
                failure: &mut parked,
                depth: DepthCheck {
                    base: 2,
                    max: opts.limits.max_json_depth,
                },
            },
        }
        .deserialize(&mut de)
        .and_then(|report| de.end().map(|()| report))
    };
    let stats = stats.get();
    let report =
        result.map_err(|e| classify(e, parked, &stats, decoding, opts.limits.max_json_depth))?;
    if matches!(decoding, Decoding::Utf8 { .. }) && stats.invalid_utf8 {
        return Err(Attempt::NotUtf8);
    }
    Ok((report, decoding.label(&stats)))
}

/// Streams the array at `member` (the top level itself when empty) into
/// `sink`; returns the encoding label.
fn stream<S: RecordSink>(
    path: &Path,
    decoding: Decoding,
    opts: &ProfileOptions,
    member: &[String],
    sink: &mut S,
) -> Result<String, Attempt> {
    let source = source::open(path, decoding, opts)?;
    let stats = source.stats.clone();
    let mut parked = None;
    let result = {
        let mut de = serde_json::Deserializer::from_reader(source.reader);
        let elements = Elements {
            sink,
            failure: &mut parked,
            depth: DepthCheck {
                base: member.len() + 1,
                max: opts.limits.max_json_depth,
            },
        };
        let walked = if member.is_empty() {
            elements.deserialize(&mut de)
        } else {
            AtPath {
                path: member,
                target: Some(elements),
            }
            .deserialize(&mut de)
        };
        walked.and_then(|()| de.end())
    };
    let stats = stats.get();
    result.map_err(|e| classify(e, parked, &stats, decoding, opts.limits.max_json_depth))?;
    if matches!(decoding, Decoding::Utf8 { .. }) && stats.invalid_utf8 {
        return Err(Attempt::NotUtf8);
    }
    Ok(decoding.label(&stats))
}

/// Reads a whole document as one value: only for a single GeoJSON Feature,
/// which is one record however large.
fn read_whole(path: &Path, decoding: Decoding, opts: &ProfileOptions) -> Result<Value, Attempt> {
    let source = source::open(path, decoding, opts)?;
    let stats = source.stats.clone();
    let mut de = serde_json::Deserializer::from_reader(source.reader);
    let result = Value::deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    result.map_err(|e| classify(e, None, &stats.get(), decoding, opts.limits.max_json_depth))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(path: &str, elements: u64, objects: u64) -> ArrayMember {
        ArrayMember {
            path: path.split('.').map(str::to_owned).collect(),
            elements,
            objects,
            arrays: 0,
            wrapped_features: false,
            wrapped_crs: None,
        }
    }

    fn rows(path: &str, elements: u64, arrays: u64) -> ArrayMember {
        ArrayMember {
            arrays,
            objects: 0,
            ..member(path, elements, 0)
        }
    }

    #[test]
    fn rows_are_picked_only_where_no_array_holds_objects() {
        let socrata = [member("meta.approvals", 0, 0), rows("data", 40, 40)];
        assert_eq!(
            pick_records(&socrata).map(|a| a.path.join(".")),
            Some("data".into())
        );
        let both = [rows("bbox", 2, 2), member("items", 1, 1)];
        assert_eq!(
            pick_records(&both).map(|a| a.path.join(".")),
            Some("items".into())
        );
        let most = [rows("a", 3, 1), rows("values", 5, 5)];
        assert_eq!(
            pick_records(&most).map(|a| a.path.join(".")),
            Some("values".into())
        );
    }

    #[test]
    fn records_member_is_the_largest_array_of_objects() {
        let arrays = [
            member("facet_groups", 3, 3),
            member("records", 27, 27),
            member("parameters.facet", 2, 0),
        ];
        assert_eq!(
            pick_records(&arrays).map(|a| a.path.join(".")),
            Some("records".into())
        );
        let tie = [member("links", 2, 2), member("data", 2, 2)];
        assert_eq!(
            pick_records(&tie).map(|a| a.path.join(".")),
            Some("data".into())
        );
        let first_wins = [member("a", 2, 2), member("b", 2, 2)];
        assert_eq!(
            pick_records(&first_wins).map(|a| a.path.join(".")),
            Some("a".into())
        );
        let nested = [member("result.records", 5, 5), member("help", 1, 0)];
        assert_eq!(
            pick_records(&nested).map(|a| a.path.join(".")),
            Some("result.records".into())
        );
    }

    #[test]
    fn an_empty_conventional_array_means_no_records() {
        let empty = [member("tags", 3, 0), member("results", 0, 0)];
        assert_eq!(
            pick_records(&empty).map(|a| a.path.join(".")),
            Some("results".into())
        );
        assert_eq!(pick_records(&[member("tags", 3, 0)]), None);
        assert_eq!(pick_records(&[]), None);
    }
}
