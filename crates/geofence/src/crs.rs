//! WGS-84 ⇄ GCJ-02. Phones report WGS-84 (the W3C Geolocation API); Chinese web maps (AMap,
//! Tencent) draw in GCJ-02, so the manager page converts what is drawn and the worker page what
//! is shown.
//!
//! WGS-84 → GCJ-02 is the public formula (as in eviltransform and coordtransform: Krasovsky
//! 1940 ellipsoid, offsets from a fixed trigonometric series), applied only inside the box
//! 73.66 < lng < 135.05, 3.86 < lat < 53.55; outside it coordinates are left unchanged.
//! GCJ-02 → WGS-84 has no closed form and is found by fixed-point iteration.

use super::LngLat;

/// Semi-major axis of the Krasovsky 1940 ellipsoid the formula uses, in metres.
const KRASOVSKY_A: f64 = 6_378_245.0;
/// First eccentricity squared of the same ellipsoid.
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;

/// The inverse stops once the forward image is this close to the target, in degrees on each
/// axis (1e-10° is about 0.01 mm, far below the 1 cm promised).
const INVERSE_TOLERANCE_DEG: f64 = 1e-10;
/// The inverse gains about three decimal digits per step, so 5 steps suffice inside the box;
/// the cap only bounds the work near the box's edges, where the offset jumps to zero.
const INVERSE_MAX_STEPS: usize = 30;

/// Whether the formula applies at `p`: strictly inside 73.66 < lng < 135.05, 3.86 < lat < 53.55
/// (coordtransform's box, which covers mainland China, Hong Kong, Macau and Taiwan).
pub fn in_china_box(p: LngLat) -> bool {
    p.lng() > 73.66 && p.lng() < 135.05 && p.lat() > 3.86 && p.lat() < 53.55
}

/// WGS-84 to GCJ-02 by the public formula; unchanged outside [`in_china_box`]. The shift is a
/// few hundred metres inside the box.
pub fn wgs84_to_gcj02(wgs: LngLat) -> LngLat {
    if !in_china_box(wgs) {
        return wgs;
    }
    let (d_lng, d_lat) = offset_deg(wgs.lng(), wgs.lat());
    shifted(wgs, d_lng, d_lat)
}

/// GCJ-02 to WGS-84: the WGS-84 point whose [`wgs84_to_gcj02`] image is `gcj`, to better than
/// 1 cm (iterated until within 1e-10°); unchanged outside [`in_china_box`].
pub fn gcj02_to_wgs84(gcj: LngLat) -> LngLat {
    if !in_china_box(gcj) {
        return gcj;
    }
    let mut wgs = gcj;
    for _ in 0..INVERSE_MAX_STEPS {
        let image = wgs84_to_gcj02(wgs);
        let (d_lng, d_lat) = (gcj.lng() - image.lng(), gcj.lat() - image.lat());
        if d_lng.abs() < INVERSE_TOLERANCE_DEG && d_lat.abs() < INVERSE_TOLERANCE_DEG {
            break;
        }
        wgs = shifted(wgs, d_lng, d_lat);
    }
    wgs
}

/// `p` moved by the given degrees; the shifts used here are below 0.1° and `p` lies inside the
/// China box, far from ±180° and ±90°, so the result is always in range.
fn shifted(p: LngLat, d_lng: f64, d_lat: f64) -> LngLat {
    LngLat::new(p.lng() + d_lng, p.lat() + d_lat).expect("a point in the China box moved < 0.1°")
}

/// The formula's (Δlng, Δlat) in degrees at a WGS-84 position.
fn offset_deg(lng: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lng - 105.0, lat - 35.0);
    let rad_lat = lat.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let metres_per_rad_lat = KRASOVSKY_A * (1.0 - KRASOVSKY_EE) / (magic * sqrt_magic);
    let metres_per_rad_lng = KRASOVSKY_A / sqrt_magic * rad_lat.cos();
    (
        (series_lng(x, y) / metres_per_rad_lng).to_degrees(),
        (series_lat(x, y) / metres_per_rad_lat).to_degrees(),
    )
}

/// The part of both series that depends on `x` only (the "6πx, 2πx" terms).
fn shared_term(x: f64) -> f64 {
    use std::f64::consts::PI;
    (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0
}

/// The latitude series in metres (Krasovsky), at offsets `x = lng - 105`, `y = lat - 35`.
fn series_lat(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut t = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    t += shared_term(x);
    t += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    t += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    t
}

/// The longitude series in metres (Krasovsky), at offsets `x = lng - 105`, `y = lat - 35`.
fn series_lng(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut t = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    t += shared_term(x);
    t += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    t += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    t
}
