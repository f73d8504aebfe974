//! Signatures (PROTOCOL.md §3): `lowercase_hex(MD5(concatenation))`, with the fields each
//! apicode's rule names, absent fields skipped, and `param` as param′ where the rule says so.
//!
//! The digest is fed piece by piece, so signing a record with a 60 KB photo hashes only the
//! few hundred bytes of param′ and copies nothing.

use md5::{Digest, Md5};

use super::param_prime::{self, ScanError, Stripped};
use super::wire::{Request, RequestRef};
use super::Apicode;

/// The fields of a request that signatures and checks read, borrowed from a TCP [`Request`] or
/// from the HTTP JSON form. `None` and `Some("")` both mean absent.
///
/// [`Request`]: super::wire::Request
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestView<'a> {
    /// `version`, e.g. `v1.0.0`.
    pub version: Option<&'a str>,
    /// Device serial number.
    pub sn: Option<&'a str>,
    /// Session token (every apicode but `C_AUTH`).
    pub token: Option<&'a str>,
    /// Interface identifier as sent.
    pub apicode: Option<&'a str>,
    /// `C_AUTH` only.
    pub access_id: Option<&'a str>,
    /// `C_AUTH` only.
    pub access_key: Option<&'a str>,
    /// `yyyyMMddHHmmss`, commands only.
    pub time_stamp: Option<&'a str>,
    /// Task id, on task requests that carry one.
    pub taskid: Option<&'a str>,
    /// The param JSON text exactly as received.
    pub param: Option<&'a str>,
    /// 32 lowercase hex digits.
    pub sign: Option<&'a str>,
}

/// `None` for an empty field: proto3 cannot tell empty from absent, so neither does a signature.
pub(crate) fn present(field: &str) -> Option<&str> {
    (!field.is_empty()).then_some(field)
}

impl<'a> From<&RequestRef<'a>> for RequestView<'a> {
    fn from(request: &RequestRef<'a>) -> Self {
        Self {
            version: present(request.version),
            sn: present(request.sn),
            token: present(request.token),
            apicode: present(request.apicode),
            access_id: present(request.access_id),
            access_key: present(request.access_key),
            time_stamp: present(request.time_stamp),
            taskid: None,
            param: present(request.param),
            sign: present(request.sign),
        }
    }
}

impl<'a> From<&'a Request> for RequestView<'a> {
    fn from(request: &'a Request) -> Self {
        RequestView::from(&RequestRef {
            version: &request.version,
            sn: &request.sn,
            token: &request.token,
            apicode: &request.apicode,
            access_id: &request.access_id,
            access_key: &request.access_key,
            time_stamp: &request.time_stamp,
            param: &request.param,
            sign: &request.sign,
        })
    }
}

/// An MD5 digest fed one field at a time, skipping absent ones.
#[derive(Default)]
struct SignDigest(Md5);

impl SignDigest {
    fn field(&mut self, value: Option<&str>) -> &mut Self {
        if let Some(text) = value {
            self.0.update(text.as_bytes());
        }
        self
    }

    fn param(&mut self, param_prime: Option<&Stripped<'_>>) -> &mut Self {
        for piece in param_prime.iter().flat_map(|stripped| stripped.pieces()) {
            self.0.update(piece.as_bytes());
        }
        self
    }

    fn finish(&mut self, secret: &str) -> String {
        self.0.update(secret.as_bytes());
        format!("{:x}", std::mem::take(&mut self.0).finalize())
    }
}

/// The signature a request with `apicode` must carry, computed with `secret`.
///
/// Fails only when the param cannot be scanned as a JSON object.
pub fn request_sign(
    apicode: Apicode,
    request: &RequestView<'_>,
    secret: &str,
) -> Result<String, ScanError> {
    let param = param_prime_of(apicode, request.param)?;
    Ok(sign_with_param_prime(
        apicode,
        request,
        param.as_ref(),
        secret,
    ))
}

/// Scans `param` as a JSON object and takes out what `apicode`'s rule leaves out of the
/// signature (PROTOCOL.md §4): the top-level `img` of a `C_SIGN_IN`, each `data[].img` of a
/// `T_POST_DEVICE_PERSON`, nothing for the others. `None` when there is no param.
pub(crate) fn param_prime_of(
    apicode: Apicode,
    param: Option<&str>,
) -> Result<Option<Stripped<'_>>, ScanError> {
    let strip = match apicode {
        Apicode::CSignIn => param_prime::strip_sign_in_img,
        Apicode::TPostDevicePerson => param_prime::strip_person_imgs,
        _ => param_prime::unstripped,
    };
    param.filter(|text| !text.is_empty()).map(strip).transpose()
}

/// The signature of `request` given its param′ (from [`param_prime_of`]), so a receiver scans
/// the param once for both the signature and its own reading.
pub(crate) fn sign_with_param_prime(
    apicode: Apicode,
    request: &RequestView<'_>,
    param_prime: Option<&Stripped<'_>>,
    secret: &str,
) -> String {
    let r = request;
    let mut digest = SignDigest::default();
    digest.field(r.version).field(r.sn);
    match apicode {
        Apicode::CAuth => {
            digest
                .field(r.apicode)
                .field(r.access_id)
                .field(r.access_key)
                .field(r.time_stamp);
        }
        Apicode::CHeartbeat | Apicode::CSignIn => {
            digest.field(r.token).field(r.apicode).field(r.time_stamp);
            digest.param(param_prime);
        }
        Apicode::TGetTasks | Apicode::TUpdateTasksStatus => {
            digest.field(r.token).field(r.apicode);
            digest.param(param_prime);
        }
        Apicode::TSendPerson
        | Apicode::TUpdateDevicePerson
        | Apicode::TDelDevicePerson
        | Apicode::TUpdateDeviceVersion
        | Apicode::TPostDevicePerson => {
            digest.field(r.token).field(r.taskid).field(r.apicode);
            digest.param(param_prime);
        }
        Apicode::TClearDevicePerson => {
            digest.field(r.token).field(r.taskid).field(r.apicode);
        }
    }
    digest.finish(secret)
}

/// The fields of an HTTP task reply that its signature covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyView<'a> {
    /// `version` of the reply.
    pub version: &'a str,
    /// `success` (signed as the text `true` / `false`).
    pub success: bool,
    /// Task id of the request answered, for apicodes that carry one.
    pub taskid: Option<&'a str>,
    /// The `response` object's text exactly as it stands in the body.
    pub response: Option<&'a str>,
}

/// The signature of an HTTP reply to `apicode` (PROTOCOL.md §3, second table). A reply to an
/// unknown apicode (`None`) or a command is signed over version and success only.
pub fn reply_sign(apicode: Option<Apicode>, reply: &ReplyView<'_>, secret: &str) -> String {
    let mut digest = SignDigest::default();
    digest
        .field(Some(reply.version))
        .field(Some(if reply.success { "true" } else { "false" }));
    match apicode {
        Some(Apicode::TGetTasks | Apicode::TUpdateTasksStatus) => {
            digest.field(reply.response);
        }
        Some(Apicode::TSendPerson | Apicode::TUpdateDevicePerson | Apicode::TPostDevicePerson) => {
            digest.field(reply.taskid).field(reply.response);
        }
        Some(
            Apicode::TDelDevicePerson | Apicode::TClearDevicePerson | Apicode::TUpdateDeviceVersion,
        ) => {
            digest.field(reply.taskid);
        }
        Some(Apicode::CAuth | Apicode::CHeartbeat | Apicode::CSignIn) | None => {}
    }
    digest.finish(secret)
}

/// Compares a received signature with the expected one in time independent of where they
/// differ. Only the exact 32 lowercase hex digits match.
pub fn signatures_match(received: &str, expected: &str) -> bool {
    received.len() == expected.len()
        && received
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}
