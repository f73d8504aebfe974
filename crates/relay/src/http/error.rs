//! The error body of the phone and manager HTTP API (docs/PHONE_API.md, "Errors"):
//! `{"error": {"code", "message", "detail"?}}` with an HTTP status; `code` is a stable machine
//! name, `message` plain Chinese saying what to do next.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use tracing::warn;

use crate::phone::enroll::{CodeRefusal, Refused};
use crate::sites::FenceRefusal;
use crate::store::StoreError;
use zj_protocol::phone_api::{ErrorBody, ErrorReply};

/// A refusal of the phone or manager API.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine name, e.g. `code_expired`.
    pub code: &'static str,
    /// Chinese, plain, saying what to do next.
    pub message: String,
    /// Where the problem is, when known (e.g. `{"polygon": 0, "ring": 1}`).
    pub detail: Option<Value>,
    /// Seconds after which the client may try again (`Retry-After`), for a 429.
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    /// A refusal with this status, code and message.
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            detail: None,
            retry_after_secs: None,
        }
    }

    /// 400 `bad_request`: the body is not JSON or a member is missing or of the wrong type.
    pub(crate) fn bad_request(what: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("请求有误：{what}。请检查后重试。"),
        )
    }

    /// 401 `unauthorized`: no token, or one the relay does not know.
    pub(crate) fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "未登录或登录已过期，请重新登录后再试。",
        )
    }

    /// 401 `revoked`: the phone's credentials were revoked.
    pub(crate) fn revoked() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "revoked",
            "这台手机的考勤资格已被管理员撤销，请联系管理员重新登记。",
        )
    }

    /// 404 `not_found`.
    pub(crate) fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("找不到{what}，请检查后重试。"),
        )
    }

    /// 500 `internal`: the store failed; logged here.
    pub(crate) fn internal(error: StoreError) -> Self {
        warn!(%error, "phone or manager API: store failure");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器暂时出错，请稍后重试。",
        )
    }

    /// The same refusal with `detail`.
    pub(crate) fn with_detail(mut self, detail: Value) -> Self {
        self.detail = Some(detail);
        self
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError::internal(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorReply {
            error: ErrorBody {
                code: self.code.to_owned(),
                message: self.message,
                detail: self.detail,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

/// Each domain refusal over HTTP: its status and stable code; the domain's Chinese message.
impl From<FenceRefusal> for ApiError {
    fn from(refusal: FenceRefusal) -> Self {
        let invalid = |detail: Value| {
            let message = refusal.to_string();
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "fence_invalid", message)
                .with_detail(detail)
        };
        match &refusal {
            FenceRefusal::CrsUnknown(_)
            | FenceRefusal::PolicyUnknown
            | FenceRefusal::AccuracyOutOfRange(_) => ApiError::bad_request(&refusal),
            FenceRefusal::NotGeoJson(_) | FenceRefusal::GeoJson(_) => {
                invalid(json!({"problem": "geojson"}))
            }
            FenceRefusal::Invalid(error) => invalid(json!(error.detail())),
        }
    }
}

impl From<CodeRefusal> for ApiError {
    fn from(refusal: CodeRefusal) -> Self {
        match &refusal {
            CodeRefusal::SiteUnknown(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", refusal.to_string())
            }
            CodeRefusal::PersonUnknown(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "person_unknown",
                refusal.to_string(),
            ),
            CodeRefusal::TeamWithPerson
            | CodeRefusal::PersonalWithoutPerson
            | CodeRefusal::NoLifetime
            | CodeRefusal::LifetimeTooLong(_) => ApiError::bad_request(&refusal),
        }
    }
}

impl From<Refused> for ApiError {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::Unknown => ApiError::new(
                StatusCode::NOT_FOUND,
                "code_unknown",
                "登记码不存在，请核对后重新输入，或向管理员索取新的登记码。",
            ),
            Refused::Expired => ApiError::new(
                StatusCode::GONE,
                "code_expired",
                "登记码已过期，请向管理员索取新的登记码。",
            ),
            Refused::Used => ApiError::new(
                StatusCode::CONFLICT,
                "code_used",
                "登记码已被使用过，每个登记码只能用一次。请向管理员索取新的登记码。",
            ),
        }
    }
}

/// Parses a JSON request body, refusing with `bad_request` naming the problem.
pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format_args!("{e}")))
}

/// The refusals of manager logins, sessions and failure limits.
impl ApiError {
    /// 429 `too_many_failures`: too many failed logins, tokens or codes from this address or
    /// at this account; try again in `secs` seconds (also in `Retry-After` and `detail`).
    pub(crate) fn too_many_failures(secs: u64) -> Self {
        let minutes = secs.div_ceil(60);
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_failures",
            format!("失败次数太多，已暂时锁定，请稍后再试（约 {minutes} 分钟后）。"),
        )
        .with_detail(json!({"retryAfterSecs": secs}));
        error.retry_after_secs = Some(secs);
        error
    }

    /// 403 `csrf_failed`: a write with the session cookie but without its CSRF token.
    pub(crate) fn csrf_failed() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "请求缺少有效的安全校验（X-CSRF-Token），请刷新页面后重试。",
        )
    }

    /// 401 `login_failed`: no such account, or the password is not its own (not saying which).
    pub(crate) fn login_failed() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "login_failed",
            "账号或密码不对，请重新输入。",
        )
    }
}
