//! Naming coordinate reference systems the way the catalog wants them:
//! `EPSG:n` when the CRS is recognisable, else the name the source gives.
//!
//! Three sources of CRS facts reach this module:
//! - GeoJSON's legacy `crs` member (`{"type":"name","properties":{"name":
//!   "urn:ogc:def:crs:EPSG::2154"}}`), read by [`from_geojson_member`];
//! - a Shapefile's `.prj` WKT, read by [`from_wkt`];
//! - for GeoJSON without a `crs` member, the coordinates themselves, read by
//!   [`infer_from_bbox`].
//!
//! The `.prj` table covers what French and European open data actually
//! ships: WGS 84, RGF93 (geographic, Lambert-93, CC42..CC50), ETRS89
//! (geographic, LAEA Europe), NTF Lambert II étendu, Web Mercator and UTM
//! on WGS 84. An `AUTHORITY`/`ID` on the root element always wins; then
//! well-known names; then projection parameters, because ESRI tools often
//! write a generic name (`Lambert_Azimuthal_Equal_Area`, datum
//! `D_unknown`) over exactly the parameters of an EPSG definition.

mod wkt;

use serde_json::Value;

pub use wkt::MAX_WKT_BYTES;

/// WGS 84 longitude/latitude, the GeoJSON default (RFC 7946).
pub const WGS84: &str = "EPSG:4326";

/// Names a CRS written as an OGC URN, an opengis.net URL, `EPSG:n` or a
/// common alias. Unrecognised names come back trimmed, as written.
pub fn from_name(name: &str) -> String {
    let trimmed = name.trim();
    let lower = trimmed.to_ascii_lowercase();
    let last = lower
        .rsplit([':', '/'])
        .next()
        .unwrap_or(lower.as_str())
        .to_owned();
    match last.as_str() {
        "crs84" | "crs84h" => return WGS84.to_owned(),
        "crs83" => return "EPSG:4269".to_owned(),
        "crs27" => return "EPSG:4267".to_owned(),
        _ => {}
    }
    if lower.contains("epsg")
        && !last.is_empty()
        && last.bytes().all(|b| b.is_ascii_digit())
        && let Ok(code) = last.parse::<u32>()
    {
        return format!("EPSG:{code}");
    }
    if matches!(lower.as_str(), "wgs84" | "wgs 84" | "wgs_84" | "wgs_1984") {
        return WGS84.to_owned();
    }
    trimmed.to_owned()
}

/// Reads GeoJSON's legacy (2008) `crs` member. `None` when the member is
/// null or says nothing usable.
pub fn from_geojson_member(member: &Value) -> Option<String> {
    let kind = member.get("type").and_then(Value::as_str).unwrap_or("");
    let props = member.get("properties")?;
    if kind.eq_ignore_ascii_case("name") {
        return props
            .get("name")
            .and_then(Value::as_str)
            .map(from_name)
            .filter(|s| !s.is_empty());
    }
    if kind.eq_ignore_ascii_case("epsg") {
        return match props.get("code") {
            Some(Value::Number(n)) => n.as_u64().map(|c| format!("EPSG:{c}")),
            Some(Value::String(s)) => Some(from_name(&format!("EPSG:{s}"))),
            _ => None,
        };
    }
    if kind.eq_ignore_ascii_case("link") {
        return props
            .get("href")
            .and_then(Value::as_str)
            .map(from_name)
            .filter(|s| !s.is_empty());
    }
    None
}

/// What GeoJSON coordinates say about their CRS when the file names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BboxCrs {
    /// Within longitude/latitude range: WGS 84 per RFC 7946.
    Wgs84,
    /// Projected metres inside Lambert-93's extent (metropolitan France).
    Lambert93,
    /// Projected, but not recognisably anything.
    Unknown,
}

/// Lambert-93 (EPSG:2154) extent used to recognise French projected
/// coordinates: x 0..1.3e6, y 6.0e6..7.2e6.
const LAMBERT93_EXTENT: [f64; 4] = [0.0, 6_000_000.0, 1_300_000.0, 7_200_000.0];

pub fn infer_from_bbox(bbox: [f64; 4]) -> BboxCrs {
    let [x0, y0, x1, y1] = bbox;
    if x0 >= -180.0 && x1 <= 180.0 && y0 >= -90.0 && y1 <= 90.0 {
        return BboxCrs::Wgs84;
    }
    let [ex0, ey0, ex1, ey1] = LAMBERT93_EXTENT;
    if x0 >= ex0 && x1 <= ex1 && y0 >= ey0 && y1 <= ey1 {
        BboxCrs::Lambert93
    } else {
        BboxCrs::Unknown
    }
}

/// Names the CRS of a `.prj` WKT: `EPSG:n` when recognised, else the name
/// of the root element; `None` when the text is not WKT.
pub fn from_wkt(text: &str) -> Option<String> {
    let root = wkt::parse(text.trim_start_matches('\u{feff}'))?;
    if let Some(code) = authority_code(&root) {
        return Some(format!("EPSG:{code}"));
    }
    let epsg = if is_projected(&root) {
        projected_by_name(&root).or_else(|| projected_by_parameters(&root))
    } else {
        geographic(&root)
    };
    if let Some(code) = epsg {
        return Some(format!("EPSG:{code}"));
    }
    root.name()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
}

/// The EPSG code the root element declares for itself (an authority on an
/// inner element, such as the base GEOGCS of a PROJCS, says nothing about
/// the projected CRS).
fn authority_code(root: &wkt::Node) -> Option<u32> {
    let id = root.child_any(&["AUTHORITY", "ID"])?;
    if !id.name()?.eq_ignore_ascii_case("epsg") {
        return None;
    }
    id.code()?.parse().ok()
}

fn is_projected(root: &wkt::Node) -> bool {
    ["PROJCS", "PROJCRS", "PROJECTEDCRS"]
        .iter()
        .any(|k| root.keyword.eq_ignore_ascii_case(k))
}

/// Lower-case, every run of non-alphanumerics turned into one `_`, so that
/// `RGF93 / Lambert-93` and `RGF93_Lambert_93` compare equal.
fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

/// Geographic CRSs, by datum (or CRS) name.
fn geographic(root: &wkt::Node) -> Option<u32> {
    let name = normalize(root.name().unwrap_or(""));
    let datum = root
        .child_any(&["DATUM", "GEODETICDATUM", "TRF"])
        .and_then(wkt::Node::name)
        .map(normalize)
        .unwrap_or_default();
    let says = |needles: &[&str]| {
        needles
            .iter()
            .any(|n| name.contains(n) || datum.contains(n))
    };
    if says(&["wgs_1984", "wgs_84", "wgs84", "world_geodetic_system_1984"]) {
        Some(4326)
    } else if says(&["rgf_1993", "rgf93", "reseau_geodesique_francais_1993"]) {
        Some(4171)
    } else if says(&[
        "etrs_1989",
        "etrs89",
        "european_terrestrial_reference_system_1989",
    ]) {
        Some(4258)
    } else {
        None
    }
}

/// Projected CRSs whose names are unambiguous.
fn projected_by_name(root: &wkt::Node) -> Option<u32> {
    let name = normalize(root.name()?);
    let fixed: &[(&[&str], u32)] = &[
        (
            &["rgf93_lambert_93", "rgf_1993_lambert_93", "rgf93_lambert93"],
            2154,
        ),
        (
            &[
                "wgs_84_pseudo_mercator",
                "wgs_1984_web_mercator_auxiliary_sphere",
                "wgs_1984_web_mercator",
                "popular_visualisation_crs_mercator",
                "google_maps_global_mercator",
            ],
            3857,
        ),
        (
            &[
                "etrs89_laea_europe",
                "etrs89_extended_laea_europe",
                "etrs_1989_laea",
                "etrs_1989_etrs_laea",
            ],
            3035,
        ),
        (
            &[
                "ntf_paris_lambert_ii_etendu",
                "ntf_paris_lambert_zone_ii",
                "ntf_paris_lambert_ii_extended",
            ],
            27572,
        ),
        (
            &[
                "osgb_1936_british_national_grid",
                "osgb36_british_national_grid",
                "british_national_grid",
            ],
            27700,
        ),
        (&["ntf_paris_lambert_zone_i", "ntf_paris_lambert_i"], 27571),
        (
            &["ntf_paris_lambert_zone_iii", "ntf_paris_lambert_iii"],
            27573,
        ),
        (
            &["ntf_paris_lambert_zone_iv", "ntf_paris_lambert_iv"],
            27574,
        ),
        (&["ntf_paris_lambert_nord_france"], 27561),
        (&["ntf_paris_lambert_centre_france"], 27562),
        (&["ntf_paris_lambert_sud_france"], 27563),
        (&["ntf_paris_lambert_corse"], 27564),
        // Overseas France, in the EPSG and the ESRI spellings.
        (&["rgfg95_utm_zone_22n", "rgfg_1995_utm_zone_22n"], 2972),
        (
            &[
                "rgr92_utm_zone_40s",
                "rgr_1992_utm_40s",
                "rgr_1992_utm_zone_40s",
            ],
            2975,
        ),
        (&["rgm04_utm_zone_38s", "rgm_2004_utm_zone_38s"], 4471),
        (&["rgaf09_utm_zone_20n"], 5490),
        (&["rraf_1991_utm_zone_20n", "rraf_1991_utm_20n"], 4559),
        (&["rgspm06_utm_zone_21n", "rgspm_2006_utm_zone_21n"], 4467),
    ];
    for (names, code) in fixed {
        if names.contains(&name.as_str()) {
            return Some(*code);
        }
    }
    for prefix in ["rgf93_cc", "rgf_1993_cc"] {
        if let Some(zone) = name
            .strip_prefix(prefix)
            .and_then(|z| z.parse::<u32>().ok())
            && (42..=50).contains(&zone)
        {
            return Some(3900 + zone);
        }
    }
    // UTM zones by datum: the code is a datum base plus the zone number
    // (southern zones have their own base where EPSG defines them).
    let utm_bases: &[(&[&str], u32, Option<u32>)] = &[
        (
            &["wgs_1984_utm_zone_", "wgs_84_utm_zone_"],
            32600,
            Some(32700),
        ),
        (&["etrs_1989_utm_zone_", "etrs89_utm_zone_"], 25800, None),
        (&["ed_1950_utm_zone_", "ed50_utm_zone_"], 23000, None),
        (&["nad_1983_utm_zone_", "nad83_utm_zone_"], 26900, None),
    ];
    for (prefixes, north, south) in utm_bases {
        for prefix in *prefixes {
            if let Some(zone) = name.strip_prefix(prefix) {
                return utm_from_zone_name(zone, *north, *south);
            }
        }
    }
    None
}

/// `31n` -> north base + 31, `20s` -> south base + 20 (WGS 84: 32631,
/// 32720); a bare `31` is a northern zone.
fn utm_from_zone_name(zone: &str, north: u32, south: Option<u32>) -> Option<u32> {
    let (digits, hemisphere) = match zone.strip_suffix(['n', 's']) {
        Some(digits) => (digits, &zone[digits.len()..]),
        None => (zone, "n"),
    };
    let n: u32 = digits.parse().ok()?;
    if !(1..=60).contains(&n) {
        return None;
    }
    match hemisphere {
        "n" => Some(north + n),
        _ => south.map(|base| base + n),
    }
}

/// Projection parameters, by their WKT1 (ESRI and OGC) and WKT2 names.
#[derive(Debug, Default)]
struct Parameters {
    lat0: Option<f64>,
    lon0: Option<f64>,
    sp1: Option<f64>,
    sp2: Option<f64>,
    false_easting: Option<f64>,
    false_northing: Option<f64>,
    scale: Option<f64>,
}

impl Parameters {
    fn read(root: &wkt::Node) -> Parameters {
        let mut p = Parameters::default();
        // WKT2 nests the parameters in CONVERSION; WKT1 puts them on the root.
        let holder = root.child("CONVERSION").unwrap_or(root);
        for param in holder.children("PARAMETER") {
            let (Some(name), Some(value)) = (param.name(), param.number(0)) else {
                continue;
            };
            let slot = match normalize(name).as_str() {
                "latitude_of_origin"
                | "latitude_of_center"
                | "latitude_of_false_origin"
                | "latitude_of_natural_origin"
                | "latitude_of_projection_centre" => &mut p.lat0,
                "central_meridian"
                | "longitude_of_center"
                | "longitude_of_origin"
                | "longitude_of_false_origin"
                | "longitude_of_natural_origin"
                | "longitude_of_projection_centre" => &mut p.lon0,
                "standard_parallel_1" | "latitude_of_1st_standard_parallel" => &mut p.sp1,
                "standard_parallel_2" | "latitude_of_2nd_standard_parallel" => &mut p.sp2,
                "false_easting" | "easting_at_false_origin" => &mut p.false_easting,
                "false_northing" | "northing_at_false_origin" => &mut p.false_northing,
                "scale_factor" | "scale_factor_at_natural_origin" => &mut p.scale,
                _ => continue,
            };
            *slot = Some(value);
        }
        p
    }
}

fn near(value: Option<f64>, expected: f64, tolerance: f64) -> bool {
    value.is_some_and(|v| (v - expected).abs() <= tolerance)
}

/// Projected CRSs recognised from their projection method and parameters.
fn projected_by_parameters(root: &wkt::Node) -> Option<u32> {
    let method = root
        .child("PROJECTION")
        .or_else(|| root.child("CONVERSION").and_then(|c| c.child("METHOD")))
        .and_then(wkt::Node::name)
        .map(normalize)
        .unwrap_or_default();
    let p = Parameters::read(root);
    const DEG: f64 = 1e-6;
    const M: f64 = 1e-3;
    let parallels = |a: f64, b: f64| {
        (near(p.sp1, a, DEG) && near(p.sp2, b, DEG)) || (near(p.sp1, b, DEG) && near(p.sp2, a, DEG))
    };
    if method.contains("lambert_conformal_conic") || method.contains("lambert_conic_conformal") {
        if parallels(44.0, 49.0)
            && near(p.lat0, 46.5, DEG)
            && near(p.lon0, 3.0, DEG)
            && near(p.false_easting, 700_000.0, M)
            && near(p.false_northing, 6_600_000.0, M)
        {
            return Some(2154);
        }
        for zone in 42..=50u32 {
            let lat = f64::from(zone);
            if near(p.lat0, lat, DEG)
                && parallels(lat - 0.75, lat + 0.75)
                && near(p.lon0, 3.0, DEG)
                && near(p.false_easting, 1_700_000.0, M)
                && near(
                    p.false_northing,
                    1_200_000.0 + f64::from(zone - 42) * 1e6,
                    M,
                )
            {
                return Some(3900 + zone);
            }
        }
        if near(p.false_easting, 600_000.0, M) && near(p.false_northing, 2_200_000.0, M) {
            return Some(27572);
        }
        return None;
    }
    if method.contains("lambert_azimuthal_equal_area") {
        let on_grs80 = spheroid(root).is_some_and(|(a, rf)| {
            (a - 6_378_137.0).abs() < M && (rf - 298.257_222_101).abs() < 1e-6
        });
        if on_grs80
            && near(p.lat0, 52.0, DEG)
            && near(p.lon0, 10.0, DEG)
            && near(p.false_easting, 4_321_000.0, M)
            && near(p.false_northing, 3_210_000.0, M)
        {
            return Some(3035);
        }
        return None;
    }
    if method.contains("mercator_auxiliary_sphere") || method.contains("pseudo_mercator") {
        return Some(3857);
    }
    if method.contains("transverse_mercator")
        && near(p.lat0, 49.0, DEG)
        && near(p.lon0, -2.0, DEG)
        && near(p.scale, 0.999_601_271_7, 1e-9)
        && near(p.false_easting, 400_000.0, M)
        && near(p.false_northing, -100_000.0, M)
    {
        return Some(27700);
    }
    if method.contains("transverse_mercator") {
        let base_is_wgs84 = root
            .child_any(&["GEOGCS", "BASEGEOGCRS", "BASEGEODCRS"])
            .and_then(geographic)
            == Some(4326);
        if base_is_wgs84 && near(p.scale, 0.9996, 1e-9) && near(p.false_easting, 500_000.0, M) {
            let zone = (p.lon0? + 183.0) / 6.0;
            if zone.fract().abs() > 1e-9 || !(1.0..=60.0).contains(&zone) {
                return None;
            }
            let zone = zone as u32;
            if near(p.false_northing, 0.0, M) {
                return Some(32600 + zone);
            }
            if near(p.false_northing, 10_000_000.0, M) {
                return Some(32700 + zone);
            }
        }
    }
    None
}

/// Semi-major axis and inverse flattening of the (base) datum's spheroid.
fn spheroid(root: &wkt::Node) -> Option<(f64, f64)> {
    let base = root
        .child_any(&["GEOGCS", "BASEGEOGCRS", "BASEGEODCRS"])
        .unwrap_or(root);
    let datum = base.child_any(&["DATUM", "GEODETICDATUM"])?;
    let s = datum.child_any(&["SPHEROID", "ELLIPSOID"])?;
    Some((s.number(0)?, s.number(1)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const WGS84_ESRI: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["Degree",0.017453292519943295]]"#;
    const LAEA_PARIS_LAND_USE: &str = r#"PROJCS["Lambert_Azimuthal_Equal_Area",GEOGCS["GCS_GRS 1980(IUGG, 1980)",DATUM["D_unknown",SPHEROID["GRS80",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["Degree",0.017453292519943295]],PROJECTION["Lambert_Azimuthal_Equal_Area"],PARAMETER["latitude_of_origin",52],PARAMETER["central_meridian",10],PARAMETER["false_easting",4321000],PARAMETER["false_northing",3210000],UNIT["Meter",1]]"#;
    const LAMBERT93_ESRI: &str = r#"PROJCS["RGF_1993_Lambert_93",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",700000.0],PARAMETER["False_Northing",6600000.0],PARAMETER["Central_Meridian",3.0],PARAMETER["Standard_Parallel_1",44.0],PARAMETER["Standard_Parallel_2",49.0],PARAMETER["Latitude_Of_Origin",46.5],UNIT["Meter",1.0]]"#;

    fn lcc(name: &str, lat0: f64, sp1: f64, sp2: f64, fe: f64, fn_: f64) -> String {
        format!(
            r#"PROJCS["{name}",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",{fe}],PARAMETER["False_Northing",{fn_}],PARAMETER["Central_Meridian",3.0],PARAMETER["Standard_Parallel_1",{sp1}],PARAMETER["Standard_Parallel_2",{sp2}],PARAMETER["Latitude_Of_Origin",{lat0}],UNIT["Meter",1.0]]"#
        )
    }

    #[test]
    fn names_and_urns() {
        assert_eq!(from_name("urn:ogc:def:crs:OGC:1.3:CRS84"), "EPSG:4326");
        assert_eq!(from_name("urn:ogc:def:crs:OGC::CRS84"), "EPSG:4326");
        assert_eq!(from_name("urn:ogc:def:crs:EPSG::2154"), "EPSG:2154");
        assert_eq!(from_name("urn:ogc:def:crs:EPSG:6.6:4326"), "EPSG:4326");
        assert_eq!(from_name("EPSG:2154"), "EPSG:2154");
        assert_eq!(from_name(" epsg:3857 "), "EPSG:3857");
        assert_eq!(
            from_name("http://www.opengis.net/def/crs/EPSG/0/3035"),
            "EPSG:3035"
        );
        assert_eq!(from_name("WGS84"), "EPSG:4326");
        assert_eq!(from_name("Lambert zone II"), "Lambert zone II");
    }

    #[test]
    fn geojson_crs_member() {
        let named = |n: &str| json!({"type": "name", "properties": {"name": n}});
        assert_eq!(
            from_geojson_member(&named("urn:ogc:def:crs:OGC:1.3:CRS84")).as_deref(),
            Some("EPSG:4326")
        );
        assert_eq!(
            from_geojson_member(&named("urn:ogc:def:crs:EPSG::2154")).as_deref(),
            Some("EPSG:2154")
        );
        assert_eq!(
            from_geojson_member(&json!({"type": "EPSG", "properties": {"code": 27572}})).as_deref(),
            Some("EPSG:27572")
        );
        assert_eq!(from_geojson_member(&Value::Null), None);
        assert_eq!(from_geojson_member(&json!({"type": "name"})), None);
    }

    #[test]
    fn bbox_inference() {
        assert_eq!(infer_from_bbox([-4.42, 41.9, 9.4, 51.0]), BboxCrs::Wgs84);
        assert_eq!(
            infer_from_bbox([643_000.0, 6_857_000.0, 672_000.0, 6_867_000.0]),
            BboxCrs::Lambert93
        );
        assert_eq!(
            infer_from_bbox([3_751_378.9, 2_886_000.0, 3_762_500.0, 2_894_000.0]),
            BboxCrs::Unknown
        );
    }

    #[test]
    fn prj_geographic() {
        assert_eq!(from_wkt(WGS84_ESRI).as_deref(), Some("EPSG:4326"));
        let ogc = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]"#;
        assert_eq!(from_wkt(ogc).as_deref(), Some("EPSG:4326"));
        let rgf93 = r#"GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(from_wkt(rgf93).as_deref(), Some("EPSG:4171"));
        let etrs = r#"GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(from_wkt(etrs).as_deref(), Some("EPSG:4258"));
    }

    #[test]
    fn prj_lambert93_by_name_and_by_parameters() {
        assert_eq!(from_wkt(LAMBERT93_ESRI).as_deref(), Some("EPSG:2154"));
        let generic = lcc("Custom_LCC", 46.5, 49.0, 44.0, 700000.0, 6600000.0);
        assert_eq!(from_wkt(&generic).as_deref(), Some("EPSG:2154"));
        let shifted = lcc("Custom_LCC", 46.5, 44.0, 49.0, 700000.0, 6000000.0);
        assert_eq!(from_wkt(&shifted).as_deref(), Some("Custom_LCC"));
    }

    #[test]
    fn prj_conic_conformal_zones() {
        let cc42 = lcc("RGF93_CC42", 42.0, 41.25, 42.75, 1700000.0, 1200000.0);
        assert_eq!(from_wkt(&cc42).as_deref(), Some("EPSG:3942"));
        let cc49 = lcc("Some_CC", 49.0, 48.25, 49.75, 1700000.0, 8200000.0);
        assert_eq!(from_wkt(&cc49).as_deref(), Some("EPSG:3949"));
        let cc50 = lcc("x", 50.0, 49.25, 50.75, 1700000.0, 9200000.0);
        assert_eq!(from_wkt(&cc50).as_deref(), Some("EPSG:3950"));
    }

    #[test]
    fn prj_laea_europe_even_with_generic_names() {
        assert_eq!(from_wkt(LAEA_PARIS_LAND_USE).as_deref(), Some("EPSG:3035"));
        let on_sphere = LAEA_PARIS_LAND_USE.replace("298.257222101", "0");
        assert_eq!(
            from_wkt(&on_sphere).as_deref(),
            Some("Lambert_Azimuthal_Equal_Area")
        );
    }

    #[test]
    fn prj_esri_names_of_french_projections() {
        for (name, code) in [
            ("RGR_1992_UTM_40S", "EPSG:2975"),
            ("RGFG_1995_UTM_Zone_22N", "EPSG:2972"),
            ("RGM_2004_UTM_Zone_38S", "EPSG:4471"),
            ("NTF_Paris_Lambert_Zone_I", "EPSG:27571"),
            ("NTF_Paris_Lambert_Zone_III", "EPSG:27573"),
            ("NTF_Paris_Lambert_Centre_France", "EPSG:27562"),
            ("RGSPM_2006_UTM_Zone_21N", "EPSG:4467"),
        ] {
            let prj = format!(
                r#"PROJCS["{name}",GEOGCS["GCS_X",DATUM["D_X",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],UNIT["Meter",1.0]]"#
            );
            assert_eq!(from_wkt(&prj).as_deref(), Some(code), "{name}");
        }
        // A byte-order mark before the text.
        let l93 = "\u{feff}PROJCS[\"RGF_1993_Lambert_93\",GEOGCS[\"GCS_RGF_1993\"]]";
        assert_eq!(from_wkt(l93).as_deref(), Some("EPSG:2154"));
    }

    #[test]
    fn prj_other_projections() {
        let lambert2 = r#"PROJCS["NTF_Paris_Lambert_II_etendu",GEOGCS["GCS_NTF_Paris",DATUM["D_NTF",SPHEROID["Clarke_1880_IGN",6378249.2,293.46602]],PRIMEM["Paris",2.337229166666667],UNIT["Grad",0.01570796326794897]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",600000.0],PARAMETER["False_Northing",2200000.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",52.0],PARAMETER["Scale_Factor",0.99987742],PARAMETER["Latitude_Of_Origin",52.0],UNIT["Meter",1.0]]"#;
        assert_eq!(from_wkt(lambert2).as_deref(), Some("EPSG:27572"));
        let renamed = lambert2.replace("NTF_Paris_Lambert_II_etendu", "Lambert II");
        assert_eq!(from_wkt(&renamed).as_deref(), Some("EPSG:27572"));
        let web = r#"PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(from_wkt(web).as_deref(), Some("EPSG:3857"));
        let utm = |name: &str, lon0: f64, fn_: f64| {
            format!(
                r#"PROJCS["{name}",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",{fn_}],PARAMETER["Central_Meridian",{lon0}],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#
            )
        };
        assert_eq!(
            from_wkt(&utm("WGS_1984_UTM_Zone_31N", 3.0, 0.0)).as_deref(),
            Some("EPSG:32631")
        );
        assert_eq!(
            from_wkt(&utm("tm", 3.0, 0.0)).as_deref(),
            Some("EPSG:32631")
        );
        assert_eq!(
            from_wkt(&utm("tm", -63.0, 10000000.0)).as_deref(),
            Some("EPSG:32720")
        );
    }

    #[test]
    fn root_authority_wins_and_inner_authority_does_not() {
        let with_id = r#"PROJCS["My name",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563],AUTHORITY["EPSG","6326"]],AUTHORITY["EPSG","4326"]],PROJECTION["Transverse_Mercator"],AUTHORITY["EPSG","2056"]]"#;
        assert_eq!(from_wkt(with_id).as_deref(), Some("EPSG:2056"));
        let bng = r#"PROJCS["OSGB_1936_British_National_Grid",GEOGCS["GCS_OSGB 1936",DATUM["D_OSGB_1936",SPHEROID["Airy_1830",6377563.396,299.3249646]],PRIMEM["Greenwich",0],UNIT["Degree",0.017453292519943295]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",49],PARAMETER["central_meridian",-2],PARAMETER["scale_factor",0.9996012717],PARAMETER["false_easting",400000],PARAMETER["false_northing",-100000],UNIT["Meter",1]]"#;
        assert_eq!(from_wkt(bng).as_deref(), Some("EPSG:27700"));
        let bng_renamed = bng.replace("OSGB_1936_British_National_Grid", "Local grid");
        assert_eq!(from_wkt(&bng_renamed).as_deref(), Some("EPSG:27700"));
        let etrs_utm = r#"PROJCS["ETRS_1989_UTM_Zone_31N",GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",SPHEROID["GRS_1980",6378137.0,298.257222101]]],PROJECTION["Transverse_Mercator"]]"#;
        assert_eq!(from_wkt(etrs_utm).as_deref(), Some("EPSG:25831"));
        let rgfg = r#"PROJCS["RGFG95_UTM_Zone_22N",GEOGCS["GCS_RGFG95",DATUM["D_RGFG95",SPHEROID["GRS_1980",6378137.0,298.257222101]]],PROJECTION["Transverse_Mercator"]]"#;
        assert_eq!(from_wkt(rgfg).as_deref(), Some("EPSG:2972"));
        let inner_only = r#"PROJCS["Odd local grid",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],AUTHORITY["EPSG","4326"]],PROJECTION["Oblique_Stereographic"]]"#;
        assert_eq!(from_wkt(inner_only).as_deref(), Some("Odd local grid"));
        let wkt2 = r#"PROJCRS["RGF93 v1 / Lambert-93",BASEGEOGCRS["RGF93 v1",DATUM["Reseau Geodesique Francais 1993 v1",ELLIPSOID["GRS 1980",6378137,298.257222101]]],CONVERSION["Lambert-93",METHOD["Lambert Conic Conformal (2SP)"]],ID["EPSG",2154]]"#;
        assert_eq!(from_wkt(wkt2).as_deref(), Some("EPSG:2154"));
        assert_eq!(from_wkt("not wkt"), None);
    }
}
