//! MR860 face terminals (seed 000): their attendance logs in, as `C_SIGN_IN`s of the platform
//! sn each terminal is configured to report as.
//!
//! - `POST /mr860/face`: face attendance log (mode `"0"`) → `C_SIGN_IN` type 1 with the live
//!   photo.
//! - `POST /mr860/verify`: ID verification (mode `"1"`) and whitelist (mode `"2"`) logs, card
//!   types `""` (ID card), `"J"` (HK/Macao/Taiwan permit), `"I"` (foreigner's permanent
//!   residence card) → `C_SIGN_IN` type 8.
//! - `POST /mr860/person`: added-person record (mode `"3"`) → the sn's roster.
//!
//! A log is stored before the terminal hears `{"code":"200","message":""}`, and forwarded
//! afterwards exactly once (through the ledger, as phone records are; see [`forward`]).
//! A log from an unknown terminal (`code` `"403"`) or with a card not on the roster (`"404"`)
//! is kept for inspection and retried when the roster changes, the relay restarts, or a
//! manager asks; a terminal that sends it again gets the same log, not a second one.
//! A malformed body gets `"400"` and HTTP 400.

pub(crate) mod forward;

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use rusqlite::Transaction;
use serde_json::{Map, Value};
use tokio::sync::Notify;

use crate::store::mr860_logs;
use crate::store::roster::{self, RosterEntry, Source};
use crate::store::{Store, StoreError};
use zj_host::system_clock::now_ms;
use zj_protocol::time::parse_timestamp;

/// Which intake a body came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intake {
    /// `/mr860/face`: mode `"0"`.
    Face,
    /// `/mr860/verify`: modes `"1"` and `"2"`.
    Verify,
    /// `/mr860/person`: mode `"3"`.
    Person,
}

/// A log as parsed: the members the relay reads, and the body as received.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mr860Log {
    /// `deviceId`.
    pub device_id: String,
    /// `mode`.
    pub mode: String,
    /// `cardType`: `""`, `"J"` or `"I"`.
    pub card_type: String,
    /// `cardNumber`.
    pub card_number: String,
    /// `passNumber` (permits), tried when `cardNumber` is not on the roster.
    pub pass_number: String,
    /// `name`.
    pub name: String,
    /// `verifyTime` (or `registerTime`) as epoch milliseconds, when it reads as a time.
    pub time_ms: Option<i64>,
    /// The body as received.
    pub body: Map<String, Value>,
}

/// Why a body was refused as malformed; the message is for the terminal's installer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Malformed(String);

/// A member as text: strings as they are, numbers as written (`categoryId` is a number in
/// mode 3), absent or null as empty.
fn text(body: &Map<String, Value>, key: &str) -> Result<String, Malformed> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(text)) => Ok(text.trim().to_owned()),
        Some(Value::Number(number)) => Ok(number.to_string()),
        Some(_) => Err(Malformed(format!("{key} 应为字符串"))),
    }
}

/// A photo member's base64 text without any `data:` prefix; empty when absent.
pub(crate) fn photo(body: &Map<String, Value>, key: &str) -> Result<String, Malformed> {
    let raw = text(body, key)?;
    let base64 = match raw.split_once("base64,") {
        Some((prefix, rest)) if prefix.starts_with("data:") => rest.to_owned(),
        _ => raw,
    };
    let compact: String = base64.chars().filter(|c| !c.is_whitespace()).collect();
    if !compact.is_empty()
        && base64::engine::general_purpose::STANDARD
            .decode(&compact)
            .is_err()
    {
        return Err(Malformed(format!("{key} 不是 Base64 编码")));
    }
    Ok(compact)
}

/// `verifyTime` / `registerTime`: `yyyy-MM-dd HH:mm:ss` (or its 14 digits) Beijing time, or
/// epoch milliseconds.
fn parse_time(text: &str) -> Option<i64> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        14 => parse_timestamp(&digits),
        13 if digits == text => digits.parse().ok(),
        _ => None,
    }
}

/// Parses a body sent to `intake`.
pub(crate) fn parse(intake: Intake, body: &[u8]) -> Result<Mr860Log, Malformed> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| Malformed(format!("请求体不是 JSON（{e}）")))?;
    let Value::Object(body) = value else {
        return Err(Malformed("请求体应为 JSON 对象".into()));
    };
    let mode = text(&body, "mode")?;
    let modes: &[&str] = match intake {
        Intake::Face => &["0"],
        Intake::Verify => &["1", "2"],
        Intake::Person => &["3"],
    };
    if !modes.contains(&mode.as_str()) {
        return Err(Malformed(format!(
            "mode 是 {mode:?}，此地址只收 mode {}",
            modes.join("、")
        )));
    }
    let card_type = text(&body, "cardType")?;
    if !matches!(card_type.as_str(), "" | "J" | "I") {
        return Err(Malformed(format!(
            "cardType 是 {card_type:?}，只能是空值（二代证）、J（港澳台）或 I（外国人永久居留证）"
        )));
    }
    let log = Mr860Log {
        device_id: text(&body, "deviceId")?,
        card_number: text(&body, "cardNumber")?,
        pass_number: text(&body, "passNumber")?,
        name: text(&body, "name")?,
        time_ms: parse_time(&text(&body, "verifyTime")?)
            .or_else(|| parse_time(&text(&body, "registerTime").unwrap_or_default())),
        mode,
        card_type,
        body,
    };
    for (key, value) in [
        ("deviceId", &log.device_id),
        ("cardNumber", &log.card_number),
    ] {
        if value.is_empty() {
            return Err(Malformed(format!("缺少 {key}")));
        }
    }
    let face = photo(&log.body, "facePicture")?;
    photo(&log.body, "cardPicture")?;
    if intake == Intake::Face && face.is_empty() {
        return Err(Malformed("缺少 facePicture（现场比对照片）".into()));
    }
    Ok(log)
}

/// A stored body, parsed again by the intake its mode belongs to.
pub(crate) fn parse_stored(body: &str) -> Result<Mr860Log, Malformed> {
    let mode = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("mode").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    let intake = match mode.as_str() {
        "0" => Intake::Face,
        "3" => Intake::Person,
        _ => Intake::Verify,
    };
    parse(intake, body.as_bytes())
}

/// How a log stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogState {
    /// Accepted; waiting to be (or being) forwarded.
    Pending,
    /// The platform accepted its sign-in.
    Forwarded,
    /// The platform refused its sign-in for good.
    Refused,
    /// A person record that joined the roster.
    Joined,
    /// The terminal is not configured.
    UnknownTerminal,
    /// The card is not on the sn's roster.
    UnknownCard,
}

impl LogState {
    /// The state as stored.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LogState::Pending => "pending",
            LogState::Forwarded => "forwarded",
            LogState::Refused => "refused",
            LogState::Joined => "joined",
            LogState::UnknownTerminal => "unknown_terminal",
            LogState::UnknownCard => "unknown_card",
        }
    }

    /// The state stored as `text` (an unknown one reads as pending: it is forwarded again).
    pub(crate) fn parse(text: &str) -> LogState {
        match text {
            "forwarded" => LogState::Forwarded,
            "refused" => LogState::Refused,
            "joined" => LogState::Joined,
            "unknown_terminal" => LogState::UnknownTerminal,
            "unknown_card" => LogState::UnknownCard,
            _ => LogState::Pending,
        }
    }

    /// The terminal's reply: `(code, message)`.
    pub(crate) fn reply(self) -> (&'static str, &'static str) {
        match self {
            LogState::Pending | LogState::Forwarded | LogState::Refused | LogState::Joined => {
                ("200", "")
            }
            LogState::UnknownTerminal => (
                "403",
                "终端未登记：记录已保存，请管理员在中继配置中登记此 deviceId 后重试",
            ),
            LogState::UnknownCard => (
                "404",
                "证件号码不在花名册上：记录已保存，人员下发到设备后将自动补传",
            ),
        }
    }
}

/// The MR860 intake: terminals by `deviceId`, the store, and the forwarder's wake-up.
#[derive(Clone)]
pub(crate) struct Mr860 {
    /// The store.
    pub store: Store,
    /// Platform sn by `deviceId`.
    pub terminals: Arc<HashMap<String, String>>,
    /// Wakes the forwarder.
    pub wake: Arc<Notify>,
}

/// Where a log goes: its sn (or none), its person (or none), and so its state.
fn resolve(
    tx: &Transaction<'_>,
    terminals: &HashMap<String, String>,
    log: &Mr860Log,
) -> Result<(Option<String>, Option<String>, LogState), StoreError> {
    let Some(sn) = terminals.get(&log.device_id) else {
        return Ok((None, None, LogState::UnknownTerminal));
    };
    if log.mode == "3" {
        let person_id =
            roster::by_idcard(tx, sn, &log.card_number)?.unwrap_or_else(|| log.card_number.clone());
        let face = photo(&log.body, "facePicture").unwrap_or_default();
        let face = base64::engine::general_purpose::STANDARD
            .decode(face)
            .ok()
            .filter(|bytes| !bytes.is_empty());
        let person = RosterEntry {
            person_id: person_id.clone(),
            name: log.name.clone(),
            idcard_no: Some(log.card_number.clone()),
            face,
        };
        roster::upsert(tx, sn, &person, Source::Mr860, now_ms())?;
        return Ok((Some(sn.clone()), Some(person_id), LogState::Joined));
    }
    let mut person = roster::by_idcard(tx, sn, &log.card_number)?;
    if person.is_none() && !log.pass_number.is_empty() {
        person = roster::by_idcard(tx, sn, &log.pass_number)?;
    }
    let state = match person {
        Some(_) => LogState::Pending,
        None => LogState::UnknownCard,
    };
    Ok((Some(sn.clone()), person, state))
}

/// What identifies a log across a terminal's retries.
fn dedup_key(log: &Mr860Log) -> String {
    let time = text(&log.body, "verifyTime")
        .ok()
        .filter(|t| !t.is_empty())
        .or_else(|| text(&log.body, "registerTime").ok())
        .unwrap_or_default();
    format!(
        "{}|{}|{}|{}|{}",
        log.device_id, log.mode, log.card_type, log.card_number, time
    )
}

impl Mr860 {
    /// Stores a log (or finds the one already stored from an earlier try, resolving it again
    /// if it was waiting) and returns its state; durable when this returns.
    pub(crate) async fn accept(&self, log: Mr860Log) -> Result<LogState, StoreError> {
        let terminals = self.terminals.clone();
        let state = (self.store)
            .run(move |tx| {
                let key = dedup_key(&log);
                if let Some((id, state)) = mr860_logs::find(tx, &key)? {
                    if matches!(state, LogState::UnknownCard | LogState::UnknownTerminal) {
                        return re_resolve(tx, &terminals, id, &log);
                    }
                    return Ok(state);
                }
                let resolution = resolve(tx, &terminals, &log)?;
                mr860_logs::insert(tx, &key, &log, &resolution, now_ms())?;
                Ok(resolution.2)
            })
            .await?;
        if state == LogState::Pending {
            self.wake.notify_one();
        }
        Ok(state)
    }

    /// Resolves every waiting log again (after a roster or configuration change); returns how
    /// many became ready, and wakes the forwarder for them.
    pub(crate) async fn retry_waiting(&self) -> Result<usize, StoreError> {
        let terminals = self.terminals.clone();
        let ready = (self.store)
            .run(move |tx| {
                let mut ready = 0;
                for (id, body) in mr860_logs::waiting(tx)? {
                    if let Ok(log) = parse_stored(&body) {
                        let state = re_resolve(tx, &terminals, id, &log)?;
                        ready += usize::from(matches!(state, LogState::Pending | LogState::Joined));
                    }
                }
                Ok(ready)
            })
            .await?;
        if ready > 0 {
            self.wake.notify_one();
        }
        Ok(ready)
    }

    /// Logs for inspection, newest first, photos left out; `state` filters.
    pub(crate) async fn logs(&self, state: Option<String>) -> Result<Vec<Value>, StoreError> {
        self.store
            .run(move |tx| mr860_logs::listing(tx, state.as_deref()))
            .await
    }
}

/// Resolves a stored log again and records its new state.
fn re_resolve(
    tx: &Transaction<'_>,
    terminals: &HashMap<String, String>,
    id: i64,
    log: &Mr860Log,
) -> Result<LogState, StoreError> {
    let resolution = resolve(tx, terminals, log)?;
    mr860_logs::set_resolution(tx, id, &resolution, now_ms())?;
    Ok(resolution.2)
}
