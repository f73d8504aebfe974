//! Attendance days in Beijing time (UTC+8) with a site's start hour: day D with start hour h
//! covers `[D h:00 +08:00, D+1 h:00 +08:00)`, so a night shift that starts at 20:00 and ends
//! at 06:00 falls on one day when h is, say, 12. The calendar arithmetic is the protocol's
//! (`zj_protocol::time`, Beijing `timeStamp`s), not a second copy of it.

use std::fmt;

use zj_protocol::time::{format_timestamp, parse_timestamp};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;
/// Milliseconds in an hour.
const HOUR_MS: i64 = 3_600_000;
/// Beijing time's offset from UTC, milliseconds.
const BEIJING_OFFSET_MS: i64 = 8 * HOUR_MS;
/// Most days one sheet or export covers (a month).
pub const MAX_RANGE_DAYS: i64 = 31;

/// A calendar date in Beijing, as days since 1970-01-01 (so consecutive dates are
/// consecutive numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i64);

impl Date {
    /// Parses `YYYY-MM-DD` (exactly: four, two and two digits, a real date in 0000–9999).
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && (bytes.iter().enumerate()).all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shaped {
            return None;
        }
        let stamp = format!("{}{}{}000000", &text[0..4], &text[5..7], &text[8..10]);
        let midnight_ms = parse_timestamp(&stamp)?;
        Some(Date((midnight_ms + BEIJING_OFFSET_MS).div_euclid(DAY_MS)))
    }

    /// The Beijing calendar date of instant `ms` (epoch milliseconds).
    pub fn of_instant(ms: i64) -> Date {
        Date(ms.saturating_add(BEIJING_OFFSET_MS).div_euclid(DAY_MS))
    }

    /// The date `days` later (earlier when negative).
    pub fn plus(self, days: i64) -> Date {
        Date(self.0 + days)
    }

    /// Days from `self` to `later` (0 for the same date).
    pub fn days_until(self, later: Date) -> i64 {
        later.0 - self.0
    }

    /// Midnight starting this date in Beijing, epoch milliseconds.
    fn midnight_ms(self) -> i64 {
        self.0 * DAY_MS - BEIJING_OFFSET_MS
    }
}

/// `YYYY-MM-DD`.
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stamp = format_timestamp(self.midnight_ms()).unwrap_or_else(|| "00000000".into());
        write!(f, "{}-{}-{}", &stamp[0..4], &stamp[4..6], &stamp[6..8])
    }
}

/// A start hour outside 0–23.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadStartHour;

/// How a site cuts time into attendance days: the Beijing hour (0–23) each day starts at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttendanceDays {
    start_hour: u8,
}

impl AttendanceDays {
    /// Days from Beijing midnight to midnight (a site's default).
    pub const BEIJING_MIDNIGHT: AttendanceDays = AttendanceDays { start_hour: 0 };

    /// Days starting at `start_hour` o'clock, Beijing time (0–23).
    pub fn new(start_hour: i64) -> Result<Self, BadStartHour> {
        let start_hour = u8::try_from(start_hour).map_err(|_| BadStartHour)?;
        if start_hour > 23 {
            return Err(BadStartHour);
        }
        Ok(Self { start_hour })
    }

    /// The start hour, 0–23.
    pub fn start_hour(self) -> u8 {
        self.start_hour
    }

    /// The attendance day instant `ms` (epoch milliseconds) falls on.
    pub fn day_of(self, ms: i64) -> Date {
        Date::of_instant(ms.saturating_sub(self.shift_ms()))
    }

    /// When attendance day `date` starts, epoch milliseconds (it ends where the next starts).
    pub fn start_ms(self, date: Date) -> i64 {
        date.midnight_ms() + self.shift_ms()
    }

    fn shift_ms(self) -> i64 {
        i64::from(self.start_hour) * HOUR_MS
    }
}

/// An inclusive range of attendance days, at most [`MAX_RANGE_DAYS`] long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    /// The first day.
    pub from: Date,
    /// The last day (the same as `from` for one day).
    pub to: Date,
}

/// Why a range is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeError {
    /// `to` is before `from`.
    Reversed,
    /// More than [`MAX_RANGE_DAYS`] days.
    TooLong,
}

impl DayRange {
    /// Days `from` to `to`, both included.
    pub fn new(from: Date, to: Date) -> Result<Self, RangeError> {
        match from.days_until(to) {
            days if days < 0 => Err(RangeError::Reversed),
            days if days >= MAX_RANGE_DAYS => Err(RangeError::TooLong),
            _ => Ok(Self { from, to }),
        }
    }

    /// Every day of the range, in order.
    pub fn days(self) -> impl Iterator<Item = Date> {
        (0..=self.from.days_until(self.to)).map(move |n| self.from.plus(n))
    }

    /// The instants the range covers with `days`' start hour, `[start, end)` epoch
    /// milliseconds.
    pub fn bounds_ms(self, days: AttendanceDays) -> (i64, i64) {
        (days.start_ms(self.from), days.start_ms(self.to.plus(1)))
    }
}
