//! Helpers for the record tests: drafts, and running the outbox's futures.

#![allow(dead_code)] // each test file uses a part

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use zj_phone::record::location::{Crs, Located, LocationSource};
use zj_phone::record::{record_id_from_random, ClockEvidence, SignInDraft};

/// Runs a future that never waits (the in-memory store's), to its end.
pub fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the in-memory outbox never waits"),
    }
}

/// A record id from a counter.
pub fn id(n: u64) -> String {
    let mut random = [0u8; 16];
    random[..8].copy_from_slice(&n.to_be_bytes());
    record_id_from_random(random)
}

/// A draft for person `person`, record `n`, made at `time_ms`, in the middle of Hangzhou.
pub fn draft(n: u64, time_ms: i64) -> SignInDraft {
    SignInDraft {
        record_id: id(n),
        person_id: "330102199001011234".into(),
        record_time_ms: time_ms,
        clock: ClockEvidence {
            device_time_ms: time_ms - 1500,
            offset_ms: Some(1500),
        },
        location: Located {
            source: LocationSource::Browser,
            source_crs: Crs::Wgs84,
            lng: 120.2101,
            lat: 30.2084,
            accuracy_m: 12.0,
            fix_age_ms: 800,
            warnings: vec![],
        },
        fence: None,
        liveness: None,
        fallback_capture: false,
        out_of_fence: None,
    }
}

/// A JPEG-sized photo for record `n` (content only needs to be distinct).
pub fn photo(n: u64) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8];
    bytes.extend(n.to_le_bytes());
    bytes.resize(3000, 0x5A);
    bytes
}
