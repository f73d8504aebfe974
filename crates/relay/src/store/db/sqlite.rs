//! [`Tx`](super::Tx) on SQLite (rusqlite): statements prepared once per connection and cached,
//! values converted to and from SQLite's storage classes.

use rusqlite::types::{ToSqlOutput, Value as SqliteValue, ValueRef};
use rusqlite::Connection;

use super::{Row, SqlValue};
use crate::store::StoreError;

/// How many prepared statements a connection keeps (the store runs about a hundred).
pub(crate) const STATEMENT_CACHE: usize = 256;

impl rusqlite::ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            SqlValue::Null => ToSqlOutput::Owned(SqliteValue::Null),
            SqlValue::Integer(integer) => ToSqlOutput::Borrowed(ValueRef::Integer(*integer)),
            SqlValue::Real(real) => ToSqlOutput::Borrowed(ValueRef::Real(*real)),
            SqlValue::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            SqlValue::Blob(bytes) => ToSqlOutput::Borrowed(ValueRef::Blob(bytes)),
        })
    }
}

/// A column's value as a [`SqlValue`]; text that is not UTF-8 is an error.
fn value_of(value: ValueRef<'_>) -> Result<SqlValue, StoreError> {
    Ok(match value {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Integer(integer) => SqlValue::Integer(integer),
        ValueRef::Real(real) => SqlValue::Real(real),
        ValueRef::Text(text) => SqlValue::Text(
            String::from_utf8(text.to_vec())
                .map_err(|_| StoreError::new("a text column is not UTF-8"))?,
        ),
        ValueRef::Blob(bytes) => SqlValue::Blob(bytes.to_vec()),
    })
}

/// One row of `statement`'s result.
fn row_of(row: &rusqlite::Row<'_>, columns: usize) -> Result<Row, StoreError> {
    (0..columns)
        .map(|index| value_of(row.get_ref(index)?))
        .collect::<Result<_, _>>()
        .map(Row)
}

fn prepared<'c>(
    connection: &'c Connection,
    sql: &str,
) -> Result<rusqlite::CachedStatement<'c>, StoreError> {
    Ok(connection.prepare_cached(sql)?)
}

/// Runs one statement; the number of rows it changed.
pub(super) fn execute(
    connection: &Connection,
    sql: &str,
    args: &[SqlValue],
) -> Result<usize, StoreError> {
    Ok(prepared(connection, sql)?.execute(rusqlite::params_from_iter(args))?)
}

/// Every row of a query.
pub(super) fn query(
    connection: &Connection,
    sql: &str,
    args: &[SqlValue],
) -> Result<Vec<Row>, StoreError> {
    rows(connection, sql, args, usize::MAX)
}

/// The first row of a query, if any; the rest are not read.
pub(super) fn query_first(
    connection: &Connection,
    sql: &str,
    args: &[SqlValue],
) -> Result<Option<Row>, StoreError> {
    Ok(rows(connection, sql, args, 1)?.pop())
}

/// The first `most` rows of a query.
fn rows(
    connection: &Connection,
    sql: &str,
    args: &[SqlValue],
    most: usize,
) -> Result<Vec<Row>, StoreError> {
    let mut statement = prepared(connection, sql)?;
    let columns = statement.column_count();
    let mut rows = statement.query(rusqlite::params_from_iter(args))?;
    let mut read = Vec::new();
    while read.len() < most {
        let Some(row) = rows.next()? else { break };
        read.push(row_of(row, columns)?);
    }
    Ok(read)
}
