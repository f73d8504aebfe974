//! Shared helpers for the `platform-sim` integration tests.
//!
//! - [`Sim`] starts the real binary on free ports and kills it on drop.
//! - [`CommandClient`] speaks raw TCP frames (§2) to it; [`signed`] builds a correctly signed
//!   command (§3) at any time, [`resign`] re-signs one after a test changed it.
//! - [`SimHttp`] calls the task API (§5) and the `/sim/*` inspection API (§10), and
//!   [`assert_reply_signed`] checks a task reply's signature independently of the crate's own
//!   reply parser.
//! - [`SessionDriver`] pumps a [`DeviceSession`] over a real TCP connection.
// Each test crate includes this module and uses a different subset of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use bytes::{Bytes, BytesMut};
use rand::{RngCore, SeedableRng};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use zj_protocol::json_form::task_request_body;
use zj_protocol::sign::{reply_sign, request_sign, ReplyView, RequestView};
use zj_protocol::wire::{self, FrameDecoder, Request, Response};
use zj_protocol::{
    signed_command, time, Apicode, Credential, DeviceConfig, DeviceSession, RequestFailure,
    RequestId, SessionEvent, Signer,
};

/// The vendor `accessId` every simulator in these tests is started with.
pub const ACCESS_ID: &str = "zj-vendor-0042";
/// The vendor `accessKey`.
pub const ACCESS_KEY: &str = "ak-3f9c2e7a";
/// The vendor `accessSecret` (never sent; it keys every signature).
pub const ACCESS_SECRET: &str = "as-8d41b6f0c2";
/// The first registered device.
pub const SN: &str = "ZJMA-0001";
/// A second device registered to the same vendor.
pub const OTHER_SN: &str = "ZJMA-0002";
/// A syntactically valid signature that matches nothing.
pub const BOGUS_SIGN: &str = "0123456789abcdef0123456789abcdef";
/// Longest any single exchange with the simulator may take before a test fails.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Command-line options of one simulator; `None` keeps the binary's default.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Registered serial numbers (`--sn`, repeated).
    pub sns: Vec<String>,
    /// `--token-idle-secs`.
    pub token_idle_secs: Option<u32>,
    /// `--offline-after-secs`.
    pub offline_after_secs: Option<u32>,
    /// `--clock-skew-secs`.
    pub clock_skew_secs: Option<u32>,
    /// `--page-size`.
    pub page_size: Option<usize>,
    /// `--max-frame-len`.
    pub max_frame_len: Option<usize>,
    /// The TCP command address; a free port when `None`.
    pub tcp: Option<SocketAddr>,
    /// The HTTP address; a free port when `None`.
    pub http: Option<SocketAddr>,
}

impl Default for SimOptions {
    /// [`SN`] and [`OTHER_SN`], every limit at its default.
    fn default() -> Self {
        Self {
            sns: vec![SN.to_owned(), OTHER_SN.to_owned()],
            token_idle_secs: None,
            offline_after_secs: None,
            clock_skew_secs: None,
            page_size: None,
            max_frame_len: None,
            tcp: None,
            http: None,
        }
    }
}

impl SimOptions {
    /// The command-line arguments after the two listen addresses.
    fn args(&self) -> Vec<String> {
        let mut args = vec![
            "--access-id".to_owned(),
            ACCESS_ID.to_owned(),
            "--access-key".to_owned(),
            ACCESS_KEY.to_owned(),
            "--access-secret".to_owned(),
            ACCESS_SECRET.to_owned(),
        ];
        for sn in &self.sns {
            args.extend(["--sn".to_owned(), sn.clone()]);
        }
        let limits = [
            ("--token-idle-secs", self.token_idle_secs.map(u64::from)),
            (
                "--offline-after-secs",
                self.offline_after_secs.map(u64::from),
            ),
            ("--clock-skew-secs", self.clock_skew_secs.map(u64::from)),
            ("--page-size", self.page_size.map(|n| n as u64)),
            ("--max-frame-len", self.max_frame_len.map(|n| n as u64)),
        ];
        for (flag, value) in limits {
            if let Some(value) = value {
                args.extend([flag.to_owned(), value.to_string()]);
            }
        }
        args
    }
}

/// A running `platform-sim` child process on free ports, killed when dropped.
pub struct Sim {
    child: Child,
    /// The TCP command channel.
    pub tcp: SocketAddr,
    /// The HTTP task and inspection API.
    pub http: SocketAddr,
    stderr: Arc<Mutex<String>>,
    options: SimOptions,
}

impl Sim {
    /// Starts the binary with [`SimOptions::default`].
    pub fn start() -> Self {
        Self::with(SimOptions::default())
    }

    /// Starts the binary with `options` and waits for its address line on stdout.
    pub fn with(options: SimOptions) -> Self {
        let kept = options.clone();
        let free = || "127.0.0.1:0".to_owned();
        let tcp = options.tcp.map_or_else(free, |addr| addr.to_string());
        let http = options.http.map_or_else(free, |addr| addr.to_string());
        let mut child = Command::new(sim_binary())
            .args(["--tcp", &tcp, "--http", &http])
            .args(options.args())
            .env("RUST_LOG", "warn")
            .env_remove("PLATFORM_SIM_ACCESS_SECRET")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("platform-sim starts");
        // Keep stderr for failure messages.
        let stderr = Arc::new(Mutex::new(String::new()));
        drain(
            child.stderr.take().expect("stderr is piped"),
            stderr.clone(),
        );
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout is piped"))
            .read_line(&mut line)
            .expect("reading platform-sim's stdout");
        let addresses: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "platform-sim's first line {line:?} is not its address JSON ({e}); stderr: {}",
                stderr.lock().unwrap()
            )
        });
        let address = |key: &str| -> SocketAddr {
            (addresses[key].as_str())
                .and_then(|text| text.parse().ok())
                .unwrap_or_else(|| panic!("no {key} address in {line:?}"))
        };
        Self {
            tcp: address("tcp"),
            http: address("http"),
            child,
            stderr,
            options: kept,
        }
    }

    /// Kills the child (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts a new simulator on the same ports as a killed one (with an empty state, as a
    /// platform that lost everything).
    pub fn restart(&mut self) {
        self.kill();
        *self = Sim::with(SimOptions {
            tcp: Some(self.tcp),
            http: Some(self.http),
            ..self.options.clone()
        });
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the child has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// What the child wrote to stderr so far (its warnings).
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// A memory figure of the child in KiB from `/proc/<pid>/status`: `"VmRSS"` (resident
    /// now) or `"VmHWM"` (the most it was ever resident).
    pub fn memory_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("reading /proc/<pid>/status");
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} line in /proc/<pid>/status"))
    }

    /// A fresh TCP connection to the command channel.
    pub async fn connect(&self) -> CommandClient {
        CommandClient::connect(self.tcp).await
    }

    /// An HTTP client for this simulator.
    pub fn http(&self) -> SimHttp {
        SimHttp::new(self.http)
    }

    /// Asserts the child is still running and serves a device that has not talked to it
    /// before: a new connection authenticates, heartbeats and signs in.
    pub async fn assert_serves_fresh_device(&mut self, sn: &str) {
        assert!(self.is_running(), "platform-sim exited: {}", self.stderr());
        let mut client = self.connect().await;
        let token = client.auth(sn).await;
        assert_success(&client.heartbeat(sn, &token).await);
        let param = sign_in_param("P-FRESH", json!("64"), &random_bytes(512, 7), json!({}));
        assert_success(&client.sign_in(sn, &token, &param).await);
        assert!(self.is_running(), "platform-sim exited: {}", self.stderr());
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Copies everything `pipe` yields into `sink`, on a thread, so a child process never blocks
/// on a full pipe.
pub fn drain(mut pipe: impl Read + Send + 'static, sink: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut chunk) {
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
}

/// Unix epoch milliseconds now.
pub fn now_ms() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

/// `timeStamp` text (Beijing time) of `at_ms`.
pub fn timestamp(at_ms: i64) -> String {
    time::format_timestamp(at_ms).expect("a present-day instant formats")
}

/// `len` pseudo-random bytes, the same for the same `seed`.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut bytes = vec![0; len];
    rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut bytes);
    bytes
}

/// The `platform-sim` binary: cargo's own path for it in the simulator's tests; in other
/// crates' tests (the relay's), the one beside them in the same target folder, which a
/// workspace `cargo test` builds before any test runs.
pub fn sim_binary() -> std::path::PathBuf {
    if let Some(path) = option_env!("CARGO_BIN_EXE_platform-sim") {
        return path.into();
    }
    let test_exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = (test_exe.parent().and_then(std::path::Path::parent))
        .expect("test binaries live in <target>/<profile>/deps");
    let path = profile_dir.join("platform-sim");
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build -p zj-sim --bin platform-sim` (a workspace \
         `cargo test` does)",
        path.display()
    );
    path
}

/// Standard base64 (no `data:` prefix), as `img` members carry photos.
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A command with `apicode`, signed per §3 with [`ACCESS_SECRET`] and stamped `at_ms`.
/// `C_AUTH` carries [`ACCESS_ID`] / [`ACCESS_KEY`] (pass an empty token and param for it).
pub fn signed(apicode: Apicode, sn: &str, token: &str, param: &str, at_ms: i64) -> Request {
    let signer = Signer {
        sn,
        access_id: ACCESS_ID,
        access_key: ACCESS_KEY,
        access_secret: ACCESS_SECRET,
    };
    signed_as(&signer, token, apicode, param, at_ms)
}

/// A command from `signer`, signed per §3 and stamped `at_ms`; a param that cannot be scanned
/// as a JSON object cannot be signed, and gets [`BOGUS_SIGN`] (tests send such frames on
/// purpose).
pub fn signed_as(
    signer: &Signer<'_>,
    token: &str,
    apicode: Apicode,
    param: &str,
    at_ms: i64,
) -> Request {
    signed_command(signer, token, apicode, param.to_owned(), at_ms).unwrap_or_else(|unsigned| {
        Request {
            sign: BOGUS_SIGN.to_owned(),
            ..*unsigned.request
        }
    })
}

/// Recomputes `request.sign` by `apicode`'s rule over the fields as they now stand. A param
/// that cannot be scanned as a JSON object cannot be signed; it gets [`BOGUS_SIGN`].
pub fn resign(request: &mut Request, apicode: Apicode) {
    request.sign = request_sign(apicode, &RequestView::from(&*request), ACCESS_SECRET)
        .unwrap_or_else(|_| BOGUS_SIGN.to_owned());
}

/// A signed `C_AUTH` for `sn`, stamped now.
pub fn auth_request(sn: &str) -> Request {
    signed(Apicode::CAuth, sn, "", "", now_ms())
}

/// The heartbeat param every test device sends.
pub fn heartbeat_param() -> String {
    json!({"deviceVersion": "zj-mobile-1.4.2", "deviceIp": "10.20.30.40"}).to_string()
}

/// A signed `C_HEARTBEAT`, stamped now.
pub fn heartbeat_request(sn: &str, token: &str) -> Request {
    signed(Apicode::CHeartbeat, sn, token, &heartbeat_param(), now_ms())
}

/// A signed `C_SIGN_IN` with `param`, stamped now.
pub fn sign_in_request(sn: &str, token: &str, param: &str) -> Request {
    signed(Apicode::CSignIn, sn, token, param, now_ms())
}

/// A §7 attendance record: `personId`, `type` (string or number, as given), `img` (base64 of
/// `photo`), `recordTime` (now), a `coordinate`, plus the members of the `extra` object.
pub fn sign_in_param(person_id: &str, kind: Value, photo: &[u8], extra: Value) -> String {
    let mut record = Map::new();
    record.insert("personId".into(), json!(person_id));
    record.insert("type".into(), kind);
    record.insert("img".into(), json!(base64(photo)));
    record.insert("recordTime".into(), json!(now_ms()));
    record.insert(
        "coordinate".into(),
        json!({"longitude": 120.155_07, "latitude": 30.274_084}),
    );
    if let Value::Object(extra) = extra {
        record.extend(extra);
    }
    Value::Object(record).to_string()
}

/// The `error.errorcode` of a refused TCP reply, `None` when it succeeded.
#[track_caller]
pub fn refusal_code(response: &Response) -> Option<String> {
    if response.success {
        return None;
    }
    let error: Value = serde_json::from_str(&response.error)
        .unwrap_or_else(|e| panic!("refusal's error is not JSON ({e}): {response:?}"));
    Some(
        (error["errorcode"].as_str())
            .unwrap_or_else(|| panic!("refusal without errorcode: {response:?}"))
            .to_owned(),
    )
}

/// Asserts a TCP reply is a refusal with `code`.
#[track_caller]
pub fn assert_refused(response: &Response, code: &str) {
    assert_eq!(
        refusal_code(response).as_deref(),
        Some(code),
        "expected refusal {code}, got {response:?}"
    );
}

/// Asserts a TCP reply succeeded; returns its `response` parsed (`Null` when empty).
#[track_caller]
pub fn assert_success(response: &Response) -> Value {
    assert!(response.success, "expected success, got {response:?}");
    if response.response.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&response.response).expect("response is JSON")
    }
}

/// A raw TCP connection to the command channel: frames out, frames in, in order.
pub struct CommandClient {
    stream: TcpStream,
    input: BytesMut,
    decoder: FrameDecoder,
}

impl CommandClient {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(addr))
            .await
            .expect("connect timed out")
            .expect("connect to platform-sim");
        Self {
            stream,
            input: BytesMut::new(),
            decoder: FrameDecoder::default(),
        }
    }

    /// Writes `bytes` as they are.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write to sim");
    }

    /// Writes one request as one frame.
    pub async fn send(&mut self, request: &Request) {
        self.send_raw(&wire::frame_bytes(request)).await;
    }

    /// Writes all `requests` as frames in a single write.
    pub async fn send_all(&mut self, requests: &[Request]) {
        let mut out = BytesMut::new();
        for request in requests {
            wire::encode_frame(request, &mut out);
        }
        self.send_raw(&out).await;
    }

    /// Closes the write half: the sim sees end of stream.
    pub async fn shutdown_write(&mut self) {
        self.stream.shutdown().await.expect("shutdown write half");
    }

    /// The next whole frame, or `None` when the sim closed (or reset) the connection.
    /// Cancel-safe: bytes read stay in the buffer.
    async fn read_frame(&mut self) -> Option<Bytes> {
        loop {
            if let Some(frame) = self
                .decoder
                .decode(&mut self.input)
                .expect("sim sends frames")
            {
                return Some(frame);
            }
            match self.stream.read_buf(&mut self.input).await {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("reading from sim: {e}"),
            }
        }
    }

    /// The next reply, or `None` when the sim closed the connection. Cancel-safe.
    pub async fn next_reply(&mut self) -> Option<Response> {
        let frame = self.read_frame().await?;
        Some(wire::decode_response(&frame).expect("sim replies with a Response"))
    }

    /// The next reply; fails the test on close or after [`IO_TIMEOUT`].
    pub async fn recv(&mut self) -> Response {
        tokio::time::timeout(IO_TIMEOUT, self.next_reply())
            .await
            .expect("no reply from sim in time")
            .expect("sim closed the connection instead of replying")
    }

    /// Every reply until the sim closes the connection; fails the test after [`IO_TIMEOUT`].
    pub async fn replies_until_close(&mut self) -> Vec<Response> {
        let all = async {
            let mut replies = Vec::new();
            while let Some(reply) = self.next_reply().await {
                replies.push(reply);
            }
            replies
        };
        tokio::time::timeout(IO_TIMEOUT, all)
            .await
            .expect("sim did not close the connection in time")
    }

    /// Sends one request and returns its reply.
    pub async fn call(&mut self, request: &Request) -> Response {
        self.send(request).await;
        self.recv().await
    }

    /// `C_AUTH` for `sn`; asserts success and returns the token.
    pub async fn auth(&mut self, sn: &str) -> String {
        let reply = assert_success(&self.call(&auth_request(sn)).await);
        (reply["token"].as_str())
            .unwrap_or_else(|| panic!("C_AUTH reply without token: {reply}"))
            .to_owned()
    }

    /// A signed `C_HEARTBEAT`.
    pub async fn heartbeat(&mut self, sn: &str, token: &str) -> Response {
        self.call(&heartbeat_request(sn, token)).await
    }

    /// A successful heartbeat's `taskids`.
    pub async fn heartbeat_taskids(&mut self, sn: &str, token: &str) -> Vec<String> {
        let reply = assert_success(&self.heartbeat(sn, token).await);
        serde_json::from_value(reply["taskids"].clone()).expect("taskids is a string array")
    }

    /// A signed `C_SIGN_IN` with `param`.
    pub async fn sign_in(&mut self, sn: &str, token: &str, param: &str) -> Response {
        self.call(&sign_in_request(sn, token, param)).await
    }
}

/// An HTTP reply of the task API: status, body text, body parsed.
#[derive(Debug, Clone)]
pub struct TaskReply {
    /// HTTP status code.
    pub status: u16,
    /// The body as received.
    pub body: String,
    /// The body parsed.
    pub json: Value,
}

impl TaskReply {
    /// `error.errorcode`, when the reply is a refusal.
    pub fn errorcode(&self) -> Option<&str> {
        self.json["error"]["errorcode"].as_str()
    }

    /// Asserts HTTP 200 and success; returns `response` (`Null` when absent).
    #[track_caller]
    pub fn assert_success(&self) -> &Value {
        assert_eq!(self.status, 200, "HTTP status of {}", self.body);
        assert_eq!(
            self.json["success"],
            json!(true),
            "expected success: {}",
            self.body
        );
        &self.json["response"]
    }

    /// Asserts a refusal with `code` (HTTP `status`).
    #[track_caller]
    pub fn assert_refused(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "HTTP status of {}", self.body);
        assert_eq!(
            self.json["success"],
            json!(false),
            "expected refusal: {}",
            self.body
        );
        assert_eq!(self.errorcode(), Some(code), "errorcode of {}", self.body);
    }
}

/// The members of a task reply that its signature covers, `response` as raw text.
#[derive(Deserialize)]
struct SignedReply<'a> {
    version: String,
    success: bool,
    taskid: Option<String>,
    #[serde(borrow)]
    response: Option<&'a RawValue>,
    sign: Option<String>,
}

/// Asserts a task reply `body` carries the §3 reply signature for a request with `apicode`,
/// computed over `response` exactly as it stands in the body.
#[track_caller]
pub fn assert_reply_signed(apicode: Apicode, body: &str) {
    let reply: SignedReply<'_> =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("reply {body} does not parse: {e}"));
    let view = ReplyView {
        version: &reply.version,
        success: reply.success,
        taskid: reply.taskid.as_deref(),
        response: reply.response.map(RawValue::get),
    };
    let expected = reply_sign(Some(apicode), &view, ACCESS_SECRET);
    assert_eq!(
        reply.sign.as_deref(),
        Some(expected.as_str()),
        "{apicode} reply is not signed per §3: {body}"
    );
}

/// A task API body (§5) with `param` embedded as a JSON object, signed per §3 with
/// [`ACCESS_SECRET`], or carrying `sign` instead when given.
pub fn task_body(
    sn: &str,
    token: &str,
    apicode: Apicode,
    taskid: Option<&str>,
    param: Option<&str>,
    sign: Option<&str>,
) -> String {
    let body = task_request_body(sn, token, apicode, taskid, param, ACCESS_SECRET);
    match sign {
        Some(sign) => {
            let computed: Value = serde_json::from_str(&body).expect("the body is JSON");
            let computed = computed["sign"].as_str().expect("a sign").to_owned();
            body.replace(
                &format!("\"sign\":\"{computed}\""),
                &format!("\"sign\":\"{sign}\""),
            )
        }
        None => body,
    }
}

/// An HTTP client for one simulator's task API and `/sim/*` inspection API.
#[derive(Clone)]
pub struct SimHttp {
    client: reqwest::Client,
    base: String,
}

impl SimHttp {
    /// A client for the simulator at `addr` (never through a proxy).
    pub fn new(addr: SocketAddr) -> Self {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(IO_TIMEOUT)
            .build()
            .expect("HTTP client");
        Self {
            client,
            base: format!("http://{addr}"),
        }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET path`, asserting 200; the JSON body.
    pub async fn get_json(&self, path: &str) -> Value {
        let reply = self.client.get(self.url(path)).send().await.expect("GET");
        assert_eq!(reply.status().as_u16(), 200, "GET {path}");
        reply.json().await.expect("JSON body")
    }

    /// `POST path` with a JSON body: the status and the JSON reply.
    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let reply = (self.client.post(self.url(path)).json(body).send())
            .await
            .expect("POST");
        let status = reply.status().as_u16();
        (status, reply.json().await.expect("JSON body"))
    }

    /// `GET /sim/signins`.
    pub async fn signins(&self) -> Vec<Value> {
        serde_json::from_value(self.get_json("/sim/signins").await).expect("an array")
    }

    /// `sn`'s entry of `GET /sim/devices`.
    pub async fn device(&self, sn: &str) -> Value {
        let devices = self.get_json("/sim/devices").await;
        (devices.as_array().expect("an array").iter())
            .find(|device| device["sn"] == sn)
            .unwrap_or_else(|| panic!("{sn} not in {devices}"))
            .clone()
    }

    /// `POST /sim/persons`; returns the roster size.
    pub async fn add_persons(&self, persons: &Value) -> u64 {
        let (status, reply) = self.post_json("/sim/persons", persons).await;
        assert_eq!(status, 200, "POST /sim/persons: {reply}");
        reply["roster"].as_u64().expect("roster size")
    }

    /// `POST /sim/tasks`; returns the task id.
    pub async fn add_task(&self, task: &Value) -> String {
        let (status, reply) = self.post_json("/sim/tasks", task).await;
        assert_eq!(status, 200, "POST /sim/tasks {task}: {reply}");
        reply["taskid"].as_str().expect("taskid").to_owned()
    }

    /// `GET /sim/tasks/{taskid}`.
    pub async fn task(&self, taskid: &str) -> Value {
        self.get_json(&format!("/sim/tasks/{taskid}")).await
    }

    /// `POST /api/device` with `body` as it is: the status and body text, or the transport
    /// error.
    pub async fn post_raw(&self, body: impl Into<reqwest::Body>) -> reqwest::Result<(u16, String)> {
        let reply = (self.client.post(self.url("/api/device")))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        let status = reply.status().as_u16();
        Ok((status, reply.text().await?))
    }

    /// `POST /api/device` with `body` as it is; the reply must be JSON.
    pub async fn post_task_api(&self, body: impl Into<reqwest::Body>) -> TaskReply {
        let (status, body) = self.post_raw(body).await.expect("POST /api/device");
        let json = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("task API reply {body:?} is not JSON: {e}"));
        TaskReply { status, body, json }
    }

    /// `POST /api/device` with a request for `apicode`; asserts the reply's §3 signature.
    pub async fn task_call(&self, apicode: Apicode, body: String) -> TaskReply {
        let reply = self.post_task_api(body).await;
        assert_reply_signed(apicode, &reply.body);
        reply
    }

    /// `GET url`: status, `Content-Type`, body bytes.
    pub async fn get_bytes(&self, url: &str) -> (u16, String, Vec<u8>) {
        let reply = self.client.get(url).send().await.expect("GET");
        let status = reply.status().as_u16();
        let content_type = (reply.headers().get("content-type"))
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (
            status,
            content_type,
            reply.bytes().await.expect("body").to_vec(),
        )
    }
}

/// The configuration of a test device `sn` with the vendor credentials.
pub fn device_config(sn: &str) -> DeviceConfig {
    DeviceConfig {
        sn: sn.to_owned(),
        credential: Credential {
            access_id: ACCESS_ID.to_owned(),
            access_key: ACCESS_KEY.to_owned(),
            access_secret: ACCESS_SECRET.to_owned(),
        },
        device_version: "zj-mobile-1.4.2".to_owned(),
        device_ip: "10.20.30.41".to_owned(),
        heartbeat_interval_ms: 50_000,
    }
}

/// A [`DeviceSession`] pumped over a real TCP connection: frames from `poll_transmit` go out,
/// replies go to `handle_response`, and `poll_timeout` wakes it.
pub struct SessionDriver {
    /// The state machine; tests submit requests and build task bodies with it.
    pub session: DeviceSession,
    link: CommandClient,
}

impl SessionDriver {
    /// Connects a session for `sn` to the simulator (it authenticates on the first pump).
    pub async fn connect(sim: &Sim, sn: &str) -> Self {
        let mut session = DeviceSession::new(device_config(sn));
        session.connected();
        Self {
            session,
            link: sim.connect().await,
        }
    }

    /// Pumps until the session has an event; fails the test after [`IO_TIMEOUT`].
    pub async fn next_event(&mut self) -> SessionEvent {
        tokio::time::timeout(IO_TIMEOUT, self.pump())
            .await
            .expect("no session event in time")
    }

    /// One turn of the pump until an event: send what the session has to send, then wait
    /// for a reply or the session's next timeout.
    async fn pump(&mut self) -> SessionEvent {
        loop {
            if let Some(event) = self.session.poll_event() {
                return event;
            }
            while let Some(request) = self.session.poll_transmit(now_ms()) {
                self.link.send(&request).await;
            }
            let wait_ms =
                (self.session.poll_timeout()).map_or(3_600_000, |due| (due - now_ms()).max(1));
            tokio::select! {
                reply = self.link.next_reply() => {
                    let reply = reply.expect("sim closed the session's connection");
                    self.session
                        .handle_response(reply, now_ms())
                        .expect("replies arrive in request order");
                }
                () = tokio::time::sleep(Duration::from_millis(wait_ms as u64)) => {}
            }
        }
    }

    /// Pumps until [`SessionEvent::Authenticated`]; returns the events before it.
    pub async fn authenticated(&mut self) -> Vec<SessionEvent> {
        let mut before = Vec::new();
        loop {
            match self.next_event().await {
                SessionEvent::Authenticated => return before,
                other => before.push(other),
            }
        }
    }

    /// Pumps until request `id` completes; returns its result and the events before it.
    pub async fn completed(
        &mut self,
        id: RequestId,
    ) -> (Result<String, RequestFailure>, Vec<SessionEvent>) {
        let mut before = Vec::new();
        loop {
            match self.next_event().await {
                SessionEvent::Completed { id: done, result } if done == id => {
                    return (result, before)
                }
                other => before.push(other),
            }
        }
    }

    /// Calls the task API through the session (`task_request` / `task_reply`), checking the
    /// reply's signature independently as well. Returns the `response` text or the failure.
    pub async fn task(
        &mut self,
        http: &SimHttp,
        apicode: Apicode,
        taskid: Option<&str>,
        param: Option<&str>,
    ) -> Result<Value, zj_protocol::json_form::ReplyError> {
        let body =
            (self.session.task_request(apicode, taskid, param)).expect("session is authenticated");
        let reply = http.task_call(apicode, body).await;
        assert_eq!(reply.status, 200, "HTTP status of {}", reply.body);
        let text = self.session.task_reply(apicode, reply.body.as_bytes())?;
        Ok(serde_json::from_str(&text).expect("response is JSON"))
    }

    /// The current token; fails the test when the session has none.
    pub fn token(&self) -> String {
        self.session
            .token()
            .expect("session is authenticated")
            .to_owned()
    }
}
