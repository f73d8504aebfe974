//! The relay as a device of the platform: one long-lived session per sn ([`link`]), held by
//! one relay of a cluster at a time ([`lease`]), reached from any relay ([`route`], [`peer`]);
//! the one forward-once path of sign-ins ([`forward`]); the HTTP task API ([`task_api`]) and
//! each task carried out once ([`tasks`], [`task_work`]), keeping the roster
//! (`store::roster`).

pub(crate) mod forward;
pub(crate) mod lease;
pub mod link;
pub mod peer;
pub mod route;
pub(crate) mod task_api;
pub(crate) mod task_work;
pub(crate) mod tasks;
