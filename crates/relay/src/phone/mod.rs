//! The phone gateway and what it keeps: each phone frame checked with the phone's own
//! credentials, `C_AUTH` and `C_HEARTBEAT` answered, sign-ins forwarded once; the phones,
//! their rate limits, liveness nonces and enrollment.

pub(crate) mod challenge;
pub(crate) mod enroll;
pub(crate) mod gateway;
pub(crate) mod phones;
pub(crate) mod rate_limit;
