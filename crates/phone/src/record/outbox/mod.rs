//! The outbox: saved records waiting for the relay, and the policy that sends them.
//!
//! States: `pending` → `sending` → `done`, or `failed` (refused for good: kept for inspection
//! and export), or `requested` (an out-of-fence request the relay keeps for a manager: delivered,
//! not sent again). A record leaves `pending` only through a send; nothing unacknowledged is ever
//! deleted. The policy ([`Outbox`]) is written once against the [`OutboxStore`] trait; the
//! browser's IndexedDB store and the in-memory twin ([`MemoryStore`]) implement it, so the
//! policy is tested natively.

mod backoff;
mod entry;
mod memory;
mod queue;
mod store;

pub use backoff::Backoff;
pub use entry::{EntryState, OutboxEntry, StateCounts};
pub use memory::MemoryStore;
pub use queue::{Claimed, Outbox, OutboxConfig, Settled};
pub use store::OutboxStore;
