//! The relay as in production (the `relay` binary from a TOML file, the vendor secret from
//! its environment) in front of the `platform-sim` binary, through the failures it is built
//! for: an idle platform token, a platform that crashes and comes back empty, a relay that
//! is SIGKILLed in the middle of forwarding and restarted on the same port and data dir.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use zj_host::system_clock::now_ms;
use zj_protocol::json_form::{command_request_body, JsonReply};
use zj_protocol::{Apicode, ProtocolError};
use zj_relay::demo::DemoPhone;

use crate::relay_common::sim_common::{Sim, SimOptions, ACCESS_SECRET, SN};
use crate::relay_common::{
    data_dir, person_counts, phone_record, phone_record_with, phone_request, refusal, relay_toml,
    signins, test_phone, wait_ready, PhoneClient, RelayProcess, SecretSource, Transport,
    GENEROUS_LIMITS,
};

/// The environment variable the relay reads the vendor secret from.
const SECRET_ENV: &str = "ZJ_RELAY_TEST_VENDOR_SECRET";
/// Records in flight in the crash tests.
const RECORDS: usize = 200;
/// Phones sending them.
const PHONES: usize = 4;
/// Longest a record may take to be delivered, retries included.
const DELIVERY_DEADLINE: Duration = Duration::from_secs(40);

/// Starts the relay binary in front of `sim` with `phones`, the secret in its environment.
fn start_relay(
    name: &str,
    sim: &Sim,
    phones: &[DemoPhone],
    heartbeat_secs: u32,
    rust_log: &str,
) -> RelayProcess {
    let dir = data_dir(name);
    std::fs::create_dir_all(&dir).unwrap();
    let toml = relay_toml(
        sim,
        &dir.join("data"),
        &SecretSource::Env(SECRET_ENV.into()),
        phones,
        heartbeat_secs,
        GENEROUS_LIMITS,
    );
    let config = dir.join("relay.toml");
    std::fs::write(&config, toml).unwrap();
    RelayProcess::start(&config, &[(SECRET_ENV, ACCESS_SECRET)], rust_log)
}

fn sim_url(sim: &Sim) -> String {
    format!("http://{}", sim.http)
}

#[tokio::test]
async fn an_idle_platform_token_is_renewed_without_the_phone_seeing_an_error() {
    let sim = Sim::with(SimOptions {
        token_idle_secs: Some(2),
        ..SimOptions::default()
    });
    let phone_creds = test_phone("idle");
    // Heartbeats every 30 s: nothing keeps the platform token alive between sign-ins.
    let log = "info,zj_relay::platform::link=debug";
    let relay = start_relay(
        "idle-token",
        &sim,
        std::slice::from_ref(&phone_creds),
        30,
        log,
    );
    wait_ready(&relay.url).await;
    let mut http = PhoneClient::connect(Transport::Http, &relay.url, &phone_creds)
        .await
        .authed()
        .await;
    let mut ws = PhoneClient::connect(Transport::Ws, &relay.url, &phone_creds)
        .await
        .authed()
        .await;
    let first = http.sign_in(&phone_record("P-1", "rec-1")).await;
    assert!(first.success, "{first:?}");

    tokio::time::sleep(Duration::from_millis(3000)).await;
    let device = sim.http().device(SN).await;
    let last_heartbeat = device["lastHeartbeat"]
        .as_i64()
        .expect("a heartbeat was seen");
    assert!(
        now_ms() - last_heartbeat > 2000,
        "the relay's platform token has idled out: {device}"
    );

    let second = ws.sign_in(&phone_record("P-2", "rec-2")).await;
    assert!(
        second.success,
        "the phone saw the platform's 401_01: {second:?}"
    );
    let third = http.sign_in(&phone_record("P-3", "rec-3")).await;
    assert!(third.success, "{third:?}");

    let counts = person_counts(&signins(&sim_url(&sim)).await);
    assert_eq!(counts.len(), 3, "{counts:?}");
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
    let authentications = relay
        .stderr()
        .matches("platform link authenticated")
        .count();
    assert!(
        authentications >= 2,
        "the relay authenticated again ({authentications} times); stderr: {}",
        relay.stderr()
    );
}

/// A phone's credentials and its current relay token, shared by the tasks sending its records.
struct SharedPhone {
    creds: DemoPhone,
    url: String,
    client: reqwest::Client,
    token: tokio::sync::Mutex<Option<String>>,
}

/// One attempt's outcome as the phone sees it.
enum Attempt {
    Accepted,
    Refused(ProtocolError),
    NoAnswer,
}

impl SharedPhone {
    fn new(creds: DemoPhone, url: &str) -> Arc<Self> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap();
        Arc::new(Self {
            creds,
            url: format!("{url}/v1/frame"),
            client,
            token: tokio::sync::Mutex::new(None),
        })
    }

    /// One `C_SIGN_IN` attempt with `token`, signed now.
    async fn sign_in(&self, token: &str, param: &str) -> Attempt {
        let request = phone_request(&self.creds, token, Apicode::CSignIn, param, now_ms());
        let sent = (self.client.post(&self.url))
            .header("content-type", "application/json")
            .body(command_request_body(&request))
            .send()
            .await;
        let Ok(response) = sent else {
            return Attempt::NoAnswer;
        };
        let Ok(body) = response.text().await else {
            return Attempt::NoAnswer;
        };
        let reply = JsonReply::parse(body.as_bytes())
            .unwrap_or_else(|e| panic!("reply {body} is not a JSON reply: {e}"))
            .into_response();
        match refusal(&reply) {
            None => Attempt::Accepted,
            Some(error) => Attempt::Refused(error),
        }
    }

    /// The current token, authenticating first when there is none (one task authenticates
    /// for all); `None` when the relay does not answer.
    async fn token(&self) -> Option<String> {
        let mut token = self.token.lock().await;
        if token.is_none() {
            *token = self.authenticate().await;
        }
        token.clone()
    }

    async fn authenticate(&self) -> Option<String> {
        let request = phone_request(&self.creds, "", Apicode::CAuth, "", now_ms());
        let sent = (self.client.post(&self.url))
            .header("content-type", "application/json")
            .body(command_request_body(&request))
            .send()
            .await
            .ok()?;
        let body = sent.text().await.ok()?;
        let reply = JsonReply::parse(body.as_bytes()).ok()?.into_response();
        match refusal(&reply) {
            None => {
                let response: Value = serde_json::from_str(&reply.response).unwrap();
                Some(response["token"].as_str().unwrap().to_owned())
            }
            Some(error) if error.errorcode == "500_01" => None,
            Some(error) => panic!("C_AUTH of {} refused: {error:?}", self.creds.sn),
        }
    }

    /// Forgets `token` (the relay no longer knows it) unless another task replaced it.
    async fn forget(&self, token: &str) {
        let mut current = self.token.lock().await;
        if current.as_deref() == Some(token) {
            *current = None;
        }
    }
}

/// How one record got through.
#[derive(Debug, Clone)]
struct Delivery {
    person: String,
    /// When the accepted attempt was sent.
    started: Instant,
    /// When its acceptance arrived.
    acked: Instant,
    /// Attempts answered `500_01` (retry later).
    retryable: usize,
    /// Attempts that got no answer at all (relay down).
    unanswered: usize,
}

/// Sends `param` until the relay accepts it, as a phone's outbox would: `500_01` and no answer
/// are retried after a pause, `401_01` after authenticating again; anything else fails the test.
async fn deliver(
    phone: Arc<SharedPhone>,
    person: String,
    param: String,
    acked: Arc<AtomicUsize>,
) -> Delivery {
    let deadline = Instant::now() + DELIVERY_DEADLINE;
    let (mut retryable, mut unanswered) = (0, 0);
    loop {
        assert!(
            Instant::now() < deadline,
            "{person} was not delivered in time"
        );
        let Some(token) = phone.token().await else {
            unanswered += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let started = Instant::now();
        match phone.sign_in(&token, &param).await {
            Attempt::Accepted => {
                acked.fetch_add(1, Ordering::SeqCst);
                return Delivery {
                    person,
                    started,
                    acked: Instant::now(),
                    retryable,
                    unanswered,
                };
            }
            Attempt::Refused(error) if error.errorcode == "401_01" => phone.forget(&token).await,
            Attempt::Refused(error) if error.errorcode == "500_01" => {
                retryable += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Attempt::Refused(error) => panic!("{person} refused for good: {error:?}"),
            Attempt::NoAnswer => {
                unanswered += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

fn person(n: usize) -> String {
    format!("P-{n:03}")
}

fn record(n: usize) -> String {
    phone_record_with(
        &person(n),
        &format!("rec-{n:03}"),
        json!("64"),
        24 * 1024,
        json!({}),
    )
}

/// Starts delivering [`RECORDS`] records from [`PHONES`] phones at once.
fn deliver_all(
    phones: &[Arc<SharedPhone>],
    acked: &Arc<AtomicUsize>,
) -> Vec<tokio::task::JoinHandle<Delivery>> {
    (0..RECORDS)
        .map(|n| {
            let phone = phones[n % phones.len()].clone();
            tokio::spawn(deliver(phone, person(n), record(n), acked.clone()))
        })
        .collect()
}

/// Waits until at least `count` records were acknowledged, then runs `crash` on `target`, on
/// a thread of its own so that a runtime busy with hundreds of deliveries cannot delay the
/// crash. Returns `target`, the instant of the crash and how many records were acknowledged
/// then.
async fn crash_when_acked<T: Send + 'static>(
    acked: &Arc<AtomicUsize>,
    count: usize,
    mut target: T,
    crash: fn(&mut T),
) -> (T, Instant, usize) {
    let acked = acked.clone();
    tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + DELIVERY_DEADLINE;
        while acked.load(Ordering::SeqCst) < count {
            assert!(Instant::now() < deadline, "records are acknowledged");
            std::thread::sleep(Duration::from_micros(200));
        }
        let crashed_at = Instant::now();
        crash(&mut target);
        (target, crashed_at, acked.load(Ordering::SeqCst))
    })
    .await
    .expect("the crash thread")
}

async fn all_delivered(tasks: Vec<tokio::task::JoinHandle<Delivery>>) -> Vec<Delivery> {
    let mut deliveries = Vec::new();
    for task in tasks {
        deliveries.push(task.await.expect("a delivery task"));
    }
    deliveries
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_killed_and_restarted_mid_flush_gets_every_later_record_once() {
    let sim = Sim::start();
    let creds: Vec<DemoPhone> = (0..PHONES)
        .map(|i| test_phone(&format!("sim-kill-{i}")))
        .collect();
    let relay = start_relay("sim-kill", &sim, &creds, 30, "warn");
    wait_ready(&relay.url).await;
    let phones: Vec<_> = (creds.iter())
        .map(|c| SharedPhone::new(c.clone(), &relay.url))
        .collect();
    let acked = Arc::new(AtomicUsize::new(0));
    let tasks = deliver_all(&phones, &acked);

    let (mut sim, killed_at, acked_at_kill) = crash_when_acked(&acked, 20, sim, Sim::kill).await;
    // The platform stays down a while: phones hear "retry later" meanwhile.
    tokio::time::sleep(Duration::from_millis(300)).await;
    tokio::task::block_in_place(|| sim.restart());
    let restarted_at = Instant::now();
    let deliveries = all_delivered(tasks).await;

    let counts = person_counts(&signins(&sim_url(&sim)).await);
    let before_kill: Vec<_> = (deliveries.iter())
        .filter(|d| d.acked < killed_at)
        .collect();
    let after_restart: Vec<_> = (deliveries.iter())
        .filter(|d| d.started > restarted_at)
        .collect();
    let retried = (deliveries.iter())
        .filter(|d| d.retryable + d.unanswered > 0)
        .count();
    let retryable: usize = deliveries.iter().map(|d| d.retryable).sum();
    println!(
        "platform kill: {acked_at_kill} acked when killed ({} before the kill by ack time), \
         {} sent and accepted after the restart, {retried} records retried ({retryable} \
         answers 500_01), {} records at the restarted platform, {} more than once",
        before_kill.len(),
        after_restart.len(),
        counts.len(),
        counts.values().filter(|&&n| n > 1).count(),
    );

    assert!(acked_at_kill < RECORDS, "the kill hit records in flight");
    assert!(retryable > 0, "some records heard 500_01 and were retried");
    let ours: HashSet<String> = (0..RECORDS).map(person).collect();
    for (person, &n) in &counts {
        assert!(ours.contains(person), "{person} was never sent");
        assert_eq!(n, 1, "{person} is at the restarted platform {n} times");
    }
    for delivery in &after_restart {
        assert_eq!(
            counts.get(&delivery.person),
            Some(&1),
            "{} was accepted after the restart but is not at the platform",
            delivery.person
        );
    }
    for delivery in &before_kill {
        assert!(
            !counts.contains_key(&delivery.person),
            "{} was acknowledged before the kill, yet sent again",
            delivery.person
        );
    }
}

/// The `interrupted=N` of the relay's start-up warning, 0 when it did not warn.
fn interrupted(stderr: &str) -> usize {
    let Some(line) = stderr.lines().find(|line| line.contains("interrupted=")) else {
        return 0;
    };
    assert!(line.contains("WARN"), "a warning: {line}");
    let after = &line[line.find("interrupted=").unwrap() + "interrupted=".len()..];
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no count in {line}"))
}

/// Sends `param` with a fresh phone session; asserts it is accepted.
async fn resend(url: &str, creds: &DemoPhone, param: &str) {
    let mut phone = PhoneClient::connect(Transport::Http, url, creds)
        .await
        .authed()
        .await;
    let reply = phone.sign_in(param).await;
    assert!(reply.success, "a resent record: {reply:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_killed_mid_flush_duplicates_only_records_it_was_forwarding() {
    let sim = Sim::start();
    let creds: Vec<DemoPhone> = (0..PHONES)
        .map(|i| test_phone(&format!("relay-kill-{i}")))
        .collect();
    let relay = start_relay("relay-kill", &sim, &creds, 30, "info");
    wait_ready(&relay.url).await;
    assert_eq!(interrupted(&relay.stderr()), 0, "a fresh store");
    let phones: Vec<_> = (creds.iter())
        .map(|c| SharedPhone::new(c.clone(), &relay.url))
        .collect();
    let acked = Arc::new(AtomicUsize::new(0));
    let tasks = deliver_all(&phones, &acked);

    let (mut relay, killed_at, acked_at_kill) =
        crash_when_acked(&acked, 40, relay, RelayProcess::kill).await;
    let at_platform_at_kill = signins(&sim_url(&sim)).await.len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    tokio::task::block_in_place(|| relay.restart());
    let stderr = relay.wait_stderr("relay ready").await;
    let interrupted = interrupted(&stderr);
    wait_ready(&relay.url).await;
    let deliveries = all_delivered(tasks).await;

    let counts = person_counts(&signins(&sim_url(&sim)).await);
    let duplicates: usize = counts.values().map(|n| n - 1).sum();
    // Accepted by the first run: the attempt was sent before the kill.
    let first_run: Vec<&Delivery> = (deliveries.iter())
        .filter(|d| d.started < killed_at)
        .collect();
    let retried = (deliveries.iter())
        .filter(|d| d.retryable + d.unanswered > 0)
        .count();
    println!(
        "relay kill: {acked_at_kill} acked when killed, {at_platform_at_kill} at the platform \
         then; {} accepted by the first run; the restart logged interrupted={interrupted}; \
         {retried} records retried; {} distinct records at the platform, {} sign-ins, \
         {duplicates} duplicates",
        first_run.len(),
        counts.len(),
        counts.values().sum::<usize>(),
    );

    for n in 0..RECORDS {
        assert!(
            counts.contains_key(&person(n)),
            "{} never reached the platform",
            person(n)
        );
    }
    assert!(
        duplicates <= interrupted,
        "{duplicates} duplicates, but only {interrupted} records were interrupted"
    );
    for delivery in &first_run {
        assert_eq!(
            counts[&delivery.person], 1,
            "{} was acknowledged before the kill",
            delivery.person
        );
    }

    // Every record acknowledged before the kill, sent again: answered from the ledger.
    let total = counts.values().sum::<usize>();
    for delivery in &first_run {
        let n: usize = delivery.person[2..].parse().unwrap();
        resend(&relay.url, &creds[n % PHONES], &record(n)).await;
    }
    let after = signins(&sim_url(&sim)).await.len();
    assert_eq!(
        after, total,
        "records acknowledged before the kill were sent again"
    );
    // And every record now.
    for n in 0..RECORDS {
        resend(&relay.url, &creds[n % PHONES], &record(n)).await;
    }
    assert_eq!(signins(&sim_url(&sim)).await.len(), total);
}
