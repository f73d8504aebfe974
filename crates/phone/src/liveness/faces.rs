//! Faces in the frames: where the liveness checks look, and the rules every analysed frame
//! must meet (one face, present).

pub use zj_face::{Detector, Face, Image, Keypoint, KeypointName, LandmarkModel, FACE_FLOATS};

use super::frame::Frame;

/// Anything that finds faces in a frame: the detector itself (native, or in the phone
/// module's own build), or the page's detector module.
pub trait FaceSource {
    /// The faces in `frame`, best first, or `None` when no detector can look at it (the checks
    /// then fall back to the guide region and say so).
    fn faces(&mut self, frame: &Frame<'_>) -> Option<Vec<Face>>;

    /// How open the eyes of `face` are in `frame` (the mean eye aspect ratio of both eyes,
    /// about 0.3 open, under 0.15 closed), when a landmark model is at hand. Asked only while a
    /// blink is asked; `None` by default.
    fn eye_openness(&mut self, _frame: &Frame<'_>, _face: &Face) -> Option<f32> {
        None
    }
}

/// No detector: the region checks decide alone, and the verdict names them.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFaceDetector;

impl FaceSource for NoFaceDetector {
    fn faces(&mut self, _frame: &Frame<'_>) -> Option<Vec<Face>> {
        None
    }
}

/// The models run in this build (natively, or inside one wasm module): the detector, and the
/// face mesh once a blink needs it.
#[derive(Debug, Clone)]
pub struct FaceModels {
    /// BlazeFace short-range.
    pub detector: Detector,
    /// The face mesh, for the blink's eye openness.
    pub landmarks: Option<LandmarkModel>,
}

impl FaceSource for FaceModels {
    fn faces(&mut self, frame: &Frame<'_>) -> Option<Vec<Face>> {
        Some(self.detector.detect(frame.image()))
    }

    fn eye_openness(&mut self, frame: &Frame<'_>, face: &Face) -> Option<f32> {
        let mesh = self.landmarks.as_mut()?.landmarks(frame.image(), face);
        Some(mesh.eye_openness())
    }
}
