//! What the browser tests and benchmarks of the phone module share: the `relay demo` the
//! harness started (`scripts/harness.sh` passes its first stdout line at compile time), a
//! phone configured with the demo's credentials, records for the demo person, and real faces
//! for their photos ([`faces`]: the relay refuses a sign-in whose photo holds no real face).

#![allow(dead_code)] // each test file uses a part

pub mod faces;

use std::rc::Rc;

use serde_json::Value;
use zj_attendance::phone::{Phone, PhoneConfig};
use zj_phone::record::location::{Crs, Located, LocationSource};
use zj_phone::record::outbox::OutboxConfig;
use zj_phone::record::{record_id_from_random, ClockEvidence, PhoneCredentials, SignInDraft};

/// What `relay demo` printed, as the harness passed it.
pub fn demo() -> Value {
    serde_json::from_str(harness_value("ZJ_DEMO_JSON", option_env!("ZJ_DEMO_JSON")))
        .expect("the demo's first line is JSON")
}

/// The flaky proxy in front of the demo relay (`examples/flaky_relay`).
pub fn flaky_url() -> &'static str {
    harness_value("ZJ_FLAKY_URL", option_env!("ZJ_FLAKY_URL"))
}

/// A value the harness set at compile time. Clippy and a plain build compile this file
/// without it, so its absence fails the test rather than the build.
fn harness_value(name: &str, value: Option<&'static str>) -> &'static str {
    match value {
        Some(value) => value,
        None => panic!("{name} is not set: run the browser tests through ./scripts/test.sh"),
    }
}

/// A database name no other run uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", js_sys::Math::random().to_bits())
}

/// A draft for the demo person, `record_time_ms` unique per record so the simulator's list
/// tells each record apart (the relay strips `recordId`).
pub fn draft(person_id: &str, record_time_ms: i64) -> SignInDraft {
    let mut random = [0u8; 16];
    random[..8].copy_from_slice(&js_sys::Math::random().to_bits().to_le_bytes());
    random[8..].copy_from_slice(&record_time_ms.to_le_bytes());
    SignInDraft {
        record_id: record_id_from_random(random),
        person_id: person_id.to_owned(),
        record_time_ms,
        clock: ClockEvidence {
            device_time_ms: record_time_ms,
            offset_ms: None,
        },
        location: Located {
            source: LocationSource::Browser,
            source_crs: Crs::Wgs84,
            lng: 120.2101,
            lat: 30.2084,
            accuracy_m: 9.0,
            fix_age_ms: 500,
            warnings: vec![],
        },
        fence: None,
        liveness: None,
        fallback_capture: false,
        out_of_fence: None,
    }
}

/// A phone with the demo's credentials, talking to `relay_url`, its outbox in database `db`.
pub async fn demo_phone(db: &str, relay_url: &str, outbox: OutboxConfig) -> Rc<Phone> {
    let demo = demo();
    let phone = Phone::open(db, outbox).await.expect("IndexedDB opens");
    let credentials: PhoneCredentials =
        serde_json::from_value(demo["phone"].clone()).expect("the demo phone's credentials");
    phone
        .configure(PhoneConfig {
            relay_url: relay_url.to_owned(),
            credentials,
        })
        .await
        .expect("configuration saved");
    phone
}
