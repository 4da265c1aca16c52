//! The serde visitors that walk a JSON document's top-level structure
//! without ever holding more than one record in memory.
//!
//! - [`Elements`] streams an array, handing each element (one `Value` per
//!   record) to a [`RecordSink`].
//! - [`Survey`] walks a top-level object once: it notes `type` and `crs`,
//!   measures every array member (and those one object deeper, for
//!   wrappers like CKAN's `{"result":{"records":[...]}}`), and when the
//!   object is already known to be a FeatureCollection, streams `features`
//!   on the spot.
//! - [`AtPath`] streams the array at a given member path, skipping the rest:
//!   the second pass once the survey has said where the records are.
//!
//! Members that are not needed are skipped with [`IgnoredAny`], which
//! allocates nothing however large they are.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::rows::{ListedColumns, SocrataMeta};
use crate::ProfileError;

/// Visitor methods for every JSON scalar, all returning `$value`.
macro_rules! scalars_are {
    ($value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}
pub(crate) use scalars_are;

/// Receives the records (or features) of a document, one at a time.
pub(crate) trait RecordSink {
    /// Adds one element, already parsed.
    fn accept(&mut self, value: Value) -> Result<(), ProfileError>;

    /// Parses one element into the sink's own buffers, without adding it
    /// (so that an element that fails to parse leaves no trace).
    fn read<'de, D: Deserializer<'de>>(&mut self, deserializer: D) -> Result<(), D::Error>
    where
        Self: Sized;

    /// Adds the element [`RecordSink::read`] last read.
    fn commit(&mut self) -> Result<(), ProfileError>;
}

/// Has a sink read the next element.
pub(crate) struct ReadInto<'s, S>(pub &'s mut S);

impl<'de, S: RecordSink> DeserializeSeed<'de> for ReadInto<'_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.0.read(deserializer)
    }
}

/// The deepest nesting serde_json reads: it refuses the 128th level, so a
/// limit at or above this one is the parser's to enforce.
pub(crate) const PARSER_DEPTH_LIMIT: usize = 127;

/// The serde error a visitor returns after parking the real error in
/// [`Elements::failure`].
pub(crate) const STOPPED: &str = "record processing stopped";

/// Nesting allowed below a record, when the configured limit is tighter
/// than the parser's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DepthCheck {
    /// Nesting of the record itself (1 for an element of a top-level array).
    pub base: usize,
    pub max: usize,
}

impl DepthCheck {
    fn check(self, value: &Value) -> Result<(), ProfileError> {
        if self.max >= PARSER_DEPTH_LIMIT {
            return Ok(());
        }
        if self.base + depth(value) > self.max {
            return Err(ProfileError::limit(
                "json",
                format!("JSON nested deeper than {} levels", self.max),
            ));
        }
        Ok(())
    }
}

/// Nesting of arrays and objects in a value (0 for a scalar). Recursion is
/// bounded by the parser's own depth limit.
pub(crate) fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(members) => 1 + members.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Streams the elements of an array into a sink.
pub(crate) struct Elements<'a, S> {
    pub sink: &'a mut S,
    /// Where the sink's error waits while serde unwinds with [`STOPPED`].
    pub failure: &'a mut Option<ProfileError>,
    pub depth: DepthCheck,
}

impl<'de, S: RecordSink> DeserializeSeed<'de> for Elements<'_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, S: RecordSink> Visitor<'de> for Elements<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.depth.max >= PARSER_DEPTH_LIMIT {
            // No depth to check beyond the parser's own: each element is
            // read straight into the sink.
            while seq.next_element_seed(ReadInto(&mut *self.sink))?.is_some() {
                if let Err(e) = self.sink.commit() {
                    *self.failure = Some(e);
                    return Err(de::Error::custom(STOPPED));
                }
            }
            return Ok(());
        }
        while let Some(value) = seq.next_element::<Value>()? {
            let accepted = self
                .depth
                .check(&value)
                .and_then(|()| self.sink.accept(value));
            if let Err(e) = accepted {
                *self.failure = Some(e);
                return Err(de::Error::custom(STOPPED));
            }
        }
        Ok(())
    }
}

/// One array member found by the survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArrayMember {
    /// Keys from the top-level object down to the array.
    pub path: Vec<String>,
    pub elements: u64,
    /// Elements that are objects (candidate records).
    pub objects: u64,
    /// Elements that are arrays (candidate rows of a table).
    pub arrays: u64,
    /// The `features` of an object one level down whose `type` says
    /// FeatureCollection (a GeoJSON document wrapped in an API response).
    pub wrapped_features: bool,
    /// That object's legacy `crs` member.
    pub wrapped_crs: Option<Value>,
}

/// What one pass over a top-level object found.
#[derive(Debug, Default)]
pub(crate) struct SurveyReport {
    /// The `type` member, when it is a (short) string.
    pub kind: Option<String>,
    /// The legacy GeoJSON `crs` member.
    pub crs: Option<Value>,
    pub arrays: Vec<ArrayMember>,
    /// Top-level member names, for messages.
    pub members: Vec<String>,
    /// Names of the columns listed in a Socrata `meta.view.columns`.
    pub column_names: Option<ListedColumns>,
    /// `features` was streamed into the feature sink during this pass.
    pub features_streamed: bool,
    /// Members that came after the streamed `features`.
    pub after_features: usize,
}

/// Walks a top-level object; see the module documentation.
pub(crate) struct Survey<'a, S> {
    /// Receives `features` when `type` says FeatureCollection before it.
    pub features: Elements<'a, S>,
}

impl<'de, S: RecordSink> DeserializeSeed<'de> for Survey<'_, S> {
    type Value = SurveyReport;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<SurveyReport, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, S: RecordSink> Visitor<'de> for Survey<'_, S> {
    type Value = SurveyReport;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SurveyReport, A::Error> {
        let mut report = SurveyReport::default();
        let mut features = Some(self.features);
        while let Some(key) = map.next_key::<String>()? {
            if report.features_streamed {
                report.after_features += 1;
            }
            let is_collection = report
                .kind
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case("FeatureCollection"));
            match key.as_str() {
                "type" if report.kind.is_none() => report.kind = map.next_value_seed(ShortText)?,
                "crs" if report.crs.is_none() => report.crs = Some(map.next_value::<Value>()?),
                "meta" if report.column_names.is_none() => {
                    report.column_names = map.next_value_seed(SocrataMeta)?;
                }
                "features" if is_collection && features.is_some() => {
                    if let Some(sink) = features.take() {
                        map.next_value_seed(sink)?;
                        report.features_streamed = true;
                    }
                }
                _ => {
                    let shape = map.next_value_seed(MemberShape { look_inside: true })?;
                    shape.collect(vec![key.clone()], &mut report.arrays);
                }
            }
            if report.members.len() < 50 {
                report.members.push(key);
            }
        }
        Ok(report)
    }
}

/// Streams the array found at `path` (member keys from the top-level
/// object) into `target`, skipping everything else.
pub(crate) struct AtPath<'p, 'a, S> {
    pub path: &'p [String],
    pub target: Option<Elements<'a, S>>,
}

impl<'de, S: RecordSink> DeserializeSeed<'de> for AtPath<'_, '_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, S: RecordSink> Visitor<'de> for AtPath<'_, '_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let wanted = self.path.first() == Some(&key);
            match (wanted, self.target.take()) {
                (true, Some(target)) => match self.path {
                    [_] => map.next_value_seed(target)?,
                    [_, rest @ ..] => map.next_value_seed(AtPath {
                        path: rest,
                        target: Some(target),
                    })?,
                    [] => map.next_value::<IgnoredAny>().map(|_| ())?,
                },
                (_, target) => {
                    self.target = target;
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// What a member's value is, as far as finding records goes.
#[derive(Debug)]
enum Shape {
    Array {
        elements: u64,
        objects: u64,
        arrays: u64,
    },
    Object {
        children: Vec<(String, Shape)>,
        /// Its `type` says FeatureCollection.
        collection: bool,
        crs: Option<Value>,
    },
    Other,
}

impl Shape {
    fn collect(self, path: Vec<String>, out: &mut Vec<ArrayMember>) {
        match self {
            Shape::Array {
                elements,
                objects,
                arrays,
            } => out.push(ArrayMember {
                path,
                elements,
                objects,
                arrays,
                wrapped_features: false,
                wrapped_crs: None,
            }),
            Shape::Object {
                children,
                collection,
                crs,
            } => {
                for (key, child) in children {
                    let features = collection && key == "features";
                    let mut child_path = path.clone();
                    child_path.push(key);
                    let first = out.len();
                    child.collect(child_path, out);
                    if let Some(member) = out.get_mut(first).filter(|_| features) {
                        member.wrapped_features = true;
                        member.wrapped_crs.clone_from(&crs);
                    }
                }
            }
            Shape::Other => {}
        }
    }
}

/// Measures a member: arrays are counted, objects looked into once.
struct MemberShape {
    look_inside: bool,
}

impl<'de> DeserializeSeed<'de> for MemberShape {
    type Value = Shape;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Shape, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MemberShape {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        let (mut elements, mut objects, mut arrays) = (0u64, 0u64, 0u64);
        while let Some(kind) = seq.next_element_seed(ElementKind)? {
            elements += 1;
            objects += u64::from(kind == Kind::Object);
            arrays += u64::from(kind == Kind::Array);
        }
        Ok(Shape::Array {
            elements,
            objects,
            arrays,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let mut children = Vec::new();
        let mut collection = false;
        let mut crs = None;
        while let Some(key) = map.next_key::<String>()? {
            if !self.look_inside {
                map.next_value::<IgnoredAny>()?;
            } else if key == "crs" && crs.is_none() {
                crs = Some(map.next_value::<Value>()?);
            } else if key == "type" {
                let kind = map.next_value_seed(ShortText)?;
                collection |= kind.is_some_and(|k| k.eq_ignore_ascii_case("FeatureCollection"));
            } else {
                let child = map.next_value_seed(MemberShape { look_inside: false })?;
                children.push((key, child));
            }
        }
        Ok(Shape::Object {
            children,
            collection,
            crs,
        })
    }

    scalars_are!(Shape::Other);
}

/// What an element of an array is, as far as finding records goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
    Scalar,
}

/// The [`Kind`] of a value, skipping its content.
struct ElementKind;

impl<'de> DeserializeSeed<'de> for ElementKind {
    type Value = Kind;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Kind, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementKind {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Kind::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Kind::Object)
    }

    scalars_are!(Kind::Scalar);
}

/// A string value of at most 128 bytes (a `type` tag); anything else is
/// skipped and reads as `None`.
#[derive(Clone, Copy)]
pub(crate) struct ShortText;

impl<'de> DeserializeSeed<'de> for ShortText {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ShortText {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((v.len() <= 128).then(|| v.to_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    struct Collect(Vec<Value>, Option<Value>);

    impl RecordSink for Collect {
        fn accept(&mut self, value: Value) -> Result<(), ProfileError> {
            if value.get("stop").is_some() {
                return Err(ProfileError::malformed("json", "told to stop"));
            }
            self.0.push(value);
            Ok(())
        }

        fn read<'de, D: Deserializer<'de>>(&mut self, deserializer: D) -> Result<(), D::Error> {
            self.1 = Some(Value::deserialize(deserializer)?);
            Ok(())
        }

        fn commit(&mut self) -> Result<(), ProfileError> {
            let value = self.1.take().unwrap_or_default();
            self.accept(value)
        }
    }

    fn survey(text: &str) -> (SurveyReport, Vec<Value>) {
        let mut sink = Collect(Vec::new(), None);
        let mut failure = None;
        let mut de = serde_json::Deserializer::from_str(text);
        let report = Survey {
            features: Elements {
                sink: &mut sink,
                failure: &mut failure,
                depth: DepthCheck { base: 2, max: 128 },
            },
        }
        .deserialize(&mut de)
        .expect("valid object");
        (report, sink.0)
    }

    #[test]
    fn survey_measures_arrays_one_level_deep() {
        let (r, streamed) = survey(
            r#"{"nhits": 2, "parameters": {"rows": 10, "facet": ["a"]},
                "records": [{"a": 1}, {"a": 2}, 3], "facet_groups": [{"name": "x"}],
                "result": {"records": [{"b": 1}], "deeper": {"x": [{"c": 1}]}}}"#,
        );
        assert!(streamed.is_empty());
        let found: Vec<(String, u64, u64)> = r
            .arrays
            .iter()
            .map(|a| (a.path.join("."), a.elements, a.objects))
            .collect();
        assert_eq!(
            found,
            [
                ("parameters.facet".to_owned(), 1, 0),
                ("records".to_owned(), 3, 2),
                ("facet_groups".to_owned(), 1, 1),
                ("result.records".to_owned(), 1, 1),
            ]
        );
        assert_eq!(r.kind, None);
        assert_eq!(
            r.members,
            ["nhits", "parameters", "records", "facet_groups", "result"]
        );
    }

    #[test]
    fn survey_streams_features_when_type_comes_first_and_keeps_late_crs() {
        let (r, streamed) = survey(
            r#"{"type": "FeatureCollection", "features": [{"type": "Feature"}, {"type": "Feature"}],
                "crs": {"type": "name", "properties": {"name": "EPSG:2154"}}}"#,
        );
        assert!(r.features_streamed);
        assert_eq!(streamed.len(), 2);
        assert_eq!(r.kind.as_deref(), Some("FeatureCollection"));
        assert!(r.crs.is_some());

        let (r, streamed) =
            survey(r#"{"features": [{"type": "Feature"}], "type": "FeatureCollection"}"#);
        assert!(!r.features_streamed && streamed.is_empty());
        assert_eq!(r.arrays[0].path, ["features"]);
    }

    #[test]
    fn at_path_streams_only_the_wanted_array() {
        let text =
            r#"{"records": [{"no": 1}], "result": {"skip": [1], "records": [{"a": 1}, {"a": 2}]}}"#;
        let mut sink = Collect(Vec::new(), None);
        let mut failure = None;
        let path = ["result".to_owned(), "records".to_owned()];
        let mut de = serde_json::Deserializer::from_str(text);
        AtPath {
            path: &path,
            target: Some(Elements {
                sink: &mut sink,
                failure: &mut failure,
                depth: DepthCheck { base: 3, max: 128 },
            }),
        }
        .deserialize(&mut de)
        .expect("valid");
        assert_eq!(sink.0.len(), 2);
        assert_eq!(sink.0[1]["a"], 2);
    }

    #[test]
    fn sink_errors_stop_the_walk_and_are_kept() {
        let mut sink = Collect(Vec::new(), None);
        let mut failure = None;
        let mut de = serde_json::Deserializer::from_str(r#"[{"a":1},{"stop":true},{"a":3}]"#);
        let err = Elements {
            sink: &mut sink,
            failure: &mut failure,
            depth: DepthCheck { base: 1, max: 128 },
        }
        .deserialize(&mut de)
        .expect_err("stopped");
        assert!(err.to_string().starts_with(STOPPED));
        assert_eq!(sink.0.len(), 1);
        assert_eq!(
            failure.map(|e| e.to_string()).as_deref(),
            Some("json: told to stop")
        );
    }

    #[test]
    fn tighter_depth_limit_is_enforced_per_record() {
        let mut sink = Collect(Vec::new(), None);
        let mut failure = None;
        let mut de = serde_json::Deserializer::from_str(r#"[{"a":{"b":[1]}}]"#);
        let result = Elements {
            sink: &mut sink,
            failure: &mut failure,
            depth: DepthCheck { base: 1, max: 3 },
        }
        .deserialize(&mut de);
        assert!(result.is_err());
        let message = failure.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("nested deeper than 3 levels"), "{message}");
        assert_eq!(depth(&serde_json::json!({"a": {"b": [1]}})), 3);
    }
}
