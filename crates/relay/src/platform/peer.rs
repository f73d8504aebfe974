//! Relay to relay: a sign-in that reaches a relay which does not hold its sn's lease goes to
//! the holder, which sends it on its platform session and answers with the platform's answer.
//! Requests are signed with HMAC-SHA256 under the vendor secret every relay of the cluster
//! already has, over a timestamp and the body, and refused when older than
//! [`MAX_AGE_MS`]: nobody without the secret can make a relay send anything to the platform.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::time::Duration;

use zj_protocol::{Apicode, ProtocolError};

use super::link::ForwardError;

/// The peer endpoint's path.
pub const FORWARD_PATH: &str = "/internal/v1/forward";
/// The header with the sender's clock, Unix epoch milliseconds.
pub const TIME_HEADER: &str = "x-relay-time";
/// The header with the request's signature (hex).
pub const SIGNATURE_HEADER: &str = "x-relay-signature";
/// How far a peer request's time may be from the receiver's clock, in milliseconds.
pub const MAX_AGE_MS: i64 = 30_000;

/// What a relay asks the holder of `sn`'s lease to send.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PeerForward {
    /// The platform sn.
    pub sn: String,
    /// The command (`C_SIGN_IN`).
    pub apicode: String,
    /// Its param JSON text.
    pub param: String,
}

/// The holder's answer: the platform's response text, or why there is none.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum PeerAnswer {
    /// The platform accepted it; its response text.
    Accepted {
        /// The `response` text.
        response: String,
    },
    /// The platform refused it.
    Refused {
        /// The platform's code.
        errorcode: String,
        /// The platform's message.
        errormsg: String,
    },
    /// Not sent: the holder's queue is full.
    Busy,
    /// Not sent: the holder has no session (or no longer holds the lease).
    Unreachable,
    /// Sent, and the session broke before the reply: the platform may have it.
    LinkLost,
}

impl PeerAnswer {
    /// The answer to a forward's result.
    pub fn of(result: Result<String, ForwardError>) -> Self {
        match result {
            Ok(response) => PeerAnswer::Accepted { response },
            Err(ForwardError::Refused(error)) => PeerAnswer::Refused {
                errorcode: error.errorcode,
                errormsg: error.errormsg,
            },
            Err(ForwardError::Busy) => PeerAnswer::Busy,
            Err(ForwardError::Unreachable | ForwardError::Stopped) => PeerAnswer::Unreachable,
            Err(ForwardError::LinkLost) => PeerAnswer::LinkLost,
        }
    }

    fn into_result(self) -> Result<String, ForwardError> {
        match self {
            PeerAnswer::Accepted { response } => Ok(response),
            PeerAnswer::Refused {
                errorcode,
                errormsg,
            } => Err(ForwardError::Refused(ProtocolError {
                errorcode,
                errormsg,
            })),
            PeerAnswer::Busy => Err(ForwardError::Busy),
            PeerAnswer::Unreachable => Err(ForwardError::Unreachable),
            PeerAnswer::LinkLost => Err(ForwardError::LinkLost),
        }
    }
}

/// The MAC of a peer request sent at `time_ms` with `body`, before it is finalized.
fn mac(secret: &str, time_ms: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(b"zj-relay-forward\n");
    mac.update(time_ms.to_string().as_bytes());
    mac.update(b"\n");
    mac.update(body);
    mac
}

/// The signature of a peer request sent at `time_ms` with `body`, as hex.
pub fn signature(secret: &str, time_ms: i64, body: &[u8]) -> String {
    let digest = mac(secret, time_ms, body).finalize().into_bytes();
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Whether a peer request's time and signature are right at `now_ms` (compared in constant
/// time).
pub fn verify(secret: &str, time_ms: i64, signature_hex: &str, body: &[u8], now_ms: i64) -> bool {
    if now_ms.abs_diff(time_ms) > MAX_AGE_MS.unsigned_abs() {
        return false;
    }
    let Some(given) = decode_hex(signature_hex) else {
        return false;
    };
    mac(secret, time_ms, body).verify_slice(&given).is_ok()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

/// Sends records to the holders of other sns' leases.
#[derive(Clone)]
pub(crate) struct PeerClient {
    client: reqwest::Client,
    secret: String,
}

impl PeerClient {
    /// A client signing with `secret` (the vendor secret) and giving up on a holder after
    /// `timeout` (longer than the platform's reply time, which bounds the holder's answer).
    pub(crate) fn new(secret: String, timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_default();
        Self { client, secret }
    }

    /// Whether a peer request sent at `time_ms` with `body` is signed with this cluster's
    /// secret and recent (see [`verify`]).
    pub(crate) fn verifies(&self, time_ms: i64, signature: &str, body: &[u8], now_ms: i64) -> bool {
        verify(&self.secret, time_ms, signature, body, now_ms)
    }

    /// Asks the relay at `url` (the holder of `sn`'s lease) to send `param` as `apicode`. A
    /// holder that cannot be reached is [`ForwardError::Unreachable`] (nothing sent); one that
    /// stops answering after the request went out is [`ForwardError::LinkLost`] (it may have
    /// sent it).
    pub(crate) async fn forward(
        &self,
        url: &str,
        sn: &str,
        apicode: Apicode,
        param: String,
        now_ms: i64,
    ) -> Result<String, ForwardError> {
        let request = PeerForward {
            sn: sn.to_owned(),
            apicode: apicode.as_str().to_owned(),
            param,
        };
        let body = serde_json::to_vec(&request).map_err(|_| ForwardError::Unreachable)?;
        let sent = self
            .client
            .post(format!("{}{FORWARD_PATH}", url.trim_end_matches('/')))
            .header(TIME_HEADER, now_ms.to_string())
            .header(SIGNATURE_HEADER, signature(&self.secret, now_ms, &body))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) if response.status().is_success() => response,
            Ok(response) => {
                tracing::warn!(url, status = %response.status(), "the lease holder refused the forward (is the vendor secret the same on every relay?)");
                return Err(ForwardError::Unreachable);
            }
            Err(error) if error.is_connect() => return Err(ForwardError::Unreachable),
            Err(_) => return Err(ForwardError::LinkLost),
        };
        match response.json::<PeerAnswer>().await {
            Ok(answer) => answer.into_result(),
            Err(_) => Err(ForwardError::LinkLost),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_for_its_body_and_time_only() {
        let body = br#"{"sn":"a"}"#;
        let signed = signature("secret", 1_000, body);
        assert!(verify("secret", 1_000, &signed, body, 1_000 + MAX_AGE_MS));
        assert!(!verify("secret", 1_000, &signed, body, 1_001 + MAX_AGE_MS));
        assert!(!verify("other", 1_000, &signed, body, 1_000));
        assert!(!verify("secret", 1_001, &signed, body, 1_000));
        assert!(!verify("secret", 1_000, &signed, br#"{"sn":"b"}"#, 1_000));
        assert!(!verify("secret", 1_000, "zz", body, 1_000));
        assert!(!verify("secret", 1_000, &signed[..63], body, 1_000));
        assert!(
            !verify("secret", i64::MIN, &signed, body, 1_000),
            "no overflow"
        );
    }
}
