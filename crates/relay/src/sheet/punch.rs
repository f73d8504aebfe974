//! One punch: an audited record with what became of it (the ledger, and the out-of-fence
//! request when it is one) and its flags.

use serde::Serialize;
use zj_protocol::phone_api::OutOfFenceReason;

use super::flags::{Flag, FlagSet, PunchFacts, LATE_AFTER_MS};

/// A record as the store reads it for a sheet: the audit facts, the ledger and the request.
#[derive(Debug, Clone, PartialEq)]
pub struct PunchRow {
    /// The phone's `accessId` (`mr860:<deviceId>` for a terminal).
    pub access_id: String,
    /// The record's `recordId`.
    pub record_id: String,
    /// The person clocked in.
    pub person_id: String,
    /// `recordTime`: when the worker clocked in (and the phone saved it), epoch ms.
    pub record_time: i64,
    /// When the relay first received it, epoch ms.
    pub received_ms: i64,
    /// What its extras said, read at admission.
    pub facts: PunchFacts,
    /// The ledger's state (`sending`, `retry`, `done`, `refused`); `None` without a row.
    pub ledger_state: Option<String>,
    /// When the ledger row last changed, epoch ms (for `done`: when the platform accepted it).
    pub ledger_updated_ms: Option<i64>,
    /// The out-of-fence request of the record, when it is one.
    pub request: Option<RequestRef>,
}

/// An out-of-fence request as a punch shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRef {
    /// The request's id.
    pub id: i64,
    /// `pending`, `approved` or `rejected`.
    pub state: String,
    /// The reason's code (`supplier`, …).
    pub reason: String,
    /// The reason in Chinese.
    pub reason_label: String,
    /// The worker's note.
    pub note: String,
}

impl RequestRef {
    /// A request with its reason's label.
    pub fn new(id: i64, state: String, reason: String, note: String) -> Self {
        let reason_label = serde_json::from_value::<OutOfFenceReason>(reason.clone().into())
            .map_or_else(|_| reason.clone(), |r| r.label_zh().to_owned());
        Self {
            id,
            state,
            reason,
            reason_label,
            note,
        }
    }
}

/// Where a punch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PunchState {
    /// The platform accepted it.
    Done,
    /// Being forwarded now.
    Sending,
    /// Not final: the phone (or the relay's forwarder) sends it again.
    Retry,
    /// Refused for good (by the relay's checks or the platform): not a punch.
    Refused,
    /// An out-of-fence request waiting for a manager.
    Pending,
    /// An approved request not yet accepted by the platform.
    Approved,
    /// A rejected request: not a punch.
    Rejected,
}

impl PunchState {
    /// Whether the record counts as a punch on the sheet (refused records and rejected
    /// requests do not).
    pub fn counts(self) -> bool {
        !matches!(self, PunchState::Refused | PunchState::Rejected)
    }

    /// As a manager reads it in an export.
    pub fn label_zh(self) -> &'static str {
        match self {
            PunchState::Done => "已送达平台",
            PunchState::Sending => "发送中",
            PunchState::Retry => "等待重发",
            PunchState::Refused => "已拒绝",
            PunchState::Pending => "外勤待审批",
            PunchState::Approved => "外勤已批准，发送中",
            PunchState::Rejected => "外勤已驳回",
        }
    }

    /// The state of a record from its ledger state and its request's state: a request
    /// decides while it is pending or rejected; an approved one is `approved` until the
    /// platform accepted it (then `done`).
    fn of(ledger: Option<&str>, request: Option<&str>) -> Self {
        match (request, ledger) {
            (Some("pending"), _) => PunchState::Pending,
            (Some("rejected"), _) => PunchState::Rejected,
            (Some(_), Some("done")) | (None, Some("done")) => PunchState::Done,
            (Some(_), Some("refused")) | (None, Some("refused")) => PunchState::Refused,
            (Some(_), _) => PunchState::Approved,
            (None, Some("sending")) => PunchState::Sending,
            (None, _) => PunchState::Retry,
        }
    }
}

/// A punch with its state and flags.
#[derive(Debug, Clone, PartialEq)]
pub struct Punch {
    /// The record as read.
    pub row: PunchRow,
    /// Where it stands.
    pub state: PunchState,
    /// Every flag: the evidence's and those of its state and delivery.
    pub flags: FlagSet,
}

impl Punch {
    /// The punch of `row`: the evidence's flags plus `outsideApproved` / `requestPending`
    /// (its request), `notAtPlatform` (counted but not accepted by the platform yet: sending,
    /// retrying, approved and waiting) and `deliveredLate` (received more than
    /// [`LATE_AFTER_MS`] after `recordTime`).
    pub fn new(row: PunchRow) -> Self {
        let request_state = row.request.as_ref().map(|r| r.state.as_str());
        let state = PunchState::of(row.ledger_state.as_deref(), request_state);
        let mut flags = row.facts.flags;
        flags.set(Flag::OutsideApproved, request_state == Some("approved"));
        flags.set(Flag::RequestPending, state == PunchState::Pending);
        flags.set(
            Flag::NotAtPlatform,
            matches!(
                state,
                PunchState::Sending | PunchState::Retry | PunchState::Approved
            ),
        );
        flags.set(
            Flag::DeliveredLate,
            row.received_ms.saturating_sub(row.record_time) > LATE_AFTER_MS,
        );
        Self { row, state, flags }
    }

    /// When the platform accepted it, epoch ms; `None` until it has.
    pub fn accepted_ms(&self) -> Option<i64> {
        (self.state == PunchState::Done)
            .then_some(self.row.ledger_updated_ms)
            .flatten()
    }
}
