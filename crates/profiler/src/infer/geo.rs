//! Geographic and structured values in cells: `lat,lon` geopoints,
//! GeoJSON geometries, other JSON objects and arrays.

use serde_json::{Map, Value};

/// `lat,lon` or `lat, lon` with decimal points, lat in [-90, 90] and lon
/// in [-180, 180].
pub(crate) fn read_geopoint(t: &str) -> Option<(f64, f64)> {
    // A byte loop: cells are short, a vector search costs more to set up.
    let comma = t.bytes().position(|c| c == b',')?;
    // Coordinates have decimals: `12,5` is a decimal comma, not 12°N 5°E.
    if !t.bytes().any(|c| c == b'.') {
        return None;
    }
    let lat = plain_decimal(t.get(..comma)?.trim())?;
    let lon = plain_decimal(t.get(comma + 1..)?.trim())?;
    in_range(lat, lon).then_some((lat, lon))
}

fn in_range(lat: f64, lon: f64) -> bool {
    (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)
}

/// An optionally signed decimal with a point: `-0.2263`, `48`, `7.09`
/// (1 to 20 digits on each side of the point).
fn plain_decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let body = match b.first()? {
        b'-' | b'+' => &b[1..],
        _ => b,
    };
    let (mut value, mut int_len, mut frac_len, mut point) = (0u64, 0usize, 0usize, false);
    for &c in body {
        match c {
            b'0'..=b'9' => {
                value = value.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
                if point {
                    frac_len += 1;
                } else {
                    int_len += 1;
                }
            }
            b'.' if !point => point = true,
            _ => return None,
        }
    }
    if !(1..=20).contains(&int_len) || (point && !(1..=20).contains(&frac_len)) {
        return None;
    }
    if int_len + frac_len <= EXACT_DIGITS {
        // Exact in f64, as is 10^(fraction digits): one correctly rounded
        // division gives what parsing gives, at a fraction of the cost.
        let magnitude = value as f64 / POW10[frac_len];
        return Some(if b[0] == b'-' { -magnitude } else { magnitude });
    }
    s.parse().ok()
}

/// Decimal digits that always fit in the 53 bits of an `f64` mantissa.
const EXACT_DIGITS: usize = 15;
const POW10: [f64; EXACT_DIGITS + 1] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A JSON `[lat, lon]` pair of numbers in range. A pair of integers is
/// not taken for one: `[1, 2]` is far more often a pair of counts or ids
/// than a position given to the degree.
pub(crate) fn geopoint_array(items: &[Value]) -> Option<(f64, f64)> {
    match items {
        [Value::Number(lat), Value::Number(lon)] if lat.is_f64() || lon.is_f64() => {
            let (lat, lon) = (lat.as_f64()?, lon.as_f64()?);
            in_range(lat, lon).then_some((lat, lon))
        }
        _ => None,
    }
}

/// Whether a JSON object is a GeoJSON geometry: a geometry `type` with
/// `coordinates` (or `geometries` for a collection).
pub(crate) fn is_geometry(object: &Map<String, Value>) -> bool {
    const TYPES: [&str; 6] = [
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
    ];
    match object.get("type").and_then(Value::as_str) {
        Some("GeometryCollection") => object.get("geometries").is_some_and(Value::is_array),
        Some(t) if TYPES.contains(&t) => object.get("coordinates").is_some_and(Value::is_array),
        _ => false,
    }
}

/// What JSON text in a cell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonText {
    Geometry,
    Object,
    Array,
}

/// Parses a trimmed cell starting with `{` or `[` as JSON.
pub(crate) fn read_json_text(t: &str) -> Option<(JsonText, Value)> {
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    let value: Value = serde_json::from_str(t).ok()?;
    let kind = match &value {
        Value::Object(o) if is_geometry(o) => JsonText::Geometry,
        Value::Object(_) => JsonText::Object,
        Value::Array(_) => JsonText::Array,
        _ => return None,
    };
    Some((kind, value))
}

/// A geopoint as published in sample records: `{"lat": .., "lon": ..}`,
/// which names the order that `lat,lon` text and `[lat, lon]` arrays
/// leave implicit.
pub(crate) fn geopoint_value(lat: f64, lon: f64) -> Value {
    serde_json::json!({ "lat": lat, "lon": lon })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn geopoints_as_text() {
        assert_eq!(
            read_geopoint("47.655039001,7.0935498603"),
            Some((47.655039001, 7.0935498603))
        );
        assert_eq!(
            read_geopoint("51.007227805303, 2.330823062992522"),
            Some((51.007227805303, 2.330823062992522))
        );
        assert_eq!(read_geopoint("47.88,-0.2263"), Some((47.88, -0.2263)));
        assert_eq!(read_geopoint("91.0,2.0"), None);
        assert_eq!(read_geopoint("45.0,181.0"), None);
        assert_eq!(read_geopoint("abc,2.0"), None);
        assert_eq!(read_geopoint("1,2,3"), None);
        for bad in ["1.2.3", "1.", ".5", "+", "-", "", "1e5", "4 2"] {
            assert_eq!(plain_decimal(bad), None, "{bad:?}");
        }
        assert_eq!(plain_decimal("+48"), Some(48.0));
        assert_eq!(
            plain_decimal("-0.0").map(f64::to_bits),
            Some((-0.0f64).to_bits())
        );
        // 21 digits: not read.
        assert_eq!(plain_decimal("123456789012345678901"), None);
        let long = "1234567890.1234567890";
        assert_eq!(plain_decimal(long), long.parse().ok());
    }

    proptest::proptest! {
        #[test]
        fn plain_decimals_read_as_the_parser_reads_them(
            sign in "[-+]?",
            int in "[0-9]{1,9}",
            frac in proptest::option::of("[0-9]{1,12}"),
        ) {
            let text = match &frac {
                Some(f) => format!("{sign}{int}.{f}"),
                None => format!("{sign}{int}"),
            };
            let parsed: f64 = text.parse().unwrap();
            proptest::prop_assert_eq!(plain_decimal(&text).map(f64::to_bits), Some(parsed.to_bits()));
        }
    }

    #[test]
    fn geojson_text() {
        let (kind, _) = read_json_text(
            r#"{"coordinates": [[2.300280980817689, 48.84090598651907]], "type": "MultiPoint"}"#,
        )
        .unwrap();
        assert_eq!(kind, JsonText::Geometry);
        assert_eq!(read_json_text(r#"{"a": 1}"#).unwrap().0, JsonText::Object);
        assert_eq!(read_json_text("[1, 2]").unwrap().0, JsonText::Array);
        assert!(read_json_text("{not json").is_none());
        assert!(
            read_json_text(r#"{"type": "Feature", "coordinates": []}"#)
                .is_some_and(|(k, _)| k == JsonText::Object)
        );
    }

    #[test]
    fn geopoint_arrays() {
        let v: Vec<Value> = serde_json::from_str("[48.1, -1.6]").unwrap();
        assert_eq!(geopoint_array(&v), Some((48.1, -1.6)));
        let v: Vec<Value> = serde_json::from_str("[48.1, -1.6, 3]").unwrap();
        assert_eq!(geopoint_array(&v), None);
    }
}
