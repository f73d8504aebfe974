//! Site fences as GeoJSON (RFC 7946), in WGS-84: a `Polygon`, a `MultiPolygon`, a `Feature` of
//! either, or a `FeatureCollection` of such features (their polygons together are the site).
//!
//! [`FenceGeoJson`] deserialises from any serde format (the relay and the browser both use
//! `serde_json`). Rings are kept exactly as written, not closed for the writer, so that
//! [`Fence::new`](super::Fence::new) can name an open ring. A feature may carry the site's
//! accuracy cap as `properties.maxAccuracyM` (metres).

use geo::{Coord, LineString};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

/// Why a GeoJSON value that parsed is still not a fence.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoJsonError {
    /// A `Feature` whose `geometry` is `null`.
    #[error("feature {feature} has no geometry; a fence feature needs a Polygon or MultiPolygon")]
    NoGeometry {
        /// The feature's index in its collection (0 for a lone feature).
        feature: usize,
    },
    /// `properties.maxAccuracyM` is not a positive number of metres.
    #[error(
        "feature {feature}: properties.maxAccuracyM must be a number of metres above 0, \
         got {value}"
    )]
    MaxAccuracy {
        /// The feature's index in its collection (0 for a lone feature).
        feature: usize,
        /// The value found.
        value: f64,
    },
}

/// A fence as GeoJSON gives it; deserialise it, then call [`FenceGeoJson::into_outline`].
/// Other geometry types (`Point`, `LineString`, …) are refused by the deserialiser with a message
/// naming the accepted ones.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct FenceGeoJson(Object);

/// The fence as drawn: not validated yet (see [`Fence::new`](super::Fence::new)).
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    /// Polygons, each a list of rings (the first the shell, the rest holes), each ring as
    /// written, WGS-84 degrees (x longitude, y latitude).
    pub polygons: Vec<Vec<LineString<f64>>>,
    /// The site's cap on a fix's accuracy radius, in metres, if a feature gave one (the smallest
    /// if several did).
    pub max_accuracy_m: Option<f64>,
}

impl FenceGeoJson {
    /// The polygons and accuracy cap this GeoJSON describes.
    pub fn into_outline(self) -> Result<Outline, GeoJsonError> {
        let mut outline = Outline {
            polygons: Vec::new(),
            max_accuracy_m: None,
        };
        match self.0 {
            Object::Polygon { coordinates } => outline.polygons.push(rings(coordinates)),
            Object::MultiPolygon { coordinates } => {
                outline.polygons.extend(coordinates.into_iter().map(rings))
            }
            Object::Feature(feature) => outline.add(0, feature)?,
            Object::FeatureCollection { features } => {
                for (index, OnlyFeature::Feature(feature)) in features.into_iter().enumerate() {
                    outline.add(index, feature)?;
                }
            }
        }
        Ok(outline)
    }
}

impl Outline {
    fn add(&mut self, index: usize, feature: Feature) -> Result<(), GeoJsonError> {
        let cap = feature.properties.and_then(|p| p.max_accuracy_m);
        if let Some(value) = cap {
            if !(value.is_finite() && value > 0.0) {
                return Err(GeoJsonError::MaxAccuracy {
                    feature: index,
                    value,
                });
            }
            self.max_accuracy_m = Some(self.max_accuracy_m.map_or(value, |m| m.min(value)));
        }
        match feature.geometry {
            None => return Err(GeoJsonError::NoGeometry { feature: index }),
            Some(Geometry::Polygon { coordinates }) => self.polygons.push(rings(coordinates)),
            Some(Geometry::MultiPolygon { coordinates }) => {
                self.polygons.extend(coordinates.into_iter().map(rings))
            }
        }
        Ok(())
    }
}

fn rings(polygon: Vec<Vec<Position>>) -> Vec<LineString<f64>> {
    let ring = |positions: Vec<Position>| positions.into_iter().map(|p| p.0).collect();
    polygon.into_iter().map(ring).collect()
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    tag = "type",
    expecting = "a GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection"
)]
enum Object {
    Polygon {
        coordinates: Vec<Vec<Position>>,
    },
    MultiPolygon {
        coordinates: Vec<Vec<Vec<Position>>>,
    },
    Feature(Feature),
    FeatureCollection {
        features: Vec<OnlyFeature>,
    },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", expecting = "a GeoJSON Polygon or MultiPolygon")]
enum Geometry {
    Polygon {
        coordinates: Vec<Vec<Position>>,
    },
    MultiPolygon {
        coordinates: Vec<Vec<Vec<Position>>>,
    },
}

/// A collection's member: the tag must say `Feature`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", expecting = "a GeoJSON Feature")]
enum OnlyFeature {
    Feature(Feature),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Feature {
    geometry: Option<Geometry>,
    #[serde(default)]
    properties: Option<Properties>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Properties {
    max_accuracy_m: Option<f64>,
}

/// A GeoJSON position: `[lng, lat]`, or `[lng, lat, altitude]` with the altitude ignored.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Position(Coord<f64>);

impl<'de> Deserialize<'de> for Position {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(PositionVisitor)
    }
}

struct PositionVisitor;

impl<'de> Visitor<'de> for PositionVisitor {
    type Value = Position;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a position [longitude, latitude] in degrees")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Position, A::Error> {
        let x: f64 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let y: f64 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(Position(Coord { x, y }))
    }
}
