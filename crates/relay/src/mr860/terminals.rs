//! Who may send MR860 logs: terminals with a secret key each. A terminal can only be given
//! upload URLs, so its key is part of them (`/mr860/{key}/face`, `/verify`, `/person`). The
//! relay keeps only the key's SHA-256 (a random key of 128 bits or more needs no slow hash)
//! and compares it with every terminal's in constant time. Each terminal belongs to one site,
//! whose platform sn its logs go to, and may be held to a list of addresses.

use std::net::IpAddr;

use ipnet::IpNet;
use rand::Rng;
use serde_json::{json, Value};

use crate::config::{ConfigError, RelayConfig};
use crate::keys::{same_secret, token_hash as key_hash};
use crate::store::terminals::{self, Origin, TerminalRow};
use crate::store::Tx;
use crate::store::{sites, Store, StoreError};

/// Letters of a new key: lowercase letters and digits without `l`, `o`, `0`, `1`, so a key
/// typed into a terminal's settings by hand is not misread (32 letters: 5 bits each).
const KEY_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
/// Letters in a new key: 26 × 5 = 130 bits.
const KEY_LEN: usize = 26;

/// A new random key that the configuration's key rule accepts: about 1 in 1,800 draws is all
/// letters (then judged as 26 × log2 26 ≈ 122 bits) and is drawn again, so a key issued here can
/// always be written into `[[mr860]]` (the demo does).
pub(crate) fn new_key() -> String {
    let mut rng = rand::rng();
    loop {
        let key: String = (0..KEY_LEN)
            .map(|_| char::from(KEY_ALPHABET[rng.random_range(0..KEY_ALPHABET.len())]))
            .collect();
        if crate::config::strong_key(&key) {
            return key;
        }
    }
}

/// The three upload URLs of a terminal with `key`, under `base` (`http://host:port`).
pub(crate) fn upload_urls(base: &str, key: &str) -> Value {
    let url = |intake: &str| format!("{base}/mr860/{key}/{intake}");
    json!({"face": url("face"), "verify": url("verify"), "person": url("person")})
}

/// A terminal whose key a request gave: who it is and where its logs go.
#[derive(Debug, Clone)]
pub(crate) struct Terminal {
    /// Its `deviceId`: every body it sends must carry this one.
    pub device_id: String,
    /// Its site.
    pub site_id: String,
    /// Its site's platform sn; `None` while the site does not exist.
    pub sn: Option<String>,
    /// Networks it may send from; empty: any.
    pub allow_from: Vec<IpNet>,
}

impl Terminal {
    /// Whether a request from `ip` may come from this terminal.
    pub(crate) fn allows(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.allow_from.is_empty() || self.allow_from.iter().any(|net| net.contains(&ip))
    }
}

/// The terminal whose key is `key`, if any: the key's hash is compared with every terminal's
/// in time independent of where they differ, so timing tells nothing of a key.
pub(crate) fn authenticate(tx: &Tx<'_>, key: &str) -> Result<Option<Terminal>, StoreError> {
    let given = key_hash(key);
    let mut found = None;
    for row in terminals::all(tx)? {
        if same_secret(&given, &row.key_hash) {
            found = Some(row);
        }
    }
    let Some(row) = found else {
        return Ok(None);
    };
    let sn = sites::get(tx, &row.site_id)?.map(|site| site.sn);
    // An allow-list that cannot be read refuses (the store's error), never lets anyone in.
    let allow_from = parse_networks(&row.allow_from).map_err(|entry| {
        StoreError::new(format!(
            "terminal {}: its stored allow-list entry {entry:?} cannot be read",
            row.device_id
        ))
    })?;
    Ok(Some(Terminal {
        device_id: row.device_id,
        site_id: row.site_id,
        sn,
        allow_from,
    }))
}

/// Networks from their text (`10.0.0.0/8`, `192.168.1.7`); the first unreadable one is the
/// error.
pub(crate) fn parse_networks(texts: &[String]) -> Result<Vec<IpNet>, String> {
    (texts.iter())
        .map(|text| {
            let text = text.trim();
            (text.parse::<IpNet>())
                .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| text.to_owned())
        })
        .collect()
}

/// Writes the configured terminals into the store (keys and allow-lists as configured now)
/// and removes configured ones no longer in the file. A terminal whose site does not exist
/// yet is kept: its logs are refused until the site is created.
pub(crate) async fn seed_configured(
    store: &Store,
    config: &RelayConfig,
    now_ms: i64,
) -> Result<(), crate::server::StartError> {
    let keys = config.mr860_keys()?;
    let rows: Vec<TerminalRow> = (config.mr860.iter().zip(keys))
        .map(|(terminal, key)| TerminalRow {
            device_id: terminal.device_id.clone(),
            site_id: terminal.site_id.clone(),
            key_hash: key_hash(key.expose()),
            allow_from: terminal.allow_from.iter().map(IpNet::to_string).collect(),
            origin: Origin::Config,
            created_ms: now_ms,
            rotated_ms: now_ms,
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = rows.iter().find(|row| !seen.insert(row.key_hash.clone())) {
        return Err(ConfigError::Invalid(format!(
            "mr860 {}: its key is another terminal's too; give every terminal its own key",
            twice.device_id
        ))
        .into());
    }
    store
        .run(move |tx| {
            let keep: Vec<String> = rows.iter().map(|row| row.device_id.clone()).collect();
            terminals::drop_unconfigured(tx, &keep)?;
            for row in &rows {
                terminals::put(tx, row)?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}
