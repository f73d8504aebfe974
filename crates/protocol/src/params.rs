//! Typed `param` and `response` objects (seed 001 part 2, PROTOCOL.md §5–§7).
//!
//! Field names are the seed's (camelCase). Where the seed and real devices disagree on a type
//! (`type` as `1` or `"1"`, `recordTime` as a number or a numeric string), both are accepted.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::ErrorCode;

/// `C_AUTH` reply: the session token (32 hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AuthReply {
    /// Token for every later request, until 30 idle minutes pass.
    pub token: String,
}

/// `C_HEARTBEAT` param.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatParam {
    /// Device firmware / software version.
    pub device_version: String,
    /// Device's LAN IP address.
    pub device_ip: String,
}

/// `C_HEARTBEAT` reply, and `T_GET_TASKS` param: task ids.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TaskIds {
    /// Unfinished task ids for this device.
    pub taskids: Vec<String>,
}

/// Geographic position of a mobile attendance record.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Coordinate {
    /// Longitude in degrees (east positive).
    pub longitude: f64,
    /// Latitude in degrees (north positive).
    pub latitude: f64,
}

/// QR code information of a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QrCodeInfo {
    /// 1 person code, 2 health code; string or number.
    #[serde(rename = "type")]
    pub kind: Value,
    /// `red`, `yellow` or `green`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_color: Option<String>,
    /// The code's value.
    pub code_value: String,
    /// Administrative division code; nationwide is `100000`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city_code: Option<String>,
}

/// Attendance types of the seed's dictionary (`type`).
pub(crate) const ATTENDANCE_TYPES: [i64; 7] = [1, 2, 4, 8, 16, 32, 64];
/// Compound types of the seed's dictionary (`bitType`).
pub(crate) const BIT_TYPES: [i64; 2] = [3, 13];
/// QR code types of the seed's dictionary (`qrCodeInfo.type`).
pub(crate) const QR_CODE_TYPES: [i64; 2] = [1, 2];
/// The attendance type of a mobile attendance device.
pub const MOBILE_ATTENDANCE_TYPE: &str = "64";

/// `C_SIGN_IN` param: one attendance record (PROTOCOL.md §7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInParam {
    /// The platform's person id.
    pub person_id: String,
    /// Attendance type; `"64"` for mobile attendance. String or number.
    #[serde(rename = "type")]
    pub kind: Value,
    /// Compound type, string or number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bit_type: Option<Value>,
    /// QR code information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code_info: Option<QrCodeInfo>,
    /// Live face photo: base64 JPEG without a `data:` prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub img: Option<String>,
    /// When the person clocked in, Unix epoch milliseconds.
    #[serde(deserialize_with = "epoch_ms")]
    pub record_time: i64,
    /// Body temperature in °C, one decimal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Iris recognition information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iris_info: Option<String>,
    /// Where the record was made (mobile attendance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinate: Option<Coordinate>,
    /// Members outside §7 (the phone's `recordId`, evidence, …), kept so a relay can log and
    /// strip them.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SignInParam {
    /// Checks the seed's dictionaries, in order: `type` (`403_01`), `bitType` (`403_02`),
    /// `qrCodeInfo.type` (`403_03`).
    pub fn check_dictionaries(&self) -> Result<(), ErrorCode> {
        if !in_dictionary(&self.kind, &ATTENDANCE_TYPES) {
            return Err(ErrorCode::AttendanceTypeInvalid);
        }
        if let Some(bit_type) = &self.bit_type {
            if !in_dictionary(bit_type, &BIT_TYPES) {
                return Err(ErrorCode::BitTypeInvalid);
            }
        }
        if let Some(qr) = &self.qr_code_info {
            if !in_dictionary(&qr.kind, &QR_CODE_TYPES) {
                return Err(ErrorCode::QrCodeTypeInvalid);
            }
        }
        Ok(())
    }
}

/// Whether a dictionary value, sent as a number or a string, is one of `allowed`.
fn in_dictionary(value: &Value, allowed: &[i64]) -> bool {
    let number = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    number.is_some_and(|n| allowed.contains(&n))
}

/// Deserialises epoch milliseconds sent as a JSON integer or a string of digits (the seed's
/// own example sends `"1609744974000"`).
fn epoch_ms<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(i64),
        Text(String),
    }
    match Either::deserialize(deserializer)? {
        Either::Number(n) => Ok(n),
        Either::Text(text) => text
            .parse()
            .map_err(|_| serde::de::Error::custom("recordTime is not epoch milliseconds")),
    }
}

/// One task of a `T_GET_TASKS` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskItem {
    /// Task id.
    pub taskid: String,
    /// The task's apicode, e.g. `T_SEND_PERSON`.
    pub apicode: String,
    /// The task's own parameters as JSON text (`{"excludeFields":…}`, a firmware description…);
    /// empty when it has none.
    #[serde(default)]
    pub param: String,
}

/// `T_GET_TASKS` reply.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TaskList {
    /// The tasks asked for.
    pub tasks: Vec<TaskItem>,
}

/// A task's parameters for `T_POST_DEVICE_PERSON`: fields the device must leave out.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostTaskParam {
    /// Comma-separated person fields not to report, e.g. `img,phone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_fields: Option<String>,
}

impl PostTaskParam {
    /// The excluded field names, trimmed, empty ones dropped.
    pub fn excluded(&self) -> impl Iterator<Item = &str> {
        self.exclude_fields
            .iter()
            .flat_map(|list| list.split(','))
            .map(str::trim)
            .filter(|name| !name.is_empty())
    }
}

/// `T_SEND_PERSON` / `T_UPDATE_DEVICE_PERSON` param: which page to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageParam {
    /// Page wanted, from 1.
    pub current_page: u32,
    /// Pages the device believes there are (0 or absent before the first reply).
    #[serde(default)]
    pub total_page: u32,
}

/// One person of a person page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PagePerson {
    /// The platform's person id (empty when the platform left it out or sent `null`).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub person_id: String,
    /// Name (empty when left out or `null`).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub name: String,
    /// URLs of the person's registered face photos.
    #[serde(default)]
    pub img_urls: Vec<String>,
    /// Identity card number, when the platform gives it (not in the seed's table; the relay
    /// uses it to map an MR860 terminal's `cardNumber` to this person).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idcard_no: Option<String>,
}

/// A string member read as empty when it is `null`: one person without an id or a name is
/// then reported as a failed person instead of failing the page, and the task, it came in.
fn null_as_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

/// `T_SEND_PERSON` / `T_UPDATE_DEVICE_PERSON` reply: one page of persons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonPage {
    /// Persons on this page.
    pub data: Vec<PagePerson>,
    /// This page's number, from 1.
    pub current_page: u32,
    /// How many pages there are.
    pub total_page: u32,
}

/// `T_DEL_DEVICE_PERSON` reply: the persons to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonIds {
    /// Person ids.
    pub person_ids: Vec<String>,
}

/// `T_UPDATE_DEVICE_VERSION` param (and that task's parameters): a firmware package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceVersion {
    /// Firmware version.
    pub version: String,
    /// Package size in bytes.
    pub size: u64,
    /// Where the package is downloaded from.
    pub download_url: String,
}

/// `T_POST_DEVICE_PERSON` param: one page of the device's roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostPersonsParam {
    /// This page's number, from 1.
    pub current_page: u32,
    /// How many pages the device sends.
    pub total_page: u32,
    /// The persons, each as the JSON object sent (so excluded fields can be checked).
    pub data: Vec<Map<String, Value>>,
}

/// Task outcome in a status report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum TaskStatus {
    /// 1: done.
    Done,
    /// 2: failed.
    Failed,
    /// 3: not supported by this device.
    Unsupported,
}

impl TryFrom<u8> for TaskStatus {
    type Error = String;
    fn try_from(value: u8) -> Result<Self, String> {
        match value {
            1 => Ok(TaskStatus::Done),
            2 => Ok(TaskStatus::Failed),
            3 => Ok(TaskStatus::Unsupported),
            other => Err(format!("task status {other} is not 1, 2 or 3")),
        }
    }
}

impl From<TaskStatus> for u8 {
    fn from(status: TaskStatus) -> u8 {
        match status {
            TaskStatus::Done => 1,
            TaskStatus::Failed => 2,
            TaskStatus::Unsupported => 3,
        }
    }
}

/// A person or face the device failed to register, with the device's own error code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    /// Person id.
    pub person_id: String,
    /// Device-defined error code, e.g. `404_1`.
    pub err_code: String,
}

/// One task's result in a status report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskResult {
    /// Task id.
    pub taskid: String,
    /// Outcome.
    pub status: TaskStatus,
    /// Persons that could not be registered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_persons: Vec<Failure>,
    /// Faces that could not be registered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_faces: Vec<Failure>,
}

/// `T_UPDATE_TASKS_STATUS` param: task results and the device's roster counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// Results, one per task.
    pub task: Vec<TaskResult>,
    /// Persons on the device.
    pub person_count: u64,
    /// Faces on the device.
    pub face_count: u64,
}

/// Compact JSON text of a param or response value, as senders must write it (PROTOCOL.md §4).
pub fn to_json_text(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("params serialise to JSON: string keys, no NaN")
}
