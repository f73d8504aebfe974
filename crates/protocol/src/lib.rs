//! The platform protocol of seed document 001, part 2, as fixed by `PROTOCOL.md`.
//!
//! Pure: no I/O, no clock. Every function takes the bytes and the time it needs.
//!
//! - [`wire`]: the protobuf messages of §2 and the varint-length frame codec.
//! - [`Apicode`] and [`ErrorCode`]: the seed's dictionaries.
//! - [`sign`]: the §3 signature rules, over [`param_prime`]'s image removal (§4).
//! - [`time`]: `timeStamp` in Beijing time.
//! - [`params`]: typed params and replies; [`json_form`]: the HTTP JSON form of messages.
//! - [`signed_command`]: the one builder of a stamped, signed command frame.
//! - [`phone_api`]: the phone ⇄ relay JSON beyond the protocol leg, written once for both.
//! - [`DeviceSession`] and [`PlatformHandler`]: the two sans-IO state machines.

#![warn(unreachable_pub)]

mod apicode;
mod command;
mod device_session;
mod error_code;
pub mod json_form;
pub mod param_prime;
pub mod params;
pub mod phone_api;
mod platform_handler;
pub mod sign;
pub mod time;
mod tokens;
pub mod wire;

pub use apicode::{Apicode, Channel};
pub use command::{signed_command, Signer, Unsignable, Unsigned};
pub use device_session::{
    DeviceConfig, DeviceSession, NotAuthenticated, RequestFailure, RequestId, SessionEvent,
    UnexpectedReply, MAX_HEARTBEAT_INTERVAL_MS,
};
pub use error_code::{ErrorCode, ProtocolError};
pub use platform_handler::{
    Credential, CredentialDirectory, HandlerConfig, Param, PlatformHandler, Reply, Verified,
};
pub use tokens::MAX_TOKENS_PER_SN;

/// The protocol version every message carries (PROTOCOL.md §2).
pub const PROTOCOL_VERSION: &str = "v1.0.0";
