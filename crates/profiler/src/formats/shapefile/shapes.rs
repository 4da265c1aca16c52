//! A Shapefile's geometries (`.shp`), read with the `shapefile` crate.
//!
//! The layer's type is its shape type from the `.shp` header, named as
//! GeoJSON names geometries (PolyLine is `LineString`; Z and M variants
//! keep the plain name); each non-null shape counts once, and every point
//! widens the bounding box.

use std::io::{Read, Seek};

use shapefile::record::traits::HasXY;
use shapefile::{Shape, ShapeReader, ShapeType};

use crate::ProfileError;
use crate::geometry::{BboxAccumulator, GeometryStats};

/// What the `.shp` holds.
pub(crate) struct ShapeFacts {
    /// GeoJSON name of the layer's shape type; `None` for a NullShape layer.
    pub type_name: Option<&'static str>,
    pub stats: GeometryStats,
    /// Shape records, null shapes included.
    pub records: u64,
}

/// GeoJSON name of a Shapefile shape type.
pub(crate) fn geojson_name(t: ShapeType) -> Option<&'static str> {
    match t {
        ShapeType::NullShape => None,
        ShapeType::Point | ShapeType::PointM | ShapeType::PointZ => Some("Point"),
        ShapeType::Polyline | ShapeType::PolylineM | ShapeType::PolylineZ => Some("LineString"),
        ShapeType::Polygon | ShapeType::PolygonM | ShapeType::PolygonZ => Some("Polygon"),
        ShapeType::Multipoint | ShapeType::MultipointM | ShapeType::MultipointZ => {
            Some("MultiPoint")
        }
        ShapeType::Multipatch => Some("MultiPatch"),
    }
}

/// Reads every shape of a `.shp`; the shapes of records marked deleted
/// in the `.dbf` (`deleted(n)` for the 1-based record `n`) are not
/// counted, as readers such as GDAL skip them with their record.
pub(crate) fn read<R: Read + Seek>(
    source: R,
    layer: &str,
    deleted: impl Fn(u64) -> bool,
) -> Result<ShapeFacts, ProfileError> {
    let mut reader = ShapeReader::new(source).map_err(|e| {
        ProfileError::malformed("shapefile", format!("{layer}.shp: invalid header: {e}"))
    })?;
    let type_name = geojson_name(reader.header().shape_type);
    let mut stats = GeometryStats::new();
    let mut records = 0u64;
    for shape in reader.iter_shapes() {
        let shape = shape.map_err(|e| {
            ProfileError::malformed(
                "shapefile",
                format!("{layer}.shp: shape {} unreadable: {e}", records + 1),
            )
        })?;
        records += 1;
        if deleted(records) {
            continue;
        }
        let mut bbox = BboxAccumulator::new();
        if !add_points(&shape, &mut bbox) {
            continue;
        }
        if let Some(name) = type_name {
            stats.add(name, &bbox);
        }
    }
    Ok(ShapeFacts {
        type_name,
        stats,
        records,
    })
}

fn points<P: HasXY>(points: &[P], bbox: &mut BboxAccumulator) {
    for p in points {
        bbox.add(p.x(), p.y());
    }
}

/// Adds a shape's points to `bbox`; false for a null shape.
fn add_points(shape: &Shape, bbox: &mut BboxAccumulator) -> bool {
    match shape {
        Shape::NullShape => return false,
        Shape::Point(p) => bbox.add(p.x, p.y),
        Shape::PointM(p) => bbox.add(p.x, p.y),
        Shape::PointZ(p) => bbox.add(p.x, p.y),
        Shape::Polyline(s) => s.parts().iter().for_each(|part| points(part, bbox)),
        Shape::PolylineM(s) => s.parts().iter().for_each(|part| points(part, bbox)),
        Shape::PolylineZ(s) => s.parts().iter().for_each(|part| points(part, bbox)),
        Shape::Polygon(s) => s.rings().iter().for_each(|r| points(r.points(), bbox)),
        Shape::PolygonM(s) => s.rings().iter().for_each(|r| points(r.points(), bbox)),
        Shape::PolygonZ(s) => s.rings().iter().for_each(|r| points(r.points(), bbox)),
        Shape::Multipoint(s) => points(s.points(), bbox),
        Shape::MultipointM(s) => points(s.points(), bbox),
        Shape::MultipointZ(s) => points(s.points(), bbox),
        Shape::Multipatch(s) => s.patches().iter().for_each(|p| points(p.points(), bbox)),
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_types_get_geojson_names() {
        assert_eq!(geojson_name(ShapeType::PolygonZ), Some("Polygon"));
        assert_eq!(geojson_name(ShapeType::Polyline), Some("LineString"));
        assert_eq!(geojson_name(ShapeType::PointM), Some("Point"));
        assert_eq!(geojson_name(ShapeType::MultipointZ), Some("MultiPoint"));
        assert_eq!(geojson_name(ShapeType::NullShape), None);
    }

    #[test]
    fn a_bad_header_is_a_clear_error() {
        let err = read(std::io::Cursor::new(vec![0u8; 100]), "x", |_| false)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("shapefile: x.shp: invalid header"), "{err}");
        let err = read(std::io::Cursor::new(vec![0u8; 10]), "x", |_| false)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("shapefile: x.shp: invalid header"), "{err}");
    }
}
