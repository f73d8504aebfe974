//! A checked longitude/latitude pair: the one way coordinates enter the geofence module.

use std::fmt;

/// Why a longitude/latitude pair was refused.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum CoordError {
    /// The longitude is NaN, infinite, or outside -180..=180 degrees.
    #[error("longitude {0} is not a number of degrees in -180..=180")]
    Longitude(f64),
    /// The latitude is NaN, infinite, or outside -90..=90 degrees.
    #[error("latitude {0} is not a number of degrees in -90..=90")]
    Latitude(f64),
}

/// A position in degrees (longitude east, latitude north), finite and within range; which datum
/// (WGS-84 or GCJ-02) is up to the caller and the function names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LngLat {
    lng: f64,
    lat: f64,
}

impl LngLat {
    /// Checks `lng` (-180..=180 degrees) and `lat` (-90..=90 degrees); NaN and infinities are
    /// refused.
    pub fn new(lng: f64, lat: f64) -> Result<Self, CoordError> {
        if !(-180.0..=180.0).contains(&lng) {
            return Err(CoordError::Longitude(lng));
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(CoordError::Latitude(lat));
        }
        Ok(Self { lng, lat })
    }

    /// Longitude in degrees east.
    pub fn lng(self) -> f64 {
        self.lng
    }

    /// Latitude in degrees north.
    pub fn lat(self) -> f64 {
        self.lat
    }
}

impl fmt::Display for LngLat {
    /// `lng,lat` with 7 decimals (about 1 cm), the order GeoJSON and AMap use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.7},{:.7}", self.lng, self.lat)
    }
}
