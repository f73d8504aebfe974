//! The relay: phones in over HTTP and WebSocket, the platform out over TCP.
//!
//! - [`server`]: starts and stops a whole relay from a [`config::RelayConfig`].
//! - [`http`]: `POST /v1/frame`, `GET /v1/link`, `/healthz`, `/metrics`, the pages.
//! - [`gateway`]: checks phone frames with the phone's own credentials and forwards sign-ins
//!   exactly once as the phone sees it.
//! - [`platform_link`]: one long-lived platform session per sn, driving the protocol core's
//!   [`DeviceSession`](zj_protocol::DeviceSession) over TCP with reconnection and
//!   back-pressure.
//! - [`store`]: SQLite with group commit: phones, the `recordId` ledger, the audit log.
//! - [`tasks`] ([`task_work`], [`task_api`]): the platform's tasks, carried out once each, and
//!   the [`roster`] they keep per sn.
//! - [`api`]: the phone and manager API beyond the protocol leg ([`phone_api`],
//!   [`manager_api`]): [`enroll`]ment codes, [`sites`] and fences, [`challenge`] nonces.
//! - [`mr860`] ([`mr860_http`], [`mr860_forward`]): legacy MR860 face terminals' logs, kept and
//!   forwarded as sign-ins.
//! - [`phones`], [`rate_limit`], [`metrics`], [`config`], [`demo`]: the parts around them.

pub mod api;
pub mod api_error;
pub mod capped_listener;
pub mod challenge;
pub mod config;
pub mod config_overrides;
pub mod demo;
pub mod enroll;
pub mod gateway;
pub mod http;
pub mod manager_api;
pub mod metrics;
pub mod mr860;
pub mod mr860_forward;
pub mod mr860_http;
pub mod pages;
pub mod phone_api;
pub mod phones;
pub mod platform_link;
pub mod rate_limit;
pub mod roster;
pub mod server;
pub mod sites;
pub mod store;
pub mod task_api;
pub mod task_work;
pub mod tasks;
