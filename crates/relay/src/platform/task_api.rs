//! The relay as a device on the platform's HTTP task API (PROTOCOL.md §5): signed requests,
//! and every reply's signature checked before anything in it is used. Also the face photo
//! fetch, capped in size and time.

use std::time::Duration;

use tracing::error;

use zj_protocol::json_form::{task_request_body, JsonReply, ReplyError};
use zj_protocol::{Apicode, ErrorCode};

/// Why a task call has no usable answer, split by what the task should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CallError {
    /// Worth trying again later (network, timeout, token expired, platform busy): the task
    /// stays in progress.
    #[error("task API call failed for now: {0}")]
    Transient(String),
    /// The task cannot succeed: a bad reply signature, a refusal of the request itself, a
    /// reply that does not fit. The task fails (status 2).
    #[error("task API call failed: {0}")]
    Failed(String),
}

/// A client of one platform's task URL, for one sn with the vendor's secret.
#[derive(Clone)]
pub(crate) struct TaskApi {
    /// The task URL, e.g. `http://127.0.0.1:9701/api/device`.
    pub url: String,
    /// The sn the relay is, to the platform.
    pub sn: String,
    /// The vendor `accessSecret`.
    pub secret: String,
    /// The HTTP client (timeouts set by [`TaskApi::client`]).
    pub client: reqwest::Client,
}

impl TaskApi {
    /// An HTTP client whose requests give up after `timeout`.
    pub(crate) fn client(timeout: Duration) -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_proxy()
            .build()
            .expect("an HTTP client without TLS builds")
    }

    /// Calls `apicode` with the session `token`, `taskid` and `param` (JSON object text) and
    /// returns the reply's `response` text once its signature verifies.
    pub(crate) async fn call(
        &self,
        token: &str,
        apicode: Apicode,
        taskid: Option<&str>,
        param: Option<&str>,
    ) -> Result<String, CallError> {
        let body = task_request_body(&self.sn, token, apicode, taskid, param, &self.secret);
        let response = (self.client.post(&self.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| CallError::Transient(format!("{apicode}: {e}")))?;
        let bytes = (response.bytes().await)
            .map_err(|e| CallError::Transient(format!("{apicode}: reading the reply: {e}")))?;
        let reply = JsonReply::parse(&bytes).map_err(|e| CallError::Failed(e.to_string()))?;
        match reply.verify(apicode, &self.secret) {
            Ok(response) => Ok(response.to_owned()),
            Err(ReplyError::BadSignature) => {
                error!(
                    sn = %self.sn, %apicode, ?taskid,
                    "the platform's reply signature does not verify: the reply is ignored and \
                     the task fails; check the vendor accessSecret and the task URL"
                );
                Err(CallError::Failed(format!(
                    "{apicode}: the reply's signature does not verify"
                )))
            }
            Err(ReplyError::Refused(refusal)) => {
                let transient = matches!(
                    refusal.code(),
                    Some(ErrorCode::TokenUnknown | ErrorCode::SystemError)
                );
                let text = format!("{apicode}: the platform refused: {refusal}");
                Err(if transient {
                    CallError::Transient(text)
                } else {
                    CallError::Failed(text)
                })
            }
            Err(other) => Err(CallError::Failed(format!("{apicode}: {other}"))),
        }
    }
}

/// Why a face photo was not registered; its `errCode` in `failedFaces`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PhotoError {
    /// No URL, an unreachable server or a status other than 200.
    #[error("the photo could not be fetched")]
    Unreachable,
    /// Larger than the cap.
    #[error("the photo is larger than the cap")]
    TooLarge,
    /// Slower than the timeout.
    #[error("the photo took longer than the timeout")]
    TimedOut,
    /// Not a JPEG or PNG.
    #[error("the photo is not a JPEG or PNG")]
    NotAnImage,
}

impl PhotoError {
    /// The device error code reported in `failedFaces` (the seed's `404_1` style).
    pub(crate) fn err_code(self) -> &'static str {
        match self {
            PhotoError::Unreachable => "404_1",
            PhotoError::TooLarge => "413_1",
            PhotoError::TimedOut => "408_1",
            PhotoError::NotAnImage => "415_1",
        }
    }
}

/// Fetches a photo from `url`: at most `max_bytes`, within `timeout` overall.
pub(crate) async fn fetch_photo(
    client: &reqwest::Client,
    url: &str,
    max_bytes: usize,
    timeout: Duration,
) -> Result<Vec<u8>, PhotoError> {
    let fetch = async {
        let mut response = (client.get(url).send().await).map_err(|e| {
            if e.is_timeout() {
                PhotoError::TimedOut
            } else {
                PhotoError::Unreachable
            }
        })?;
        if !response.status().is_success() {
            return Err(PhotoError::Unreachable);
        }
        if response
            .content_length()
            .is_some_and(|len| len > max_bytes as u64)
        {
            return Err(PhotoError::TooLarge);
        }
        let mut photo = Vec::new();
        while let Some(chunk) = (response.chunk().await).map_err(|_| PhotoError::Unreachable)? {
            if photo.len() + chunk.len() > max_bytes {
                return Err(PhotoError::TooLarge);
            }
            photo.extend_from_slice(&chunk);
        }
        Ok(photo)
    };
    let photo =
        (tokio::time::timeout(timeout, fetch).await).map_err(|_| PhotoError::TimedOut)??;
    let is_jpeg = photo.starts_with(&[0xff, 0xd8, 0xff]);
    let is_png = photo.starts_with(b"\x89PNG\r\n\x1a\n");
    if is_jpeg || is_png {
        Ok(photo)
    } else {
        Err(PhotoError::NotAnImage)
    }
}
