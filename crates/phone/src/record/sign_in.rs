//! A clock-in as the phone saves it, and the `C_SIGN_IN` param it becomes when it is sent.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::location::Located;
use super::FenceEvidence;
use zj_protocol::params::{to_json_text, Coordinate, SignInParam, MOBILE_ATTENDANCE_TYPE};
use zj_protocol::phone_api::OutOfFence;

/// How `recordTime` was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockEvidence {
    /// The device clock when the worker clocked in, epoch milliseconds.
    pub device_time_ms: i64,
    /// The relay-clock correction applied, milliseconds; `None` when no offset was known
    /// (never online since install), so `recordTime` is the device clock as it stood.
    pub offset_ms: Option<i64>,
}

/// Everything a clock-in knows when the worker presses the button. Saved in the outbox as it
/// is (the photo apart, as a Blob) and turned into a param only when sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInDraft {
    /// Unique per record, made on the phone (PROTOCOL.md §9).
    pub record_id: String,
    /// The platform's person id of the worker clocking in.
    pub person_id: String,
    /// When the worker clocked in, relay-corrected, epoch milliseconds.
    pub record_time_ms: i64,
    /// How `record_time_ms` was obtained.
    pub clock: ClockEvidence,
    /// Where, with provenance and warnings.
    pub location: Located,
    /// The fence check, when the site has a fence.
    pub fence: Option<FenceEvidence>,
    /// The liveness evidence the camera module produced (kept as the page gave it).
    pub liveness: Option<Value>,
    /// The photo was taken by a fallback (file picker, WeChat chooseImage): lower trust.
    pub fallback_capture: bool,
    /// An out-of-fence request (外勤): the worker clocks in outside the fence, with a reason,
    /// for a manager to approve (PROTOCOL.md §9). `None` for an ordinary clock-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_fence: Option<OutOfFence>,
}

impl SignInDraft {
    /// The §7 `C_SIGN_IN` param text with the photo (`img`, base64 JPEG without a `data:`
    /// prefix) and, beside the §7 members, `recordId` and the evidence (`location`, `fence`,
    /// `liveness`, `clock`, `fallbackCapture`, and `outOfFence` for a request) that the relay
    /// keeps in its audit log and strips before forwarding.
    pub fn param_text(&self, img_base64: String) -> String {
        DraftText::new(self).param_text(img_base64)
    }
}

/// A draft as the outbox keeps it: the JSON text it was saved as. The outbox only stores a
/// draft and turns it into a param when sending, so reading it back into typed values is not
/// needed; the phone module then carries no code for it (12 KB of its first load, gzip).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DraftText(Box<RawValue>);

impl DraftText {
    /// The text of `draft`.
    pub fn new(draft: &SignInDraft) -> Self {
        let text = serde_json::to_string(draft).unwrap_or_else(|_| "{}".into());
        Self(RawValue::from_string(text).unwrap_or_else(|_| empty_object()))
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// [`SignInDraft::param_text`], from the draft's JSON values.
    pub fn param_text(&self, img_base64: String) -> String {
        let draft: Map<String, Value> = serde_json::from_str(self.as_str()).unwrap_or_default();
        let member = |name: &str| draft.get(name).filter(|value| !value.is_null()).cloned();
        let mut extra = Map::new();
        for name in [
            "recordId",
            "location",
            "fence",
            "liveness",
            "clock",
            "outOfFence",
        ] {
            if let Some(value) = member(name) {
                extra.insert(name.into(), value);
            }
        }
        if member("fallbackCapture") == Some(Value::Bool(true)) {
            extra.insert("fallbackCapture".into(), Value::Bool(true));
        }
        let location = member("location").unwrap_or_default();
        let param = SignInParam {
            person_id: member("personId")
                .and_then(|id| id.as_str().map(str::to_owned))
                .unwrap_or_default(),
            kind: Value::String(MOBILE_ATTENDANCE_TYPE.into()),
            bit_type: None,
            qr_code_info: None,
            img: Some(img_base64),
            record_time: member("recordTimeMs")
                .and_then(|t| t.as_i64())
                .unwrap_or_default(),
            temperature: None,
            iris_info: None,
            coordinate: Some(Coordinate {
                longitude: location["lng"].as_f64().unwrap_or_default(),
                latitude: location["lat"].as_f64().unwrap_or_default(),
            }),
            extra,
        };
        to_json_text(&param)
    }
}

/// The same JSON values: a draft that went through JavaScript keeps its values but may be
/// written differently (`9.0` comes back as `9`).
impl PartialEq for DraftText {
    fn eq(&self, other: &Self) -> bool {
        let parse = |text: &str| serde_json::from_str::<Value>(text).ok();
        match (parse(self.as_str()), parse(other.as_str())) {
            (Some(a), Some(b)) => same_values(&a, &b),
            _ => self.as_str() == other.as_str(),
        }
    }
}

/// JSON values equal, numbers by their value (`9` equals `9.0`).
fn same_values(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_values(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, x)| y.get(key).is_some_and(|y| same_values(x, y)))
        }
        _ => a == b,
    }
}

/// `{}` as a raw value.
fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".into()).expect("{} is JSON")
}
