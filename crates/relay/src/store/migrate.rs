//! `relay migrate-store`: copies a SQLite store (a site's phones, ledger, roster, sites, fences,
//! accounts: every table) into an empty PostgreSQL database, so that moving a site to a
//! cluster does not make every phone enroll again. The copy is one PostgreSQL transaction: it
//! is all there, or (on any error) nothing is. The source's relay is meant to be stopped.

use std::path::Path;

use super::db::postgres::{Connection, PostgresTx};
use super::db::{Backend, SqlValue, Tx};
use super::{schema, StoreError, StoreLocation};
use crate::args;

/// Rows read from the source and written at a time.
const PAGE_ROWS: i64 = 500;

/// How many rows of one table were copied.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CopiedTable {
    /// The table's name.
    pub table: String,
    /// Its rows.
    pub rows: usize,
}

/// Copies every table of the SQLite store at `from` into the PostgreSQL database at `to`,
/// whose store must be empty (its schema is made if missing). Blocking: run it outside an
/// async runtime's threads (PostgreSQL's client runs a runtime of its own).
pub fn copy_store(
    from: &StoreLocation,
    to: &StoreLocation,
) -> Result<Vec<CopiedTable>, StoreError> {
    let (StoreLocation::Sqlite(file), StoreLocation::Postgres(url)) = (from, to) else {
        return Err(StoreError::new(
            "migrate-store copies a SQLite store (--from sqlite://PATH) into PostgreSQL (--to postgres://…)",
        ));
    };
    if !file.is_file() {
        return Err(StoreError::new(format!("{} is not a file", file.display())));
    }
    // Opening applies the schema's missing versions to both: the same tables and columns.
    drop(super::Store::open_at(from, false)?);
    drop(super::Store::open_at(to, false)?);
    let source = open_source(file)?;
    let mut connection = Connection::open(url)?;
    // One read transaction: a consistent snapshot. (What a running relay writes after it is
    // not copied: stop the relay first, see the README.)
    let snapshot = source.unchecked_transaction()?;
    let (client, statements) = connection.begin(false)?;
    let copied = copy_tables(
        Tx::sqlite(&snapshot),
        Tx::postgres(&PostgresTx::new(client, statements)),
    );
    let (copied, applied) = match copied {
        Ok(copied) => (copied, Ok(())),
        Err(error) => (Vec::new(), Err(error)),
    };
    connection.end(applied)?;
    Ok(copied)
}

/// The SQLite file, read only.
fn open_source(file: &Path) -> Result<rusqlite::Connection, StoreError> {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    let connection = rusqlite::Connection::open_with_flags(file, flags)?;
    connection.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(connection)
}

/// Copies each table of the schema from `source` to `target` (which must hold none of their
/// rows), then moves the target's identity counters past the copied ids.
fn copy_tables(source: Tx<'_>, target: Tx<'_>) -> Result<Vec<CopiedTable>, StoreError> {
    let tables = schema::table_names();
    for table in &tables {
        let rows: i64 =
            target.query_row(&format!("SELECT COUNT(*) FROM {table}"), args![], |row| {
                row.get(0)
            })?;
        if rows > 0 {
            return Err(StoreError::new(format!(
                "the target store is not empty (table {table} has {rows} rows): copy into a new database"
            )));
        }
    }
    let mut copied = Vec::with_capacity(tables.len());
    for table in tables {
        let columns = columns(target, &table)?;
        let rows = copy_table(source, target, &table, &columns)?;
        copied.push(CopiedTable { table, rows });
    }
    reset_identities(source, target)?;
    Ok(copied)
}

/// The columns of `table` on `tx`'s engine, in their order.
fn columns(tx: Tx<'_>, table: &str) -> Result<Vec<String>, StoreError> {
    let sql = match tx.backend() {
        Backend::Sqlite => "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
        Backend::Postgres => {
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = ?1
             ORDER BY ordinal_position"
        }
    };
    tx.prepare(sql)
        .query_map(args![table], |row| row.get(0))?
        .collect()
}

/// Copies `table`'s rows page by page (SQLite's rowid order); how many.
fn copy_table(
    source: Tx<'_>,
    target: Tx<'_>,
    table: &str,
    columns: &[String],
) -> Result<usize, StoreError> {
    let list = columns.join(", ");
    let read = source.prepare(&format!(
        "SELECT rowid, {list} FROM {table} WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
    ));
    let placeholders: Vec<String> = (1..=columns.len()).map(|n| format!("?{n}")).collect();
    let write = target.prepare(&format!(
        "INSERT INTO {table} ({list}) VALUES ({})",
        placeholders.join(", ")
    ));
    let (mut after, mut copied) = (i64::MIN, 0);
    loop {
        let page: Vec<(i64, Vec<SqlValue>)> = read
            .query_map(args![after, PAGE_ROWS], |row| {
                let values = (1..=columns.len()).map(|index| row.get(index));
                Ok((row.get(0)?, values.collect::<Result<_, _>>()?))
            })?
            .collect::<Result<_, _>>()?;
        let Some((last, _)) = page.last() else {
            return Ok(copied);
        };
        after = *last;
        for (_, values) in &page {
            write.execute(values)?;
        }
        copied += page.len();
    }
}

/// Moves every identity column's counter past the largest id the source ever gave (SQLite's
/// `sqlite_sequence`, which outlives deleted rows: an id is never given twice, so an expired
/// MR860 log's id, still in the ledger, is not reused), or past the largest copied.
fn reset_identities(source: Tx<'_>, target: Tx<'_>) -> Result<(), StoreError> {
    let identities: Vec<(String, String)> = target
        .prepare(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND is_identity = 'YES'",
        )
        .query_map(args![], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (table, column) in identities {
        let given: i64 = source
            .query_opt(
                "SELECT seq FROM sqlite_sequence WHERE name = ?1",
                args![table],
                |row| row.get(0),
            )?
            .unwrap_or(0);
        target.query_row(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'),
                               GREATEST(?1, COALESCE((SELECT MAX({column}) FROM {table}), 0)) + 1,
                               false)"
            ),
            args![given],
            |_| Ok(()),
        )?;
    }
    Ok(())
}
