//! Geofence: WGS-84 ⇄ GCJ-02, fence validation, and accuracy-aware verdicts (pure core; also
//! runs as wasm).

use serde_json::json;
use wasm_bindgen_test::wasm_bindgen_test;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use zj_geofence::crs::{gcj02_to_wgs84, in_china_box, wgs84_to_gcj02};
use zj_geofence::{
    Check, CoordError, Fence, FenceError, FenceGeoJson, FenceLimits, Fix, FixError, GeoJsonError,
    LngLat, Outline, PreparedFence, RingRef, Verdict, DEFAULT_MAX_ACCURACY_M,
};

const HOLE_SITE: &str = include_str!("fixtures/fences/site_with_office_hole.geojson");
const L_SITE: &str = include_str!("fixtures/fences/l_shaped_site.geojson");
const TWO_PART_SITE: &str = include_str!("fixtures/fences/two_part_site.geojson");
const RING_1000: &str = include_str!("fixtures/fences/ring_1000_vertices.geojson");

/// Metres per degree of latitude near 30°N (WGS-84 meridian arc), for placing test points.
const M_PER_DEG_LAT: f64 = 110_852.0;

/// Metres per degree of longitude at `lat`, spherical approximation (independent of the crate's
/// ellipsoidal frame; the two agree to about 0.1 % near 30°N).
fn m_per_deg_lng(lat: f64) -> f64 {
    111_320.0 * lat.to_radians().cos()
}

fn outline(geojson: &str) -> Outline {
    let parsed: FenceGeoJson = serde_json::from_str(geojson).expect("fence GeoJSON parses");
    parsed.into_outline().expect("fence GeoJSON is a fence")
}

fn validate(geojson: &str) -> Result<Fence, FenceError> {
    Fence::new(outline(geojson).polygons, &FenceLimits::default())
}

fn prepare(geojson: &str) -> PreparedFence {
    let outline = outline(geojson);
    let cap = outline.max_accuracy_m.unwrap_or(DEFAULT_MAX_ACCURACY_M);
    let fence = Fence::new(outline.polygons, &FenceLimits::default()).expect("fence is valid");
    PreparedFence::new(&fence, cap)
}

fn check(fence: &PreparedFence, lng: f64, lat: f64, accuracy_m: f64) -> Check {
    let fix = Fix::new(lng, lat, accuracy_m).expect("fix is valid");
    fence.check(&fix).expect("fix is within the cap")
}

fn assert_close(actual: f64, expected: f64, relative: f64) {
    let error = (actual - expected).abs() / expected;
    assert!(
        error <= relative,
        "{actual} differs from {expected} by {:.3} %",
        error * 100.0
    );
}

fn lng_lat(lng: f64, lat: f64) -> LngLat {
    LngLat::new(lng, lat).expect("test position in range")
}

/// Distance in metres between two nearby positions (equirectangular; fine below 10 km).
fn metres_apart(a: LngLat, b: LngLat) -> f64 {
    let lat = (a.lat() + b.lat()) / 2.0;
    let dx = (a.lng() - b.lng()) * m_per_deg_lng(lat);
    let dy = (a.lat() - b.lat()) * M_PER_DEG_LAT;
    dx.hypot(dy)
}

// ---- CRS ----

/// (WGS-84 lng, lat, GCJ-02 lng, lat): eviltransform's test points (googollee/eviltransform,
/// go/transform_test.go and python/test.py: Shanghai, Shenzhen, Beijing) and coordtransform's
/// README example (wandergis/coordtransform, test/app.js: `wgs84togcj02(116.404, 39.915)`).
const PUBLISHED: [(f64, f64, f64, f64); 4] = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),
];

#[wasm_bindgen_test(unsupported = test)]
fn wgs84_to_gcj02_matches_published_points() {
    for (wgs_lng, wgs_lat, gcj_lng, gcj_lat) in PUBLISHED {
        let gcj = wgs84_to_gcj02(lng_lat(wgs_lng, wgs_lat));
        assert!((gcj.lng() - gcj_lng).abs() < 1e-9, "{gcj} vs {gcj_lng}");
        assert!((gcj.lat() - gcj_lat).abs() < 1e-9, "{gcj} vs {gcj_lat}");
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn gcj02_to_wgs84_recovers_published_points_within_a_centimetre() {
    for (wgs_lng, wgs_lat, gcj_lng, gcj_lat) in PUBLISHED {
        let wgs = gcj02_to_wgs84(lng_lat(gcj_lng, gcj_lat));
        let error_m = metres_apart(wgs, lng_lat(wgs_lng, wgs_lat));
        assert!(
            error_m < 0.01,
            "{wgs} is {error_m} m from the published point"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn round_trips_better_than_a_centimetre_across_china() {
    let mut points = 0;
    for i in 0..=40 {
        for j in 0..=32 {
            // 74°E..134°E and 4°N..53°N, off the grid lines.
            let p = lng_lat(74.0 + 1.5 * i as f64 + 0.123, 4.0 + 1.5 * j as f64 + 0.456);
            assert!(in_china_box(p));
            let gcj_again = wgs84_to_gcj02(gcj02_to_wgs84(p));
            assert!(metres_apart(gcj_again, p) < 0.01, "gcj→wgs→gcj at {p}");
            let wgs_again = gcj02_to_wgs84(wgs84_to_gcj02(p));
            assert!(metres_apart(wgs_again, p) < 0.01, "wgs→gcj→wgs at {p}");
            points += 1;
        }
    }
    assert_eq!(points, 41 * 33);
}

#[wasm_bindgen_test(unsupported = test)]
fn the_shift_near_hangzhou_is_a_few_hundred_metres() {
    let wgs = lng_lat(120.2100, 30.2060);
    let shift_m = metres_apart(wgs84_to_gcj02(wgs), wgs);
    assert!((100.0..1_000.0).contains(&shift_m), "{shift_m} m");
}

#[wasm_bindgen_test(unsupported = test)]
fn leaves_points_outside_china_unchanged() {
    for (lng, lat) in [
        (-0.1276, 51.5072),  // London
        (139.6917, 35.6895), // Tokyo
        (151.2093, -33.8688),
        (-74.006, 40.7128),
        (73.66, 30.0), // on the box's edges, which are excluded
        (135.05, 40.0),
        (100.0, 3.86),
        (100.0, 53.55),
        (180.0, 90.0),
        (-180.0, -90.0),
    ] {
        let p = lng_lat(lng, lat);
        assert!(!in_china_box(p), "{p}");
        assert_eq!(wgs84_to_gcj02(p), p);
        assert_eq!(gcj02_to_wgs84(p), p);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn refuses_positions_out_of_range() {
    assert!(matches!(LngLat::new(f64::NAN, 30.0), Err(CoordError::Longitude(x)) if x.is_nan()));
    assert_eq!(LngLat::new(180.5, 30.0), Err(CoordError::Longitude(180.5)));
    assert_eq!(
        LngLat::new(120.0, f64::NEG_INFINITY),
        Err(CoordError::Latitude(f64::NEG_INFINITY))
    );
    assert_eq!(
        LngLat::new(120.0, 91.0).unwrap_err().to_string(),
        "latitude 91 is not a number of degrees in -90..=90"
    );
}

// ---- Verdicts ----

/// The west edge of the hole site runs due north-south at this longitude, 30.2040..30.2102°N.
const HOLE_SITE_WEST: f64 = 120.2050;

#[wasm_bindgen_test(unsupported = test)]
fn inside_far_from_every_edge() {
    let fence = prepare(HOLE_SITE);
    let result = check(&fence, 120.2100, 30.2060, 20.0);
    assert_eq!(result.verdict, Verdict::Inside);
    // Nearest is the south edge at 30.2040°N, 0.0020° of latitude away.
    assert_close(result.distance_m, 0.0020 * M_PER_DEG_LAT, 0.005);
}

#[wasm_bindgen_test(unsupported = test)]
fn outside_far_from_every_edge() {
    let fence = prepare(HOLE_SITE);
    let result = check(&fence, HOLE_SITE_WEST - 0.0100, 30.2070, 30.0);
    assert_eq!(result.verdict, Verdict::Outside);
    assert_close(result.distance_m, 0.0100 * m_per_deg_lng(30.2070), 0.005);
}

#[wasm_bindgen_test(unsupported = test)]
fn uncertain_within_the_accuracy_of_a_shell_edge() {
    let fence = prepare(HOLE_SITE);
    let five_m_east = HOLE_SITE_WEST + 5.0 / m_per_deg_lng(30.2070);
    let result = check(&fence, five_m_east, 30.2070, 10.0);
    assert_eq!(result.verdict, Verdict::Uncertain);
    assert_close(result.distance_m, 5.0, 0.005);
    // The same spot with a 3 m fix is decidedly inside; 5 m west of the edge, outside.
    assert_eq!(
        check(&fence, five_m_east, 30.2070, 3.0).verdict,
        Verdict::Inside
    );
    let five_m_west = HOLE_SITE_WEST - 5.0 / m_per_deg_lng(30.2070);
    assert_eq!(
        check(&fence, five_m_west, 30.2070, 3.0).verdict,
        Verdict::Outside
    );
    assert_eq!(
        check(&fence, five_m_west, 30.2070, 10.0).verdict,
        Verdict::Uncertain
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_fix_exactly_on_the_boundary_is_uncertain() {
    let fence = prepare(HOLE_SITE);
    let result = check(&fence, HOLE_SITE_WEST, 30.2070, 1.0);
    assert_eq!(result.verdict, Verdict::Uncertain);
    assert!(result.distance_m < 1e-6, "{}", result.distance_m);
}

#[wasm_bindgen_test(unsupported = test)]
fn uncertain_within_the_accuracy_of_a_hole_edge() {
    let fence = prepare(HOLE_SITE);
    // The office hole spans 120.2060..120.2075°E, 30.2085..30.2095°N; 4 m west of its west edge.
    let lng = 120.2060 - 4.0 / m_per_deg_lng(30.2090);
    let result = check(&fence, lng, 30.2090, 10.0);
    assert_eq!(result.verdict, Verdict::Uncertain);
    assert_close(result.distance_m, 4.0, 0.005);
    assert_eq!(check(&fence, lng, 30.2090, 2.0).verdict, Verdict::Inside);
}

#[wasm_bindgen_test(unsupported = test)]
fn inside_a_hole_counts_as_outside() {
    let fence = prepare(HOLE_SITE);
    let result = check(&fence, 120.20675, 30.2090, 10.0);
    assert_eq!(result.verdict, Verdict::Outside);
    // The hole's nearest edges are 0.0005° of latitude away (north and south).
    assert_close(result.distance_m, 0.0005 * M_PER_DEG_LAT, 0.005);
}

#[wasm_bindgen_test(unsupported = test)]
fn distance_due_east_of_a_north_south_edge() {
    let fence = prepare(HOLE_SITE);
    for offset_deg in [0.0001, 0.0003, 0.0007] {
        let lat = 30.2070;
        let result = check(&fence, HOLE_SITE_WEST + offset_deg, lat, 1.0);
        assert_eq!(result.verdict, Verdict::Inside);
        assert_close(
            result.distance_m,
            offset_deg * 111_320.0 * lat.to_radians().cos(),
            0.005,
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_multipolygons_second_part_is_inside() {
    let fence = prepare(TWO_PART_SITE);
    // The materials yard: 120.1380..120.1410°E, 30.3205..30.3225°N.
    let yard = check(&fence, 120.1395, 30.3215, 20.0);
    assert_eq!(yard.verdict, Verdict::Inside);
    assert_close(yard.distance_m, 0.0010 * M_PER_DEG_LAT, 0.005);
    // The road between the main site (east edge 120.1360°E) and the yard (west edge 120.1380°E).
    let road = check(&fence, 120.1370, 30.3215, 20.0);
    assert_eq!(road.verdict, Verdict::Outside);
    assert_close(road.distance_m, 0.0010 * m_per_deg_lng(30.3215), 0.005);
    assert_eq!(
        check(&fence, 120.1330, 30.3220, 20.0).verdict,
        Verdict::Inside
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn an_l_shaped_site_wound_clockwise() {
    let fence = prepare(L_SITE);
    // The notch: east of the upright (120.2630°E) and north of the foot (30.1830°N).
    let notch = check(&fence, 120.2660, 30.1850, 20.0);
    assert_eq!(notch.verdict, Verdict::Outside);
    assert_close(notch.distance_m, 0.0020 * M_PER_DEG_LAT, 0.005);
    // Inside, nearest the reflex corner (120.2630, 30.1830): the distance is to the corner.
    let corner = check(&fence, 120.2625, 30.1825, 20.0);
    assert_eq!(corner.verdict, Verdict::Inside);
    let expected = (0.0005 * m_per_deg_lng(30.1828)).hypot(0.0005 * M_PER_DEG_LAT);
    assert_close(corner.distance_m, expected, 0.005);
}

/// An independent reference: every edge measured, crossings counted (even-odd), in metres of a
/// spherical equirectangular map.
fn brute_force(polygons: &[Vec<Vec<[f64; 2]>>], p: [f64; 2]) -> (bool, f64) {
    let (sx, sy) = (m_per_deg_lng(p[1]), M_PER_DEG_LAT);
    let mut inside = false;
    let mut nearest = f64::INFINITY;
    for ring in polygons.iter().flatten() {
        for w in ring.windows(2) {
            let (a, b) = (w[0], w[1]);
            if (a[1] > p[1]) != (b[1] > p[1]) {
                let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
                if x > p[0] {
                    inside = !inside;
                }
            }
            let (ax, ay) = ((a[0] - p[0]) * sx, (a[1] - p[1]) * sy);
            let (bx, by) = ((b[0] - p[0]) * sx, (b[1] - p[1]) * sy);
            let (dx, dy) = (bx - ax, by - ay);
            let t = (-(ax * dx + ay * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
            nearest = nearest.min((ax + t * dx).hypot(ay + t * dy));
        }
    }
    (inside, nearest)
}

#[wasm_bindgen_test(unsupported = test)]
fn a_thousand_vertices_agree_with_brute_force() {
    let polygons: Vec<Vec<Vec<[f64; 2]>>> = (outline(RING_1000).polygons.iter())
        .map(|rings| {
            (rings.iter())
                .map(|ring| ring.0.iter().map(|c| [c.x, c.y]).collect())
                .collect()
        })
        .collect();
    assert_eq!(polygons[0][0].len(), 1_001);
    let fence = prepare(RING_1000);
    // A deterministic scatter over 1.2 km × 1.2 km around the site's centre (120.0, 30.28).
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut seen = [0; 3];
    for _ in 0..2_000 {
        let p = [120.0 + next() * 0.0125, 30.28 + next() * 0.0110];
        let accuracy_m = 10.0;
        let result = check(&fence, p[0], p[1], accuracy_m);
        let (inside, distance_m) = brute_force(&polygons, p);
        assert!(
            (result.distance_m - distance_m).abs() <= 0.005 * distance_m + 0.01,
            "at {p:?}: {} m, brute force {distance_m} m",
            result.distance_m
        );
        let expected = if distance_m < accuracy_m * 0.99 {
            Verdict::Uncertain
        } else if distance_m < accuracy_m * 1.01 {
            continue; // too close to the accuracy for two maps to agree
        } else if inside {
            Verdict::Inside
        } else {
            Verdict::Outside
        };
        assert_eq!(result.verdict, expected, "at {p:?}");
        seen[expected as usize] += 1;
    }
    assert!(
        seen.iter().all(|&n| n > 10),
        "every verdict exercised: {seen:?}"
    );
}

// ---- Fixes and the accuracy cap ----

#[wasm_bindgen_test(unsupported = test)]
fn refuses_a_fix_coarser_than_the_sites_cap() {
    // The hole site's feature sets maxAccuracyM = 50.
    let fence = prepare(HOLE_SITE);
    let fix = Fix::new(120.2100, 30.2060, 80.0).unwrap();
    let refusal = fence.check(&fix).unwrap_err();
    assert_eq!(
        refusal,
        FixError::AccuracyOverCap {
            accuracy_m: 80.0,
            cap_m: 50.0
        }
    );
    assert_eq!(
        refusal.to_string(),
        "accuracy 80 m is worse than this site's limit of 50 m; \
         wait for a better fix (outdoors, away from tall buildings)"
    );
    assert!(fence
        .check(&Fix::new(120.2100, 30.2060, 50.0).unwrap())
        .is_ok());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_site_without_a_cap_gets_the_default() {
    assert_eq!(outline(L_SITE).max_accuracy_m, None);
    let fence = prepare(L_SITE);
    let coarse = Fix::new(120.2610, 30.1810, DEFAULT_MAX_ACCURACY_M + 1.0).unwrap();
    assert!(matches!(
        fence.check(&coarse),
        Err(FixError::AccuracyOverCap { cap_m, .. }) if cap_m == DEFAULT_MAX_ACCURACY_M
    ));
}

#[wasm_bindgen_test(unsupported = test)]
fn refuses_accuracy_zero_negative_and_not_a_number() {
    assert_eq!(Fix::new(120.21, 30.206, 0.0), Err(FixError::AccuracyZero));
    assert_eq!(
        Fix::new(120.21, 30.206, 0.0).unwrap_err().to_string(),
        "accuracy 0 m: the device reported no accuracy, so the fence cannot be judged"
    );
    assert_eq!(
        Fix::new(120.21, 30.206, -5.0),
        Err(FixError::AccuracyInvalid(-5.0))
    );
    assert_eq!(
        Fix::new(120.21, 30.206, -5.0).unwrap_err().to_string(),
        "accuracy -5 m is not a radius: it must be a finite number of metres above 0"
    );
    assert!(matches!(
        Fix::new(120.21, 30.206, f64::NAN),
        Err(FixError::AccuracyInvalid(a)) if a.is_nan()
    ));
    assert_eq!(
        Fix::new(120.21, 30.206, f64::INFINITY),
        Err(FixError::AccuracyInvalid(f64::INFINITY))
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn refuses_a_fix_whose_position_is_not_a_number() {
    assert!(matches!(
        Fix::new(f64::NAN, 30.206, 10.0),
        Err(FixError::Position(CoordError::Longitude(x))) if x.is_nan()
    ));
    assert_eq!(
        Fix::new(120.21, -95.0, 10.0).unwrap_err().to_string(),
        "position: latitude -95 is not a number of degrees in -90..=90"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_check_serialises_for_javascript() {
    let fence = prepare(HOLE_SITE);
    let json = serde_json::to_value(check(&fence, 120.20675, 30.2090, 10.0)).unwrap();
    assert_eq!(json["verdict"], "outside");
    assert!(json["distanceM"].as_f64().unwrap() > 50.0);
}

// ---- GeoJSON ----

#[wasm_bindgen_test(unsupported = test)]
fn reads_every_fixture_and_the_area_is_right() {
    for fixture in [HOLE_SITE, L_SITE, TWO_PART_SITE, RING_1000] {
        validate(fixture).expect("fixture is valid");
    }
    // Hole site: shell minus the office, by the shoelace formula in metres near 30.207°N.
    let shoelace = |ring: &[(f64, f64)]| {
        let sx = m_per_deg_lng(30.207);
        let twice: f64 = (ring.windows(2))
            .map(|w| {
                (w[0].0 * sx) * (w[1].1 * M_PER_DEG_LAT) - (w[1].0 * sx) * (w[0].1 * M_PER_DEG_LAT)
            })
            .sum();
        twice.abs() / 2.0
    };
    let shell = [
        (0.0, 0.0),
        (0.0080, 0.0),
        (0.0088, 0.0035),
        (0.0060, 0.0062),
        (0.0, 0.0062),
        (0.0, 0.0),
    ];
    let office = [
        (0.0, 0.0),
        (0.0, 0.0010),
        (0.0015, 0.0010),
        (0.0015, 0.0),
        (0.0, 0.0),
    ];
    let expected = shoelace(&shell) - shoelace(&office);
    assert_close(validate(HOLE_SITE).unwrap().area_m2(), expected, 0.005);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_feature_collection_is_one_site_with_the_strictest_cap() {
    let capped = format!(
        r#"{{"type": "Feature", "properties": {{"maxAccuracyM": 30}}, "geometry": {L_SITE}}}"#
    );
    let collection =
        format!(r#"{{"type": "FeatureCollection", "features": [{HOLE_SITE}, {capped}]}}"#);
    let outline = outline(&collection);
    assert_eq!(outline.polygons.len(), 2);
    assert_eq!(outline.max_accuracy_m, Some(30.0));
    let fence = Fence::new(outline.polygons, &FenceLimits::default()).unwrap();
    let fence = PreparedFence::new(&fence, 30.0);
    assert_eq!(
        check(&fence, 120.2610, 30.1810, 20.0).verdict,
        Verdict::Inside
    );
    assert_eq!(
        check(&fence, 120.2100, 30.2060, 20.0).verdict,
        Verdict::Inside
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn altitudes_in_positions_are_ignored() {
    let with_altitude = r#"{"type": "Polygon", "coordinates": [[[120.26, 30.18, 12.5],
        [120.268, 30.18, 12.5], [120.268, 30.183, 13], [120.26, 30.183, 13], [120.26, 30.18, 12.5]]]}"#;
    assert_eq!(outline(with_altitude).polygons[0][0].0.len(), 5);
    validate(with_altitude).expect("valid");
}

fn geojson_error(geojson: &str) -> String {
    match serde_json::from_str::<FenceGeoJson>(geojson) {
        Err(e) => e.to_string(),
        Ok(parsed) => parsed.into_outline().unwrap_err().to_string(),
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn refuses_geojson_that_is_not_a_fence() {
    let point = geojson_error(r#"{"type": "Point", "coordinates": [120.2, 30.2]}"#);
    assert!(
        point.contains("Point") && point.contains("MultiPolygon"),
        "{point}"
    );
    let nested = geojson_error(
        r#"{"type": "FeatureCollection", "features": [{"type": "Polygon", "coordinates": []}]}"#,
    );
    assert!(nested.contains("Feature"), "{nested}");
    let position = geojson_error(r#"{"type": "Polygon", "coordinates": [[[120.2]]]}"#);
    assert!(
        position.contains("position [longitude, latitude]"),
        "{position}"
    );
    let text = geojson_error(r#"{"type": "Polygon", "coordinates": [[["120.2", 30.2]]]}"#);
    assert!(text.contains("string"), "{text}");
}

#[wasm_bindgen_test(unsupported = test)]
fn refuses_a_feature_without_geometry_or_with_a_bad_cap() {
    let no_geometry = r#"{"type": "Feature", "properties": {}, "geometry": null}"#;
    let parsed: FenceGeoJson = serde_json::from_str(no_geometry).unwrap();
    assert_eq!(
        parsed.into_outline(),
        Err(GeoJsonError::NoGeometry { feature: 0 })
    );
    assert_eq!(
        geojson_error(no_geometry),
        "feature 0 has no geometry; a fence feature needs a Polygon or MultiPolygon"
    );
    let bad_cap = format!(
        r#"{{"type": "Feature", "properties": {{"maxAccuracyM": -1}}, "geometry": {L_SITE}}}"#
    );
    assert_eq!(
        geojson_error(&bad_cap),
        "feature 0: properties.maxAccuracyM must be a number of metres above 0, got -1"
    );
}

// ---- Validation ----

fn polygon(rings: &[&str]) -> String {
    format!(
        r#"{{"type": "Polygon", "coordinates": [{}]}}"#,
        rings.join(",")
    )
}

/// A 0.002° × 0.002° square (about 190 m × 220 m) at (lng, lat), counter-clockwise.
fn square(lng: f64, lat: f64, size: f64) -> String {
    let (e, n) = (lng + size, lat + size);
    format!("[[{lng},{lat}],[{e},{lat}],[{e},{n}],[{lng},{n}],[{lng},{lat}]]")
}

const SHELL: (f64, f64, f64) = (120.2000, 30.2000, 0.0020);

fn shell() -> String {
    square(SHELL.0, SHELL.1, SHELL.2)
}

fn ring(polygon: usize, ring: usize) -> RingRef {
    RingRef { polygon, ring }
}

#[wasm_bindgen_test(unsupported = test)]
fn names_an_open_ring() {
    let open = polygon(&["[[120.2,30.2],[120.202,30.2],[120.202,30.202],[120.2,30.202]]"]);
    let error = validate(&open).unwrap_err();
    assert!(matches!(error, FenceError::OpenRing { ring: r, .. } if r == ring(0, 0)));
    assert_eq!(
        error.to_string(),
        "polygon 0 ring 0 (shell) is open: it starts at 120.2000000,30.2000000 but ends at \
         120.2000000,30.2020000; repeat the first position at the end"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn names_a_ring_with_too_few_positions() {
    let error = validate(&polygon(&["[[120.2,30.2],[120.202,30.2],[120.2,30.2]]"])).unwrap_err();
    assert_eq!(
        error,
        FenceError::TooFewPositions {
            ring: ring(0, 0),
            count: 3
        }
    );
    let repeats = polygon(&["[[120.2,30.2],[120.202,30.2],[120.202,30.2],[120.2,30.2]]"]);
    assert_eq!(
        validate(&repeats).unwrap_err(),
        FenceError::TooFewCorners { ring: ring(0, 0) }
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn names_a_self_intersection_and_where() {
    // A bow tie: the two diagonals cross at (120.201, 30.201).
    let bow_tie =
        polygon(&["[[120.2,30.2],[120.202,30.202],[120.202,30.2],[120.2,30.202],[120.2,30.2]]"]);
    let error = validate(&bow_tie).unwrap_err();
    let FenceError::SelfIntersection { ring: r, at } = error else {
        panic!("expected a self-intersection, got {error}");
    };
    assert_eq!(r, ring(0, 0));
    assert!(metres_apart(at, lng_lat(120.201, 30.201)) < 0.01, "{at}");
    assert_eq!(
        error.to_string(),
        "polygon 0 ring 0 (shell) crosses or touches itself near 120.2010000,30.2010000"
    );
    // A spike: the ring goes out to (120.203, 30.201) and comes back along itself.
    let spike = polygon(&[
        "[[120.2,30.2],[120.202,30.2],[120.202,30.201],[120.203,30.201],\
        [120.202,30.201],[120.202,30.202],[120.2,30.202],[120.2,30.2]]",
    ]);
    assert!(matches!(
        validate(&spike),
        Err(FenceError::SelfIntersection { .. })
    ));
}

#[wasm_bindgen_test(unsupported = test)]
fn names_a_hole_outside_its_shell() {
    let outside = square(120.2030, 30.2000, 0.0005);
    let error = validate(&polygon(&[&shell(), &outside])).unwrap_err();
    assert_eq!(error, FenceError::HoleOutsideShell { hole: ring(0, 1) });
    assert_eq!(
        error.to_string(),
        "polygon 0 ring 1 (hole) lies outside its shell"
    );
    // A hole that pokes out of the shell's east side crosses it.
    let poking = square(120.2015, 30.2005, 0.0010);
    assert!(matches!(
        validate(&polygon(&[&shell(), &poking])),
        Err(FenceError::RingsCross { a, b, .. }) if (a, b) == (ring(0, 0), ring(0, 1))
    ));
}

#[wasm_bindgen_test(unsupported = test)]
fn names_holes_that_overlap_and_polygons_that_overlap() {
    let big = square(120.2005, 30.2005, 0.0010);
    let small = square(120.2008, 30.2008, 0.0003);
    assert_eq!(
        validate(&polygon(&[&shell(), &big, &small])).unwrap_err(),
        FenceError::HolesOverlap {
            a: ring(0, 1),
            b: ring(0, 2)
        }
    );
    // A second part inside the first: no edges cross, the insides overlap.
    let parts = format!(
        r#"{{"type": "MultiPolygon", "coordinates": [[{}], [{small}]]}}"#,
        shell()
    );
    let error = validate(&parts).unwrap_err();
    assert_eq!(error, FenceError::PartsOverlap { a: 0, b: 1 });
    assert_eq!(error.to_string(), "polygons 0 and 1 overlap");
    // Parts whose edges cross are named with the place.
    let across = square(120.2010, 30.2010, 0.0020);
    let parts = format!(
        r#"{{"type": "MultiPolygon", "coordinates": [[{}], [{across}]]}}"#,
        shell()
    );
    let error = validate(&parts).unwrap_err();
    assert!(
        matches!(error, FenceError::RingsCross { a, b, .. } if (a, b) == (ring(0, 0), ring(1, 0))),
        "{error}"
    );
    assert!(error.to_string().starts_with(
        "polygon 0 ring 0 (shell) and polygon 1 ring 0 (shell) \
         cross or share a stretch of boundary near"
    ));
}

#[wasm_bindgen_test(unsupported = test)]
fn accepts_an_island_in_a_hole_and_rings_touching_at_a_point() {
    let hole = square(120.2005, 30.2005, 0.0010);
    let island = square(120.2007, 30.2007, 0.0006);
    let parts = format!(
        r#"{{"type": "MultiPolygon", "coordinates": [[{}, {hole}], [{island}]]}}"#,
        shell()
    );
    let fence = validate(&parts).expect("an island in a hole is valid");
    let fence = PreparedFence::new(&fence, 100.0);
    assert_eq!(
        check(&fence, 120.2010, 30.2010, 5.0).verdict,
        Verdict::Inside
    );
    assert_eq!(
        check(&fence, 120.20060, 30.2010, 2.0).verdict,
        Verdict::Outside
    );
    // Two parts sharing one corner.
    let corner = square(120.2020, 30.2020, 0.0010);
    let touching = format!(
        r#"{{"type": "MultiPolygon", "coordinates": [[{}], [{corner}]]}}"#,
        shell()
    );
    validate(&touching).expect("parts touching at a point are valid");
}

/// A closed ring through `corners`, given in thousandths of a degree east and north of
/// (120.2, 30.2).
fn ring_through(corners: &[(f64, f64)]) -> String {
    let positions: Vec<String> = (corners.iter().chain(&corners[..1]))
        .map(|(east, north)| format!("[{},{}]", 120.2 + east / 1000.0, 30.2 + north / 1000.0))
        .collect();
    format!("[{}]", positions.join(","))
}

#[wasm_bindgen_test(unsupported = test)]
fn names_a_hole_that_leaves_its_shell_between_two_touching_corners() {
    // The shell has a notch cut down from its north side, between x = 2 and 2.5. The hole's
    // north edge (y = 2) runs through the notch's two lower corners: the rings only touch at
    // points, every corner of the hole is inside the shell, and so is the middle of that edge,
    // but the stretch between the two corners lies in the notch, outside.
    let shell = ring_through(&[
        (0.0, 0.0),
        (3.0, 0.0),
        (3.0, 3.0),
        (2.5, 3.0),
        (2.5, 2.0),
        (2.25, 1.5),
        (2.0, 2.0),
        (2.0, 3.0),
        (0.0, 3.0),
    ]);
    let hole = ring_through(&[(0.5, 1.0), (2.8, 1.0), (2.8, 2.0), (0.5, 2.0)]);
    assert_eq!(
        validate(&polygon(&[&shell, &hole])).unwrap_err(),
        FenceError::HoleOutsideShell { hole: ring(0, 1) }
    );
    // The same with the shell wound clockwise.
    let clockwise = ring_through(&[
        (0.0, 3.0),
        (2.0, 3.0),
        (2.0, 2.0),
        (2.25, 1.5),
        (2.5, 2.0),
        (2.5, 3.0),
        (3.0, 3.0),
        (3.0, 0.0),
        (0.0, 0.0),
    ]);
    assert_eq!(
        validate(&polygon(&[&clockwise, &hole])).unwrap_err(),
        FenceError::HoleOutsideShell { hole: ring(0, 1) }
    );
    // Moved down clear of the notch, the same hole is fine.
    let lower = ring_through(&[(0.5, 0.5), (2.8, 0.5), (2.8, 1.2), (0.5, 1.2)]);
    validate(&polygon(&[&shell, &lower])).expect("a hole clear of the notch is valid");
}

#[wasm_bindgen_test(unsupported = test)]
fn a_sliver_hole_touched_at_its_corner_stays_inside_its_shell() {
    // Found by the nesting property test. On its grid of 0.0005° from (120.2, 30.2), polygon 0's
    // hole (4,4)-(6,6)-(7,7) lies along the shell's edge (8,8)-(6,6); in floating point, (7,7)
    // is a hair inside the shell (robust orientation 1.8e-18), so the hole is a sliver inside
    // it, touching it at (6,6). Polygon 1's shell touches the hole's corner (7,7): that touch
    // used to cut the hole's edge (6,6)-(7,7) just short of its corner, whose side was then
    // judged from the rounded middle of the edge, outside the sliver. The errors are polygon
    // 1's hole outside its shell and, without that hole, the two parts overlapping.
    let at = |corners: &[(u8, u8)]| {
        let positions = (corners.iter().chain(&corners[..1])).map(|&(x, y)| geo::Coord {
            x: 120.2 + f64::from(x) * 0.0005,
            y: 30.2 + f64::from(y) * 0.0005,
        });
        geo::LineString(positions.collect())
    };
    let first = vec![
        at(&[(0, 0), (2, 1), (8, 0), (8, 8), (6, 6), (0, 8)]),
        at(&[(4, 4), (6, 6), (7, 7)]),
    ];
    let second_shell = at(&[(8, 6), (9, 6), (10, 7), (8, 7), (7, 7)]);
    let second_hole = at(&[(11, 7), (12, 8), (9, 11), (7, 10)]);
    let limits = FenceLimits {
        min_area_m2: 0.0,
        ..FenceLimits::default()
    };
    let with_hole = vec![first.clone(), vec![second_shell.clone(), second_hole]];
    assert_eq!(
        Fence::new(with_hole, &limits).unwrap_err(),
        FenceError::HoleOutsideShell { hole: ring(1, 1) }
    );
    let without_hole = vec![first.clone(), vec![second_shell]];
    assert_eq!(
        Fence::new(without_hole, &limits).unwrap_err(),
        FenceError::PartsOverlap { a: 0, b: 1 }
    );
    Fence::new(vec![first], &limits).expect("the sliver hole alone is inside its shell");
}

#[wasm_bindgen_test(unsupported = test)]
fn names_parts_that_overlap_where_a_corner_of_one_lies_on_the_others_edge() {
    // The second part has a corner on the first's east edge and another at its north-east
    // corner: no edges cross properly, yet the first's east edge runs through the second.
    let first = ring_through(&[(0.0, 0.0), (3.0, 0.0), (3.0, 3.0), (0.0, 3.0)]);
    let second = ring_through(&[(3.0, 1.0), (4.0, 2.0), (3.0, 3.0), (2.0, 2.0)]);
    let parts = format!(r#"{{"type": "MultiPolygon", "coordinates": [[{first}], [{second}]]}}"#);
    assert_eq!(
        validate(&parts).unwrap_err(),
        FenceError::PartsOverlap { a: 0, b: 1 }
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn the_area_on_the_local_map_is_within_half_a_thousandth_of_the_ellipsoid() {
    use geo::GeodesicArea;
    // Near the largest fence the default limits allow (about 4.2 km × 4.4 km), and the fixtures.
    let largest = polygon(&[&square(120.15, 30.18, 0.043)]);
    for geojson in [
        HOLE_SITE,
        L_SITE,
        TWO_PART_SITE,
        RING_1000,
        largest.as_str(),
    ] {
        let fence = validate(geojson).expect("valid fence");
        // Counter-clockwise shells, as the geodesic area needs.
        let on_ellipsoid = fence.multi_polygon().geodesic_area_unsigned();
        assert_close(fence.area_m2(), on_ellipsoid, 0.0005);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn names_an_area_out_of_bounds() {
    let tiny = polygon(&[&square(120.2, 30.2, 0.00003)]);
    let error = validate(&tiny).unwrap_err();
    let FenceError::AreaOutOfBounds { area_m2, .. } = error else {
        panic!("expected an area error, got {error}");
    };
    assert!((5.0..15.0).contains(&area_m2), "{area_m2}");
    assert_eq!(
        error.to_string(),
        "the fence's area is 10 m², outside the allowed 100..=20000000 m²"
    );
    let huge = polygon(&[&square(120.0, 30.0, 0.1)]);
    assert!(matches!(
        validate(&huge),
        Err(FenceError::AreaOutOfBounds { area_m2, .. }) if area_m2 > 1e8
    ));
}

#[wasm_bindgen_test(unsupported = test)]
fn names_too_many_vertices() {
    let polygons = outline(RING_1000).polygons;
    let limits = FenceLimits {
        max_vertices: 999,
        ..FenceLimits::default()
    };
    let error = Fence::new(polygons.clone(), &limits).unwrap_err();
    assert_eq!(
        error,
        FenceError::TooManyVertices {
            count: 1000,
            max: 999
        }
    );
    assert_eq!(
        error.to_string(),
        "the fence has 1000 vertices, more than the limit of 999"
    );
    let limits = FenceLimits {
        max_vertices: 1000,
        ..FenceLimits::default()
    };
    Fence::new(polygons, &limits).expect("exactly at the limit");
}

#[wasm_bindgen_test(unsupported = test)]
fn names_a_position_out_of_range_and_an_empty_fence() {
    let error = validate(&polygon(&[
        "[[120.2,30.2],[120.202,30.2],[120.202,95],[120.2,30.2]]",
    ]))
    .unwrap_err();
    assert_eq!(
        error,
        FenceError::Coordinate {
            ring: ring(0, 0),
            index: 2,
            problem: CoordError::Latitude(95.0)
        }
    );
    assert_eq!(
        error.to_string(),
        "polygon 0 ring 0 (shell) position 2: latitude 95 is not a number of degrees in -90..=90"
    );
    assert_eq!(
        validate(r#"{"type": "MultiPolygon", "coordinates": []}"#).unwrap_err(),
        FenceError::NoPolygon
    );
    assert_eq!(
        validate(r#"{"type": "MultiPolygon", "coordinates": [[]]}"#).unwrap_err(),
        FenceError::NoRing { polygon: 0 }
    );
}

/// One of each refusal, built directly (the tests above show validation producing each).
fn every_refusal() -> Vec<FenceError> {
    let at = lng_lat(120.2, 30.2);
    vec![
        FenceError::NoPolygon,
        FenceError::NoRing { polygon: 1 },
        FenceError::Coordinate {
            ring: ring(0, 0),
            index: 2,
            problem: CoordError::Latitude(91.0),
        },
        FenceError::TooFewPositions {
            ring: ring(0, 1),
            count: 3,
        },
        FenceError::OpenRing {
            ring: ring(1, 0),
            first: at,
            last: lng_lat(120.3, 30.3),
        },
        FenceError::TooManyVertices {
            count: 6001,
            max: 5000,
        },
        FenceError::TooFewCorners { ring: ring(0, 0) },
        FenceError::SelfIntersection {
            ring: ring(0, 0),
            at,
        },
        FenceError::RingsCross {
            a: ring(0, 0),
            b: ring(0, 2),
            at,
        },
        FenceError::HoleOutsideShell { hole: ring(0, 1) },
        FenceError::HolesOverlap {
            a: ring(0, 1),
            b: ring(0, 2),
        },
        FenceError::PartsOverlap { a: 0, b: 1 },
        FenceError::AreaOutOfBounds {
            area_m2: 40.0,
            min_m2: 100.0,
            max_m2: 20_000_000.0,
        },
    ]
}

#[wasm_bindgen_test(unsupported = test)]
fn every_refusal_has_its_own_code_its_numbers_and_chinese() {
    let refusals = every_refusal();
    let codes: std::collections::HashSet<_> = refusals.iter().map(FenceError::code).collect();
    assert_eq!(codes.len(), refusals.len(), "codes are distinct: {codes:?}");
    for error in &refusals {
        let detail = serde_json::to_value(error.detail()).unwrap();
        assert_eq!(detail["problem"], error.code(), "{detail}");
        let zh = error.message_zh();
        assert!(
            zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{zh}"
        );
        assert!(
            !zh.contains("polygon") && !zh.contains("ring"),
            "no English: {zh}"
        );
    }
    let [.., too_many, _, _, crossing, _, _, _, area] = refusals.as_slice() else {
        unreachable!("thirteen refusals");
    };
    assert_eq!(
        serde_json::to_value(too_many.detail()).unwrap(),
        json!({"problem": "too_many_vertices", "count": 6001, "max": 5000})
    );
    assert_eq!(
        too_many.message_zh(),
        "顶点太多：有 6001 个，最多 5000 个。请简化围栏"
    );
    assert_eq!(
        serde_json::to_value(crossing.detail()).unwrap(),
        json!({"problem": "rings_cross", "polygon": 0, "ring": 0,
               "other": {"polygon": 0, "ring": 2}, "at": [120.2, 30.2]})
    );
    assert_eq!(
        crossing.message_zh(),
        "第 1 个多边形的外边界与第 1 个多边形的第 2 个洞交叉或重合：请调整洞或多边形"
    );
    assert_eq!(
        area.message_zh(),
        "面积 40 平方米，超出允许的 100 平方米 至 20.0 平方公里：请调整围栏大小"
    );
}
