//! `timeStamp`: `yyyyMMddHHmmss` in Beijing time (UTC+8), whatever the device's own zone.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};

/// Beijing time's offset from UTC, in seconds.
const BEIJING_OFFSET_SECS: i32 = 8 * 3600;

fn beijing() -> FixedOffset {
    FixedOffset::east_opt(BEIJING_OFFSET_SECS).expect("UTC+8 is a valid offset")
}

/// Formats `epoch_ms` (Unix epoch milliseconds) as a `timeStamp`, e.g. `20210328031608`.
/// Milliseconds are truncated. `None` for instants outside chrono's range (about ±262,000 years).
pub fn format_timestamp(epoch_ms: i64) -> Option<String> {
    let utc = DateTime::from_timestamp_millis(epoch_ms)?;
    Some(
        utc.with_timezone(&beijing())
            .format("%Y%m%d%H%M%S")
            .to_string(),
    )
}

/// Parses a `timeStamp` into Unix epoch milliseconds. `None` unless the text is exactly
/// 14 ASCII digits naming a real Beijing date and time (that is `404_01`).
pub fn parse_timestamp(text: &str) -> Option<i64> {
    if text.len() != 14 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().ok();
    let date = NaiveDate::from_ymd_opt(number(0..4)? as i32, number(4..6)?, number(6..8)?)?;
    // from_hms_opt refuses second 60, which a general parser would take as a leap second.
    let time = NaiveTime::from_hms_opt(number(8..10)?, number(10..12)?, number(12..14)?)?;
    let local = date.and_time(time).and_local_timezone(beijing()).single()?;
    Some(local.timestamp_millis())
}
