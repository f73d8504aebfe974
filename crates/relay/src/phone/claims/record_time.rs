//! `recordTime` against the relay's clock: a phone corrects its clock to the relay's (each
//! heartbeat carries `relayTimeMs`), so a time well ahead of the relay's is wrong or forged;
//! a phone keeps records made offline and sends them when it is back (its outbox retries every
//! record, backing off to at most 5 minutes between attempts), so a record may be days old, up
//! to the configured window. A phone enrolled at a site makes no records before its
//! enrollment: one dated earlier is forged (made to fall before the site's fence existed, or
//! before a fence change), see [`before_enrollment`].

use zj_protocol::time::format_timestamp;
use zj_protocol::ProtocolError;

use super::refusal;
use crate::config::{ConfigError, SigninConfig};

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// How far before its phone's enrollment a record may be dated, milliseconds (5 minutes): the
/// phone's clock is corrected to the relay's only by its first heartbeat after enrolling.
const ENROLLMENT_DRIFT_MS: i64 = 5 * 60_000;

/// How far `recordTime` may be from when the relay first received the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordTimeWindow {
    /// Days a record may be older (at least 1).
    max_age_days: u32,
    /// Seconds a record may be ahead.
    max_ahead_secs: u32,
}

impl RecordTimeWindow {
    /// The window of `[signin]`; a `max_age_days` of 0 would refuse every record.
    pub(crate) fn new(config: &SigninConfig) -> Result<Self, ConfigError> {
        if config.max_age_days == 0 {
            return Err(ConfigError::Invalid(
                "signin.max_age_days is 0, which refuses every record: use at least 1".into(),
            ));
        }
        Ok(Self {
            max_age_days: config.max_age_days,
            max_ahead_secs: config.max_ahead_secs,
        })
    }

    /// The final refusal of a record made at `record_time_ms` that the relay first received
    /// at `received_ms` (both epoch milliseconds), or `None` when the time is within the
    /// window. Judged against the first receipt, so every retry gets the same answer.
    pub(crate) fn refusal(&self, record_time_ms: i64, received_ms: i64) -> Option<ProtocolError> {
        let ahead_ms = record_time_ms.saturating_sub(received_ms);
        if ahead_ms > i64::from(self.max_ahead_secs) * 1000 {
            let minutes = (ahead_ms + 59_999) / 60_000; // rounded up
            return Some(refusal(format!(
                "记录时间比服务器时间晚约 {minutes} 分钟（最多允许 {} 秒），手机时间不准。\
                 请把手机设为自动同步网络时间后重新打卡。",
                self.max_ahead_secs
            )));
        }
        let age_ms = received_ms.saturating_sub(record_time_ms);
        if age_ms > i64::from(self.max_age_days) * DAY_MS {
            let made = format_timestamp(record_time_ms).map_or_else(
                || format!("{} 天前", age_ms / DAY_MS),
                |stamp| beijing_time_zh(&stamp),
            );
            return Some(refusal(format!(
                "记录时间是 {made}，已超过 {} 天，不能再提交。请重新打卡，或联系管理员补录。",
                self.max_age_days
            )));
        }
        None
    }
}

/// The final refusal of a record made at `record_time_ms` by a phone enrolled at
/// `enrolled_ms` (both epoch milliseconds), or `None` when it is dated no more than
/// [`ENROLLMENT_DRIFT_MS`] before the enrollment.
pub(crate) fn before_enrollment(record_time_ms: i64, enrolled_ms: i64) -> Option<ProtocolError> {
    if record_time_ms >= enrolled_ms.saturating_sub(ENROLLMENT_DRIFT_MS) {
        return None;
    }
    let zh =
        |ms: i64| format_timestamp(ms).map_or_else(|| format!("{ms}"), |s| beijing_time_zh(&s));
    Some(refusal(format!(
        "记录时间是 {}，早于这台手机登记到工地的时间 {}，不能提交。\
         请把手机设为自动同步网络时间后重新打卡；如有疑问请联系管理员。",
        zh(record_time_ms),
        zh(enrolled_ms)
    )))
}

/// A `timeStamp` (`yyyyMMddHHmmss`, Beijing time) as `yyyy-MM-dd HH:mm（北京时间）`.
fn beijing_time_zh(stamp: &str) -> String {
    format!(
        "{}-{}-{} {}:{}（北京时间）",
        &stamp[0..4],
        &stamp[4..6],
        &stamp[6..8],
        &stamp[8..10],
        &stamp[10..12]
    )
}
