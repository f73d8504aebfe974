//! The roster of each platform sn: the persons the platform's tasks put on the relay (as on any
//! attendance device) and the persons MR860 terminals added. It is what phones of a site may
//! clock in, what `T_POST_DEVICE_PERSON` reports, and how an MR860 `cardNumber` becomes a
//! platform `personId`.
//!
//! The functions taking a [`Transaction`] run inside the store's writer thread (see
//! [`Store::run`]), so a task page's persons and its progress commit together.

use crate::args;
use crate::store::Tx;
use crate::store::{Store, StoreError};
use zj_protocol::phone_api::RosterPerson;

/// Where a roster person came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// A platform task (`T_SEND_PERSON`, `T_UPDATE_DEVICE_PERSON`).
    Platform,
    /// An MR860 added-person record (seed 000 §3).
    Mr860,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Platform => "platform",
            Source::Mr860 => "mr860",
        }
    }
}

/// A person on an sn's roster, as the relay keeps them (a phone sees a `RosterPerson`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RosterEntry {
    /// The platform's person id.
    pub person_id: String,
    /// Name.
    pub name: String,
    /// Identity document number (ID card, permit or residence card), when known.
    pub idcard_no: Option<String>,
    /// The registered face photo (JPEG or PNG bytes), when one was fetched.
    pub face: Option<Vec<u8>>,
}

/// Adds or updates a person; a face or ID number not given keeps the one already held. The
/// platform's record of a person wins over anything; a record from an MR860 terminal (seed 000
/// §3) changes only a person a terminal added, never one the platform registered (a terminal
/// cannot rename them or replace their face). True when the roster changed.
pub(crate) fn upsert(
    tx: &Tx<'_>,
    sn: &str,
    person: &RosterEntry,
    source: Source,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let changed = tx.execute(
        "INSERT INTO persons (sn, person_id, name, idcard_no, face, source, updated_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (sn, person_id) DO UPDATE SET
             name = excluded.name,
             idcard_no = COALESCE(excluded.idcard_no, persons.idcard_no),
             face = COALESCE(excluded.face, persons.face),
             source = excluded.source,
             updated_ms = excluded.updated_ms
         WHERE excluded.source = ?8 OR persons.source = excluded.source",
        args![
            sn,
            person.person_id,
            person.name,
            person.idcard_no,
            person.face,
            source.as_str(),
            now_ms,
            Source::Platform.as_str()
        ],
    )?;
    Ok(changed > 0)
}

/// Removes these persons from `sn`'s roster.
pub(crate) fn delete(tx: &Tx<'_>, sn: &str, person_ids: &[String]) -> Result<(), StoreError> {
    let statement = tx.prepare("DELETE FROM persons WHERE sn = ?1 AND person_id = ?2");
    for person_id in person_ids {
        statement.execute(args![sn, person_id])?;
    }
    Ok(())
}

/// Empties `sn`'s roster.
pub(crate) fn clear(tx: &Tx<'_>, sn: &str) -> Result<(), StoreError> {
    tx.execute("DELETE FROM persons WHERE sn = ?1", args![sn])?;
    Ok(())
}

/// `(personCount, faceCount)` of `sn`'s roster, as task reports give them.
pub(crate) fn counts(tx: &Tx<'_>, sn: &str) -> Result<(u64, u64), StoreError> {
    tx.query_row(
        "SELECT COUNT(*), COUNT(face) FROM persons WHERE sn = ?1",
        args![sn],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
}

/// Up to `limit` persons of `sn`'s roster from `offset`, ordered by person id.
pub(crate) fn page(
    tx: &Tx<'_>,
    sn: &str,
    offset: usize,
    limit: usize,
) -> Result<Vec<RosterEntry>, StoreError> {
    let statement = tx.prepare(
        "SELECT person_id, name, idcard_no, face FROM persons WHERE sn = ?1
         ORDER BY person_id LIMIT ?2 OFFSET ?3",
    );
    let rows = statement.query_map(args![sn, limit as i64, offset as i64], |row| {
        Ok(RosterEntry {
            person_id: row.get(0)?,
            name: row.get(1)?,
            idcard_no: row.get(2)?,
            face: row.get(3)?,
        })
    })?;
    rows.collect::<Result<_, _>>()
}

/// The person of `sn`'s roster holding this identity document number.
pub(crate) fn by_idcard(
    tx: &Tx<'_>,
    sn: &str,
    idcard_no: &str,
) -> Result<Option<String>, StoreError> {
    tx.query_opt(
        "SELECT person_id FROM persons WHERE sn = ?1 AND idcard_no = ?2
             ORDER BY source = 'platform' DESC, updated_ms DESC LIMIT 1",
        args![sn, idcard_no],
        |row| row.get(0),
    )
}

/// One person of `sn`'s roster.
pub(crate) fn summary(
    tx: &Tx<'_>,
    sn: &str,
    person_id: &str,
) -> Result<Option<RosterPerson>, StoreError> {
    // Cached: every sign-in from a team phone asks.
    tx.prepare("SELECT person_id, name FROM persons WHERE sn = ?1 AND person_id = ?2")
        .query_opt(args![sn, person_id], |row| {
            Ok(RosterPerson {
                person_id: row.get(0)?,
                name: row.get(1)?,
            })
        })
}

/// Every person of `sn`'s roster, by name.
pub(crate) fn summaries(tx: &Tx<'_>, sn: &str) -> Result<Vec<RosterPerson>, StoreError> {
    let statement =
        tx.prepare("SELECT person_id, name FROM persons WHERE sn = ?1 ORDER BY name, person_id");
    let rows = statement.query_map(args![sn], |row| {
        Ok(RosterPerson {
            person_id: row.get(0)?,
            name: row.get(1)?,
        })
    })?;
    rows.collect::<Result<_, _>>()
}

/// Every person of `sn`'s roster with its ID number and whether a face is held, for
/// inspection (`GET /v1/manager/roster`).
pub(crate) async fn listing(
    store: &Store,
    sn: String,
) -> Result<Vec<serde_json::Value>, StoreError> {
    store
        .run(move |tx| {
            let statement = tx.prepare(
                "SELECT person_id, name, idcard_no, face IS NOT NULL, source FROM persons
                 WHERE sn = ?1 ORDER BY person_id",
            );
            let rows = statement.query_map(args![&sn], |row| {
                Ok(serde_json::json!({
                    "personId": row.get::<String>(0)?,
                    "name": row.get::<String>(1)?,
                    "idcardNo": row.get::<Option<String>>(2)?,
                    "hasFace": row.get::<bool>(3)?,
                    "source": row.get::<String>(4)?,
                }))
            })?;
            rows.collect::<Result<_, _>>()
        })
        .await
}
