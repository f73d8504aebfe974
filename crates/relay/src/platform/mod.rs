//! The relay as a device of the platform: one long-lived session per sn ([`link`]), the
//! HTTP task API ([`task_api`]), each task carried out once ([`tasks`], [`task_work`]) and the
//! [`roster`] they keep.

pub mod link;
pub mod roster;
pub mod task_api;
pub mod task_work;
pub mod tasks;
