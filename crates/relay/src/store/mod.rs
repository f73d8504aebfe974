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
pub(crate) mod db;
pub(crate) mod enrollments;
pub(crate) mod leases;
pub(crate) mod ledger;
mod location;
pub(crate) mod manager_actions;
pub(crate) mod migrate;
pub(crate) mod mr860_logs;
pub(crate) mod nonces;
pub(crate) mod phone_tokens;
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
    audit_listing, begin, first_received_ms, record_photo_check, Begun, Claimant, Outcome,
    RecordEntry,
};
pub(crate) use phones::add_phone;
pub use phones::Phone;

use std::path::Path;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::oneshot;

use db::postgres::PostgresTx;
pub(crate) use db::Tx;
pub use location::StoreLocation;

use crate::args;

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
/// returns whether it succeeded and how to answer once the commit's outcome is known.
type Work = Box<dyn FnOnce(&Tx<'_>) -> Applied + Send>;

/// An operation applied: whether it succeeded (a failed one's writes are rolled back to
/// its savepoint) and how to answer it.
type Applied = (bool, Answer);

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
        Self::open_at(&StoreLocation::in_data_dir(data_dir), true)
    }

    /// Opens the store at `location` (see [`open`](Self::open)); `recover`: whether records
    /// left 'sending' become 'retry' (not for a store opened beside a running relay, as by
    /// `relay enroll`: the records in flight are the relay's).
    ///
    /// The database is opened by the writer thread (PostgreSQL's client runs a runtime of its
    /// own, which cannot start inside the caller's); this waits for it.
    pub fn open_at(location: &StoreLocation, recover: bool) -> Result<(Store, usize), StoreError> {
        let location = location.clone();
        let (opened, open_result) = std_mpsc::channel();
        let (ops, inbox) = std_mpsc::channel();
        std::thread::Builder::new()
            .name("relay-store".into())
            .spawn(move || {
                let database = match &location {
                    StoreLocation::Sqlite(file) => open_sqlite(file, recover),
                    StoreLocation::Postgres(url) => open_postgres(url, recover),
                };
                match database {
                    Ok((database, interrupted)) => {
                        let _ = opened.send(Ok(interrupted));
                        let inbox = Arc::new(Mutex::new(inbox));
                        if let StoreLocation::Postgres(url) = location {
                            start_more_writers(&url, &inbox);
                        }
                        writer(database, inbox);
                    }
                    Err(error) => {
                        let _ = opened.send(Err(error));
                    }
                }
            })
            .map_err(|e| StoreError(format!("starting the store thread: {e}")))?;
        let interrupted = open_result
            .recv()
            .unwrap_or_else(|_| Err(StoreError("the store thread has stopped".into())))?;
        Ok((Store { ops }, interrupted))
    }

    async fn call<T>(&self, op: impl FnOnce(Reply<T>) -> Op) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.ops
            .send(op(reply))
            .map_err(|_| StoreError("the store thread has stopped".into()))?;
        answer.await.unwrap_or_else(|_| {
            Err(StoreError(
                "the store did not answer (its database failed, or its thread stopped)".into(),
            ))
        })
    }

    /// Runs `work` in the writer thread inside a batch's transaction; its result is returned
    /// once the batch is committed (durable), or the commit's error. This is how the relay's
    /// other modules keep their own tables without growing this file.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Tx<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.run_with(Flush::Durable, work).await
    }

    /// Like [`run`](Self::run), but answered once the commit is in the write-ahead log, before
    /// it is fsync'd: it survives the relay being killed, not a power cut, and is made durable
    /// by the next durable commit. For reads, and for writes that a durable write follows
    /// before any reply depends on them (the mark that a forwarding attempt began).
    pub(crate) async fn run_deferred<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Tx<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.run_with(Flush::Deferred, work).await
    }

    async fn run_with<T: Send + 'static>(
        &self,
        flush: Flush,
        work: impl FnOnce(&Tx<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.call(|reply| {
            let work: Work = Box::new(move |tx| answer(reply, work(tx)));
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
    pub(crate) async fn begin(
        &self,
        entry: RecordEntry,
        claimant: Claimant,
        now_ms: i64,
    ) -> Result<Begun, StoreError> {
        self.run_deferred(move |tx| ledger::begin(tx, &entry, &claimant, now_ms))
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
///
/// A PostgreSQL store has [`POSTGRES_WRITERS`] writer threads, each on a connection of its
/// own, taking batches from one inbox in turn: a batch's round trips to the server overlap
/// with the next batch's instead of waiting for them. Their order is free too: a caller that
/// needs one operation before another awaits the first's answer before sending the second.
fn writer(database: Database, inbox: Inbox) {
    let mut writer = Writer {
        database,
        synchronous: Flush::Durable, // as SQLITE_PRAGMAS set it
    };
    loop {
        let batch = {
            let inbox = inbox.lock().unwrap_or_else(|p| p.into_inner());
            let Ok(first) = inbox.recv() else {
                return;
            };
            let mut batch = vec![first];
            batch.extend(inbox.try_iter().take(MAX_BATCH - 1));
            batch
        };
        let (durable, deferred): (Vec<Op>, Vec<Op>) =
            (batch.into_iter()).partition(|op| op.flush() == Flush::Durable);
        writer.commit(Flush::Deferred, deferred);
        writer.commit(Flush::Durable, durable);
    }
}

/// The operations waiting for a writer thread, shared by a PostgreSQL store's writers.
type Inbox = Arc<Mutex<std_mpsc::Receiver<Op>>>;

/// How many connections a PostgreSQL store writes through at once (see [`writer`]).
const POSTGRES_WRITERS: usize = 4;

/// Starts the PostgreSQL store's writer threads after the first, each on a connection of its
/// own to `url`. One that cannot connect is left out (logged): the others serve.
fn start_more_writers(url: &str, inbox: &Inbox) {
    for number in 1..POSTGRES_WRITERS {
        let (url, inbox) = (url.to_owned(), Arc::clone(inbox));
        let started = std::thread::Builder::new()
            .name(format!("relay-store-{number}"))
            .spawn(move || match db::postgres::Connection::open(&url) {
                Ok(connection) => writer(Database::Postgres(Box::new(connection)), inbox),
                Err(error) => tracing::warn!(%error, "a store connection could not be opened"),
            });
        if let Err(error) = started {
            tracing::warn!(%error, "a store writer thread could not be started");
        }
    }
}

/// Opens the SQLite file, applies the schema's missing versions; the database and how many
/// records were 'sending' (made 'retry' when `recover`).
fn open_sqlite(file: &Path, recover: bool) -> Result<(Database, usize), StoreError> {
    if let Some(dir) = file.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError(format!("creating {}: {e}", dir.display())))?;
    }
    let connection = Connection::open(file)?;
    connection.busy_timeout(std::time::Duration::from_secs(10))?;
    connection.set_prepared_statement_cache_capacity(db::sqlite::STATEMENT_CACHE);
    connection.execute_batch(schema::SQLITE_PRAGMAS)?;
    connection.execute_batch(schema::VERSIONS_TABLE)?;
    for version in schema::VERSIONS {
        if !has_version(Tx::sqlite(&connection), version.number)? {
            (version.sqlite)(&connection)?;
            record_version(Tx::sqlite(&connection), version.number)?;
        }
    }
    let interrupted = if recover {
        // A SQLite store is one relay's: the leases of its previous run are its own, and the
        // records it was sending were cut short.
        connection.execute("DELETE FROM sn_leases", [])?;
        connection.execute(
            "UPDATE ledger SET state = 'retry' WHERE state = 'sending'",
            [],
        )?
    } else {
        0
    };
    Ok((Database::Sqlite(connection), interrupted))
}

/// A number no other part of the relay takes a PostgreSQL advisory lock on: held while the
/// schema's versions are applied.
const SCHEMA_LOCK: i64 = 0x7a6a_5f72_656c_6179; // "zj_relay"

/// Connects to PostgreSQL, applies the schema's missing versions (one relay at a time); the
/// database and (when `recover`) how many records are 'sending' under a claim that ended: the
/// next attempt of each takes it over.
fn open_postgres(url: &str, recover: bool) -> Result<(Database, usize), StoreError> {
    let mut connection = db::postgres::Connection::open(url)?;
    let (client, statements) = connection.begin(false)?;
    let lock = client.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK]);
    let applied = lock
        .map_err(StoreError::from)
        .and_then(|_| apply_postgres_versions(Tx::postgres(&PostgresTx::new(client, statements))));
    connection.end(applied)?;
    let (client, statements) = connection.begin(false)?;
    // Statements prepared before the schema changed may describe it wrongly.
    statements.borrow_mut().clear();
    // Records left sending are claimed: this relay's own previous run's are taken back once its
    // relay id is known (`ledger::take_back_claims`), the others are being sent by the
    // cluster's other relays or are taken over when their claims end. Only counted here.
    let interrupted = if recover {
        Tx::postgres(&PostgresTx::new(client, statements)).query_row(
            "SELECT COUNT(*) FROM ledger WHERE state = 'sending' AND COALESCE(claim_until_ms, 0) <= ?1",
            args![zj_host::system_clock::now_ms()],
            |row| row.get::<i64>(0).map(|n| usize::try_from(n).unwrap_or(0)),
        )
    } else {
        Ok(0)
    };
    let interrupted = interrupted.and_then(|count| connection.end(Ok(())).map(|()| count))?;
    Ok((Database::Postgres(Box::new(connection)), interrupted))
}

/// Applies the schema versions the PostgreSQL database lacks (its caller holds the lock).
fn apply_postgres_versions(tx: Tx<'_>) -> Result<(), StoreError> {
    tx.execute_batch(schema::VERSIONS_TABLE)?;
    for version in schema::VERSIONS {
        if !has_version(tx, version.number)? {
            tx.execute_batch(&(version.postgres)())?;
            record_version(tx, version.number)?;
        }
    }
    Ok(())
}

/// Whether the store has schema version `version`.
fn has_version(tx: Tx<'_>, version: i64) -> Result<bool, StoreError> {
    tx.query_row(
        "SELECT COUNT(*) FROM schema_versions WHERE version = ?1",
        args![version],
        |row| row.get::<i64>(0),
    )
    .map(|count| count > 0)
}

/// Records that schema version `version` is applied.
fn record_version(tx: Tx<'_>, version: i64) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO schema_versions (version, applied_ms) VALUES (?1, ?2)",
        args![version, zj_host::system_clock::now_ms()],
    )?;
    Ok(())
}

/// The database the writer thread owns.
enum Database {
    /// The embedded file.
    Sqlite(Connection),
    /// A PostgreSQL server.
    Postgres(Box<db::postgres::Connection>),
}

/// The writer thread's database and, for SQLite, the `synchronous` level it is at.
struct Writer {
    database: Database,
    synchronous: Flush,
}

impl Writer {
    /// Applies `ops` in one transaction committed at level `flush`, then answers them.
    fn commit(&mut self, flush: Flush, ops: Vec<Op>) {
        if ops.is_empty() {
            return;
        }
        let mut answers: Vec<Answer> = Vec::with_capacity(ops.len());
        let committed = match &mut self.database {
            Database::Sqlite(connection) => {
                commit_sqlite(connection, &mut self.synchronous, flush, ops, &mut answers)
            }
            Database::Postgres(connection) => commit_postgres(connection, flush, ops, &mut answers),
        };
        for answer in answers {
            answer(committed.clone());
        }
    }
}

/// [`Writer::commit`] on SQLite: `synchronous` set to the level `flush` asks for.
fn commit_sqlite(
    connection: &mut Connection,
    synchronous: &mut Flush,
    flush: Flush,
    ops: Vec<Op>,
    answers: &mut Vec<Answer>,
) -> Result<(), StoreError> {
    if flush != *synchronous {
        let level = match flush {
            Flush::Durable => "FULL",
            Flush::Deferred => "NORMAL",
        };
        connection.pragma_update(None, "synchronous", level)?;
        *synchronous = flush;
    }
    let transaction = connection.transaction()?;
    apply_all(Tx::sqlite(&transaction), ops, answers)?;
    Ok(transaction.commit()?)
}

/// [`Writer::commit`] on PostgreSQL: a deferred batch commits without waiting for the
/// server's disk (`synchronous_commit = off`).
fn commit_postgres(
    connection: &mut db::postgres::Connection,
    flush: Flush,
    ops: Vec<Op>,
    answers: &mut Vec<Answer>,
) -> Result<(), StoreError> {
    let (client, statements) = connection.begin(flush == Flush::Deferred)?;
    let applied = apply_all(
        Tx::postgres(&PostgresTx::new(client, statements)),
        ops,
        answers,
    );
    connection.end(applied)
}

/// Applies each operation behind its own savepoint, so that one that fails leaves nothing
/// behind and the others still commit. One statement between two operations ends the first's
/// savepoint and begins the next's (a round trip each on PostgreSQL); the commit ends the
/// last. An error when a savepoint itself fails: the batch is not committed, and the
/// operations not yet applied are not answered (their callers hear that the store did not).
fn apply_all(tx: Tx<'_>, ops: Vec<Op>, answers: &mut Vec<Answer>) -> Result<(), StoreError> {
    tx.execute_batch("SAVEPOINT op")?;
    let mut ops = ops.into_iter().peekable();
    while let Some(op) = ops.next() {
        let (succeeded, answer) = apply(&tx, op);
        answers.push(answer);
        let boundary = match (succeeded, ops.peek().is_some()) {
            (true, true) => "RELEASE SAVEPOINT op; SAVEPOINT op",
            (false, true) => "ROLLBACK TO SAVEPOINT op; RELEASE SAVEPOINT op; SAVEPOINT op",
            (false, false) => "ROLLBACK TO SAVEPOINT op",
            (true, false) => continue,
        };
        tx.execute_batch(boundary)?;
    }
    Ok(())
}

/// How to answer `reply` with `result` once the commit's outcome is known.
fn answer<T: Send + 'static>(reply: Reply<T>, result: Result<T, StoreError>) -> Applied {
    let succeeded = result.is_ok();
    let answer: Answer = Box::new(move |committed| {
        let _ = reply.send(committed.and(result));
    });
    (succeeded, answer)
}

/// Applies one operation inside the batch's transaction and returns how to answer it once
/// the commit's outcome is known (nothing is reported done before it is durable).
fn apply(tx: &Tx<'_>, op: Op) -> Applied {
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
