//! A validated site fence, and the limits it is validated against.

use geo::orient::Direction;
use geo::{LineString, MultiPolygon, Orient, Polygon};

use super::validate::{self, FenceError};

/// What a fence may be. The defaults suit construction sites: from a 10 m × 10 m compound to a
/// 20 km² project, drawn by hand or traced from a survey.
#[derive(Debug, Clone, PartialEq)]
pub struct FenceLimits {
    /// Most vertices over all rings (each ring's closing repeat not counted). Default 5,000.
    pub max_vertices: usize,
    /// Smallest area in square metres (shells minus holes, on the fence's local flat map, which
    /// is within about 0.05 % of the WGS-84 ellipsoid at site sizes). Default 100.
    pub min_area_m2: f64,
    /// Largest area in square metres. Default 20,000,000 (20 km²).
    pub max_area_m2: f64,
}

impl Default for FenceLimits {
    fn default() -> Self {
        Self {
            max_vertices: 5_000,
            min_area_m2: 100.0,
            max_area_m2: 20_000_000.0,
        }
    }
}

/// A site's fence: one or more polygons with holes, in WGS-84 degrees, known to be valid (closed
/// simple rings, holes inside their shell and apart, parts apart, within [`FenceLimits`]), with
/// shells counter-clockwise and holes clockwise.
#[derive(Debug, Clone, PartialEq)]
pub struct Fence {
    polygons: MultiPolygon<f64>,
    area_m2: f64,
}

impl Fence {
    /// Validates `polygons` (each a list of rings, the first the shell, the rest holes, each ring
    /// closed by repeating its first position, x longitude and y latitude in WGS-84 degrees)
    /// against `limits`. Rings may wind either way; repeated consecutive positions are dropped.
    /// The first problem found is returned, naming the ring and, for crossings, the place.
    pub fn new(
        polygons: Vec<Vec<LineString<f64>>>,
        limits: &FenceLimits,
    ) -> Result<Self, FenceError> {
        validate::rings(&polygons, limits)?;
        let polygons = MultiPolygon(polygons.into_iter().map(polygon).collect());
        validate::corners(&polygons)?;
        let contacts = validate::crossings(&polygons)?;
        validate::nesting(&polygons, &contacts)?;
        let area_m2 = validate::area_m2(&polygons, limits)?;
        let polygons = polygons.orient(Direction::Default);
        Ok(Self { polygons, area_m2 })
    }

    /// The polygons, WGS-84 degrees, shells counter-clockwise and holes clockwise.
    pub fn multi_polygon(&self) -> &MultiPolygon<f64> {
        &self.polygons
    }

    /// Area in square metres, holes excluded (on the fence's local flat map: within about
    /// 0.05 % of the WGS-84 ellipsoid for a fence up to 20 km²).
    pub fn area_m2(&self) -> f64 {
        self.area_m2
    }
}

/// A polygon of rings already checked closed, with repeated consecutive positions dropped.
fn polygon(mut rings: Vec<LineString<f64>>) -> Polygon<f64> {
    for ring in &mut rings {
        ring.0.dedup();
    }
    let mut rings = rings.into_iter();
    let shell = rings
        .next()
        .expect("validate::rings refuses a polygon without rings");
    Polygon::new(shell, rings.collect())
}
