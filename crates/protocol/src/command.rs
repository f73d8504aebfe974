//! Building a command frame: the one function that stamps and signs every command a device
//! sends (the device session, the phone's frames, the test helpers and the load generator).

use super::sign::{request_sign, RequestView};
use super::time::format_timestamp;
use super::wire::Request;
use super::{Apicode, PROTOCOL_VERSION};

/// Who sends a command: the device's sn and its credential (borrowed, so a caller keeps them
/// however it likes).
#[derive(Debug, Clone, Copy)]
pub struct Signer<'a> {
    /// The device's sn.
    pub sn: &'a str,
    /// Its `accessId` (carried by `C_AUTH` only).
    pub access_id: &'a str,
    /// Its `accessKey` (carried by `C_AUTH` only).
    pub access_key: &'a str,
    /// Its `accessSecret`: keys the signature, never sent.
    pub access_secret: &'a str,
}

/// Why a command could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsignable {
    /// The clock reads a time that has no `timeStamp` (before 1970 or after 9999), epoch ms.
    #[error("the time {0} ms has no timeStamp")]
    Clock(i64),
    /// The param is not a JSON object, so §4's param′ and the §3 sign cannot be taken.
    #[error("the param cannot be signed: {0}")]
    Param(String),
}

/// A command that could not be signed: the frame as far as it was built (no `sign`; no
/// `timeStamp` when the clock was the trouble), and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Unsigned {
    /// The frame without its sign (boxed: a frame is large beside a reason).
    pub request: Box<Request>,
    /// Why.
    pub reason: Unsignable,
}

/// A command frame (PROTOCOL.md §2) from `signer`, stamped `at_ms` (epoch milliseconds, shown
/// as Beijing time) and signed per §3: `C_AUTH` carries the `accessId` and `accessKey` and no
/// token; every other command carries `token`.
pub fn signed_command(
    signer: &Signer<'_>,
    token: &str,
    apicode: Apicode,
    param: String,
    at_ms: i64,
) -> Result<Request, Unsigned> {
    let is_auth = apicode == Apicode::CAuth;
    let owned_if = |present: bool, text: &str| {
        if present {
            text.to_owned()
        } else {
            String::new()
        }
    };
    let time_stamp = format_timestamp(at_ms);
    let mut request = Request {
        version: PROTOCOL_VERSION.to_owned(),
        sn: signer.sn.to_owned(),
        token: owned_if(!is_auth, token),
        apicode: apicode.as_str().to_owned(),
        access_id: owned_if(is_auth, signer.access_id),
        access_key: owned_if(is_auth, signer.access_key),
        time_stamp: time_stamp.clone().unwrap_or_default(),
        param,
        sign: String::new(),
    };
    if time_stamp.is_none() {
        let reason = Unsignable::Clock(at_ms);
        let request = Box::new(request);
        return Err(Unsigned { request, reason });
    }
    match request_sign(apicode, &RequestView::from(&request), signer.access_secret) {
        Ok(sign) => {
            request.sign = sign;
            Ok(request)
        }
        Err(error) => {
            let reason = Unsignable::Param(error.to_string());
            let request = Box::new(request);
            Err(Unsigned { request, reason })
        }
    }
}
