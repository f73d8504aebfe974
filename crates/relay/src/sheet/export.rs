//! Exports of the sheet and the punch list: a table with Chinese headers, written as CSV
//! (UTF-8 with a BOM so Excel reads the Chinese, CRLF line ends, RFC 4180 quoting, and a cell
//! that a spreadsheet would take for a formula prefixed with `'`) or as an XLSX workbook.

use std::collections::HashMap;

use rust_xlsxwriter::{Format, Workbook, XlsxError};
use zj_protocol::time::format_timestamp;

use super::build::Sheet;
use super::punch::Punch;

/// One cell of an export.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// Nothing.
    Empty,
}

impl Cell {
    fn text(text: impl Into<String>) -> Self {
        Cell::Text(text.into())
    }

    fn time(ms: Option<i64>) -> Self {
        ms.map_or(Cell::Empty, |ms| Cell::Text(beijing_time(ms)))
    }

    fn number(value: Option<f64>) -> Self {
        value.map_or(Cell::Empty, Cell::Number)
    }
}

/// A table to export: headers and rows of cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Column headers, Chinese.
    pub headers: &'static [&'static str],
    /// The rows, each as long as `headers`.
    pub rows: Vec<Vec<Cell>>,
}

/// Instant `ms` (epoch milliseconds) in Beijing time, `YYYY-MM-DD HH:MM:SS`.
pub fn beijing_time(ms: i64) -> String {
    let Some(s) = format_timestamp(ms) else {
        return ms.to_string();
    };
    format!(
        "{}-{}-{} {}:{}:{}",
        &s[0..4],
        &s[4..6],
        &s[6..8],
        &s[8..10],
        &s[10..12],
        &s[12..14]
    )
}

/// The sheet as a table: one row per person and day.
pub fn sheet_table(sheet: &Sheet) -> Table {
    let mut rows = Vec::new();
    for day in &sheet.days {
        for row in &day.rows {
            let flags: Vec<&str> = row.flags.iter().map(|f| f.label_zh()).collect();
            rows.push(vec![
                Cell::text(&day.date),
                Cell::text(&row.person_id),
                Cell::text(&row.name),
                Cell::text(if row.on_roster { "是" } else { "否" }),
                Cell::text(if row.absent { "缺勤" } else { "出勤" }),
                Cell::time(row.first_ms),
                Cell::time(row.last_ms),
                Cell::Number(row.punches as f64),
                Cell::text(flags.join("；")),
            ]);
        }
    }
    Table {
        headers: &[
            "日期",
            "工号",
            "姓名",
            "在花名册",
            "出勤",
            "首次打卡",
            "末次打卡",
            "打卡次数",
            "需要关注",
        ],
        rows,
    }
}

/// The punch list as a table: one row per record.
pub fn punch_table(punches: &[&Punch], names: &HashMap<String, String>) -> Table {
    let rows = (punches.iter())
        .map(|punch| {
            let row = &punch.row;
            let request = row.request.as_ref();
            vec![
                Cell::time(Some(row.record_time)),
                Cell::text(&row.person_id),
                Cell::text(names.get(&row.person_id).map_or("", String::as_str)),
                Cell::text(punch.state.label_zh()),
                Cell::text(punch.flags.labels_zh()),
                Cell::text(row.facts.verdict.as_deref().map_or("", verdict_zh)),
                Cell::number(row.facts.distance_m),
                Cell::number(row.facts.lng),
                Cell::number(row.facts.lat),
                Cell::number(row.facts.accuracy_m),
                Cell::text(row.facts.source.label_zh()),
                Cell::time(Some(row.received_ms)),
                Cell::time(punch.accepted_ms()),
                Cell::text(request.map_or("", |r| r.reason_label.as_str())),
                Cell::text(request.map_or("", |r| r.note.as_str())),
                Cell::text(&row.access_id),
                Cell::text(&row.record_id),
            ]
        })
        .collect();
    Table {
        headers: &[
            "打卡时间",
            "工号",
            "姓名",
            "状态",
            "需要关注",
            "围栏判断",
            "距围栏边界(米)",
            "经度",
            "纬度",
            "定位精度(米)",
            "拍照方式",
            "中继收到时间",
            "平台接受时间",
            "外勤原因",
            "外勤说明",
            "设备",
            "记录号",
        ],
        rows,
    }
}

/// A fence verdict in Chinese.
fn verdict_zh(verdict: &str) -> &str {
    match verdict {
        "inside" => "围栏内",
        "outside" => "围栏外",
        "uncertain" => "边界不确定",
        other => other,
    }
}

/// The table as CSV: UTF-8 with a BOM, CRLF, quoted where needed, formula-looking cells
/// prefixed with `'`.
pub fn to_csv(table: &Table) -> Vec<u8> {
    let mut out = String::with_capacity(64 * (table.rows.len() + 1));
    out.push('\u{feff}');
    let headers: Vec<Cell> = table.headers.iter().map(|h| Cell::text(*h)).collect();
    for row in std::iter::once(&headers).chain(&table.rows) {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match cell {
                Cell::Text(text) => push_csv_text(&mut out, text),
                Cell::Number(value) => out.push_str(&value.to_string()),
                Cell::Empty => {}
            }
        }
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// Appends `text` as one CSV field: prefixed with `'` when it starts with `=`, `+`, `-`, `@`
/// (or a tab or carriage return, which some spreadsheets skip before a formula), quoted when
/// it holds a comma, quote, line end or the prefix.
fn push_csv_text(out: &mut String, text: &str) {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quoted = formula || text.contains([',', '"', '\r', '\n']);
    if quoted {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for c in text.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quoted {
        out.push('"');
    }
}

/// The table as an XLSX workbook with one worksheet named `title` (bold headers; every text
/// cell written as a string, never as a formula). Compressed at zip level 1: most of the time
/// of a month's punch list (2 million cells) went to deflate at the default level 6.
pub fn to_xlsx(table: &Table, title: &str) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    workbook.set_zip_compression_level(1);
    let sheet = workbook.add_worksheet();
    sheet.set_name(title)?;
    let bold = Format::new().set_bold();
    for (col, header) in (0u16..).zip(table.headers) {
        sheet.write_string_with_format(0, col, *header, &bold)?;
        sheet.set_column_width(col, 14)?;
    }
    for (row, cells) in (1u32..).zip(&table.rows) {
        for (col, cell) in (0u16..).zip(cells) {
            match cell {
                Cell::Text(text) => {
                    sheet.write_string(row, col, text)?;
                }
                Cell::Number(value) => {
                    sheet.write_number(row, col, *value)?;
                }
                Cell::Empty => {}
            }
        }
    }
    workbook.save_to_buffer()
}
