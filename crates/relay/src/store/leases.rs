//! Which relay holds each platform sn's session: a lease row per sn (`sn_leases`), taken or
//! renewed by one conditional upsert and judged by the database's clock, so relays whose
//! clocks differ still agree on when a lease has ended.

use super::db::Backend;
use super::{StoreError, Tx};
use crate::args;

/// The database's clock as Unix epoch milliseconds, in each engine's SQL.
fn now_ms_sql(tx: &Tx<'_>) -> &'static str {
    match tx.backend() {
        Backend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
        Backend::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
    }
}

/// Who holds an sn's lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LeaseHolder {
    /// The holder's relay id.
    pub relay_id: String,
    /// Where other relays reach it (its `[cluster] advertise_url`).
    pub url: String,
}

/// Takes `sn`'s lease for `relay_id` (reached at `url`) when nobody holds it or its holder's
/// lease has ended, or renews it when `relay_id` holds it: either way it then ends `lease_ms`
/// from now by the database's clock. Whether `relay_id` holds it now.
pub(crate) fn take_or_renew(
    tx: &Tx<'_>,
    sn: &str,
    holder: &LeaseHolder,
    lease_ms: i64,
) -> Result<bool, StoreError> {
    let now = now_ms_sql(tx);
    let changed = tx
        .prepare(&format!(
            "INSERT INTO sn_leases (sn, holder, holder_url, expires_ms, since_ms)
         VALUES (?1, ?2, ?3, {now} + ?4, {now})
         ON CONFLICT (sn) DO UPDATE SET holder = excluded.holder,
             holder_url = excluded.holder_url, expires_ms = excluded.expires_ms,
             since_ms = CASE WHEN sn_leases.holder = excluded.holder
                             THEN sn_leases.since_ms ELSE excluded.since_ms END
         WHERE sn_leases.holder = excluded.holder OR sn_leases.expires_ms <= {now}"
        ))
        .execute(args![sn, holder.relay_id, holder.url, lease_ms])?;
    Ok(changed == 1)
}

/// Ends `relay_id`'s lease of `sn` now (a relay shutting down), so another relay need not wait
/// for it to run out. Nothing when another relay holds it.
pub(crate) fn release(tx: &Tx<'_>, sn: &str, relay_id: &str) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM sn_leases WHERE sn = ?1 AND holder = ?2",
        args![sn, relay_id],
    )?;
    Ok(())
}

/// Who holds `sn`'s lease now (by the database's clock); `None` when nobody does.
pub(crate) fn holder_of(tx: &Tx<'_>, sn: &str) -> Result<Option<LeaseHolder>, StoreError> {
    let now = now_ms_sql(tx);
    tx.prepare(&format!(
        "SELECT holder, holder_url FROM sn_leases WHERE sn = ?1 AND expires_ms > {now}"
    ))
    .query_opt(args![sn], |row| {
        Ok(LeaseHolder {
            relay_id: row.get(0)?,
            url: row.get(1)?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema;

    fn relay(name: &str) -> LeaseHolder {
        LeaseHolder {
            relay_id: name.into(),
            url: format!("http://{name}.invalid"),
        }
    }

    #[test]
    fn a_lease_is_one_relays_until_it_runs_out_or_is_given_up() {
        let connection = rusqlite::Connection::open_in_memory().unwrap();
        for version in schema::VERSIONS {
            (version.sqlite)(&connection).unwrap();
        }
        let tx = Tx::sqlite(&connection);
        let (a, b) = (relay("a"), relay("b"));
        assert!(take_or_renew(&tx, "SN1", &a, 300).unwrap());
        assert!(!take_or_renew(&tx, "SN1", &b, 300).unwrap(), "a held lease");
        assert!(take_or_renew(&tx, "SN2", &b, 300).unwrap(), "another sn's");
        assert!(take_or_renew(&tx, "SN1", &a, 300).unwrap(), "renewed");
        assert_eq!(holder_of(&tx, "SN1").unwrap(), Some(a.clone()));

        std::thread::sleep(std::time::Duration::from_millis(400));
        assert_eq!(holder_of(&tx, "SN1").unwrap(), None, "ran out");
        assert!(take_or_renew(&tx, "SN1", &b, 300).unwrap(), "taken over");
        assert!(
            !take_or_renew(&tx, "SN1", &a, 300).unwrap(),
            "the old holder's is gone"
        );

        release(&tx, "SN1", "a").unwrap();
        assert_eq!(
            holder_of(&tx, "SN1").unwrap(),
            Some(b),
            "not a's to give up"
        );
        release(&tx, "SN1", "b").unwrap();
        assert_eq!(holder_of(&tx, "SN1").unwrap(), None);
        assert!(take_or_renew(&tx, "SN1", &a, 300).unwrap(), "free at once");
    }
}
