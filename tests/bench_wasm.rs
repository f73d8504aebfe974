//! Benchmarks of the phone module in headless Chromium, run by `benches/wasm.sh` (not by the
//! test suite): a fence check for 10 / 100 / 1,000-vertex fences (the same shapes as the native
//! criterion benchmark), and the outbox: enqueue records in batches, then drain them to the
//! relay `relay demo` runs (addresses from `scripts/harness.sh`). Every record's photo is a real
//! face as the phone saves it (`browser_common::faces`: the relay checks each photo's face and
//! refuses one without). Each prints its figures; none asserts a time.

mod browser_common;
#[path = "../crates/geofence/benches/common/fence_shapes.rs"]
mod fence_shapes;

use std::rc::Rc;

use browser_common::faces::face_jpeg;
use browser_common::{demo, demo_phone, draft, unique};
use fence_shapes::{fixes, site, FIXES};
use wasm_bindgen_test::{console_log, wasm_bindgen_test as test, wasm_bindgen_test_configure};
use zj_attendance::phone::Phone;
use zj_geofence::{Fence, FenceLimits, PreparedFence};
use zj_phone::record::outbox::OutboxConfig;

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

/// The demo relay's URL and person, and a phone of the demo with a fresh outbox.
async fn bench_phone(name: &str) -> (Rc<Phone>, String) {
    let demo = demo();
    let relay_url = demo["url"].as_str().expect("the demo's url");
    let phone = demo_phone(&unique(name), relay_url, OutboxConfig::default()).await;
    (phone, demo["personId"].as_str().unwrap().to_owned())
}

/// A sign-in photo of a real face (a JPEG of about 13 KB, the face 150 px) and its size in KB.
async fn photo() -> (Vec<u8>, usize) {
    let bytes = face_jpeg(0).await;
    let kb = bytes.len().div_ceil(1024);
    (bytes, kb)
}

#[test]
async fn outbox_enqueue_then_drain() {
    let (phone, person_id) = bench_phone("bench").await;
    let records = record_count();
    let start_time = js_sys::Date::now() as i64;
    let (photo, kb) = photo().await;
    let batch_size = 500;
    let started = now_ms();
    let mut n = 0;
    while n < records {
        let batch: Vec<_> = (n..(n + batch_size).min(records))
            .map(|i| (draft(&person_id, start_time + i as i64), photo.clone()))
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
        "BENCH wasm outbox_enqueue: {records} records with {kb} KB photos in batches of {batch_size}: {enqueue_s:.1} s ({:.0} records/s)",
        records as f64 / enqueue_s
    );

    if option_env!("ZJ_BENCH_DRAIN") == Some("0") {
        return; // the enqueue alone (a drain of 60,000 takes many minutes)
    }
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
    let (phone, person_id) = bench_phone("bench-one").await;
    let (photo, kb) = photo().await;
    let start_time = js_sys::Date::now() as i64;
    let mut millis = Vec::new();
    for n in 0..20 {
        let started = now_ms();
        let batch = vec![(draft(&person_id, start_time + n), photo.clone())];
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
        "BENCH wasm one_record_saved_to_platform: p50 {:.0} ms, max {:.0} ms (20 records, {kb} KB photos, first includes C_AUTH)",
        millis[millis.len() / 2],
        millis[millis.len() - 1]
    );
}
