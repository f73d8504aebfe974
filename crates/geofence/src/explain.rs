//! A refused fence explained the same way everywhere: a stable code, the numbers behind it
//! (which ring, counts, limits) and a plain Chinese message built from them. The relay's
//! `fence_invalid` refusal and the phone module's `checkFence` error both come from here, so
//! the manager page never translates English text or copies a limit.

use serde::Serialize;

use super::{FenceError, RingRef};

/// Where a fence problem is and its numbers, for a page to point at (JSON: camelCase, absent
/// members left out).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FenceErrorDetail {
    /// The stable code, as [`FenceError::code`].
    pub problem: &'static str,
    /// Index of the polygon (`coordinates[polygon]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polygon: Option<usize>,
    /// Index of the ring within it (0 the shell, the rest holes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ring: Option<usize>,
    /// Index of the position within the ring (a coordinate out of range).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// The other ring or polygon of a pair that cross or overlap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<RingRefDetail>,
    /// A count found (positions of a ring, vertices of the fence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// The limit it broke (most vertices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<usize>,
    /// The fence's area, square metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_m2: Option<f64>,
    /// The smallest area allowed, square metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_area_m2: Option<f64>,
    /// The largest area allowed, square metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_area_m2: Option<f64>,
    /// Where, `[lng, lat]` WGS-84 degrees (a crossing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<[f64; 2]>,
}

/// The other member of a pair: a ring, or a polygon (then `ring` is absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RingRefDetail {
    /// Index of the polygon.
    pub polygon: usize,
    /// Index of the ring, when the pair is of rings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ring: Option<usize>,
}

impl From<RingRef> for RingRefDetail {
    fn from(ring: RingRef) -> Self {
        Self {
            polygon: ring.polygon,
            ring: Some(ring.ring),
        }
    }
}

/// A ring in words: 第 1 个多边形的外边界 / 第 1 个多边形的第 2 个洞 (counting from 1, as people do).
fn ring_zh(ring: RingRef) -> String {
    if ring.ring == 0 {
        format!("第 {} 个多边形的外边界", ring.polygon + 1)
    } else {
        format!("第 {} 个多边形的第 {} 个洞", ring.polygon + 1, ring.ring)
    }
}

/// An area in words: square metres below one square kilometre, square kilometres from there.
fn area_zh(m2: f64) -> String {
    if m2 >= 1_000_000.0 {
        format!("{:.1} 平方公里", m2 / 1_000_000.0)
    } else {
        format!("{m2:.0} 平方米")
    }
}

impl FenceError {
    /// A stable machine name for the problem (`open_ring`, `self_intersection`, …): the same in
    /// the relay's refusals and in the phone module's `checkFence` errors.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoPolygon => "no_polygon",
            Self::NoRing { .. } => "no_ring",
            Self::Coordinate { .. } => "coordinate",
            Self::TooFewPositions { .. } => "too_few_positions",
            Self::OpenRing { .. } => "open_ring",
            Self::TooManyVertices { .. } => "too_many_vertices",
            Self::TooFewCorners { .. } => "too_few_corners",
            Self::SelfIntersection { .. } => "self_intersection",
            Self::RingsCross { .. } => "rings_cross",
            Self::HoleOutsideShell { .. } => "hole_outside_shell",
            Self::HolesOverlap { .. } => "holes_overlap",
            Self::PartsOverlap { .. } => "parts_overlap",
            Self::AreaOutOfBounds { .. } => "area_out_of_bounds",
        }
    }

    /// The problem's place and numbers.
    pub fn detail(&self) -> FenceErrorDetail {
        let at_ring = |ring: &RingRef| FenceErrorDetail {
            polygon: Some(ring.polygon),
            ring: Some(ring.ring),
            ..FenceErrorDetail::default()
        };
        let mut detail = match self {
            Self::NoPolygon => FenceErrorDetail::default(),
            Self::NoRing { polygon } => FenceErrorDetail {
                polygon: Some(*polygon),
                ..FenceErrorDetail::default()
            },
            Self::Coordinate { ring, index, .. } => FenceErrorDetail {
                index: Some(*index),
                ..at_ring(ring)
            },
            Self::OpenRing { ring, .. } | Self::TooFewCorners { ring } => at_ring(ring),
            Self::TooFewPositions { ring, count } => FenceErrorDetail {
                count: Some(*count),
                ..at_ring(ring)
            },
            Self::TooManyVertices { count, max } => FenceErrorDetail {
                count: Some(*count),
                max: Some(*max),
                ..FenceErrorDetail::default()
            },
            Self::SelfIntersection { ring, at } => FenceErrorDetail {
                at: Some([at.lng(), at.lat()]),
                ..at_ring(ring)
            },
            Self::RingsCross { a, b, at } => FenceErrorDetail {
                other: Some((*b).into()),
                at: Some([at.lng(), at.lat()]),
                ..at_ring(a)
            },
            Self::HoleOutsideShell { hole } => at_ring(hole),
            Self::HolesOverlap { a, b } => FenceErrorDetail {
                other: Some((*b).into()),
                ..at_ring(a)
            },
            Self::PartsOverlap { a, b } => FenceErrorDetail {
                polygon: Some(*a),
                other: Some(RingRefDetail {
                    polygon: *b,
                    ring: None,
                }),
                ..FenceErrorDetail::default()
            },
            Self::AreaOutOfBounds {
                area_m2,
                min_m2,
                max_m2,
            } => FenceErrorDetail {
                area_m2: Some(*area_m2),
                min_area_m2: Some(*min_m2),
                max_area_m2: Some(*max_m2),
                ..FenceErrorDetail::default()
            },
        };
        detail.problem = self.code();
        detail
    }

    /// Plain Chinese: what is wrong, where, and what to do, from the code and its numbers.
    pub fn message_zh(&self) -> String {
        match self {
            Self::NoPolygon => "还没有多边形：请先在地图上画出围栏".to_owned(),
            Self::NoRing { polygon } => {
                format!("第 {} 个多边形没有边界：请重新画这个多边形", polygon + 1)
            }
            Self::Coordinate { ring, index, .. } => format!(
                "{}的第 {} 个点不是有效的经纬度：请拖动或删除这个点",
                ring_zh(*ring),
                index + 1
            ),
            Self::TooFewPositions { ring, count } => format!(
                "{}只有 {count} 个点：至少需要 3 个角点再回到起点",
                ring_zh(*ring)
            ),
            Self::OpenRing { ring, .. } => {
                format!("{}没有闭合：最后一个点必须与第一个点相同", ring_zh(*ring))
            }
            Self::TooManyVertices { count, max } => {
                format!("顶点太多：有 {count} 个，最多 {max} 个。请简化围栏")
            }
            Self::TooFewCorners { ring } => {
                format!("{}的不同角点少于 3 个：请补画角点", ring_zh(*ring))
            }
            Self::SelfIntersection { ring, .. } => {
                format!("{}自相交或相碰：请拖动顶点，让边线不交叉", ring_zh(*ring))
            }
            Self::RingsCross { a, b, .. } => format!(
                "{}与{}交叉或重合：请调整洞或多边形",
                ring_zh(*a),
                ring_zh(*b)
            ),
            Self::HoleOutsideShell { hole } => {
                format!("{}不在外边界之内：请把洞画在围栏里面", ring_zh(*hole))
            }
            Self::HolesOverlap { a, b } => {
                format!("{}与{}重叠：请合并或分开这两个洞", ring_zh(*a), ring_zh(*b))
            }
            Self::PartsOverlap { a, b } => format!(
                "第 {} 个多边形与第 {} 个多边形重叠：请合并或分开",
                a + 1,
                b + 1
            ),
            Self::AreaOutOfBounds {
                area_m2,
                min_m2,
                max_m2,
            } => format!(
                "面积 {}，超出允许的 {} 至 {}：请调整围栏大小",
                area_zh(*area_m2),
                area_zh(*min_m2),
                area_zh(*max_m2)
            ),
        }
    }
}
