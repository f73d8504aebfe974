//! Face detection in pure Rust: MediaPipe's BlazeFace short-range model (Apache-2.0), run by a
//! small network of its own, for the phone (compiled to wasm32, with wasm SIMD when the build
//! turns `simd128` on) and for the relay (native), which re-checks the photos phones send.
//!
//! - [`Detector::new`] parses a model file (`models/blazeface-short.zjnn`, made from the npm
//!   package `@mediapipe/face_detection` by `scripts/vendor-models.sh`; the format is described
//!   in [`model`]) and plans its buffers once.
//! - [`Detector::detect`] takes an RGBA [`Image`] of any size, letterboxes it to the model's
//!   128×128 input, runs the network, decodes the 896 anchors and merges overlapping boxes by
//!   MediaPipe's weighted non-maximum suppression: [`Face`]s with score ≥ 0.5, best first, in
//!   the image's pixels, each with six [`Keypoint`]s.
//! - [`LandmarkModel`]: MediaPipe's face mesh (468 points) on a crop around a detected face,
//!   for the blink's eye aspect ratio ([`FaceMesh::eye_openness`]); loaded only when needed.
//! - [`Face::yaw_degrees`] and [`Face::pitch_proxy`]: head pose from the keypoints, for the
//!   liveness turn and nod and the photo's "frontal" rule.
//!
//! Pure: no I/O, no clock; bytes in, faces out.

mod anchors;
mod decode;
mod detector;
mod face;
mod image;
mod kernels;
mod mesh;
pub mod model;
mod network;

pub use detector::{Detector, NetworkOutput, MIN_SCORE};
pub use face::{Face, Keypoint, KeypointName, FACE_FLOATS};
pub use image::{Image, ImageError};
pub use mesh::{FaceMesh, LandmarkModel, MeshOutput, MESH_POINTS};
pub use model::ModelError;
