//! The `recordId` ledger (what became of each record a phone or terminal sent, so a retry gets
//! the first final answer) and the audit log (each record as received, with the evidence the
//! platform does not take).

use serde_json::{json, Map, Value};

use super::StoreError;
use crate::args;
use crate::sheet::PunchFacts;
use crate::store::Tx;
use zj_protocol::ProtocolError;

/// What the ledger says about a record when a phone sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Begun {
    /// First sight: recorded as sending; forward it.
    New,
    /// Seen before without a final result (a retry after a transient failure, or a record
    /// whose attempt was cut short by a restart): recorded as sending again; forward it.
    Again,
    /// Being sent by another relay of the cluster, whose claim has not ended: wait for its
    /// outcome rather than send it a second time.
    Elsewhere,
    /// Left sending by a relay whose claim ended (it died, or lost the database, mid-attempt):
    /// claimed now; forward it. The platform may already have it: a possible duplicate. The
    /// relay that had claimed it, when known.
    TakenOver(Option<String>),
    /// The platform accepted it.
    Done,
    /// The platform refused it for good.
    Refused(ProtocolError),
}

impl Begun {
    /// Whether the record is this relay's to send now (new, again, or taken over).
    pub(crate) fn to_forward(&self) -> bool {
        matches!(self, Begun::New | Begun::Again | Begun::TakenOver(_))
    }
}

/// How a forwarding attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The platform accepted the record.
    Done,
    /// The platform refused the record for good.
    Refused(ProtocolError),
    /// Not final: the phone keeps the record and sends it again.
    Retry,
}

/// The relay that begins a record, and how long its claim on the record lasts: while it does,
/// the record is this relay's to send and a retry at another relay waits. An attempt ends well
/// within it (the platform's reply time bounds it), so a claim runs out only when its relay
/// died or lost the database mid-attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claimant {
    /// The relay's id (`[cluster] relay_id`).
    pub relay_id: String,
    /// How long a claim lasts, in milliseconds.
    pub claim_ms: i64,
}

/// A record as the ledger and audit log keep it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RecordEntry {
    /// The phone's `accessId`.
    pub access_id: String,
    /// The phone's `recordId`.
    pub record_id: String,
    /// The phone's sn.
    pub phone_sn: String,
    /// The platform sn it is forwarded as.
    pub platform_sn: String,
    /// `personId`.
    pub person_id: String,
    /// `recordTime`, Unix epoch milliseconds.
    pub record_time: i64,
    /// Size of the decoded photo, in bytes.
    pub img_bytes: usize,
    /// The members outside §7 (fence verdict, location warnings, liveness evidence…), as a
    /// JSON object text.
    pub extras: String,
    /// When the relay received it, Unix epoch milliseconds.
    pub received_ms: i64,
    /// The site it was sent from (the phone's or terminal's), `None` for a phone enrolled by
    /// configuration.
    pub site_id: Option<String>,
}

/// Records that a phone sent a record and says what the ledger knows of it; a record to
/// forward is claimed by `claimant` (inside a batch's transaction; [`Store::begin`] is the same
/// as an operation of its own).
pub(crate) fn begin(
    tx: &Tx<'_>,
    entry: &RecordEntry,
    claimant: &Claimant,
    now_ms: i64,
) -> Result<Begun, StoreError> {
    // The statements of every sign-in are prepared once per connection (cached), not parsed
    // again each time. A new record, the usual case, is inserted without being read first.
    let inserted = tx
        .prepare(
            "INSERT INTO ledger (access_id, record_id, state, attempts, updated_ms,
                                 claimed_by, claim_until_ms)
             VALUES (?1, ?2, 'sending', 1, ?3, ?4, ?5)
             ON CONFLICT (access_id, record_id) DO NOTHING",
        )
        .execute(args![
            entry.access_id,
            entry.record_id,
            now_ms,
            claimant.relay_id,
            now_ms + claimant.claim_ms
        ])?;
    if inserted == 1 {
        audit(tx, entry)?;
        return Ok(Begun::New);
    }
    // Known already (or, on PostgreSQL, begun by another relay a moment ago: the insert
    // waited for its commit).
    let Some(known) = read(tx, &entry.access_id, &entry.record_id)? else {
        return Ok(Begun::Elsewhere);
    };
    Ok(match known.state.as_str() {
        "done" => Begun::Done,
        "refused" => Begun::Refused(known.refusal()),
        "sending" if known.claimed_at(now_ms) => {
            // Another relay's attempt, or one of this relay's whose outcome the store could
            // not record (a relay never begins its own record twice at once: its gateway joins
            // the attempt in flight): either way its outcome is not known yet.
            Begun::Elsewhere
        }
        state => {
            let previous = state.to_owned();
            if !claim(tx, &entry.access_id, &entry.record_id, claimant, now_ms)? {
                Begun::Elsewhere // another relay claimed it a moment ago
            } else if previous == "sending" {
                Begun::TakenOver(known.claimed_by)
            } else {
                Begun::Again
            }
        }
    })
}

/// Writes a new record to the audit log with its extras, and its facts for the day sheet.
fn audit(tx: &Tx<'_>, entry: &RecordEntry) -> Result<(), StoreError> {
    tx.prepare(
        "INSERT INTO audit (access_id, record_id, phone_sn, platform_sn, person_id,
                            record_time, img_bytes, extras, received_ms, site_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .execute(args![
        entry.access_id,
        entry.record_id,
        entry.phone_sn,
        entry.platform_sn,
        entry.person_id,
        entry.record_time,
        entry.img_bytes as i64,
        entry.extras,
        entry.received_ms,
        entry.site_id
    ])?;
    write_facts(tx, entry)
}

/// Ends the claims of the records `relay_id` left sending (its previous run, stopped
/// mid-attempt), so they are sent again at once instead of when their claims run out; how
/// many. Nothing for a
/// relay named anew at each start.
pub(crate) fn take_back_claims(tx: &Tx<'_>, relay_id: &str) -> Result<usize, StoreError> {
    // Ended rather than made `retry`: the next attempt takes the record over and counts it as
    // a possible duplicate (the previous run may have sent it).
    tx.execute(
        "UPDATE ledger SET claim_until_ms = 0 WHERE state = 'sending' AND claimed_by = ?1",
        args![relay_id],
    )
}

/// A record's ledger row.
pub(crate) struct Known {
    /// `sending`, `retry`, `done` or `refused`.
    pub state: String,
    errorcode: Option<String>,
    errormsg: Option<String>,
    claimed_by: Option<String>,
    claim_until_ms: Option<i64>,
}

impl Known {
    /// The platform's refusal, for a `refused` record.
    pub(crate) fn refusal(&self) -> ProtocolError {
        ProtocolError {
            errorcode: self.errorcode.clone().unwrap_or_default(),
            errormsg: self.errormsg.clone().unwrap_or_default(),
        }
    }

    /// Whether a relay's claim on the record lasts at `now_ms`.
    pub(crate) fn claimed_at(&self, now_ms: i64) -> bool {
        self.claim_until_ms.is_some_and(|until| until > now_ms)
    }
}

/// The ledger row of `(access_id, record_id)`, if any.
pub(crate) fn read(
    tx: &Tx<'_>,
    access_id: &str,
    record_id: &str,
) -> Result<Option<Known>, StoreError> {
    tx.prepare(
        "SELECT state, errorcode, errormsg, claimed_by, claim_until_ms FROM ledger
         WHERE access_id = ?1 AND record_id = ?2",
    )
    .query_opt(args![access_id, record_id], |row| {
        Ok(Known {
            state: row.get(0)?,
            errorcode: row.get(1)?,
            errormsg: row.get(2)?,
            claimed_by: row.get(3)?,
            claim_until_ms: row.get(4)?,
        })
    })
}

/// Marks a known record that waits to be sent again (`retry`, or `sending` under a claim that
/// has ended) as being sent, one more attempt, by `claimant` until its claim ends; false when
/// it no longer waits (another relay claimed it first: under PostgreSQL this statement waits
/// for that relay's transaction and then finds the row changed).
pub(crate) fn claim(
    tx: &Tx<'_>,
    access_id: &str,
    record_id: &str,
    claimant: &Claimant,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let changed = tx
        .prepare(
            "UPDATE ledger SET state = 'sending', attempts = attempts + 1, updated_ms = ?3,
                               claimed_by = ?4, claim_until_ms = ?5
             WHERE access_id = ?1 AND record_id = ?2
               AND (state = 'retry'
                    OR (state = 'sending' AND COALESCE(claim_until_ms, 0) <= ?3))",
        )
        .execute(args![
            access_id,
            record_id,
            now_ms,
            claimant.relay_id,
            now_ms + claimant.claim_ms
        ])?;
    Ok(changed == 1)
}

/// Writes what `entry`'s extras say for the day sheet (`audit_facts`), read once here so a
/// sheet of a month's records never parses their extras.
fn write_facts(tx: &Tx<'_>, entry: &RecordEntry) -> Result<(), StoreError> {
    let facts = PunchFacts::of_extras_text(&entry.extras);
    tx.prepare(
        "INSERT INTO audit_facts (access_id, record_id, site_id, person_id,
             record_time, received_ms, flags, source, verdict, distance_m, lng, lat, accuracy_m)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (access_id, record_id) DO UPDATE SET site_id = excluded.site_id,
             person_id = excluded.person_id, record_time = excluded.record_time,
             received_ms = excluded.received_ms, flags = excluded.flags, source = excluded.source,
             verdict = excluded.verdict, distance_m = excluded.distance_m, lng = excluded.lng,
             lat = excluded.lat, accuracy_m = excluded.accuracy_m",
    )
    .execute(args![
        entry.access_id,
        entry.record_id,
        entry.site_id,
        entry.person_id,
        entry.record_time,
        entry.received_ms,
        facts.flags.bits(),
        facts.source.as_str(),
        facts.verdict,
        facts.distance_m,
        facts.lng,
        facts.lat,
        facts.accuracy_m
    ])?;
    Ok(())
}

/// Writes the facts of audited records that have none (a store made before `audit_facts`);
/// the number written. Run once, when a store without `audit_facts` opens, in one transaction.
pub(crate) fn fill_missing_facts(connection: &rusqlite::Connection) -> Result<usize, StoreError> {
    let transaction = connection.unchecked_transaction()?;
    let written = fill_facts(&Tx::sqlite(&transaction))?;
    transaction.commit()?;
    Ok(written)
}

fn fill_facts(tx: &Tx<'_>) -> Result<usize, StoreError> {
    let statement = tx.prepare(
        "SELECT a.access_id, a.record_id, a.phone_sn, a.platform_sn, a.person_id,
                a.record_time, a.img_bytes, a.extras, a.received_ms, a.site_id
         FROM audit a
         WHERE NOT EXISTS (SELECT 1 FROM audit_facts f
                           WHERE f.access_id = a.access_id AND f.record_id = a.record_id)",
    );
    let entries = statement.query_map(args![], |row| {
        Ok(RecordEntry {
            access_id: row.get(0)?,
            record_id: row.get(1)?,
            phone_sn: row.get(2)?,
            platform_sn: row.get(3)?,
            person_id: row.get(4)?,
            record_time: row.get(5)?,
            img_bytes: usize::try_from(row.get::<i64>(6)?).unwrap_or(0),
            extras: row.get(7)?,
            received_ms: row.get(8)?,
            site_id: row.get(9)?,
        })
    })?;
    let mut written = 0;
    for entry in entries {
        write_facts(tx, &entry?)?;
        written += 1;
    }
    Ok(written)
}

/// Records the relay's check of a record's photo (a JSON object text), replacing the check of
/// an earlier attempt.
pub(crate) fn record_photo_check(
    tx: &Tx<'_>,
    access_id: &str,
    record_id: &str,
    result: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    tx.prepare(
        "INSERT INTO photo_checks (access_id, record_id, result, checked_ms)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (access_id, record_id) DO UPDATE SET result = excluded.result,
             checked_ms = excluded.checked_ms",
    )
    .execute(args![access_id, record_id, result, now_ms])?;
    Ok(())
}

/// Records how an attempt ended (inside a batch's transaction; [`Store::finish`] is the same as
/// an operation of its own).
///
/// [`Store::finish`]: super::Store::finish
pub(crate) fn finish(
    tx: &Tx<'_>,
    access_id: &str,
    record_id: &str,
    outcome: &Outcome,
    now_ms: i64,
) -> Result<(), StoreError> {
    let (state, error) = match outcome {
        Outcome::Done => ("done", None),
        Outcome::Refused(error) => ("refused", Some(error)),
        Outcome::Retry => ("retry", None),
    };
    // A final outcome stays: a late attempt (one whose claim ran out while another relay took
    // the record over and finished it) must not make a finished record wait to be sent again.
    tx.prepare(
        "UPDATE ledger SET state = ?3, errorcode = ?4, errormsg = ?5, updated_ms = ?6
         WHERE access_id = ?1 AND record_id = ?2 AND state NOT IN ('done', 'refused')",
    )
    .execute(args![
        access_id,
        record_id,
        state,
        error.map(|e| &e.errorcode),
        error.map(|e| &e.errormsg),
        now_ms
    ])?;
    Ok(())
}

/// The audit log for the manager's list, oldest first (at most 10,000): each record as the
/// phone sent it (its extras: fence verdict, location warnings, liveness) with its site, the
/// relay's photo check (`photoCheck`, `null` when the photo was not checked) and the
/// platform's result; only `site_id`'s when given, and only those received since
/// `since_ms` (epoch milliseconds).
pub(crate) fn audit_listing(
    tx: &Tx<'_>,
    site_id: Option<&str>,
    since_ms: i64,
) -> Result<Vec<Value>, StoreError> {
    let statement = tx.prepare(
        "SELECT a.access_id, a.record_id, a.phone_sn, a.platform_sn, a.person_id,
                a.record_time, a.img_bytes, a.extras, a.received_ms,
                l.state, l.errorcode, l.errormsg, s.site_id, p.result
         FROM audit a
         LEFT JOIN ledger l ON l.access_id = a.access_id AND l.record_id = a.record_id
         LEFT JOIN phone_sites s ON s.access_id = a.access_id
         LEFT JOIN photo_checks p ON p.access_id = a.access_id AND p.record_id = a.record_id
         WHERE (CAST(?1 AS TEXT) IS NULL OR s.site_id = ?1) AND a.received_ms >= ?2
         ORDER BY a.received_ms LIMIT 10000",
    );
    let rows = statement.query_map(args![site_id, since_ms], |row| {
        let mut record: Map<String, Value> =
            serde_json::from_str(&row.get::<String>(7)?).unwrap_or_default();
        let state: Option<String> = row.get(9)?;
        let photo_check: Option<Value> =
            (row.get::<Option<String>>(13)?).and_then(|text| serde_json::from_str(&text).ok());
        let fields = [
            ("accessId", json!(row.get::<String>(0)?)),
            ("recordId", json!(row.get::<String>(1)?)),
            ("phoneSn", json!(row.get::<String>(2)?)),
            ("sn", json!(row.get::<String>(3)?)),
            ("personId", json!(row.get::<String>(4)?)),
            ("recordTime", json!(row.get::<i64>(5)?)),
            ("imgBytes", json!(row.get::<i64>(6)?)),
            ("receivedAtMs", json!(row.get::<i64>(8)?)),
            ("siteId", json!(row.get::<Option<String>>(12)?)),
            ("photoCheck", json!(photo_check)),
            (
                "platformResult",
                json!({
                    "state": state,
                    "errorcode": row.get::<Option<String>>(10)?,
                    "errormsg": row.get::<Option<String>>(11)?,
                }),
            ),
        ];
        record.extend(fields.map(|(key, value)| (key.to_owned(), value)));
        Ok(Value::Object(record))
    })?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// When the relay first received a record (its audit entry), epoch milliseconds; `None` when
/// it never did.
pub(crate) fn first_received_ms(
    tx: &Tx<'_>,
    access_id: &str,
    record_id: &str,
) -> Result<Option<i64>, StoreError> {
    tx.query_opt(
        "SELECT received_ms FROM audit WHERE access_id = ?1 AND record_id = ?2",
        args![access_id, record_id],
        |row| row.get(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema;

    fn entry(record_id: &str) -> RecordEntry {
        RecordEntry {
            access_id: "phone-1".into(),
            record_id: record_id.into(),
            phone_sn: "PHONE-1".into(),
            platform_sn: "SN1".into(),
            person_id: "W1".into(),
            record_time: 1_000,
            img_bytes: 10,
            extras: "{}".into(),
            received_ms: 1_000,
            site_id: None,
        }
    }

    fn claimant(relay_id: &str) -> Claimant {
        Claimant {
            relay_id: relay_id.into(),
            claim_ms: 30_000,
        }
    }

    #[test]
    fn a_claimed_record_waits_for_its_relay_unless_the_claim_ended_or_was_taken_back() {
        let connection = rusqlite::Connection::open_in_memory().unwrap();
        for version in schema::VERSIONS {
            (version.sqlite)(&connection).unwrap();
        }
        let tx = Tx::sqlite(&connection);
        let (a, b) = (claimant("a"), claimant("b"));
        assert_eq!(begin(&tx, &entry("r1"), &a, 1_000).unwrap(), Begun::New);
        assert_eq!(
            begin(&tx, &entry("r1"), &b, 2_000).unwrap(),
            Begun::Elsewhere
        );
        assert_eq!(
            begin(&tx, &entry("r1"), &b, 31_000).unwrap(),
            Begun::TakenOver(Some("a".into())),
            "a's claim ended"
        );
        finish(&tx, "phone-1", "r1", &Outcome::Done, 32_000).unwrap();
        assert_eq!(begin(&tx, &entry("r1"), &a, 33_000).unwrap(), Begun::Done);

        assert_eq!(begin(&tx, &entry("r2"), &a, 1_000).unwrap(), Begun::New);
        assert_eq!(take_back_claims(&tx, "b").unwrap(), 0, "not b's");
        assert_eq!(take_back_claims(&tx, "a").unwrap(), 1);
        assert_eq!(
            begin(&tx, &entry("r2"), &b, 2_000).unwrap(),
            Begun::TakenOver(Some("a".into())),
            "counted as a possible duplicate"
        );
        finish(&tx, "phone-1", "r2", &Outcome::Done, 3_000).unwrap();
        finish(&tx, "phone-1", "r2", &Outcome::Retry, 4_000).unwrap();
        assert_eq!(
            begin(&tx, &entry("r2"), &a, 5_000).unwrap(),
            Begun::Done,
            "a late attempt's outcome does not undo a final one"
        );
    }
}
