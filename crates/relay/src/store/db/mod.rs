//! The store's one interface to its database, whichever it is: a transaction ([`Tx`]) that
//! runs statements with bound [`SqlValue`]s and returns [`Row`]s, over SQLite ([`sqlite`]) or
//! PostgreSQL ([`postgres`]).
//!
//! Statements are written once, in the SQL both engines take: parameters as `?1`, `?2` (turned
//! into `$1`, `$2` for PostgreSQL), `ON CONFLICT … DO …` rather than `INSERT OR …`,
//! `RETURNING` rather than `last_insert_rowid()`, integers as booleans compared with `<> 0`,
//! a parameter whose type the statement does not show cast (`CAST(?1 AS TEXT) IS NULL`), sums
//! cast to `BIGINT`. SQLite's `json_extract`, `json_each` and `json_remove` exist on
//! PostgreSQL as functions the schema makes (text in, text out).

pub(crate) mod postgres;
pub(crate) mod sqlite;
mod value;

pub use value::{FromValue, Row, SqlValue, ToSqlValue};

use super::StoreError;

/// Which engine a transaction runs on, for the few statements that must differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: one file under the data directory.
    Sqlite,
    /// A PostgreSQL server, shared by every relay of a cluster.
    Postgres,
}

/// The running transaction of one batch of the store's writer thread. Every statement of an
/// operation runs through it; the writer commits (or rolls back) the whole batch.
#[derive(Clone, Copy)]
pub struct Tx<'a>(Inner<'a>);

#[derive(Clone, Copy)]
enum Inner<'a> {
    /// A SQLite connection inside its open transaction.
    Sqlite(&'a rusqlite::Connection),
    /// A PostgreSQL transaction.
    Postgres(&'a dyn postgres::Statements),
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tx({:?})", self.backend())
    }
}

impl<'a> Tx<'a> {
    /// Statements on `connection`, inside the transaction it has open.
    pub(crate) fn sqlite(connection: &'a rusqlite::Connection) -> Self {
        Tx(Inner::Sqlite(connection))
    }

    /// Statements in an open PostgreSQL transaction.
    pub(crate) fn postgres(statements: &'a dyn postgres::Statements) -> Self {
        Tx(Inner::Postgres(statements))
    }
}

impl<'a> Tx<'a> {
    /// The engine this transaction runs on.
    pub fn backend(&self) -> Backend {
        match self.0 {
            Inner::Sqlite(_) => Backend::Sqlite,
            Inner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs one statement; the number of rows it changed.
    pub fn execute(&self, sql: &str, args: &[SqlValue]) -> Result<usize, StoreError> {
        match self.0 {
            Inner::Sqlite(connection) => sqlite::execute(connection, sql, args),
            Inner::Postgres(statements) => statements.execute(sql, args),
        }
    }

    /// Runs statements without parameters, separated by semicolons (schema changes).
    pub fn execute_batch(&self, sql: &str) -> Result<(), StoreError> {
        match self.0 {
            Inner::Sqlite(connection) => Ok(connection.execute_batch(sql)?),
            Inner::Postgres(statements) => statements.execute_batch(sql),
        }
    }

    /// `sql` to run once or many times (with different arguments). It is prepared on the
    /// connection the first time the connection runs it, and kept.
    pub fn prepare(&self, sql: &str) -> Statement<'a> {
        Statement {
            tx: *self,
            sql: sql.to_owned(),
        }
    }

    /// Every row of a query.
    fn rows(&self, sql: &str, args: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        match self.0 {
            Inner::Sqlite(connection) => sqlite::query(connection, sql, args),
            Inner::Postgres(statements) => statements.query(sql, args),
        }
    }

    /// The first row of a query read by `read`, or `None` when there is none.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        args: &[SqlValue],
        read: impl FnOnce(&Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let row = match self.0 {
            Inner::Sqlite(connection) => sqlite::query_first(connection, sql, args)?,
            Inner::Postgres(statements) => statements.query(sql, args)?.into_iter().next(),
        };
        row.as_ref().map(read).transpose()
    }

    /// The first row of a query read by `read`; an error when there is none.
    pub fn query_row<T>(
        &self,
        sql: &str,
        args: &[SqlValue],
        read: impl FnOnce(&Row) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.query_opt(sql, args, read)?
            .ok_or_else(|| StoreError::new(format!("no row from: {sql}")))
    }
}

/// A statement of a [`Tx`], run with different arguments.
pub struct Statement<'a> {
    tx: Tx<'a>,
    sql: String,
}

impl Statement<'_> {
    /// Runs it; the number of rows it changed.
    pub fn execute(&self, args: &[SqlValue]) -> Result<usize, StoreError> {
        self.tx.execute(&self.sql, args)
    }

    /// Every row it returns, each read by `read` (an error for a row `read` refuses).
    pub fn query_map<T>(
        &self,
        args: &[SqlValue],
        mut read: impl FnMut(&Row) -> Result<T, StoreError>,
    ) -> Result<impl Iterator<Item = Result<T, StoreError>>, StoreError> {
        let rows = self.tx.rows(&self.sql, args)?;
        Ok(rows.into_iter().map(move |row| read(&row)))
    }

    /// The first row it returns read by `read`; an error when there is none.
    pub fn query_row<T>(
        &self,
        args: &[SqlValue],
        read: impl FnOnce(&Row) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.tx.query_row(&self.sql, args, read)
    }

    /// The first row it returns read by `read`, or `None` when there is none.
    pub fn query_opt<T>(
        &self,
        args: &[SqlValue],
        read: impl FnOnce(&Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        self.tx.query_opt(&self.sql, args, read)
    }
}
