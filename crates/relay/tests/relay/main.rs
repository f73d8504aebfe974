//! The relay over real sockets, in process and as the `relay` and `platform-sim` binaries: the
//! phone API, the platform link and its failures, tasks, sites and enrollment, MR860 intake,
//! the pages, secrets kept, and `pkg/` built from the current sources.

#[path = "../../../protocol/tests/protocol/check_order.rs"]
mod check_order;
mod gateway;
mod mr860;
mod pages;
mod phone_api;
mod pkg_fresh;
mod platform_link;
mod relay_common;
mod resilience;
mod secrets;
mod sites;
mod tasks;
