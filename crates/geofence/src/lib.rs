//! Site fences for mobile attendance: is a worker's GPS fix inside the construction site?
//!
//! Pure: no clock, no I/O; compiles for `wasm32-unknown-unknown` and the host, so the phone,
//! the relay and the manager page judge and validate fences with the same code.
//!
//! - [`crs`]: WGS-84 ⇄ GCJ-02 (phones report WGS-84; Chinese web maps draw GCJ-02).
//! - [`FenceGeoJson`] → [`Outline`] → [`Fence`]: GeoJSON in, validated against [`FenceLimits`],
//!   each refusal a [`FenceError`] naming the ring, with a stable code, its numbers and a
//!   Chinese message ([`FenceError::code`], [`FenceError::detail`], [`FenceError::message_zh`]).
//! - [`PreparedFence`]: a fence indexed for microsecond checks; [`PreparedFence::check`] turns a
//!   [`Fix`] (position and accuracy radius) into a [`Check`]: a [`Verdict`] and the distance in
//!   metres to the nearest boundary.
//!
//! [`crs`]: crate::crs
//! [`FenceGeoJson`]: crate::FenceGeoJson
//! [`Outline`]: crate::Outline
//! [`Fence`]: crate::Fence
//! [`FenceLimits`]: crate::FenceLimits
//! [`FenceError`]: crate::FenceError
//! [`FenceError::code`]: crate::FenceError::code
//! [`FenceError::detail`]: crate::FenceError::detail
//! [`FenceError::message_zh`]: crate::FenceError::message_zh
//! [`PreparedFence`]: crate::PreparedFence
//! [`PreparedFence::check`]: crate::PreparedFence::check
//! [`Fix`]: crate::Fix
//! [`Check`]: crate::Check
//! [`Verdict`]: crate::Verdict

#![warn(unreachable_pub)]

pub mod crs;
mod edges;
mod explain;
mod fence;
mod fix;
mod geojson;
mod lng_lat;
mod local_frame;
mod prepared;
mod stretches;
mod validate;

pub use explain::{FenceErrorDetail, RingRefDetail};
pub use fence::{Fence, FenceLimits};
pub use fix::{Check, Fix, FixError, Verdict};
pub use geojson::{FenceGeoJson, GeoJsonError, Outline};
pub use lng_lat::{CoordError, LngLat};
pub use prepared::{PreparedFence, DEFAULT_MAX_ACCURACY_M};
pub use validate::{FenceError, RingRef};
