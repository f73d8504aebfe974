//! The frames a phone signs with its own credentials (PROTOCOL.md §9).

use zj_protocol::phone_api::PhoneCredentials;
use zj_protocol::wire::Request;
use zj_protocol::{signed_command, Apicode, Signer, Unsignable};

/// Why a frame could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The clock reads a time that has no `timeStamp` (before 1970 or after 9999).
    #[error("手机时间不正确（{0}），请校准时间后重试。")]
    Clock(i64),
    /// The param is not a JSON object (a bug in the caller).
    #[error("记录内容无法签名：{0}")]
    Param(String),
}

/// A command frame of the phone signed per §3 at `at_ms` (relay-corrected epoch
/// milliseconds). `C_AUTH` carries the `accessId` and `accessKey` and no token; the others
/// carry `token`.
pub fn signed_frame(
    credentials: &PhoneCredentials,
    token: &str,
    apicode: Apicode,
    param: String,
    at_ms: i64,
) -> Result<Request, FrameError> {
    let signer = Signer {
        sn: &credentials.sn,
        access_id: &credentials.access_id,
        access_key: &credentials.access_key,
        access_secret: &credentials.access_secret,
    };
    signed_command(&signer, token, apicode, param, at_ms).map_err(|unsigned| {
        match unsigned.reason {
            Unsignable::Clock(at_ms) => FrameError::Clock(at_ms),
            Unsignable::Param(reason) => FrameError::Param(reason),
        }
    })
}
