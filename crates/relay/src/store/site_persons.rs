//! Each site's roster: which of its platform sn's persons are on it. While the sn has one site,
//! every person of the sn is on that site (nothing to assign, so single-site set-ups work as
//! they always did); once the sn has several, a site's roster is the persons a manager assigned
//! to it (`site_persons`), and a person may be on several sites. An assignment whose person
//! left the sn's roster is kept but counts for nothing until the person is back.

use serde::Serialize;

use super::roster;
use super::sites::Site;
use super::StoreError;
use crate::args;
use crate::store::Tx;
use zj_protocol::phone_api::RosterPerson;

/// Whether more than one site goes to platform sn `sn`: then each site's roster is what was
/// assigned to it.
pub(crate) fn shared(tx: &Tx<'_>, sn: &str) -> Result<bool, StoreError> {
    // Cached: every team phone's sign-in asks.
    let sites: i64 = tx
        .prepare("SELECT COUNT(*) FROM sites WHERE sn = ?1")
        .query_row(args![sn], |row| row.get(0))?;
    Ok(sites > 1)
}

/// Whether person `person_id` is on the roster of site `site_id` (of platform sn `sn`).
pub(crate) fn on_roster(
    tx: &Tx<'_>,
    site_id: &str,
    sn: &str,
    person_id: &str,
) -> Result<bool, StoreError> {
    if !shared(tx, sn)? {
        return Ok(roster::summary(tx, sn, person_id)?.is_some());
    }
    let assigned: i64 = tx
        .prepare(
            "SELECT COUNT(*) FROM site_persons a
             JOIN persons p ON p.sn = ?2 AND p.person_id = a.person_id
             WHERE a.site_id = ?1 AND a.person_id = ?3",
        )
        .query_row(args![site_id, sn, person_id], |row| row.get(0))?;
    Ok(assigned > 0)
}

/// The persons on `site`'s roster, by name: what its team phones pick from.
pub(crate) fn persons(tx: &Tx<'_>, site: &Site) -> Result<Vec<RosterPerson>, StoreError> {
    if !shared(tx, &site.sn)? {
        return roster::summaries(tx, &site.sn);
    }
    let statement = tx.prepare(
        "SELECT p.person_id, p.name FROM persons p
         JOIN site_persons a ON a.site_id = ?1 AND a.person_id = p.person_id
         WHERE p.sn = ?2 ORDER BY p.name, p.person_id",
    );
    let rows = statement.query_map(args![site.site_id, site.sn], |row| {
        Ok(RosterPerson {
            person_id: row.get(0)?,
            name: row.get(1)?,
        })
    })?;
    rows.collect::<Result<_, _>>()
}

/// A person of a site's sn as the manager assigns them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SitePerson {
    /// The platform's person id.
    pub person_id: String,
    /// Name.
    pub name: String,
    /// Whether the relay holds the person's registered face.
    pub has_face: bool,
    /// `platform` or `mr860`: where the person came from.
    pub source: String,
    /// Whether the person is on this site's roster.
    pub on_site: bool,
}

/// Every person of `site`'s sn, by person id, with whether each is on the site's roster.
pub(crate) fn listing(tx: &Tx<'_>, site: &Site) -> Result<Vec<SitePerson>, StoreError> {
    let everyone = !shared(tx, &site.sn)?;
    let statement = tx.prepare(
        "SELECT p.person_id, p.name, p.face IS NOT NULL, p.source, a.person_id IS NOT NULL
         FROM persons p
         LEFT JOIN site_persons a ON a.site_id = ?1 AND a.person_id = p.person_id
         WHERE p.sn = ?2 ORDER BY p.person_id",
    );
    let rows = statement.query_map(args![site.site_id, site.sn], |row| {
        Ok(SitePerson {
            person_id: row.get(0)?,
            name: row.get(1)?,
            has_face: row.get(2)?,
            source: row.get(3)?,
            on_site: everyone || row.get::<bool>(4)?,
        })
    })?;
    rows.collect::<Result<_, _>>()
}

/// The persons assigned to site `site_id`, by person id (whether or not still on the sn's
/// roster).
pub(crate) fn assigned(tx: &Tx<'_>, site_id: &str) -> Result<Vec<String>, StoreError> {
    let statement =
        tx.prepare("SELECT person_id FROM site_persons WHERE site_id = ?1 ORDER BY person_id");
    let rows = statement.query_map(args![site_id], |row| row.get(0))?;
    rows.collect::<Result<_, _>>()
}

/// Assigns these persons to site `site_id`; the ones not assigned before, in the given order.
pub(crate) fn assign(
    tx: &Tx<'_>,
    site_id: &str,
    person_ids: &[String],
) -> Result<Vec<String>, StoreError> {
    let statement = tx.prepare(
        "INSERT INTO site_persons (site_id, person_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    );
    let mut added = Vec::new();
    for person_id in person_ids {
        if statement.execute(args![site_id, person_id])? > 0 {
            added.push(person_id.clone());
        }
    }
    Ok(added)
}

/// Takes these persons off site `site_id`; the ones that were on it, in the given order.
pub(crate) fn unassign(
    tx: &Tx<'_>,
    site_id: &str,
    person_ids: &[String],
) -> Result<Vec<String>, StoreError> {
    let statement = tx.prepare("DELETE FROM site_persons WHERE site_id = ?1 AND person_id = ?2");
    let mut removed = Vec::new();
    for person_id in person_ids {
        if statement.execute(args![site_id, person_id])? > 0 {
            removed.push(person_id.clone());
        }
    }
    Ok(removed)
}

/// What a site kept when its sn got a second site: its id and the persons assigned to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeptRoster {
    /// The sn's first site.
    pub site_id: String,
    /// The persons now assigned to it (every person of the sn's roster then).
    pub person_ids: Vec<String>,
}

/// Before a site is added for `sn`: when the sn has exactly one site, that site is given every
/// person of the sn's roster, so that its phones keep clocking in whom they could; `None` when
/// the sn has no site or several already.
pub(crate) fn keep_sole_site_roster(
    tx: &Tx<'_>,
    sn: &str,
) -> Result<Option<KeptRoster>, StoreError> {
    let statement = tx.prepare("SELECT site_id FROM sites WHERE sn = ?1 LIMIT 2");
    let mut sites: Vec<String> =
        (statement.query_map(args![sn], |row| row.get(0))?).collect::<Result<_, _>>()?;
    if sites.len() != 1 {
        return Ok(None);
    }
    let site_id = sites.remove(0);
    let everyone: Vec<String> = (roster::summaries(tx, sn)?.into_iter())
        .map(|person| person.person_id)
        .collect();
    let person_ids = assign(tx, &site_id, &everyone)?;
    Ok(Some(KeptRoster {
        site_id,
        person_ids,
    }))
}
