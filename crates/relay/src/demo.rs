//! `relay demo`: the whole system on one machine: an embedded platform simulator, the relay in
//! front of it, a demo site with one phone credential and one person, and the pages.
//!
//! The demo also has a site (滨江 in Hangzhou) with a fence around [`SITE_CENTER`], a fresh
//! team enrollment code for it, the manager token, an administrator and the site's manager
//! (accounts with passwords, for the manager page's login), and an MR860 terminal; the demo
//! person is sent to the relay by a `T_SEND_PERSON` task, so the terminal can log them by ID
//! number.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Serialize;

use crate::config::{
    ConfigError, LimitsConfig, ManagerConfig, Mr860Config, PhoneConfig, PhotoConfig,
    PlatformConfig, RelayConfig, Secret,
};
use crate::mr860::terminals::{self, upload_urls};
use crate::phone::enroll;
use crate::server::{RunningRelay, StartError};
use crate::sites::{self, FenceRequest};
use crate::store::accounts::{self, Account, Role};
use crate::store::terminals::{self as store_terminals, Origin, TerminalRow};
use crate::store::Store;
use zj_host::system_clock::now_ms;
use zj_protocol::phone_api::Binding;
use zj_protocol::{Credential, HandlerConfig};
use zj_sim::{NewPerson, NewTask, RunningSim, SimConfig};

/// The demo device's platform sn.
const PLATFORM_SN: &str = "1388186";
/// The demo phone's sn on the phone leg.
const PHONE_SN: &str = "PHONE-DEMO-0001";
/// The demo worker's platform person id.
const PERSON_ID: &str = "4508004291609636864";
/// The demo worker's ID card number (what an MR860 terminal reads).
const PERSON_IDCARD: &str = "330106199001011234";
/// The demo MR860 terminal's `deviceId`.
const MR860_DEVICE_ID: &str = "MR860-DEMO-01";
/// The demo site's name.
const SITE_NAME: &str = "滨江区江南大道项目工地";
/// The middle of the demo site, WGS-84 `[lng, lat]` (Binjiang district, Hangzhou).
pub(crate) const SITE_CENTER: [f64; 2] = [120.2110, 30.2090];
/// Half the demo fence's width and height, degrees (about 190 m by 220 m).
const SITE_HALF_SPAN_DEG: f64 = 0.002;

/// The demo phone's credentials, as the first stdout line shows them.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoPhone {
    /// The phone's sn.
    pub sn: String,
    /// Its `accessId`.
    pub access_id: String,
    /// Its `accessKey`.
    pub access_key: String,
    /// Its own `accessSecret` (a phone's, never the vendor's).
    pub access_secret: String,
}

/// The first stdout line of `relay demo`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoInfo {
    /// The relay, serving the pages and the phone API.
    pub url: String,
    /// The simulator's HTTP API (`/sim/signins`, …).
    pub sim_http: String,
    /// The platform sn the demo relay serves: queue platform tasks for it at `simHttp`
    /// (the phone's own `sn` is not a platform sn).
    pub platform_sn: String,
    /// The demo phone.
    pub phone: DemoPhone,
    /// The demo worker's person id.
    pub person_id: String,
    /// The demo MR860 terminal and the ID number of a person it can log.
    pub mr860: DemoMr860,
    /// The manager API's bearer token.
    pub manager_token: String,
    /// A fresh team enrollment code for the demo site.
    pub enroll_code: String,
    /// The demo site.
    pub site: DemoSite,
    /// The demo's manager accounts: an administrator and the demo site's manager.
    pub managers: DemoManagers,
}

/// The demo's manager accounts, as the first stdout line shows them.
#[derive(Debug, Clone, Serialize)]
pub struct DemoManagers {
    /// An administrator (every site, the accounts).
    pub admin: DemoManager,
    /// The manager of the demo site only.
    pub site: DemoManager,
}

/// One demo manager account: its name, password (for the page's login) and API token.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoManager {
    /// The account's name.
    pub name: String,
    /// Its password (random).
    pub password: String,
    /// Its API token (random).
    pub token: String,
    /// The site it manages (a site manager only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_id: Option<String>,
}

/// Creates the demo's administrator `demo-admin` and the manager `demo-site` of `site_id`,
/// each with a random password and token.
async fn demo_managers(store: &Store, site_id: &str) -> Result<DemoManagers, StartError> {
    let new = |name: &str, site_id: Option<&str>| DemoManager {
        name: name.into(),
        password: random_hex(),
        token: random_hex(),
        site_id: site_id.map(str::to_owned),
    };
    let managers = DemoManagers {
        admin: new("demo-admin", None),
        site: new("demo-site", Some(site_id)),
    };
    let mut rows = Vec::new();
    for manager in [&managers.admin, &managers.site] {
        let account = Account {
            name: manager.name.clone(),
            role: if manager.site_id.is_some() {
                Role::Site
            } else {
                Role::Admin
            },
            sites: manager.site_id.iter().cloned().collect(),
        };
        let password = manager.password.clone();
        let hash = (crate::http::password_gate::hash(password).await)
            .map_err(|e| StartError::Config(ConfigError::Invalid(e.message)))?;
        rows.push((account, crate::keys::token_hash(&manager.token), hash));
    }
    store
        .run(move |tx| {
            let now = now_ms();
            for (account, token_hash, password_hash) in &rows {
                accounts::create(tx, account, token_hash, now)?;
                accounts::set_password(tx, &account.name, password_hash, now)?;
            }
            Ok(())
        })
        .await?;
    Ok(managers)
}

/// The demo MR860 terminal, as the first stdout line shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoMr860 {
    /// The terminal's `deviceId`.
    pub device_id: String,
    /// The demo person's ID card number.
    pub card_number: String,
    /// Its three upload URLs, its key in them: `{face, verify, person}`.
    pub urls: serde_json::Value,
}

/// The demo site, as the first stdout line shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoSite {
    /// Its id.
    pub site_id: String,
    /// Its name.
    pub name: String,
    /// Its middle, WGS-84 `[lng, lat]`.
    pub center: [f64; 2],
}

/// A running demo.
pub struct Demo {
    /// What the first stdout line says.
    pub info: DemoInfo,
    sim: RunningSim,
    relay: RunningRelay,
}

/// 128 random bits as hex.
fn random_hex() -> String {
    crate::keys::random_hex(16)
}

/// Creates the demo site with its fence and a team enrollment code for it.
async fn demo_site(store: &Store) -> Result<(DemoSite, String), StartError> {
    let [lng, lat] = SITE_CENTER;
    let d = SITE_HALF_SPAN_DEG;
    let ring = vec![
        [lng - d, lat - d],
        [lng + d, lat - d],
        [lng + d, lat + d],
        [lng - d, lat + d],
        [lng - d, lat - d],
    ];
    let fence = sites::validate(FenceRequest {
        crs: "wgs84".into(),
        max_accuracy_m: Some(50.0),
        uncertain_policy: "flag".into(),
        geojson: serde_json::json!({"type": "Polygon", "coordinates": [ring]}),
    })
    .map_err(|e| StartError::Config(ConfigError::Invalid(e.to_string())))?;
    let created = store
        .run(move |tx| {
            let site = sites::create(tx, SITE_NAME, PLATFORM_SN)?;
            sites::put_fence(tx, &site.site_id, "wgs84", fence)?;
            let code =
                enroll::create_code(tx, &site.site_id, Binding::Team, None, 24 * 60, now_ms())?;
            Ok((site, code))
        })
        .await?;
    let (site, code) = created;
    let code = code.map_err(|e| StartError::Config(ConfigError::Invalid(e.to_string())))?;
    let site = DemoSite {
        site_id: site.site_id,
        name: site.name,
        center: SITE_CENTER,
    };
    Ok((site, code.code))
}

/// Puts the demo terminal (key `key`) in the demo site `site_id`, whatever site the store
/// gave it (a reused data directory holds earlier runs' sites).
async fn demo_terminal(store: &Store, site_id: &str, key: &str) -> Result<(), StartError> {
    let row = TerminalRow {
        device_id: MR860_DEVICE_ID.into(),
        site_id: site_id.to_owned(),
        key_hash: crate::keys::token_hash(key),
        allow_from: Vec::new(),
        origin: Origin::Config,
        created_ms: now_ms(),
        rotated_ms: now_ms(),
    };
    store.run(move |tx| store_terminals::put(tx, &row)).await?;
    Ok(())
}

impl Demo {
    /// Starts the simulator and the relay (`port` 0 picks a free one), with the store in
    /// `data_dir`, the phone API's `limits` and the photo check `photo`, serving the pages
    /// built into the binary.
    pub async fn start(
        port: u16,
        data_dir: PathBuf,
        limits: LimitsConfig,
        photo: PhotoConfig,
    ) -> Result<Demo, StartError> {
        let localhost = |port| SocketAddr::from(([127, 0, 0, 1], port));
        let vendor = Credential {
            access_id: format!("demo-vendor-{}", &random_hex()[..8]),
            access_key: random_hex(),
            access_secret: random_hex(),
        };
        let sim = RunningSim::start(
            SimConfig {
                credential: vendor.clone(),
                sns: vec![PLATFORM_SN.into()],
                limits: HandlerConfig::default(),
                max_frame_len: zj_protocol::wire::DEFAULT_MAX_FRAME_LEN,
                page_size: 20,
                max_connections: 1024,
            },
            localhost(0),
            localhost(0),
        )
        .await
        .map_err(|error| StartError::Listen {
            addr: localhost(0),
            error,
        })?;
        sim.state.lock().add_persons(vec![NewPerson {
            person_id: PERSON_ID.into(),
            name: "张三".into(),
            idcard_no: Some(PERSON_IDCARD.into()),
            img_url: None,
        }]);
        let send_person = NewTask {
            sn: PLATFORM_SN.into(),
            apicode: "T_SEND_PERSON".into(),
            person_ids: Some(vec![PERSON_ID.into()]),
            param: None,
        };
        let queued = sim.state.lock().add_task(send_person, now_ms());
        queued.map_err(|e| StartError::Config(ConfigError::Invalid(e)))?;
        let manager_token = random_hex();
        let mr860_key = terminals::new_key();
        let phone = DemoPhone {
            sn: PHONE_SN.into(),
            access_id: format!("phone-{}", &random_hex()[..12]),
            access_key: random_hex(),
            access_secret: random_hex(),
        };
        let config = RelayConfig {
            listen: localhost(port),
            data_dir,
            store: Default::default(),
            cluster: Default::default(),
            // The pages and the phone module built into the binary: any working directory.
            www_dir: None,
            pkg_dir: None,
            platform: PlatformConfig {
                tcp: sim.tcp_addr.to_string(),
                http: format!("http://{}/api/device", sim.http_addr),
                access_id: vendor.access_id,
                access_key: vendor.access_key,
                access_secret: Some(Secret::new(vendor.access_secret)),
                access_secret_env: None,
                access_secret_file: None,
                sns: vec![PLATFORM_SN.into()],
                heartbeat_secs: 30,
            },
            phones: vec![PhoneConfig {
                sn: phone.sn.clone(),
                access_id: phone.access_id.clone(),
                access_key: phone.access_key.clone(),
                access_secret: Secret::new(phone.access_secret.clone()),
                platform_sn: PLATFORM_SN.into(),
            }],
            limits,
            tasks: Default::default(),
            manager: ManagerConfig {
                token: Some(Secret::new(manager_token.clone())),
                ..Default::default()
            },
            mr860: vec![Mr860Config {
                device_id: MR860_DEVICE_ID.into(),
                // What a fresh store's first site is; `demo_terminal` puts it in the demo site.
                site_id: "site-1".into(),
                key: Some(Secret::new(mr860_key.clone())),
                ..Default::default()
            }],
            photo,
            http: Default::default(),
            signin: Default::default(),
            tls: None,
            wechat: None,
        };
        let relay = RunningRelay::start(config).await?;
        let (site, enroll_code) = demo_site(relay.gateway.store()).await?;
        demo_terminal(relay.gateway.store(), &site.site_id, &mr860_key).await?;
        let managers = demo_managers(relay.gateway.store(), &site.site_id).await?;
        let info = DemoInfo {
            url: format!("http://{}", relay.addr),
            sim_http: format!("http://{}", sim.http_addr),
            platform_sn: PLATFORM_SN.into(),
            phone,
            person_id: PERSON_ID.into(),
            mr860: DemoMr860 {
                device_id: MR860_DEVICE_ID.into(),
                card_number: PERSON_IDCARD.into(),
                urls: upload_urls(&format!("http://{}", relay.addr), &mr860_key),
            },
            manager_token,
            enroll_code,
            site,
            managers,
        };
        Ok(Demo { info, sim, relay })
    }

    /// Stops the relay, then the simulator.
    pub async fn shutdown(self) {
        self.relay.shutdown().await;
        self.sim.shutdown().await;
    }
}
