//! The outbox's IndexedDB store: records (indexed by state and order), photos as Blobs apart
//! from them, and a small key-value store for the phone's settings.

use js_sys::Array;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    IdbCursorDirection, IdbCursorWithValue, IdbDatabase, IdbIndexParameters, IdbKeyRange,
};

use super::idb::{self, blob_of, bytes_of, committed, durable_transaction, read_transaction};
use super::js_error::BrowserError;
use super::js_values;
use zj_phone::record::outbox::{EntryState, OutboxEntry, OutboxStore, StateCounts};

const RECORDS: &str = "records";
const PHOTOS: &str = "photos";
const META: &str = "meta";
/// Index of `records` on `[stateRank, seq]`: the queue of each state, oldest first.
const QUEUE: &str = "queue";
/// Index of `records` on `seq`.
const SEQ: &str = "seq";
const SCHEMA_VERSION: u32 = 1;

/// The outbox in one IndexedDB database.
#[derive(Debug, Clone)]
pub struct IdbOutboxStore {
    db: IdbDatabase,
}

impl IdbOutboxStore {
    /// Opens (creating when new) database `name`.
    pub async fn open(name: &str) -> Result<Self, BrowserError> {
        let db = idb::open(name, SCHEMA_VERSION, |db, _, old_version| {
            if old_version < 1 {
                let params = web_sys::IdbObjectStoreParameters::new();
                params.set_key_path(&JsValue::from_str("id"));
                let records = db.create_object_store_with_optional_parameters(RECORDS, &params)?;
                let key_path: Array = ["stateRank", "seq"]
                    .iter()
                    .map(|k| JsValue::from_str(k))
                    .collect();
                records.create_index_with_str_sequence_and_optional_parameters(
                    QUEUE,
                    &key_path,
                    &IdbIndexParameters::new(),
                )?;
                records.create_index_with_str(SEQ, "seq")?;
                db.create_object_store(PHOTOS)?;
                db.create_object_store(META)?;
            }
            Ok(())
        })
        .await?;
        Ok(IdbOutboxStore { db })
    }

    /// Closes the connection (a test reopens the database afterwards).
    pub fn close(&self) {
        self.db.close();
    }

    /// A setting, as stored by [`set_meta`](Self::set_meta).
    pub async fn meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, BrowserError> {
        let transaction = read_transaction(&self.db, &[META])?;
        let store = transaction.object_store(META).map_err(js("本机存储"))?;
        let value = idb::request(&store.get(&key.into()).map_err(js("本机存储"))?).await?;
        Ok(value
            .as_string()
            .and_then(|text| serde_json::from_str(&text).ok()))
    }

    /// Stores a setting durably (as JSON text).
    pub async fn set_meta(&self, key: &str, value: &impl Serialize) -> Result<(), BrowserError> {
        let text = serde_json::to_string(value)
            .map_err(|e| BrowserError::new("本机存储", e.to_string()))?;
        let transaction = durable_transaction(&self.db, &[META])?;
        let store = transaction.object_store(META).map_err(js("本机存储"))?;
        store
            .put_with_key(&text.into(), &key.into())
            .map_err(js("本机存储"))?;
        committed(&transaction).await
    }

    /// The keys of the queue index for records in `state` from `seq` `from_seq` on.
    fn queue_range(state: EntryState, from_seq: u64) -> Result<IdbKeyRange, BrowserError> {
        let rank = f64::from(state.rank());
        let lower = Array::of2(&rank.into(), &(from_seq as f64).into());
        let upper = Array::of2(&rank.into(), &f64::INFINITY.into());
        IdbKeyRange::bound(&lower, &upper).map_err(js("本机存储"))
    }
}

/// A closure turning a thrown JS value into a [`BrowserError`] about `context`.
fn js(context: &'static str) -> impl Fn(JsValue) -> BrowserError {
    move |error| BrowserError::from_js(context, error)
}

/// Entries as plain JS objects, converted in one go (one JSON text, one `JSON.parse`) rather
/// than one crossing per entry.
fn entries_to_js<'a>(
    entries: impl Iterator<Item = &'a OutboxEntry>,
) -> Result<Array, BrowserError> {
    let entries: Vec<&OutboxEntry> = entries.collect();
    js_values::to_js(&entries)
        .dyn_into()
        .map_err(|_| BrowserError::new("保存记录", "记录无法转为 JS 对象"))
}

/// Stored records as `T` (one entry, or a list of them read in one go).
fn from_js<T: DeserializeOwned>(value: &JsValue) -> Result<T, BrowserError> {
    js_values::from_js(value).map_err(|e| BrowserError::new("读取记录", e))
}

impl OutboxStore for IdbOutboxStore {
    type Error = BrowserError;

    async fn last_seq(&self) -> Result<u64, BrowserError> {
        let transaction = read_transaction(&self.db, &[RECORDS])?;
        let index = transaction
            .object_store(RECORDS)
            .and_then(|store| store.index(SEQ))
            .map_err(js("本机存储"))?;
        let cursor = index
            .open_cursor_with_range_and_direction(&JsValue::NULL, IdbCursorDirection::Prev)
            .map_err(js("本机存储"))?;
        let found = idb::request(&cursor).await?;
        Ok(found
            .dyn_into::<IdbCursorWithValue>()
            .ok()
            .and_then(|cursor| cursor.key().ok())
            .and_then(|key| key.as_f64())
            .map_or(0, |seq| seq as u64))
    }

    async fn insert(&self, batch: &[(OutboxEntry, Vec<u8>)]) -> Result<(), BrowserError> {
        let transaction = durable_transaction(&self.db, &[RECORDS, PHOTOS])?;
        let records = transaction.object_store(RECORDS).map_err(js("保存记录"))?;
        let photos = transaction.object_store(PHOTOS).map_err(js("保存照片"))?;
        let values = entries_to_js(batch.iter().map(|(entry, _)| entry))?;
        for ((entry, photo), value) in batch.iter().zip(values.iter()) {
            records.add(&value).map_err(js("保存记录"))?;
            photos
                .put_with_key(
                    &blob_of(photo, "image/jpeg")?.into(),
                    &entry.id.as_str().into(),
                )
                .map_err(js("保存照片"))?;
        }
        committed(&transaction).await
    }

    async fn update(&self, entries: &[(OutboxEntry, bool)]) -> Result<(), BrowserError> {
        let transaction = durable_transaction(&self.db, &[RECORDS, PHOTOS])?;
        let records = transaction.object_store(RECORDS).map_err(js("保存记录"))?;
        let photos = transaction.object_store(PHOTOS).map_err(js("保存照片"))?;
        let values = entries_to_js(entries.iter().map(|(entry, _)| entry))?;
        for ((entry, drop_photo), value) in entries.iter().zip(values.iter()) {
            records.put(&value).map_err(js("保存记录"))?;
            if *drop_photo {
                photos
                    .delete(&entry.id.as_str().into())
                    .map_err(js("保存照片"))?;
            }
        }
        committed(&transaction).await
    }

    async fn get(&self, id: &str) -> Result<Option<OutboxEntry>, BrowserError> {
        let transaction = read_transaction(&self.db, &[RECORDS])?;
        let store = transaction.object_store(RECORDS).map_err(js("读取记录"))?;
        let value = idb::request(&store.get(&id.into()).map_err(js("读取记录"))?).await?;
        if value.is_undefined() {
            return Ok(None);
        }
        from_js(&value).map(Some)
    }

    async fn photo(&self, id: &str) -> Result<Option<Vec<u8>>, BrowserError> {
        let transaction = read_transaction(&self.db, &[PHOTOS])?;
        let store = transaction.object_store(PHOTOS).map_err(js("读取照片"))?;
        let value = idb::request(&store.get(&id.into()).map_err(js("读取照片"))?).await?;
        match value.dyn_into::<web_sys::Blob>() {
            Ok(blob) => bytes_of(&blob).await.map(Some),
            Err(_) => Ok(None),
        }
    }

    async fn in_state(
        &self,
        state: EntryState,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, BrowserError> {
        let transaction = read_transaction(&self.db, &[RECORDS])?;
        let index = transaction
            .object_store(RECORDS)
            .and_then(|store| store.index(QUEUE))
            .map_err(js("读取记录"))?;
        let request = index
            .get_all_with_key_and_limit(
                &Self::queue_range(state, from_seq)?.into(),
                limit.min(u32::MAX as usize) as u32,
            )
            .map_err(js("读取记录"))?;
        // One JSON text for the lot rather than one crossing per entry.
        from_js(&idb::request(&request).await?)
    }

    async fn counts(&self) -> Result<StateCounts, BrowserError> {
        let transaction = read_transaction(&self.db, &[RECORDS])?;
        let index = transaction
            .object_store(RECORDS)
            .and_then(|store| store.index(QUEUE))
            .map_err(js("读取记录"))?;
        let mut requests = Vec::new();
        for state in EntryState::ALL {
            let request = index
                .count_with_key(&Self::queue_range(state, 0)?.into())
                .map_err(js("读取记录"))?;
            requests.push((state, request));
        }
        let mut counts = StateCounts::default();
        for (state, request) in requests {
            let count = idb::request(&request).await?.as_f64().unwrap_or(0.0);
            counts.add(state, count as u64);
        }
        Ok(counts)
    }

    async fn prune_settled(
        &self,
        state: EntryState,
        before_ms: i64,
        limit: usize,
    ) -> Result<u64, BrowserError> {
        let old: Vec<String> = self
            .in_state(state, 0, limit)
            .await?
            .into_iter()
            .filter(|entry| entry.settled_at_ms.is_some_and(|at| at < before_ms))
            .map(|entry| entry.id)
            .collect();
        if old.is_empty() {
            return Ok(0);
        }
        let transaction = durable_transaction(&self.db, &[RECORDS, PHOTOS])?;
        let records = transaction.object_store(RECORDS).map_err(js("清理记录"))?;
        let photos = transaction.object_store(PHOTOS).map_err(js("清理记录"))?;
        for id in &old {
            records
                .delete(&id.as_str().into())
                .map_err(js("清理记录"))?;
            photos.delete(&id.as_str().into()).map_err(js("清理记录"))?;
        }
        committed(&transaction).await?;
        Ok(old.len() as u64)
    }
}
