//! A clock-in as the phone saves it, and the `C_SIGN_IN` param it becomes when it is sent.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::location::Located;
use super::FenceEvidence;
use zj_protocol::params::{to_json_text, Coordinate, SignInParam, MOBILE_ATTENDANCE_TYPE};

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
}

impl SignInDraft {
    /// The §7 `C_SIGN_IN` param text with the photo (`img`, base64 JPEG without a `data:`
    /// prefix) and, beside the §7 members, `recordId` and the evidence (`location`, `fence`,
    /// `liveness`, `clock`, `fallbackCapture`) that the relay keeps in its audit log and
    /// strips before forwarding.
    pub fn param_text(&self, img_base64: String) -> String {
        let mut extra = Map::new();
        extra.insert("recordId".into(), Value::String(self.record_id.clone()));
        extra.insert("location".into(), json(&self.location));
        if let Some(fence) = &self.fence {
            extra.insert("fence".into(), json(fence));
        }
        if let Some(liveness) = &self.liveness {
            extra.insert("liveness".into(), liveness.clone());
        }
        extra.insert("clock".into(), json(&self.clock));
        if self.fallback_capture {
            extra.insert("fallbackCapture".into(), Value::Bool(true));
        }
        let param = SignInParam {
            person_id: self.person_id.clone(),
            kind: Value::String(MOBILE_ATTENDANCE_TYPE.into()),
            bit_type: None,
            qr_code_info: None,
            img: Some(img_base64),
            record_time: self.record_time_ms,
            temperature: None,
            iris_info: None,
            coordinate: Some(Coordinate {
                longitude: self.location.lng,
                latitude: self.location.lat,
            }),
            extra,
        };
        to_json_text(&param)
    }
}

/// A value as JSON (the record's own types always serialise).
fn json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
