//! Turning a nested JSON record into flat, named cells.
//!
//! The catalog shows a table: nested objects become dotted names
//! (`{"geo":{"lat":1}}` -> `geo.lat`), so each leaf is a column a user can
//! read. Arrays stay whole, as one `array` cell, because their elements are
//! not columns. An empty object is kept as one cell holding `{}`: dropping
//! it would hide that the key exists.

#[cfg(test)]
use serde_json::Map;
use serde_json::Value;

/// Appends the cells of `record` to `out`, in document order: the
/// reference that [`super::flat`], which reads records without building
/// them, is checked against.
#[cfg(test)]
pub(crate) fn flatten(record: Map<String, Value>, out: &mut Vec<(String, Value)>) {
    flatten_into(None, record, out);
}

#[cfg(test)]
fn flatten_into(prefix: Option<&str>, object: Map<String, Value>, out: &mut Vec<(String, Value)>) {
    for (key, value) in object {
        let name = match prefix {
            Some(p) => format!("{p}.{key}"),
            None => key,
        };
        match value {
            Value::Object(inner) if !inner.is_empty() => flatten_into(Some(&name), inner, out),
            other => out.push((name, other)),
        }
    }
}

/// A cell as shown in `sample_records`: strings longer than `max_chars`
/// characters are cut and end with `…`. An array or object whose JSON text
/// is longer than that (a polygon's coordinates, say) is shown as its cut
/// JSON text, so one sample cannot carry megabytes.
pub(crate) fn sample_cell(value: Value, max_chars: usize) -> Value {
    match value {
        Value::String(s) => Value::String(cut(s, max_chars)),
        Value::Array(_) | Value::Object(_) => {
            let text = value.to_string();
            if text.chars().count() > max_chars {
                Value::String(cut(text, max_chars))
            } else {
                value
            }
        }
        other => other,
    }
}

fn cut(s: String, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        None => s,
        Some((end, _)) => {
            let mut short = s[..end].to_owned();
            short.push('…');
            short
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flat(v: Value) -> Vec<(String, Value)> {
        let Value::Object(m) = v else {
            panic!("test records are objects")
        };
        let mut out = Vec::new();
        flatten(m, &mut out);
        out
    }

    #[test]
    fn nested_objects_become_dotted_names_arrays_stay_whole() {
        let cells = flat(json!({
            "recordid": "r1",
            "fields": {"geo_point_2d": [50.6, 3.06], "geometry": {"type": "Point", "coordinates": [3.06, 50.6]}},
            "empty": {},
            "n": null
        }));
        let names: Vec<&str> = cells.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "recordid",
                "fields.geo_point_2d",
                "fields.geometry.type",
                "fields.geometry.coordinates",
                "empty",
                "n"
            ]
        );
        assert_eq!(cells[1].1, json!([50.6, 3.06]));
        assert_eq!(cells[4].1, json!({}));
        assert_eq!(cells[5].1, Value::Null);
    }

    #[test]
    fn sample_cells_are_cut_with_an_ellipsis() {
        assert_eq!(sample_cell(json!("abcdef"), 3), json!("abc…"));
        assert_eq!(sample_cell(json!("éèà"), 3), json!("éèà"));
        assert_eq!(sample_cell(json!(12.5), 1), json!(12.5));
        assert_eq!(sample_cell(json!([1, 2]), 10), json!([1, 2]));
        assert_eq!(sample_cell(json!([1, 2, 3, 4]), 4), json!("[1,2…"));
    }
}
