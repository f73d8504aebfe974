//! Helpers for the cluster tests: `relay` processes sharing one PostgreSQL database in front of
//! one `platform-sim`, what each says of itself (`/healthz`, `/metrics`), phones that send
//! their records to any relay of the cluster, and a TCP proxy before the database that a test
//! can cut for one relay only.
//!
//! - [`ClusterConfig`] writes one relay's TOML ([`relay_toml`] plus `[store]`, `[cluster]`,
//!   `[photo]` and whatever a test adds) and [`start_at_once`] starts several at the same moment.
//! - [`holder`] waits for the relay that holds [`SN`]'s lease with its session ready;
//!   [`health`], [`metric`] and [`log_count`] read a relay.
//! - [`ClusterPhone`] and [`deliver`]: a phone's records sent as its outbox would, each
//!   attempt to the next relay, retried on `500_01` and on no answer.
//! - [`DbProxy`]: a relay's road to the database, cut and restored at will.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use zj_host::system_clock::now_ms;
use zj_protocol::json_form::{command_request_body, JsonReply};
use zj_protocol::{Apicode, ProtocolError};
use zj_relay::demo::DemoPhone;

use super::sim_common::{Sim, ACCESS_SECRET, SN};
use super::{data_dir, phone_request, refusal, relay_toml, RelayProcess, SecretSource};

/// The lease of the cluster tests, in seconds (the "about 2").
pub const LEASE_SECS: u32 = 2;
/// Log filter of the relays: warnings, and each lease taken or lost.
pub const RELAY_LOG: &str = "warn,zj_relay::platform::lease=info,zj_relay::server=info";

/// One relay of a cluster, as its configuration file says.
pub struct ClusterConfig<'a> {
    /// The test's name (the relays' folders are named after it).
    pub test: &'a str,
    /// The platform.
    pub sim: &'a Sim,
    /// The phones configured (all going to [`SN`]).
    pub phones: &'a [DemoPhone],
    /// `[store] url`: the cluster's PostgreSQL database (or a [`DbProxy`] before it).
    pub store_url: String,
    /// `[limits]` lines.
    pub limits: &'a str,
    /// More TOML after everything else (`[manager]`, `[[mr860]]`).
    pub extra: &'a str,
}

impl ClusterConfig<'_> {
    /// Writes relay `index`'s configuration file (`[cluster] relay_id = "relay-{index}"`, leases
    /// of [`LEASE_SECS`], the sign-in photo check off: these tests are about the cluster, and
    /// a face check per record would only slow them) in a fresh folder; its path.
    pub fn write(&self, index: usize) -> PathBuf {
        self.write_on(index, &self.store_url)
    }

    /// [`write`](Self::write) with `[store] url = store_url` instead (a relay reaching the
    /// database through a [`DbProxy`] of its own).
    pub fn write_on(&self, index: usize, store_url: &str) -> PathBuf {
        let dir = data_dir(&format!("{}-{index}", self.test));
        std::fs::create_dir_all(&dir).expect("the relay's folder");
        let mut toml = relay_toml(
            self.sim,
            &dir.join("data"),
            &SecretSource::Inline(ACCESS_SECRET.into()),
            self.phones,
            1,
            self.limits,
        );
        toml.push_str(&format!(
            "\n[store]\nurl = {:?}\n\n[cluster]\nlease_secs = {LEASE_SECS}\nrelay_id = \"relay-{index}\"\n\
             \n[photo]\ncheck = \"off\"\n\n{}\n",
            store_url, self.extra
        ));
        let path = dir.join("relay.toml");
        std::fs::write(&path, toml).expect("writing the relay's configuration");
        path
    }

    /// Writes `count` relays' files and starts them all at once.
    pub fn start(&self, count: usize) -> Vec<RelayProcess> {
        let configs: Vec<PathBuf> = (0..count).map(|index| self.write(index)).collect();
        start_at_once(&configs)
    }
}

/// Starts one `relay serve` per file, each on a thread of its own so that they start at the
/// same moment (and race for the leases); returns them in the files' order once each printed
/// its address.
pub fn start_at_once(configs: &[PathBuf]) -> Vec<RelayProcess> {
    let barrier = Arc::new(std::sync::Barrier::new(configs.len()));
    let threads: Vec<_> = (configs.iter().cloned())
        .map(|config| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                RelayProcess::start(&config, &[], RELAY_LOG)
            })
        })
        .collect();
    (threads.into_iter())
        .map(|thread| thread.join().expect("a relay started"))
        .collect()
}

/// Sends SIGTERM (a graceful stop: the relay closes its sessions and gives its leases up)
/// and waits until the process is gone.
pub fn stop_gracefully(relay: &mut RelayProcess) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &relay.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "SIGTERM to the relay");
    let deadline = Instant::now() + Duration::from_secs(15);
    // Gone, or a zombie (exited, not yet reaped: `kill` below reaps it).
    let exited = || {
        std::fs::read_to_string(format!("/proc/{}/stat", relay.pid())).map_or(true, |stat| {
            stat.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
    };
    while !exited() {
        assert!(
            Instant::now() < deadline,
            "the relay stopped within 15 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    relay.kill();
}

/// `GET /healthz` of the relay at `url`: its status and body; `None` when it does not answer.
pub async fn health(url: &str) -> Option<(u16, Value)> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("HTTP client");
    let response = client.get(format!("{url}/healthz")).send().await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.json().await.ok()?))
}

/// Whether a `/healthz` body says its relay holds [`SN`]'s lease.
pub fn holds_lease(health: &Value) -> bool {
    (health["cluster"]["heldSns"].as_array()).is_some_and(|held| held.iter().any(|sn| sn == SN))
}

/// Waits (up to `within`) until exactly one of the relays at `urls` holds [`SN`]'s lease with
/// its platform session ready; its index.
pub async fn holder(urls: &[&str], within: Duration) -> usize {
    let deadline = Instant::now() + within;
    let mut last = Vec::new();
    while Instant::now() < deadline {
        last.clear();
        for url in urls {
            last.push(health(url).await.map(|(_, body)| body));
        }
        let holding: Vec<usize> = (last.iter().enumerate())
            .filter(|(_, body)| body.as_ref().is_some_and(holds_lease))
            .map(|(index, _)| index)
            .collect();
        if let [index] = holding[..] {
            if last[index].as_ref().unwrap()["platformLinks"][SN] == "Ready" {
                return index;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no single relay held {SN} with a ready session within {within:?}: {last:?}");
}

/// A counter or gauge of the relay at `url` (the sum of its series when it has labels); 0
/// when the relay does not show it.
pub async fn metric(url: &str, name: &str) -> f64 {
    let (status, text) = super::get_text(&format!("{url}/metrics")).await;
    assert_eq!(status, 200, "GET /metrics: {text}");
    (text.lines())
        .filter(|line| {
            let series = line.split([' ', '{']).next().unwrap_or_default();
            series == name
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// How many lines of `output` contain `text`.
pub fn log_count(output: &str, text: &str) -> usize {
    output.lines().filter(|line| line.contains(text)).count()
}

/// [`SN`]'s `(sessions, maxSessions)` at the simulator: platform sessions open now, and the
/// most ever open at once.
pub async fn sim_sessions(sim: &Sim) -> (u64, u64) {
    let device = sim.http().device(SN).await;
    let count = |key: &str| {
        device[key]
            .as_u64()
            .unwrap_or_else(|| panic!("no {key} in {device}"))
    };
    (count("sessions"), count("maxSessions"))
}

/// One attempt to send a record, as the phone sees it.
#[derive(Debug)]
pub enum Attempt {
    /// The relay accepted it.
    Accepted,
    /// The relay refused it.
    Refused(ProtocolError),
    /// No answer (the relay is down, or the connection broke).
    NoAnswer,
}

/// A phone of a cluster: it may send each frame to any relay, and keeps the token each relay
/// gave it (a relay that does not know a token answers `401_01`, and the phone authenticates
/// there).
pub struct ClusterPhone {
    /// Its credentials.
    pub creds: DemoPhone,
    urls: Vec<String>,
    client: reqwest::Client,
    tokens: tokio::sync::Mutex<HashMap<usize, String>>,
}

impl ClusterPhone {
    /// A phone reaching the relays at `urls`.
    pub fn new(creds: DemoPhone, urls: &[&str]) -> Arc<Self> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("HTTP client");
        Arc::new(Self {
            creds,
            urls: urls.iter().map(|url| format!("{url}/v1/frame")).collect(),
            client,
            tokens: tokio::sync::Mutex::new(HashMap::new()),
        })
    }

    /// How many relays it knows.
    pub fn relays(&self) -> usize {
        self.urls.len()
    }

    /// Posts one frame to relay `relay`: the reply, `None` when there is none.
    async fn call(
        &self,
        relay: usize,
        apicode: Apicode,
        token: &str,
        param: &str,
    ) -> Option<Result<String, ProtocolError>> {
        let request = phone_request(&self.creds, token, apicode, param, now_ms());
        let response = (self.client.post(&self.urls[relay]))
            .header("content-type", "application/json")
            .body(command_request_body(&request))
            .send()
            .await
            .ok()?;
        let body = response.text().await.ok()?;
        let reply = JsonReply::parse(body.as_bytes())
            .unwrap_or_else(|e| panic!("reply {body} is not a JSON reply: {e}"))
            .into_response();
        Some(match refusal(&reply) {
            None => Ok(reply.response),
            Some(error) => Err(error),
        })
    }

    /// The token relay `relay` gave this phone, authenticating there first when there is none
    /// (one task authenticates for all); the attempt that failed otherwise.
    async fn token(&self, relay: usize) -> Result<String, Attempt> {
        let mut tokens = self.tokens.lock().await;
        if let Some(token) = tokens.get(&relay) {
            return Ok(token.clone());
        }
        match self.call(relay, Apicode::CAuth, "", "").await {
            None => Err(Attempt::NoAnswer),
            Some(Err(error)) if error.errorcode == "500_01" => Err(Attempt::Refused(error)),
            Some(Err(error)) => panic!("C_AUTH of {} refused: {error:?}", self.creds.sn),
            Some(Ok(response)) => {
                let response: Value = serde_json::from_str(&response).expect("C_AUTH's response");
                let token = response["token"].as_str().expect("a token").to_owned();
                tokens.insert(relay, token.clone());
                Ok(token)
            }
        }
    }

    /// Sends `param` as a `C_SIGN_IN` to relay `relay`, authenticating there when needed (and
    /// again when the relay no longer knows the token).
    pub async fn sign_in(&self, relay: usize, param: &str) -> Attempt {
        loop {
            let token = match self.token(relay).await {
                Ok(token) => token,
                Err(attempt) => return attempt,
            };
            match self.call(relay, Apicode::CSignIn, &token, param).await {
                None => return Attempt::NoAnswer,
                Some(Ok(_)) => return Attempt::Accepted,
                Some(Err(error)) if error.errorcode == "401_01" => {
                    let mut tokens = self.tokens.lock().await;
                    if tokens.get(&relay) == Some(&token) {
                        tokens.remove(&relay);
                    }
                }
                Some(Err(error)) => return Attempt::Refused(error),
            }
        }
    }
}

/// How one record got through.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Its person (each record has a person of its own).
    pub person: String,
    /// The relay that accepted it.
    pub relay: usize,
    /// When the accepted attempt was sent.
    pub started: Instant,
    /// When its acceptance arrived.
    pub acked: Instant,
    /// Attempts answered `500_01` (retry later).
    pub retryable: usize,
    /// Attempts that got no answer.
    pub unanswered: usize,
}

/// Sends `param` until a relay accepts it, as a phone's outbox would: attempt `k` goes to
/// relay `first + k` (mod the relays, as a load balancer might send it), `500_01` and no
/// answer are tried again after a pause; any other refusal, or no acceptance within
/// `deadline`, fails the test. Counts the acceptance in `acked`.
pub async fn deliver(
    phone: Arc<ClusterPhone>,
    first: usize,
    (person, param): (String, String),
    acked: Arc<AtomicUsize>,
    deadline: Duration,
) -> Delivery {
    let give_up = Instant::now() + deadline;
    let (mut retryable, mut unanswered) = (0, 0);
    for attempt in 0.. {
        assert!(
            Instant::now() < give_up,
            "{person} was not delivered within {deadline:?} ({retryable} answers 500_01, \
             {unanswered} unanswered)"
        );
        let relay = (first + attempt) % phone.relays();
        let started = Instant::now();
        match phone.sign_in(relay, &param).await {
            Attempt::Accepted => {
                acked.fetch_add(1, Ordering::SeqCst);
                return Delivery {
                    person,
                    relay,
                    started,
                    acked: Instant::now(),
                    retryable,
                    unanswered,
                };
            }
            Attempt::Refused(error) if error.errorcode == "500_01" => retryable += 1,
            Attempt::Refused(error) => panic!("{person} refused for good: {error:?}"),
            Attempt::NoAnswer => unanswered += 1,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    unreachable!("the loop returns or fails")
}

/// Starts a thread of its own (so that a runtime busy with hundreds of deliveries cannot delay
/// it) that waits, up to `within`, until `acked` reaches `count`, then runs `act`; call it
/// before starting the deliveries. Its future gives the instant `act` ran and what it returned.
pub fn when_acked<T: Send + 'static>(
    acked: &Arc<AtomicUsize>,
    count: usize,
    within: Duration,
    act: impl FnOnce() -> T + Send + 'static,
) -> impl std::future::Future<Output = (Instant, T)> {
    let acked = acked.clone();
    let thread = std::thread::spawn(move || {
        let deadline = Instant::now() + within;
        while acked.load(Ordering::SeqCst) < count {
            assert!(
                Instant::now() < deadline,
                "{count} records acknowledged in time"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        (Instant::now(), act())
    });
    async move {
        let joined = tokio::task::spawn_blocking(move || thread.join())
            .await
            .expect("joining the waiting thread");
        joined.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

/// Waits for every delivery.
pub async fn all_delivered(tasks: Vec<tokio::task::JoinHandle<Delivery>>) -> Vec<Delivery> {
    let mut deliveries = Vec::new();
    for task in tasks {
        deliveries.push(task.await.expect("a delivery task"));
    }
    deliveries
}

/// A TCP proxy in front of the database for one relay: while cut, every connection through it
/// is dropped and new ones are closed at once, as a network between that relay and the
/// database that failed.
pub struct DbProxy {
    /// The relay's `[store] url`: the database's, through the proxy.
    pub url: String,
    cut: watch::Sender<bool>,
}

impl DbProxy {
    /// A proxy to the database at `database_url` (`postgres://USER@HOST:PORT/DB`).
    pub async fn start(database_url: &str) -> Self {
        let (scheme_user, rest) = database_url.split_once('@').expect("a URL with a user");
        let (upstream, database) = rest.split_once('/').expect("a URL with a database");
        let upstream = upstream.to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let addr = listener.local_addr().expect("its address");
        let (cut, is_cut) = watch::channel(false);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, mut is_cut) = (upstream.clone(), is_cut.clone());
                tokio::spawn(async move {
                    if *is_cut.borrow_and_update() {
                        return; // closed at once
                    }
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = is_cut.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Self {
            url: format!("{scheme_user}@{addr}/{database}"),
            cut,
        }
    }

    /// Cuts the road (`true`) or restores it (`false`).
    pub fn set_cut(&self, cut: bool) {
        self.cut.send_replace(cut);
    }
}
