//! The phone's own credentials and the frames it signs with them (PROTOCOL.md §9).

use serde::{Deserialize, Serialize};

use zj_protocol::sign::{request_sign, RequestView};
use zj_protocol::time::format_timestamp;
use zj_protocol::wire::Request;
use zj_protocol::{Apicode, PROTOCOL_VERSION};

/// What enrollment gives a phone: its login on the phone leg. The secret is the phone's own,
/// never the vendor's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneCredentials {
    /// The sn the phone uses on the phone leg.
    pub sn: String,
    /// The phone's `accessId`.
    pub access_id: String,
    /// The phone's `accessKey`.
    pub access_key: String,
    /// The phone's `accessSecret`: keys its signatures.
    pub access_secret: String,
}

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

impl PhoneCredentials {
    /// A command frame signed per §3 at `at_ms` (relay-corrected epoch milliseconds). `C_AUTH`
    /// carries the `accessId` and `accessKey` and no token; the others carry `token`.
    pub fn signed_request(
        &self,
        token: &str,
        apicode: Apicode,
        param: String,
        at_ms: i64,
    ) -> Result<Request, FrameError> {
        let is_auth = apicode == Apicode::CAuth;
        let owned_if = |condition: bool, text: &str| {
            if condition {
                text.to_owned()
            } else {
                String::new()
            }
        };
        let mut request = Request {
            version: PROTOCOL_VERSION.to_owned(),
            sn: self.sn.clone(),
            token: owned_if(!is_auth, token),
            apicode: apicode.as_str().to_owned(),
            access_id: owned_if(is_auth, &self.access_id),
            access_key: owned_if(is_auth, &self.access_key),
            time_stamp: format_timestamp(at_ms).ok_or(FrameError::Clock(at_ms))?,
            param,
            sign: String::new(),
        };
        request.sign = request_sign(apicode, &RequestView::from(&request), &self.access_secret)
            .map_err(|error| FrameError::Param(error.to_string()))?;
        Ok(request)
    }
}
