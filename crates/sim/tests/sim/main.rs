//! The real `platform-sim` binary over real sockets: the TCP command channel (a device's life,
//! pipelining, every §8 code and the check order, token idle time, the offline rule), the HTTP
//! task API, and hostile input.

#[path = "../../../protocol/tests/protocol/check_order.rs"]
mod check_order;
mod commands;
mod hostile;
mod sim_common;
mod tasks;
