//! The phones table: each phone's credentials, the platform sn its records go to, and whether
//! it was revoked.

use super::StoreError;
use crate::args;
use crate::store::db::Row;
use crate::store::Tx;

/// A phone's credentials and where its records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    /// The phone's own `accessId` (its login on the phone leg).
    pub access_id: String,
    /// The phone's `accessKey`.
    pub access_key: String,
    /// The phone's `accessSecret`: keys the phone's signatures; never the vendor's.
    pub access_secret: String,
    /// The sn the phone uses on the phone leg.
    pub sn: String,
    /// The platform sn its records are forwarded as.
    pub platform_sn: String,
    /// A revoked phone is refused with `401_02`.
    pub revoked: bool,
}

/// Adds a phone, or updates the one with the same `accessId`; a revocation stays.
pub(crate) fn add_phone(tx: &Tx<'_>, phone: &Phone) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO phones (access_id, access_key, access_secret, sn, platform_sn, revoked)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (access_id) DO UPDATE SET
             access_key = excluded.access_key,
             access_secret = excluded.access_secret,
             sn = excluded.sn,
             platform_sn = excluded.platform_sn,
             revoked = CASE WHEN phones.revoked <> 0 OR excluded.revoked <> 0 THEN 1 ELSE 0 END",
        args![
            phone.access_id,
            phone.access_key,
            phone.access_secret,
            phone.sn,
            phone.platform_sn,
            phone.revoked
        ],
    )?;
    Ok(())
}

/// The columns [`read_phone`] reads, in its order.
const PHONE_COLUMNS: &str = "access_id, access_key, access_secret, sn, platform_sn, revoked";

/// A phone from a row of [`PHONE_COLUMNS`].
fn read_phone(row: &Row) -> Result<Phone, StoreError> {
    Ok(Phone {
        access_id: row.get(0)?,
        access_key: row.get(1)?,
        access_secret: row.get(2)?,
        sn: row.get(3)?,
        platform_sn: row.get(4)?,
        revoked: row.get(5)?,
    })
}

/// Every phone, revoked ones included, by `accessId`.
pub(super) fn all(tx: &Tx<'_>) -> Result<Vec<Phone>, StoreError> {
    let statement = tx.prepare(&format!(
        "SELECT {PHONE_COLUMNS} FROM phones ORDER BY access_id"
    ));
    let rows = statement.query_map(args![], read_phone)?;
    rows.collect::<Result<_, _>>()
}

/// The phone with this `accessId`, revoked or not.
pub(crate) fn by_access_id(tx: &Tx<'_>, access_id: &str) -> Result<Option<Phone>, StoreError> {
    tx.prepare(&format!(
        "SELECT {PHONE_COLUMNS} FROM phones WHERE access_id = ?1"
    ))
    .query_opt(args![access_id], read_phone)
}

/// The `accessId` of every revoked phone.
pub(crate) fn revoked(tx: &Tx<'_>) -> Result<Vec<String>, StoreError> {
    let statement = tx.prepare("SELECT access_id FROM phones WHERE revoked <> 0");
    let rows = statement.query_map(args![], |row| row.get(0))?;
    rows.collect::<Result<_, _>>()
}

/// Revokes a phone's credentials; false when there is no such phone.
pub(crate) fn revoke(tx: &Tx<'_>, access_id: &str) -> Result<bool, StoreError> {
    let changed = tx.execute(
        "UPDATE phones SET revoked = 1 WHERE access_id = ?1",
        args![access_id],
    )?;
    Ok(changed > 0)
}
