//! WeChat's JS-SDK: the `wx.config` signature of a page, from the official account's
//! `jsapi_ticket`, so `wx.getLocation` (GCJ-02) works in WeChat's web-view.
//!
//! WeChat's documented algorithm: the lower-case hex SHA-1 of
//! `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`, with the page's URL as the page has it,
//! without its `#fragment`. The ticket comes from an access token (`GET /cgi-bin/token` with
//! the AppID and AppSecret), and both are cached until shortly before they expire, as WeChat
//! asks (each has a small daily quota): one fetch at a time, shared by every phone. A token
//! WeChat calls invalid or expired is fetched again once. The AppSecret and the token never
//! leave the relay: not in replies, not in logs (errors are logged without their URL).

use std::time::{Duration, Instant};

use rand::distr::{Alphanumeric, SampleString};
use serde::Deserialize;
use sha1::{Digest, Sha1};
use tokio::sync::Mutex;
use tracing::warn;

use crate::config::Secret;

/// How long before WeChat's `expires_in` a token or ticket is fetched again; one that lives
/// no longer than this is used for the call at hand only.
const RENEW_MARGIN: Duration = Duration::from_secs(300);

/// How long one call to WeChat's API may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// WeChat's error codes that mean the access token is invalid or expired.
const TOKEN_INVALID: &[i64] = &[40001, 40014, 42001];

/// A page's `wx.config` arguments (camelCase as the JS-SDK takes them).
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JsapiConfig {
    /// The official account's AppID.
    pub app_id: String,
    /// Seconds since 1970 when signed.
    pub timestamp: i64,
    /// A random string, part of what is signed.
    pub nonce_str: String,
    /// The lower-case hex SHA-1 signature.
    pub signature: String,
}

/// Why a page could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum WechatError {
    /// WeChat answered an error code (`errcode`, `errmsg`).
    #[error("WeChat answered errcode {code}: {message}")]
    Refused {
        /// WeChat's `errcode`.
        code: i64,
        /// WeChat's `errmsg`.
        message: String,
    },
    /// WeChat could not be reached, or its answer could not be read.
    #[error("WeChat's API could not be reached: {0}")]
    Unreachable(String),
}

/// A token or ticket and when to fetch it again.
#[derive(Debug, Clone)]
struct Expiring {
    value: String,
    renew_at: Instant,
}

impl Expiring {
    /// `value` that WeChat says lasts `expires_in` seconds from `now`.
    fn new(value: String, expires_in: u64, now: Instant) -> Self {
        let lifetime = Duration::from_secs(expires_in);
        Self {
            value,
            renew_at: now + lifetime.saturating_sub(RENEW_MARGIN),
        }
    }

    /// The value while it is not yet due for renewal.
    fn fresh(&self, now: Instant) -> Option<&str> {
        (now < self.renew_at).then_some(self.value.as_str())
    }
}

/// What is cached: the access token and the `jsapi_ticket`.
#[derive(Debug, Default)]
struct Cached {
    token: Option<Expiring>,
    ticket: Option<Expiring>,
}

/// One official account's JS-SDK signer.
pub(crate) struct Wechat {
    app_id: String,
    app_secret: Secret,
    api_base: String,
    client: reqwest::Client,
    /// Held while fetching, so concurrent callers wait for one fetch and share it.
    cached: Mutex<Cached>,
}

/// WeChat's answer to both calls: the value, or an error code.
#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    access_token: Option<String>,
    ticket: Option<String>,
    #[serde(default)]
    expires_in: u64,
}

impl Wechat {
    /// A signer for the account `app_id` with `app_secret`, calling WeChat's API at
    /// `api_base` (e.g. `https://api.weixin.qq.com`).
    pub(crate) fn new(app_id: String, app_secret: Secret, api_base: &str) -> Self {
        let client = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .no_proxy()
            .build()
            .expect("an HTTP client with rustls");
        Self {
            app_id,
            app_secret,
            api_base: api_base.trim_end_matches('/').to_owned(),
            client,
            cached: Mutex::new(Cached::default()),
        }
    }

    /// The `wx.config` arguments for the page at `url` (its `#fragment`, if any, is dropped),
    /// signed at `timestamp` (seconds since 1970).
    pub(crate) async fn config_for(
        &self,
        url: &str,
        timestamp: i64,
    ) -> Result<JsapiConfig, WechatError> {
        let ticket = self.jsapi_ticket().await?;
        let nonce_str = Alphanumeric.sample_string(&mut rand::rng(), 16);
        Ok(JsapiConfig {
            app_id: self.app_id.clone(),
            timestamp,
            signature: signature(&ticket, &nonce_str, timestamp, url),
            nonce_str,
        })
    }

    /// The cached `jsapi_ticket`, fetched (with a token, fetched too when needed) when it is
    /// missing or due; a token WeChat calls invalid is fetched again once.
    async fn jsapi_ticket(&self) -> Result<String, WechatError> {
        let mut cached = self.cached.lock().await;
        if let Some(ticket) = cached.ticket.as_ref().and_then(|t| t.fresh(Instant::now())) {
            return Ok(ticket.to_owned());
        }
        let token = self.token(&mut cached).await?;
        let ticket = match self.fetch_ticket(&token).await {
            Err(WechatError::Refused { code, .. }) if TOKEN_INVALID.contains(&code) => {
                cached.token = None;
                let token = self.token(&mut cached).await?;
                self.fetch_ticket(&token).await?
            }
            other => other?,
        };
        let value = ticket.value.clone();
        cached.ticket = Some(ticket);
        Ok(value)
    }

    /// The cached access token, fetched when missing or due.
    async fn token(&self, cached: &mut Cached) -> Result<String, WechatError> {
        if let Some(token) = cached.token.as_ref().and_then(|t| t.fresh(Instant::now())) {
            return Ok(token.to_owned());
        }
        let url = format!("{}/cgi-bin/token", self.api_base);
        let query = [
            ("grant_type", "client_credential"),
            ("appid", self.app_id.as_str()),
            ("secret", self.app_secret.expose()),
        ];
        let answer = self.call(&url, &query).await?;
        let token = Expiring::new(
            answer.access_token.ok_or_else(|| missing("access_token"))?,
            answer.expires_in,
            Instant::now(),
        );
        let value = token.value.clone();
        cached.token = Some(token);
        Ok(value)
    }

    /// A fresh `jsapi_ticket` with `token`.
    async fn fetch_ticket(&self, token: &str) -> Result<Expiring, WechatError> {
        let url = format!("{}/cgi-bin/ticket/getticket", self.api_base);
        let answer = (self.call(&url, &[("access_token", token), ("type", "jsapi")])).await?;
        let ticket = answer.ticket.ok_or_else(|| missing("ticket"))?;
        Ok(Expiring::new(ticket, answer.expires_in, Instant::now()))
    }

    /// `GET url?query`, WeChat's answer or its error code. Failures are logged without the
    /// URL, which holds the secret or the token.
    async fn call(&self, url: &str, query: &[(&str, &str)]) -> Result<Answer, WechatError> {
        let mut url = reqwest::Url::parse(url)
            .map_err(|_| WechatError::Unreachable("wechat.api_base is not a URL".into()))?;
        url.query_pairs_mut().extend_pairs(query);
        let answer = match self.client.get(url).send().await {
            Ok(response) => response.json::<Answer>().await,
            Err(error) => Err(error),
        };
        let answer = answer.map_err(|error| {
            let error = error.without_url();
            warn!(%error, "WeChat's API could not be reached");
            WechatError::Unreachable(error.to_string())
        })?;
        if answer.errcode != 0 {
            warn!(
                errcode = answer.errcode,
                errmsg = %answer.errmsg,
                "WeChat's API refused a call"
            );
            return Err(WechatError::Refused {
                code: answer.errcode,
                message: answer.errmsg,
            });
        }
        Ok(answer)
    }
}

/// An answer without the member it should have.
fn missing(member: &str) -> WechatError {
    WechatError::Unreachable(format!("WeChat's answer has no {member}"))
}

/// WeChat's JS-SDK signature: lower-case hex SHA-1 of
/// `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`, the URL without its `#fragment`.
pub fn signature(ticket: &str, nonce_str: &str, timestamp: i64, url: &str) -> String {
    let url = url.split('#').next().unwrap_or_default();
    let signed =
        format!("jsapi_ticket={ticket}&noncestr={nonce_str}&timestamp={timestamp}&url={url}");
    Sha1::digest(signed.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
