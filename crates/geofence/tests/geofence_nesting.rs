//! Property test of fence validation (host only): which ring lies inside which, decided from
//! each stretch of boundary between the points where rings touch, agrees with geo's
//! DE-9IM `relate` on random fences drawn on a coarse grid, where rings touch at corners and
//! corners land on other rings' edges all the time.

use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::{Coord, LineString, Polygon, Relate};
use proptest::collection::vec;
use proptest::prelude::*;
use zj_geofence::{Fence, FenceError, FenceLimits, RingRef};

/// Grid step in degrees (about 50 m), from (120.2°E, 30.2°N).
const STEP: f64 = 0.0005;

/// A closed ring through `corners` (grid steps from (120.2°E, 30.2°N)) taken in order of their
/// angle around their mean: star-shaped, so it seldom crosses itself; wound counter-clockwise,
/// or `clockwise`.
fn star_ring(mut corners: Vec<(u8, u8)>, clockwise: bool) -> LineString<f64> {
    corners.sort_unstable();
    corners.dedup();
    let corners: Vec<Coord<f64>> = (corners.iter())
        .map(|&(x, y)| Coord {
            x: f64::from(x),
            y: f64::from(y),
        })
        .collect();
    let mean = corners
        .iter()
        .fold(Coord { x: 0.0, y: 0.0 }, |sum, &c| sum + c)
        / corners.len() as f64;
    let angle = |c: &Coord<f64>| (c.y - mean.y).atan2(c.x - mean.x);
    let mut corners = corners;
    corners.sort_by(|a, b| angle(a).total_cmp(&angle(b)));
    let mut positions: Vec<Coord<f64>> = (corners.iter())
        .map(|c| Coord {
            x: 120.2 + c.x * STEP,
            y: 30.2 + c.y * STEP,
        })
        .collect();
    if clockwise {
        positions.reverse();
    }
    positions.push(positions[0]);
    LineString(positions)
}

/// A ring of 3 to 6 corners within the box of `size` steps a side whose south-west corner is
/// `(west, south)`, wound either way.
fn ring_in(west: u8, south: u8, size: u8) -> impl Strategy<Value = LineString<f64>> {
    let corners = vec((0..=size, 0..=size), 3..=6);
    (corners, any::<bool>()).prop_map(move |(corners, clockwise)| {
        star_ring(
            corners
                .iter()
                .map(|&(x, y)| (west + x, south + y))
                .collect(),
            clockwise,
        )
    })
}

/// A ring in a random box: anywhere within 12 × 12 steps, or within `(west, south)`–(8, 8).
fn ring_within(west: u8, south: u8) -> impl Strategy<Value = LineString<f64>> {
    (west..8, south..8, 1..=8u8).prop_flat_map(|(w, s, size)| ring_in(w, s, size))
}

/// A polygon: a shell through the corners of the 8 × 8 box and up to three corners inside it
/// (notches), and up to two holes in smaller boxes within it; every ring wound either way.
fn polygon_with_holes() -> impl Strategy<Value = Vec<LineString<f64>>> {
    let notches = vec((1..8u8, 1..8u8), 0..=3);
    let shell = (notches, any::<bool>()).prop_map(|(notches, clockwise)| {
        star_ring(
            [(0, 0), (8, 0), (8, 8), (0, 8)]
                .into_iter()
                .chain(notches)
                .collect(),
            clockwise,
        )
    });
    let hole = (0..7u8, 0..7u8, 1..=4u8)
        .prop_flat_map(|(w, s, size)| ring_in(w, s, size.min(8 - w.max(s))));
    (shell, vec(hole, 0..=2))
        .prop_map(|(shell, holes)| std::iter::once(shell).chain(holes).collect())
}

/// One or two polygons: the first with holes, the second apart, touching, across, inside a
/// hole or overlapping, with a hole or not.
fn fence() -> impl Strategy<Value = Vec<Vec<LineString<f64>>>> {
    let second = (0..8u8, 0..8u8).prop_flat_map(|(w, s)| {
        (ring_within(w, s), vec(ring_within(w, s), 0..=1))
            .prop_map(|(shell, holes)| std::iter::once(shell).chain(holes).collect::<Vec<_>>())
    });
    (polygon_with_holes(), proptest::option::of(second))
        .prop_map(|(first, second)| std::iter::once(first).chain(second).collect())
}

/// What validation says about nesting, by geo's `relate`, checked in the order `Fence::new`
/// checks: each polygon's holes in turn (inside the shell, then apart from later holes), then
/// each pair of polygons.
fn nesting_by_relate(polygons: &[Vec<LineString<f64>>]) -> Option<FenceError> {
    let region = |ring: &LineString<f64>| Polygon::new(ring.clone(), vec![]);
    let insides_meet = |a: &Polygon<f64>, b: &Polygon<f64>| {
        a.relate(b).get(CoordPos::Inside, CoordPos::Inside) != Dimensions::Empty
    };
    for (p, rings) in polygons.iter().enumerate() {
        let shell = region(&rings[0]);
        for (h, hole) in rings.iter().enumerate().skip(1) {
            let hole = region(hole);
            let hole_ref = RingRef {
                polygon: p,
                ring: h,
            };
            if !shell.relate(&hole).is_contains() {
                return Some(FenceError::HoleOutsideShell { hole: hole_ref });
            }
            for (k, other) in rings.iter().enumerate().skip(h + 1) {
                if insides_meet(&hole, &region(other)) {
                    let b = RingRef {
                        polygon: p,
                        ring: k,
                    };
                    return Some(FenceError::HolesOverlap { a: hole_ref, b });
                }
            }
        }
    }
    let parts: Vec<Polygon<f64>> = (polygons.iter())
        .map(|rings| Polygon::new(rings[0].clone(), rings[1..].to_vec()))
        .collect();
    for (a, part) in parts.iter().enumerate() {
        for (b, other) in parts.iter().enumerate().skip(a + 1) {
            if insides_meet(part, other) {
                return Some(FenceError::PartsOverlap { a, b });
            }
        }
    }
    None
}

/// 10,000 fences a run, or `PROPTEST_CASES` when set (which `with_cases` alone would ignore).
fn cases() -> u32 {
    (std::env::var("PROPTEST_CASES").ok())
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(10_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn nesting_agrees_with_relate(polygons in fence()) {
        let limits = FenceLimits { min_area_m2: 0.0, ..FenceLimits::default() };
        let verdict = match Fence::new(polygons.clone(), &limits) {
            Ok(_) => None,
            Err(error @ (FenceError::HoleOutsideShell { .. }
            | FenceError::HolesOverlap { .. }
            | FenceError::PartsOverlap { .. })) => Some(error),
            // Refused before nesting is looked at: crossing, touching itself, too few corners.
            Err(_) => return Ok(()),
        };
        prop_assert_eq!(verdict, nesting_by_relate(&polygons));
    }
}
