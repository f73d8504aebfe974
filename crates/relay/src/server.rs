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
use crate::platform::lease::{self, LeaseKeeper};
use crate::platform::link::{LinkConfig, LinkTask, PlatformLink};
use crate::platform::peer::PeerClient;
use crate::platform::route::{Platform, SnRoute};
use crate::platform::task_api::TaskApi;
use crate::platform::tasks::{RosterChanged, TaskRunner};
use crate::store::leases::LeaseHolder;
use crate::store::{ledger, Claimant, Store};
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
    sessions: Sessions,
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
        let (stop, stopped) = watch::channel(false);
        let member = ClusterMember::of(&config, addr);
        let relay_id = member.claimant.relay_id.clone();
        let taken_back = store
            .run(move |tx| ledger::take_back_claims(tx, &relay_id))
            .await?;
        if taken_back > 0 {
            warn!(taken_back, "records this relay was sending when it last stopped are sent again on the phones' retries");
        }
        let (platform, sessions) = start_sessions(&config, &vendor, &store, &member);
        let mr860 = Mr860 {
            store: store.clone(),
            limits: config.limits.mr860.clone(),
            wake: Arc::new(Notify::new()),
        };
        terminals::seed_configured(&store, &config, now_ms()).await?;
        retention::sweep(&store, config.limits.mr860.keep_days).await?;
        let metrics = Metrics::default();
        let mut workers = start_workers(
            &config, &secret, &store, &platform, &member, &mr860, &metrics, &stopped,
        );
        let handler = PlatformHandler::new(HandlerConfig::default(), rand::random());
        let rate = RateLimit::new(config.limits.frames_per_minute, config.limits.frames_burst);
        let photos = PhotoChecker::new(config.photo.check)?;
        let gateway = Arc::new(Gateway::new(
            handler,
            phones,
            store.clone(),
            (platform, member.claimant.clone()),
            rate,
            photos,
            claims,
            metrics,
        ));
        workers.push(RequestForwarder::of(&gateway).spawn(stopped.clone()));
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
        info!(%addr, sns = ?config.platform.sns, relay_id = %member.claimant.relay_id, "relay ready");
        Ok(RunningRelay {
            addr,
            gateway,
            tls,
            stop,
            server,
            sessions,
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
        self.sessions.shut_down(self.gateway.store()).await;
        info!("relay stopped");
    }
}

/// How much longer a relay waits for a peer's answer than the peer works on the record (its
/// patience, the platform's reply time).
const PEER_SLACK: Duration = Duration::from_secs(5);

/// This relay as a member of a cluster: how it names itself and is reached.
struct ClusterMember {
    /// Its claims on the records it sends (its relay id, and how long a claim lasts).
    claimant: Claimant,
    /// Where the other relays reach it.
    url: String,
    /// How long an sn's lease lasts.
    lease: Duration,
}

impl ClusterMember {
    /// From `[cluster]`, for a relay listening at `addr`. A claim outlasts the longest attempt
    /// (the platform's reply time, twice: once on a peer's session, and the peer's slack) by a
    /// lease.
    fn of(config: &RelayConfig, addr: SocketAddr) -> Self {
        let cluster = &config.cluster;
        let relay_id = (cluster.relay_id.clone())
            .unwrap_or_else(|| format!("relay-{:08x}", rand::random::<u32>()));
        let lease = Duration::from_secs(u64::from(cluster.lease_secs.max(1)));
        let reply = Duration::from_secs(config.limits.platform_reply_secs);
        let claim = 2 * reply + PEER_SLACK + lease;
        let url = cluster.advertise_url.clone().unwrap_or_else(|| {
            let scheme = if config.tls.is_some() { "https" } else { "http" };
            if addr.ip().is_unspecified() {
                warn!(%addr, "[cluster] advertise_url is not set and the relay listens on every address: other relays reach it at 127.0.0.1, which works on this machine only");
                return format!("{scheme}://127.0.0.1:{}", addr.port());
            }
            format!("{scheme}://{addr}")
        });
        Self {
            claimant: Claimant {
                relay_id,
                claim_ms: i64::try_from(claim.as_millis()).unwrap_or(i64::MAX),
            },
            url,
            lease,
        }
    }
}

/// The platform sessions of a running relay: each sn's link and the task keeping its lease.
struct Sessions {
    links: Vec<LinkTask>,
    keepers: Vec<(String, JoinHandle<bool>)>,
    /// Stops the keepers: only once the relay has answered every frame in progress, so a
    /// graceful stop cuts no record on its way to the platform.
    stop_keepers: watch::Sender<bool>,
    relay_id: String,
}

impl Sessions {
    /// Once nothing more will be sent (the server and the workers have stopped): stops the
    /// keepers (each session closes as its lease is let go), the links, then gives up the
    /// leases this relay held, so another relay takes them at once.
    async fn shut_down(self, store: &Store) {
        let _ = self.stop_keepers.send(true);
        let mut held = Vec::new();
        for (sn, keeper) in self.keepers {
            if keeper.await.unwrap_or(false) {
                held.push(sn);
            }
        }
        for link in self.links {
            link.shutdown().await;
        }
        for sn in held {
            lease::release(store, &sn, &self.relay_id).await;
        }
    }
}

/// Starts one platform link per sn, each connected while a lease keeper holds the sn's lease,
/// and the routes to them.
fn start_sessions(
    config: &RelayConfig,
    vendor: &Credential,
    store: &Store,
    member: &ClusterMember,
) -> (Platform, Sessions) {
    let mut routes = HashMap::new();
    let (stop_keepers, keepers_stopped) = watch::channel(false);
    let mut sessions = Sessions {
        links: Vec::new(),
        keepers: Vec::new(),
        stop_keepers,
        relay_id: member.claimant.relay_id.clone(),
    };
    for sn in &config.platform.sns {
        let (held, held_now) = watch::channel(false);
        let (link, task) = PlatformLink::spawn(link_config(config, vendor, sn), held_now.clone());
        let keeper = LeaseKeeper {
            store: store.clone(),
            sn: sn.clone(),
            holder: LeaseHolder {
                relay_id: member.claimant.relay_id.clone(),
                url: member.url.clone(),
            },
            lease: member.lease,
        };
        let keeper = keeper.spawn(held, keepers_stopped.clone());
        sessions.keepers.push((sn.clone(), keeper));
        sessions.links.push(task);
        routes.insert(
            sn.clone(),
            SnRoute {
                link,
                held: held_now,
            },
        );
    }
    let reply = Duration::from_secs(config.limits.platform_reply_secs);
    let peers = PeerClient::new(vendor.access_secret.clone(), reply + PEER_SLACK);
    let relay_id = member.claimant.relay_id.clone();
    let platform = Platform::new(routes, store.clone(), peers, (relay_id, reply));
    (platform, sessions)
}

/// How the link of `sn` connects to the platform.
fn link_config(config: &RelayConfig, vendor: &Credential, sn: &str) -> LinkConfig {
    LinkConfig {
        addr: config.platform.tcp.clone(),
        device: DeviceConfig {
            sn: sn.to_owned(),
            credential: vendor.clone(),
            device_version: concat!("zj-attendance-relay ", env!("CARGO_PKG_VERSION")).into(),
            device_ip: config.listen.ip().to_string(),
            heartbeat_interval_ms: i64::from(config.platform.heartbeat_secs) * 1000,
        },
        queue_capacity: config.limits.platform_queue,
        reconnect_min: Duration::from_millis(200),
        reconnect_max: Duration::from_secs(30),
        reply_timeout: Duration::from_secs(config.limits.platform_reply_secs),
        max_frame_len: config.limits.max_frame_len,
    }
}

/// Starts the task runner of each sn and the MR860 forwarder; waiting MR860 logs are resolved
/// again first (the terminals configured may have changed).
#[allow(clippy::too_many_arguments)] // the relay's parts, each made by `start`
fn start_workers(
    config: &RelayConfig,
    secret: &Secret,
    store: &Store,
    platform: &Platform,
    member: &ClusterMember,
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
    let mut workers: Vec<JoinHandle<()>> = (platform.links().iter())
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
        platform: platform.clone(),
        claimant: member.claimant.clone(),
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
