//! The phone module: this package, built for the browser as WebAssembly (`pkg/`, by
//! `scripts/build-pkg.sh`). Thin wrappers over the pure crates (`zj-protocol`, `zj-geofence`,
//! `zj-phone`) that turn JS values into their types and their errors into JS `Error`s, and
//! the browser's side of the phone: camera, location, IndexedDB outbox, uploader, the JS API.

#![warn(unreachable_pub)]

mod browser;
mod camera;
mod camera_capture;
mod camera_fallback;
mod camera_js;
pub mod face_module;
mod faces_js;
mod geofence_js;
mod idb;
pub mod idb_outbox;
mod js_error;
mod js_values;
mod liveness_js;
mod location;
pub mod phone;
mod phone_js;
mod relay_client;

pub use camera::CameraError;
pub use camera_capture::{Canvas, MAX_JPEG_BYTES};
pub use camera_js::{
    capture_canvas, capture_photo, capture_photo_fallback, CapturedPhoto, LivenessCamera,
};
pub use faces_js::{detect_faces, face_detector_files, load_face_detector};
pub use geofence_js::{check_fence, gcj02_to_wgs84, wgs84_to_gcj02};
pub use liveness_js::{liveness_guide, LivenessSession};
pub use phone_js::{out_of_fence_problem, out_of_fence_reasons, PhoneModule};
