//! The enrollments and phone_sites tables: one-time codes (site, binding, person, expiry, use)
//! and the site and binding of each phone that redeemed one.

use serde::Serialize;

use super::StoreError;
use crate::args;
use crate::store::Tx;
use zj_protocol::phone_api::Binding;

/// A code to keep: what it enrolls a phone as, and until when (epoch milliseconds).
pub(crate) struct NewEnrollment<'a> {
    pub(crate) code: &'a str,
    pub(crate) site_id: &'a str,
    pub(crate) binding: Binding,
    pub(crate) person_id: Option<&'a str>,
    pub(crate) created_ms: i64,
    pub(crate) expires_ms: i64,
}

/// A code as kept: its site, binding and person, expiry and use (epoch milliseconds).
pub(crate) struct Enrollment {
    pub(crate) site_id: String,
    pub(crate) binding: Binding,
    pub(crate) person_id: Option<String>,
    pub(crate) expires_ms: i64,
    pub(crate) used_ms: Option<i64>,
}

/// Keeps a new code.
pub(crate) fn insert(tx: &Tx<'_>, new: &NewEnrollment<'_>) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO enrollments (code, site_id, binding, person_id, created_ms, expires_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        args![
            new.code,
            new.site_id,
            new.binding.as_str(),
            new.person_id,
            new.created_ms,
            new.expires_ms
        ],
    )?;
    Ok(())
}

/// The code `code` (normalised), if there is one.
pub(crate) fn find(tx: &Tx<'_>, code: &str) -> Result<Option<Enrollment>, StoreError> {
    tx.query_opt(
        "SELECT site_id, binding, person_id, expires_ms, used_ms FROM enrollments
             WHERE code = ?1",
        args![code],
        |row| {
            Ok(Enrollment {
                site_id: row.get(0)?,
                binding: binding_column(row.get(1)?),
                person_id: row.get(2)?,
                expires_ms: row.get(3)?,
                used_ms: row.get(4)?,
            })
        },
    )
}

/// Marks `code` used by the phone `access_id` at `now_ms`; false when it was used already (on
/// PostgreSQL the statement waits for a concurrent redemption's commit, then finds it used).
pub(crate) fn mark_used(
    tx: &Tx<'_>,
    code: &str,
    access_id: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let changed = tx.execute(
        "UPDATE enrollments SET used_ms = ?2, access_id = ?3
         WHERE code = ?1 AND used_ms IS NULL",
        args![code, now_ms, access_id],
    )?;
    Ok(changed == 1)
}

/// Keeps the site and binding of the phone `access_id`, enrolled at `now_ms`.
pub(crate) fn bind_phone(
    tx: &Tx<'_>,
    access_id: &str,
    site: &PhoneSite,
    now_ms: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO phone_sites (access_id, site_id, binding, person_id, enrolled_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        args![
            access_id,
            site.site_id,
            site.binding.as_str(),
            site.person_id,
            now_ms
        ],
    )?;
    Ok(())
}

/// A phone's binding to a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PhoneSite {
    /// The site.
    pub site_id: String,
    /// Personal or team phone.
    pub binding: Binding,
    /// The person of a personal phone.
    pub person_id: Option<String>,
}

/// A stored binding. The table's CHECK keeps it one of the two; were it ever neither, it reads
/// as personal, the narrower (with no person of its own, such a phone clocks in nobody).
fn binding_column(text: String) -> Binding {
    text.parse().unwrap_or(Binding::Personal)
}

/// The site binding of an enrolled phone (`None` for phones configured by hand).
pub(crate) fn phone_site(tx: &Tx<'_>, access_id: &str) -> Result<Option<PhoneSite>, StoreError> {
    tx.prepare("SELECT site_id, binding, person_id FROM phone_sites WHERE access_id = ?1")
        .query_opt(args![access_id], |row| {
            Ok(PhoneSite {
                site_id: row.get(0)?,
                binding: binding_column(row.get(1)?),
                person_id: row.get(2)?,
            })
        })
}

/// The phones enrolled at a site, for the manager.
pub(crate) fn site_phones(
    tx: &Tx<'_>,
    site_id: &str,
) -> Result<Vec<serde_json::Value>, StoreError> {
    let statement = tx.prepare(
        "SELECT p.access_id, p.sn, s.binding, s.person_id, s.enrolled_ms, p.revoked
         FROM phone_sites s JOIN phones p ON p.access_id = s.access_id
         WHERE s.site_id = ?1 ORDER BY s.enrolled_ms",
    );
    let rows = statement.query_map(args![site_id], |row| {
        Ok(serde_json::json!({
            "accessId": row.get::<String>(0)?,
            "sn": row.get::<String>(1)?,
            "binding": binding_column(row.get(2)?),
            "personId": row.get::<Option<String>>(3)?,
            "enrolledAtMs": row.get::<i64>(4)?,
            "revoked": row.get::<bool>(5)?,
        }))
    })?;
    rows.collect::<Result<_, _>>()
}

/// The site binding of an enrolled phone and when it redeemed its code, epoch milliseconds
/// (no record of the phone can have been made much before it); `None` for phones configured
/// by hand. One query for what every sign-in's admission asks.
pub(crate) fn phone_enrollment(
    tx: &Tx<'_>,
    access_id: &str,
) -> Result<Option<(PhoneSite, i64)>, StoreError> {
    tx.prepare(
        "SELECT site_id, binding, person_id, enrolled_ms FROM phone_sites WHERE access_id = ?1",
    )
    .query_opt(args![access_id], |row| {
        let binding = PhoneSite {
            site_id: row.get(0)?,
            binding: binding_column(row.get(1)?),
            person_id: row.get(2)?,
        };
        Ok((binding, row.get(3)?))
    })
}
