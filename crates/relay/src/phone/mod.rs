//! The phone gateway and what it keeps: each phone frame checked with the phone's own
//! credentials, `C_AUTH` and `C_HEARTBEAT` answered, sign-ins forwarded once; the phones,
//! their rate limits, liveness nonces, enrollment, and the re-check of each sign-in's claims
//! (fence, time, liveness evidence) and photo.

pub(crate) mod challenge;
pub(crate) mod claims;
pub(crate) mod enroll;
pub(crate) mod gateway;
pub(crate) mod out_of_fence;
pub(crate) mod phones;
pub(crate) mod photo_check;
pub(crate) mod rate_limit;
pub(crate) mod requests;
