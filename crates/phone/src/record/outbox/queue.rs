//! The outbox policy: enqueue, claim the oldest due record, settle it by the relay's answer.

use std::cell::Cell;

use super::{Backoff, EntryState, OutboxEntry, OutboxStore, StateCounts};
use crate::record::SignInDraft;

/// Delivered records looked at by one prune.
pub(super) const PRUNE_BATCH: usize = 500;

/// Tunables of the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxConfig {
    /// Back-off between attempts of one record.
    pub backoff: Backoff,
    /// How long a claim holds a record, milliseconds (default 60 s): longer than any send takes
    /// (the relay answers within its 10 s platform limit), so a lease that runs out means the
    /// sender died.
    pub lease_ms: i64,
    /// How many records at the head of the queue a claim looks at (default 64). A record in
    /// back-off is skipped for a due one behind it within this window.
    pub head_window: usize,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            backoff: Backoff::default(),
            lease_ms: 60_000,
            head_window: 64,
        }
    }
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claimed {
    /// Send these records now, oldest first (at least one; each `sending`, leased to the
    /// caller).
    Records(Vec<OutboxEntry>),
    /// Records are waiting, none due before this time, epoch milliseconds.
    WaitUntil(i64),
    /// Nothing is waiting.
    Empty,
}

/// How a send ended, for the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The relay gave the first final result: success. The photo is no longer needed.
    Delivered,
    /// Worth trying again later (link down, busy, platform error): back off.
    Retry {
        /// Why, for the worker (Chinese).
        reason: String,
    },
    /// The relay kept it as an out-of-fence request (its answer said `pending`): delivered as
    /// a request, never sent again. The relay holds the photo, so the phone's copy goes.
    Requested,
    /// Refused for good: kept as `failed`.
    Failed {
        /// Why, for the worker and the export.
        reason: String,
    },
    /// Not sent after all (sending stopped for a reason that is not the record's, such as
    /// revoked credentials): back to pending without a penalty.
    Released,
}

/// The outbox policy over a store.
#[derive(Debug)]
pub struct Outbox<S> {
    store: S,
    config: OutboxConfig,
    /// No pending or sending record older than this `seq` is known to this outbox: claims read
    /// the queue from here (0 after opening: one full read finds it).
    scan_from: Cell<u64>,
}

impl<S: OutboxStore> Outbox<S> {
    /// The policy over `store`.
    pub fn new(store: S, config: OutboxConfig) -> Self {
        Outbox {
            store,
            config,
            scan_from: Cell::new(0),
        }
    }

    /// The store underneath.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Gives the store back (the policy keeps no state of its own).
    pub fn into_store(self) -> S {
        self.store
    }

    /// Saves records (each with its JPEG photo) in one durable write, as `pending`, after every
    /// record already saved. Returns the entries as stored.
    pub async fn enqueue(
        &self,
        records: Vec<(SignInDraft, Vec<u8>)>,
        now_ms: i64,
    ) -> Result<Vec<OutboxEntry>, S::Error> {
        let first_seq = self.store.last_seq().await? + 1;
        let batch: Vec<(OutboxEntry, Vec<u8>)> = records
            .into_iter()
            .zip(first_seq..)
            .map(|((draft, photo), seq)| (OutboxEntry::new(draft, seq, now_ms), photo))
            .collect();
        self.store.insert(&batch).await?;
        Ok(batch.into_iter().map(|(entry, _)| entry).collect())
    }

    /// Takes the oldest due records, at most `max` (pending out of back-off, or sending with a
    /// lease that ran out), and leases them to the caller in one durable write, before they are
    /// sent.
    pub async fn claim(&self, now_ms: i64, max: usize) -> Result<Claimed, S::Error> {
        // Most claims find the head of the queue due (a backlog draining): `max` records of
        // each state are enough then; the whole window is read only when some of them wait.
        let from = self.scan_from.get();
        let window = self.config.head_window.max(max);
        let (mut head, complete) = self.head(from, max).await?;
        let head_due = head.len() >= max && head[..max].iter().all(|e| e.is_due(now_ms));
        if !complete && !head_due {
            (head, _) = self.head(from, window).await?;
        }
        if head.is_empty() && from > 0 {
            // Nothing from the mark on: look below it too (a record another tab put back).
            (head, _) = self.head(0, window).await?;
        }
        if let Some(oldest) = head.first() {
            self.scan_from.set(oldest.seq);
        }
        let due: Vec<(OutboxEntry, bool)> = head
            .iter()
            .filter(|entry| entry.is_due(now_ms))
            .take(max)
            .map(|entry| {
                let mut entry = entry.clone();
                entry.set_state(EntryState::Sending);
                entry.attempts += 1;
                entry.lease_until_ms = now_ms + self.config.lease_ms;
                (entry, false)
            })
            .collect();
        if due.is_empty() {
            return Ok(head
                .iter()
                .map(|entry| match entry.state {
                    EntryState::Sending => entry.lease_until_ms,
                    _ => entry.not_before_ms,
                })
                .min()
                .map_or(Claimed::Empty, Claimed::WaitUntil));
        }
        self.store.update(&due).await?;
        Ok(Claimed::Records(
            due.into_iter().map(|(entry, _)| entry).collect(),
        ))
    }

    /// The oldest `limit` records from `from_seq` on of the sending and of the pending queue,
    /// merged oldest first, and whether that is every such record.
    async fn head(
        &self,
        from_seq: u64,
        limit: usize,
    ) -> Result<(Vec<OutboxEntry>, bool), S::Error> {
        let mut head = (self.store)
            .in_state(EntryState::Sending, from_seq, limit)
            .await?;
        let sending = head.len();
        head.extend(
            (self.store)
                .in_state(EntryState::Pending, from_seq, limit)
                .await?,
        );
        let complete = sending < limit && head.len() - sending < limit;
        // Two runs, each oldest first; `seq` is unique, so order needs no stability.
        head.sort_unstable_by_key(|entry| entry.seq);
        Ok((head, complete))
    }

    /// Records how the send of a claimed record ended. `jitter` is a random `u32` for the
    /// back-off. Returns the entry as stored, or `None` when the id is unknown.
    pub async fn settle(
        &self,
        id: &str,
        settled: Settled,
        now_ms: i64,
        jitter: u32,
    ) -> Result<Option<OutboxEntry>, S::Error> {
        let mut stored = self
            .settle_all(vec![(id.to_owned(), settled)], now_ms, || jitter)
            .await?;
        Ok(stored.pop())
    }

    /// Records how the sends of several claimed records ended, in one durable write; unknown
    /// ids are skipped. `jitter` gives a random `u32` per back-off. Returns the entries as
    /// stored.
    pub async fn settle_all(
        &self,
        outcomes: Vec<(String, Settled)>,
        now_ms: i64,
        mut jitter: impl FnMut() -> u32,
    ) -> Result<Vec<OutboxEntry>, S::Error> {
        let mut changes = Vec::with_capacity(outcomes.len());
        for (id, settled) in outcomes {
            if let Some(entry) = self.store.get(&id).await? {
                changes.push(self.settled(entry, settled, now_ms, jitter()));
            }
        }
        self.store.update(&changes).await?;
        Ok(changes.into_iter().map(|(entry, _)| entry).collect())
    }

    /// The entry after `settled`, and whether its photo may go.
    fn settled(
        &self,
        mut entry: OutboxEntry,
        settled: Settled,
        now_ms: i64,
        jitter: u32,
    ) -> (OutboxEntry, bool) {
        let drop_photo = matches!(settled, Settled::Delivered | Settled::Requested);
        entry.lease_until_ms = 0;
        match settled {
            Settled::Delivered => delivered(&mut entry, EntryState::Done, now_ms),
            Settled::Requested => delivered(&mut entry, EntryState::Requested, now_ms),
            Settled::Retry { reason } => {
                entry.set_state(EntryState::Pending);
                entry.not_before_ms =
                    now_ms + self.config.backoff.delay_ms(entry.attempts.max(1), jitter);
                entry.last_error = Some(reason);
            }
            Settled::Failed { reason } => {
                entry.set_state(EntryState::Failed);
                entry.settled_at_ms = Some(now_ms);
                entry.last_error = Some(reason);
            }
            Settled::Released => {
                entry.set_state(EntryState::Pending);
                entry.attempts = entry.attempts.saturating_sub(1);
                entry.not_before_ms = now_ms;
            }
        }
        (entry, drop_photo)
    }

    /// Puts a failed record back in the queue at the worker's or manager's request (after the
    /// cause was fixed). Returns false when there is no failed record with that id.
    pub async fn retry_failed(&self, id: &str, now_ms: i64) -> Result<bool, S::Error> {
        match self.store.get(id).await? {
            Some(mut entry) if entry.state == EntryState::Failed => {
                entry.set_state(EntryState::Pending);
                entry.attempts = 0;
                entry.not_before_ms = now_ms;
                entry.settled_at_ms = None;
                let seq = entry.seq;
                self.store.update(&[(entry, false)]).await?;
                self.scan_from.set(self.scan_from.get().min(seq));
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// How many records are in each state.
    pub async fn counts(&self) -> Result<StateCounts, S::Error> {
        self.store.counts().await
    }

    /// Up to `limit` records in `state`, oldest first.
    pub async fn list(
        &self,
        state: EntryState,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, S::Error> {
        self.store.in_state(state, 0, limit).await
    }

    /// The photo of a record not yet delivered.
    pub async fn photo(&self, id: &str) -> Result<Option<Vec<u8>>, S::Error> {
        self.store.photo(id).await
    }

    /// Forgets delivered records (`done`, and `requested`: the relay keeps those) settled more
    /// than `keep_ms` ago (their photos went at delivery), looking at the oldest
    /// [`PRUNE_BATCH`] of each so each call costs little; never touches anything
    /// unacknowledged. Returns how many.
    pub async fn prune_delivered(&self, keep_ms: i64, now_ms: i64) -> Result<u64, S::Error> {
        let mut pruned = 0;
        for state in [EntryState::Done, EntryState::Requested] {
            pruned += (self.store)
                .prune_settled(state, now_ms - keep_ms, PRUNE_BATCH)
                .await?;
        }
        Ok(pruned)
    }
}

/// Marks `entry` delivered in `state` (`done`, or `requested` as an out-of-fence request).
fn delivered(entry: &mut OutboxEntry, state: EntryState, now_ms: i64) {
    entry.set_state(state);
    entry.settled_at_ms = Some(now_ms);
    entry.last_error = None;
}
