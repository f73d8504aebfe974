//! A flat map in metres around a fence, for distances: east and north of a reference point,
//! scaled by the WGS-84 ellipsoid's radii of curvature there.
//!
//! The map is affine in longitude and latitude, so inside/outside is the same in degrees and in
//! metres. Distances within 10 km of the reference are right to about 0.1 % (the scale of a
//! degree of longitude drifts with latitude by tan(lat) × Δlat).

use geo::{Coord, Rect};

/// WGS-84 semi-major axis, metres.
const WGS84_A: f64 = 6_378_137.0;
/// WGS-84 first eccentricity squared.
const WGS84_E2: f64 = 0.006_694_379_990_14;

/// Metres east and north of a reference position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct LocalFrame {
    origin: Coord<f64>,
    metres_per_deg_lng: f64,
    metres_per_deg_lat: f64,
}

impl LocalFrame {
    /// The frame centred on `bounds` (WGS-84 degrees).
    pub(super) fn centred_on(bounds: Rect<f64>) -> Self {
        let origin = bounds.center();
        let lat = origin.y.to_radians();
        let w = (1.0 - WGS84_E2 * lat.sin().powi(2)).sqrt();
        let prime_vertical = WGS84_A / w;
        let meridional = WGS84_A * (1.0 - WGS84_E2) / (w * w * w);
        Self {
            origin,
            metres_per_deg_lng: (prime_vertical * lat.cos()).to_radians(),
            metres_per_deg_lat: meridional.to_radians(),
        }
    }

    /// Square metres on the map per square degree (longitude × latitude).
    pub(super) fn square_metres_per_square_degree(&self) -> f64 {
        self.metres_per_deg_lng * self.metres_per_deg_lat
    }

    /// `c` (WGS-84 degrees) as `[east, north]` metres from the origin.
    pub(super) fn metres(&self, c: Coord<f64>) -> [f64; 2] {
        [
            (c.x - self.origin.x) * self.metres_per_deg_lng,
            (c.y - self.origin.y) * self.metres_per_deg_lat,
        ]
    }
}
