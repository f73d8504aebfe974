//! Starting and stopping a whole relay: store, platform links, gateway, HTTP.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use tokio::sync::Notify;

use crate::config::{ConfigError, RelayConfig, Secret};
use crate::http::api::RelayApi;
use crate::http::client::ClientRules;
use crate::http::{self, RelayHttp};
use crate::metrics::Metrics;
use crate::mr860::forward::Forwarder;
use crate::mr860::{retention, terminals, Mr860};
use crate::phone::claims::Claims;
use crate::phone::gateway::Gateway;
use crate::phone::phones::PhoneBook;
use crate::phone::photo_check::PhotoChecker;
use crate::phone::rate_limit::RateLimit;
use crate::phone::requests::RequestForwarder;
use crate::platform::link::{LinkConfig, LinkTask, PlatformLink};
use crate::platform::task_api::TaskApi;
use crate::platform::tasks::{RosterChanged, TaskRunner};
use crate::store::Store;
use zj_host::system_clock::now_ms;
use zj_protocol::{Credential, DeviceConfig, HandlerConfig, PlatformHandler};

/// Why a relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The face detector's model built into the relay cannot be used (only with a photo check).
    #[error("the face detector's model: {0}")]
    Model(#[from] zj_face::ModelError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {error}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        error: std::io::Error,
    },
}

/// A running relay.
pub struct RunningRelay {
    /// Where phones connect.
    pub addr: SocketAddr,
    /// The gateway, for in-process inspection.
    pub gateway: Arc<Gateway>,
    /// The relay's own TLS certificates, when it serves HTTPS.
    tls: Option<Arc<crate::http::tls::TlsCerts>>,
    stop: watch::Sender<bool>,
    server: JoinHandle<()>,
    links: Vec<LinkTask>,
    workers: Vec<JoinHandle<()>>,
}

impl RunningRelay {
    /// Opens the store, adds the configured phones, starts one platform link per sn and the
    /// HTTP server.
    pub async fn start(config: RelayConfig) -> Result<RunningRelay, StartError> {
        check(&config)?;
        let secret = config.vendor_secret()?;
        let claims = Claims::new(&config.signin)?;
        let location = config.store_location()?;
        let (store, interrupted) = Store::open_at(&location, true)?;
        info!(store = %location.redacted(), "store open");
        if interrupted > 0 {
            warn!(
                interrupted,
                "records were being forwarded when the relay last stopped; phone retries resend them"
            );
        }
        for phone in config.configured_phones() {
            store.add_phone(phone).await?;
        }
        let phones = PhoneBook::new(store.phones().await?);
        let vendor = Credential {
            access_id: config.platform.access_id.clone(),
            access_key: config.platform.access_key.clone(),
            access_secret: secret.expose().to_owned(),
        };
        let mut links = HashMap::new();
        let mut link_tasks = Vec::new();
        for sn in &config.platform.sns {
            let (link, task) = PlatformLink::spawn(LinkConfig {
                addr: config.platform.tcp.clone(),
                device: DeviceConfig {
                    sn: sn.clone(),
                    credential: vendor.clone(),
                    device_version: concat!("zj-attendance-relay ", env!("CARGO_PKG_VERSION"))
                        .into(),
                    device_ip: config.listen.ip().to_string(),
                    heartbeat_interval_ms: i64::from(config.platform.heartbeat_secs) * 1000,
                },
                queue_capacity: config.limits.platform_queue,
                reconnect_min: Duration::from_millis(200),
                reconnect_max: Duration::from_secs(30),
                reply_timeout: Duration::from_secs(config.limits.platform_reply_secs),
                max_frame_len: config.limits.max_frame_len,
            });
            links.insert(sn.clone(), link);
            link_tasks.push(task);
        }
        let (stop, stopped) = watch::channel(false);
        let mr860 = Mr860 {
            store: store.clone(),
            limits: config.limits.mr860.clone(),
            wake: Arc::new(Notify::new()),
        };
        terminals::seed_configured(&store, &config, now_ms()).await?;
        retention::sweep(&store, config.limits.mr860.keep_days).await?;
        let metrics = Metrics::default();
        let mut workers =
            start_workers(&config, &secret, &store, &links, &mr860, &metrics, &stopped);
        let handler = PlatformHandler::new(HandlerConfig::default(), rand::random());
        let rate = RateLimit::new(config.limits.frames_per_minute, config.limits.frames_burst);
        let photos = PhotoChecker::new(config.photo.check)?;
        let gateway = Arc::new(Gateway::new(
            handler,
            phones,
            store.clone(),
            links,
            rate,
            photos,
            claims,
            metrics,
        ));
        workers.push(RequestForwarder::of(&gateway).spawn(stopped.clone()));
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|error| StartError::Listen {
                    addr: config.listen,
                    error,
                })?;
        let addr = listener.local_addr().map_err(|error| StartError::Listen {
            addr: config.listen,
            error,
        })?;
        let api = Arc::new(RelayApi {
            gateway: gateway.clone(),
            store: store.clone(),
            manager_token: config.manager_token()?,
            mr860,
            enroll_ttl_minutes: config.manager.enroll_ttl_minutes,
            sns: config.platform.sns.clone(),
            enroll_max_ttl_minutes: config.manager.enroll_max_ttl_minutes,
            auth: crate::http::manager_login::ManagerAuth::new(&config.manager),
        });
        let edge = crate::http::edge::Edge::from_config(&config)?;
        let tls = edge.tls.as_ref().map(|tls| tls.certs.clone());
        let http = Arc::new(
            RelayHttp::new(
                gateway.clone(),
                api,
                config.limits.http(),
                config.www_dir.clone(),
                config.pkg_dir.clone(),
                ClientRules {
                    trusted_proxies: config.http.trusted_proxies.clone(),
                    tls: tls.is_some(),
                },
                stopped.clone(),
            )
            .with_edge(edge),
        );
        let server = tokio::spawn(http::serve(listener, http, stopped));
        info!(%addr, sns = ?config.platform.sns, "relay ready");
        Ok(RunningRelay {
            addr,
            gateway,
            tls,
            stop,
            server,
            links: link_tasks,
            workers,
        })
    }

    /// The relay's base URL: `https://ADDR` when it serves TLS, else `http://ADDR`.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Reads the TLS certificate and key files again (the binary does on SIGHUP): new
    /// connections get the new certificate. On failure the certificate in service stays and
    /// the error (logged too) says why. Without `[tls]`, nothing to do.
    pub fn reload_tls(&self) -> Result<(), crate::http::tls::TlsError> {
        let Some(certs) = &self.tls else {
            return Ok(());
        };
        certs.reload().inspect_err(|error| {
            warn!(%error, "TLS certificate not reloaded; the one in service stays");
        })
    }

    /// Graceful shutdown: stop accepting, let frames in progress finish, close the platform
    /// sessions.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.server.await;
        for worker in self.workers {
            let _ = worker.await;
        }
        for link in self.links {
            link.shutdown().await;
        }
        info!("relay stopped");
    }
}

/// Starts the task runner of each sn and the MR860 forwarder; waiting MR860 logs are resolved
/// again first (the terminals configured may have changed).
fn start_workers(
    config: &RelayConfig,
    secret: &Secret,
    store: &Store,
    links: &HashMap<String, PlatformLink>,
    mr860: &Mr860,
    metrics: &Metrics,
    stopped: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let tasks = &config.tasks;
    let call_client = TaskApi::client(Duration::from_secs(tasks.call_timeout_secs));
    let photos = TaskApi::client(Duration::from_secs(tasks.photo_timeout_secs));
    let retrying = mr860.clone();
    let roster_changed: RosterChanged = Arc::new(move |_sn: &str| {
        let mr860 = retrying.clone();
        tokio::spawn(async move {
            if let Err(error) = mr860.retry_waiting().await {
                warn!(%error, "MR860 logs could not be resolved again");
            }
        });
    });
    roster_changed("");
    let mut workers: Vec<JoinHandle<()>> = (links.iter())
        .map(|(sn, link)| {
            let runner = TaskRunner {
                api: TaskApi {
                    url: config.platform.http.clone(),
                    sn: sn.clone(),
                    secret: secret.expose().to_owned(),
                    client: call_client.clone(),
                },
                photos: photos.clone(),
                store: store.clone(),
                config: tasks.clone(),
                roster_changed: roster_changed.clone(),
            };
            runner.spawn(link, stopped.clone())
        })
        .collect();
    let forwarder = Forwarder {
        mr860: mr860.clone(),
        links: links.clone(),
        metrics: metrics.clone(),
    };
    workers.push(forwarder.spawn(stopped.clone()));
    let keep_days = config.limits.mr860.keep_days;
    workers.push(retention::spawn_sweeper(
        store.clone(),
        keep_days,
        stopped.clone(),
    ));
    workers
}

/// Checks what TOML cannot: every phone goes to a served sn, heartbeats under 60 s.
fn check(config: &RelayConfig) -> Result<(), ConfigError> {
    let platform = &config.platform;
    if platform.sns.is_empty() {
        return Err(ConfigError::Invalid(
            "platform.sns is empty: list the sns the relay serves".into(),
        ));
    }
    if !(1..60).contains(&platform.heartbeat_secs) {
        return Err(ConfigError::Invalid(format!(
            "platform.heartbeat_secs is {}: it must be 1 to 59 (the platform shows a device offline after 60 s)",
            platform.heartbeat_secs
        )));
    }
    if let Some(phone) =
        (config.phones.iter()).find(|phone| !platform.sns.contains(&phone.platform_sn))
    {
        return Err(ConfigError::Invalid(format!(
            "phone {} goes to platform sn {}, which is not in platform.sns",
            phone.sn, phone.platform_sn
        )));
    }
    check_terminals(config)
}

/// Checks the configured MR860 terminals: each has a `deviceId` of its own and a site.
fn check_terminals(config: &RelayConfig) -> Result<(), ConfigError> {
    let mut seen = std::collections::HashSet::new();
    for terminal in &config.mr860 {
        if terminal.device_id.trim().is_empty() || terminal.site_id.trim().is_empty() {
            return Err(ConfigError::Invalid(
                "every [[mr860]] terminal needs device_id and site_id (the site it belongs to)"
                    .into(),
            ));
        }
        if !seen.insert(&terminal.device_id) {
            return Err(ConfigError::Invalid(format!(
                "MR860 terminal {} is configured twice",
                terminal.device_id
            )));
        }
    }
    Ok(())
}
