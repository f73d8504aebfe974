//! The day sheet over HTTP (docs/PHONE_API.md, "Day sheet"): the sheet and the punch list as
//! JSON, one punch in full, and their CSV and XLSX exports. Site-scoped like every manager
//! endpoint: another site's sheet or punch is "not found".

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use zj_host::system_clock::now_ms;

use super::api::{Manager, RelayApi, SiteScope};
use crate::http::error::ApiError;
use crate::sheet::export::{punch_table, sheet_table, to_csv, to_xlsx, Table};
use crate::sheet::{self, Listing, Punch, SheetError, SiteRecords};
use crate::store::sheet::{fence_geojson, punch_record, PunchRecord};

impl From<SheetError> for ApiError {
    fn from(error: SheetError) -> Self {
        match error {
            SheetError::UnknownSite => ApiError::not_found("这个工地"),
            SheetError::Query(refused) => {
                ApiError::new(StatusCode::BAD_REQUEST, refused.code, refused.message)
            }
            SheetError::Store(error) => ApiError::internal(error),
        }
    }
}

/// Site `site_id`'s records for `params`, when this manager sees the site.
async fn records(
    api: &RelayApi,
    manager: &Manager,
    site_id: &str,
    params: HashMap<String, String>,
    listing: Listing,
) -> Result<SiteRecords, ApiError> {
    manager.site(site_id)?;
    Ok(sheet::load(&api.store, site_id, params, listing, now_ms()).await?)
}

/// `GET /v1/manager/sites/{siteId}/sheet?from=&to=&flagged=&absent=&person=`.
pub(crate) async fn sheet_json(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(site_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let records = records(&api, &manager, &site_id, params, Listing::Sheet).await?;
    Ok(Json(records.sheet()).into_response())
}

/// `GET /v1/manager/sites/{siteId}/punches?from=&to=&flagged=&person=`.
pub(crate) async fn punches_json(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(site_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let records = records(&api, &manager, &site_id, params, Listing::Punches).await?;
    let punches: Vec<Value> = (records.punch_list().into_iter())
        .map(|punch| punch_json(punch, records.name(&punch.row.person_id)))
        .collect();
    Ok(Json(json!({ "punches": punches })).into_response())
}

/// A punch as the list shows it.
fn punch_json(punch: &Punch, name: &str) -> Value {
    let row = &punch.row;
    let facts = &row.facts;
    json!({
        "accessId": row.access_id,
        "recordId": row.record_id,
        "personId": row.person_id,
        "name": name,
        "recordTime": row.record_time,
        "savedAtMs": row.record_time,
        "receivedAtMs": row.received_ms,
        "acceptedAtMs": punch.accepted_ms(),
        "state": punch.state,
        "verdict": facts.verdict,
        "distanceM": facts.distance_m,
        "lng": facts.lng,
        "lat": facts.lat,
        "accuracyM": facts.accuracy_m,
        "flags": punch.flags.flags(),
        "source": facts.source,
        "request": row.request,
    })
}

/// The four exports.
#[derive(Debug, Clone, Copy)]
enum Export {
    SheetCsv,
    SheetXlsx,
    PunchesCsv,
    PunchesXlsx,
}

/// `GET /v1/manager/sites/{siteId}/sheet.csv`.
pub(crate) async fn sheet_csv(
    api: State<Arc<RelayApi>>,
    manager: Manager,
    site_id: Path<String>,
    params: Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    export(api, manager, site_id, params, Export::SheetCsv).await
}

/// `GET /v1/manager/sites/{siteId}/sheet.xlsx`.
pub(crate) async fn sheet_xlsx(
    api: State<Arc<RelayApi>>,
    manager: Manager,
    site_id: Path<String>,
    params: Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    export(api, manager, site_id, params, Export::SheetXlsx).await
}

/// `GET /v1/manager/sites/{siteId}/punches.csv`.
pub(crate) async fn punches_csv(
    api: State<Arc<RelayApi>>,
    manager: Manager,
    site_id: Path<String>,
    params: Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    export(api, manager, site_id, params, Export::PunchesCsv).await
}

/// `GET /v1/manager/sites/{siteId}/punches.xlsx`.
pub(crate) async fn punches_xlsx(
    api: State<Arc<RelayApi>>,
    manager: Manager,
    site_id: Path<String>,
    params: Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    export(api, manager, site_id, params, Export::PunchesXlsx).await
}

/// An export as a download: the table of the sheet or the list, written as CSV or XLSX off
/// the async threads, with a file name naming the site and the days.
async fn export(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(site_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    export: Export,
) -> Result<Response, ApiError> {
    let listing = match export {
        Export::SheetCsv | Export::SheetXlsx => Listing::Sheet,
        Export::PunchesCsv | Export::PunchesXlsx => Listing::Punches,
    };
    let records = records(&api, &manager, &site_id, params, listing).await?;
    let written = tokio::task::spawn_blocking(move || write_export(&records, export)).await;
    let (body, file_name) = written.map_err(|_| export_failed())??;
    let content_type = match export {
        Export::SheetCsv | Export::PunchesCsv => "text/csv; charset=utf-8",
        Export::SheetXlsx | Export::PunchesXlsx => {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        }
    };
    let disposition = HeaderValue::from_str(&file_name).map_err(|_| export_failed())?;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CONTENT_DISPOSITION, disposition),
    ];
    Ok((headers, body).into_response())
}

/// The export's bytes and its `Content-Disposition`.
fn write_export(records: &SiteRecords, export: Export) -> Result<(Vec<u8>, String), ApiError> {
    let sheet_title = ("考勤日报", "sheet");
    let list_title = ("打卡明细", "punches");
    let (table, (title, ascii), extension): (Table, _, _) = match export {
        Export::SheetCsv => (sheet_table(&records.sheet()), sheet_title, "csv"),
        Export::SheetXlsx => (sheet_table(&records.sheet()), sheet_title, "xlsx"),
        Export::PunchesCsv | Export::PunchesXlsx => {
            let list = records.punch_list();
            let table = punch_table(&list, &records.names);
            let extension = if matches!(export, Export::PunchesCsv) {
                "csv"
            } else {
                "xlsx"
            };
            (table, list_title, extension)
        }
    };
    let body = if extension == "csv" {
        to_csv(&table)
    } else {
        to_xlsx(&table, title).map_err(|_| export_failed())?
    };
    let range = &records.query.range;
    let days = if range.from == range.to {
        range.from.to_string()
    } else {
        format!("{}_{}", range.from, range.to)
    };
    let fallback = format!(
        "{ascii}-{}-{days}.{extension}",
        ascii_only(&records.site_id)
    );
    let full = format!("{title}-{}-{days}.{extension}", records.site_name);
    let disposition = format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        percent_encode(&full)
    );
    Ok((body, disposition))
}

/// 500 `export_failed`: the workbook could not be written.
fn export_failed() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "export_failed",
        "导出文件生成失败，请稍后重试；如仍失败，请缩短日期范围。",
    )
}

/// `text` with every character but ASCII letters, digits, `-`, `_` and `.` replaced by `_`
/// (a quoted `filename` any client reads).
fn ascii_only(text: &str) -> String {
    (text.chars())
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `text` percent-encoded as RFC 5987 `attr-char`s (UTF-8 bytes; letters, digits and
/// `-._~` as they are).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `GET /v1/manager/punch?accessId=&recordId=`: one punch in full: the list's fields plus the
/// fence version the relay judged it with (`fence`: its GeoJSON), `relayFence`, `liveness`,
/// `photoCheck`, `location`, `clock` and the delivery (`attempts`, the platform's error).
pub(crate) async fn punch_detail(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let given = |name: &str| {
        (params.get(name).filter(|v| !v.is_empty() && v.len() <= 128))
            .cloned()
            .ok_or_else(|| ApiError::bad_request(format_args!("缺少 {name}，或它超过 128 个字符")))
    };
    let (access_id, record_id) = (given("accessId")?, given("recordId")?);
    let found = (api.store)
        .run_deferred(move |tx| {
            let Some(record) = punch_record(tx, &access_id, &record_id)? else {
                return Ok(None);
            };
            let version = record
                .extras
                .get("relayFence")
                .and_then(|f| f["version"].as_u64());
            let fence = match (&record.site_id, version) {
                (Some(site_id), Some(version)) => fence_geojson(tx, site_id, version)?,
                _ => None,
            };
            let name = match &record.site_id {
                Some(site_id) => crate::store::sites::get(tx, site_id)?
                    .map(|site| crate::store::sheet::names(tx, &site.sn))
                    .transpose()?
                    .and_then(|names| names.get(&record.row.person_id).cloned()),
                None => None,
            };
            Ok(Some((record, fence, name.unwrap_or_default())))
        })
        .await?;
    let visible = |record: &PunchRecord| match &record.site_id {
        Some(site_id) => manager.sees(site_id),
        None => manager.scope == SiteScope::All,
    };
    let Some((record, fence, name)) = found.filter(|(record, ..)| visible(record)) else {
        return Err(ApiError::not_found("这条打卡记录"));
    };
    Ok(Json(detail_json(record, fence, &name)).into_response())
}

/// A punch in full.
fn detail_json(record: PunchRecord, fence: Option<Value>, name: &str) -> Value {
    let punch = Punch::new(record.row);
    let mut detail = punch_json(&punch, name);
    let extra = |member: &str| record.extras.get(member).cloned().unwrap_or(Value::Null);
    let (errorcode, errormsg) = record.error.unwrap_or_default();
    let members = [
        ("siteId", json!(record.site_id)),
        ("fence", fence.unwrap_or(Value::Null)),
        ("relayFence", extra("relayFence")),
        ("phoneFence", extra("fence")),
        ("liveness", extra("liveness")),
        ("livenessMalformed", extra("livenessMalformed")),
        ("nonceVerified", extra("nonceVerified")),
        ("photoCheck", json!(record.photo_check)),
        ("location", extra("location")),
        ("clock", extra("clock")),
        ("outOfFence", extra("outOfFence")),
        (
            "fallbackCapture",
            json!(punch.row.facts.source == sheet::Source::Fallback),
        ),
        (
            "delivery",
            json!({"attempts": record.attempts, "errorcode": errorcode, "errormsg": errormsg}),
        ),
    ];
    for (key, value) in members {
        detail[key] = value;
    }
    detail
}
