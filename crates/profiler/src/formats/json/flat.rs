//! One record's flattened cells, read straight from the parser into
//! reused buffers.
//!
//! Building a `serde_json::Value` per record allocates every key, every
//! string and every map (with its hash index), then flattening allocates
//! every dotted name again. Here the parser's events are written into a
//! [`FlatRecord`] whose buffers live as long as the reader: dotted names
//! and string values go to two text arenas, scalars are kept as they are,
//! and only arrays and empty objects (kept whole, as one cell) become
//! `Value`s. Nothing reaches the field table until the record is complete,
//! so a record that turns out malformed (a broken NDJSON line) leaves no
//! trace. The naming rules are those of [`super::flatten`].

use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A cell's value, its text (if a string) in [`FlatRecord`]'s arena.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Leaf {
    Null,
    Bool(bool),
    Number(Number),
    Text(Range<usize>),
    /// An array, or an empty object, kept whole.
    Whole(Value),
}

/// The cells of one record, in document order.
#[derive(Debug, Default)]
pub(crate) struct FlatRecord {
    /// The dotted name of the member being read.
    path: String,
    names: String,
    texts: String,
    cells: Vec<(Range<usize>, Leaf)>,
}

impl FlatRecord {
    pub fn clear(&mut self) {
        self.path.clear();
        self.names.clear();
        self.texts.clear();
        self.cells.clear();
    }

    /// The cells: dotted name and value.
    pub fn cells(&self) -> impl Iterator<Item = (&str, &Leaf)> {
        self.cells
            .iter()
            .map(|(name, leaf)| (self.names.get(name.clone()).unwrap_or(""), leaf))
    }

    /// The text of a [`Leaf::Text`].
    pub fn text(&self, range: &Range<usize>) -> &str {
        self.texts.get(range.clone()).unwrap_or("")
    }

    /// The cell as a `Value`.
    pub fn value(&self, leaf: &Leaf) -> Value {
        match leaf {
            Leaf::Null => Value::Null,
            Leaf::Bool(b) => Value::Bool(*b),
            Leaf::Number(n) => Value::Number(n.clone()),
            Leaf::Text(range) => Value::String(self.text(range).to_owned()),
            Leaf::Whole(v) => v.clone(),
        }
    }

    /// Replaces the cells with those of an already parsed object.
    pub fn fill_from_map(&mut self, object: Map<String, Value>) {
        self.clear();
        self.add_map(object, false);
    }

    fn add_map(&mut self, object: Map<String, Value>, nested: bool) {
        for (key, value) in object {
            let mark = self.path.len();
            if nested {
                self.path.push('.');
            }
            self.path.push_str(&key);
            self.add_value(value);
            self.path.truncate(mark);
        }
    }

    /// Adds a parsed value named by the current path: an object flattened
    /// under it, anything else as one cell.
    fn add_value(&mut self, value: Value) {
        match value {
            Value::Object(inner) if !inner.is_empty() => self.add_map(inner, true),
            Value::Null => self.push(Leaf::Null),
            Value::Bool(b) => self.push(Leaf::Bool(b)),
            Value::Number(n) => self.push(Leaf::Number(n)),
            Value::String(s) => self.push_text(&s),
            whole => self.push(Leaf::Whole(whole)),
        }
    }

    fn push(&mut self, leaf: Leaf) {
        let start = self.names.len();
        self.names.push_str(&self.path);
        self.cells.push((start..self.names.len(), leaf));
    }

    fn push_text(&mut self, text: &str) {
        let start = self.texts.len();
        self.texts.push_str(text);
        self.push(Leaf::Text(start..self.texts.len()));
    }

    /// Reads the members of an object being parsed as the record (cleared
    /// first).
    pub fn read_record<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<(), A::Error> {
        self.clear();
        self.read_members(map, false)
    }

    /// Reads the members of an object being parsed (the record itself
    /// when not `nested`, else a member whose name is in `path`).
    fn read_members<'de, A: MapAccess<'de>>(
        &mut self,
        map: &mut A,
        nested: bool,
    ) -> Result<(), A::Error> {
        loop {
            let mark = self.path.len();
            if nested {
                self.path.push('.');
            }
            if map.next_key_seed(KeyInto(&mut self.path))?.is_none() {
                self.path.truncate(mark);
                return Ok(());
            }
            map.next_value_seed(Member(self))?;
            self.path.truncate(mark);
        }
    }
}

/// What one element of a records array is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Element {
    /// A record, now in the [`FlatRecord`].
    Object,
    /// A row of this many cells, now in the [`FlatRecord`] (only when
    /// arrays are read as rows).
    Row(usize),
    /// Not a record: `null`, `boolean`, `number`, `string` or `array`.
    Other(&'static str),
}

/// Reads any value: an object into a [`FlatRecord`] (cleared first), and
/// anything else skipped, known by its kind. With `rows`, an array is read
/// as a row too: its cells named by position from `rows`, `columnN` past
/// its end.
pub(crate) struct ElementInto<'r> {
    pub flat: &'r mut FlatRecord,
    pub rows: Option<&'r [String]>,
}

impl FlatRecord {
    /// Starts the path of a row's cell at `position`: its name in `names`,
    /// else `columnN`, as the CSV reader names the fields of a table
    /// without a header.
    fn start_cell(&mut self, names: &[String], position: usize) {
        self.path.clear();
        match names.get(position) {
            Some(name) => self.path.push_str(name),
            None => {
                use std::fmt::Write as _;
                let _ = write!(self.path, "column{position}");
            }
        }
    }

    /// Reads the cells of an array being parsed as a row (cleared first),
    /// each named by its position; a cell that is an object is flattened
    /// under that name.
    pub fn read_row<'de, A: SeqAccess<'de>>(
        &mut self,
        seq: &mut A,
        names: &[String],
    ) -> Result<usize, A::Error> {
        self.clear();
        let mut position = 0;
        loop {
            self.start_cell(names, position);
            let more = seq.next_element_seed(Member(self))?.is_some();
            self.path.clear();
            if !more {
                return Ok(position);
            }
            position += 1;
        }
    }

    /// Replaces the cells with those of an already parsed row.
    pub fn fill_from_row(&mut self, items: Vec<Value>, names: &[String]) {
        self.clear();
        for (position, item) in items.into_iter().enumerate() {
            self.start_cell(names, position);
            self.add_value(item);
            self.path.clear();
        }
    }
}

impl<'de> DeserializeSeed<'de> for ElementInto<'_> {
    type Value = Element;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Element, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementInto<'_> {
    type Value = Element;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Element, A::Error> {
        self.flat.read_record(&mut map)?;
        Ok(Element::Object)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Element, A::Error> {
        if let Some(names) = self.rows {
            return Ok(Element::Row(self.flat.read_row(&mut seq, names)?));
        }
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(Element::Other("array"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Element, E> {
        Ok(Element::Other("boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Element, E> {
        Ok(Element::Other("number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Element, E> {
        Ok(Element::Other("number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Element, E> {
        Ok(Element::Other("number"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Element, E> {
        Ok(Element::Other("string"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Element, E> {
        Ok(Element::Other("null"))
    }
}

/// Skips a value, allocating nothing, but nested as deep as it is, so the
/// parser's nesting limit applies as when the value is read
/// (`IgnoredAny` walks arrays and objects without that limit).
pub(crate) struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Skip)?.is_some() {
            map.next_value_seed(Skip)?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Appends a member name to the path.
struct KeyInto<'p>(&'p mut String);

impl<'de> DeserializeSeed<'de> for KeyInto<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyInto<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<(), E> {
        self.0.push_str(key);
        Ok(())
    }
}

/// A member's value, named by the record's current path.
struct Member<'r>(&'r mut FlatRecord);

impl<'de> DeserializeSeed<'de> for Member<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Member<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let record = self.0;
        let mark = record.path.len();
        record.path.push('.');
        if map.next_key_seed(KeyInto(&mut record.path))?.is_none() {
            record.path.truncate(mark);
            record.push(Leaf::Whole(Value::Object(Map::new())));
            return Ok(());
        }
        map.next_value_seed(Member(record))?;
        record.path.truncate(mark);
        record.read_members(&mut map, true)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        self.0.push(Leaf::Whole(Value::Array(items)));
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<(), E> {
        self.0.push(Leaf::Bool(b));
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<(), E> {
        self.0.push(Leaf::Number(n.into()));
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<(), E> {
        self.0.push(Leaf::Number(n.into()));
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<(), E> {
        // As `Value` reads it: a non-finite float (never from JSON text)
        // becomes null.
        let leaf = Number::from_f64(n).map_or(Leaf::Null, Leaf::Number);
        self.0.push(leaf);
        Ok(())
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.0.push_text(s);
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.push(Leaf::Null);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn streamed(text: &str) -> Vec<(String, Value)> {
        let mut record = FlatRecord::default();
        let mut de = serde_json::Deserializer::from_str(text);
        let element = ElementInto {
            flat: &mut record,
            rows: None,
        }
        .deserialize(&mut de)
        .expect("an object");
        assert_eq!(element, Element::Object);
        record
            .cells()
            .map(|(name, leaf)| (name.to_owned(), record.value(leaf)))
            .collect()
    }

    fn from_map(value: Value) -> Vec<(String, Value)> {
        let Value::Object(map) = value else {
            panic!("test records are objects")
        };
        let mut record = FlatRecord::default();
        record.fill_from_map(map);
        record
            .cells()
            .map(|(name, leaf)| (name.to_owned(), record.value(leaf)))
            .collect()
    }

    #[test]
    fn streamed_cells_are_the_flattened_cells() {
        let text = r#"{"recordid": "r1", "fields": {"geo_point_2d": [50.6, 3.06],
            "geometry": {"type": "Point", "coordinates": [3.06, 50.6]}, "n": -4, "big": 18446744073709551615},
            "empty": {}, "deep": {"a": {}}, "": {"b": 1.5}, "t": true, "z": null, "s": "é\"\n"}"#;
        let cells = streamed(text);
        let mut expected = Vec::new();
        let Value::Object(map) = serde_json::from_str::<Value>(text).expect("json") else {
            panic!("object")
        };
        super::super::flatten::flatten(map, &mut expected);
        assert_eq!(cells, expected);
        let names: Vec<&str> = cells.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "recordid",
                "fields.geo_point_2d",
                "fields.geometry.type",
                "fields.geometry.coordinates",
                "fields.n",
                "fields.big",
                "empty",
                "deep.a",
                ".b",
                "t",
                "z",
                "s"
            ]
        );
        assert_eq!(cells[11].1, json!("é\"\n"));
        assert_eq!(
            from_map(serde_json::from_str(text).expect("json")),
            expected
        );
    }

    #[test]
    fn elements_that_are_not_objects_are_named_by_kind() {
        let mut record = FlatRecord::default();
        let kinds: Vec<Element> = ["[1,[2]]", "3.5", "\"x\"", "null", "false", "{\"a\":1}"]
            .iter()
            .map(|text| {
                let mut de = serde_json::Deserializer::from_str(text);
                ElementInto {
                    flat: &mut record,
                    rows: None,
                }
                .deserialize(&mut de)
                .expect("json")
            })
            .collect();
        assert_eq!(
            kinds,
            [
                Element::Other("array"),
                Element::Other("number"),
                Element::Other("string"),
                Element::Other("null"),
                Element::Other("boolean"),
                Element::Object
            ]
        );
        assert_eq!(record.cells().count(), 1);
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let mut de = serde_json::Deserializer::from_str(&deep);
        let err = ElementInto {
            flat: &mut record,
            rows: None,
        }
        .deserialize(&mut de)
        .expect_err("past the parser's nesting limit");
        assert!(
            err.to_string().starts_with("recursion limit exceeded"),
            "{err}"
        );
    }
}
