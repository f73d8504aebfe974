//! Mobile attendance (type 64) for Zhejiang's real-name IoT platform.
//!
//! One crate, three speakers of one protocol (`../shared/PROTOCOL.md`):
//! - the phone module, compiled to WebAssembly for the worker's clock-in page;
//! - the `relay` binary, which bridges phones to the platform;
//! - the `platform-sim` binary, a strict simulator of the platform.
//!
//! The pure core ([`protocol`]) compiles for `wasm32-unknown-unknown` and for the host, reads no
//! clock and no socket: time and bytes are passed in. Host-only adapters live in [`sim`].

/// Site fences: WGS-84 ⇄ GCJ-02, validation, and the accuracy-aware inside/outside verdict (pure).
pub mod geofence;
/// Liveness of the clock-in photo: challenges from a nonce, frame analysers, verdict and evidence (pure).
pub mod liveness;
pub mod protocol;
/// The attendance record on the phone: location warnings, the record, the outbox policy (pure).
pub mod record;

#[cfg(not(target_arch = "wasm32"))]
pub mod process;
#[cfg(not(target_arch = "wasm32"))]
pub mod relay;
#[cfg(not(target_arch = "wasm32"))]
pub mod sim;
#[cfg(not(target_arch = "wasm32"))]
pub mod system_clock;

/// The browser side (wasm32 only): the JS API of the phone module.
#[cfg(target_arch = "wasm32")]
pub mod web;
