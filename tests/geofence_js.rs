//! The geofence's JS API (`wgs84ToGcj02`, `gcj02ToWgs84`, `checkFence`) called as pages call it:
//! JS values in, JS values or JS `Error`s out, in headless Chromium. Also prints (never asserts)
//! what a check costs as wasm.

use js_sys::{Array, Function, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{console_log, wasm_bindgen_test as test};
use zj_attendance::{check_fence, gcj02_to_wgs84, wgs84_to_gcj02};
use zj_geofence::{Fence, FenceGeoJson, FenceLimits, Fix, PreparedFence, Verdict};

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const HOLE_SITE: &str =
    include_str!("../crates/geofence/tests/fixtures/fences/site_with_office_hole.geojson");
const TWO_PART_SITE: &str =
    include_str!("../crates/geofence/tests/fixtures/fences/two_part_site.geojson");
const RING_1000: &str =
    include_str!("../crates/geofence/tests/fixtures/fences/ring_1000_vertices.geojson");

/// A fixture as the JS object a page would pass.
fn js_object(geojson: &str) -> JsValue {
    JSON::parse(geojson).expect("fixture is JSON")
}

/// The message of the JS `Error` an API call threw.
fn message(error: impl Into<JsValue>) -> String {
    let value = error.into();
    let error: &js_sys::Error = value.dyn_ref().expect("a JS Error");
    error.message().into()
}

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &key.into()).expect("property readable")
}

/// The two numbers of a `[lng, lat]` array.
fn lng_lat(array: &Array) -> (f64, f64) {
    assert!(Array::is_array(array), "a real JS array");
    assert_eq!(array.length(), 2);
    (
        array.get(0).as_f64().expect("lng is a number"),
        array.get(1).as_f64().expect("lat is a number"),
    )
}

#[test]
fn wgs84_to_gcj02_returns_an_array_with_the_published_value() {
    // eviltransform's Beijing test point (googollee/eviltransform, go/transform_test.go).
    let (lng, lat) = lng_lat(&wgs84_to_gcj02(116.377817, 39.911954).unwrap());
    assert!((lng - 116.38404722455657).abs() < 1e-9, "{lng}");
    assert!((lat - 39.91334545536069).abs() < 1e-9, "{lat}");
}

#[test]
fn gcj02_to_wgs84_inverts_it() {
    let (lng, lat) = lng_lat(&gcj02_to_wgs84(116.38404722455657, 39.91334545536069).unwrap());
    assert!((lng - 116.377817).abs() < 1e-7, "{lng}");
    assert!((lat - 39.911954).abs() < 1e-7, "{lat}");
    assert_eq!(
        lng_lat(&gcj02_to_wgs84(-0.1276, 51.5072).unwrap()),
        (-0.1276, 51.5072)
    );
}

#[test]
fn coordinate_functions_throw_on_bad_numbers() {
    assert_eq!(
        message(wgs84_to_gcj02(f64::NAN, 30.0).unwrap_err()),
        "longitude NaN is not a number of degrees in -180..=180"
    );
    assert_eq!(
        message(gcj02_to_wgs84(120.0, 100.0).unwrap_err()),
        "latitude 100 is not a number of degrees in -90..=90"
    );
}

#[test]
fn check_fence_returns_verdict_and_distance() {
    let inside = check_fence(js_object(HOLE_SITE), 120.2100, 30.2060, 20.0).unwrap();
    assert_eq!(
        get(&inside, "verdict").as_string().as_deref(),
        Some("inside")
    );
    let distance = get(&inside, "distanceM")
        .as_f64()
        .expect("distanceM is a number");
    assert!((200.0..250.0).contains(&distance), "{distance}");
    let in_hole = check_fence(js_object(HOLE_SITE), 120.20675, 30.2090, 10.0).unwrap();
    assert_eq!(
        get(&in_hole, "verdict").as_string().as_deref(),
        Some("outside")
    );
    let near_edge = check_fence(js_object(HOLE_SITE), 120.20505, 30.2070, 10.0).unwrap();
    assert_eq!(
        get(&near_edge, "verdict").as_string().as_deref(),
        Some("uncertain")
    );
}

#[test]
fn check_fence_takes_every_geojson_shape() {
    let feature = js_object(TWO_PART_SITE);
    let geometry = get(&feature, "geometry");
    let collection = js_object(&format!(
        r#"{{"type": "FeatureCollection", "features": [{TWO_PART_SITE}]}}"#
    ));
    let polygon = js_object(
        r#"{"type": "Polygon", "coordinates": [[[120.138, 30.3205], [120.141, 30.3205],
            [120.141, 30.3225], [120.138, 30.3225], [120.138, 30.3205]]]}"#,
    );
    for fence in [feature, geometry, collection, polygon] {
        let yard = check_fence(fence, 120.1395, 30.3215, 20.0).unwrap();
        assert_eq!(get(&yard, "verdict").as_string().as_deref(), Some("inside"));
    }
}

#[test]
fn check_fence_throws_clear_errors() {
    let point = js_object(r#"{"type": "Point", "coordinates": [120.2, 30.2]}"#);
    let error = message(check_fence(point, 120.2, 30.2, 10.0).unwrap_err());
    assert!(
        error.starts_with("fence is not a GeoJSON fence: unknown variant `Point`"),
        "{error}"
    );
    assert_eq!(
        message(check_fence(JsValue::UNDEFINED, 120.2, 30.2, 10.0).unwrap_err()),
        "fence is not a GeoJSON fence: got undefined"
    );
    for (not_a_fence, found) in [(JsValue::NULL, "null"), (JsValue::from("fence"), "string")] {
        let error = message(check_fence(not_a_fence, 120.2, 30.2, 10.0).unwrap_err());
        assert!(
            error.starts_with(&format!(
                "fence is not a GeoJSON fence: invalid type: {found}"
            )),
            "{error}"
        );
        assert!(
            error
                .contains("expected a GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection"),
            "{error}"
        );
    }
    let cyclic = js_object(HOLE_SITE);
    Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    let error = message(check_fence(cyclic, 120.2, 30.2, 10.0).unwrap_err());
    assert!(error.contains("cannot be written as JSON"), "{error}");
    let open = js_object(
        r#"{"type": "Polygon", "coordinates": [[[120.2, 30.2], [120.202, 30.2],
            [120.202, 30.202], [120.2, 30.202]]]}"#,
    );
    let thrown = check_fence(open, 120.201, 30.201, 10.0).unwrap_err();
    let error = message(thrown.clone());
    assert!(
        error.starts_with("invalid fence: polygon 0 ring 0 (shell) is open"),
        "{error}"
    );
    // The refusal also carries its stable code, the Chinese the manager page shows, and where.
    assert_eq!(get(&thrown, "code"), "open_ring");
    assert_eq!(
        get(&thrown, "zh"),
        "第 1 个多边形的外边界没有闭合：最后一个点必须与第一个点相同"
    );
    let detail = get(&thrown, "detail");
    assert_eq!(
        (
            get(&detail, "problem"),
            get(&detail, "polygon"),
            get(&detail, "ring")
        ),
        ("open_ring".into(), 0.into(), 0.into())
    );
    assert_eq!(
        message(check_fence(js_object(HOLE_SITE), 120.21, 30.206, 80.0).unwrap_err()),
        "accuracy 80 m is worse than this site's limit of 50 m; \
         wait for a better fix (outdoors, away from tall buildings)"
    );
    assert_eq!(
        message(check_fence(js_object(HOLE_SITE), 120.21, 30.206, f64::NAN).unwrap_err()),
        "accuracy NaN m is not a radius: it must be a finite number of metres above 0"
    );
    assert_eq!(
        message(check_fence(js_object(HOLE_SITE), 120.21, 30.206, 0.0).unwrap_err()),
        "accuracy 0 m: the device reported no accuracy, so the fence cannot be judged"
    );
}

/// Timings mean little in a debug build; say which this is.
const PROFILE: &str = if cfg!(debug_assertions) {
    "debug build"
} else {
    "release build"
};

/// `performance.now()` in milliseconds.
fn now_ms() -> f64 {
    let performance = get(&js_sys::global(), "performance");
    let now: Function = get(&performance, "now")
        .dyn_into()
        .expect("performance.now");
    now.call0(&performance).unwrap().as_f64().unwrap()
}

#[test]
fn prints_what_a_check_costs_as_wasm() {
    const CHECKS: usize = 10_000;
    let outline = serde_json::from_str::<FenceGeoJson>(RING_1000)
        .unwrap()
        .into_outline()
        .unwrap();
    let fence = Fence::new(outline.polygons, &FenceLimits::default()).unwrap();
    let fence = PreparedFence::new(&fence, 100.0);
    let fixes: Vec<Fix> = (0..CHECKS)
        .map(|i| {
            let t = i as f64 / CHECKS as f64;
            Fix::new(
                120.0 + (t * 37.0).sin() * 0.006,
                30.28 + (t * 53.0).cos() * 0.005,
                15.0,
            )
            .unwrap()
        })
        .collect();
    let inside = |fix: &Fix| fence.check(fix).unwrap().verdict == Verdict::Inside;
    // Chromium recompiles hot wasm functions with its optimising tier in the background: keep
    // checking for half a second first, then take the best of five rounds.
    let warm_up = now_ms();
    while now_ms() - warm_up < 500.0 {
        fixes.iter().for_each(|fix| _ = inside(fix));
    }
    let mut best_us = f64::INFINITY;
    let mut inside_count = 0;
    for _ in 0..5 {
        let start = now_ms();
        inside_count = fixes.iter().filter(|fix| inside(fix)).count();
        best_us = best_us.min((now_ms() - start) * 1_000.0 / CHECKS as f64);
    }
    console_log!(
        "wasm ({PROFILE}): PreparedFence::check at 1,000 vertices: {best_us:.2} µs \
         per check ({inside_count} of {CHECKS} inside)"
    );

    const CALLS: usize = 50;
    for (name, geojson) in [("9 vertices", HOLE_SITE), ("1,000 vertices", RING_1000)] {
        let fence = js_object(geojson);
        let start = now_ms();
        for _ in 0..CALLS {
            check_fence(fence.clone(), 120.0, 30.28, 15.0).unwrap();
        }
        let per_call_us = (now_ms() - start) * 1_000.0 / CALLS as f64;
        console_log!(
            "wasm ({PROFILE}): checkFence (parse + validate + prepare + check) at {name}: \
             {per_call_us:.0} µs per call"
        );
    }
}
