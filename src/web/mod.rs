//! The browser side of the phone module (wasm32 only): thin wrappers that turn JS values into
//! the pure core's types and its errors into JS `Error`s.

mod geofence_js;

pub use geofence_js::{check_fence, gcj02_to_wgs84, wgs84_to_gcj02};
