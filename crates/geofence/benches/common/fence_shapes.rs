//! The fence shapes and fixes the geofence benchmarks use, native (benches/geofence.rs) and in
//! wasm (tests/bench_wasm.rs), so the two measure the same work.

use std::f64::consts::TAU;

use geo::{Coord, LineString};
use zj_geofence::Fix;

/// Site centre in Yuhang, Hangzhou (WGS-84 degrees).
pub const CENTRE: Coord<f64> = Coord { x: 120.0, y: 30.28 };
/// Metres per degree near the centre (longitude, latitude).
pub const M_PER_DEG: (f64, f64) = (96_220.0, 110_852.0);
/// Fixes cycled through per benchmark: inside, outside and near edges alike.
pub const FIXES: usize = 1_024;

/// A surveyed-looking site boundary of `vertices` corners, about 800 m across.
pub fn site(vertices: usize) -> Vec<Vec<LineString<f64>>> {
    let corner = |i: usize| {
        let t = TAU * i as f64 / vertices as f64;
        let r = 400.0 * (1.0 + 0.15 * (5.0 * t).sin() + 0.05 * (23.0 * t + 1.0).sin());
        Coord {
            x: CENTRE.x + r * t.cos() / M_PER_DEG.0,
            y: CENTRE.y + r * t.sin() / M_PER_DEG.1,
        }
    };
    vec![vec![(0..=vertices).map(|i| corner(i % vertices)).collect()]]
}

/// Fixes scattered over 1.2 km × 1.2 km around the centre, accuracy 5–40 m.
pub fn fixes() -> Vec<Fix> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..FIXES)
        .map(|_| {
            let x = CENTRE.x + (next() - 0.5) * 1_200.0 / M_PER_DEG.0;
            let y = CENTRE.y + (next() - 0.5) * 1_200.0 / M_PER_DEG.1;
            Fix::new(x, y, 5.0 + 35.0 * next()).expect("fix in range")
        })
        .collect()
}
