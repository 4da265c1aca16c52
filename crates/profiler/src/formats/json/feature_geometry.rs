//! A feature's `geometry`, read from the parser without building it.
//!
//! Most geometries are one of the six simple types with well-formed
//! coordinates: those give their type and bounding box straight from a
//! reused token buffer. Anything else (a GeometryCollection, extra or
//! repeated members, an empty or ragged array, a position with fewer than
//! two numbers, a non-number) is rebuilt as the `Value` the parser would
//! have made and checked by the `geojson` crate as before, so the facts
//! and the warnings about invalid geometries are the same either way.

use std::fmt;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::geometry::BboxAccumulator;

/// One event of a coordinates array.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Number(Number),
    /// Anything that is neither an array nor a number.
    Other(Value),
}

/// The six geometry types read on the fast path, with the nesting of
/// their numbers in `coordinates`.
const SIMPLE_TYPES: [(&str, usize); 6] = [
    ("Point", 1),
    ("MultiPoint", 2),
    ("LineString", 2),
    ("MultiLineString", 3),
    ("Polygon", 3),
    ("MultiPolygon", 4),
];

/// What a `geometry` member held, in reused buffers.
#[derive(Debug, Default)]
pub(crate) struct GeometryDraft {
    /// Whether the member was there at all; `null` counts as absent.
    present: bool,
    /// The geometry when it is not an object (then the only content).
    not_object: Option<Value>,
    /// The first `type` member.
    kind: Option<Value>,
    /// The first `coordinates` member.
    coordinates: Vec<Token>,
    has_coordinates: bool,
    /// Members other than the first `type` and `coordinates`, and the
    /// order of all members (`None` for `type`/`coordinates`).
    members: Vec<(String, Option<Value>)>,
}

/// The outcome of a geometry, once the feature is read.
pub(crate) enum Checked {
    /// No geometry (absent or `null`).
    Absent,
    /// A simple geometry: its type and box.
    Simple(&'static str, BboxAccumulator),
    /// Anything else, as the `Value` to check the slow way.
    Whole(Value),
}

impl GeometryDraft {
    pub fn clear(&mut self) {
        self.present = false;
        self.not_object = None;
        self.kind = None;
        self.coordinates.clear();
        self.has_coordinates = false;
        self.members.clear();
    }

    /// The geometry's type and box when it is simple, else its `Value`.
    pub fn check(&mut self) -> Checked {
        if !self.present {
            return Checked::Absent;
        }
        if let Some(value) = self.not_object.take() {
            return match value {
                Value::Null => Checked::Absent,
                other => Checked::Whole(other),
            };
        }
        if let Some(simple) = self.simple() {
            return simple;
        }
        Checked::Whole(self.rebuild())
    }

    fn simple(&self) -> Option<Checked> {
        let only_two = self.members.len() == 2 && self.members.iter().all(|(_, v)| v.is_none());
        if !only_two || !self.has_coordinates {
            return None;
        }
        let kind = self.kind.as_ref()?.as_str()?;
        let &(name, nesting) = SIMPLE_TYPES.iter().find(|(name, _)| *name == kind)?;
        let bbox = simple_bbox(&self.coordinates, nesting)?;
        Some(Checked::Simple(name, bbox))
    }

    /// The geometry object as the parser would have built it.
    fn rebuild(&mut self) -> Value {
        let mut object = Map::new();
        for (key, value) in self.members.drain(..) {
            let value = match (key.as_str(), value) {
                (_, Some(v)) => v,
                ("type", None) => self.kind.take().unwrap_or(Value::Null),
                (_, None) => tokens_value(&self.coordinates),
            };
            object.insert(key, value);
        }
        Value::Object(object)
    }
}

/// The box of well-formed coordinates whose numbers all sit at `nesting`
/// arrays deep, in positions of at least two numbers; `None` otherwise.
fn simple_bbox(tokens: &[Token], nesting: usize) -> Option<BboxAccumulator> {
    let mut bbox = BboxAccumulator::new();
    let mut depth = 0usize;
    let mut just_opened = false;
    let (mut numbers, mut x, mut y) = (0usize, 0.0, 0.0);
    for token in tokens {
        match token {
            Token::Open => {
                if depth >= nesting {
                    return None;
                }
                depth += 1;
                numbers = 0;
                just_opened = true;
            }
            Token::Close => {
                if just_opened || depth == 0 {
                    return None;
                }
                if depth == nesting {
                    if numbers < 2 {
                        return None;
                    }
                    bbox.add(x, y);
                }
                depth -= 1;
            }
            Token::Number(n) => {
                if depth != nesting {
                    return None;
                }
                let v = n.as_f64().filter(|v| v.is_finite())?;
                match numbers {
                    0 => x = v,
                    1 => y = v,
                    _ => {}
                }
                numbers += 1;
                just_opened = false;
            }
            Token::Other(_) => return None,
        }
        if !matches!(token, Token::Open) {
            just_opened = false;
        }
    }
    (depth == 0 && !tokens.is_empty()).then_some(bbox)
}

/// The `Value` of a token sequence.
fn tokens_value(tokens: &[Token]) -> Value {
    let mut stack: Vec<Vec<Value>> = vec![Vec::new()];
    for token in tokens {
        match token {
            Token::Open => stack.push(Vec::new()),
            Token::Close => {
                if stack.len() > 1
                    && let Some(items) = stack.pop()
                    && let Some(parent) = stack.last_mut()
                {
                    parent.push(Value::Array(items));
                }
            }
            Token::Number(n) => {
                if let Some(top) = stack.last_mut() {
                    top.push(Value::Number(n.clone()));
                }
            }
            Token::Other(v) => {
                if let Some(top) = stack.last_mut() {
                    top.push(v.clone());
                }
            }
        }
    }
    stack
        .into_iter()
        .next()
        .and_then(|mut top| top.pop())
        .unwrap_or(Value::Null)
}

/// Reads a `geometry` member's value into a draft (cleared first).
pub(crate) struct GeometryInto<'g>(pub &'g mut GeometryDraft);

impl<'de> DeserializeSeed<'de> for GeometryInto<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.0.clear();
        self.0.present = true;
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for GeometryInto<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON geometry")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let draft = self.0;
        while let Some(key) = map.next_key::<String>()? {
            let first_type = key == "type" && !draft.members.iter().any(|(k, _)| k == "type");
            let first_coordinates = key == "coordinates" && !draft.has_coordinates;
            if first_type {
                draft.kind = Some(map.next_value::<Value>()?);
                draft.members.push((key, None));
            } else if first_coordinates {
                map.next_value_seed(TokensInto(&mut draft.coordinates))?;
                draft.has_coordinates = true;
                draft.members.push((key, None));
            } else {
                let value = map.next_value::<Value>()?;
                draft.members.push((key, Some(value)));
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        self.0.not_object = Some(Value::Array(items));
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<(), E> {
        self.0.not_object = Some(Value::Bool(b));
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<(), E> {
        self.0.not_object = Some(Value::Number(n.into()));
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<(), E> {
        self.0.not_object = Some(Value::Number(n.into()));
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<(), E> {
        self.0.not_object = Some(Number::from_f64(n).map_or(Value::Null, Value::Number));
        Ok(())
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.0.not_object = Some(Value::String(s.to_owned()));
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.not_object = Some(Value::Null);
        Ok(())
    }
}

/// Appends a value's tokens.
struct TokensInto<'t>(&'t mut Vec<Token>);

impl<'de> DeserializeSeed<'de> for TokensInto<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TokensInto<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("coordinates")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.0.push(Token::Open);
        while seq.next_element_seed(TokensInto(&mut *self.0))?.is_some() {}
        self.0.push(Token::Close);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value = Value::deserialize(MapAccessDeserializer::new(map))?;
        self.0.push(Token::Other(value));
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<(), E> {
        self.0.push(Token::Number(n.into()));
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<(), E> {
        self.0.push(Token::Number(n.into()));
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<(), E> {
        let token = match Number::from_f64(n) {
            Some(n) => Token::Number(n),
            None => Token::Other(Value::Null),
        };
        self.0.push(token);
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<(), E> {
        self.0.push(Token::Other(Value::Bool(b)));
        Ok(())
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.0.push(Token::Other(Value::String(s.to_owned())));
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.push(Token::Other(Value::Null));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(text: &str) -> GeometryDraft {
        let mut draft = GeometryDraft::default();
        let mut de = serde_json::Deserializer::from_str(text);
        GeometryInto(&mut draft)
            .deserialize(&mut de)
            .expect("valid JSON");
        draft
    }

    #[test]
    fn simple_geometries_give_type_and_box() {
        let cases = [
            (
                r#"{"type":"Point","coordinates":[3.5,50]}"#,
                "Point",
                [3.5, 50.0, 3.5, 50.0],
            ),
            (
                r#"{"coordinates":[[[[1,2,9],[4,-1]]],[[[0,5],[2,2]]]],"type":"MultiPolygon"}"#,
                "MultiPolygon",
                [0.0, -1.0, 4.0, 5.0],
            ),
            (
                r#"{"type":"LineString","coordinates":[[650000,6860000],[650010.5,6860003]]}"#,
                "LineString",
                [650_000.0, 6_860_000.0, 650_010.5, 6_860_003.0],
            ),
        ];
        for (text, kind, bbox) in cases {
            match draft(text).check() {
                Checked::Simple(k, b) => {
                    assert_eq!(k, kind);
                    assert_eq!(b.get(), Some(bbox), "{text}");
                }
                _ => panic!("{text} is simple"),
            }
        }
    }

    #[test]
    fn anything_else_is_rebuilt_as_parsed() {
        let cases = [
            r#"{"type":"Point","coordinates":[1]}"#,
            r#"{"type":"Polygon","coordinates":[1.0,2.0]}"#,
            r#"{"type":"LineString","coordinates":[[1.0],[2.0,3.0]]}"#,
            r#"{"type":"LineString","coordinates":[]}"#,
            r#"{"type":"MultiPoint","coordinates":[[1,2],[]]}"#,
            r#"{"type":"Point","coordinates":["a","b"]}"#,
            r#"{"type":"Blob"}"#,
            r#"{"type":"Point","coordinates":[1,2],"bbox":[1,2,1,2]}"#,
            r#"{"type":"Point","coordinates":[1,2],"coordinates":[3,4],"type":"Point"}"#,
            r#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]}]}"#,
            r#"{"type":"Point","coordinates":[1,{"x":[2]}]}"#,
            r#"[1,2]"#,
            r#""Point""#,
        ];
        for text in cases {
            let parsed: Value = serde_json::from_str(text).expect("json");
            match draft(text).check() {
                Checked::Whole(v) => assert_eq!(v, parsed, "{text}"),
                _ => panic!("{text} is not simple"),
            }
        }
        assert!(matches!(draft("null").check(), Checked::Absent));
    }
}
