//! The phone module in headless Chromium against a real relay and platform simulator, started
//! by `scripts/test.sh` (`relay demo`, and `examples/flaky_relay` in front of it), whose
//! addresses reach this file at compile time: `ZJ_DEMO_JSON` (the demo's first stdout line)
//! and `ZJ_FLAKY_URL`.
//!
//! Every record's photo is a real face (`browser_common::faces`: scikit-image's astronaut from
//! `testdata/`, cropped as the phone crops it), since the relay refuses sign-ins without one.
//!
//! - the IndexedDB outbox keeps records, states and photos across a reopen of the database, and
//!   requested records (out-of-fence requests the relay keeps) apart;
//! - 1,000 records flush to the platform, each exactly once;
//! - through a proxy that fails half the requests, nothing is lost or duplicated;
//! - an out-of-fence request outside the fence is kept by the relay (requested, not at the
//!   platform) and listed by `GET /v1/requests` as pending; inside the fence it is an ordinary
//!   clock-in.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};
use zj_attendance::idb_outbox::IdbOutboxStore;
use zj_attendance::phone::{Phone, PhoneEventKind};
use zj_phone::record::outbox::{
    Backoff, Claimed, EntryState, Outbox, OutboxConfig, OutboxStore, Settled,
};
use zj_phone::record::SignInDraft;
use zj_protocol::phone_api::{OutOfFence, OutOfFenceReason};

wasm_bindgen_test_configure!(run_in_browser);

mod browser_common;

use browser_common::faces::face_jpeg;
use browser_common::{demo, demo_phone, draft, flaky_url, unique};

fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// A photo of a real face that the relay accepts; one of 16, chosen by `seed`.
async fn photo(seed: i64) -> Vec<u8> {
    face_jpeg(seed.rem_euclid(16) as u32).await
}

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// `GET` JSON from another origin (the simulator allows it).
async fn get_json(url: &str) -> Value {
    let response = gloo_net::http::Request::get(url)
        .send()
        .await
        .expect("simulator reachable");
    serde_json::from_str(&response.text().await.expect("a body")).expect("JSON")
}

/// How many times each of `times` reached the platform for `person_id`.
async fn platform_counts(person_id: &str, times: &[i64]) -> HashMap<i64, u32> {
    let sim = demo()["simHttp"].as_str().unwrap().to_owned();
    let signins = get_json(&format!("{sim}/sim/signins")).await;
    let mut counts: HashMap<i64, u32> = times.iter().map(|time| (*time, 0)).collect();
    for signin in signins.as_array().expect("a list") {
        if signin["personId"] != person_id {
            continue;
        }
        if let Some(count) = signin["recordTime"]
            .as_i64()
            .and_then(|time| counts.get_mut(&time))
        {
            *count += 1;
        }
    }
    counts
}

/// Enqueues `count` records in batches of 100; returns their record times.
async fn enqueue(phone: &Phone, person_id: &str, count: usize) -> Vec<i64> {
    // Distinct times, one a millisecond, ending now: the relay refuses a recordTime far from
    // its clock, and a later call's range starts after this one's (each flush takes longer
    // than its count in milliseconds).
    let base = now_ms() - count as i64;
    let times: Vec<i64> = (0..count as i64).map(|i| base + i).collect();
    for chunk in times.chunks(100) {
        let mut batch = Vec::with_capacity(chunk.len());
        for &time in chunk {
            batch.push((draft(person_id, time), photo(time).await));
        }
        phone
            .outbox()
            .enqueue(batch, now_ms())
            .await
            .expect("saved");
    }
    times
}

/// Flushes until nothing is waiting (sleeping through back-offs), at most `rounds` times.
async fn flush_until_empty(phone: &Rc<Phone>, rounds: usize) {
    for _ in 0..rounds {
        let counts = phone.flush().await.expect("flush");
        if counts.waiting() == 0 {
            return;
        }
        sleep_ms(20).await;
    }
    panic!("records still waiting after {rounds} flushes");
}

#[test]
async fn the_outbox_keeps_records_states_and_photos_across_a_reopen() {
    let name = unique("reopen");
    let store = IdbOutboxStore::open(&name).await.unwrap();
    let outbox = Outbox::new(store, OutboxConfig::default());
    let mut batch = Vec::new();
    for i in 0..3 {
        batch.push((draft("p-1", 1_000 + i), photo(i).await));
    }
    let saved = outbox.enqueue(batch, 1_000).await.unwrap();
    let Claimed::Records(mut leased) = outbox.claim(2_000, 1).await.unwrap() else {
        panic!("a record is due");
    };
    let leased = leased.remove(0);
    assert_eq!(leased.id, saved[0].id);
    outbox.store().close();

    let reopened = IdbOutboxStore::open(&name).await.unwrap();
    let counts = reopened.counts().await.unwrap();
    assert_eq!((counts.pending, counts.sending), (2, 1));
    assert_eq!(reopened.last_seq().await.unwrap(), saved[2].seq);
    assert_eq!(
        reopened.get(&saved[1].id).await.unwrap().as_ref(),
        Some(&saved[1])
    );
    assert_eq!(
        reopened.get(&leased.id).await.unwrap().unwrap().state,
        EntryState::Sending
    );
    for (i, entry) in saved.iter().enumerate() {
        assert_eq!(
            reopened.photo(&entry.id).await.unwrap(),
            Some(photo(i as i64).await)
        );
    }
    assert_eq!(reopened.get("no-such-record").await.unwrap(), None);
    let pending = reopened.in_state(EntryState::Pending, 0, 10).await.unwrap();
    assert_eq!(pending, saved[1..].to_vec(), "oldest first, as saved");
}

#[test]
async fn a_thousand_records_reach_the_platform_exactly_once() {
    let demo = demo();
    let person_id = demo["personId"].as_str().unwrap().to_owned();
    let phone = demo_phone(
        &unique("thousand"),
        demo["url"].as_str().unwrap(),
        OutboxConfig::default(),
    )
    .await;
    let times = enqueue(&phone, &person_id, 1_000).await;
    flush_until_empty(&phone, 50).await;

    let counts = phone.outbox().counts().await.unwrap();
    assert_eq!(
        (counts.done, counts.failed, counts.waiting()),
        (1_000, 0, 0)
    );
    let at_platform = platform_counts(&person_id, &times).await;
    let wrong: Vec<_> = at_platform
        .iter()
        .filter(|(_, &count)| count != 1)
        .collect();
    assert!(
        wrong.is_empty(),
        "records not at the platform exactly once: {wrong:?}"
    );
}

#[test]
async fn a_relay_that_fails_half_the_requests_loses_and_duplicates_nothing() {
    let demo = demo();
    let person_id = demo["personId"].as_str().unwrap().to_owned();
    let quick = OutboxConfig {
        backoff: Backoff {
            base_ms: 10,
            cap_ms: 80,
        },
        ..OutboxConfig::default()
    };
    let phone = demo_phone(&unique("flaky"), flaky_url(), quick).await;
    let times = enqueue(&phone, &person_id, 200).await;
    flush_until_empty(&phone, 2_000).await;

    let counts = phone.outbox().counts().await.unwrap();
    assert_eq!((counts.done, counts.failed), (200, 0));
    let at_platform = platform_counts(&person_id, &times).await;
    let wrong: Vec<_> = at_platform
        .iter()
        .filter(|(_, &count)| count != 1)
        .collect();
    assert!(
        wrong.is_empty(),
        "records not at the platform exactly once: {wrong:?}"
    );
    let retried = phone.outbox().list(EntryState::Done, 1_000).await.unwrap();
    assert!(
        retried.iter().any(|entry| entry.attempts > 1),
        "the proxy did fail requests"
    );
}

#[test]
async fn requested_records_are_kept_apart_across_a_reopen_and_pruned_like_delivered_ones() {
    let name = unique("requested");
    let outbox = Outbox::new(
        IdbOutboxStore::open(&name).await.unwrap(),
        OutboxConfig::default(),
    );
    let mut batch = Vec::new();
    for i in 0..3 {
        batch.push((draft("p-1", 1_000 + i), photo(i).await));
    }
    let saved = outbox.enqueue(batch, 1_000).await.unwrap();
    let Claimed::Records(leased) = outbox.claim(2_000, 3).await.unwrap() else {
        panic!("records are due");
    };
    let outcomes = vec![
        (leased[0].id.clone(), Settled::Requested),
        (leased[1].id.clone(), Settled::Requested),
        (leased[2].id.clone(), Settled::Delivered),
    ];
    outbox.settle_all(outcomes, 3_000, || 0).await.unwrap();
    outbox.store().close();

    let reopened = Outbox::new(
        IdbOutboxStore::open(&name).await.unwrap(),
        OutboxConfig::default(),
    );
    let counts = reopened.counts().await.unwrap();
    assert_eq!((counts.requested, counts.done, counts.waiting()), (2, 1, 0));
    let requested = reopened.list(EntryState::Requested, 10).await.unwrap();
    let ids: Vec<_> = requested.iter().map(|entry| entry.id.clone()).collect();
    assert_eq!(ids, [saved[0].id.clone(), saved[1].id.clone()]);
    assert_eq!(requested[0].state_rank, 4);
    assert_eq!(reopened.photo(&saved[0].id).await.unwrap(), None);
    assert_eq!(
        reopened.claim(1_000_000_000, 10).await.unwrap(),
        Claimed::Empty
    );
    let week = 7 * 24 * 3600 * 1000;
    assert_eq!(
        reopened
            .prune_delivered(week, 3_000 + week + 1)
            .await
            .unwrap(),
        3
    );
    assert_eq!(reopened.counts().await.unwrap().requested, 0);
}

/// A draft of the demo person at `record_time_ms` with an out-of-fence request, `east_deg`
/// degrees east of the demo gate (0.01: about 1 km, outside the demo fence).
fn request_draft(person_id: &str, record_time_ms: i64, east_deg: f64) -> SignInDraft {
    let mut draft = draft(person_id, record_time_ms);
    draft.location.lng += east_deg;
    draft.out_of_fence = Some(OutOfFence {
        reason: OutOfFenceReason::Meeting,
        note: "区建设局开安全会".into(),
    });
    draft
}

#[test]
async fn a_request_outside_the_fence_waits_at_the_relay_and_is_listed_as_pending() {
    let demo = demo();
    let person_id = demo["personId"].as_str().unwrap().to_owned();
    // A phone of the demo site (the demo's own phone has no site, so no fence to be outside).
    let phone = Phone::open(&unique("request"), OutboxConfig::default())
        .await
        .unwrap();
    let url = demo["url"].as_str().unwrap();
    let code = demo["enrollCode"].as_str().unwrap();
    phone.enroll(url, code).await.expect("the demo site's code");
    let events = Rc::new(RefCell::new(Vec::new()));
    let heard = Rc::clone(&events);
    phone.on_event(Box::new(move |event| {
        heard
            .borrow_mut()
            .push((event.kind, event.record_id.clone()))
    }));
    // Two minutes back (within the relay's five minutes of grace before the enrollment): the
    // other tests' records of the same person are dated within a second before they start, and
    // the platform's list is told apart by recordTime, so this test's must not fall among them.
    let time = now_ms() - 120_000;
    let outside = request_draft(&person_id, time, 0.01);
    let inside = request_draft(&person_id, time + 1, 0.0);
    let batch = vec![
        (outside.clone(), photo(time).await),
        (inside.clone(), photo(time + 1).await),
    ];
    phone.outbox().enqueue(batch, now_ms()).await.unwrap();
    flush_until_empty(&phone, 10).await;

    let counts = phone.outbox().counts().await.unwrap();
    assert_eq!((counts.requested, counts.done, counts.failed), (1, 1, 0));
    let requested = phone
        .outbox()
        .list(EntryState::Requested, 10)
        .await
        .unwrap();
    assert_eq!(requested.len(), 1);
    assert_eq!(requested[0].id, outside.record_id);
    assert!(events
        .borrow()
        .contains(&(PhoneEventKind::Requested, Some(outside.record_id.clone()))));
    let at_platform = platform_counts(&person_id, &[time, time + 1]).await;
    assert_eq!(
        (at_platform[&time], at_platform[&(time + 1)]),
        (0, 1),
        "the request waits for a manager; inside the fence it is an ordinary clock-in"
    );

    let list = phone.requests().await.expect("GET /v1/requests");
    let list: Value = serde_json::from_str(&String::from(js_sys::JSON::stringify(&list).unwrap()))
        .expect("PhoneRequests JSON");
    let listed = list["requests"].as_array().expect("a list");
    let mine = listed
        .iter()
        .find(|request| request["recordId"] == outside.record_id.as_str())
        .expect("the request is listed");
    assert_eq!(mine["state"], "pending");
    assert_eq!(mine["recordTimeMs"], time);
    assert_eq!(
        mine["outOfFence"],
        serde_json::json!({"reason": "meeting", "note": "区建设局开安全会"})
    );
    assert_eq!(mine["decidedAtMs"], Value::Null);
    assert!(
        listed
            .iter()
            .all(|request| request["recordId"] != inside.record_id.as_str()),
        "an ordinary clock-in is not a request"
    );

    events.borrow_mut().clear();
    phone.heartbeat().await.expect("heartbeat");
    assert!(
        !events
            .borrow()
            .iter()
            .any(|(kind, _)| *kind == PhoneEventKind::RequestsChanged),
        "nothing was decided since the list was fetched"
    );
}
