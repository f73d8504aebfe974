//! One record in the outbox.

use serde::{Deserialize, Serialize};

use crate::record::{DraftText, SignInDraft};

/// Where a record is on its way to the platform.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EntryState {
    /// Saved, waiting to be sent (maybe after a back-off).
    Pending,
    /// Handed to a sender, which holds a lease on it; a lease that runs out (the tab was
    /// killed mid-send) makes it pending again.
    Sending,
    /// The relay answered with the first final result: at the platform.
    Done,
    /// Refused for good (the record itself was refused); kept for inspection and export.
    Failed,
    /// Delivered as an out-of-fence request (外勤): the relay keeps it for a manager's decision
    /// and sends it to the platform once approved. Never sent again by the phone; the request's
    /// state comes from the relay (`GET /v1/requests`).
    Requested,
}

impl EntryState {
    /// Every state, in the order a record passes through them.
    pub const ALL: [EntryState; 5] = [
        EntryState::Pending,
        EntryState::Sending,
        EntryState::Done,
        EntryState::Failed,
        EntryState::Requested,
    ];

    /// The state's number in stores that index it (0 pending … 3 failed, 4 requested).
    pub fn rank(self) -> u8 {
        self as u8
    }
}

/// A saved record and its delivery bookkeeping. The photo is stored apart, under the same id.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", tsify(rename = "OutboxRecord"))]
#[serde(rename_all = "camelCase")]
pub struct OutboxEntry {
    /// The record's `recordId`: the key in every store.
    pub id: String,
    /// Enqueue order: records are sent oldest first.
    pub seq: u64,
    /// `rank()` of `state`, kept beside it so stores can index the queue by (state, seq).
    pub state_rank: u8,
    /// Where it is.
    pub state: EntryState,
    /// When it was saved, epoch milliseconds (device clock).
    pub saved_at_ms: i64,
    /// Sends tried so far.
    pub attempts: u32,
    /// Not to be sent before this time, epoch milliseconds (back-off after a failure).
    pub not_before_ms: i64,
    /// While `sending`: the lease's end, epoch milliseconds.
    pub lease_until_ms: i64,
    /// When it became `done`, `failed` or `requested`, epoch milliseconds.
    pub settled_at_ms: Option<i64>,
    /// The last failure, as the worker should read it (Chinese), with its code when the relay
    /// or platform gave one.
    pub last_error: Option<String>,
    /// The record itself, as the JSON text of its [`SignInDraft`].
    #[cfg_attr(feature = "typescript", tsify(type = "object"))]
    pub draft: DraftText,
}

impl OutboxEntry {
    /// A freshly saved record.
    pub fn new(draft: SignInDraft, seq: u64, now_ms: i64) -> Self {
        OutboxEntry {
            id: draft.record_id.clone(),
            seq,
            state_rank: EntryState::Pending.rank(),
            state: EntryState::Pending,
            saved_at_ms: now_ms,
            attempts: 0,
            not_before_ms: now_ms,
            lease_until_ms: 0,
            settled_at_ms: None,
            last_error: None,
            draft: DraftText::new(&draft),
        }
    }

    /// Moves it to `state`, keeping `state_rank` in step.
    pub fn set_state(&mut self, state: EntryState) {
        self.state = state;
        self.state_rank = state.rank();
    }

    /// Whether a sender may take it at `now_ms`: pending and out of back-off, or sending with
    /// its lease run out.
    pub(crate) fn is_due(&self, now_ms: i64) -> bool {
        match self.state {
            EntryState::Pending => self.not_before_ms <= now_ms,
            EntryState::Sending => self.lease_until_ms <= now_ms,
            EntryState::Done | EntryState::Failed | EntryState::Requested => false,
        }
    }
}

/// How many records are in each state.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateCounts {
    /// Waiting.
    pub pending: u64,
    /// Being sent.
    pub sending: u64,
    /// At the platform.
    pub done: u64,
    /// Refused for good.
    pub failed: u64,
    /// Delivered as out-of-fence requests (外勤), kept by the relay for a manager: neither
    /// waiting nor at the platform yet, so counted apart.
    pub requested: u64,
}

impl StateCounts {
    /// Counts one more record in `state`.
    pub fn add(&mut self, state: EntryState, count: u64) {
        match state {
            EntryState::Pending => self.pending += count,
            EntryState::Sending => self.sending += count,
            EntryState::Done => self.done += count,
            EntryState::Failed => self.failed += count,
            EntryState::Requested => self.requested += count,
        }
    }

    /// Records not yet at the platform nor refused: what the worker is waiting for.
    pub fn waiting(&self) -> u64 {
        self.pending + self.sending
    }
}
