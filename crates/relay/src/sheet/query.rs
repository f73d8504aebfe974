//! The query of a sheet, punch list or export (`from`, `to`, `flagged`, `absent`, `person`),
//! checked: a refusal names the parameter in Chinese with a stable code.

use std::collections::HashMap;

use super::build::SheetQuery;
use super::day::{AttendanceDays, Date, DayRange, RangeError, MAX_RANGE_DAYS};

/// Longest `person` asked for, characters.
const MAX_PERSON_CHARS: usize = 64;

/// A query refused: a stable code and what to do, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// `bad_date`, `bad_range`, `range_too_long` or `bad_query`.
    pub code: &'static str,
    /// Plain Chinese, saying what to do.
    pub message: String,
}

impl QueryError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Which parameters an endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// The day sheet: `from`, `to`, `flagged`, `absent`, `person`.
    Sheet,
    /// The punch list: the same but `absent`.
    Punches,
}

/// Reads `params` for `listing`; `from` defaults to the attendance day of `now_ms` (epoch ms)
/// by `days`, `to` to `from`. Refused: an unknown parameter, a date that is not `YYYY-MM-DD`,
/// `to` before `from`, more than 31 days, a flag other than `0` / `1`, a `person` over 64
/// characters.
pub fn parse_query(
    params: &HashMap<String, String>,
    listing: Listing,
    days: AttendanceDays,
    now_ms: i64,
) -> Result<SheetQuery, QueryError> {
    let known: &[&str] = match listing {
        Listing::Sheet => &["from", "to", "flagged", "absent", "person"],
        Listing::Punches => &["from", "to", "flagged", "person"],
    };
    if let Some(unknown) = params.keys().find(|key| !known.contains(&key.as_str())) {
        return Err(QueryError::new(
            "bad_query",
            format!("不认识的查询参数 {unknown}，请只用 {}。", known.join("、")),
        ));
    }
    let date = |name: &str| -> Result<Option<Date>, QueryError> {
        let Some(text) = params.get(name) else {
            return Ok(None);
        };
        Date::parse(text).map(Some).ok_or_else(|| {
            QueryError::new(
                "bad_date",
                format!("{name} 应为 YYYY-MM-DD 格式的日期（如 2026-12-03），请改正后重试。"),
            )
        })
    };
    let from = date("from")?.unwrap_or_else(|| days.day_of(now_ms));
    let to = date("to")?.unwrap_or(from);
    let range = DayRange::new(from, to).map_err(|error| match error {
        RangeError::Reversed => {
            QueryError::new("bad_range", "结束日期 to 早于开始日期 from，请改正后重试。")
        }
        RangeError::TooLong => QueryError::new(
            "range_too_long",
            format!("一次最多查询 {MAX_RANGE_DAYS} 天，请缩短日期范围后分次查询。"),
        ),
    })?;
    let person = params.get("person").map(|p| p.trim().to_owned());
    if person
        .as_ref()
        .is_some_and(|p| p.chars().count() > MAX_PERSON_CHARS)
    {
        return Err(QueryError::new(
            "bad_query",
            format!("person 最长 {MAX_PERSON_CHARS} 个字，请输入工号或姓名的一部分。"),
        ));
    }
    Ok(SheetQuery {
        range,
        flagged: switch(params, "flagged")?,
        absent: switch(params, "absent")?,
        person: person.filter(|p| !p.is_empty()),
    })
}

/// A `0` / `1` parameter (absent: off).
fn switch(params: &HashMap<String, String>, name: &str) -> Result<bool, QueryError> {
    match params.get(name).map(String::as_str) {
        None | Some("0") => Ok(false),
        Some("1") => Ok(true),
        Some(_) => Err(QueryError::new(
            "bad_query",
            format!("{name} 只能是 0 或 1，请改正后重试。"),
        )),
    }
}
