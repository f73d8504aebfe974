//! The phone gateway and what it keeps: each phone frame checked with the phone's own
//! credentials, `C_AUTH` and `C_HEARTBEAT` answered, sign-ins forwarded once; the phones,
//! their rate limits, liveness nonces and enrollment.

pub mod challenge;
pub mod enroll;
pub mod gateway;
pub mod phones;
pub mod rate_limit;
