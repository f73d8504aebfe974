//! The outbox policy on its in-memory store: states, back-off, ordering, leases, and a flaky
//! relay that must not make it lose or duplicate a record (pure core; also runs as wasm).

use wasm_bindgen_test::wasm_bindgen_test;

use std::collections::HashMap;

use crate::record_common::{draft, photo, ready};
use zj_phone::record::outbox::{
    Backoff, Claimed, EntryState, MemoryStore, Outbox, OutboxConfig, OutboxEntry, OutboxStore,
    Settled, StateCounts,
};

const T0: i64 = 1_790_000_000_000;

fn outbox() -> Outbox<MemoryStore> {
    Outbox::new(MemoryStore::new(), OutboxConfig::default())
}

fn enqueue(
    outbox: &Outbox<MemoryStore>,
    numbers: std::ops::Range<u64>,
    at: i64,
) -> Vec<OutboxEntry> {
    let records = numbers.map(|n| (draft(n, at), photo(n))).collect();
    ready(outbox.enqueue(records, at)).unwrap()
}

fn claim(outbox: &Outbox<MemoryStore>, now: i64) -> Claimed {
    ready(outbox.claim(now, 1)).unwrap()
}

fn claimed(outbox: &Outbox<MemoryStore>, now: i64) -> OutboxEntry {
    match claim(outbox, now) {
        Claimed::Records(mut entries) if entries.len() == 1 => entries.remove(0),
        other => panic!("expected one record at {now}, got {other:?}"),
    }
}

fn settle(outbox: &Outbox<MemoryStore>, id: &str, settled: Settled, now: i64) -> OutboxEntry {
    ready(outbox.settle(id, settled, now, u32::MAX))
        .unwrap()
        .expect("known id")
}

fn retry(reason: &str) -> Settled {
    Settled::Retry {
        reason: reason.into(),
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn an_empty_outbox_has_nothing_to_claim() {
    assert_eq!(claim(&outbox(), T0), Claimed::Empty);
    assert_eq!(ready(outbox().counts()).unwrap(), StateCounts::default());
}

#[wasm_bindgen_test(unsupported = test)]
fn records_are_claimed_oldest_first_across_batches() {
    let outbox = outbox();
    let first = enqueue(&outbox, 0..3, T0);
    let second = enqueue(&outbox, 3..5, T0 + 10);
    assert_eq!(
        second[0].seq,
        first[2].seq + 1,
        "seq continues after the last batch"
    );
    for expected in first.iter().chain(&second) {
        let entry = claimed(&outbox, T0 + 20);
        assert_eq!(entry.id, expected.id);
        assert_eq!(entry.state, EntryState::Sending);
        assert_eq!(entry.attempts, 1);
    }
    assert!(
        matches!(claim(&outbox, T0 + 20), Claimed::WaitUntil(_)),
        "all leased"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_batch_claim_leases_the_oldest_due_records_and_settles_them_in_one_write() {
    let outbox = outbox();
    let saved = enqueue(&outbox, 0..5, T0);
    let Claimed::Records(batch) = claim_many(&outbox, T0, 3) else {
        panic!("records are due");
    };
    let ids: Vec<_> = batch.iter().map(|entry| entry.id.clone()).collect();
    assert_eq!(
        ids,
        saved[..3]
            .iter()
            .map(|entry| entry.id.clone())
            .collect::<Vec<_>>()
    );
    assert!(batch
        .iter()
        .all(|entry| entry.state == EntryState::Sending && entry.attempts == 1));
    let outcomes = vec![
        (ids[0].clone(), Settled::Delivered),
        (ids[1].clone(), retry("500_01")),
        ("unknown".to_owned(), Settled::Delivered),
        (
            ids[2].clone(),
            Settled::Failed {
                reason: "403_01".into(),
            },
        ),
    ];
    let stored = ready(outbox.settle_all(outcomes, T0 + 1, || 0)).unwrap();
    let states: Vec<_> = stored.iter().map(|entry| entry.state).collect();
    assert_eq!(
        states,
        [EntryState::Done, EntryState::Pending, EntryState::Failed]
    );
    let Claimed::Records(rest) = claim_many(&outbox, T0 + 2, 10) else {
        panic!("the two never sent are due");
    };
    assert_eq!(rest.len(), 2, "the retried one is in back-off");
}

fn claim_many(outbox: &Outbox<MemoryStore>, now: i64, max: usize) -> Claimed {
    ready(outbox.claim(now, max)).unwrap()
}

#[wasm_bindgen_test(unsupported = test)]
fn a_delivered_record_is_done_and_gives_up_its_photo() {
    let outbox = outbox();
    enqueue(&outbox, 0..2, T0);
    let entry = claimed(&outbox, T0);
    let done = settle(&outbox, &entry.id, Settled::Delivered, T0 + 300);
    assert_eq!(done.state, EntryState::Done);
    assert_eq!(done.settled_at_ms, Some(T0 + 300));
    assert_eq!(ready(outbox.photo(&entry.id)).unwrap(), None);
    assert_eq!(
        outbox.store().photo_count(),
        1,
        "the other record keeps its photo"
    );
    let counts = ready(outbox.counts()).unwrap();
    assert_eq!((counts.pending, counts.done, counts.waiting()), (1, 1, 1));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_record_kept_as_a_request_is_delivered_apart_and_never_sent_again() {
    let outbox = outbox();
    enqueue(&outbox, 0..2, T0);
    let entry = claimed(&outbox, T0);
    let requested = settle(&outbox, &entry.id, Settled::Requested, T0 + 300);
    assert_eq!(
        (requested.state, requested.state_rank),
        (EntryState::Requested, 4)
    );
    assert_eq!(requested.settled_at_ms, Some(T0 + 300));
    assert_eq!(
        ready(outbox.photo(&entry.id)).unwrap(),
        None,
        "the relay holds the photo"
    );
    let counts = ready(outbox.counts()).unwrap();
    assert_eq!(
        (
            counts.pending,
            counts.done,
            counts.requested,
            counts.waiting()
        ),
        (1, 0, 1, 1)
    );
    let other = claimed(&outbox, T0 + 400);
    assert_ne!(other.id, entry.id);
    settle(&outbox, &other.id, Settled::Delivered, T0 + 500);
    assert_eq!(
        claim(&outbox, T0 + 1_000_000_000),
        Claimed::Empty,
        "a request is not retried"
    );
    assert!(!ready(outbox.retry_failed(&entry.id, T0 + 600)).unwrap());
    let listed = ready(outbox.list(EntryState::Requested, 10)).unwrap();
    assert_eq!(listed, vec![requested]);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_retry_backs_off_exponentially_up_to_the_cap() {
    let config = OutboxConfig::default();
    let outbox = outbox();
    enqueue(&outbox, 0..1, T0);
    let mut now = T0;
    let mut delays = Vec::new();
    for _ in 0..12 {
        let entry = claimed(&outbox, now);
        let pending = settle(&outbox, &entry.id, retry("网络不通"), now);
        assert_eq!(pending.state, EntryState::Pending);
        assert_eq!(pending.last_error.as_deref(), Some("网络不通"));
        let delay = pending.not_before_ms - now;
        assert_eq!(
            claim(&outbox, now + delay - 1),
            Claimed::WaitUntil(now + delay)
        );
        delays.push(delay);
        now += delay;
    }
    assert_eq!(
        delays[0], config.backoff.base_ms,
        "full jitter draw: the whole delay"
    );
    assert_eq!(delays[1], 2 * config.backoff.base_ms);
    assert_eq!(*delays.last().unwrap(), config.backoff.cap_ms);
    assert!(delays.windows(2).all(|pair| pair[0] <= pair[1]));
}

#[wasm_bindgen_test(unsupported = test)]
fn jitter_spreads_the_delay_over_its_upper_half() {
    let backoff = Backoff::default();
    assert_eq!(backoff.delay_ms(1, 0), backoff.base_ms / 2);
    assert_eq!(backoff.delay_ms(1, u32::MAX), backoff.base_ms);
    let middle = backoff.delay_ms(3, u32::MAX / 2);
    // Attempt 3: 4 × base, and a middle draw lands at ¾ of it.
    assert!(
        (3 * backoff.base_ms - 1..=3 * backoff.base_ms).contains(&middle),
        "{middle}"
    );
    assert_eq!(
        backoff.delay_ms(u32::MAX, u32::MAX),
        backoff.cap_ms,
        "no overflow"
    );
    assert_eq!(
        backoff.delay_ms(0, u32::MAX),
        backoff.base_ms,
        "0 counts as the first"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_record_in_back_off_does_not_hold_up_a_due_one_behind_it() {
    let outbox = outbox();
    let entries = enqueue(&outbox, 0..2, T0);
    let first = claimed(&outbox, T0);
    settle(&outbox, &first.id, retry("500_01"), T0);
    let next = claimed(&outbox, T0 + 1);
    assert_eq!(next.id, entries[1].id);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_batch_claim_skips_a_record_in_back_off_within_the_batch_for_the_next_due_one() {
    let outbox = outbox();
    let saved = enqueue(&outbox, 0..20, T0);
    let Claimed::Records(first) = claim_many(&outbox, T0, 4) else {
        panic!("records are due");
    };
    // The oldest comes back for a retry (in back-off); the other three are delivered.
    let outcomes = (first.iter().enumerate())
        .map(|(n, entry)| {
            let settled = if n == 0 {
                retry("500_01")
            } else {
                Settled::Delivered
            };
            (entry.id.clone(), settled)
        })
        .collect();
    ready(outbox.settle_all(outcomes, T0 + 1, || 0)).unwrap();
    let Claimed::Records(batch) = claim_many(&outbox, T0 + 2, 8) else {
        panic!("records are due");
    };
    let ids: Vec<_> = batch.iter().map(|entry| entry.id.as_str()).collect();
    let expected: Vec<_> = saved[4..12].iter().map(|entry| entry.id.as_str()).collect();
    assert_eq!(
        ids, expected,
        "the next eight due, past the one in back-off"
    );
}

/// The ids of a claim's records.
fn claimed_ids(claim: Claimed) -> Vec<String> {
    match claim {
        Claimed::Records(entries) => entries.into_iter().map(|entry| entry.id).collect(),
        other => panic!("expected records, got {other:?}"),
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_failed_record_put_back_goes_out_before_newer_ones_though_claims_moved_past_it() {
    let outbox = outbox();
    let saved = enqueue(&outbox, 0..3, T0);
    let first = claimed(&outbox, T0);
    let failed = Settled::Failed {
        reason: "403_01".into(),
    };
    settle(&outbox, &first.id, failed, T0);
    for entry in &saved[1..] {
        let next = claimed(&outbox, T0);
        assert_eq!(next.id, entry.id);
        settle(&outbox, &next.id, Settled::Delivered, T0);
    }
    let newer = enqueue(&outbox, 3..5, T0);
    assert!(ready(outbox.retry_failed(&first.id, T0 + 1)).unwrap());
    let ids = claimed_ids(claim_many(&outbox, T0 + 1, 8));
    assert_eq!(
        ids,
        [&first.id, &newer[0].id, &newer[1].id].map(String::clone)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_record_put_back_below_the_claims_by_another_tab_is_still_claimed() {
    let outbox = outbox();
    let saved = enqueue(&outbox, 0..4, T0);
    // Two batches delivered: claims now start at the fourth record.
    for batch in [&saved[..2], &saved[2..3]] {
        let ids = claimed_ids(claim_many(&outbox, T0, batch.len()));
        let outcomes = ids.into_iter().map(|id| (id, Settled::Delivered)).collect();
        ready(outbox.settle_all(outcomes, T0, || 0)).unwrap();
    }
    let last = claimed(&outbox, T0);
    assert_eq!(last.id, saved[3].id);
    settle(&outbox, &last.id, Settled::Delivered, T0);
    // Another tab puts the first record back in the queue, under this outbox's feet.
    let mut again = ready(outbox.store().get(&saved[0].id)).unwrap().unwrap();
    again.set_state(EntryState::Pending);
    ready(outbox.store().update(&[(again, false)])).unwrap();
    assert_eq!(claimed(&outbox, T0 + 1).id, saved[0].id);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_failed_record_is_kept_and_can_be_put_back() {
    let outbox = outbox();
    enqueue(&outbox, 0..1, T0);
    let entry = claimed(&outbox, T0);
    let failed = settle(
        &outbox,
        &entry.id,
        Settled::Failed {
            reason: "403_01".into(),
        },
        T0 + 5,
    );
    assert_eq!(failed.state, EntryState::Failed);
    assert_eq!(
        claim(&outbox, T0 + 1_000_000),
        Claimed::Empty,
        "never sent again by itself"
    );
    assert_eq!(
        ready(outbox.list(EntryState::Failed, 10)).unwrap(),
        vec![failed]
    );
    assert!(
        ready(outbox.photo(&entry.id)).unwrap().is_some(),
        "kept for export"
    );

    assert!(ready(outbox.retry_failed(&entry.id, T0 + 10)).unwrap());
    let again = claimed(&outbox, T0 + 10);
    assert_eq!((again.id, again.attempts), (entry.id.clone(), 1));
    assert!(
        !ready(outbox.retry_failed(&entry.id, T0 + 10)).unwrap(),
        "not failed now"
    );
    assert!(!ready(outbox.retry_failed("no-such-record", T0)).unwrap());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_lease_that_runs_out_makes_the_record_due_again_after_a_reopen() {
    let config = OutboxConfig::default();
    let first_tab = outbox();
    enqueue(&first_tab, 0..1, T0);
    let leased = claimed(&first_tab, T0);
    // The tab is killed mid-send; another opens the same store.
    let second_tab = Outbox::new(first_tab.into_store(), config);
    assert_eq!(
        claim(&second_tab, T0 + 1),
        Claimed::WaitUntil(T0 + config.lease_ms)
    );
    let again = claimed(&second_tab, T0 + config.lease_ms);
    assert_eq!((again.id, again.attempts), (leased.id, 2));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_released_record_is_pending_again_without_a_penalty() {
    let outbox = outbox();
    enqueue(&outbox, 0..1, T0);
    let entry = claimed(&outbox, T0);
    let released = settle(&outbox, &entry.id, Settled::Released, T0 + 1);
    assert_eq!(
        (released.state, released.attempts),
        (EntryState::Pending, 0)
    );
    assert_eq!(claimed(&outbox, T0 + 1).id, entry.id);
}

#[wasm_bindgen_test(unsupported = test)]
fn settling_an_unknown_record_changes_nothing() {
    let outbox = outbox();
    enqueue(&outbox, 0..1, T0);
    assert_eq!(
        ready(outbox.settle("nope", Settled::Delivered, T0, 0)).unwrap(),
        None
    );
    assert_eq!(ready(outbox.counts()).unwrap().pending, 1);
}

#[wasm_bindgen_test(unsupported = test)]
fn pruning_forgets_only_old_delivered_records() {
    let outbox = outbox();
    enqueue(&outbox, 0..6, T0);
    let a = claimed(&outbox, T0);
    settle(&outbox, &a.id, Settled::Delivered, T0);
    let b = claimed(&outbox, T0);
    settle(
        &outbox,
        &b.id,
        Settled::Failed {
            reason: "403_01".into(),
        },
        T0,
    );
    let c = claimed(&outbox, T0);
    settle(&outbox, &c.id, Settled::Delivered, T0 + 50_000);
    let d = claimed(&outbox, T0);
    settle(&outbox, &d.id, Settled::Requested, T0);
    let e = claimed(&outbox, T0);
    settle(&outbox, &e.id, Settled::Requested, T0 + 50_000);
    let week = 7 * 24 * 3600 * 1000;
    assert_eq!(
        ready(outbox.prune_delivered(week, T0 + week + 1)).unwrap(),
        2,
        "the old delivered record and the old request"
    );
    let counts = ready(outbox.counts()).unwrap();
    assert_eq!(
        (
            counts.pending,
            counts.sending,
            counts.done,
            counts.failed,
            counts.requested
        ),
        (1, 0, 1, 1, 1)
    );
}

/// A relay that fails often: it refuses before forwarding, or forwards and the answer is lost,
/// or the tab dies mid-send, or it answers. The outbox must mark every record done exactly once
/// and keep each one until then.
#[wasm_bindgen_test(unsupported = test)]
fn a_flaky_relay_neither_loses_nor_duplicates_records() {
    let outbox = outbox();
    let total = 300;
    enqueue(&outbox, 0..total, T0);
    let mut sends: HashMap<String, u32> = HashMap::new();
    let mut deliveries: HashMap<String, u32> = HashMap::new();
    let mut random = 0x2545_f491_u32;
    let mut next_random = move || {
        random ^= random << 13;
        random ^= random >> 17;
        random ^= random << 5;
        random
    };
    let mut now = T0;
    for _ in 0..100_000 {
        // A few records at a time, as the uploader sends them.
        let batch = match ready(outbox.claim(now, 1 + next_random() as usize % 4)).unwrap() {
            Claimed::Empty => break,
            Claimed::WaitUntil(until) => {
                now = until;
                continue;
            }
            Claimed::Records(batch) => batch,
        };
        let mut outcomes = Vec::new();
        for entry in batch {
            *sends.entry(entry.id.clone()).or_default() += 1;
            assert!(
                ready(outbox.photo(&entry.id)).unwrap().is_some(),
                "photo kept until done"
            );
            let settled = match next_random() % 4 {
                0 => retry("refused before forwarding"),
                1 => retry("forwarded, answer lost"),
                2 => continue, // the tab dies mid-send: the lease must bring it back
                _ => {
                    *deliveries.entry(entry.id.clone()).or_default() += 1;
                    Settled::Delivered
                }
            };
            outcomes.push((entry.id, settled));
        }
        ready(outbox.settle_all(outcomes, now, &mut next_random)).unwrap();
        now += 7;
    }
    let counts = ready(outbox.counts()).unwrap();
    assert_eq!(counts.done, total, "{counts:?}");
    assert_eq!(deliveries.len() as u64, total);
    assert!(deliveries.values().all(|&count| count == 1));
    assert!(
        sends.values().any(|&count| count > 3),
        "the relay was flaky enough to matter"
    );
    assert_eq!(outbox.store().photo_count(), 0);
}
