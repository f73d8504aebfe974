//! The JSON form of requests and replies, used over HTTP: the platform's task API
//! (PROTOCOL.md §5) and the phone's `POST /v1/frame` (§9).
//!
//! `param` may arrive as a JSON string holding the text or as a JSON object; for an object the
//! signature covers the object's text exactly as it stands in the body, so it is kept raw.
//! Likewise a reply's `response` object is kept raw for signature checks.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::params::to_json_text;
use super::sign::{present, reply_sign, request_sign, signatures_match, ReplyView, RequestView};
use super::wire::{Request, Response};
use super::{Apicode, ErrorCode, ProtocolError, PROTOCOL_VERSION};

/// A request in JSON form, as received. Every member is optional here: missing ones are
/// reported by the checks (`402_0x`), not by parsing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonRequest {
    /// `version`.
    pub version: Option<String>,
    /// `sn`.
    pub sn: Option<String>,
    /// `token`.
    pub token: Option<String>,
    /// `apicode`.
    pub apicode: Option<String>,
    /// `accessId` (C_AUTH).
    pub access_id: Option<String>,
    /// `accessKey` (C_AUTH).
    pub access_key: Option<String>,
    /// `timeStamp` (commands).
    pub time_stamp: Option<String>,
    /// `taskid` (tasks).
    pub taskid: Option<String>,
    /// `param`: the JSON text, whether it came as a string or as an object.
    #[serde(default, deserialize_with = "param_text")]
    pub param: Option<String>,
    /// `sign`.
    pub sign: Option<String>,
}

/// Reads `param` as the text of a JSON string, or the raw text of any other JSON value (an
/// object, or something that later fails as "not an object" with `400_02`).
fn param_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let raw: Option<Box<RawValue>> = Option::deserialize(d)?;
    Ok(raw.and_then(|raw| match raw.get() {
        "null" => None,
        text if text.starts_with('"') => serde_json::from_str::<String>(text).ok(),
        text => Some(text.to_owned()),
    }))
}

impl JsonRequest {
    /// Parses a request body. A body that is not a JSON object with string members is
    /// `400_02`, with serde's description of what is wrong.
    pub fn parse(body: &[u8]) -> Result<Self, ProtocolError> {
        // serde would also read a struct from a JSON array, by position; a request is an object.
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            return Err(ProtocolError::with_detail(
                ErrorCode::ParamUnparsable,
                "the body is not a JSON object",
            ));
        }
        serde_json::from_slice(body)
            .map_err(|e| ProtocolError::with_detail(ErrorCode::ParamUnparsable, e))
    }

    /// The fields the checks and signatures read.
    pub fn view(&self) -> RequestView<'_> {
        fn field(value: &Option<String>) -> Option<&str> {
            value.as_deref().filter(|text| !text.is_empty())
        }
        RequestView {
            version: field(&self.version),
            sn: field(&self.sn),
            token: field(&self.token),
            apicode: field(&self.apicode),
            access_id: field(&self.access_id),
            access_key: field(&self.access_key),
            time_stamp: field(&self.time_stamp),
            taskid: field(&self.taskid),
            param: field(&self.param),
            sign: field(&self.sign),
        }
    }
}

/// A request to send in JSON form, with `param` embedded as a JSON object (its text as signed).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OutgoingJsonRequest<'a> {
    /// `version`.
    pub version: &'a str,
    /// `sn`.
    pub sn: &'a str,
    /// `token` (absent for C_AUTH).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<&'a str>,
    /// `apicode`.
    pub apicode: &'a str,
    /// `accessId` (C_AUTH).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_id: Option<&'a str>,
    /// `accessKey` (C_AUTH).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key: Option<&'a str>,
    /// `timeStamp` (commands).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_stamp: Option<&'a str>,
    /// `taskid` (tasks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taskid: Option<&'a str>,
    /// `param` as a JSON object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<&'a RawValue>,
    /// `sign`.
    pub sign: &'a str,
}

/// A task request body in JSON form (PROTOCOL.md §5), signed with `secret` per §3, with
/// `param` (JSON object text) embedded as an object.
pub fn task_request_body(
    sn: &str,
    token: &str,
    apicode: Apicode,
    taskid: Option<&str>,
    param: Option<&str>,
    secret: &str,
) -> String {
    let raw = param.and_then(|text| RawValue::from_string(text.to_owned()).ok());
    let view = RequestView {
        version: Some(PROTOCOL_VERSION),
        sn: Some(sn),
        token: Some(token),
        apicode: Some(apicode.as_str()),
        taskid,
        param: raw.as_deref().map(RawValue::get),
        ..RequestView::default()
    };
    // A param that is not a JSON object cannot be signed; it goes unsigned and the platform
    // answers 400_02.
    let sign = request_sign(apicode, &view, secret).unwrap_or_default();
    let body = OutgoingJsonRequest {
        version: PROTOCOL_VERSION,
        sn,
        token: Some(token),
        apicode: apicode.as_str(),
        access_id: None,
        access_key: None,
        time_stamp: None,
        taskid,
        param: raw.as_deref(),
        sign: &sign,
    };
    serde_json::to_string(&body).expect("request fields serialise")
}

/// The JSON form of a command frame, as a phone posts it to `/v1/frame` (PROTOCOL.md §9),
/// with `param` embedded as a JSON object (absent when it is not JSON).
pub fn command_request_body(request: &Request) -> String {
    let raw = RawValue::from_string(request.param.clone()).ok();
    let body = OutgoingJsonRequest {
        version: &request.version,
        sn: &request.sn,
        token: present(&request.token),
        apicode: &request.apicode,
        access_id: present(&request.access_id),
        access_key: present(&request.access_key),
        time_stamp: present(&request.time_stamp),
        taskid: None,
        param: raw.as_deref(),
        sign: &request.sign,
    };
    serde_json::to_string(&body).expect("request fields serialise")
}

/// A reply in JSON form: built by a platform, or parsed by a device (which then checks `sign`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JsonReply {
    /// `version`.
    pub version: String,
    /// `success`.
    pub success: bool,
    /// `apicode`, echoed on command replies (the phone leg); absent on task replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apicode: Option<String>,
    /// `taskid`, echoed on replies to task requests that carry one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taskid: Option<String>,
    /// `error`, when `success` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ProtocolError>,
    /// `response`, kept as the exact text that was signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Box<RawValue>>,
    /// `sign`, on task replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign: Option<String>,
}

/// Why a task reply could not be accepted by a device.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// The body is not a reply object.
    #[error("reply is not a JSON reply object: {0}")]
    Malformed(String),
    /// The reply carries no signature or a wrong one: it may not come from the platform.
    #[error("reply signature is missing or does not verify")]
    BadSignature,
    /// The platform refused the request.
    #[error("platform refused: {0}")]
    Refused(ProtocolError),
}

impl JsonReply {
    /// Parses a reply body.
    pub fn parse(body: &[u8]) -> Result<Self, ReplyError> {
        serde_json::from_slice(body).map_err(|e| ReplyError::Malformed(e.to_string()))
    }

    fn sign_view(&self) -> ReplyView<'_> {
        ReplyView {
            version: &self.version,
            success: self.success,
            taskid: self.taskid.as_deref(),
            response: self.response.as_deref().map(RawValue::get),
        }
    }

    /// Signs this reply to `apicode` with `secret` (PROTOCOL.md §3).
    pub fn signed(mut self, apicode: Option<Apicode>, secret: &str) -> Self {
        self.sign = Some(reply_sign(apicode, &self.sign_view(), secret));
        self
    }

    /// Checks the signature of a reply to `apicode` with `secret`, then returns the `response`
    /// text (empty object text when there is none) or the platform's refusal.
    pub fn verify(&self, apicode: Apicode, secret: &str) -> Result<&str, ReplyError> {
        let expected = reply_sign(Some(apicode), &self.sign_view(), secret);
        if !self
            .sign
            .as_deref()
            .is_some_and(|sign| signatures_match(sign, &expected))
        {
            return Err(ReplyError::BadSignature);
        }
        match (&self.error, self.success) {
            (_, true) => Ok(self.response.as_deref().map_or("{}", RawValue::get)),
            (Some(error), false) => Err(ReplyError::Refused(error.clone())),
            (None, false) => Err(ReplyError::Malformed(
                "success is false with no error".into(),
            )),
        }
    }

    /// A command reply in the TCP message's shape, so a device session can take replies
    /// from `/v1/frame` as it takes them from a socket.
    pub fn into_response(self) -> Response {
        Response {
            version: self.version,
            success: self.success,
            apicode: self.apicode.unwrap_or_default(),
            error: self
                .error
                .map(|error| to_json_text(&error))
                .unwrap_or_default(),
            response: self
                .response
                .map(|raw| raw.get().to_owned())
                .unwrap_or_default(),
        }
    }

    /// The body text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a reply serialises: string keys, raw values valid")
    }
}
