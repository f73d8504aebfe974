//! Which side of another ring a ring's boundary runs on, for the nesting checks of
//! [`Fence::new`](super::Fence::new) once no two rings cross.
//!
//! Each edge of a ring is cut at the points where other rings touch it. A piece (a stretch)
//! then meets no other ring between its ends, so it lies wholly inside or wholly outside each
//! of them. Every end is an exact position: a corner of the ring, or a touch, which is a corner
//! of one of the two rings lying exactly on the other's edge (geo reports a touch as that
//! corner, found with robust predicates). So the side is decided exactly, the way DE-9IM
//! `relate` decides it: from an end that is not on the other ring, or, when both ends are on
//! it, from the direction in which the stretch leaves its start. No computed point is judged;
//! a rounded middle can fall on the wrong side of a sliver a few ulps wide.

use std::collections::BTreeMap;

use geo::coordinate_position::{coord_pos_relative_to_ring, CoordPos};
use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{Coord, Line, LineString, Polygon, Winding};

use super::validate::RingRef;

/// Where other rings touch each ring edge, keyed by the ring and the edge's index in it.
pub(super) type Contacts = BTreeMap<(RingRef, usize), Vec<Coord<f64>>>;

/// A piece of a ring's edge that meets no other ring between its ends, both exact positions.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stretch {
    from: Coord<f64>,
    to: Coord<f64>,
}

impl Stretch {
    /// Where the stretch runs relative to `ring` (simple, not crossed by the stretch): inside
    /// or outside; on its boundary only for a ring too degenerate to have a side.
    pub(super) fn position(&self, ring: &LineString<f64>) -> CoordPos {
        for end in [self.from, self.to] {
            match coord_pos_relative_to_ring(end, ring) {
                CoordPos::OnBoundary => continue,
                side => return side,
            }
        }
        leaving(self.from, self.to, ring)
    }

    /// Whether the stretch runs inside the region of `polygon` (its shell less its holes).
    pub(super) fn runs_inside(&self, polygon: &Polygon<f64>) -> bool {
        self.position(polygon.exterior()) == CoordPos::Inside
            && (polygon.interiors().iter()).all(|hole| self.position(hole) == CoordPos::Outside)
    }
}

/// The side of `ring` on which a segment from `a`, a point of the ring's boundary, towards `b`
/// starts, given that the segment meets the ring nowhere else near `a` (it neither runs along
/// an edge nor leaves exactly along one). Exact: robust orientations of positions only.
fn leaving(a: Coord<f64>, b: Coord<f64>, ring: &LineString<f64>) -> CoordPos {
    let corners = &ring.0[..ring.0.len().saturating_sub(1)];
    let n = corners.len();
    // The ring's boundary just before and just after `a`: the corners either side of it, or
    // the ends of the edge it lies on.
    let (before, after) = match corners.iter().position(|&c| c == a) {
        Some(i) => (corners[(i + n - 1) % n], corners[(i + 1) % n]),
        None => match ring.lines().find(|line| on_segment(a, *line)) {
            Some(line) => (line.start, line.end),
            None => return CoordPos::OnBoundary,
        },
    };
    // Taken counter-clockwise round the ring, so that inside is on the left.
    let (before, after) = if ring.is_cw() {
        (after, before)
    } else {
        (before, after)
    };
    let left = |p, q| RobustKernel::orient2d(p, q, b) == Orientation::CounterClockwise;
    // Where the boundary turns left at `a` (or goes straight on), inside is left of both edges;
    // where it turns right, left of either.
    let inside = match RobustKernel::orient2d(before, a, after) {
        Orientation::Clockwise => left(before, a) || left(a, after),
        Orientation::CounterClockwise | Orientation::Collinear => left(before, a) && left(a, after),
    };
    if inside {
        CoordPos::Inside
    } else {
        CoordPos::Outside
    }
}

/// Whether `p` lies on `line`, exactly.
fn on_segment(p: Coord<f64>, line: Line<f64>) -> bool {
    let within = |v: f64, s: f64, e: f64| s.min(e) <= v && v <= s.max(e);
    RobustKernel::orient2d(line.start, line.end, p) == Orientation::Collinear
        && within(p.x, line.start.x, line.end.x)
        && within(p.y, line.start.y, line.end.y)
}

/// The stretches of `positions`, ring `ring` of the fence, cut where `contacts` say other
/// rings touch it.
pub(super) fn stretches(
    ring: RingRef,
    positions: &LineString<f64>,
    contacts: &Contacts,
) -> Vec<Stretch> {
    let mut stretches = Vec::with_capacity(positions.0.len());
    for (index, line) in positions.lines().enumerate() {
        let touches = contacts.get(&(ring, index)).map_or(&[][..], Vec::as_slice);
        cut(line, touches, &mut stretches);
    }
    stretches
}

/// Appends to `stretches` the pieces of `line` cut at `touches` (exact points on it), in order.
/// Touches at the edge's own corners cut nothing.
fn cut(line: Line<f64>, touches: &[Coord<f64>], stretches: &mut Vec<Stretch>) {
    // Points exactly on a segment are in order along it by the coordinate that changes most
    // (exactly: no two distinct ones share it), ascending or descending as the edge runs.
    let delta = line.delta();
    let along = |c: &Coord<f64>| match (delta.x.abs() >= delta.y.abs(), delta.x >= 0.0) {
        (true, true) => c.x,
        (true, false) => -c.x,
        (false, _) if delta.y >= 0.0 => c.y,
        (false, _) => -c.y,
    };
    let mut ends: Vec<Coord<f64>> = (touches.iter())
        .filter(|&&touch| touch != line.start && touch != line.end)
        .copied()
        .collect();
    ends.sort_by(|a, b| along(a).total_cmp(&along(b)));
    ends.dedup();
    ends.insert(0, line.start);
    ends.push(line.end);
    stretches.extend(ends.windows(2).map(|pair| Stretch {
        from: pair[0],
        to: pair[1],
    }));
}
