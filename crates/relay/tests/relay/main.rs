//! The relay over real sockets, in process and as the `relay` and `platform-sim` binaries: the
//! phone API, the platform link and its failures, tasks, sites and enrollment, MR860 intake,
//! the pages, secrets kept, `pkg/` built from the current sources, and the face check of
//! sign-in photos (real photos from `testdata/`).

#[path = "../../../protocol/tests/protocol/check_order.rs"]
mod check_order;
mod claims;
mod cluster;
mod edge_headers;
mod gateway;
mod managers;
mod mr860;
mod mr860_keys;
mod pages;
mod phone_api;
mod photo_check;
mod pkg_fresh;
mod platform_link;
mod relay_common;
mod requests;
mod resilience;
mod secrets;
mod shared_phone_state;
mod sheet;
mod sheet_core;
mod site_scope;
mod sites;
mod store_backends;
mod tasks;
mod tls;
mod wechat;
