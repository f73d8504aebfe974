//! The relay: phones in over HTTP and WebSocket, the platform out over TCP.
//!
//! - [`server`]: starts and stops a whole relay from a [`config::RelayConfig`].
//! - [`http`]: the edge, and the only part that knows axum: `POST /v1/frame`, `GET /v1/link`,
//!   `/healthz`, `/metrics`, the pages, the phone and manager API and the MR860 intake; it
//!   turns what the parts below answer into status codes and error bodies.
//! - [`phone`]: the phone gateway (checks each phone frame with the phone's own credentials,
//!   forwards sign-ins exactly once as the phone sees it), phones, rate limits, liveness
//!   nonces, enrollment, the face check of each sign-in's photo.
//! - [`platform`]: one long-lived platform session per sn, driving the protocol core's
//!   [`DeviceSession`](zj_protocol::DeviceSession) over TCP with reconnection and
//!   back-pressure; the platform's tasks, carried out once each, and the roster they keep.
//! - [`mr860`]: legacy MR860 face terminals' logs, kept and forwarded as sign-ins.
//! - [`sites`]: construction sites and their fences.
//! - [`sheet`]: the manager's day sheet, punch list and their exports.
//! - [`store`]: SQLite with group commit; the schema of every table in one place.
//! - [`wechat`]: the WeChat JS-SDK's `wx.config` signature (token and ticket cached).
//! - [`config`], [`metrics`], [`demo`]: the parts around them.

#![warn(unreachable_pub)]

pub mod config;
pub(crate) mod config_overrides;
pub mod demo;
pub(crate) mod every;
pub(crate) mod http;
pub(crate) mod json_text;
pub(crate) mod keys;
pub(crate) mod metrics;
pub(crate) mod mr860;
pub(crate) mod passwords;
pub(crate) mod phone;
pub mod platform;
pub mod server;
pub mod sheet;
pub(crate) mod sites;
pub(crate) mod store;
pub(crate) mod wechat;

pub use http::pages::www_files;
pub use http::tls::TlsError;
pub use phone::enroll::{issue_code, IssueError, NewCode};
pub use phone::photo_check::{check_photo, photo_detector, PhotoReport};
pub use store::db::{Backend, FromValue, Row, SqlValue, ToSqlValue, Tx};
pub use store::migrate::{copy_store, CopiedTable};
pub use store::{Phone, Store, StoreError, StoreLocation};
pub use wechat::signature as wechat_signature;
