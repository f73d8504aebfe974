//! The phone's pure logic, compiled for wasm32 (inside `pkg/`) and for the host (tested there,
//! and read by the relay): the attendance record and its outbox policy, and liveness analysis.
//! No clock and no browser API: time and bytes come in as arguments.

#![warn(unreachable_pub)]

/// Liveness of the clock-in photo: challenges from a nonce, frame analysers, verdict and evidence.
pub mod liveness;
/// The attendance record on the phone: location warnings, the record, the outbox policy.
pub mod record;
