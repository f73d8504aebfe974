//! Out-of-fence requests (外勤) over HTTP: the phone's own list (`GET /v1/requests`) and the
//! manager's list, photo and decision (`/v1/manager/requests…`). A manager sees and decides
//! only the requests of their sites; another site's request is "not found". A decision is
//! durable, with its entry in the log of manager actions, before it is answered; an approved
//! request is then sent by the request forwarder ([`crate::phone::requests`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::http::api::{Manager, PhoneCaller, RelayApi, SiteScope};
use crate::http::error::{parse_body, ApiError};
use crate::phone::out_of_fence::rejection;
use crate::store::requests::{self, Filter};
use crate::store::Tx;
use crate::store::{ledger, manager_actions, Outcome, StoreError};
use zj_host::system_clock::now_ms;
use zj_protocol::phone_api::{PhoneRequests, RequestState};

/// How far back a phone's list reaches, milliseconds (30 days).
const PHONE_LIST_MS: i64 = 30 * 86_400_000;
/// Longest comment on a decision, characters.
const MAX_COMMENT_CHARS: usize = 200;

/// `GET /v1/requests`: the phone's own requests of the last 30 days, newest first (at most
/// 100), and when one of them was last decided (the heartbeat's `requestsChangedMs`).
pub(crate) async fn phone_list(
    State(api): State<Arc<RelayApi>>,
    PhoneCaller(phone): PhoneCaller,
) -> Result<Response, ApiError> {
    let since_ms = now_ms().saturating_sub(PHONE_LIST_MS);
    let listed = (api.store)
        .run_deferred(move |tx| {
            let requests = requests::of_phone(tx, &phone.access_id, since_ms)?;
            let changed_at_ms = requests::changed_ms(tx, &phone.access_id)?;
            Ok(PhoneRequests {
                requests,
                changed_at_ms,
            })
        })
        .await?;
    Ok(Json(listed).into_response())
}

/// A query member holding epoch milliseconds, if given; `bad_request` when it is not a number.
fn millis(query: &HashMap<String, String>, name: &str) -> Result<Option<i64>, ApiError> {
    let Some(text) = query.get(name) else {
        return Ok(None);
    };
    let parsed = text.trim().parse();
    parsed
        .map(Some)
        .map_err(|_| ApiError::bad_request(format_args!("{name} 应为毫秒时间戳")))
}

/// The list a manager asked for: `siteId` (which they must see; else their sites), `state`
/// (`pending`, `approved`, `rejected` or `all`, the default), `fromMs` and `toMs` (on
/// `recordTime`).
fn filter(manager: &Manager, query: &HashMap<String, String>) -> Result<Filter, ApiError> {
    let sites = match (query.get("siteId"), &manager.scope) {
        (Some(site_id), _) => {
            manager.site(site_id)?;
            Some(vec![site_id.clone()])
        }
        (None, SiteScope::All) => None,
        (None, SiteScope::Sites(sites)) => Some(sites.clone()),
    };
    let state = match query.get("state").map(String::as_str) {
        None | Some("all") => None,
        Some(name) => Some(name.parse::<RequestState>().map_err(|_| {
            ApiError::bad_request("state 只能是 pending、approved、rejected 或 all")
        })?),
    };
    Ok(Filter {
        sites,
        state,
        from_ms: millis(query, "fromMs")?,
        to_ms: millis(query, "toMs")?,
        id: None,
    })
}

/// `GET /v1/manager/requests?siteId=&state=&fromMs=&toMs=`: the requests of the manager's
/// sites (or of `siteId`), newest first (at most 500), and how many of those sites' requests
/// wait for a decision.
pub(crate) async fn manager_list(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let filter = filter(&manager, &query)?;
    let (listed, pending) = (api.store)
        .run_deferred(move |tx| {
            Ok((
                requests::listing(tx, &filter)?,
                requests::pending_count(tx, &filter)?,
            ))
        })
        .await?;
    Ok(Json(json!({"requests": listed, "pendingCount": pending})).into_response())
}

/// A request's id from its path: one that is not a number names no request.
fn request_id(text: &str) -> Result<i64, ApiError> {
    text.parse().map_err(|_| not_found())
}

/// 404 `not_found` for a request that does not exist or is another site's.
fn not_found() -> ApiError {
    ApiError::not_found("这条外勤申请")
}

/// `GET /v1/manager/requests/{id}/photo`: the request's photo, `image/jpeg`.
pub(crate) async fn photo(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = request_id(&id)?;
    let found = (api.store)
        .run_deferred(move |tx| requests::photo(tx, id))
        .await?;
    let img = match found {
        Some((site_id, img)) if manager.sees(&site_id) => img,
        _ => return Err(not_found()),
    };
    let jpeg = (img.as_deref())
        .and_then(|img| base64::engine::general_purpose::STANDARD.decode(img).ok())
        .ok_or_else(|| ApiError::not_found("这条外勤申请的照片"))?;
    let headers = [
        (header::CONTENT_TYPE, "image/jpeg"),
        (header::CACHE_CONTROL, "private, no-store"),
    ];
    Ok((headers, jpeg).into_response())
}

/// `POST /v1/manager/requests/{id}/decision` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    /// `approve` or `reject`.
    decision: String,
    /// The manager's words to the worker; required to reject.
    #[serde(default)]
    comment: String,
}

/// Why a decision is not recorded (beyond the body).
enum Undecided {
    /// No such request, or another site's.
    NotFound,
    /// Already approved or rejected.
    AlreadyDecided,
}

impl From<Undecided> for ApiError {
    fn from(undecided: Undecided) -> Self {
        match undecided {
            Undecided::NotFound => not_found(),
            Undecided::AlreadyDecided => ApiError::new(
                StatusCode::CONFLICT,
                "already_decided",
                "这条外勤申请已经处理过了，请刷新列表查看结果。",
            ),
        }
    }
}

/// Records `manager`'s decision on pending request `id` at `now`: its state, a rejection's
/// final refusal in the record's ledger row (so a phone's retry hears it), the manager
/// action; returns the request as listed.
fn record_decision(
    tx: &Tx<'_>,
    manager: &Manager,
    id: i64,
    approve: bool,
    comment: &str,
    now: i64,
) -> Result<Result<Value, Undecided>, StoreError> {
    let Some(request) = requests::decidable(tx, id)?.filter(|r| manager.sees(&r.site_id)) else {
        return Ok(Err(Undecided::NotFound));
    };
    if request.state != RequestState::Pending {
        return Ok(Err(Undecided::AlreadyDecided));
    }
    let (site_id, access_id, record_id) = (request.site_id, request.access_id, request.record_id);
    let (decided, action) = match approve {
        true => (RequestState::Approved, "request_approve"),
        false => (RequestState::Rejected, "request_reject"),
    };
    requests::decide(tx, id, decided, &manager.account, comment, now)?;
    if !approve {
        let refused = Outcome::Refused(rejection(comment));
        ledger::finish(tx, &access_id, &record_id, &refused, now)?;
    }
    let detail = json!({"id": id, "accessId": access_id, "recordId": record_id,
                        "comment": comment});
    manager_actions::record(tx, &manager.account, Some(&site_id), action, detail, now)?;
    let only = Filter {
        sites: None,
        state: None,
        from_ms: None,
        to_ms: None,
        id: Some(id),
    };
    let listed = requests::listing(tx, &only)?.pop().unwrap_or(Value::Null);
    Ok(Ok(listed))
}

/// `POST /v1/manager/requests/{id}/decision` `{"decision": "approve"|"reject", "comment"}`:
/// only a pending request of the manager's sites (`already_decided` otherwise); a rejection
/// needs a comment (`comment_required`), which the worker reads. Answers the request as
/// listed; an approved one is sent by the request forwarder, woken now.
pub(crate) async fn decide(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = request_id(&id)?;
    let body: DecisionBody = parse_body(&body)?;
    let approve = match body.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(ApiError::bad_request("decision 只能是 approve 或 reject")),
    };
    let comment = body.comment.trim().to_owned();
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "comment_too_long",
            "意见太长了，请不超过 200 个字。",
        ));
    }
    if !approve && comment.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "comment_required",
            "驳回外勤申请时请写明理由，工人会看到这段话。",
        ));
    }
    let decided = (api.store)
        .run(move |tx| record_decision(tx, &manager, id, approve, &comment, now_ms()))
        .await??;
    if approve {
        api.gateway.requests_wake().notify_one();
    }
    Ok(Json(decided).into_response())
}
