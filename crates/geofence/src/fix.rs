//! A position fix from the phone, and the verdict a fence gives it.

use serde::{Deserialize, Serialize};

use super::{CoordError, LngLat};

/// Why a fix cannot be judged.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum FixError {
    /// The position is not a longitude/latitude in range.
    #[error("position: {0}")]
    Position(#[from] CoordError),
    /// The accuracy is NaN, infinite or negative.
    #[error("accuracy {0} m is not a radius: it must be a finite number of metres above 0")]
    AccuracyInvalid(f64),
    /// The accuracy is 0: browsers report no real fix that way, so the device gave no accuracy
    /// (or the position is simulated).
    #[error("accuracy 0 m: the device reported no accuracy, so the fence cannot be judged")]
    AccuracyZero,
    /// The accuracy radius is larger than the site allows.
    #[error(
        "accuracy {accuracy_m} m is worse than this site's limit of {cap_m} m; \
         wait for a better fix (outdoors, away from tall buildings)"
    )]
    AccuracyOverCap {
        /// The fix's accuracy radius, metres.
        accuracy_m: f64,
        /// The site's cap, metres.
        cap_m: f64,
    },
}

/// A position fix: WGS-84 position and the radius in metres within which the device believes
/// the truth lies (the W3C Geolocation API's `coords.accuracy`, 95 % confidence).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    position: LngLat,
    accuracy_m: f64,
}

impl Fix {
    /// Checks the position (degrees) and the accuracy (finite metres above 0).
    pub fn new(lng: f64, lat: f64, accuracy_m: f64) -> Result<Self, FixError> {
        let position = LngLat::new(lng, lat)?;
        if accuracy_m == 0.0 {
            return Err(FixError::AccuracyZero);
        }
        if !(accuracy_m.is_finite() && accuracy_m > 0.0) {
            return Err(FixError::AccuracyInvalid(accuracy_m));
        }
        Ok(Self {
            position,
            accuracy_m,
        })
    }

    /// The WGS-84 position.
    pub fn position(&self) -> LngLat {
        self.position
    }

    /// The accuracy radius, metres.
    pub fn accuracy_m(&self) -> f64 {
        self.accuracy_m
    }
}

/// Where a fix stands, given its accuracy.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Inside the fence and at least the accuracy radius from every boundary.
    Inside,
    /// Outside the fence (or in a hole) and at least the accuracy radius from every boundary.
    Outside,
    /// Within the accuracy radius of a boundary: the fix cannot tell.
    Uncertain,
}

/// A fence's answer for one fix; serialises as `{"verdict": "inside", "distanceM": 12.5}`.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// The verdict.
    pub verdict: Verdict,
    /// Distance in metres from the fix's position to the nearest boundary (edge of any shell or
    /// hole), whether inside or outside.
    pub distance_m: f64,
}
