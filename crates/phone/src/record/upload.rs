//! What the relay's answer to a sign-in means for the record and for the sender.

use serde_json::Value;

use super::outbox::Settled;
use zj_protocol::{ErrorCode, ProtocolError};

/// What to do after one send of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Settle the record.
    Settle(Settled),
    /// The relay no longer knows the token (`401_01`): authenticate, then send again at once.
    Reauthenticate,
    /// The `timeStamp` was outside the window (`400_05`): the clock is off. Learn the relay's
    /// clock from a heartbeat, re-sign, and send again at once.
    Resynchronise,
    /// The phone's credentials no longer work (`401_02` revoked or unknown, `400_04` bad
    /// signature): keep every record and stop sending until the phone is enrolled again.
    Halt {
        /// For the worker (Chinese).
        reason: String,
    },
}

/// The disposition of a send that got an answer: `Ok` with the success's `response` (its JSON
/// text), or the refusal. A success whose response says `"pending": true` is an out-of-fence
/// request the relay keeps for a manager (PROTOCOL.md §9): delivered as a request.
pub fn dispose(answer: Result<&str, &ProtocolError>) -> Disposition {
    let refusal = match answer {
        Ok(response) if is_pending_request(response) => {
            return Disposition::Settle(Settled::Requested)
        }
        Ok(_) => return Disposition::Settle(Settled::Delivered),
        Err(refusal) => refusal,
    };
    let described = format!("{}（{}）", refusal.errormsg, refusal.errorcode);
    match refusal.code() {
        Some(ErrorCode::TokenUnknown) => Disposition::Reauthenticate,
        Some(ErrorCode::TimestampWindow) => Disposition::Resynchronise,
        Some(ErrorCode::CredentialsRevoked | ErrorCode::SignMismatch) => Disposition::Halt {
            reason: format!("本机的打卡凭证已失效，请联系管理员重新登记。{described}"),
        },
        Some(code) if code.refuses_the_record() => Disposition::Settle(Settled::Failed {
            reason: format!("平台拒收了这条记录：{described}"),
        }),
        _ => Disposition::Settle(Settled::Retry {
            reason: format!("平台暂时无法接收，稍后自动重试：{described}"),
        }),
    }
}

/// The disposition of a send that got no answer (network down, relay unreachable, timeout):
/// the record is kept and tried again later.
pub fn dispose_link_failure(detail: &str) -> Disposition {
    Disposition::Settle(Settled::Retry {
        reason: format!("网络不通，记录已保存在手机上，恢复网络后自动上传。（{detail}）"),
    })
}

/// Whether a success's `response` (JSON text) says the relay kept the record as a pending
/// out-of-fence request (`{"pending": true}`); anything else, even unreadable, is a delivery.
fn is_pending_request(response: &str) -> bool {
    serde_json::from_str::<Value>(response)
        .is_ok_and(|response| response.get("pending").and_then(Value::as_bool) == Some(true))
}
