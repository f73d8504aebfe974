//! The relay's configuration: one TOML file, every field documented with its default; the
//! binary lets flags and environment variables override it. Secrets come from the
//! environment or a file and are never logged (`Debug` hides them).

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub use crate::config_overrides::Override;
use crate::http::HttpLimits;
use crate::store::{Phone, StoreLocation};

/// A secret: given inline, or read from an environment variable or a file. Never printed.
#[derive(Clone, Deserialize, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A secret with this value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for signing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// The platform the relay forwards to, and the vendor credentials it uses there.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// The platform's TCP command address, `host:port`.
    pub tcp: String,
    /// The platform's HTTP task URL, e.g. `http://127.0.0.1:9701/api/device`.
    pub http: String,
    /// Vendor `accessId`.
    pub access_id: String,
    /// Vendor `accessKey`.
    pub access_key: String,
    /// Vendor `accessSecret` inline (prefer `access_secret_env` or `access_secret_file`).
    #[serde(default)]
    pub access_secret: Option<Secret>,
    /// Name of the environment variable holding the vendor `accessSecret`.
    #[serde(default)]
    pub access_secret_env: Option<String>,
    /// File holding the vendor `accessSecret` (trailing white space ignored).
    #[serde(default)]
    pub access_secret_file: Option<PathBuf>,
    /// The platform sns the relay serves (one platform session each).
    pub sns: Vec<String>,
    /// Seconds between heartbeats (default 30; kept under 60).
    #[serde(default = "defaults::heartbeat_secs")]
    pub heartbeat_secs: u32,
}

/// A phone's credentials as configured (more come from enrollment, in the store).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PhoneConfig {
    /// The sn the phone uses on the phone leg.
    pub sn: String,
    /// The phone's `accessId`.
    pub access_id: String,
    /// The phone's `accessKey`.
    pub access_key: String,
    /// The phone's `accessSecret`.
    pub access_secret: Secret,
    /// The platform sn its records go to.
    pub platform_sn: String,
}

/// Limits, each with its default.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest `/v1/frame` body, bytes (default 2 MiB).
    pub max_body_bytes: usize,
    /// Largest frame on `/v1/link` and from the platform, bytes (default 1 MiB).
    pub max_frame_len: usize,
    /// Most phone WebSocket links at once (default 10,000).
    pub max_links: usize,
    /// Most HTTP connections open at once, WebSocket links included (default 12,000); past
    /// it a connection is answered 503 and closed.
    pub max_connections: usize,
    /// Seconds a phone link may stay silent before it is closed (default 120).
    pub link_idle_secs: u64,
    /// Frames a minute each phone may send on average (default 120).
    pub frames_per_minute: u32,
    /// Frames a phone may send at once (default 30).
    pub frames_burst: u32,
    /// Requests waiting or in flight per platform session before phones hear "busy"
    /// (default 1,024).
    pub platform_queue: usize,
    /// Seconds the platform may take to answer before its link is taken as dead (default 10,
    /// the standard's upload limit).
    pub platform_reply_secs: u64,
    /// Bounds on kept MR860 logs (`[limits.mr860]`).
    pub mr860: Mr860LogLimits,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 2 << 20,
            max_frame_len: zj_protocol::wire::DEFAULT_MAX_FRAME_LEN,
            max_links: 10_000,
            max_connections: 12_000,
            link_idle_secs: 120,
            frames_per_minute: 120,
            frames_burst: 30,
            platform_queue: 1024,
            platform_reply_secs: 10,
            mr860: Mr860LogLimits::default(),
        }
    }
}

impl LimitsConfig {
    /// The limits of the phone API.
    pub fn http(&self) -> HttpLimits {
        HttpLimits {
            max_body_bytes: self.max_body_bytes,
            max_frame_len: self.max_frame_len,
            max_links: self.max_links,
            max_connections: self.max_connections,
            link_idle: Duration::from_secs(self.link_idle_secs),
            frames_per_minute: self.frames_per_minute,
            frames_burst: self.frames_burst,
        }
    }
}

/// How the relay carries out the platform's tasks.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct TasksConfig {
    /// Largest face photo fetched from an `imgUrls` address, bytes (default 2 MiB); a larger
    /// one is a failed face (`413_1`).
    pub photo_max_bytes: usize,
    /// Seconds a photo fetch may take (default 10); longer is a failed face (`408_1`).
    pub photo_timeout_secs: u64,
    /// Seconds a task API call may take (default 10, the standard's upload limit).
    pub call_timeout_secs: u64,
    /// Persons per `T_POST_DEVICE_PERSON` page (default 20).
    pub post_page_size: usize,
}

impl Default for TasksConfig {
    fn default() -> Self {
        Self {
            photo_max_bytes: 2 << 20,
            photo_timeout_secs: 10,
            call_timeout_secs: 10,
            post_page_size: 20,
        }
    }
}

/// The site manager's API (`/v1/manager/...`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ManagerConfig {
    /// The bearer token inline (prefer `token_env` or `token_file`). Without any of the three
    /// the manager API answers 401 to everything.
    pub token: Option<Secret>,
    /// Name of the environment variable holding the token.
    pub token_env: Option<String>,
    /// File holding the token (trailing white space ignored).
    pub token_file: Option<PathBuf>,
    /// Minutes an enrollment code stays valid when the manager gives no `ttlMinutes`
    /// (default 1,440: a day).
    pub enroll_ttl_minutes: u32,
    /// Longest lifetime a manager may give an enrollment code, minutes (default 43,200: 30
    /// days); a longer `ttlMinutes` is refused.
    pub enroll_max_ttl_minutes: u32,
    /// A page session unused this long ends, minutes (default 60).
    pub session_idle_minutes: u32,
    /// A page session ends this long after its login however busy, hours (default 12).
    pub session_max_hours: u32,
    /// Failed logins, manager tokens and enrollment codes from one address (an IPv6 client
    /// by its /64) before it is refused for the rest of the window (default 20).
    pub max_failures_per_address: u32,
    /// Failed logins of one account name, from any address, before its logins are refused
    /// for the rest of the window, even with the right password (default 5).
    pub max_failures_per_account: u32,
    /// The window those failures are counted in and the lock lasts, minutes (default 15).
    pub failure_window_minutes: u32,
}

impl Default for ManagerConfig {
    fn default() -> Self {
        Self {
            token: None,
            token_env: None,
            token_file: None,
            enroll_ttl_minutes: 24 * 60,
            enroll_max_ttl_minutes: 30 * 24 * 60,
            session_idle_minutes: 60,
            session_max_hours: 12,
            max_failures_per_address: 20,
            max_failures_per_account: 5,
            failure_window_minutes: 15,
        }
    }
}

/// What the relay does with a sign-in whose photo fails its face check (`[photo] check`).
#[derive(Debug, Clone, Copy, Default, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PhotoCheckMode {
    /// Refuse it for good (`400_02`, the reason in Chinese), not forwarded (the default).
    #[default]
    Refuse,
    /// Forward it, with the failed check flagged in the audit log.
    Flag,
    /// Do not check photos.
    Off,
}

impl std::str::FromStr for PhotoCheckMode {
    type Err = String;

    /// `refuse`, `flag` or `off`, as in the configuration file.
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "refuse" => Ok(PhotoCheckMode::Refuse),
            "flag" => Ok(PhotoCheckMode::Flag),
            "off" => Ok(PhotoCheckMode::Off),
            _ => Err(format!("{text:?} is not refuse, flag or off")),
        }
    }
}

/// The relay's re-check of each sign-in's photo: exactly one face, large enough, facing the
/// camera (thresholds a little looser than the phone's).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct PhotoConfig {
    /// `"refuse"` (default), `"flag"` or `"off"`.
    pub check: PhotoCheckMode,
}

/// One MR860 face terminal allowed to report (seed 000): its `deviceId`, the site it belongs
/// to, its secret key (part of its upload URLs, `/mr860/{key}/face`) and the addresses it may
/// send from. Terminals can also be added on the manager page.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Mr860Config {
    /// The terminal's `deviceId`, as it puts it in every body.
    pub device_id: String,
    /// The site its logs belong to (`site-N`); they go to that site's platform sn.
    pub site_id: String,
    /// The key inline (prefer `key_env` or `key_file`): at least 22 characters of `A–Z a–z
    /// 0–9 - _` (128 bits when random).
    #[serde(default)]
    pub key: Option<Secret>,
    /// Name of the environment variable holding the key.
    #[serde(default)]
    pub key_env: Option<String>,
    /// File holding the key (trailing white space ignored).
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Addresses or networks the terminal may send from (e.g. `"10.1.2.0/24"`); empty (the
    /// default): any.
    #[serde(default, deserialize_with = "addresses_or_networks")]
    pub allow_from: Vec<ipnet::IpNet>,
}

/// Bounds on the MR860 logs kept for forwarding and inspection (`[limits.mr860]`): past them
/// a terminal's new log is refused (it keeps it and sends it again), never dropped silently.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Mr860LogLimits {
    /// Logs kept per terminal (default 20,000).
    pub logs_per_terminal: u64,
    /// Bytes of log bodies kept per terminal (default 256 MiB).
    pub bytes_per_terminal: u64,
    /// Logs kept in all (default 200,000).
    pub logs_total: u64,
    /// Bytes of log bodies kept in all (default 1 GiB).
    pub bytes_total: u64,
    /// Days a finished log (forwarded, refused by the platform, joined) is kept (default 30);
    /// its photos are dropped as soon as it is finished.
    pub keep_days: u32,
}

impl Default for Mr860LogLimits {
    fn default() -> Self {
        Self {
            logs_per_terminal: 20_000,
            bytes_per_terminal: 256 << 20,
            logs_total: 200_000,
            bytes_total: 1 << 30,
            keep_days: 30,
        }
    }
}

/// The HTTP edge.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Reverse proxies or load balancers in front of the relay (addresses or networks, e.g.
    /// `"127.0.0.1"`, `"10.0.0.0/8"`): only their `X-Forwarded-For` and `X-Forwarded-Proto`
    /// are believed; from anyone else those headers are ignored. Default: none.
    #[serde(deserialize_with = "addresses_or_networks")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where the manager page's map tiles may come from, as Content-Security-Policy sources
    /// (`https://host`, `https://*.domain`). Default: the page's two built-in sources,
    /// OpenStreetMap and AMap; add the host of a custom tile URL here.
    pub map_tile_hosts: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            map_tile_hosts: vec![
                "https://tile.openstreetmap.org".into(),
                "https://*.is.autonavi.com".into(),
            ],
        }
    }
}

/// The relay's own HTTPS (`[tls]`): with both files it serves TLS on `listen`, reloading the
/// files on SIGHUP. PEM files: the certificate chain (leaf first) and its private key.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain, PEM.
    pub cert_file: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1), PEM.
    pub key_file: PathBuf,
    /// Seconds a client may take to finish the TLS handshake (default 10).
    #[serde(default = "defaults::tls_handshake_secs")]
    pub handshake_secs: u64,
}

/// A WeChat official account (`[wechat]`), for the JS-SDK's `wx.config` signature
/// (`GET /v1/wechat/jsapi-config`). Its secret never leaves the relay.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WechatConfig {
    /// The official account's `AppID`.
    pub app_id: String,
    /// Its `AppSecret` inline (prefer `app_secret_env` or `app_secret_file`).
    #[serde(default)]
    pub app_secret: Option<Secret>,
    /// Name of the environment variable holding the `AppSecret`.
    #[serde(default)]
    pub app_secret_env: Option<String>,
    /// File holding the `AppSecret` (trailing white space ignored).
    #[serde(default)]
    pub app_secret_file: Option<PathBuf>,
    /// WeChat's API (default `https://api.weixin.qq.com`).
    #[serde(default = "defaults::wechat_api_base")]
    pub api_base: String,
    /// Hosts (`host` or `host:port`) of pages the relay signs besides its own (the request's
    /// `Host`): e.g. a page served by a proxy under another name. Default: none.
    #[serde(default)]
    pub page_hosts: Vec<String>,
}

/// What the relay accepts of a sign-in's `recordTime` (`[signin]`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct SigninConfig {
    /// Days a record may be older than the relay's clock when it first arrives (default 7):
    /// a phone keeps records made offline and sends them once it is back online; an older one
    /// is refused (`400_02`). At least 1.
    pub max_age_days: u32,
    /// Seconds a record's time may be ahead of the relay's clock (default 300, the protocol's
    /// `timeStamp` window): the phone corrects its clock to the relay's, so more is a wrong
    /// or forged time, refused (`400_02`).
    pub max_ahead_secs: u32,
}

impl Default for SigninConfig {
    fn default() -> Self {
        Self {
            max_age_days: 7,
            max_ahead_secs: 300,
        }
    }
}

/// A list of networks (`"10.0.0.0/8"`) or single addresses (`"127.0.0.1"`, taken as `/32`, or
/// `/128` for IPv6), as the configuration's documentation shows them.
fn addresses_or_networks<'de, D>(deserializer: D) -> Result<Vec<ipnet::IpNet>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let texts = Vec::<String>::deserialize(deserializer)?;
    texts
        .iter()
        .map(|text| {
            (text.parse::<ipnet::IpNet>())
                .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    serde::de::Error::custom(format!(
                        "{text:?} is neither an address nor a network (e.g. \"10.0.0.0/8\")"
                    ))
                })
        })
        .collect()
}

/// `[store]`: which database the relay keeps its state in.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://PATH` or `postgres://USER[:PASSWORD]@HOST:PORT/DB` (the database must
    /// exist); without it, SQLite in `data_dir`. Never logged with its password.
    #[serde(default)]
    pub url: Option<String>,
}

/// `[cluster]`: how this relay shares the platform's sns with the other relays of one
/// PostgreSQL store (see ARCHITECTURE.md). A relay alone needs none of it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// How long an sn's lease lasts without renewal, in seconds (default 10): after its
    /// holder dies, another relay takes the sn's platform session within about this time.
    pub lease_secs: u32,
    /// This relay's name among its peers (default: `relay-` and 8 random hex digits, new at
    /// each start). Give each relay a name of its own to keep across restarts: a restarted
    /// relay then takes back at once the records it was sending.
    pub relay_id: Option<String>,
    /// Where the other relays reach this one (default `http://` and the listen address, which
    /// must then not be `0.0.0.0`).
    pub advertise_url: Option<String>,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            lease_secs: 10,
            relay_id: None,
            advertise_url: None,
        }
    }
}

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RelayConfig {
    /// Where phones connect (default `127.0.0.1:8080`).
    #[serde(default = "defaults::listen")]
    pub listen: SocketAddr,
    /// The relay's data directory (default `relay-data`): the SQLite store when `[store] url`
    /// is not set.
    #[serde(default = "defaults::data_dir")]
    pub data_dir: PathBuf,
    /// The store's database.
    #[serde(default)]
    pub store: StoreConfig,
    /// Sharing the sns with other relays.
    #[serde(default)]
    pub cluster: ClusterConfig,
    /// Serve the pages at `/` and `/manager` from this directory instead of the built-in ones.
    #[serde(default)]
    pub www_dir: Option<PathBuf>,
    /// Serve the phone module at `/pkg/` from this directory instead of the built-in one.
    #[serde(default)]
    pub pkg_dir: Option<PathBuf>,
    /// The platform.
    pub platform: PlatformConfig,
    /// Phones configured by hand.
    #[serde(default)]
    pub phones: Vec<PhoneConfig>,
    /// Limits.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Platform tasks.
    #[serde(default)]
    pub tasks: TasksConfig,
    /// The site manager's API.
    #[serde(default)]
    pub manager: ManagerConfig,
    /// MR860 terminals allowed to report.
    #[serde(default)]
    pub mr860: Vec<Mr860Config>,
    /// The photo check of phone sign-ins.
    #[serde(default)]
    pub photo: PhotoConfig,
    /// The HTTP edge.
    #[serde(default)]
    pub http: HttpConfig,
    /// What the relay accepts of a sign-in's `recordTime`.
    #[serde(default)]
    pub signin: SigninConfig,
    /// The relay's own HTTPS; without it the relay serves plain HTTP.
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// The WeChat official account of the JS-SDK; without it `/v1/wechat/jsapi-config`
    /// answers 404 `wechat_not_configured`.
    #[serde(default)]
    pub wechat: Option<WechatConfig>,
}

mod defaults {
    pub(super) fn listen() -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], 8080))
    }
    pub(super) fn data_dir() -> std::path::PathBuf {
        "relay-data".into()
    }
    pub(super) fn heartbeat_secs() -> u32 {
        30
    }
    pub(super) fn tls_handshake_secs() -> u64 {
        10
    }
    pub(super) fn wechat_api_base() -> String {
        "https://api.weixin.qq.com".into()
    }
}

/// Why a configuration cannot be used; says which field and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The file is not valid TOML for a relay configuration.
    #[error("{path}: {error}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with its line.
        error: toml::de::Error,
    },
    /// A value is missing or out of range.
    #[error("configuration: {0}")]
    Invalid(String),
}

impl RelayConfig {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<RelayConfig, ConfigError> {
        Self::load_with(path, &[])
    }

    /// Reads a configuration file, sets the fields `overrides` name (later ones win), and
    /// checks the result.
    pub fn load_with(path: &Path, overrides: &[Override]) -> Result<RelayConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_owned(),
            error,
        })?;
        let parse_error = |error| ConfigError::Parse {
            path: path.to_owned(),
            error,
        };
        let mut table: toml::Table = toml::from_str(&text).map_err(parse_error)?;
        for field in overrides {
            field.apply(&mut table)?;
        }
        table.try_into().map_err(parse_error)
    }

    /// Where the store lives: `[store] url`, or SQLite in `data_dir`.
    pub fn store_location(&self) -> Result<StoreLocation, ConfigError> {
        match &self.store.url {
            Some(url) => StoreLocation::parse(url).map_err(ConfigError::Invalid),
            None => Ok(StoreLocation::in_data_dir(&self.data_dir)),
        }
    }

    /// The vendor `accessSecret`, from the file, the environment or the configuration, in
    /// that order of preference.
    pub fn vendor_secret(&self) -> Result<Secret, ConfigError> {
        let platform = &self.platform;
        read_secret(
            platform.access_secret_file.as_deref(),
            platform.access_secret_env.as_deref(),
            platform.access_secret.as_ref(),
            "platform.access_secret",
        )?
        .ok_or_else(|| {
            ConfigError::Invalid(
                "the vendor accessSecret is missing: set platform.access_secret_file, \
                 platform.access_secret_env or platform.access_secret"
                    .into(),
            )
        })
    }

    /// The manager API's bearer token, from the file, the environment or the configuration;
    /// `None` when none is configured (the manager API is then closed).
    pub fn manager_token(&self) -> Result<Option<Secret>, ConfigError> {
        let manager = &self.manager;
        let token = read_secret(
            manager.token_file.as_deref(),
            manager.token_env.as_deref(),
            manager.token.as_ref(),
            "manager.token",
        )?;
        match token {
            Some(token) if token.expose().len() < 16 => Err(ConfigError::Invalid(
                "manager.token is shorter than 16 characters: use a long random token".into(),
            )),
            token => Ok(token),
        }
    }

    /// The WeChat official account's `AppSecret`, from the file, the environment or the
    /// configuration; `None` without a `[wechat]` section.
    pub fn wechat_secret(&self) -> Result<Option<Secret>, ConfigError> {
        let Some(wechat) = &self.wechat else {
            return Ok(None);
        };
        let secret = read_secret(
            wechat.app_secret_file.as_deref(),
            wechat.app_secret_env.as_deref(),
            wechat.app_secret.as_ref(),
            "wechat.app_secret",
        )?;
        secret.map(Some).ok_or_else(|| {
            ConfigError::Invalid(
                "the WeChat AppSecret is missing: set wechat.app_secret_file, \
                 wechat.app_secret_env or wechat.app_secret"
                    .into(),
            )
        })
    }

    /// The key of each configured MR860 terminal, in `[[mr860]]`'s order; refused when one is
    /// missing or too short to be a random key.
    pub fn mr860_keys(&self) -> Result<Vec<Secret>, ConfigError> {
        (self.mr860.iter())
            .map(|terminal| {
                let field = format!("mr860 {} key", terminal.device_id);
                let key = read_secret(
                    terminal.key_file.as_deref(),
                    terminal.key_env.as_deref(),
                    terminal.key.as_ref(),
                    "mr860.key",
                )?;
                let key = key.ok_or_else(|| {
                    ConfigError::Invalid(format!(
                        "{field} is missing: set key_file, key_env or key (e.g. the output of \
                         `openssl rand -hex 16`)"
                    ))
                })?;
                if !strong_key(key.expose()) {
                    return Err(ConfigError::Invalid(format!(
                        "{field} is too short or has characters other than A-Z a-z 0-9 - _: \
                         use a random key of 128 bits or more, e.g. `openssl rand -hex 16` \
                         (32 hex digits)"
                    )));
                }
                Ok(key)
            })
            .collect()
    }

    /// The configured phones as the store keeps them.
    pub(crate) fn configured_phones(&self) -> Vec<Phone> {
        (self.phones.iter())
            .map(|phone| Phone {
                access_id: phone.access_id.clone(),
                access_key: phone.access_key.clone(),
                access_secret: phone.access_secret.expose().to_owned(),
                sn: phone.sn.clone(),
                platform_sn: phone.platform_sn.clone(),
                revoked: false,
            })
            .collect()
    }
}

/// A secret from a file, an environment variable or inline, in that order of preference;
/// `field` names the setting in errors.
fn read_secret(
    file: Option<&Path>,
    env: Option<&str>,
    inline: Option<&Secret>,
    field: &str,
) -> Result<Option<Secret>, ConfigError> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_owned(),
            error,
        })?;
        return Ok(Some(Secret::new(text.trim_end())));
    }
    if let Some(name) = env {
        return std::env::var(name)
            .map(|v| Some(Secret::new(v)))
            .map_err(|_| {
                ConfigError::Invalid(format!("{field}_env names {name}, which is not set"))
            });
    }
    Ok(inline.cloned())
}

/// Bits a configured MR860 key must be able to hold (it is compared by an unsalted hash).
const MIN_KEY_BITS: f64 = 128.0;

/// Whether a configured MR860 key is written so that it can hold [`MIN_KEY_BITS`] (see
/// [`key_bits`]): the rule every configured key, the demo's included, must pass.
pub(crate) fn strong_key(key: &str) -> bool {
    key_bits(key) >= MIN_KEY_BITS
}

/// The most bits a random key written like `key` can hold: 4 a character when it is all hex
/// digits, else log2 of the size of the character classes it uses (digits, lowercase,
/// uppercase, `-` `_`); 0 when it has any other character (it goes into a URL's path).
fn key_bits(key: &str) -> f64 {
    let url_safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if key.is_empty() || !key.chars().all(url_safe) {
        return 0.0;
    }
    let length = key.chars().count() as f64;
    if key.chars().all(|c| c.is_ascii_hexdigit()) {
        return 4.0 * length;
    }
    let class_size = |c: char| match c {
        '0'..='9' => 10,
        'a'..='z' | 'A'..='Z' => 26,
        _ => 2,
    };
    let class = |c: char| {
        (
            c.is_ascii_digit(),
            c.is_ascii_lowercase(),
            c.is_ascii_uppercase(),
        )
    };
    let mut classes: Vec<_> = key.chars().map(|c| (class(c), class_size(c))).collect();
    classes.sort_unstable();
    classes.dedup();
    let alphabet: u32 = classes.iter().map(|(_, size)| size).sum();
    length * f64::from(alphabet).log2()
}
