//! The terminals table: each MR860 terminal allowed to report, the site it belongs to, the
//! SHA-256 of its secret key (the key itself is never stored) and the addresses it may send
//! from. Terminals come from the configuration (`origin` `config`, written again at every
//! start) or from a manager (`manager`).

use super::StoreError;
use crate::args;
use crate::store::db::Row;
use crate::store::Tx;

/// Where a terminal was registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// `[[mr860]]` in the configuration file: its key and allow-list are changed there.
    Config,
    /// The manager page or API.
    Manager,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Config => "config",
            Origin::Manager => "manager",
        }
    }

    fn parse(text: &str) -> Origin {
        if text == "config" {
            Origin::Config
        } else {
            Origin::Manager
        }
    }
}

/// A terminal as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TerminalRow {
    /// The terminal's `deviceId`.
    pub device_id: String,
    /// The site its logs belong to.
    pub site_id: String,
    /// Lowercase hex SHA-256 of its key.
    pub key_hash: String,
    /// Networks it may send from (`ipnet` text); empty: any address.
    pub allow_from: Vec<String>,
    /// Where it was registered.
    pub origin: Origin,
    /// When it was registered, epoch milliseconds.
    pub created_ms: i64,
    /// When its key was last set, epoch milliseconds.
    pub rotated_ms: i64,
}

const COLUMNS: &str =
    "device_id, site_id, key_hash, allow_from, origin, created_ms, rotated_ms FROM terminals";

fn row(row: &Row) -> Result<TerminalRow, StoreError> {
    let allow_from: String = row.get(3)?;
    Ok(TerminalRow {
        device_id: row.get(0)?,
        site_id: row.get(1)?,
        key_hash: row.get(2)?,
        allow_from: serde_json::from_str(&allow_from).unwrap_or_default(),
        origin: Origin::parse(&row.get::<String>(4)?),
        created_ms: row.get(5)?,
        rotated_ms: row.get(6)?,
    })
}

/// Every terminal (the intake compares a key with each, in constant time).
pub(crate) fn all(tx: &Tx<'_>) -> Result<Vec<TerminalRow>, StoreError> {
    let statement = tx.prepare(&format!("SELECT {COLUMNS} ORDER BY device_id"));
    let rows = statement.query_map(args![], row)?;
    rows.collect::<Result<_, _>>()
}

/// The terminals of one site, by `deviceId`.
pub(crate) fn of_site(tx: &Tx<'_>, site_id: &str) -> Result<Vec<TerminalRow>, StoreError> {
    let statement = tx.prepare(&format!(
        "SELECT {COLUMNS} WHERE site_id = ?1 ORDER BY device_id"
    ));
    let rows = statement.query_map(args![site_id], row)?;
    rows.collect::<Result<_, _>>()
}

/// One terminal.
pub(crate) fn get(tx: &Tx<'_>, device_id: &str) -> Result<Option<TerminalRow>, StoreError> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} WHERE device_id = ?1"),
        args![device_id],
        row,
    )
}

/// Adds a terminal, or (a configured one, at start) sets its site, key and allow-list again.
pub(crate) fn put(tx: &Tx<'_>, terminal: &TerminalRow) -> Result<(), StoreError> {
    let allow_from = serde_json::to_string(&terminal.allow_from).unwrap_or_else(|_| "[]".into());
    tx.execute(
        "INSERT INTO terminals
             (device_id, site_id, key_hash, allow_from, origin, created_ms, rotated_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (device_id) DO UPDATE SET
             site_id = excluded.site_id, key_hash = excluded.key_hash,
             allow_from = excluded.allow_from, origin = excluded.origin,
             rotated_ms = CASE WHEN terminals.key_hash = excluded.key_hash THEN terminals.rotated_ms
                               ELSE excluded.rotated_ms END",
        args![
            terminal.device_id,
            terminal.site_id,
            terminal.key_hash,
            allow_from,
            terminal.origin.as_str(),
            terminal.created_ms,
            terminal.rotated_ms
        ],
    )?;
    Ok(())
}

/// Removes the configured terminals not in `keep` (taken out of the configuration file).
pub(crate) fn drop_unconfigured(tx: &Tx<'_>, keep: &[String]) -> Result<(), StoreError> {
    let configured: Vec<String> = all(tx)?
        .into_iter()
        .filter(|t| t.origin == Origin::Config && !keep.contains(&t.device_id))
        .map(|t| t.device_id)
        .collect();
    for device_id in configured {
        tx.execute(
            "DELETE FROM terminals WHERE device_id = ?1",
            args![device_id],
        )?;
    }
    Ok(())
}

/// Sets a terminal's key hash (the old key stops working with this commit).
pub(crate) fn set_key(
    tx: &Tx<'_>,
    device_id: &str,
    key_hash: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE terminals SET key_hash = ?2, rotated_ms = ?3 WHERE device_id = ?1",
        args![device_id, key_hash, now_ms],
    )?;
    Ok(())
}

/// Sets the networks a terminal may send from (empty: any).
pub(crate) fn set_allow_from(
    tx: &Tx<'_>,
    device_id: &str,
    allow_from: &[String],
) -> Result<(), StoreError> {
    let allow_from = serde_json::to_string(allow_from).unwrap_or_else(|_| "[]".into());
    tx.execute(
        "UPDATE terminals SET allow_from = ?2 WHERE device_id = ?1",
        args![device_id, allow_from],
    )?;
    Ok(())
}
