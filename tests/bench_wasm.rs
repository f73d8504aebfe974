//! Benchmarks of the phone module in headless Chromium, run by `benches/wasm.sh` (not by the
//! test suite): a fence check for 10 / 100 / 1,000-vertex fences (the same shapes as the native
//! criterion benchmark), and the outbox: enqueue records with 30 KB photos in batches, then
//! drain them to the relay `relay demo` runs (addresses from `scripts/harness.sh`). Each prints
//! its figures; none asserts a time.

#![cfg(target_arch = "wasm32")]

#[path = "../benches/common/fence_shapes.rs"]
mod fence_shapes;

use std::rc::Rc;

use fence_shapes::{fixes, site, FIXES};
use serde_json::Value;
use wasm_bindgen_test::{console_log, wasm_bindgen_test as test, wasm_bindgen_test_configure};
use zj_attendance::geofence::{Fence, FenceLimits, PreparedFence};
use zj_attendance::record::location::{Crs, Located, LocationSource};
use zj_attendance::record::outbox::OutboxConfig;
use zj_attendance::record::{record_id_from_random, ClockEvidence, PhoneCredentials, SignInDraft};
use zj_attendance::web::phone::{Phone, PhoneConfig};

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[test]
fn fence_check_in_wasm() {
    let fixes = fixes();
    for vertices in [10, 100, 1_000] {
        let fence = Fence::new(site(vertices), &FenceLimits::default()).expect("valid site");
        let fence = PreparedFence::new(&fence, 100.0);
        let mut checks = 0usize;
        let started = now_ms();
        // Whole rounds over the fixes until half a second has passed.
        while now_ms() - started < 500.0 {
            for fix in &fixes {
                std::hint::black_box(fence.check(std::hint::black_box(fix)).unwrap());
            }
            checks += FIXES;
        }
        let micros = (now_ms() - started) * 1_000.0 / checks as f64;
        console_log!(
            "BENCH wasm geofence_check/{vertices}: {micros:.3} µs per check ({checks} checks)"
        );
    }
}

/// How many records the outbox benchmark enqueues and drains (`ZJ_BENCH_RECORDS` at compile
/// time, default 60,000).
fn record_count() -> usize {
    option_env!("ZJ_BENCH_RECORDS")
        .and_then(|value| value.parse().ok())
        .unwrap_or(60_000)
}

fn draft(person_id: &str, n: usize) -> SignInDraft {
    let mut random = [0u8; 16];
    random[..8].copy_from_slice(&js_sys::Math::random().to_bits().to_le_bytes());
    random[8..].copy_from_slice(&(n as u64).to_le_bytes());
    SignInDraft {
        record_id: record_id_from_random(random),
        person_id: person_id.to_owned(),
        record_time_ms: js_sys::Date::now() as i64 + n as i64,
        clock: ClockEvidence {
            device_time_ms: js_sys::Date::now() as i64,
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
    }
}

#[test]
async fn outbox_enqueue_then_drain() {
    let demo: Value = serde_json::from_str(option_env!("ZJ_DEMO_JSON").unwrap_or("null")).unwrap();
    let Some(relay_url) = demo["url"].as_str() else {
        panic!("ZJ_DEMO_JSON is not set: run through ./benches/wasm.sh");
    };
    let person_id = demo["personId"].as_str().unwrap().to_owned();
    let records = record_count();
    let db = format!("bench-{}", js_sys::Math::random().to_bits());
    let phone: Rc<Phone> = Phone::open(&db, OutboxConfig::default()).await.unwrap();
    let credentials: PhoneCredentials = serde_json::from_value(demo["phone"].clone()).unwrap();
    phone
        .configure(PhoneConfig {
            relay_url: relay_url.to_owned(),
            credentials,
        })
        .await
        .unwrap();

    let photo: Vec<u8> = (0..30 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    let batch_size = 500;
    let started = now_ms();
    let mut n = 0;
    while n < records {
        let batch: Vec<_> = (n..(n + batch_size).min(records))
            .map(|i| (draft(&person_id, i), photo.clone()))
            .collect();
        n += batch.len();
        phone
            .outbox()
            .enqueue(batch, js_sys::Date::now() as i64)
            .await
            .unwrap();
    }
    let enqueue_s = (now_ms() - started) / 1_000.0;
    console_log!(
        "BENCH wasm outbox_enqueue: {records} records with 30 KB photos in batches of {batch_size}: {enqueue_s:.1} s ({:.0} records/s)",
        records as f64 / enqueue_s
    );

    let started = now_ms();
    let mut counts = phone.flush().await.unwrap();
    while counts.waiting() > 0 {
        counts = phone.flush().await.unwrap();
    }
    let delivered = counts.done;
    let drain_s = (now_ms() - started) / 1_000.0;
    console_log!(
        "BENCH wasm outbox_drain: {delivered} records to relay + platform-sim in {drain_s:.1} s ({:.0} records/s)",
        delivered as f64 / drain_s
    );
}

/// From "saved" to "at the platform" for one record when the outbox is otherwise empty: what
/// a worker waits for on a good link (standard 001 §5: within 10 s; aim under 1 s).
#[test]
async fn one_record_from_saved_to_the_platform() {
    let demo: Value = serde_json::from_str(option_env!("ZJ_DEMO_JSON").unwrap_or("null")).unwrap();
    let Some(relay_url) = demo["url"].as_str() else {
        panic!("ZJ_DEMO_JSON is not set: run through ./benches/wasm.sh");
    };
    let person_id = demo["personId"].as_str().unwrap().to_owned();
    let db = format!("bench-one-{}", js_sys::Math::random().to_bits());
    let phone: Rc<Phone> = Phone::open(&db, OutboxConfig::default()).await.unwrap();
    let credentials: PhoneCredentials = serde_json::from_value(demo["phone"].clone()).unwrap();
    phone
        .configure(PhoneConfig {
            relay_url: relay_url.to_owned(),
            credentials,
        })
        .await
        .unwrap();
    let photo: Vec<u8> = (0..30 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    let mut millis = Vec::new();
    for n in 0..20 {
        let started = now_ms();
        let batch = vec![(draft(&person_id, n), photo.clone())];
        phone
            .outbox()
            .enqueue(batch, js_sys::Date::now() as i64)
            .await
            .unwrap();
        let counts = phone.flush().await.unwrap();
        assert_eq!(counts.done, n as u64 + 1);
        millis.push(now_ms() - started);
    }
    millis.sort_by(f64::total_cmp);
    console_log!(
        "BENCH wasm one_record_saved_to_platform: p50 {:.0} ms, max {:.0} ms (20 records, 30 KB photos, first includes C_AUTH)",
        millis[millis.len() / 2],
        millis[millis.len() - 1]
    );
}
