//! The in-memory twin of the browser's store, for native tests of the policy.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;

use super::{EntryState, OutboxEntry, OutboxStore, StateCounts};

/// Entries in a map ordered by (seq, id), photos beside them. Not durable: a test "reopens" it
/// by handing the same value to a new [`Outbox`](super::Outbox).
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: RefCell<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: BTreeMap<(u64, String), OutboxEntry>,
    seq_of: HashMap<String, u64>,
    photos: HashMap<String, Vec<u8>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many photos are stored (done and requested records give theirs up).
    pub fn photo_count(&self) -> usize {
        self.inner.borrow().photos.len()
    }
}

impl OutboxStore for MemoryStore {
    type Error = Infallible;

    async fn last_seq(&self) -> Result<u64, Infallible> {
        let inner = self.inner.borrow();
        Ok(inner.entries.keys().next_back().map_or(0, |(seq, _)| *seq))
    }

    async fn insert(&self, batch: &[(OutboxEntry, Vec<u8>)]) -> Result<(), Infallible> {
        let mut inner = self.inner.borrow_mut();
        for (entry, photo) in batch {
            inner.put(entry.clone());
            inner.photos.insert(entry.id.clone(), photo.clone());
        }
        Ok(())
    }

    async fn update(&self, entries: &[(OutboxEntry, bool)]) -> Result<(), Infallible> {
        let mut inner = self.inner.borrow_mut();
        for (entry, drop_photo) in entries {
            inner.put(entry.clone());
            if *drop_photo {
                inner.photos.remove(&entry.id);
            }
        }
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<OutboxEntry>, Infallible> {
        let inner = self.inner.borrow();
        Ok(inner
            .seq_of
            .get(id)
            .and_then(|seq| inner.entries.get(&(*seq, id.to_owned())))
            .cloned())
    }

    async fn photo(&self, id: &str) -> Result<Option<Vec<u8>>, Infallible> {
        Ok(self.inner.borrow().photos.get(id).cloned())
    }

    async fn in_state(
        &self,
        state: EntryState,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, Infallible> {
        let inner = self.inner.borrow();
        Ok(inner
            .entries
            .values()
            .filter(|entry| entry.state == state && entry.seq >= from_seq)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn counts(&self) -> Result<StateCounts, Infallible> {
        let mut counts = StateCounts::default();
        for entry in self.inner.borrow().entries.values() {
            counts.add(entry.state, 1);
        }
        Ok(counts)
    }

    async fn prune_settled(
        &self,
        state: EntryState,
        before_ms: i64,
        limit: usize,
    ) -> Result<u64, Infallible> {
        let mut inner = self.inner.borrow_mut();
        let old: Vec<(u64, String)> = inner
            .entries
            .iter()
            .filter(|(_, entry)| entry.state == state)
            .take(limit)
            .filter(|(_, entry)| entry.settled_at_ms.is_some_and(|at| at < before_ms))
            .map(|(key, _)| key.clone())
            .collect();
        for key in &old {
            inner.entries.remove(key);
            inner.seq_of.remove(&key.1);
            inner.photos.remove(&key.1);
        }
        Ok(old.len() as u64)
    }
}

impl Inner {
    fn put(&mut self, entry: OutboxEntry) {
        if let Some(old_seq) = self.seq_of.insert(entry.id.clone(), entry.seq) {
            self.entries.remove(&(old_seq, entry.id.clone()));
        }
        self.entries.insert((entry.seq, entry.id.clone()), entry);
    }
}
