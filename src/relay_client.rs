//! The phone's HTTP client of the relay: signed frames to `POST /v1/frame` (PROTOCOL.md §9),
//! with the phone's token, the relay's clock, and the enrollment and site endpoints
//! (docs/PHONE_API.md).

use std::cell::{Cell, RefCell};

use serde::de::DeserializeOwned;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use zj_phone::record::clock::{corrected_time, ClockOffset};
use zj_phone::record::upload::{dispose, dispose_link_failure, Disposition};
use zj_phone::record::{signed_frame, PhoneCredentials};
use zj_protocol::json_form::{command_request_body, JsonReply};
use zj_protocol::params::to_json_text;
use zj_protocol::phone_api::{EnrollRequest, Enrollment, ErrorReply, RelayHeartbeat};
use zj_protocol::{Apicode, ProtocolError};

/// How long a request may take before it counts as a link failure, milliseconds: the
/// standard's upload limit.
const REQUEST_TIMEOUT_MS: i32 = 10_000;

/// Why a call to the relay did not succeed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    /// No answer: offline, relay unreachable, timeout, or an answer that is not ours.
    #[error("网络不通：{0}")]
    Link(String),
    /// The relay (or the platform behind it) refused the frame.
    #[error("{0}")]
    Refused(ProtocolError),
    /// An endpoint of docs/PHONE_API.md refused, with its code and Chinese message.
    #[error("{message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The stable code (`code_expired`, …).
        code: String,
        /// What to do, in Chinese.
        message: String,
    },
}

/// A phone's session with the relay. Methods take `&self` so several records can be in
/// flight at once; the token and clock are shared between them.
#[derive(Debug)]
pub(crate) struct RelayClient {
    base_url: String,
    credentials: PhoneCredentials,
    token: RefCell<Option<String>>,
    clock: Cell<Option<ClockOffset>>,
    fence_version: Cell<Option<u64>>,
    requests_changed_ms: Cell<Option<i64>>,
}

/// The device clock, epoch milliseconds.
pub(crate) fn device_now_ms() -> i64 {
    js_sys::Date::now() as i64
}

impl RelayClient {
    /// A client of the relay at `base_url` (no trailing slash) with these credentials; `clock`
    /// is the last offset learnt, if any.
    pub(crate) fn new(
        base_url: &str,
        credentials: PhoneCredentials,
        clock: Option<ClockOffset>,
    ) -> Self {
        RelayClient {
            base_url: base_url.trim_end_matches('/').to_owned(),
            credentials,
            token: RefCell::new(None),
            clock: Cell::new(clock),
            fence_version: Cell::new(None),
            requests_changed_ms: Cell::new(None),
        }
    }

    /// The relay's clock offset, once learnt.
    pub(crate) fn clock(&self) -> Option<ClockOffset> {
        self.clock.get()
    }

    /// The fence version the last heartbeat announced.
    pub(crate) fn fence_version(&self) -> Option<u64> {
        self.fence_version.get()
    }

    /// When a manager last decided one of this phone's out-of-fence requests, as the last
    /// heartbeat announced (epoch milliseconds; `None` while none is decided).
    pub(crate) fn requests_changed_ms(&self) -> Option<i64> {
        self.requests_changed_ms.get()
    }

    /// The current token, authenticating first when there is none.
    pub(crate) async fn token(&self) -> Result<String, CallError> {
        if let Some(token) = self.token.borrow().clone() {
            return Ok(token);
        }
        let reply = self.command(Apicode::CAuth, "{}".to_owned()).await?;
        let token = serde_json::from_str::<Value>(&reply)
            .ok()
            .and_then(|value| value.get("token")?.as_str().map(str::to_owned))
            .ok_or_else(|| CallError::Link("认证回复中没有 token".into()))?;
        *self.token.borrow_mut() = Some(token.clone());
        Ok(token)
    }

    /// Sends a heartbeat; learns the relay's clock, the fence version and when the phone's
    /// out-of-fence requests last changed from the reply.
    pub(crate) async fn heartbeat(&self) -> Result<(), CallError> {
        let param = to_json_text(&serde_json::json!({
            "deviceVersion": concat!("zj-attendance-phone ", env!("CARGO_PKG_VERSION")),
            "deviceIp": "",
        }));
        let sent = device_now_ms();
        let reply = self.authed_command(Apicode::CHeartbeat, param).await?;
        let received = device_now_ms();
        if let Ok(reply) = serde_json::from_str::<RelayHeartbeat>(&reply) {
            if let Some(relay_ms) = reply.relay_time_ms {
                self.clock
                    .set(Some(ClockOffset::from_exchange(sent, relay_ms, received)));
            }
            self.fence_version.set(reply.fence_version);
            self.requests_changed_ms.set(reply.requests_changed_ms);
        }
        Ok(())
    }

    /// Sends one record's param and says what it means for the record: re-authenticates on
    /// `401_01` and re-learns the clock on `400_05`, each once, re-signing before sending again.
    pub(crate) async fn send_sign_in(&self, param: &str) -> Disposition {
        for attempt in 0..3 {
            let answer = self
                .authed_command(Apicode::CSignIn, param.to_owned())
                .await;
            let disposition = match &answer {
                Ok(response) => dispose(Ok(response)),
                Err(CallError::Refused(refusal)) => dispose(Err(refusal)),
                Err(error) => return dispose_link_failure(&error.to_string()),
            };
            match disposition {
                Disposition::Reauthenticate if attempt < 2 => self.forget_token(),
                Disposition::Resynchronise if attempt < 2 => {
                    if let Err(error) = self.heartbeat().await {
                        return failure_of_call(error);
                    }
                }
                other => return other,
            }
        }
        dispose_link_failure("重试次数过多")
    }

    /// A command that needs a token: authenticates first when needed, and once more when the
    /// relay no longer knows the token.
    async fn authed_command(&self, apicode: Apicode, param: String) -> Result<String, CallError> {
        self.token().await?;
        let answer = self.command(apicode, param.clone()).await;
        if matches!(&answer, Err(CallError::Refused(refusal)) if refusal.errorcode == "401_01") {
            self.forget_token();
            self.token().await?;
            return self.command(apicode, param).await;
        }
        answer
    }

    /// Signs and posts one command frame; the `response` text on success.
    async fn command(&self, apicode: Apicode, param: String) -> Result<String, CallError> {
        let token = self.token.borrow().clone().unwrap_or_default();
        let at_ms = corrected_time(self.clock.get().as_ref(), device_now_ms());
        let request = signed_frame(&self.credentials, &token, apicode, param, at_ms)
            .map_err(|error| CallError::Link(error.to_string()))?;
        let body = command_request_body(&request);
        let response = self
            .fetch(
                HttpRequest::post(&format!("{}/v1/frame", self.base_url))
                    .header("Content-Type", "application/json"),
                Some(body),
            )
            .await?;
        let text = response.text().await.map_err(CallError::Link)?;
        let reply =
            JsonReply::parse(text.as_bytes()).map_err(|e| CallError::Link(e.to_string()))?;
        match (reply.success, reply.error) {
            (true, _) => Ok(reply
                .response
                .map_or_else(|| "{}".to_owned(), |raw| raw.get().to_owned())),
            (false, Some(error)) => {
                if error.errorcode == "401_01" {
                    self.forget_token();
                }
                Err(CallError::Refused(error))
            }
            (false, None) => Err(CallError::Link("回复既非成功也无错误".into())),
        }
    }

    /// `GET` an authenticated endpoint of docs/PHONE_API.md: its JSON answer as text.
    pub(crate) async fn get_text(&self, path: &str) -> Result<String, CallError> {
        self.authed(path, HttpRequest::get).await
    }

    /// `GET` an authenticated endpoint of docs/PHONE_API.md.
    pub(crate) async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, CallError> {
        parse_json(&self.get_text(path).await?)
    }

    /// `POST` (no body) to an authenticated endpoint of docs/PHONE_API.md.
    pub(crate) async fn post_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, CallError> {
        parse_json(&self.authed(path, HttpRequest::post).await?)
    }

    /// Calls `path` with the phone's token, authenticating again once if the relay no longer
    /// knows it; the answer's text. (Not generic over the answer's type: one copy of this
    /// code serves every endpoint.)
    async fn authed(
        &self,
        path: &str,
        method: fn(&str) -> HttpRequest,
    ) -> Result<String, CallError> {
        let url = format!("{}{path}", self.base_url);
        let bearer =
            |token: String| method(&url).header("Authorization", &format!("Bearer {token}"));
        let mut response = self.fetch(bearer(self.token().await?), None).await?;
        if response.status() == 401 {
            self.forget_token();
            response = self.fetch(bearer(self.token().await?), None).await?;
        }
        text_of(response).await
    }

    /// Drops the token: the next call authenticates again.
    fn forget_token(&self) {
        *self.token.borrow_mut() = None;
    }

    /// Sends a request with a timeout; any HTTP status is an answer, no answer is a link error.
    async fn fetch(
        &self,
        builder: HttpRequest,
        body: Option<String>,
    ) -> Result<HttpResponse, CallError> {
        fetch_with_timeout(builder, body).await
    }
}

/// Posts `POST /v1/enroll` to the relay at `base_url` with an enrollment code.
pub(crate) async fn enroll(base_url: &str, code: &str) -> Result<Enrollment, CallError> {
    let url = format!("{}/v1/enroll", base_url.trim_end_matches('/'));
    let body = to_json_text(&EnrollRequest {
        code: code.to_owned(),
    });
    let response = fetch_with_timeout(
        HttpRequest::post(&url).header("Content-Type", "application/json"),
        Some(body),
    )
    .await?;
    parse_json(&text_of(response).await?)
}

/// A request to the relay: method, URL and headers (a small `fetch` of our own: an HTTP
/// crate's builder and error types cost the first load more than this does).
pub(crate) struct HttpRequest {
    method: &'static str,
    url: String,
    headers: Vec<(&'static str, String)>,
}

impl HttpRequest {
    fn new(method: &'static str, url: &str) -> Self {
        HttpRequest {
            method,
            url: url.to_owned(),
            headers: Vec::new(),
        }
    }

    /// A `GET` of `url`.
    pub(crate) fn get(url: &str) -> Self {
        Self::new("GET", url)
    }

    /// A `POST` to `url`.
    pub(crate) fn post(url: &str) -> Self {
        Self::new("POST", url)
    }

    /// With the header `name: value`.
    pub(crate) fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }
}

/// The relay's answer: its status, and its body on demand.
pub(crate) struct HttpResponse(web_sys::Response);

impl HttpResponse {
    /// The HTTP status.
    pub(crate) fn status(&self) -> u16 {
        self.0.status()
    }

    /// The body as text.
    pub(crate) async fn text(&self) -> Result<String, String> {
        let promise = self.0.text().map_err(|e| js_message(&e))?;
        let text = JsFuture::from(promise).await.map_err(|e| js_message(&e))?;
        Ok(text.as_string().unwrap_or_default())
    }
}

/// A thrown value's `name: message` (or its text).
fn js_message(value: &JsValue) -> String {
    match value.dyn_ref::<js_sys::Error>() {
        Some(error) => format!(
            "{}: {}",
            String::from(error.name()),
            String::from(error.message())
        ),
        None => crate::js_error::BrowserError::from_js("", value.clone()).message,
    }
}

async fn fetch_with_timeout(
    request: HttpRequest,
    body: Option<String>,
) -> Result<HttpResponse, CallError> {
    let link = |e: JsValue| CallError::Link(js_message(&e));
    let controller = web_sys::AbortController::new().map_err(link)?;
    let init = web_sys::RequestInit::new();
    init.set_method(request.method);
    let headers = web_sys::Headers::new().map_err(link)?;
    for (name, value) in &request.headers {
        headers.set(name, value).map_err(link)?;
    }
    init.set_headers(&headers);
    if let Some(body) = body {
        init.set_body(&body.into());
    }
    init.set_signal(Some(&controller.signal()));
    let window = web_sys::window().ok_or_else(|| CallError::Link("no window".into()))?;
    let abort = wasm_bindgen::closure::Closure::once_into_js(move || controller.abort());
    let timer = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            abort.unchecked_ref(),
            REQUEST_TIMEOUT_MS,
        )
        .ok();
    let response = JsFuture::from(window.fetch_with_str_and_init(&request.url, &init))
        .await
        .map_err(link)
        .map(|response| HttpResponse(response.unchecked_into()));
    if let Some(timer) = timer {
        window.clear_timeout_with_handle(timer);
    }
    response
}

/// An answer of docs/PHONE_API.md read as `T`.
fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, CallError> {
    serde_json::from_str(text).map_err(|e| CallError::Link(format!("回复无法解析：{e}")))
}

/// An answer of docs/PHONE_API.md: its text on 2xx, its error otherwise.
async fn text_of(response: HttpResponse) -> Result<String, CallError> {
    let status = response.status();
    let text = response.text().await.map_err(CallError::Link)?;
    if (200..300).contains(&status) {
        return Ok(text);
    }
    let error = serde_json::from_str::<ErrorReply>(&text)
        .ok()
        .map(|reply| reply.error);
    let (code, message) = error.map_or((None, None), |error| {
        (
            Some(error.code),
            Some(error.message).filter(|m| !m.is_empty()),
        )
    });
    Err(CallError::Api {
        status,
        code: code.unwrap_or_else(|| format!("http_{status}")),
        message: message.unwrap_or_else(|| format!("服务器返回 {status}，请稍后重试。")),
    })
}

/// What a failed heartbeat or authentication means for the record being sent.
fn failure_of_call(error: CallError) -> Disposition {
    match error {
        CallError::Refused(refusal) => dispose(Err(&refusal)),
        other => dispose_link_failure(&other.to_string()),
    }
}
