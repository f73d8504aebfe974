//! `relay demo`: the whole system on one machine: an embedded platform simulator, the relay in
//! front of it, a demo site with one phone credential and one person, and the pages.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Serialize;

use super::config::{LimitsConfig, PhoneConfig, PlatformConfig, RelayConfig, Secret};
use super::server::{RunningRelay, StartError};
use crate::protocol::{Credential, HandlerConfig};
use crate::sim::{NewPerson, RunningSim, SimConfig};

/// The demo device's platform sn.
const PLATFORM_SN: &str = "1388186";
/// The demo phone's sn on the phone leg.
const PHONE_SN: &str = "PHONE-DEMO-0001";
/// The demo worker's platform person id.
const PERSON_ID: &str = "4508004291609636864";

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
    /// The demo phone.
    pub phone: DemoPhone,
    /// The demo worker's person id.
    pub person_id: String,
}

/// A running demo.
pub struct Demo {
    /// What the first stdout line says.
    pub info: DemoInfo,
    sim: RunningSim,
    relay: RunningRelay,
}

fn random_hex() -> String {
    rand::random::<[u8; 16]>()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

impl Demo {
    /// Starts the simulator and the relay (`port` 0 picks a free one), with the store in
    /// `data_dir` and the phone API's `limits`, serving `www/` and `pkg/` from the working
    /// directory when present.
    pub async fn start(
        port: u16,
        data_dir: PathBuf,
        limits: LimitsConfig,
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
                max_frame_len: crate::protocol::wire::DEFAULT_MAX_FRAME_LEN,
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
            idcard_no: Some("330106199001011234".into()),
            img_url: None,
        }]);
        let phone = DemoPhone {
            sn: PHONE_SN.into(),
            access_id: format!("phone-{}", &random_hex()[..12]),
            access_key: random_hex(),
            access_secret: random_hex(),
        };
        let existing = |dir: &str| Some(PathBuf::from(dir)).filter(|path| path.is_dir());
        let config = RelayConfig {
            listen: localhost(port),
            data_dir,
            www_dir: existing("www"),
            pkg_dir: existing("pkg"),
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
        };
        let relay = RunningRelay::start(config).await?;
        let info = DemoInfo {
            url: format!("http://{}", relay.addr),
            sim_http: format!("http://{}", sim.http_addr),
            phone,
            person_id: PERSON_ID.into(),
        };
        Ok(Demo { info, sim, relay })
    }

    /// Stops the relay, then the simulator.
    pub async fn shutdown(self) {
        self.relay.shutdown().await;
        self.sim.shutdown().await;
    }
}
