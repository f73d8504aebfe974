//! Face landmarks from a model on the page, when there is one, and the checks they sharpen:
//! blink by the eye aspect ratio, turn by a yaw proxy. Coordinates are frame pixels of the
//! camera's unmirrored frame.

use serde::{Deserialize, Serialize};

use super::frame::Frame;
use super::motion::{there_and_back, Excursion};

/// A point in frame pixels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Pixels from the left.
    pub x: f32,
    /// Pixels from the top.
    pub y: f32,
}

/// The landmarks the checks use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceLandmarks {
    /// Both eyes, six points each in the order of the 68-point scheme (p1 outer corner, p2 and
    /// p3 upper lid, p4 inner corner, p5 and p6 lower lid).
    pub eyes: [[Point; 6]; 2],
    /// The tip of the nose.
    pub nose_tip: Point,
    /// The face contour's leftmost point in the frame (at eye height).
    pub face_left: Point,
    /// The face contour's rightmost point in the frame (at eye height).
    pub face_right: Point,
}

/// Anything that finds landmarks in a frame: a face-landmark model, or a JS callback.
pub trait LandmarkSource {
    /// Landmarks of the face in `frame` at `t_ms`, or `None` when no face is found.
    fn landmarks(&mut self, frame: &Frame<'_>, t_ms: f64) -> Option<FaceLandmarks>;
}

/// No landmark model: the region checks decide alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLandmarks;

impl LandmarkSource for NoLandmarks {
    fn landmarks(&mut self, _frame: &Frame<'_>, _t_ms: f64) -> Option<FaceLandmarks> {
        None
    }
}

/// Eye aspect ratio (Soukupová and Čech, 2016): (|p2−p6| + |p3−p5|) / (2 |p1−p4|). About 0.3
/// open, under 0.15 closed; 0 for a degenerate eye.
pub fn eye_aspect_ratio(eye: &[Point; 6]) -> f32 {
    let d = |a: Point, b: Point| (a.x - b.x).hypot(a.y - b.y);
    let width = d(eye[0], eye[3]);
    if width <= f32::EPSILON {
        return 0.0;
    }
    (d(eye[1], eye[5]) + d(eye[2], eye[4])) / (2.0 * width)
}

/// Yaw proxy: where the nose tip sits between the face's edges, −0.5..=0.5 (0 facing the camera,
/// positive when the nose is towards +x, i.e. the worker turned to their left). 0 for a
/// degenerate face.
pub fn yaw_proxy(face: &FaceLandmarks) -> f32 {
    let width = face.face_right.x - face.face_left.x;
    if width <= f32::EPSILON {
        return 0.0;
    }
    ((face.nose_tip.x - face.face_left.x) / width - 0.5).clamp(-0.5, 0.5)
}

/// Baseline span of the landmark checks, milliseconds.
pub(crate) const BASELINE_MS: f64 = 300.0;
/// Relative eye closing that counts as a blink (EAR falls by 35 % and comes back).
pub(crate) const BLINK_PASS_DEPTH: f32 = 0.35;
/// Yaw proxy change that counts as a turn.
pub(crate) const TURN_PASS_YAW: f32 = 0.12;

/// Blink from a landmark track: the relative fall of the mean eye aspect ratio from its opening
/// value (peak depth 0..=1) and whether the eyes opened again.
pub fn landmark_blink<'a>(track: impl IntoIterator<Item = (f64, &'a FaceLandmarks)>) -> Excursion {
    let mut open = None;
    let ratios = track.into_iter().map(|(t, face)| {
        let ear = (eye_aspect_ratio(&face.eyes[0]) + eye_aspect_ratio(&face.eyes[1])) / 2.0;
        let open = *open.get_or_insert(ear);
        // Relative to the first opening, so the threshold does not depend on the eye's shape.
        (t, if open > 0.0 { ear / open } else { 0.0 })
    });
    there_and_back(ratios, -1.0, BASELINE_MS).unwrap_or_default()
}

/// Turn from a landmark track: the yaw proxy's excursion the asked way (`direction` +1 for the
/// worker's left, −1 for their right) and whether it came back.
pub fn landmark_turn<'a>(
    track: impl IntoIterator<Item = (f64, &'a FaceLandmarks)>,
    direction: f32,
) -> Excursion {
    let yaws = track.into_iter().map(|(t, face)| (t, yaw_proxy(face)));
    there_and_back(yaws, direction, BASELINE_MS).unwrap_or_default()
}
