//! Relays as a cluster (issue 18): `relay` processes sharing one real PostgreSQL database in
//! front of one `platform-sim`, over real sockets. Any relay serves any phone; the sn's holder
//! SIGKILLed under load fails over to the survivor without losing a record (and every
//! duplicate at the platform counted); the database restarted under load makes the relays
//! answer "retry later" and lose nothing; and however two relays race for an sn's lease, the
//! platform never sees two sessions of it.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::mr860::face_log;
use crate::relay_common::cluster::{
    all_delivered, deliver, health, holder, holds_lease, log_count, metric, sim_sessions,
    start_at_once, stop_gracefully, when_acked, ClusterConfig, ClusterPhone, DbProxy, Delivery,
    LEASE_SECS,
};
use crate::relay_common::platform::{call, MANAGER_TOKEN, MR860_DEVICE, MR860_KEY, MR860_SITE};
use crate::relay_common::postgres::{fresh_database, OwnServer};
use crate::relay_common::sim_common::{Sim, SN};
use crate::relay_common::{
    person_counts, phone_record, signins, test_phone, PhoneClient, RelayProcess, Transport,
    GENEROUS_LIMITS,
};

/// Longest the relays may take to settle on a holder with a ready session: a dead holder's
/// lease running out, then a platform session.
const SETTLE: Duration = Duration::from_secs(15);
/// Longest one record may take to be delivered, retries included.
const DELIVERY_DEADLINE: Duration = Duration::from_secs(60);
/// The lease.
const LEASE: Duration = Duration::from_secs(LEASE_SECS as u64);
/// The metric counting records sent again after an attempt that may have reached the platform.
const POSSIBLE_DUPLICATES: &str = "relay_possible_duplicates_total";
/// What a relay logs for each such record.
const POSSIBLE_DUPLICATE_LOG: &str = "possible duplicate";
/// `[limits]` of the load tests: no rate limit in the way, and a platform that does not answer
/// within 2 s counts as gone (a record's claim lasts twice that plus a lease).
const LOAD_LIMITS: &str =
    "frames_per_minute = 600000\nframes_burst = 100000\nplatform_reply_secs = 2";

fn person(n: usize) -> String {
    format!("P-{n:03}")
}

/// Record `n`: person `P-n`, record id `rec-n`.
fn record(n: usize) -> (String, String) {
    (person(n), phone_record(&person(n), &format!("rec-{n:03}")))
}

/// Starts delivering records `0..records`, record `n` from phone `n mod phones`, its first
/// attempt to relay `n mod relays`.
fn deliver_all(
    phones: &[Arc<ClusterPhone>],
    records: usize,
    acked: &Arc<AtomicUsize>,
) -> Vec<tokio::task::JoinHandle<Delivery>> {
    (0..records)
        .map(|n| {
            let phone = phones[n % phones.len()].clone();
            let delivery = deliver(phone, n, record(n), acked.clone(), DELIVERY_DEADLINE);
            tokio::spawn(delivery)
        })
        .collect()
}

fn sim_url(sim: &Sim) -> String {
    format!("http://{}", sim.http)
}

/// The relays' URLs.
fn urls(relays: &[RelayProcess]) -> Vec<&str> {
    relays.iter().map(|relay| relay.url.as_str()).collect()
}

/// The phone records at the platform (persons `P-…`; the MR860 terminal's person `M1` left
/// out), how many times each; asserts that every one of `records` is there and no other.
async fn phone_records_at_the_platform(sim: &Sim, records: usize) -> HashMap<String, usize> {
    let phones: Vec<Value> = (signins(&sim_url(sim)).await.into_iter())
        .filter(|signin| signin["personId"] != "M1")
        .collect();
    let counts = person_counts(&phones);
    let ours: HashSet<String> = (0..records).map(person).collect();
    for person in &ours {
        assert!(
            counts.contains_key(person),
            "{person} never reached the platform"
        );
    }
    for person in counts.keys() {
        assert!(
            ours.contains(person),
            "{person} reached the platform but was never sent"
        );
    }
    counts
}

/// The sign-ins beyond the first of each record.
fn duplicates(counts: &HashMap<String, usize>) -> usize {
    counts.values().map(|n| n - 1).sum()
}

/// Asserts that every record the platform holds more than once was logged as a possible
/// duplicate in one of `outputs` (the relays' logs).
fn duplicates_were_logged(counts: &HashMap<String, usize>, outputs: &[String]) {
    let logged: Vec<&str> = (outputs.iter())
        .flat_map(|output| output.lines())
        .filter(|line| line.contains(POSSIBLE_DUPLICATE_LOG))
        .collect();
    for (person, _) in counts.iter().filter(|(_, &n)| n > 1) {
        let record_id = person.replacen("P-", "rec-", 1);
        assert!(
            logged.iter().any(|line| line.contains(&record_id)),
            "{record_id} is at the platform more than once, but no relay logged it as a \
             possible duplicate; logged: {logged:#?}"
        );
    }
}

/// Asserts the simulator never saw two sessions of [`SN`] at once (`after` says when).
async fn never_two_sessions(sim: &Sim, after: &str) {
    let (open, most) = sim_sessions(sim).await;
    assert!(
        most <= 1,
        "{most} platform sessions of {SN} were open at once ({open} now), {after}"
    );
}

/// Proves that any relay serves any phone: a phone authenticated at one relay only sends its
/// sign-ins alternately to both with that token (one relay holds the sn's lease and sends on
/// its own session, the other forwards to it); every sign-in is accepted and is at the
/// platform exactly once, also after each was sent again to the other relay (answered from
/// the shared ledger). One phone authenticates at the holder, the other at the other relay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_authenticated_at_one_relay_signs_in_through_either() {
    let sim = Sim::start();
    let creds = [test_phone("cluster-any-0"), test_phone("cluster-any-1")];
    let relays = ClusterConfig {
        test: "cluster-any",
        sim: &sim,
        phones: &creds,
        store_url: fresh_database(),
        limits: GENEROUS_LIMITS,
        extra: "",
    }
    .start(2);
    let urls = urls(&relays);
    let held = holder(&urls, SETTLE).await;
    let mut sent = 0;
    for (phone, creds) in creds.iter().enumerate() {
        // Phone 0 authenticates at the holder, phone 1 at the other relay.
        let home = (held + phone) % 2;
        let mut at = [
            PhoneClient::connect(Transport::Http, urls[home], creds)
                .await
                .authed()
                .await,
            PhoneClient::connect(Transport::Http, urls[1 - home], creds).await,
        ];
        at[1].token = at[0].token.clone();
        let mine: Vec<usize> = (sent..sent + 6).collect();
        for (k, &n) in mine.iter().enumerate() {
            let reply = at[k % 2].sign_in(&record(n).1).await;
            let relay = if k % 2 == 0 { home } else { 1 - home };
            let role = if relay == held {
                "the holder"
            } else {
                "not the holder"
            };
            assert!(
                reply.success,
                "{} authenticated at relay {home}, sign-in {n} at relay {relay} ({role}): {reply:?}",
                creds.sn
            );
        }
        for (k, &n) in mine.iter().enumerate() {
            let reply = at[(k + 1) % 2].sign_in(&record(n).1).await;
            assert!(
                reply.success,
                "{n} sent again at the other relay: {reply:?}"
            );
        }
        sent += mine.len();
    }
    let counts = phone_records_at_the_platform(&sim, sent).await;
    assert_eq!(
        duplicates(&counts),
        0,
        "each sign-in is at the platform once"
    );
    never_two_sessions(&sim, "with two relays up").await;
}

/// Proves that the cluster fails over when the sn's holder dies: 200 records in flight from 4
/// phones through two relay processes (each attempt to the next relay); the holder is
/// SIGKILLed after 40 acknowledgements; the phones retry through the survivor until every
/// record is accepted. Every record is at the platform; the duplicates there are at most the
/// records the relays counted and logged as possible duplicates (the survivor's
/// `relay_possible_duplicates_total`, which matches its log, plus the dead relay's log lines);
/// a record acknowledged before the kill is there once; and the survivor accepts a new record
/// within a lease plus 5 s of the kill (the failover time, measured and printed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_holder_killed_under_load_fails_over_to_the_survivor() {
    const RECORDS: usize = 200;
    const PHONES: usize = 4;
    let sim = Sim::start();
    // The phones sending the records, and one more sending a new record after the kill.
    let creds: Vec<_> = (0..=PHONES)
        .map(|i| test_phone(&format!("cluster-kill-{i}")))
        .collect();
    let mut relays = ClusterConfig {
        test: "cluster-kill",
        sim: &sim,
        phones: &creds,
        store_url: fresh_database(),
        limits: LOAD_LIMITS,
        extra: "",
    }
    .start(2);
    let urls: Vec<String> = urls(&relays).into_iter().map(str::to_owned).collect();
    let url_refs: Vec<&str> = urls.iter().map(String::as_str).collect();
    let held = holder(&url_refs, SETTLE).await;
    let phones: Vec<_> = (creds[..PHONES].iter())
        .map(|creds| ClusterPhone::new(creds.clone(), &url_refs))
        .collect();
    let mut victim = relays.swap_remove(held);
    let survivor = relays.pop().expect("two relays");
    let acked = Arc::new(AtomicUsize::new(0));
    let acked_now = acked.clone();
    let kill = when_acked(&acked, 40, DELIVERY_DEADLINE, move || {
        victim.kill();
        (victim, acked_now.load(Ordering::SeqCst))
    });
    let tasks = deliver_all(&phones, RECORDS, &acked);
    let (killed_at, (victim, acked_at_kill)) = kill.await;
    // A record the holder never saw, sent to the survivor until it is accepted: the survivor
    // has the session (a record the dead holder was sending waits for its claim to end first).
    let probe = ClusterPhone::new(creds[PHONES].clone(), &[&survivor.url]);
    let probe = deliver(probe, 0, record(RECORDS), Arc::default(), SETTLE).await;
    let failover = probe.acked - killed_at;
    let at_platform_at_kill = sim.http().signins().await.len();
    let deliveries = all_delivered(tasks).await;

    let counts = phone_records_at_the_platform(&sim, RECORDS + 1).await;
    let duplicates = duplicates(&counts);
    let counted = metric(&survivor.url, POSSIBLE_DUPLICATES).await as usize;
    let survivor_logged = log_count(&survivor.all_output(), POSSIBLE_DUPLICATE_LOG);
    let victim_logged = log_count(&victim.all_output(), POSSIBLE_DUPLICATE_LOG);
    let retried = (deliveries.iter())
        .filter(|d| d.retryable + d.unanswered > 0)
        .count();
    let took_over = log_count(&survivor.stderr(), "sn lease taken");
    println!(
        "holder kill: {acked_at_kill} acked and {at_platform_at_kill} at the platform when \
         killed; failover (kill → first sign-in accepted by the survivor) {:.2} s with a \
         {LEASE_SECS} s lease; {retried} records retried; {duplicates} duplicates at the \
         platform, the survivor counted {counted} possible duplicates (logged {survivor_logged}), \
         the dead holder logged {victim_logged}",
        failover.as_secs_f64()
    );

    assert!(acked_at_kill < RECORDS, "the kill hit records in flight");
    assert_eq!(
        counted, survivor_logged,
        "the survivor logs each possible duplicate it counts"
    );
    assert!(
        duplicates <= counted + victim_logged,
        "{duplicates} duplicates at the platform, only {counted} + {victim_logged} counted"
    );
    duplicates_were_logged(&counts, &[survivor.all_output(), victim.all_output()]);
    let before_kill: Vec<&Delivery> = deliveries.iter().filter(|d| d.acked < killed_at).collect();
    for delivery in &before_kill {
        assert_eq!(
            counts[&delivery.person], 1,
            "{} was acknowledged before the kill, yet sent again",
            delivery.person
        );
    }
    assert_eq!(
        took_over,
        1,
        "the survivor took the lease once: {}",
        survivor.stderr()
    );
    assert!(
        failover <= LEASE + Duration::from_secs(5),
        "failover took {failover:?}, more than the lease + 5 s"
    );
    assert_eq!(holder(&[&survivor.url], SETTLE).await, 0);
    never_two_sessions(&sim, "through the failover").await;
}

/// `[manager]` and the MR860 terminal of the database restart test.
fn manager_and_terminal() -> String {
    format!(
        "[manager]\ntoken = {MANAGER_TOKEN:?}\n\n[[mr860]]\ndevice_id = {MR860_DEVICE:?}\n\
         site_id = {MR860_SITE:?}\nkey = {MR860_KEY:?}\n"
    )
}

/// The card of the terminal's one person, `M1`.
const CARD: &str = "330106199001011234";

/// Makes the terminal's site and puts `M1` on its roster (by a `T_SEND_PERSON` task, which the
/// lease holder's session carries out).
async fn site_with_roster(sim: &Sim, relay_url: &str) {
    let site = json!({"name": "滨江工地", "sn": SN});
    let (status, created) = call(
        relay_url,
        "POST",
        "/v1/manager/sites",
        Some(MANAGER_TOKEN),
        Some(site),
    )
    .await;
    assert_eq!(
        (status, &created["siteId"]),
        (201, &json!(MR860_SITE)),
        "{created}"
    );
    let http = sim.http();
    let person = json!([{"personId": "M1", "name": "张三", "idcardNo": CARD, "imgUrl": null}]);
    http.add_persons(&person).await;
    let task = http
        .add_task(&json!({"sn": SN, "apicode": "T_SEND_PERSON", "personIds": ["M1"]}))
        .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while http.task(&task).await["status"].is_null() {
        assert!(
            Instant::now() < deadline,
            "the roster task was never reported"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An MR860 terminal sending face logs of `M1` one after another, each to the next relay and
/// again (as the terminal does) until it is answered `"200"`, until `stop`, counting the
/// answers `"500"` (retry later) in `retry_later`; any other answer fails the test. The
/// `verifyTime`s of the logs answered `"200"`.
async fn terminal(
    urls: Vec<String>,
    stop: Arc<AtomicBool>,
    retry_later: Arc<AtomicUsize>,
) -> Vec<String> {
    let mut accepted = Vec::new();
    let mut attempt = 0;
    for n in 0.. {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let verify_time = format!("2026-11-22 07:{:02}:{:02}", n / 60, n % 60);
        loop {
            let url = &urls[attempt % urls.len()];
            attempt += 1;
            let path = format!("/mr860/{MR860_KEY}/face");
            let log = face_log(CARD, &verify_time);
            let (status, answer) = call(url, "POST", &path, None, Some(log)).await;
            match answer["code"].as_str() {
                Some("200") => break,
                Some("500") => {
                    assert_eq!(status, 500, "{answer}");
                    retry_later.fetch_add(1, Ordering::SeqCst);
                }
                _ => panic!("the terminal's log {verify_time} answered {status} {answer}"),
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        accepted.push(verify_time);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    accepted
}

/// The `recordTime` of a face log sent at `verify_time` (Beijing time).
fn record_time(verify_time: &str) -> i64 {
    let digits: String = verify_time.chars().filter(char::is_ascii_digit).collect();
    zj_protocol::time::parse_timestamp(&digits).expect("a verifyTime")
}

/// Proves that a database restarted under load costs nothing but retries: two relays on their
/// own PostgreSQL server, 120 phone records in flight and an MR860 terminal sending logs; the
/// server is restarted (a fast shutdown cuts every connection; again, up to 5 times, until one
/// of the terminal's logs met the outage). Phones hear `500_01` and the
/// terminal `"500"` meanwhile (never anything else), then both are answered again; every phone
/// record and every log answered `"200"` is at the platform, duplicates at most those the
/// relays counted, and never two platform sessions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_restarted_under_load_answers_retry_later_and_loses_nothing() {
    const RECORDS: usize = 120;
    const PHONES: usize = 4;
    let server = OwnServer::start("cluster-db-restart");
    let sim = Sim::start();
    let creds: Vec<_> = (0..PHONES)
        .map(|i| test_phone(&format!("cluster-db-{i}")))
        .collect();
    let extra = manager_and_terminal();
    let relays = ClusterConfig {
        test: "cluster-db",
        sim: &sim,
        phones: &creds,
        store_url: server.url.clone(),
        limits: LOAD_LIMITS,
        extra: &extra,
    }
    .start(2);
    let urls: Vec<String> = urls(&relays).into_iter().map(str::to_owned).collect();
    let url_refs: Vec<&str> = urls.iter().map(String::as_str).collect();
    holder(&url_refs, SETTLE).await;
    site_with_roster(&sim, &urls[0]).await;

    let (stop, terminal_heard_500) = (Arc::new(AtomicBool::new(false)), Arc::default());
    let terminal_run = tokio::spawn(terminal(
        urls.clone(),
        stop.clone(),
        Arc::clone(&terminal_heard_500),
    ));
    let phones: Vec<_> = (creds.iter())
        .map(|creds| ClusterPhone::new(creds.clone(), &url_refs))
        .collect();
    let acked = Arc::new(AtomicUsize::new(0));
    let heard = Arc::clone(&terminal_heard_500);
    let restart = when_acked(&acked, 30, DELIVERY_DEADLINE, move || {
        // A restart takes a few tenths of a second, and the terminal sends one log at a time:
        // the server is restarted again (5 times at most) until one of its logs met an outage.
        let mut restarts = 0;
        while restarts < 5 && heard.load(Ordering::SeqCst) == 0 {
            server.restart();
            restarts += 1;
            std::thread::sleep(Duration::from_millis(300));
        }
        (server, restarts)
    });
    let tasks = deliver_all(&phones, RECORDS, &acked);
    let (restarted_at, (_server, restarts)) = restart.await;
    let deliveries = all_delivered(tasks).await;
    // The terminal goes on a while after the restarts.
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);
    let accepted_logs = terminal_run.await.expect("the terminal");
    let terminal_retry_later = terminal_heard_500.load(Ordering::SeqCst);

    let retry_later: usize = deliveries.iter().map(|d| d.retryable).sum();
    let after_restart = (deliveries.iter())
        .filter(|d| d.started > restarted_at)
        .count();
    println!(
        "database restart ({restarts} restarts): phones heard 500_01 {retry_later} times, \
         {after_restart} records accepted after the first restart; the terminal heard \"500\" \
         {} times, {} logs accepted",
        terminal_retry_later,
        accepted_logs.len()
    );
    assert!(
        retry_later > 0,
        "phones heard 500_01 while the database restarted"
    );
    assert!(
        terminal_retry_later > 0,
        "the terminal heard \"500\" while the database restarted"
    );
    assert!(after_restart > 0, "records were accepted after the restart");

    let counts = phone_records_at_the_platform(&sim, RECORDS).await;
    let wanted: HashSet<i64> = accepted_logs.iter().map(|t| record_time(t)).collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let terminal_signins = loop {
        let at_platform: Vec<i64> = (sim.http().signins().await.iter())
            .filter(|signin| signin["personId"] == "M1")
            .filter_map(|signin| signin["recordTime"].as_i64())
            .collect();
        let distinct: HashSet<i64> = at_platform.iter().copied().collect();
        let missing: Vec<&i64> = wanted.difference(&distinct).collect();
        if missing.is_empty() {
            break at_platform;
        }
        assert!(
            Instant::now() < deadline,
            "MR860 logs answered \"200\" never reached the platform: {missing:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let terminal_duplicates = terminal_signins.len() - wanted.len();
    let mut counted = 0;
    for relay in &relays {
        counted += metric(&relay.url, POSSIBLE_DUPLICATES).await as usize;
    }
    let duplicates = duplicates(&counts);
    println!(
        "database restart: {duplicates} phone records and {terminal_duplicates} MR860 logs \
         duplicated at the platform, {counted} possible duplicates counted"
    );
    assert!(
        duplicates + terminal_duplicates <= counted,
        "{duplicates} + {terminal_duplicates} duplicates at the platform, only {counted} counted"
    );
    let outputs: Vec<String> = relays.iter().map(RelayProcess::all_output).collect();
    duplicates_were_logged(&counts, &outputs);
    for url in &urls {
        let (status, body) = health(url).await.expect("the relay answers");
        assert_eq!(status, 200, "{body}");
    }
    never_two_sessions(&sim, "through the database restart").await;
}

/// Proves that a record the platform accepted while the database restarted is not sent to it a
/// second time: one relay on its own PostgreSQL server, 120 records in flight, the server
/// restarted once. The relay has the platform's answer even when it cannot write it down at
/// once; no relay died, so no record may be at the platform twice.
///
/// The relay keeps trying to write an outcome the store cannot take for a moment (rather than
/// dropping it and answering `500_01`, which made the phone's retry wait for the relay's own
/// claim and send the record again): the restart shows as records that heard `500_01` before
/// they were sent, or as outcomes written on a later try.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_sends_no_accepted_record_twice() {
    const RECORDS: usize = 120;
    const PHONES: usize = 4;
    let server = OwnServer::start("cluster-db-twice");
    let sim = Sim::start();
    let creds: Vec<_> = (0..PHONES)
        .map(|i| test_phone(&format!("cluster-twice-{i}")))
        .collect();
    let relays = ClusterConfig {
        test: "cluster-twice",
        sim: &sim,
        phones: &creds,
        store_url: server.url.clone(),
        limits: LOAD_LIMITS,
        extra: "",
    }
    .start(1);
    holder(&urls(&relays), SETTLE).await;
    let phones: Vec<_> = (creds.iter())
        .map(|creds| ClusterPhone::new(creds.clone(), &urls(&relays)))
        .collect();
    let acked = Arc::new(AtomicUsize::new(0));
    let later = Arc::clone(&acked);
    let restart = when_acked(&acked, 30, DELIVERY_DEADLINE, move || {
        server.restart();
        // A restart that falls between two batches passes unseen (each connection is made
        // again before its next batch): a second one, later in the load.
        let deadline = Instant::now() + DELIVERY_DEADLINE;
        while later.load(Ordering::SeqCst) < 70 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        server.restart();
        server
    });
    let tasks = deliver_all(&phones, RECORDS, &acked);
    let (_, _server) = restart.await;
    let deliveries = all_delivered(tasks).await;

    let counts = phone_records_at_the_platform(&sim, RECORDS).await;
    let retried = deliveries.iter().filter(|d| d.retryable > 0).count();
    let slowest = deliveries.iter().map(|d| d.acked - d.started).max();
    let output = relays[0].all_output();
    if retried == 0 && !output.contains(OUTCOME_TRIED_AGAIN_LOG) {
        // Not a failure: both restarts fell between batches this time; the check below then
        // holds trivially, and other runs of the suite meet records in flight.
        eprintln!("note: neither database restart met a record in flight this run");
    }
    let logged: Vec<&str> = (output.lines())
        .filter(|line| line.contains(POSSIBLE_DUPLICATE_LOG))
        .take(2)
        .collect();
    assert_eq!(
        duplicates(&counts),
        0,
        "records accepted by the platform were sent again after the database restart \
         ({retried} records heard 500_01; the slowest accepted attempt took {slowest:?}); the \
         relay logged: {logged:#?}"
    );
}

/// What the relay logs when it writes an outcome again after the store failed.
const OUTCOME_TRIED_AGAIN_LOG: &str = "the outcome could not be recorded; trying again";

/// Proves that two relays racing for one sn's lease never open two platform sessions of it
/// (the simulator's `maxSessions` stays 1), whatever happens: both started at the same moment,
/// four times over (ended by SIGKILL, so the next pair waits for a dead holder's lease, or by
/// SIGTERM, which gives it up: new relay names each time); the holder SIGKILLed and restarted at once (it takes its own
/// lease back), SIGKILLed and left down until the other relay took over, and stopped
/// gracefully; and the holder cut off from the database (through a proxy of its own), which
/// must give its session up before its lease ends and the other relay takes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relays_racing_for_a_lease_never_open_two_sessions() {
    let sim = Sim::start();
    let database = fresh_database();
    let proxies = [
        DbProxy::start(&database).await,
        DbProxy::start(&database).await,
    ];
    let config = ClusterConfig {
        test: "cluster-race",
        sim: &sim,
        phones: &[],
        store_url: database.clone(),
        limits: GENEROUS_LIMITS,
        extra: "",
    };
    // Relays `relay-{2 round}` and `relay-{2 round + 1}`: new names each round, so a pair after
    // a SIGKILLed one races for the lease when the dead holder's runs out.
    let pair = |round: usize| -> Vec<_> {
        (0..2)
            .map(|i| config.write_on(2 * round + i, &proxies[i].url))
            .collect()
    };

    for round in 0..4 {
        let mut relays = start_at_once(&pair(round));
        holder(&urls(&relays), SETTLE).await;
        never_two_sessions(&sim, &format!("when both started at once (round {round})")).await;
        for relay in &mut relays {
            match round % 2 {
                0 => relay.kill(),
                _ => stop_gracefully(relay),
            }
        }
    }

    let mut relays = start_at_once(&pair(4));
    for step in [
        "restarted at once",
        "down until the other took over",
        "stopped gracefully",
    ] {
        let held = holder(&urls(&relays), SETTLE).await;
        match step {
            "restarted at once" => relays[held].restart(),
            "down until the other took over" => {
                relays[held].kill();
                assert_eq!(holder(&urls(&relays), SETTLE).await, 1 - held);
                relays[held].restart();
            }
            _ => {
                stop_gracefully(&mut relays[held]);
                assert_eq!(holder(&urls(&relays), SETTLE).await, 1 - held);
                relays[held].restart();
            }
        }
        holder(&urls(&relays), SETTLE).await;
        never_two_sessions(&sim, &format!("when the holder was {step}")).await;
    }

    let held = holder(&urls(&relays), SETTLE).await;
    let cut_at = Instant::now();
    proxies[held].set_cut(true);
    let mut gave_up = None;
    while Instant::now() < cut_at + SETTLE {
        let body = health(&relays[held].url).await.map(|(_, body)| body);
        if body.as_ref().is_some_and(|body| !holds_lease(body)) {
            gave_up = Some(cut_at.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let gave_up = gave_up.expect("the holder cut off from the database gave its lease up");
    assert!(
        gave_up < LEASE,
        "gave up after {gave_up:?}, not within its lease"
    );
    assert_eq!(
        holder(&urls(&relays), SETTLE).await,
        1 - held,
        "the other relay took over"
    );
    proxies[held].set_cut(false);
    tokio::time::sleep(LEASE).await;
    assert_eq!(
        holder(&urls(&relays), SETTLE).await,
        1 - held,
        "and keeps the lease"
    );
    never_two_sessions(&sim, "when the holder lost the database").await;
    let (open, most) = sim_sessions(&sim).await;
    assert_eq!(
        (open, most),
        (1, 1),
        "one session of {SN} now, and never more"
    );
    println!(
        "lease race: the holder cut off from the database gave its lease up after {:.2} s",
        gave_up.as_secs_f64()
    );
}
