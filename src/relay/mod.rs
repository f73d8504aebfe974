//! The relay: phones in over HTTP and WebSocket, the platform out over TCP (host only).
//!
//! - [`server`]: starts and stops a whole relay from a [`config::RelayConfig`].
//! - [`http`]: `POST /v1/frame`, `GET /v1/link`, `/healthz`, `/metrics`, the pages.
//! - [`gateway`]: checks phone frames with the phone's own credentials and forwards sign-ins
//!   exactly once as the phone sees it.
//! - [`platform_link`]: one long-lived platform session per sn, driving the protocol core's
//!   [`DeviceSession`](crate::protocol::DeviceSession) over TCP with reconnection and
//!   back-pressure.
//! - [`store`]: SQLite with group commit: phones, the `recordId` ledger, the audit log.
//! - [`phones`], [`rate_limit`], [`metrics`], [`config`], [`demo`]: the parts around them.

pub mod config;
pub mod demo;
pub mod gateway;
pub mod http;
pub mod metrics;
pub mod phones;
pub mod platform_link;
pub mod rate_limit;
pub mod server;
pub mod store;
