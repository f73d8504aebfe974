//! What the HTTP edge takes from the configuration beyond the routes: the security headers,
//! the relay's own TLS, and the WeChat JS-SDK signer.

use std::sync::Arc;
use std::time::Duration;

use crate::config::{ConfigError, RelayConfig};
use crate::http::headers::SecurityHeaders;
use crate::http::tls::TlsCerts;
use crate::http::wechat::WechatPages;
use crate::wechat::Wechat;

/// The relay's own TLS: the certificates in service and how long a handshake may take.
#[derive(Clone)]
pub(crate) struct Tls {
    /// The certificate and key, reloadable.
    pub certs: Arc<TlsCerts>,
    /// How long a client may take to finish its handshake.
    pub handshake_timeout: Duration,
}

/// The edge's configuration.
#[derive(Clone)]
pub(crate) struct Edge {
    /// The headers of every response.
    pub security: Arc<SecurityHeaders>,
    /// TLS, when `[tls]` is configured.
    pub tls: Option<Tls>,
    /// The WeChat JS-SDK's signer, when `[wechat]` is configured.
    pub wechat: Arc<WechatPages>,
}

impl Edge {
    /// The edge `config` describes: its certificate files read, its secrets found.
    pub(crate) fn from_config(config: &RelayConfig) -> Result<Edge, ConfigError> {
        let invalid = |error: &dyn std::fmt::Display| ConfigError::Invalid(error.to_string());
        let security =
            SecurityHeaders::new(&config.http.map_tile_hosts).map_err(|e| invalid(&e))?;
        let tls = match &config.tls {
            Some(tls) => Some(Tls {
                certs: Arc::new(
                    TlsCerts::load(&tls.cert_file, &tls.key_file)
                        .map_err(|e| invalid(&format_args!("[tls] {e}")))?,
                ),
                handshake_timeout: Duration::from_secs(tls.handshake_secs),
            }),
            None => None,
        };
        let wechat = match (&config.wechat, config.wechat_secret()?) {
            (Some(wechat), Some(secret)) => WechatPages {
                signer: Some(Wechat::new(wechat.app_id.clone(), secret, &wechat.api_base)),
                page_hosts: (wechat.page_hosts.iter())
                    .map(|host| host.to_ascii_lowercase())
                    .collect(),
            },
            _ => WechatPages::default(),
        };
        Ok(Edge {
            security: Arc::new(security),
            tls,
            wechat: Arc::new(wechat),
        })
    }
}

impl Edge {
    /// Plain HTTP with the default security headers and no WeChat signer.
    pub(crate) fn plain() -> Edge {
        let tiles = crate::config::HttpConfig::default().map_tile_hosts;
        Edge {
            security: Arc::new(SecurityHeaders::new(&tiles).expect("the default tile hosts")),
            tls: None,
            wechat: Arc::new(WechatPages::default()),
        }
    }
}
