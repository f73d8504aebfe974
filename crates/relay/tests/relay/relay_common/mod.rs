//! Helpers for the relay's tests.
//!
//! - [`demo`] and [`Phone`]: a demo system in process, and a phone that speaks to the relay over
//!   `/v1/frame` with the protocol core's device session.
//! - [`InProcessRelay`]: the real `platform-sim` binary (see [`sim_common`]) with a relay in
//!   process in front of it, so a test can reach the gateway (e.g. to revoke a phone).
//! - [`RelayProcess`]: the real `relay` binary from a TOML file written by [`relay_toml`],
//!   killed (SIGKILL) and restarted on the same port and data dir at will, its stderr kept.
//! - [`PhoneClient`]: a phone with hand-signed frames over `/v1/frame` or `/v1/link`, every
//!   reply kept as received; [`WsLink`] is the raw WebSocket underneath.
//! - [`FakePlatform`]: a TCP platform whose sign-in answers the test chooses.
//! - [`photos`]: real photos from `testdata/` for sign-ins: a face cropped as the phone crops
//!   it, two faces, a small face, a texture, as base64 JPEG.
#![allow(dead_code)]

#[path = "../../../../sim/tests/sim/sim_common/mod.rs"]
pub mod sim_common;

pub mod cluster;
pub mod photos;
pub mod platform;
pub mod postgres;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use zj_host::system_clock::now_ms;
use zj_protocol::json_form::{command_request_body, JsonReply};
use zj_protocol::wire::{self, FrameDecoder, Request, Response};
use zj_protocol::{
    Apicode, Credential, DeviceConfig, DeviceSession, ProtocolError, RequestFailure, SessionEvent,
    Signer, PROTOCOL_VERSION,
};
use zj_relay::config::{LimitsConfig, PhoneConfig, PlatformConfig, RelayConfig, Secret};
use zj_relay::demo::{Demo, DemoPhone};
use zj_relay::server::RunningRelay;

use sim_common::{drain, Sim, SimOptions, ACCESS_ID, ACCESS_KEY, ACCESS_SECRET, SN};

/// The repository's top folder (`www/`, `pkg/`, `scripts/`, `relay.example.toml`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Longest one phone exchange may take before a test fails.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// A fresh, empty data directory for one test's relay store.
pub fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zj-relay-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Starts a demo (simulator + relay) on free ports with its store in a fresh folder.
pub async fn demo(name: &str) -> Demo {
    Demo::start(
        0,
        data_dir(name),
        LimitsConfig::default(),
        Default::default(),
    )
    .await
    .expect("the demo starts")
}

/// A phone speaking the protocol to the relay over `POST /v1/frame`.
pub struct Phone {
    /// The phone's device session (its own credentials, never the vendor's).
    pub session: DeviceSession,
    url: String,
    http: reqwest::Client,
}

impl Phone {
    /// A phone with `phone`'s credentials talking to the relay at `url`.
    pub fn new(url: &str, phone: &DemoPhone) -> Self {
        let mut session = DeviceSession::new(DeviceConfig {
            sn: phone.sn.clone(),
            credential: Credential {
                access_id: phone.access_id.clone(),
                access_key: phone.access_key.clone(),
                access_secret: phone.access_secret.clone(),
            },
            device_version: "zj-attendance-phone test".into(),
            device_ip: "192.168.1.20".into(),
            heartbeat_interval_ms: 30_000,
        });
        session.connected();
        Self {
            session,
            url: format!("{url}/v1/frame"),
            http: http_client(),
        }
    }

    /// Posts one frame in JSON form and returns the HTTP status and the reply body.
    pub async fn post(&self, body: String) -> (u16, String) {
        let response = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("the relay answers");
        let status = response.status().as_u16();
        (status, response.text().await.expect("a reply body"))
    }

    /// Sends what the session has to send, one frame at a time, until it has an event.
    pub async fn next_event(&mut self) -> SessionEvent {
        tokio::time::timeout(CALL_TIMEOUT, async {
            loop {
                if let Some(event) = self.session.poll_event() {
                    return event;
                }
                let request = self
                    .session
                    .poll_transmit(now_ms())
                    .expect("the session has a frame to send");
                let (_, body) = self.post(command_request_body(&request)).await;
                let reply = JsonReply::parse(body.as_bytes()).expect("a JSON reply");
                self.session
                    .handle_response(reply.into_response(), now_ms())
                    .expect("replies match requests");
            }
        })
        .await
        .expect("the phone exchange finished in time")
    }

    /// Submits a sign-in and returns its completion.
    pub async fn sign_in(&mut self, param: String) -> Result<String, RequestFailure> {
        let id = self.session.submit(Apicode::CSignIn, param);
        loop {
            if let SessionEvent::Completed { id: done, result } = self.next_event().await {
                if done == id {
                    return result;
                }
            }
        }
    }
}

/// A phone's sign-in param for `person_id`: a real face photo, a coordinate, its `recordId`
/// and audit extras.
pub fn phone_record(person_id: &str, record_id: &str) -> String {
    phone_record_with(person_id, record_id, json!("64"), 0, json!({}))
}

/// A phone's sign-in param: `type` as given, a real face photo of at least `photo_len` bytes
/// (see [`photos::face_photo_base64`]), a coordinate with its accuracy (`location`) in the
/// middle of the demo site and of the tests' fences, its `recordId`, a fence verdict, plus
/// the members of `extra` (which may replace any of those).
pub fn phone_record_with(
    person_id: &str,
    record_id: &str,
    kind: Value,
    photo_len: usize,
    extra: Value,
) -> String {
    let mut record = json!({
        "personId": person_id,
        "type": kind,
        "img": photos::face_photo_base64(photo_len),
        "recordTime": now_ms(),
        "coordinate": {"longitude": 120.2110, "latitude": 30.2090},
        "location": {"lng": 120.2110, "lat": 30.2090, "accuracyM": 10.0},
        "recordId": record_id,
        "fence": {"verdict": "inside", "distanceM": 12.5},
    });
    if let (Value::Object(record), Value::Object(extra)) = (&mut record, extra) {
        record.extend(extra);
    }
    record.to_string()
}

/// `len` bytes that are not a photo, base64.
pub fn base64_not_a_photo(len: usize) -> String {
    use base64::Engine;
    let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// What the platform received, from the simulator's inspection API.
pub async fn signins(sim_http: &str) -> Vec<Value> {
    http_client()
        .get(format!("{sim_http}/sim/signins"))
        .send()
        .await
        .expect("the simulator answers")
        .json()
        .await
        .expect("a JSON array")
}

/// An HTTP client that never goes through a proxy.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("HTTP client")
}

/// `GET url`: the status and the body text.
pub async fn get_text(url: &str) -> (u16, String) {
    let response =
        (http_client().get(url).send().await).unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

/// Waits until the relay at `url` says every platform link is `Ready` (fails after 15 s).
pub async fn wait_ready(url: &str) {
    let client = http_client();
    let ready = async {
        loop {
            let health = client.get(format!("{url}/healthz")).send().await;
            if let Ok(response) = health {
                if let Ok(health) = response.json::<Value>().await {
                    let links = health["platformLinks"]
                        .as_object()
                        .cloned()
                        .unwrap_or_default();
                    if !links.is_empty() && links.values().all(|state| state == "Ready") {
                        return;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(15), ready)
        .await
        .unwrap_or_else(|_| panic!("the relay at {url} did not get its platform links ready"));
}

/// The credentials an enrollment answer (`POST /v1/enroll`) gives the phone.
pub fn phone_of(enrolled: &serde_json::Value) -> DemoPhone {
    let text = |key: &str| enrolled["phone"][key].as_str().unwrap().to_owned();
    DemoPhone {
        sn: text("sn"),
        access_id: text("accessId"),
        access_key: text("accessKey"),
        access_secret: text("accessSecret"),
    }
}

/// Test credentials of a phone tagged `tag` (its own, never the vendor's).
pub fn test_phone(tag: &str) -> DemoPhone {
    DemoPhone {
        sn: format!("PHONE-{tag}"),
        access_id: format!("phone-{tag}"),
        access_key: format!("pk-{tag}-71c2"),
        access_secret: format!("ps-{tag}-e90a44"),
    }
}

/// A relay configuration in front of a platform at `tcp` (HTTP task API at `http`), with
/// `sim_common`'s vendor credentials inline, serving [`SN`], with `phones` going to [`SN`].
pub fn relay_config(
    tcp: String,
    http: String,
    data_dir: PathBuf,
    phones: &[DemoPhone],
    limits: LimitsConfig,
) -> RelayConfig {
    RelayConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir,
        store: postgres::test_store(),
        cluster: Default::default(),
        www_dir: None,
        pkg_dir: None,
        platform: PlatformConfig {
            tcp,
            http,
            access_id: ACCESS_ID.into(),
            access_key: ACCESS_KEY.into(),
            access_secret: Some(Secret::new(ACCESS_SECRET)),
            access_secret_env: None,
            access_secret_file: None,
            sns: vec![SN.into()],
            heartbeat_secs: 30,
        },
        phones: (phones.iter())
            .map(|phone| PhoneConfig {
                sn: phone.sn.clone(),
                access_id: phone.access_id.clone(),
                access_key: phone.access_key.clone(),
                access_secret: Secret::new(phone.access_secret.clone()),
                platform_sn: SN.into(),
            })
            .collect(),
        limits,
        tasks: Default::default(),
        manager: Default::default(),
        mr860: Vec::new(),
        photo: Default::default(),
        http: Default::default(),
        signin: Default::default(),
        tls: None,
        wechat: None,
    }
}

/// The real `platform-sim` binary with a relay in process in front of it.
pub struct InProcessRelay {
    /// The relay (its gateway is public).
    pub relay: RunningRelay,
    /// The platform simulator.
    pub sim: Sim,
    /// The relay's base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    /// The simulator's base URL.
    pub sim_http: String,
    /// The configured phones.
    pub phones: Vec<DemoPhone>,
    /// The configuration it was started with.
    pub config: RelayConfig,
}

impl InProcessRelay {
    /// Starts a simulator and a relay with `phones` configured and these `limits`; returns
    /// once the platform link is ready.
    pub async fn start(name: &str, phones: Vec<DemoPhone>, limits: LimitsConfig) -> Self {
        let sim = Sim::with(SimOptions::default());
        let sim_http = format!("http://{}", sim.http);
        let config = relay_config(
            sim.tcp.to_string(),
            format!("{sim_http}/api/device"),
            data_dir(name),
            &phones,
            limits,
        );
        let relay = RunningRelay::start(config.clone())
            .await
            .expect("the relay starts");
        let url = format!("http://{}", relay.addr);
        wait_ready(&url).await;
        Self {
            relay,
            sim,
            url,
            sim_http,
            phones,
            config,
        }
    }

    /// What the platform received.
    pub async fn signins(&self) -> Vec<Value> {
        signins(&self.sim_http).await
    }

    /// A phone client for configured phone `index` over `transport`.
    pub async fn phone(&self, index: usize, transport: Transport) -> PhoneClient {
        PhoneClient::connect(transport, &self.url, &self.phones[index]).await
    }

    /// Stops the relay gracefully; the simulator goes when dropped.
    pub async fn shutdown(self) -> Sim {
        self.relay.shutdown().await;
        self.sim
    }
}

/// How a phone reaches the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `POST /v1/frame`, JSON.
    Http,
    /// `GET /v1/link`, one binary WebSocket message per frame.
    Ws,
}

/// A command signed per §3 with `phone`'s own secret, stamped `at_ms`. `C_AUTH` carries the
/// phone's `accessId` / `accessKey` and no token.
pub fn phone_request(
    phone: &DemoPhone,
    token: &str,
    apicode: Apicode,
    param: &str,
    at_ms: i64,
) -> Request {
    let signer = Signer {
        sn: &phone.sn,
        access_id: &phone.access_id,
        access_key: &phone.access_key,
        access_secret: &phone.access_secret,
    };
    sim_common::signed_as(&signer, token, apicode, param, at_ms)
}

/// The heartbeat param a test phone sends.
pub fn phone_heartbeat_param() -> String {
    json!({"deviceVersion": "zj-attendance-phone test", "deviceIp": "192.168.1.20"}).to_string()
}

/// The `error` of a refused reply, `None` when it succeeded.
pub fn refusal(response: &Response) -> Option<ProtocolError> {
    (!response.success).then(|| {
        serde_json::from_str(&response.error)
            .unwrap_or_else(|e| panic!("refusal's error is not JSON ({e}): {response:?}"))
    })
}

/// A relay's WebSocket `/v1/link` as a client sees it.
pub struct WsLink {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every message received so far, as bytes (text messages as their UTF-8).
    pub received: Vec<Vec<u8>>,
}

impl WsLink {
    /// Opens `/v1/link` on the relay at `base_url` (`http://host:port`).
    pub async fn connect(base_url: &str) -> Self {
        let url = format!("{}/v1/link", base_url.replacen("http://", "ws://", 1));
        let (ws, _) = tokio::time::timeout(CALL_TIMEOUT, tokio_tungstenite::connect_async(url))
            .await
            .expect("the WebSocket handshake finished in time")
            .expect("the relay accepts /v1/link");
        Self {
            ws,
            received: Vec::new(),
        }
    }

    /// Sends one WebSocket message.
    pub async fn send(&mut self, message: Message) {
        self.ws.send(message).await.expect("sending on /v1/link");
    }

    /// Sends `request` as one binary message holding one frame.
    pub async fn send_frame(&mut self, request: &Request) {
        self.send(Message::Binary(wire::frame_bytes(request))).await;
    }

    /// The next data message (pings and pongs skipped), `None` when the relay closed the link.
    pub async fn next_message(&mut self) -> Option<Message> {
        let next = async {
            loop {
                match self.ws.next().await {
                    None | Some(Err(_)) => return None,
                    Some(Ok(Message::Close(_))) => return None,
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                    Some(Ok(message)) => return Some(message),
                }
            }
        };
        let message = tokio::time::timeout(CALL_TIMEOUT, next)
            .await
            .expect("the relay answered on /v1/link in time");
        if let Some(message) = &message {
            self.received.push(message.clone().into_data().to_vec());
        }
        message
    }

    /// The next reply: a binary message holding exactly one `Response` frame.
    pub async fn recv_reply(&mut self) -> Response {
        match self.next_message().await {
            Some(Message::Binary(bytes)) => {
                let body = FrameDecoder::default()
                    .decode_exact(&bytes)
                    .unwrap_or_else(|e| panic!("the reply is not exactly one frame: {e}"));
                wire::decode_response(body).expect("the reply frame is a Response")
            }
            other => panic!("expected a binary reply frame, got {other:?}"),
        }
    }

    /// Sends `request` and returns its reply.
    pub async fn call(&mut self, request: &Request) -> Response {
        self.send_frame(request).await;
        self.recv_reply().await
    }

    /// Whether the relay closes the link (within [`CALL_TIMEOUT`]) without sending anything
    /// more; a data message instead fails the test.
    pub async fn assert_closed(&mut self) {
        if let Some(message) = self.next_message().await {
            panic!("expected the relay to close the link, got {message:?}");
        }
    }
}

enum Conn {
    Http {
        client: reqwest::Client,
        url: String,
    },
    Ws(Box<WsLink>),
}

/// A phone with hand-signed frames (fresh `timeStamp` each) over either transport; every
/// reply is kept as received in `transcript`.
pub struct PhoneClient {
    /// Its credentials.
    pub creds: DemoPhone,
    /// The relay token from its last successful `C_AUTH`.
    pub token: Option<String>,
    /// Every reply as received: HTTP bodies, WebSocket messages (lossy UTF-8).
    pub transcript: Vec<String>,
    conn: Conn,
}

impl PhoneClient {
    /// A phone with `creds` reaching the relay at `base_url` over `transport`.
    pub async fn connect(transport: Transport, base_url: &str, creds: &DemoPhone) -> Self {
        let conn = match transport {
            Transport::Http => Conn::Http {
                client: http_client(),
                url: format!("{base_url}/v1/frame"),
            },
            Transport::Ws => Conn::Ws(Box::new(WsLink::connect(base_url).await)),
        };
        Self {
            creds: creds.clone(),
            token: None,
            transcript: Vec::new(),
            conn,
        }
    }

    /// A request signed with this phone's secret, its token, stamped `at_ms`.
    pub fn request_at(&self, apicode: Apicode, param: &str, at_ms: i64) -> Request {
        let token = self.token.as_deref().unwrap_or_default();
        phone_request(&self.creds, token, apicode, param, at_ms)
    }

    /// A request signed with this phone's secret, its token, stamped now.
    pub fn request(&self, apicode: Apicode, param: &str) -> Request {
        self.request_at(apicode, param, now_ms())
    }

    /// Posts a raw body to `/v1/frame` (HTTP phones only): the status and the body text.
    pub async fn post_raw(&mut self, body: impl Into<reqwest::Body>) -> (u16, String) {
        let Conn::Http { client, url } = &self.conn else {
            panic!("post_raw is for HTTP phones");
        };
        let response = tokio::time::timeout(
            CALL_TIMEOUT,
            client
                .post(url.as_str())
                .header("content-type", "application/json")
                .body(body)
                .send(),
        )
        .await
        .expect("the relay answered in time")
        .expect("the relay answers /v1/frame");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a reply body");
        self.transcript.push(text.clone());
        (status, text)
    }

    /// Sends one frame and returns its reply (HTTP replies must have status 200).
    pub async fn call(&mut self, request: &Request) -> Response {
        match &mut self.conn {
            Conn::Http { .. } => {
                let (status, body) = self.post_raw(json_body(request)).await;
                assert_eq!(status, 200, "HTTP status of the reply {body}");
                let reply = JsonReply::parse(body.as_bytes())
                    .unwrap_or_else(|e| panic!("reply {body} is not a JSON reply: {e}"));
                reply.into_response()
            }
            Conn::Ws(link) => {
                let reply = link.call(request).await;
                let raw = link.received.last().expect("the reply was kept");
                self.transcript
                    .push(String::from_utf8_lossy(raw).into_owned());
                reply
            }
        }
    }

    /// The WebSocket link underneath (WebSocket phones only).
    pub fn link(&mut self) -> &mut WsLink {
        match &mut self.conn {
            Conn::Ws(link) => link,
            Conn::Http { .. } => panic!("not a WebSocket phone"),
        }
    }

    /// `C_AUTH`; on success keeps the token.
    pub async fn auth(&mut self) -> Response {
        let reply = self.call(&self.request(Apicode::CAuth, "")).await;
        if reply.success {
            let response: Value = serde_json::from_str(&reply.response).expect("C_AUTH response");
            self.token = Some(response["token"].as_str().expect("a token").to_owned());
        }
        reply
    }

    /// `C_AUTH`, asserting success.
    pub async fn authed(mut self) -> Self {
        let reply = self.auth().await;
        assert!(
            reply.success,
            "C_AUTH of {} refused: {reply:?}",
            self.creds.sn
        );
        self
    }

    /// `C_HEARTBEAT`.
    pub async fn heartbeat(&mut self) -> Response {
        let request = self.request(Apicode::CHeartbeat, &phone_heartbeat_param());
        self.call(&request).await
    }

    /// `C_SIGN_IN` with `param`.
    pub async fn sign_in(&mut self, param: &str) -> Response {
        let request = self.request(Apicode::CSignIn, param);
        self.call(&request).await
    }
}

/// The JSON form of `request` for `/v1/frame`: `param` as a JSON object when it is JSON, as a
/// JSON string holding the text otherwise (so an unparsable param still arrives).
pub fn json_body(request: &Request) -> String {
    let body = command_request_body(request);
    let mut json: Value = serde_json::from_str(&body).expect("the body is JSON");
    if !request.param.is_empty() && json.get("param").is_none() {
        json["param"] = Value::String(request.param.clone());
        return json.to_string();
    }
    body
}

/// Where the relay binary gets the vendor `accessSecret`.
#[derive(Debug, Clone)]
pub enum SecretSource {
    /// `platform.access_secret_env`: the name of a variable set in the relay's environment.
    Env(String),
    /// `platform.access_secret_file`.
    File(PathBuf),
    /// `platform.access_secret`, inline.
    Inline(String),
}

/// A TOML string (JSON string escapes are valid TOML basic-string escapes).
fn toml_str(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}

/// A relay configuration file: the simulator's addresses, `sim_common`'s vendor `accessId` /
/// `accessKey`, the secret from `secret`, serving [`SN`], `phones` going to [`SN`], and the
/// `[limits]` lines given.
pub fn relay_toml(
    sim: &Sim,
    data_dir: &Path,
    secret: &SecretSource,
    phones: &[DemoPhone],
    heartbeat_secs: u32,
    limits: &str,
) -> String {
    let secret = match secret {
        SecretSource::Env(name) => format!("access_secret_env = {}", toml_str(name)),
        SecretSource::File(path) => format!(
            "access_secret_file = {}",
            toml_str(path.to_str().expect("a UTF-8 path"))
        ),
        SecretSource::Inline(value) => format!("access_secret = {}", toml_str(value)),
    };
    let mut text = format!(
        "listen = \"127.0.0.1:0\"\n\
         data_dir = {data_dir}\n\
         \n\
         [platform]\n\
         tcp = {tcp}\n\
         http = {http}\n\
         access_id = {access_id}\n\
         access_key = {access_key}\n\
         {secret}\n\
         sns = [{sn}]\n\
         heartbeat_secs = {heartbeat_secs}\n",
        data_dir = toml_str(data_dir.to_str().expect("a UTF-8 path")),
        tcp = toml_str(&sim.tcp.to_string()),
        http = toml_str(&format!("http://{}/api/device", sim.http)),
        access_id = toml_str(ACCESS_ID),
        access_key = toml_str(ACCESS_KEY),
        sn = toml_str(SN),
    );
    for phone in phones {
        text.push_str(&format!(
            "\n[[phones]]\nsn = {}\naccess_id = {}\naccess_key = {}\naccess_secret = {}\nplatform_sn = {}\n",
            toml_str(&phone.sn),
            toml_str(&phone.access_id),
            toml_str(&phone.access_key),
            toml_str(&phone.access_secret),
            toml_str(SN),
        ));
    }
    text.push_str(&format!("\n[limits]\n{limits}\n"));
    text
}

/// Limits for tests that send many frames: rate limits out of the way.
pub const GENEROUS_LIMITS: &str = "frames_per_minute = 600000\nframes_burst = 100000";

/// One run of the relay binary's output.
#[derive(Default)]
struct Output {
    stderr: Arc<Mutex<String>>,
    stdout: Arc<Mutex<String>>,
}

/// The real `relay` binary (`relay serve --config FILE`), killed when dropped.
pub struct RelayProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The listen address (kept across restarts).
    pub addr: SocketAddr,
    /// The configuration file.
    pub config: PathBuf,
    envs: Vec<(String, String)>,
    rust_log: String,
    runs: Vec<Output>,
}

impl RelayProcess {
    /// Starts `relay serve --config config` with `RUST_LOG=rust_log` and `envs` set, and waits
    /// for its `{"url":…}` line.
    pub fn start(config: &Path, envs: &[(&str, &str)], rust_log: &str) -> Self {
        let envs: Vec<(String, String)> = (envs.iter())
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let (child, url, output) = Self::spawn(config, &envs, rust_log, None);
        let addr = url
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .parse()
            .expect("the url holds a socket address");
        Self {
            child,
            url,
            addr,
            config: config.to_owned(),
            envs,
            rust_log: rust_log.to_owned(),
            runs: vec![output],
        }
    }

    fn spawn(
        config: &Path,
        envs: &[(String, String)],
        rust_log: &str,
        listen: Option<SocketAddr>,
    ) -> (Child, String, Output) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_relay"));
        command.arg("serve").arg("--config").arg(config);
        if let Some(listen) = listen {
            command.arg("--listen").arg(listen.to_string());
        }
        let mut child = command
            .env("RUST_LOG", rust_log)
            .env_remove("RELAY_CONFIG")
            .env_remove("RELAY_LISTEN")
            .env_remove("RELAY_DATA_DIR")
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the relay binary starts");
        let output = Output::default();
        drain(
            child.stderr.take().expect("stderr is piped"),
            output.stderr.clone(),
        );
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("reading the relay's stdout");
        output.stdout.lock().unwrap().push_str(&line);
        drain(stdout, output.stdout.clone());
        let url = serde_json::from_str::<Value>(&line)
            .ok()
            .and_then(|first| first["url"].as_str().map(str::to_owned))
            .unwrap_or_else(|| {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "the relay's first line {line:?} is not {{\"url\":…}}; stderr: {}",
                    output.stderr.lock().unwrap()
                )
            });
        (child, url, output)
    }

    /// SIGKILL, as a crash or a power cut would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills the relay if it runs, then starts it again on the same port with the same
    /// configuration (and so the same data dir).
    pub fn restart(&mut self) {
        self.kill();
        let (child, url, output) =
            Self::spawn(&self.config, &self.envs, &self.rust_log, Some(self.addr));
        assert_eq!(url, self.url, "restarted on the same port");
        self.child = child;
        self.runs.push(output);
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the current run wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.runs.last().unwrap().stderr.lock().unwrap().clone()
    }

    /// Everything every run wrote to stderr and stdout so far.
    pub fn all_output(&self) -> String {
        let mut all = String::new();
        for run in &self.runs {
            all.push_str(&run.stderr.lock().unwrap());
            all.push_str(&run.stdout.lock().unwrap());
        }
        all
    }

    /// Waits (up to 10 s) until the current run's stderr contains `text`; returns the stderr.
    pub async fn wait_stderr(&self, text: &str) -> String {
        for _ in 0..400 {
            let stderr = self.stderr();
            if stderr.contains(text) {
                return stderr;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the relay never logged {text:?}; stderr: {}", self.stderr());
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A sign-in answer of the [`FakePlatform`]: how long to wait, then accept (`None`) or refuse.
pub type FakeAnswer = (Duration, Option<ProtocolError>);

/// A TCP platform that accepts any `C_AUTH` and `C_HEARTBEAT` (no checks) and answers the
/// `n`th `C_SIGN_IN` (from 0, across connections) as `answer(n)` says; it keeps every
/// sign-in's param.
pub struct FakePlatform {
    /// Its TCP address.
    pub addr: SocketAddr,
    /// Every `C_SIGN_IN` param received, in order.
    pub sign_ins: Arc<Mutex<Vec<String>>>,
}

impl FakePlatform {
    /// Starts listening on a free port.
    pub async fn start(answer: impl Fn(usize) -> FakeAnswer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let sign_ins = Arc::new(Mutex::new(Vec::new()));
        let answer = Arc::new(answer);
        let kept = sign_ins.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(fake_connection(stream, answer.clone(), kept.clone()));
            }
        });
        Self { addr, sign_ins }
    }

    /// How many sign-ins arrived.
    pub fn count(&self) -> usize {
        self.sign_ins.lock().unwrap().len()
    }
}

async fn fake_connection(
    mut stream: TcpStream,
    answer: Arc<dyn Fn(usize) -> FakeAnswer + Send + Sync>,
    sign_ins: Arc<Mutex<Vec<String>>>,
) {
    let decoder = FrameDecoder::default();
    let mut input = BytesMut::new();
    loop {
        let frame = match decoder.decode(&mut input) {
            Ok(Some(frame)) => frame,
            Ok(None) => match stream.read_buf(&mut input).await {
                Ok(1..) => continue,
                _ => return,
            },
            Err(_) => return,
        };
        let Ok(request) = wire::decode_request(&frame) else {
            return;
        };
        let ok = |response: String| (true, String::new(), response);
        let (success, error, response) = match request.apicode.as_str() {
            "C_AUTH" => ok(json!({"token": "0123456789abcdef0123456789abcdef"}).to_string()),
            "C_HEARTBEAT" => ok(json!({"taskids": []}).to_string()),
            _ => {
                let n = {
                    let mut sign_ins = sign_ins.lock().unwrap();
                    sign_ins.push(request.param.clone());
                    sign_ins.len() - 1
                };
                let (delay, refusal) = answer(n);
                tokio::time::sleep(delay).await;
                match refusal {
                    None => ok(String::new()),
                    Some(error) => (false, serde_json::to_string(&error).unwrap(), String::new()),
                }
            }
        };
        let reply = Response {
            version: PROTOCOL_VERSION.to_owned(),
            success,
            apicode: request.apicode.clone(),
            error,
            response,
        };
        if stream.write_all(&wire::frame_bytes(&reply)).await.is_err() {
            return;
        }
    }
}

/// A relay in process in front of a [`FakePlatform`], with `phones` configured.
pub async fn relay_before_fake(
    name: &str,
    fake: &FakePlatform,
    phones: &[DemoPhone],
) -> (RunningRelay, String) {
    let config = relay_config(
        fake.addr.to_string(),
        "http://127.0.0.1:9/api/device".into(),
        data_dir(name),
        phones,
        LimitsConfig::default(),
    );
    let relay = RunningRelay::start(config).await.expect("the relay starts");
    let url = format!("http://{}", relay.addr);
    wait_ready(&url).await;
    (relay, url)
}

/// How many times each `personId` reached the platform.
pub fn person_counts(signins: &[Value]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for signin in signins {
        let person = signin["personId"].as_str().expect("a personId").to_owned();
        *counts.entry(person).or_insert(0) += 1;
    }
    counts
}
