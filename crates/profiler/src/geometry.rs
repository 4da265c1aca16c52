//! What the geometries of a spatial source add up to: how many of each
//! type, and the box around every coordinate.
//!
//! GeoJSON and Shapefile readers both feed a [`GeometryStats`]; it knows
//! nothing about either format, only types and coordinates, so the two
//! report the same facts the same way.

use std::collections::BTreeMap;

use dataprof_model::GeometryProfile;

/// `[min x, min y, max x, max y]`, grown one coordinate at a time.
///
/// Coordinates are kept at full `f64` precision: catalogs compare boxes
/// across exports of one dataset, and rounding would make equal data differ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BboxAccumulator {
    bbox: Option<[f64; 4]>,
}

impl Default for BboxAccumulator {
    fn default() -> Self {
        Self::new()
    }
}

impl BboxAccumulator {
    pub fn new() -> Self {
        BboxAccumulator { bbox: None }
    }

    /// Adds one coordinate. Non-finite values are the caller's to reject:
    /// they would poison the box, so they are ignored here.
    pub fn add(&mut self, x: f64, y: f64) {
        if !x.is_finite() || !y.is_finite() {
            return;
        }
        self.bbox = Some(match self.bbox {
            None => [x, y, x, y],
            Some([x0, y0, x1, y1]) => [x0.min(x), y0.min(y), x1.max(x), y1.max(y)],
        });
    }

    /// Grows this box to cover another one.
    pub fn merge(&mut self, other: &BboxAccumulator) {
        if let Some([x0, y0, x1, y1]) = other.bbox {
            self.add(x0, y0);
            self.add(x1, y1);
        }
    }

    pub fn get(&self) -> Option<[f64; 4]> {
        self.bbox
    }
}

/// Geometry type counts, the number of features with a geometry, and the
/// bounding box, for one layer.
#[derive(Debug, Clone, Default)]
pub struct GeometryStats {
    types: BTreeMap<String, u64>,
    count: u64,
    bbox: BboxAccumulator,
}

impl GeometryStats {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one feature's geometry: its type and the box around its
    /// coordinates (already checked by the caller).
    pub fn add(&mut self, geometry_type: &str, bbox: &BboxAccumulator) {
        match self.types.get_mut(geometry_type) {
            Some(n) => *n += 1,
            None => {
                self.types.insert(geometry_type.to_owned(), 1);
            }
        }
        self.count += 1;
        self.bbox.merge(bbox);
    }

    /// Folds in the statistics of another part of the same layer.
    pub fn merge(&mut self, other: &GeometryStats) {
        for (name, n) in &other.types {
            *self.types.entry(name.clone()).or_insert(0) += n;
        }
        self.count += other.count;
        self.bbox.merge(&other.bbox);
    }

    /// Features that carried a geometry.
    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn bbox(&self) -> Option<[f64; 4]> {
        self.bbox.get()
    }

    /// The most frequent type; ties go to the name that sorts first, so the
    /// answer does not depend on feature order.
    pub fn dominant_type(&self) -> Option<&str> {
        let mut best: Option<(&str, u64)> = None;
        // BTreeMap iterates names in order: a later name wins only with
        // strictly more features.
        for (name, &n) in &self.types {
            if best.is_none_or(|(_, m)| n > m) {
                best = Some((name, n));
            }
        }
        best.map(|(name, _)| name)
    }

    /// The profile, with the CRS decided by the format reader.
    pub fn finish(self, crs: Option<String>) -> GeometryProfile {
        GeometryProfile {
            geometry_type: self.dominant_type().map(str::to_owned),
            types: self.types,
            count: self.count,
            crs,
            bbox: self.bbox.get(),
        }
    }

    /// A profile for a layer whose type is fixed up front (a Shapefile's
    /// shape type) rather than counted per feature: `types` holds that one
    /// type with the number of non-null shapes.
    pub fn finish_with_type(self, geometry_type: &str, crs: Option<String>) -> GeometryProfile {
        let mut types = BTreeMap::new();
        if self.count > 0 {
            types.insert(geometry_type.to_owned(), self.count);
        }
        GeometryProfile {
            geometry_type: Some(geometry_type.to_owned()),
            types,
            count: self.count,
            crs,
            bbox: self.bbox.get(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(x: f64, y: f64) -> BboxAccumulator {
        let mut b = BboxAccumulator::new();
        b.add(x, y);
        b
    }

    #[test]
    fn bbox_covers_every_coordinate_at_full_precision() {
        let mut b = BboxAccumulator::new();
        assert_eq!(b.get(), None);
        b.add(2.224_078_447_246_87, 48.9);
        b.add(-179.999_999_999_999_97, 83.645_130_000_000_01);
        b.add(f64::NAN, 1e300);
        assert_eq!(
            b.get(),
            Some([
                -179.999_999_999_999_97,
                48.9,
                2.224_078_447_246_87,
                83.645_130_000_000_01
            ])
        );
    }

    #[test]
    fn dominant_type_is_most_frequent_then_first_name() {
        let mut s = GeometryStats::new();
        for t in ["Polygon", "MultiPolygon", "Polygon"] {
            s.add(t, &point(1.0, 2.0));
        }
        assert_eq!(s.dominant_type(), Some("Polygon"));
        let mut tie = GeometryStats::new();
        for t in ["Point", "Polygon", "LineString"] {
            tie.add(t, &point(0.0, 0.0));
        }
        assert_eq!(tie.dominant_type(), Some("LineString"));
        let p = tie.finish(Some("EPSG:4326".into()));
        assert_eq!(p.count, 3);
        assert_eq!(p.types.get("Point"), Some(&1));
        assert_eq!(p.bbox, Some([0.0, 0.0, 0.0, 0.0]));
    }

    #[test]
    fn fixed_type_layer_reports_that_type() {
        let mut s = GeometryStats::new();
        s.add("Polygon", &point(3.0, 4.0));
        s.add("Polygon", &point(5.0, 1.0));
        let p = s.finish_with_type("Polygon", None);
        assert_eq!(p.geometry_type.as_deref(), Some("Polygon"));
        assert_eq!(p.types.get("Polygon"), Some(&2));
        assert_eq!(p.bbox, Some([3.0, 1.0, 5.0, 4.0]));
        let empty = GeometryStats::new().finish_with_type("Point", None);
        assert!(empty.types.is_empty());
        assert_eq!(empty.count, 0);
    }
}
