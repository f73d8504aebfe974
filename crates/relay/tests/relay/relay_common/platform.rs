//! Helpers for the relay's task, site and MR860 tests: a simulator with an in-process relay
//! before it that heartbeats every second ([`TaskRelay`]), the manager API, and a photo
//! server whose photos can be slow, large, missing or held back ([`PhotoServer`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use zj_relay::config::{Mr860Config, RelayConfig, Secret};
use zj_relay::server::RunningRelay;

use super::sim_common::{Sim, SimHttp, SimOptions, SN};
use super::{data_dir, http_client, relay_config, wait_ready};

/// The manager token of every [`TaskRelay`].
pub const MANAGER_TOKEN: &str = "mgr-3b7d1c9e5f2a4086";
/// The configured MR860 terminal of every [`TaskRelay`].
pub const MR860_DEVICE: &str = "MR860-A1B2C3";
/// Its key (in its upload URLs, `/mr860/{key}/face`).
pub const MR860_KEY: &str = "k7d2m9q4x8w3n6p5r2t7v9z4b8";
/// Its site: the first site a [`TaskRelay`]'s test creates.
pub const MR860_SITE: &str = "site-1";

/// A simulator and an in-process relay before it.
pub struct TaskRelay {
    /// The relay.
    pub relay: Option<RunningRelay>,
    /// The simulator.
    pub sim: Sim,
    /// The simulator's HTTP API.
    pub http: SimHttp,
    /// The relay's base URL.
    pub url: String,
    /// The configuration it runs with.
    pub config: RelayConfig,
}

impl TaskRelay {
    /// A simulator with `page_size` persons per page, and a relay (heartbeats every second,
    /// [`MANAGER_TOKEN`], [`MR860_DEVICE`] for [`SN`]) changed by `tweak`.
    pub async fn start(name: &str, page_size: usize, tweak: impl FnOnce(&mut RelayConfig)) -> Self {
        let sim = Sim::with(SimOptions {
            page_size: Some(page_size),
            ..SimOptions::default()
        });
        let http = sim.http();
        let mut config = relay_config(
            sim.tcp.to_string(),
            format!("http://{}/api/device", sim.http),
            data_dir(name),
            &[],
            Default::default(),
        );
        config.platform.heartbeat_secs = 1;
        config.manager.token = Some(Secret::new(MANAGER_TOKEN));
        config.mr860 = vec![Mr860Config {
            device_id: MR860_DEVICE.into(),
            site_id: MR860_SITE.into(),
            key: Some(Secret::new(MR860_KEY)),
            ..Default::default()
        }];
        tweak(&mut config);
        let relay = RunningRelay::start(config.clone())
            .await
            .expect("the relay starts");
        let url = format!("http://{}", relay.addr);
        wait_ready(&url).await;
        Self {
            relay: Some(relay),
            sim,
            http,
            url,
            config,
        }
    }

    /// The running relay.
    pub fn relay(&self) -> &RunningRelay {
        self.relay.as_ref().expect("the relay runs")
    }

    /// Stops the relay gracefully and starts it again with the same store.
    pub async fn restart(&mut self) {
        if let Some(relay) = self.relay.take() {
            relay.shutdown().await;
        }
        let relay = (RunningRelay::start(self.config.clone()).await).expect("the relay restarts");
        self.url = format!("http://{}", relay.addr);
        wait_ready(&self.url).await;
        self.relay = Some(relay);
    }

    /// Adds persons to the platform's roster: `(personId, name, idcardNo, imgUrl)`.
    pub async fn add_persons(&self, persons: &[(&str, &str, Option<&str>, Option<String>)]) {
        let persons: Vec<Value> = (persons.iter())
            .map(|(id, name, idcard, img)| {
                json!({"personId": id, "name": name, "idcardNo": idcard, "imgUrl": img})
            })
            .collect();
        self.http.add_persons(&Value::Array(persons)).await;
    }

    /// Queues a task for [`SN`]; `extra` adds `personIds` or `param`.
    pub async fn add_task(&self, apicode: &str, extra: Value) -> String {
        let mut task = json!({"sn": SN, "apicode": apicode});
        if let Value::Object(extra) = extra {
            task.as_object_mut().unwrap().extend(extra);
        }
        self.http.add_task(&task).await
    }

    /// Waits (up to 30 s) for the relay's report of `taskid`; the task as the simulator
    /// shows it.
    pub async fn reported(&self, taskid: &str) -> Value {
        for _ in 0..600 {
            let task = self.http.task(taskid).await;
            if !task["status"].is_null() {
                return task;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "task {taskid} was never reported: {}",
            self.http.task(taskid).await
        );
    }

    /// `personCount` and `faceCount` the relay last reported for [`SN`].
    pub async fn counts(&self) -> (u64, u64) {
        let device = self.http.device(SN).await;
        (
            device["personCount"].as_u64().unwrap(),
            device["faceCount"].as_u64().unwrap(),
        )
    }

    /// A manager API call with [`MANAGER_TOKEN`]: the status and JSON body.
    pub async fn manager(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        call(&self.url, method, path, Some(MANAGER_TOKEN), body).await
    }

    /// A manager API list (`GET path`, which must answer 200) as pairs of two text members
    /// of each item, in the list's order.
    pub async fn manager_pairs(&self, path: &str, (a, b): (&str, &str)) -> Vec<(String, String)> {
        let (status, list) = self.manager("GET", path, None).await;
        assert_eq!(status, 200, "{list}");
        (list.as_array().unwrap().iter())
            .map(|item| {
                let field = |key: &str| item[key].as_str().unwrap().to_owned();
                (field(a), field(b))
            })
            .collect()
    }
}

/// An API call to `base` with an optional bearer token: the status and the JSON body (Null
/// when empty).
pub async fn call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let client = http_client();
    let url = format!("{base}{path}");
    let mut request = match method {
        "GET" => client.get(&url),
        "PUT" => client.put(&url),
        _ => client.post(&url),
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, json)
}

/// A small valid JPEG (just its markers: the relay checks the magic, not the pixels).
pub fn tiny_jpeg(len: usize) -> Vec<u8> {
    let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe0];
    jpeg.resize(len.max(8) - 2, 0x42);
    jpeg.extend_from_slice(&[0xff, 0xd9]);
    jpeg
}

#[derive(Clone)]
struct Photos {
    hits: Arc<Mutex<HashMap<String, usize>>>,
    held: watch::Receiver<bool>,
}

/// Photos at `/ok/{name}` (a 2 KB JPEG), `/big/{name}` (3 MiB), `/slow/{name}` (after 30 s),
/// `/text/{name}` (not an image), `/missing/{name}` (404), `/held/{name}` (a JPEG once
/// [`PhotoServer::release`] is called); every request counted.
pub struct PhotoServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    release: watch::Sender<bool>,
}

async fn photo(
    State(photos): State<Photos>,
    Path((kind, name)): Path<(String, String)>,
) -> Response {
    *photos
        .hits
        .lock()
        .unwrap()
        .entry(format!("/{kind}/{name}"))
        .or_insert(0) += 1;
    match kind.as_str() {
        "ok" => tiny_jpeg(2048).into_response(),
        "big" => tiny_jpeg(3 << 20).into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            tiny_jpeg(2048).into_response()
        }
        "text" => "not a photo".into_response(),
        "held" => {
            let mut held = photos.held.clone();
            let _ = held.wait_for(|released| *released).await;
            tiny_jpeg(2048).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

impl PhotoServer {
    /// Starts on a free port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let hits = Arc::new(Mutex::new(HashMap::new()));
        let (release, held) = watch::channel(false);
        let router = Router::new()
            .route("/{kind}/{name}", get(photo))
            .with_state(Photos {
                hits: hits.clone(),
                held,
            });
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            base: format!("http://{addr}"),
            hits,
            release,
        }
    }

    /// The URL of `/{kind}/{name}`.
    pub fn url(&self, kind: &str, name: &str) -> String {
        format!("{}/{kind}/{name}", self.base)
    }

    /// How many times `/{kind}/{name}` was asked for.
    pub fn hits(&self, kind: &str, name: &str) -> usize {
        let hits = self.hits.lock().unwrap();
        hits.get(&format!("/{kind}/{name}")).copied().unwrap_or(0)
    }

    /// Lets held photos go.
    pub fn release(&self) {
        let _ = self.release.send(true);
    }

    /// Waits (up to 20 s) until `/{kind}/{name}` has been asked for.
    pub async fn wait_hit(&self, kind: &str, name: &str) {
        for _ in 0..400 {
            if self.hits(kind, name) > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("/{kind}/{name} was never fetched");
    }
}
