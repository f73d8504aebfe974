//! Out-of-fence requests (外勤) at admission: the record's `outOfFence` member read and held to
//! its rules, the site's approved work areas judged, and a phone's retry of a request answered
//! from what is stored (PROTOCOL.md §9; the gateway decides, the store keeps the request, the
//! forwarder in [`requests`](super::requests) sends approved ones).

use serde::Deserialize;
use serde_json::{Map, Value};
use zj_geofence::{Fix, Verdict};
use zj_phone::record::site::prepare_fence;
use zj_protocol::phone_api::{OutOfFence, RequestState, SiteFence, UncertainPolicy};
use zj_protocol::ProtocolError;

use crate::phone::claims::{refusal, ClaimedPlace};
use crate::sites::MAX_ACCURACY_CAP_M;
use crate::store::requests::RecordRequest;
use crate::store::Tx;
use crate::store::{work_areas, StoreError};

/// The reply of a record held as a request (or approved and not yet at the platform).
pub(crate) const PENDING_REPLY: &str = r#"{"pending":true}"#;
/// The reply of an approved request the platform accepted.
pub(crate) const APPROVED_REPLY: &str = r#"{"pending":false,"state":"approved"}"#;

/// Requests of one phone that may wait for a manager at once. Each keeps its photo, so this
/// bounds what one phone can make the relay store; past it a new request is answered "retry
/// later" (`500_01`) and stays on the phone until a manager decides some.
pub(crate) const MAX_PENDING_PER_PHONE: i64 = 20;

/// What the phone is told when it has [`MAX_PENDING_PER_PHONE`] requests waiting.
pub(crate) const TOO_MANY_PENDING_ZH: &str = "这台手机已有 20 条外勤申请等待审批，\
     本条已保存在手机上，管理员审批后会自动重新提交。请联系管理员尽快审批。";

/// The record's member carrying the request.
const MEMBER: &str = "outOfFence";

/// Why an `outOfFence` member that is not a request is refused, plain Chinese.
const MALFORMED_ZH: &str = "外勤申请的内容无法识别（原因须是供应商/材料场、第二作业区、外出开会、\
     外出办事或其他之一，说明须是文字）。请更新页面后重新打卡并填写外勤申请。";

/// The request a record files: `None` when it carries none; a final refusal (`400_02`) when
/// its `outOfFence` is not one (an unknown reason, a note that is not text) or breaks the
/// rules ([`OutOfFence::problem_zh`]).
pub(crate) fn filed(extra: &Map<String, Value>) -> Result<Option<OutOfFence>, ProtocolError> {
    let Some(value) = extra.get(MEMBER).filter(|value| !value.is_null()) else {
        return Ok(None);
    };
    let filed = OutOfFence::deserialize(value).map_err(|_| refusal(MALFORMED_ZH.into()))?;
    match filed.problem_zh() {
        Some(problem) => Err(refusal(problem.into())),
        None => Ok(Some(filed)),
    }
}

/// The final refusal of a rejected request, with the manager's comment.
pub(crate) fn rejection(comment: &str) -> ProtocolError {
    refusal(format!("外勤申请已被管理员驳回：{comment}"))
}

/// Whether `place` is inside the site's approved work areas in force and the site approves
/// requests there without a manager. Inside means the whole accuracy circle is inside, judged
/// by the same geofence code as the fence (any accuracy up to the largest cap a fence may
/// have: the site's own fence has already held the fix to its cap).
pub(crate) fn auto_approved(
    tx: &Tx<'_>,
    site_id: &str,
    place: &ClaimedPlace,
) -> Result<bool, StoreError> {
    let Some(areas) = work_areas::current(tx, site_id)?.filter(|areas| areas.auto_approve) else {
        return Ok(false);
    };
    let Some(((lng, lat), accuracy_m)) = place.fix() else {
        return Ok(false);
    };
    let as_fence = SiteFence {
        version: areas.version,
        updated_at_ms: areas.updated_at_ms,
        max_accuracy_m: MAX_ACCURACY_CAP_M,
        uncertain_policy: UncertainPolicy::Reject,
        geojson: areas.geojson,
    };
    let Ok(prepared) = prepare_fence(&as_fence) else {
        return Ok(false);
    };
    let check = Fix::new(lng, lat, accuracy_m).and_then(|fix| prepared.check(&fix));
    Ok(check.is_ok_and(|check| check.verdict == Verdict::Inside))
}

/// The answer to a phone's retry of a record that is a request: the platform's final refusal
/// or a rejection (final), success once the platform has it, else pending (the relay's
/// forwarder owns an approved request; a phone's retry never sends it).
pub(crate) fn retry_answer(request: &RecordRequest) -> Result<Option<String>, ProtocolError> {
    let ledger_state = request.ledger.as_ref().map(|(state, ..)| state.as_str());
    match (&request.ledger, request.state) {
        (Some((state, code, message)), _) if state == "refused" => Err(ProtocolError {
            errorcode: code.clone().unwrap_or_default(),
            errormsg: message.clone().unwrap_or_default(),
        }),
        (_, RequestState::Rejected) => Err(rejection(&request.comment)),
        (_, RequestState::Approved) if ledger_state == Some("done") => {
            Ok(Some(APPROVED_REPLY.into()))
        }
        _ => Ok(Some(PENDING_REPLY.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn extra(value: Value) -> Map<String, Value> {
        let mut extra = Map::new();
        extra.insert(MEMBER.into(), value);
        extra
    }

    #[test]
    fn a_request_is_read_and_held_to_its_rules() {
        let good = filed(&extra(json!({"reason": "meeting", "note": "甲方开会"})));
        assert_eq!(good.unwrap().unwrap().reason.as_str(), "meeting");
        assert_eq!(filed(&Map::new()), Ok(None));
        assert_eq!(filed(&extra(Value::Null)), Ok(None));
        for bad in [
            json!({"reason": "holiday"}),
            json!({"reason": "other", "note": 5}),
            json!("meeting"),
            json!({"reason": "other", "note": "  "}),
            json!({"reason": "errand", "note": "字".repeat(201)}),
        ] {
            let refused = filed(&extra(bad.clone())).expect_err("refused");
            assert_eq!(refused.errorcode, "400_02", "{bad}");
            assert!(refused.errormsg.contains("外勤"), "{bad}: {refused:?}");
        }
    }

    fn stored(state: RequestState, ledger: Option<(&str, Option<&str>)>) -> RecordRequest {
        RecordRequest {
            state,
            comment: "不在工地".into(),
            ledger: ledger.map(|(state, code)| {
                let message = code.map(|_| "refused".to_owned());
                (state.to_owned(), code.map(str::to_owned), message)
            }),
        }
    }

    #[test]
    fn a_retry_is_answered_from_what_is_stored() {
        let pending = Ok(Some(PENDING_REPLY.to_owned()));
        let retry = Some(("retry", None));
        assert_eq!(retry_answer(&stored(RequestState::Pending, retry)), pending);
        assert_eq!(
            retry_answer(&stored(RequestState::Approved, retry)),
            pending
        );
        let sending = Some(("sending", None));
        assert_eq!(
            retry_answer(&stored(RequestState::Approved, sending)),
            pending
        );
        let done = Some(("done", None));
        let approved = Ok(Some(APPROVED_REPLY.to_owned()));
        assert_eq!(
            retry_answer(&stored(RequestState::Approved, done)),
            approved
        );
        let rejected = retry_answer(&stored(RequestState::Rejected, retry)).unwrap_err();
        assert_eq!(rejected.errormsg, "外勤申请已被管理员驳回：不在工地");
        let refused = Some(("refused", Some("403_01")));
        let platform = retry_answer(&stored(RequestState::Approved, refused)).unwrap_err();
        assert_eq!(platform.errorcode, "403_01");
    }
}
