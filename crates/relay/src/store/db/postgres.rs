//! [`Tx`](super::Tx) on PostgreSQL (the `postgres` crate: tokio-postgres's blocking client, run
//! by the store's writer thread): `?N` parameters turned into `$N`, statements prepared once
//! per connection, values converted by the column's and parameter's server types.

use std::cell::RefCell;
use std::collections::HashMap;
use std::error::Error;

use bytes::BytesMut;
use postgres::types::{FromSql, IsNull, ToSql, Type};
use postgres::{Client, Statement};

use super::{Row, SqlValue};
use crate::store::StoreError;

impl From<postgres::Error> for StoreError {
    fn from(error: postgres::Error) -> Self {
        match error.as_db_error() {
            Some(db) => StoreError::new(format!(
                "postgres {}: {}{}",
                db.code().code(),
                db.message(),
                db.detail().map(|d| format!(" ({d})")).unwrap_or_default()
            )),
            None => StoreError::new(format!("postgres: {error}")),
        }
    }
}

/// What [`Tx::Postgres`](super::Tx::Postgres) runs statements on: one open transaction.
pub(crate) trait Statements {
    /// Runs one statement; the number of rows it changed.
    fn execute(&self, sql: &str, args: &[SqlValue]) -> Result<usize, StoreError>;
    /// Runs statements without parameters, separated by semicolons.
    fn execute_batch(&self, sql: &str) -> Result<(), StoreError>;
    /// Every row of a query.
    fn query(&self, sql: &str, args: &[SqlValue]) -> Result<Vec<Row>, StoreError>;
}

/// Statements prepared on one connection, by their text as the store writes it.
pub(crate) type StatementCache = HashMap<String, Statement>;

/// A connection inside the transaction [`Connection::begin`] opened, and its prepared
/// statements.
pub(crate) struct PostgresTx<'t> {
    client: RefCell<&'t mut Client>,
    statements: &'t RefCell<StatementCache>,
}

impl<'t> PostgresTx<'t> {
    /// Statements run on `client` (inside its open transaction), prepared once into
    /// `statements`.
    pub(crate) fn new(client: &'t mut Client, statements: &'t RefCell<StatementCache>) -> Self {
        PostgresTx {
            client: RefCell::new(client),
            statements,
        }
    }

    fn prepared(&self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.statements.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let statement = (self.client.borrow_mut())
            .prepare(&numbered_parameters(sql))
            .map_err(|error| {
                let StoreError(message) = StoreError::from(error);
                StoreError::new(format!("{message}, in: {}", sql.trim()))
            })?;
        (self.statements.borrow_mut()).insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

/// How long connecting to the server may take, seconds: past it, the operations waiting are
/// answered with an error (a phone is told to retry later) rather than held.
const CONNECT_TIMEOUT_SECS: u64 = 5;

/// Idle seconds before the connection's TCP keepalive probes start.
const KEEPALIVE_IDLE_SECS: u64 = 10;
/// Seconds sent data may stay unacknowledged before the connection counts as lost.
const TCP_USER_TIMEOUT_SECS: u64 = 20;
/// The longest one statement may run, milliseconds: past it the batch fails (and its callers
/// are told) instead of holding every other operation of the relay.
const STATEMENT_TIMEOUT_MS: u64 = 30_000;

/// The writer thread's connection to the server, made again when it was lost (the server
/// restarted, the network failed).
pub(crate) struct Connection {
    config: postgres::Config,
    client: Option<postgres::Client>,
    /// The statements prepared on the current client.
    statements: RefCell<StatementCache>,
}

impl Connection {
    /// Connects to the database at `url`.
    pub(crate) fn open(url: &str) -> Result<Self, StoreError> {
        let mut config: postgres::Config = url
            .parse()
            .map_err(|_| StoreError::new("the store's PostgreSQL URL cannot be read"))?;
        let seconds = std::time::Duration::from_secs;
        config
            .connect_timeout(seconds(CONNECT_TIMEOUT_SECS))
            // A server gone without closing the connection (a failover, a cut network) is
            // noticed in seconds, not after the system's two hours of TCP keepalive.
            .keepalives_idle(seconds(KEEPALIVE_IDLE_SECS))
            .tcp_user_timeout(seconds(TCP_USER_TIMEOUT_SECS))
            .options(&format!("-c statement_timeout={STATEMENT_TIMEOUT_MS}"));
        let mut connection = Connection {
            config,
            client: None,
            statements: RefCell::new(StatementCache::new()),
        };
        connection.client()?;
        Ok(connection)
    }

    /// The client, connected again (with no prepared statements) if it was lost, and the
    /// statements prepared on it.
    fn client(&mut self) -> Result<(&mut Client, &RefCell<StatementCache>), StoreError> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            self.statements.borrow_mut().clear();
            self.client = None;
            self.client = Some(self.config.connect(postgres::NoTls)?);
        }
        let client =
            (self.client.as_mut()).ok_or_else(|| StoreError::new("no connection to PostgreSQL"))?;
        Ok((client, &self.statements))
    }

    /// Opens a transaction (`deferred`: committed without waiting for the server's disk,
    /// `synchronous_commit = off`), in the same round trip. A connection found lost on the way
    /// is made again once, so the first batch after a server restart does not fail for it.
    /// End it with [`end`](Self::end).
    pub(crate) fn begin(
        &mut self,
        deferred: bool,
    ) -> Result<(&mut Client, &RefCell<StatementCache>), StoreError> {
        let begin = if deferred {
            "BEGIN; SET LOCAL synchronous_commit TO OFF"
        } else {
            "BEGIN"
        };
        if let Err(error) = self.client()?.0.batch_execute(begin) {
            if !self.client.as_ref().is_some_and(Client::is_closed) {
                return Err(error.into());
            }
            self.client()?.0.batch_execute(begin)?;
        }
        self.client()
    }

    /// Ends the transaction [`begin`](Self::begin) opened: commits it when `applied` is `Ok`,
    /// rolls it back (and returns the error) otherwise.
    pub(crate) fn end(&mut self, applied: Result<(), StoreError>) -> Result<(), StoreError> {
        let client =
            (self.client.as_mut()).ok_or_else(|| StoreError::new("no connection to PostgreSQL"))?;
        match applied {
            Ok(()) => Ok(client.batch_execute("COMMIT")?),
            Err(error) => {
                // A lost connection has no transaction left to roll back.
                let _ = client.batch_execute("ROLLBACK");
                Err(error)
            }
        }
    }
}

/// `args` as the driver takes them.
fn bound(args: &[SqlValue]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|arg| arg as &(dyn ToSql + Sync)).collect()
}

impl PostgresTx<'_> {
    /// `error` as the store's; when the server says a prepared statement no longer fits the
    /// schema (another relay applied a newer version: "cached plan must not change result
    /// type", `0A000`), every statement prepared on this connection is forgotten, so the
    /// operation fails this once and the next one prepares them again.
    fn failed(&self, error: postgres::Error) -> StoreError {
        let stale = error.code() == Some(&postgres::error::SqlState::FEATURE_NOT_SUPPORTED);
        if stale {
            self.statements.borrow_mut().clear();
        }
        error.into()
    }
}

impl Statements for PostgresTx<'_> {
    fn execute(&self, sql: &str, args: &[SqlValue]) -> Result<usize, StoreError> {
        let statement = self.prepared(sql)?;
        let changed = (self.client.borrow_mut())
            .execute(&statement, &bound(args))
            .map_err(|error| self.failed(error))?;
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
    }

    fn execute_batch(&self, sql: &str) -> Result<(), StoreError> {
        Ok(self.client.borrow_mut().batch_execute(sql)?)
    }

    fn query(&self, sql: &str, args: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let statement = self.prepared(sql)?;
        let rows = (self.client.borrow_mut())
            .query(&statement, &bound(args))
            .map_err(|error| self.failed(error))?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|index| row.try_get::<_, SqlValue>(index))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Row)
                    .map_err(StoreError::from)
            })
            .collect()
    }
}

/// `sql` with its `?N` parameters written `$N` (and a bare `?` numbered after the last), left
/// alone inside quoted strings and names.
pub(crate) fn numbered_parameters(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut quote: Option<char> = None;
    let mut next = 1;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(open), _) if c == open => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '?') => {
                let mut digits = String::new();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    digits.push(d);
                }
                if digits.is_empty() {
                    digits = next.to_string();
                }
                next = digits.parse::<usize>().map_or(next, |n| n + 1);
                out.push('$');
                out.push_str(&digits);
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

type BoxError = Box<dyn Error + Sync + Send>;

impl ToSql for SqlValue {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self {
            SqlValue::Null => Ok(IsNull::Yes),
            SqlValue::Integer(integer) => integer_to_sql(*integer, ty, out),
            SqlValue::Real(real) => match *ty {
                Type::FLOAT4 => (*real as f32).to_sql(ty, out),
                Type::FLOAT8 => real.to_sql(ty, out),
                _ => Err(mismatch("a number with a fraction", ty)),
            },
            SqlValue::Text(text) => match *ty {
                Type::JSONB => {
                    out.extend_from_slice(&[1]); // jsonb's binary format: version 1, then text
                    out.extend_from_slice(text.as_bytes());
                    Ok(IsNull::No)
                }
                Type::JSON => {
                    out.extend_from_slice(text.as_bytes());
                    Ok(IsNull::No)
                }
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    text.as_str().to_sql(ty, out)
                }
                _ => Err(mismatch("text", ty)),
            },
            SqlValue::Blob(bytes) => match *ty {
                Type::BYTEA => bytes.as_slice().to_sql(ty, out),
                _ => Err(mismatch("bytes", ty)),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// An integer bound to a parameter of type `ty`.
fn integer_to_sql(integer: i64, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    match *ty {
        Type::INT2 => i16::try_from(integer)?.to_sql(ty, out),
        Type::INT4 => i32::try_from(integer)?.to_sql(ty, out),
        Type::BOOL => (integer != 0).to_sql(ty, out),
        Type::FLOAT8 => (integer as f64).to_sql(ty, out),
        Type::TEXT | Type::VARCHAR => integer.to_string().as_str().to_sql(ty, out),
        Type::INT8 => integer.to_sql(ty, out),
        _ => Err(mismatch("an integer", ty)),
    }
}

/// The error for a value of one kind bound to a parameter of another type (SQLite would have
/// stored it; PostgreSQL must not receive its bytes as something else).
fn mismatch(kind: &str, ty: &Type) -> BoxError {
    format!("{kind} cannot be stored in a {ty} column").into()
}

impl<'a> FromSql<'a> for SqlValue {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(match *ty {
            Type::INT8 => SqlValue::Integer(i64::from_sql(ty, raw)?),
            Type::INT4 => SqlValue::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => SqlValue::Integer(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => SqlValue::Integer(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => SqlValue::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => SqlValue::Real(f32::from_sql(ty, raw)?.into()),
            Type::BYTEA => SqlValue::Blob(raw.to_vec()),
            Type::JSONB => {
                SqlValue::Text(std::str::from_utf8(raw.get(1..).unwrap_or_default())?.to_owned())
            }
            Type::JSON => SqlValue::Text(std::str::from_utf8(raw)?.to_owned()),
            Type::NUMERIC => {
                return Err("a NUMERIC column: cast it to BIGINT or DOUBLE PRECISION".into())
            }
            _ => SqlValue::Text(String::from_sql(ty, raw)?),
        })
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(SqlValue::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::numbered_parameters;

    #[test]
    fn parameters_are_numbered_outside_quotes() {
        assert_eq!(
            numbered_parameters("SELECT ?1, ?12, '?3', \"a?\" FROM t WHERE x = ? AND y = ?"),
            "SELECT $1, $12, '?3', \"a?\" FROM t WHERE x = $13 AND y = $14"
        );
        assert_eq!(
            numbered_parameters("UPDATE t SET a = 'it''s ?' WHERE b = ?2"),
            "UPDATE t SET a = 'it''s ?' WHERE b = $2"
        );
    }
}
