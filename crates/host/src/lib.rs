//! What the host binaries (`relay`, `platform-sim`) share: logging set-up, the shutdown signal
//! and the wall clock that their adapters feed to the pure core.

#![warn(unreachable_pub)]

pub mod process;
pub mod system_clock;
