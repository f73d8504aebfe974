//! What the outbox policy needs from a store. Implemented by the browser's IndexedDB store
//! and by the in-memory twin the tests use.

use super::{EntryState, OutboxEntry, StateCounts};

/// A durable home for outbox entries and their photos.
///
/// Every method that writes returns only once the write is durable (IndexedDB: a `strict`
/// transaction has completed), because the page tells the worker "saved" on its word.
#[allow(async_fn_in_trait)] // single-threaded (the browser's event loop); no Send bound wanted
pub trait OutboxStore {
    /// A store failure, shown to the worker and logged.
    type Error: std::fmt::Display;

    /// The highest `seq` stored, 0 when empty.
    async fn last_seq(&self) -> Result<u64, Self::Error>;

    /// Stores new entries with their photos (JPEG bytes), all or none.
    async fn insert(&self, batch: &[(OutboxEntry, Vec<u8>)]) -> Result<(), Self::Error>;

    /// Replaces entries, all or none; those marked `true` lose their photo in the same write.
    async fn update(&self, entries: &[(OutboxEntry, bool)]) -> Result<(), Self::Error>;

    /// One entry by id.
    async fn get(&self, id: &str) -> Result<Option<OutboxEntry>, Self::Error>;

    /// An entry's photo, while it has one.
    async fn photo(&self, id: &str) -> Result<Option<Vec<u8>>, Self::Error>;

    /// Up to `limit` entries in `state` whose `seq` is at least `from_seq`, oldest (lowest
    /// `seq`) first. (IndexedDB skips the stale index entries of records that left `state`
    /// one by one on every read of its range: starting at the oldest live one is much cheaper.)
    async fn in_state(
        &self,
        state: EntryState,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, Self::Error>;

    /// How many entries are in each state.
    async fn counts(&self) -> Result<StateCounts, Self::Error>;

    /// Deletes those of the oldest `limit` entries in `state` (one the phone is finished with:
    /// `done`, `requested`) settled before `before_ms`; returns how many.
    async fn prune_settled(
        &self,
        state: EntryState,
        before_ms: i64,
        limit: usize,
    ) -> Result<u64, Self::Error>;
}
