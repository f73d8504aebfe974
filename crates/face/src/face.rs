//! A detected face: box, score, six keypoints, and the head pose they imply.

use serde::{Deserialize, Serialize};

/// The six keypoints of BlazeFace, in MediaPipe's order; sides are the subject's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum KeypointName {
    /// The subject's right eye (the image's left in an unmirrored photo).
    RightEye,
    /// The subject's left eye.
    LeftEye,
    /// The tip of the nose.
    NoseTip,
    /// The middle of the mouth.
    MouthCenter,
    /// The subject's right ear tragion.
    RightEarTragion,
    /// The subject's left ear tragion.
    LeftEarTragion,
}

impl KeypointName {
    /// Every keypoint in MediaPipe's order.
    pub const ALL: [KeypointName; 6] = [
        KeypointName::RightEye,
        KeypointName::LeftEye,
        KeypointName::NoseTip,
        KeypointName::MouthCenter,
        KeypointName::RightEarTragion,
        KeypointName::LeftEarTragion,
    ];
}

/// A keypoint in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Keypoint {
    /// Which keypoint.
    pub name: KeypointName,
    /// Pixels from the image's left edge.
    pub x: f32,
    /// Pixels from the image's top edge.
    pub y: f32,
}

/// A face found in an image, in the image's pixels (`x`, `y` the box's top-left corner).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Face {
    /// Pixels from the image's left edge to the box.
    pub x: f32,
    /// Pixels from the image's top edge to the box.
    pub y: f32,
    /// The box's width, pixels.
    pub width: f32,
    /// The box's height, pixels.
    pub height: f32,
    /// The model's confidence, 0..=1.
    pub score: f32,
    /// The six keypoints in [`KeypointName::ALL`]'s order.
    pub keypoints: [Keypoint; 6],
}

/// How far the nose tip stands in front of the eyes, over half the distance between the eyes
/// (adult anthropometry: about 2.5 cm over 3.15 cm). Turns the nose's sideways offset into an
/// angle.
const NOSE_DEPTH_OVER_HALF_EYE_SPAN: f32 = 0.8;

/// `f32` values of a face laid flat (to cross a wasm module's boundary): x, y, width, height,
/// score, then x and y of each keypoint in [`KeypointName::ALL`]'s order.
pub const FACE_FLOATS: usize = 5 + 2 * 6;

impl Face {
    /// The face laid flat; see [`FACE_FLOATS`].
    pub fn to_floats(&self) -> [f32; FACE_FLOATS] {
        let mut values = [0.0; FACE_FLOATS];
        values[..5].copy_from_slice(&[self.x, self.y, self.width, self.height, self.score]);
        for (i, keypoint) in self.keypoints.iter().enumerate() {
            values[5 + 2 * i] = keypoint.x;
            values[6 + 2 * i] = keypoint.y;
        }
        values
    }

    /// A face from its values laid flat; see [`FACE_FLOATS`].
    pub fn from_floats(values: &[f32; FACE_FLOATS]) -> Self {
        Face {
            x: values[0],
            y: values[1],
            width: values[2],
            height: values[3],
            score: values[4],
            keypoints: std::array::from_fn(|i| Keypoint {
                name: KeypointName::ALL[i],
                x: values[5 + 2 * i],
                y: values[6 + 2 * i],
            }),
        }
    }

    /// The box's area, pixels².
    pub fn area(&self) -> f32 {
        self.width.max(0.0) * self.height.max(0.0)
    }

    /// The box's centre, pixels.
    pub fn centre(&self) -> (f32, f32) {
        (self.x + self.width / 2.0, self.y + self.height / 2.0)
    }

    /// A keypoint's position, pixels.
    pub fn point(&self, name: KeypointName) -> (f32, f32) {
        let keypoint = self.keypoints[name as usize];
        (keypoint.x, keypoint.y)
    }

    /// `point` relative to the eyes' midpoint, in the frame of the eye line (so a tilted head
    /// does not look turned): `(along the eye line, across it)`, in half eye spans; `None` for
    /// a degenerate face.
    fn in_eye_frame(&self, (px, py): (f32, f32)) -> Option<(f32, f32)> {
        let (rx, ry) = self.point(KeypointName::RightEye);
        let (lx, ly) = self.point(KeypointName::LeftEye);
        let half_span = (lx - rx).hypot(ly - ry) / 2.0;
        if half_span <= f32::EPSILON {
            return None;
        }
        let (ux, uy) = ((lx - rx) / (2.0 * half_span), (ly - ry) / (2.0 * half_span));
        let (dx, dy) = (px - (rx + lx) / 2.0, py - (ry + ly) / 2.0);
        Some((
            (dx * ux + dy * uy) / half_span,
            (-dx * uy + dy * ux) / half_span,
        ))
    }

    /// Yaw, degrees: 0 facing the camera, positive when the nose points towards the image's
    /// +x (the subject turned to their left in an unmirrored image), from the nose tip's offset
    /// along the eye line.
    pub fn yaw_degrees(&self) -> f32 {
        let (along, _) = self
            .in_eye_frame(self.point(KeypointName::NoseTip))
            .unwrap_or_default();
        (along / NOSE_DEPTH_OVER_HALF_EYE_SPAN).atan().to_degrees()
    }

    /// Pitch proxy: how far down the nose tip sits from the eye line towards the mouth, as a
    /// share of the eye-to-mouth distance (about 0.5 facing the camera; larger when the head
    /// bows, smaller when it lifts). 0 for a degenerate face.
    pub fn pitch_proxy(&self) -> f32 {
        let across = |name| {
            self.in_eye_frame(self.point(name))
                .map(|(_, across)| across)
        };
        match (
            across(KeypointName::NoseTip),
            across(KeypointName::MouthCenter),
        ) {
            (Some(nose), Some(mouth)) if mouth > f32::EPSILON => nose / mouth,
            _ => 0.0,
        }
    }

    /// The share of the rectangle `x, y, width × height` (pixels) that the face box covers
    /// inside it: the face's share of a photo or of a crop of it.
    pub fn share_of(&self, x: f32, y: f32, width: f32, height: f32) -> f32 {
        let w = (self.x + self.width).min(x + width) - self.x.max(x);
        let h = (self.y + self.height).min(y + height) - self.y.max(y);
        if width <= 0.0 || height <= 0.0 {
            return 0.0;
        }
        w.max(0.0) * h.max(0.0) / (width * height)
    }
}
