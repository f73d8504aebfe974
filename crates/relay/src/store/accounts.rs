//! Manager accounts: an administrator (every site, the accounts) or a site manager (the sites
//! listed for it). A script authenticates with the account's token, of which only a hash is
//! kept.

use serde::Serialize;

use super::StoreError;
use crate::args;
use crate::http::api::SiteScope;
use crate::store::Tx;

/// A manager account as the API shows it (never its secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Account {
    /// Its unique name, e.g. `wang`.
    pub name: String,
    /// `admin` or `site`.
    pub role: Role,
    /// The sites a site manager may see (empty for an administrator, who sees all).
    pub sites: Vec<String>,
}

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Role {
    /// Every site, and the accounts.
    Admin,
    /// Only its own sites.
    Site,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Site => "site",
        }
    }

    fn parse(text: &str) -> Role {
        if text == "admin" {
            Role::Admin
        } else {
            Role::Site
        }
    }
}

impl Account {
    /// The sites this account may see.
    pub(crate) fn scope(&self) -> SiteScope {
        match self.role {
            Role::Admin => SiteScope::All,
            Role::Site => SiteScope::Sites(self.sites.clone()),
        }
    }
}

/// Adds an account (false when the name is taken) with its token's hash and sites.
pub(crate) fn create(
    tx: &Tx<'_>,
    account: &Account,
    token_hash: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let added = tx.execute(
        "INSERT INTO manager_accounts (name, role, token_hash, created_ms, updated_ms)
         VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT DO NOTHING",
        args![account.name, account.role.as_str(), token_hash, now_ms],
    )?;
    if added == 0 {
        return Ok(false);
    }
    set_sites(tx, &account.name, &account.sites)?;
    Ok(true)
}

/// Replaces the sites of account `name`.
pub(crate) fn set_sites(tx: &Tx<'_>, name: &str, sites: &[String]) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM manager_account_sites WHERE name = ?1",
        args![name],
    )?;
    for site_id in sites {
        tx.execute(
            "INSERT INTO manager_account_sites (name, site_id) VALUES (?1, ?2)
             ON CONFLICT DO NOTHING",
            args![name, site_id],
        )?;
    }
    Ok(())
}

/// The account whose token hashes to `token_hash`.
pub(crate) fn by_token_hash(tx: &Tx<'_>, token_hash: &str) -> Result<Option<Account>, StoreError> {
    let name: Option<String> = tx.query_opt(
        "SELECT name FROM manager_accounts WHERE token_hash = ?1",
        args![token_hash],
        |row| row.get(0),
    )?;
    match name {
        Some(name) => get(tx, &name),
        None => Ok(None),
    }
}

/// Account `name`.
pub(crate) fn get(tx: &Tx<'_>, name: &str) -> Result<Option<Account>, StoreError> {
    let role: Option<String> = tx.query_opt(
        "SELECT role FROM manager_accounts WHERE name = ?1",
        args![name],
        |row| row.get(0),
    )?;
    let Some(role) = role else {
        return Ok(None);
    };
    let statement =
        tx.prepare("SELECT site_id FROM manager_account_sites WHERE name = ?1 ORDER BY site_id");
    let sites = (statement.query_map(args![name], |row| row.get(0))?).collect::<Result<_, _>>()?;
    Ok(Some(Account {
        name: name.to_owned(),
        role: Role::parse(&role),
        sites,
    }))
}

/// Every account, by name.
pub(crate) fn list(tx: &Tx<'_>) -> Result<Vec<Account>, StoreError> {
    let statement = tx.prepare("SELECT name FROM manager_accounts ORDER BY name");
    let names: Vec<String> =
        (statement.query_map(args![], |row| row.get(0))?).collect::<Result<_, _>>()?;
    let mut accounts = Vec::with_capacity(names.len());
    for name in names {
        accounts.extend(get(tx, &name)?);
    }
    Ok(accounts)
}

/// The PHC string of account `name`'s password; `None` without the account or a password.
pub(crate) fn password_hash(tx: &Tx<'_>, name: &str) -> Result<Option<String>, StoreError> {
    let hash: Option<Option<String>> = tx.query_opt(
        "SELECT password_hash FROM manager_accounts WHERE name = ?1",
        args![name],
        |row| row.get(0),
    )?;
    Ok(hash.flatten())
}

/// Sets account `name`'s password (a PHC string); false without the account.
pub(crate) fn set_password(
    tx: &Tx<'_>,
    name: &str,
    password_hash: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let changed = tx.execute(
        "UPDATE manager_accounts SET password_hash = ?2, updated_ms = ?3 WHERE name = ?1",
        args![name, password_hash, now_ms],
    )?;
    Ok(changed > 0)
}

/// Replaces account `name`'s token by one hashing to `token_hash`; false without the account.
pub(crate) fn set_token_hash(
    tx: &Tx<'_>,
    name: &str,
    token_hash: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let changed = tx.execute(
        "UPDATE manager_accounts SET token_hash = ?2, updated_ms = ?3 WHERE name = ?1",
        args![name, token_hash, now_ms],
    )?;
    Ok(changed > 0)
}

/// Deletes account `name` with its sites and sessions; false without the account.
pub(crate) fn delete(tx: &Tx<'_>, name: &str) -> Result<bool, StoreError> {
    tx.execute(
        "DELETE FROM manager_account_sites WHERE name = ?1",
        args![name],
    )?;
    super::sessions::end_all(tx, name, None)?;
    let deleted = tx.execute("DELETE FROM manager_accounts WHERE name = ?1", args![name])?;
    Ok(deleted > 0)
}
