//! `verifyTime` / `registerTime` as an MR860 terminal may write it (seed 000 gives only
//! "string", its example `2019-05-30 09:32:17`), read into one instant so the same log spelled
//! two ways is one log.
//!
//! Accepted, Beijing time (+08:00) unless a zone is written:
//! - a date and time `yyyy-MM-dd HH:mm:ss`, with `-`, `/` or `.` between the date's parts,
//!   a space or `T` before the time, one- or two-digit fields, optional fractional seconds
//!   (`.5`, `.123`) and an optional zone (`Z`, `+08:00`, `+0800`);
//! - its 14 digits `yyyyMMddHHmmss`;
//! - Unix epoch seconds (10 digits) or milliseconds (13 digits), as text or as a JSON number.
//!
//! Anything else (other digit counts, a day-first date, an impossible date, a second 60) is
//! refused: a guess could put a sign-in on the wrong day.

use zj_protocol::time::parse_timestamp;

/// Milliseconds in a second.
const SECOND_MS: i64 = 1000;
/// Beijing time's offset from UTC, in seconds.
const BEIJING_OFFSET_S: i64 = 8 * 3600;

/// The instant `text` names, as Unix epoch milliseconds; `None` when it is not one of the
/// accepted spellings.
pub(crate) fn parse_terminal_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.len() {
            10 => text.parse::<i64>().ok().map(|s| s * SECOND_MS),
            13 => text.parse().ok(),
            14 => parse_timestamp(text),
            _ => None,
        };
    }
    parse_date_time(text)
}

/// `yyyy-MM-dd HH:mm:ss[.fff][zone]` and its variants (see the module's documentation).
fn parse_date_time(text: &str) -> Option<i64> {
    let (date, rest) = text.split_once([' ', 'T'])?;
    let date: Vec<&str> = date.split(['-', '/', '.']).collect();
    let [year, month, day] = date.as_slice() else {
        return None;
    };
    let (clock, offset_s) = split_zone(rest.trim())?;
    let (clock, fraction_ms) = split_fraction(clock)?;
    let clock: Vec<&str> = clock.split(':').collect();
    let [hour, minute, second] = clock.as_slice() else {
        return None;
    };
    if year.len() != 4 {
        return None;
    }
    let mut digits = String::from(*year);
    for field in [month, day, hour, minute, second] {
        if field.is_empty() || field.len() > 2 || !field.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.push_str(&format!("{field:0>2}"));
    }
    let beijing_ms = parse_timestamp(&digits)?;
    Some(beijing_ms + fraction_ms + (BEIJING_OFFSET_S - offset_s) * SECOND_MS)
}

/// The clock and its zone's offset from UTC in seconds (Beijing's when none is written).
fn split_zone(clock: &str) -> Option<(&str, i64)> {
    if let Some(clock) = clock.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    let Some(at) = clock.rfind(['+', '-']) else {
        return Some((clock, BEIJING_OFFSET_S));
    };
    let (clock, zone) = clock.split_at(at);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let zone: String = zone[1..].chars().filter(|c| *c != ':').collect();
    if zone.len() != 4 || !zone.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes): (i64, i64) = (zone[..2].parse().ok()?, zone[2..].parse().ok()?);
    if hours > 14 || minutes > 59 {
        return None;
    }
    Some((clock, sign * (hours * 3600 + minutes * 60)))
}

/// The clock without its fractional seconds, and those as milliseconds.
fn split_fraction(clock: &str) -> Option<(&str, i64)> {
    let Some((clock, fraction)) = clock.split_once('.') else {
        return Some((clock, 0));
    };
    if fraction.is_empty() || fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis: String = format!("{fraction:0<3}").chars().take(3).collect();
    Some((clock, millis.parse().ok()?))
}
