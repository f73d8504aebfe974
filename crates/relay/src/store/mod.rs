//! The relay's embedded store: one SQLite file. Every table's schema is in [`schema`]; the
//! store's own tables have a module each ([`phones`], [`ledger`]); the other parts keep their
//! queries in their own modules and run them through [`Store::run`].
//!
//! One writer thread owns the connection. Callers send it operations and await the result;
//! it applies every operation waiting at that moment in one transaction and commits once
//! (group commit), so each reply to a phone is durable (`synchronous=FULL`) without paying one
//! fsync per record. Reads and the mark that an attempt began are not fsync'd on their own
//! (they are in the write-ahead log, safe from a killed relay, and the attempt's durable
//! outcome follows them), so a sign-in costs one fsync, shared with its batch.

pub(crate) mod accounts;
pub(crate) mod enrollments;
pub(crate) mod ledger;
pub(crate) mod manager_actions;
pub(crate) mod mr860_logs;
pub(crate) mod nonces;
pub(crate) mod phones;
pub(crate) mod requests;
pub(crate) mod roster;
pub(crate) mod schema;
pub(crate) mod sessions;
pub(crate) mod sheet;
pub(crate) mod site_persons;
pub(crate) mod sites;
pub(crate) mod tasks;
pub(crate) mod terminals;
pub(crate) mod work_areas;

pub(crate) use ledger::{
    audit_listing, begin, first_received_ms, record_photo_check, Begun, Outcome, RecordEntry,
};
pub(crate) use phones::add_phone;
pub use phones::Phone;

use std::path::Path;
use std::sync::mpsc as std_mpsc;

use rusqlite::{Connection, Transaction};
use tokio::sync::oneshot;

/// Most operations applied in one transaction.
const MAX_BATCH: usize = 512;

/// The store failed: the disk, or the writer thread is gone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("relay store: {0}")]
pub struct StoreError(String);

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError(error.to_string())
    }
}

impl StoreError {
    /// A store error with this description.
    pub fn new(description: impl Into<String>) -> Self {
        StoreError(description.into())
    }
}

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// Work for the writer thread from another module: runs inside a batch's transaction and
/// returns how to answer once the commit's outcome is known.
type Work = Box<dyn FnOnce(&Transaction<'_>) -> Answer + Send>;

/// Answers an operation once its batch's commit is known to have succeeded or failed.
type Answer = Box<dyn FnOnce(Result<(), StoreError>)>;

enum Op {
    AddPhone(Phone, Reply<()>),
    Phones(Reply<Vec<Phone>>),
    Revoke(String, Reply<bool>),
    Finish(String, String, Outcome, i64, Reply<()>),
    Run(Work, Flush),
}

/// Whether a batch's commit must be on the disk before its operations are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flush {
    /// fsync'd before the answer (`synchronous=FULL`): survives a power cut.
    Durable,
    /// Written to the WAL in the operating system's cache (`synchronous=NORMAL`): survives the
    /// relay being killed, and reaches the disk with the next durable commit. For writes that
    /// no reply depends on yet.
    Deferred,
}

impl Op {
    fn flush(&self) -> Flush {
        match self {
            // A read. (The mark that an attempt began is deferred too, through `run_deferred`:
            // the attempt's outcome, which the phone's reply depends on, is a durable commit.)
            Op::Phones(_) => Flush::Deferred,
            Op::Run(_, flush) => *flush,
            Op::AddPhone(..) | Op::Revoke(..) | Op::Finish(..) => Flush::Durable,
        }
    }
}

/// A handle on the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    ops: std_mpsc::Sender<Op>,
}

impl Store {
    /// Opens (or creates) `relay.sqlite3` in `data_dir` and starts the writer thread.
    ///
    /// Records a previous run left 'sending' (it stopped between forwarding and the reply) are
    /// marked 'retry': whether the platform got them cannot be known, so the phone's retry
    /// sends them again. Returns the store and how many records were in that state.
    pub fn open(data_dir: &Path) -> Result<(Store, usize), StoreError> {
        Self::open_with(data_dir, true)
    }

    /// Opens the store beside a relay that may be running (for `relay enroll`): records in
    /// flight are the running relay's, so they are left as they are.
    pub fn open_beside(data_dir: &Path) -> Result<Store, StoreError> {
        Self::open_with(data_dir, false).map(|(store, _)| store)
    }

    fn open_with(data_dir: &Path, recover: bool) -> Result<(Store, usize), StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError(format!("creating {}: {e}", data_dir.display())))?;
        let connection = Connection::open(data_dir.join("relay.sqlite3"))?;
        connection.busy_timeout(std::time::Duration::from_secs(10))?;
        let facts_existed = schema::has_table(&connection, "audit_facts")?;
        connection.execute_batch(schema::SCHEMA)?;
        schema::add_missing_columns(&connection)?;
        if !facts_existed {
            ledger::fill_missing_facts(&connection)?;
        }
        let interrupted = if recover {
            connection.execute(
                "UPDATE ledger SET state = 'retry' WHERE state = 'sending'",
                [],
            )?
        } else {
            0
        };
        let (ops, inbox) = std_mpsc::channel();
        std::thread::Builder::new()
            .name("relay-store".into())
            .spawn(move || writer(connection, inbox))
            .map_err(|e| StoreError(format!("starting the store thread: {e}")))?;
        Ok((Store { ops }, interrupted))
    }

    async fn call<T>(&self, op: impl FnOnce(Reply<T>) -> Op) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.ops
            .send(op(reply))
            .map_err(|_| StoreError("the store thread has stopped".into()))?;
        answer
            .await
            .unwrap_or_else(|_| Err(StoreError("the store thread has stopped".into())))
    }

    /// Runs `work` in the writer thread inside a batch's transaction; its result is returned
    /// once the batch is committed (durable), or the commit's error. This is how the relay's
    /// other modules keep their own tables without growing this file.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.run_with(Flush::Durable, work).await
    }

    /// Like [`run`](Self::run), but answered once the commit is in the write-ahead log, before
    /// it is fsync'd: it survives the relay being killed, not a power cut, and is made durable
    /// by the next durable commit. For reads, and for writes that a durable write follows
    /// before any reply depends on them (the mark that a forwarding attempt began).
    pub(crate) async fn run_deferred<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.run_with(Flush::Deferred, work).await
    }

    async fn run_with<T: Send + 'static>(
        &self,
        flush: Flush,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.call(|reply| {
            let work: Work = Box::new(move |tx| {
                let result = work(tx);
                Box::new(move |committed: Result<(), StoreError>| {
                    let _ = reply.send(committed.and(result));
                })
            });
            Op::Run(work, flush)
        })
        .await
    }

    /// Adds a phone, or updates the one with the same `accessId`; a revocation stays.
    pub async fn add_phone(&self, phone: Phone) -> Result<(), StoreError> {
        self.call(|reply| Op::AddPhone(phone, reply)).await
    }

    /// Every phone, revoked ones included.
    pub async fn phones(&self) -> Result<Vec<Phone>, StoreError> {
        self.call(Op::Phones).await
    }

    /// Revokes a phone's credentials; false when there is no such phone.
    pub async fn revoke(&self, access_id: &str) -> Result<bool, StoreError> {
        let access_id = access_id.to_owned();
        self.call(|reply| Op::Revoke(access_id, reply)).await
    }

    /// Records that a phone sent a record and says what the ledger knows of it. A new record
    /// is written to the audit log with its extras. Not fsync'd on its own (as
    /// [`run_deferred`](Self::run_deferred)): the attempt's durable outcome follows it.
    pub(crate) async fn begin(&self, entry: RecordEntry, now_ms: i64) -> Result<Begun, StoreError> {
        self.run_deferred(move |tx| ledger::begin(tx, &entry, now_ms))
            .await
    }

    /// Records how an attempt ended; durable when this returns.
    pub(crate) async fn finish(
        &self,
        access_id: &str,
        record_id: &str,
        outcome: Outcome,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let (access_id, record_id) = (access_id.to_owned(), record_id.to_owned());
        self.call(|reply| Op::Finish(access_id, record_id, outcome, now_ms, reply))
            .await
    }
}

/// The writer thread: takes every waiting operation and commits them in at most two
/// transactions, answering each once its commit is known: first those that need no fsync of
/// their own (so they do not wait for the disk), then those that do, with one fsync for all.
/// Operations waiting together were sent concurrently, so their order within a batch is free.
fn writer(connection: Connection, inbox: std_mpsc::Receiver<Op>) {
    let mut writer = Writer {
        connection,
        synchronous: Flush::Durable, // as SCHEMA sets it
    };
    while let Ok(first) = inbox.recv() {
        let mut batch = vec![first];
        batch.extend(inbox.try_iter().take(MAX_BATCH - 1));
        let (durable, deferred): (Vec<Op>, Vec<Op>) =
            (batch.into_iter()).partition(|op| op.flush() == Flush::Durable);
        writer.commit(Flush::Deferred, deferred);
        writer.commit(Flush::Durable, durable);
    }
}

/// The writer thread's connection and the `synchronous` level it is at.
struct Writer {
    connection: Connection,
    synchronous: Flush,
}

impl Writer {
    /// Applies `ops` in one transaction committed at level `flush`, then answers them.
    fn commit(&mut self, flush: Flush, ops: Vec<Op>) {
        if ops.is_empty() {
            return;
        }
        let mut answers: Vec<Answer> = Vec::with_capacity(ops.len());
        let committed = (|| -> Result<(), StoreError> {
            if flush != self.synchronous {
                let level = match flush {
                    Flush::Durable => "FULL",
                    Flush::Deferred => "NORMAL",
                };
                self.connection.pragma_update(None, "synchronous", level)?;
                self.synchronous = flush;
            }
            let tx = self.connection.transaction()?;
            for op in ops {
                answers.push(apply(&tx, op));
            }
            tx.commit()?;
            Ok(())
        })();
        for answer in answers {
            answer(committed.clone());
        }
    }
}

/// Applies one operation inside the batch's transaction and returns how to answer it once
/// the commit's outcome is known (nothing is reported done before it is durable).
fn apply(tx: &Transaction<'_>, op: Op) -> Answer {
    fn answer<T: Send + 'static>(reply: Reply<T>, result: Result<T, StoreError>) -> Answer {
        Box::new(move |committed| {
            let _ = reply.send(committed.and(result));
        })
    }
    match op {
        Op::AddPhone(phone, reply) => answer(reply, phones::add_phone(tx, &phone)),
        Op::Phones(reply) => answer(reply, phones::all(tx)),
        Op::Revoke(access_id, reply) => answer(reply, phones::revoke(tx, &access_id)),
        Op::Finish(access_id, record_id, outcome, now_ms, reply) => answer(
            reply,
            ledger::finish(tx, &access_id, &record_id, &outcome, now_ms),
        ),
        Op::Run(work, _) => work(tx),
    }
}
