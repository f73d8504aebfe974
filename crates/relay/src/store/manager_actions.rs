//! The log of what managers did: fence changes (before and after), enrollment codes,
//! revocations, account changes, terminal keys. Each entry names the account and, when the
//! action concerns one, the site, so a site manager sees the entries of their own sites.

use serde::Serialize;
use serde_json::Value;

use super::StoreError;
use crate::args;
use crate::http::api::SiteScope;
use crate::store::Tx;

/// One manager action.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ManagerAction {
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// The account that did it.
    pub account: String,
    /// The site it concerned, if one.
    pub site_id: Option<String>,
    /// What, e.g. `fence.put`, `enrollment.create`, `phone.revoke`, `account.create`.
    pub action: String,
    /// The particulars (for a fence: `before` and `after`); never a secret.
    pub detail: Value,
}

/// Records that `account` did `action` (on `site_id`, if one) at `now_ms`.
pub(crate) fn record(
    tx: &Tx<'_>,
    account: &str,
    site_id: Option<&str>,
    action: &str,
    detail: Value,
    now_ms: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO manager_actions (at_ms, account, site_id, action, detail)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        args![now_ms, account, site_id, action, detail.to_string()],
    )?;
    Ok(())
}

/// The newest `limit` actions a manager with `scope` may see, newest first: an administrator
/// all of them, a site manager those of their sites.
pub(crate) fn listing(
    tx: &Tx<'_>,
    scope: &SiteScope,
    limit: u32,
) -> Result<Vec<ManagerAction>, StoreError> {
    let statement = tx.prepare(
        "SELECT at_ms, account, site_id, action, detail FROM manager_actions
         WHERE CAST(?1 AS TEXT) IS NULL
            OR site_id IN (SELECT value FROM json_each(CAST(?1 AS TEXT)))
         ORDER BY id DESC LIMIT ?2",
    );
    let rows = statement.query_map(args![scope.sites_json(), limit], |row| {
        let detail: String = row.get(4)?;
        Ok(ManagerAction {
            at_ms: row.get(0)?,
            account: row.get(1)?,
            site_id: row.get(2)?,
            action: row.get(3)?,
            detail: serde_json::from_str(&detail).unwrap_or(Value::Null),
        })
    })?;
    rows.collect()
}
