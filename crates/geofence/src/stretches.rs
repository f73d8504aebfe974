//! Which side of another ring a ring's boundary runs on, for the nesting checks of
//! [`Fence::new`](super::Fence::new) once no two rings cross.
//!
//! Each edge of a ring is cut at the points where other rings touch it. A piece (a stretch)
//! then meets no other ring between its ends, so it lies wholly inside or wholly outside each
//! of them, and one point of it says which. The point is a corner of the ring where one is an
//! end and not on the other ring (corners are exact positions, judged with geo's robust
//! predicates, the same way DE-9IM `relate` judges them); only a stretch between two touches
//! falls back to its middle, a computed point.

use std::collections::BTreeMap;

use geo::coordinate_position::{coord_pos_relative_to_ring, CoordPos};
use geo::{Coord, Line, LineString, Polygon};

use super::validate::RingRef;

/// Where other rings touch each ring edge, keyed by the ring and the edge's index in it.
pub(super) type Contacts = BTreeMap<(RingRef, usize), Vec<Coord<f64>>>;

/// A piece of a ring's edge that meets no other ring between its ends.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stretch {
    from: Coord<f64>,
    to: Coord<f64>,
    /// Whether `from` is the ring's corner (exact), not a computed touch point.
    from_is_corner: bool,
    /// Whether `to` is the ring's corner.
    to_is_corner: bool,
}

impl Stretch {
    /// Where the stretch runs relative to `ring`: inside, outside, or on its boundary (only when
    /// no point of it says otherwise).
    pub(super) fn position(&self, ring: &LineString<f64>) -> CoordPos {
        let corners = [
            self.from_is_corner.then_some(self.from),
            self.to_is_corner.then_some(self.to),
        ];
        for corner in corners.into_iter().flatten() {
            match coord_pos_relative_to_ring(corner, ring) {
                CoordPos::OnBoundary => continue,
                side => return side,
            }
        }
        let middle = self.from + (self.to - self.from) / 2.0;
        coord_pos_relative_to_ring(middle, ring)
    }

    /// Whether the stretch runs inside the region of `polygon` (its shell less its holes).
    pub(super) fn runs_inside(&self, polygon: &Polygon<f64>) -> bool {
        self.position(polygon.exterior()) == CoordPos::Inside
            && (polygon.interiors().iter()).all(|hole| self.position(hole) == CoordPos::Outside)
    }
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

/// Appends to `stretches` the pieces of `line` cut at `touches` (points on it), in order.
fn cut(line: Line<f64>, touches: &[Coord<f64>], stretches: &mut Vec<Stretch>) {
    let delta = line.delta();
    let length_squared = delta.x * delta.x + delta.y * delta.y;
    // Where along the edge (0 at its start, 1 at its end) each touch lies, kept in order as they
    // come (an edge is touched at a few points at most).
    let mut along: Vec<f64> = Vec::with_capacity(touches.len());
    for touch in touches {
        let offset = *touch - line.start;
        let t = (offset.x * delta.x + offset.y * delta.y) / length_squared;
        along.insert(along.partition_point(|&a| a < t), t);
    }
    // Each end, and whether it is a corner.
    let mut ends = vec![(line.start, true)];
    ends.extend(along.into_iter().map(|t| (line.start + delta * t, false)));
    ends.push((line.end, true));
    stretches.extend(ends.windows(2).map(|pair| Stretch {
        from: pair[0].0,
        to: pair[1].0,
        from_is_corner: pair[0].1,
        to_is_corner: pair[1].1,
    }));
}
