//! MR860 face terminals (seed 000): their attendance logs in, as `C_SIGN_IN`s of the platform
//! sn of the site each terminal belongs to. Every upload URL carries the terminal's secret key
//! ([`terminals`]); a request without a known key is answered 401 and nothing of it is kept.
//!
//! - `POST /mr860/{key}/face`: face attendance log (mode `"0"`) → `C_SIGN_IN` type 1 with the
//!   live photo.
//! - `POST /mr860/{key}/verify`: ID verification (mode `"1"`) and whitelist (mode `"2"`) logs,
//!   card types `""` (ID card), `"J"` (HK/Macao/Taiwan permit), `"I"` (foreigner's permanent
//!   residence card) → `C_SIGN_IN` type 8.
//! - `POST /mr860/{key}/person`: added-person record (mode `"3"`) → the sn's roster, never over
//!   a person the platform registered.
//!
//! A log is stored before the terminal hears `{"code":"200","message":""}`, and forwarded
//! afterwards exactly once (through the ledger, as phone records are; see [`forward`]).
//! A log with a card not on the roster (`"404"`) is kept and retried when the roster changes,
//! the relay restarts, or a manager asks; a terminal that sends it again (its `verifyTime` in
//! any spelling, see [`time`]) gets the same log, not a second one. Kept logs are bounded per
//! terminal and in all, and expire ([`retention`]); past a bound a new log is refused
//! (`"503"`), so the terminal keeps it. A malformed body gets `"400"` and HTTP 400.

pub(crate) mod forward;
pub(crate) mod retention;
pub(crate) mod terminals;
pub(crate) mod time;

use std::sync::Arc;

use base64::Engine;
use serde_json::{Map, Value};
use tokio::sync::Notify;

use crate::config::Mr860LogLimits;
use crate::http::api::SiteScope;
use crate::store::mr860_logs;
use crate::store::roster::{self, RosterEntry, Source};
use crate::store::Tx;
use crate::store::{Store, StoreError};
use retention::Bound;
use time::parse_terminal_time;
use zj_host::system_clock::now_ms;

/// Which intake a body came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intake {
    /// `/mr860/{key}/face`: mode `"0"`.
    Face,
    /// `/mr860/{key}/verify`: modes `"1"` and `"2"`.
    Verify,
    /// `/mr860/{key}/person`: mode `"3"`.
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
    /// `verifyTime` (or `registerTime`) as epoch milliseconds; `None` only for a person record
    /// without a `registerTime`.
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

/// The log's time: `verifyTime` (required but for person records) or, in a person record,
/// `registerTime` (optional); refused when written but not readable as a time.
fn log_time(body: &Map<String, Value>, mode: &str) -> Result<Option<i64>, Malformed> {
    let key = if mode == "3" {
        "registerTime"
    } else {
        "verifyTime"
    };
    let written = text(body, key)?;
    if written.is_empty() {
        return match mode {
            "3" => Ok(None),
            _ => Err(Malformed(format!("缺少 {key}（比对时间）"))),
        };
    }
    match parse_terminal_time(&written) {
        Some(ms) => Ok(Some(ms)),
        None => Err(Malformed(format!(
            "{key} 是 {written:?}，无法识别；请用 yyyy-MM-dd HH:mm:ss（北京时间）或 Unix 时间戳"
        ))),
    }
}

/// Parses a body sent to `intake`.
pub(crate) fn parse(intake: Intake, body: &[u8]) -> Result<Mr860Log, Malformed> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| Malformed(format!("请求体不是 JSON（{e}）")))?;
    if crate::json_text::contains_nul(&value) {
        return Err(Malformed(crate::json_text::NUL_REFUSED_ZH.into()));
    }
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
        time_ms: log_time(&body, &mode)?,
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
    /// A person record that joined the roster (or named a person the platform registered,
    /// who is left as the platform has them).
    Joined,
    /// Kept from before terminals had keys: a log from a terminal that was not configured.
    /// Never forwarded (nothing proves which terminal sent it); it expires.
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
                "终端未登记：请管理员在管理页面登记此终端，并按页面上的上传地址设置终端",
            ),
            LogState::UnknownCard => (
                "404",
                "证件号码不在花名册上：记录已保存，人员下发到设备后将自动补传",
            ),
        }
    }
}

/// The MR860 intake: the store, the bounds on kept logs, and the forwarder's wake-up.
#[derive(Clone)]
pub(crate) struct Mr860 {
    /// The store.
    pub store: Store,
    /// Bounds on kept logs and how long finished ones are kept.
    pub limits: Mr860LogLimits,
    /// Wakes the forwarder.
    pub wake: Arc<Notify>,
}

/// What became of a log a terminal sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accepted {
    /// Kept (now or from an earlier try), in this state.
    Kept(LogState),
    /// Not kept: this bound is reached. The terminal keeps the log and sends it again.
    Full(Bound),
}

/// Where a log of platform sn `sn` goes: its person (or none), and so its state. A person
/// record joins the roster unless the platform registered that person (then nothing changes).
fn resolve(
    tx: &Tx<'_>,
    sn: &str,
    log: &Mr860Log,
) -> Result<(Option<String>, Option<String>, LogState), StoreError> {
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
        if !roster::upsert(tx, sn, &person, Source::Mr860, now_ms())? {
            tracing::warn!(
                device = %log.device_id, %person_id,
                "an MR860 person record named a person the platform registered; left unchanged"
            );
        }
        return Ok((Some(sn.to_owned()), Some(person_id), LogState::Joined));
    }
    let mut person = roster::by_idcard(tx, sn, &log.card_number)?;
    if person.is_none() && !log.pass_number.is_empty() {
        person = roster::by_idcard(tx, sn, &log.pass_number)?;
    }
    let state = match person {
        Some(_) => LogState::Pending,
        None => LogState::UnknownCard,
    };
    Ok((Some(sn.to_owned()), person, state))
}

/// What identifies a log across a terminal's retries: terminal, mode, card and the instant
/// its time names (not the text, which a terminal may spell differently on a retry).
fn dedup_key(log: &Mr860Log) -> String {
    let time = log
        .time_ms
        .map_or_else(|| "-".to_owned(), |ms| ms.to_string());
    format!(
        "{}|{}|{}|{}|{}",
        log.device_id, log.mode, log.card_type, log.card_number, time
    )
}

impl Mr860 {
    /// Stores a log of a terminal of site `site_id`, whose platform sn is `sn` (or finds the
    /// one already stored from an earlier try, resolving it again if it was waiting) and says
    /// what became of it; durable when this returns. A new log past a bound is not stored. The
    /// log keeps its site: it stays that site's even if the terminal is later moved or removed.
    pub(crate) async fn accept(
        &self,
        log: Mr860Log,
        site_id: String,
        sn: String,
    ) -> Result<Accepted, StoreError> {
        let limits = self.limits.clone();
        let accepted = (self.store)
            .run(move |tx| {
                let key = dedup_key(&log);
                if let Some((id, state)) = mr860_logs::find(tx, &key)? {
                    if state == LogState::UnknownCard {
                        return Ok(Accepted::Kept(re_resolve(tx, &sn, id, &log)?));
                    }
                    return Ok(Accepted::Kept(state));
                }
                let size = Value::Object(log.body.clone()).to_string().len() as u64;
                if let Some(bound) = retention::reached(tx, &limits, &log.device_id, size)? {
                    return Ok(Accepted::Full(bound));
                }
                let resolution = resolve(tx, &sn, &log)?;
                mr860_logs::insert(tx, &key, &log, &site_id, &resolution, now_ms())?;
                Ok(Accepted::Kept(resolution.2))
            })
            .await?;
        if accepted == Accepted::Kept(LogState::Pending) {
            self.wake.notify_one();
        }
        Ok(accepted)
    }

    /// Resolves every log waiting for its card again (after a roster change); returns how
    /// many became ready, and wakes the forwarder for them.
    pub(crate) async fn retry_waiting(&self) -> Result<usize, StoreError> {
        let ready = (self.store)
            .run(move |tx| {
                let mut ready = 0;
                for (id, sn, body) in mr860_logs::waiting(tx)? {
                    if let Ok(log) = parse_stored(&body) {
                        let state = re_resolve(tx, &sn, id, &log)?;
                        ready += usize::from(state == LogState::Pending);
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

    /// Logs for inspection, newest first, photos left out; `state` filters, `scope` says
    /// whose terminals' logs.
    pub(crate) async fn logs(
        &self,
        state: Option<String>,
        scope: SiteScope,
    ) -> Result<Vec<Value>, StoreError> {
        self.store
            .run_deferred(move |tx| mr860_logs::listing(tx, state.as_deref(), &scope))
            .await
    }
}

/// Resolves a stored log of platform sn `sn` again and records its new state.
fn re_resolve(tx: &Tx<'_>, sn: &str, id: i64, log: &Mr860Log) -> Result<LogState, StoreError> {
    let resolution = resolve(tx, sn, log)?;
    mr860_logs::set_resolution(tx, id, &resolution, now_ms())?;
    Ok(resolution.2)
}
