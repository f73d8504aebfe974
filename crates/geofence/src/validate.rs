//! The checks behind [`Fence::new`](super::Fence::new), cheapest first, each failure naming the
//! ring (by its indices in the GeoJSON `coordinates`) and, for crossings, where.

use std::fmt;

use geo::coordinate_position::CoordPos;
use geo::line_intersection::LineIntersection;
use geo::sweep::{Cross, Intersections};
use geo::{Area, BoundingRect, Coord, Intersects, Line, LineString, MultiPolygon, Polygon};

use super::fence::FenceLimits;
use super::local_frame::LocalFrame;
use super::stretches::{self, Contacts, Stretch};
use super::{CoordError, LngLat};

/// A ring of a fence: `coordinates[polygon][ring]` of a GeoJSON MultiPolygon (a Polygon is
/// polygon 0; a FeatureCollection's polygons are numbered across its features in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RingRef {
    /// Index of the polygon.
    pub polygon: usize,
    /// Index of the ring within it: 0 is the shell, the rest are holes.
    pub ring: usize,
}

impl fmt::Display for RingRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let role = if self.ring == 0 { "shell" } else { "hole" };
        write!(f, "polygon {} ring {} ({role})", self.polygon, self.ring)
    }
}

/// Why a fence was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FenceError {
    /// No polygon at all.
    #[error("the fence has no polygon")]
    NoPolygon,
    /// A polygon without rings.
    #[error("polygon {polygon} has no rings; it needs at least a shell")]
    NoRing {
        /// Index of the polygon.
        polygon: usize,
    },
    /// A position that is not a longitude/latitude in range.
    #[error("{ring} position {index}: {problem}")]
    Coordinate {
        /// The ring.
        ring: RingRef,
        /// Index of the position in the ring.
        index: usize,
        /// What is wrong with it.
        problem: CoordError,
    },
    /// Fewer than 4 positions (a triangle and its closing repeat).
    #[error(
        "{ring} has {count} positions; a ring needs at least 4 (3 corners, then the first again)"
    )]
    TooFewPositions {
        /// The ring.
        ring: RingRef,
        /// Positions found.
        count: usize,
    },
    /// The last position is not the first: GeoJSON rings are closed explicitly.
    #[error(
        "{ring} is open: it starts at {first} but ends at {last}; \
         repeat the first position at the end"
    )]
    OpenRing {
        /// The ring.
        ring: RingRef,
        /// Its first position.
        first: LngLat,
        /// Its last position.
        last: LngLat,
    },
    /// More vertices than [`FenceLimits::max_vertices`].
    #[error("the fence has {count} vertices, more than the limit of {max}")]
    TooManyVertices {
        /// Vertices found (closing repeats not counted).
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Fewer than 3 distinct corners once repeated positions are dropped.
    #[error("{ring} has fewer than 3 distinct corners")]
    TooFewCorners {
        /// The ring.
        ring: RingRef,
    },
    /// A ring that crosses or touches itself, or doubles back along itself.
    #[error("{ring} crosses or touches itself near {at}")]
    SelfIntersection {
        /// The ring.
        ring: RingRef,
        /// Where (WGS-84).
        at: LngLat,
    },
    /// Two rings that cross, or share a stretch of boundary (touching at points is allowed);
    /// `a` is the one that comes first in the GeoJSON.
    #[error("{a} and {b} cross or share a stretch of boundary near {at}")]
    RingsCross {
        /// One ring.
        a: RingRef,
        /// The other.
        b: RingRef,
        /// Where (WGS-84).
        at: LngLat,
    },
    /// A hole not inside its polygon's shell.
    #[error("{hole} lies outside its shell")]
    HoleOutsideShell {
        /// The hole.
        hole: RingRef,
    },
    /// Two holes of one polygon that overlap (one inside the other).
    #[error("{a} and {b} overlap")]
    HolesOverlap {
        /// One hole.
        a: RingRef,
        /// The other.
        b: RingRef,
    },
    /// Two polygons whose insides overlap (a part inside another's hole is fine).
    #[error("polygons {a} and {b} overlap")]
    PartsOverlap {
        /// One polygon's index.
        a: usize,
        /// The other's.
        b: usize,
    },
    /// Area outside [`FenceLimits::min_area_m2`]..=[`FenceLimits::max_area_m2`].
    #[error(
        "the fence's area is {area_m2:.0} m², outside the allowed {min_m2:.0}..={max_m2:.0} m²"
    )]
    AreaOutOfBounds {
        /// Area found, square metres.
        area_m2: f64,
        /// The smallest allowed.
        min_m2: f64,
        /// The largest allowed.
        max_m2: f64,
    },
}

/// Rings as written: present, positions in range, at least 4, closed; then the vertex count.
pub(super) fn rings(
    polygons: &[Vec<LineString<f64>>],
    limits: &FenceLimits,
) -> Result<(), FenceError> {
    if polygons.is_empty() {
        return Err(FenceError::NoPolygon);
    }
    let mut vertices = 0;
    for (p, rings) in polygons.iter().enumerate() {
        if rings.is_empty() {
            return Err(FenceError::NoRing { polygon: p });
        }
        for (r, ring) in rings.iter().enumerate() {
            vertices += ring_as_written(
                RingRef {
                    polygon: p,
                    ring: r,
                },
                ring,
            )?;
        }
    }
    if vertices > limits.max_vertices {
        return Err(FenceError::TooManyVertices {
            count: vertices,
            max: limits.max_vertices,
        });
    }
    Ok(())
}

/// Checks one ring as written; returns its vertex count (positions less the closing repeat).
fn ring_as_written(ring: RingRef, positions: &LineString<f64>) -> Result<usize, FenceError> {
    let position = |index: usize| {
        let c = positions.0[index];
        LngLat::new(c.x, c.y).map_err(|problem| FenceError::Coordinate {
            ring,
            index,
            problem,
        })
    };
    let count = positions.0.len();
    for index in 0..count {
        position(index)?;
    }
    if count < 4 {
        return Err(FenceError::TooFewPositions { ring, count });
    }
    let (first, last) = (position(0)?, position(count - 1)?);
    if first != last {
        return Err(FenceError::OpenRing { ring, first, last });
    }
    Ok(count - 1)
}

/// Every ring (closed, repeats dropped) has at least 3 distinct corners.
pub(super) fn corners(polygons: &MultiPolygon<f64>) -> Result<(), FenceError> {
    for (ring, line_string) in all_rings(polygons) {
        // Closed and without consecutive repeats, so n positions are n - 1 corners unless some
        // corner comes back later, as in a-b-a-b-a; the crossing check refuses those.
        if line_string.0.len() < 4 {
            return Err(FenceError::TooFewCorners { ring });
        }
    }
    Ok(())
}

/// No ring crosses or touches itself; no two rings cross or share a stretch of boundary. One
/// sweep over all edges (geo's simplified Bentley–Ottmann), so it is O(n log n) on real fences.
/// Returns the points where rings touch (allowed, and needed by [`nesting`]).
pub(super) fn crossings(polygons: &MultiPolygon<f64>) -> Result<Contacts, FenceError> {
    let edges = all_rings(polygons).flat_map(|(ring, line_string)| {
        let count = line_string.0.len() - 1;
        (line_string.lines().enumerate()).map(move |(index, line)| RingEdge {
            line,
            ring,
            index,
            count,
        })
    });
    let mut contacts = Contacts::new();
    for (a, b, hit) in Intersections::from_iter(edges) {
        let at = match hit {
            LineIntersection::SinglePoint { intersection, .. } => intersection,
            LineIntersection::Collinear { intersection } => intersection.start,
        };
        let single = matches!(hit, LineIntersection::SinglePoint { .. });
        if a.ring == b.ring {
            if !(single && a.follows_or_precedes(&b)) {
                let at = place(at);
                return Err(FenceError::SelfIntersection { ring: a.ring, at });
            }
        } else if hit.is_proper() || !single {
            let (a, b) = (a.ring.min(b.ring), a.ring.max(b.ring));
            return Err(FenceError::RingsCross {
                a,
                b,
                at: place(at),
            });
        } else {
            for edge in [&a, &b] {
                contacts
                    .entry((edge.ring, edge.index))
                    .or_default()
                    .push(at);
            }
        }
    }
    Ok(contacts)
}

/// Holes inside their shell and apart; polygons apart; touching at points is allowed.
///
/// Rings no longer cross here, so each stretch of a ring between the points where other rings
/// touch it lies wholly inside or wholly outside every other ring (see [`stretches`]). Insides
/// overlap exactly when some stretch of one boundary runs inside the other region (boundaries
/// that coincide were refused as crossings).
pub(super) fn nesting(polygons: &MultiPolygon<f64>, contacts: &Contacts) -> Result<(), FenceError> {
    // The stretches of every ring, as `stretches[polygon][ring]`.
    let stretches: Vec<Vec<Vec<Stretch>>> = (polygons.iter().enumerate())
        .map(|(p, polygon)| {
            let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
            (rings.enumerate())
                .map(|(r, ring)| {
                    stretches::stretches(
                        RingRef {
                            polygon: p,
                            ring: r,
                        },
                        ring,
                        contacts,
                    )
                })
                .collect()
        })
        .collect();
    // Whether any of a ring's stretches runs on `side` of `ring`.
    let runs = |of: &[Stretch], side: CoordPos, ring: &LineString<f64>| {
        of.iter().any(|stretch| stretch.position(ring) == side)
    };
    for (p, polygon) in polygons.iter().enumerate() {
        let holes = polygon.interiors();
        for (h, hole) in holes.iter().enumerate() {
            let hole_ref = RingRef {
                polygon: p,
                ring: h + 1,
            };
            if runs(&stretches[p][h + 1], CoordPos::Outside, polygon.exterior()) {
                return Err(FenceError::HoleOutsideShell { hole: hole_ref });
            }
            for (k, other) in holes.iter().enumerate().skip(h + 1) {
                if runs(&stretches[p][h + 1], CoordPos::Inside, other)
                    || runs(&stretches[p][k + 1], CoordPos::Inside, hole)
                {
                    let b = RingRef {
                        polygon: p,
                        ring: k + 1,
                    };
                    return Err(FenceError::HolesOverlap { a: hole_ref, b });
                }
            }
        }
    }
    // Whether any ring of a part (its stretches, ring by ring) runs inside `polygon`.
    let part_runs_inside = |rings: &[Vec<Stretch>], polygon: &Polygon<f64>| {
        (rings.iter().flatten()).any(|stretch| stretch.runs_inside(polygon))
    };
    for (a, polygon) in polygons.iter().enumerate() {
        for (b, other) in polygons.iter().enumerate().skip(a + 1) {
            if boxes_meet(polygon, other)
                && (part_runs_inside(&stretches[b], polygon)
                    || part_runs_inside(&stretches[a], other))
            {
                return Err(FenceError::PartsOverlap { a, b });
            }
        }
    }
    Ok(())
}

/// Area in square metres on the fence's local flat map (within about 0.05 % of the WGS-84
/// ellipsoid for a fence up to the default 20 km²), checked against the limits.
pub(super) fn area_m2(
    polygons: &MultiPolygon<f64>,
    limits: &FenceLimits,
) -> Result<f64, FenceError> {
    let bounds = polygons
        .bounding_rect()
        .expect("validate::rings refuses a fence without positions");
    let area_m2 =
        polygons.unsigned_area() * LocalFrame::centred_on(bounds).square_metres_per_square_degree();
    if !(limits.min_area_m2..=limits.max_area_m2).contains(&area_m2) {
        return Err(FenceError::AreaOutOfBounds {
            area_m2,
            min_m2: limits.min_area_m2,
            max_m2: limits.max_area_m2,
        });
    }
    Ok(area_m2)
}

/// An intersection point as a position. It lies between valid positions; the clamp only guards
/// against rounding at ±180° and ±90°.
fn place(c: Coord<f64>) -> LngLat {
    LngLat::new(c.x.clamp(-180.0, 180.0), c.y.clamp(-90.0, 90.0))
        .expect("a finite point clamped into range")
}

/// Whether two polygons' bounding boxes meet.
fn boxes_meet(a: &Polygon<f64>, b: &Polygon<f64>) -> bool {
    match (a.bounding_rect(), b.bounding_rect()) {
        (Some(a), Some(b)) => a.intersects(&b),
        _ => false,
    }
}

/// Every ring with its reference, shells first within each polygon.
fn all_rings(
    polygons: &MultiPolygon<f64>,
) -> impl Iterator<Item = (RingRef, &LineString<f64>)> + '_ {
    polygons.iter().enumerate().flat_map(|(p, polygon)| {
        let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
        rings.enumerate().map(move |(r, ring)| {
            (
                RingRef {
                    polygon: p,
                    ring: r,
                },
                ring,
            )
        })
    })
}

/// An edge with the ring it belongs to, for the crossing sweep.
#[derive(Debug, Clone)]
struct RingEdge {
    line: Line<f64>,
    ring: RingRef,
    /// Index of the edge within its ring.
    index: usize,
    /// Edges in the ring.
    count: usize,
}

impl RingEdge {
    /// Whether the two edges of one ring are neighbours (share a corner by construction).
    fn follows_or_precedes(&self, other: &RingEdge) -> bool {
        (self.index + 1) % self.count == other.index || (other.index + 1) % self.count == self.index
    }
}

impl Cross for RingEdge {
    type Scalar = f64;

    fn line(&self) -> Line<f64> {
        self.line
    }
}
