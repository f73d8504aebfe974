//! The browser side of the phone module (wasm32 only): thin wrappers that turn JS values into
//! the pure core's types and its errors into JS `Error`s.

mod browser;
mod geofence_js;
pub mod idb;
pub mod idb_outbox;
mod js_error;
mod location;
pub mod phone;
mod phone_js;
pub mod relay_client;

pub use geofence_js::{check_fence, gcj02_to_wgs84, wgs84_to_gcj02};
pub use js_error::BrowserError;
pub use phone_js::PhoneModule;
