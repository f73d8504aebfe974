//! Location readings and the warning signs a browser can see in them.
//!
//! A phone may have two sources: the browser's `navigator.geolocation` (WGS-84) and, inside
//! WeChat, the JS-SDK's `wx.getLocation` (WGS-84 or GCJ-02, as asked). Faked or stale locations
//! are what users of existing systems complain about most; a browser cannot prove a fix genuine,
//! but it can notice the usual signs and keep them with the record for the manager.

use geo::{Distance, Haversine, Point};
use serde::{Deserialize, Serialize};

use zj_geofence::crs::gcj02_to_wgs84;
use zj_geofence::{Fix, FixError, LngLat};

/// Where a reading came from.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LocationSource {
    /// `navigator.geolocation` (always WGS-84).
    Browser,
    /// WeChat JS-SDK `wx.getLocation`.
    Wechat,
}

/// The coordinate system a reading is expressed in.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Crs {
    /// GPS coordinates.
    Wgs84,
    /// China's offset coordinates (AMap, Tencent maps, WeChat's default).
    Gcj02,
}

/// One fix as a source reported it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationReading {
    /// Which source.
    pub source: LocationSource,
    /// In which coordinate system `lng` and `lat` are.
    pub crs: Crs,
    /// Longitude, degrees.
    pub lng: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Radius of 68 % confidence, metres, as reported.
    pub accuracy_m: f64,
    /// When the source says the fix was taken, epoch milliseconds (device clock).
    pub fix_time_ms: i64,
}

/// A sign that a location may not be genuine or current.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum LocationWarning {
    /// The fix is older than the policy allows.
    #[serde(rename_all = "camelCase")]
    StaleFix {
        /// Age of the fix when the record was made, milliseconds.
        age_ms: i64,
    },
    /// An accuracy of exactly 0 m: no real receiver reports that; mock-location apps do.
    ZeroAccuracy,
    /// The same accuracy, to the centimetre, in several fixes in a row: real fixes vary.
    #[serde(rename_all = "camelCase")]
    RepeatedAccuracy {
        /// The repeated value, metres.
        accuracy_m: f64,
        /// How many fixes in a row reported it.
        count: usize,
    },
    /// The two sources place the phone further apart than their accuracies allow.
    #[serde(rename_all = "camelCase")]
    SourcesDisagree {
        /// Distance between the sources' positions, metres.
        distance_m: f64,
    },
    /// Reaching here from the last record's place would need an impossible speed.
    #[serde(rename_all = "camelCase")]
    ImpossibleSpeed {
        /// Speed needed, metres per second.
        speed_mps: f64,
        /// Distance from the last record's place, metres.
        distance_m: f64,
    },
}

/// Where the last record was made, for the speed check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastPlace {
    /// WGS-84 longitude, degrees.
    pub lng: f64,
    /// WGS-84 latitude, degrees.
    pub lat: f64,
    /// The record's time, epoch milliseconds.
    pub time_ms: i64,
}

/// The thresholds of the warnings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocationPolicy {
    /// A fix older than this is stale, milliseconds (default 30 s).
    pub max_fix_age_ms: i64,
    /// Faster than this since the last record is impossible, metres per second (default
    /// 70 m/s, 252 km/h: faster than any road; a high-speed train is not a commute to a site).
    pub max_speed_mps: f64,
    /// This many equal accuracies in a row are suspicious (default 3).
    pub repeated_accuracy_count: usize,
    /// Sources may disagree by their two accuracies plus this, metres (default 30).
    pub disagreement_margin_m: f64,
}

impl Default for LocationPolicy {
    fn default() -> Self {
        LocationPolicy {
            max_fix_age_ms: 30_000,
            max_speed_mps: 70.0,
            repeated_accuracy_count: 3,
            disagreement_margin_m: 30.0,
        }
    }
}

/// A location as a record keeps it: WGS-84, with its provenance and warnings.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Located {
    /// The source of the position used.
    pub source: LocationSource,
    /// The coordinate system that source reported in (the position here is WGS-84).
    pub source_crs: Crs,
    /// WGS-84 longitude, degrees.
    pub lng: f64,
    /// WGS-84 latitude, degrees.
    pub lat: f64,
    /// Accuracy radius, metres.
    pub accuracy_m: f64,
    /// Age of the fix when the record was made, milliseconds.
    pub fix_age_ms: i64,
    /// Every warning sign seen; empty when none.
    pub warnings: Vec<LocationWarning>,
}

impl Located {
    /// The fix to check against a fence.
    pub fn fix(&self) -> Result<Fix, FixError> {
        Fix::new(self.lng, self.lat, self.accuracy_m)
    }

    /// Where this record was made, for the next record's speed check.
    pub fn place(&self, time_ms: i64) -> LastPlace {
        LastPlace {
            lng: self.lng,
            lat: self.lat,
            time_ms,
        }
    }
}

/// Why no location could be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LocationError {
    /// No source gave a reading.
    #[error("没有取得定位。请打开手机的定位服务并允许本页面使用位置，然后重试。")]
    NoReading,
    /// A reading's coordinates or accuracy are not numbers in range.
    #[error("定位数据无效（{0}），请重试。")]
    Invalid(String),
}

/// Picks the most accurate reading, converts it to WGS-84 and lists the warning signs.
///
/// `recent_accuracies` are the accuracies of the fixes seen just before (oldest first) from the
/// same source as the chosen one; `last` is where the previous record was made; `now_ms` is the
/// device clock.
pub fn assess(
    readings: &[LocationReading],
    recent_accuracies: &[f64],
    last: Option<&LastPlace>,
    now_ms: i64,
    policy: &LocationPolicy,
) -> Result<Located, LocationError> {
    let positions = readings
        .iter()
        .map(|reading| Ok((reading, to_wgs84(reading)?)))
        .collect::<Result<Vec<_>, LocationError>>()?;
    let (chosen, position) = positions
        .iter()
        .min_by(|a, b| a.0.accuracy_m.total_cmp(&b.0.accuracy_m))
        .ok_or(LocationError::NoReading)?;

    let fix_age_ms = now_ms.saturating_sub(chosen.fix_time_ms).max(0);
    let mut warnings = Vec::new();
    if fix_age_ms > policy.max_fix_age_ms {
        warnings.push(LocationWarning::StaleFix { age_ms: fix_age_ms });
    }
    if chosen.accuracy_m == 0.0 {
        warnings.push(LocationWarning::ZeroAccuracy);
    }
    let repeats = 1 + recent_accuracies
        .iter()
        .rev()
        .take_while(|accuracy| (*accuracy - chosen.accuracy_m).abs() < 0.01)
        .count();
    if repeats >= policy.repeated_accuracy_count {
        warnings.push(LocationWarning::RepeatedAccuracy {
            accuracy_m: chosen.accuracy_m,
            count: repeats,
        });
    }
    for (other, other_position) in &positions {
        if other.source != chosen.source {
            let distance_m = metres_between(*position, *other_position);
            let allowed = chosen.accuracy_m + other.accuracy_m + policy.disagreement_margin_m;
            if distance_m > allowed {
                warnings.push(LocationWarning::SourcesDisagree { distance_m });
            }
        }
    }
    if let Some(last) = last {
        let distance_m = metres_between(*position, (last.lng, last.lat));
        // The accuracy radius is slack: a jitter of a few metres is not travel.
        let travelled_m = (distance_m - chosen.accuracy_m).max(0.0);
        let seconds = (now_ms.saturating_sub(last.time_ms)).max(1) as f64 / 1000.0;
        let speed_mps = travelled_m / seconds;
        if speed_mps > policy.max_speed_mps {
            warnings.push(LocationWarning::ImpossibleSpeed {
                speed_mps,
                distance_m,
            });
        }
    }
    Ok(Located {
        source: chosen.source,
        source_crs: chosen.crs,
        lng: position.0,
        lat: position.1,
        accuracy_m: chosen.accuracy_m,
        fix_age_ms,
        warnings,
    })
}

/// A reading's position in WGS-84, validated.
fn to_wgs84(reading: &LocationReading) -> Result<(f64, f64), LocationError> {
    if !reading.accuracy_m.is_finite() || reading.accuracy_m < 0.0 {
        return Err(LocationError::Invalid(format!(
            "accuracy {} m",
            reading.accuracy_m
        )));
    }
    let point = LngLat::new(reading.lng, reading.lat)
        .map_err(|error| LocationError::Invalid(error.to_string()))?;
    let wgs84 = match reading.crs {
        Crs::Wgs84 => point,
        Crs::Gcj02 => gcj02_to_wgs84(point),
    };
    Ok((wgs84.lng(), wgs84.lat()))
}

/// Great-circle distance between two WGS-84 positions, metres.
fn metres_between(a: (f64, f64), b: (f64, f64)) -> f64 {
    Haversine.distance(Point::new(a.0, a.1), Point::new(b.0, b.1))
}
