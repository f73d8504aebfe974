//! The relay's platform link against the real `platform-sim` binary over loopback TCP:
//! forwarding, pipelining, token renewal, reconnection, back-pressure and reply timeouts.

use std::time::Duration;

use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use zj_protocol::wire::DEFAULT_MAX_FRAME_LEN;
use zj_protocol::{Apicode, ErrorCode};
use zj_relay::platform::link::{ForwardError, LinkConfig, LinkState, LinkTask, PlatformLink};

use crate::relay_common::sim_common::{
    device_config, random_bytes, sign_in_param, Sim, SimOptions, SN,
};

/// Longest a test waits for the link to reach a state.
const STATE_TIMEOUT: Duration = Duration::from_secs(10);

fn link_config(addr: String) -> LinkConfig {
    LinkConfig {
        addr,
        device: device_config(SN),
        queue_capacity: 256,
        reconnect_min: Duration::from_millis(50),
        reconnect_max: Duration::from_millis(400),
        reply_timeout: Duration::from_secs(5),
        max_frame_len: DEFAULT_MAX_FRAME_LEN,
    }
}

/// A link that may always connect (its relay holds the lease; the sender is kept by the link
/// task's caller through `LinkTask`'s lifetime: leaked here, as a test's link lives to its end).
fn spawn(config: LinkConfig) -> (PlatformLink, LinkTask) {
    let (allowed, allowed_now) = watch::channel(true);
    std::mem::forget(allowed);
    PlatformLink::spawn(config, allowed_now)
}

async fn ready_link(config: LinkConfig) -> (PlatformLink, LinkTask) {
    let (mut link, task) = spawn(config);
    tokio::time::timeout(STATE_TIMEOUT, link.wait_for(LinkState::Ready))
        .await
        .expect("the link authenticates");
    (link, task)
}

fn record(n: usize) -> String {
    sign_in_param(
        &format!("P-{n:04}"),
        json!("64"),
        &random_bytes(60 * 1024, n as u64),
        json!({}),
    )
}

#[tokio::test]
async fn a_forwarded_sign_in_reaches_the_platform() {
    let sim = Sim::start();
    let (link, task) = ready_link(link_config(sim.tcp.to_string())).await;
    assert_eq!(
        link.forward(Apicode::CSignIn, record(1)).await,
        Ok(String::new())
    );
    let signins = sim.http().signins().await;
    assert_eq!(signins.len(), 1);
    assert_eq!(signins[0]["personId"], "P-0001");
    assert_eq!(signins[0]["imgBytes"], 60 * 1024);
    task.shutdown().await;
}

#[tokio::test]
async fn two_hundred_concurrent_forwards_are_pipelined_and_all_land() {
    let sim = Sim::start();
    let (link, task) = ready_link(link_config(sim.tcp.to_string())).await;
    let forwards = (0..200).map(|n| {
        let link = link.clone();
        tokio::spawn(async move { link.forward(Apicode::CSignIn, record(n)).await })
    });
    for forward in forwards {
        assert_eq!(forward.await.unwrap(), Ok(String::new()));
    }
    assert_eq!(sim.http().signins().await.len(), 200);
    task.shutdown().await;
}

#[tokio::test]
async fn a_record_the_platform_refuses_is_not_retryable() {
    let sim = Sim::start();
    let (link, task) = ready_link(link_config(sim.tcp.to_string())).await;
    let bad_type = sign_in_param("P-1", json!("5"), b"x", json!({}));
    let refusal = link.forward(Apicode::CSignIn, bad_type).await.unwrap_err();
    assert!(
        matches!(&refusal, ForwardError::Refused(e) if e.code() == Some(ErrorCode::AttendanceTypeInvalid))
    );
    assert!(!refusal.is_retryable());
    assert!(sim.http().signins().await.is_empty());
    task.shutdown().await;
}

#[tokio::test]
async fn an_expired_platform_token_is_renewed_without_the_caller_noticing() {
    let sim = Sim::with(SimOptions {
        token_idle_secs: Some(1),
        ..SimOptions::default()
    });
    let mut config = link_config(sim.tcp.to_string());
    config.device.heartbeat_interval_ms = 30_000; // no heartbeat keeps the token alive
    let (link, task) = ready_link(config).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        link.forward(Apicode::CSignIn, record(7)).await,
        Ok(String::new())
    );
    assert_eq!(
        sim.http().signins().await.len(),
        1,
        "replayed once, stored once"
    );
    task.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_platform_is_a_retryable_answer_and_the_link_reconnects() {
    let mut sim = Sim::start();
    let (mut link, task) = ready_link(link_config(sim.tcp.to_string())).await;
    sim.kill();
    tokio::time::timeout(STATE_TIMEOUT, link.wait_for(LinkState::Backoff))
        .await
        .expect("the link notices");
    let refused = link.forward(Apicode::CSignIn, record(1)).await.unwrap_err();
    assert!(refused.is_retryable(), "{refused:?}");
    sim.restart();
    tokio::time::timeout(STATE_TIMEOUT, link.wait_for(LinkState::Ready))
        .await
        .expect("the link reconnects and authenticates");
    assert_eq!(
        link.forward(Apicode::CSignIn, record(2)).await,
        Ok(String::new())
    );
    assert_eq!(sim.http().signins().await.len(), 1);
    task.shutdown().await;
}

#[tokio::test]
async fn a_platform_killed_mid_flush_loses_nothing_that_is_retried() {
    let mut sim = Sim::start();
    let (mut link, task) = ready_link(link_config(sim.tcp.to_string())).await;
    let forwards: Vec<_> = (0..200)
        .map(|n| {
            let link = link.clone();
            tokio::spawn(async move { (n, link.forward(Apicode::CSignIn, record(n)).await) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    sim.kill();
    let mut to_retry = Vec::new();
    for forward in forwards {
        match forward.await.unwrap() {
            (_, Ok(_)) => {}
            (n, Err(error)) => {
                assert!(error.is_retryable(), "record {n}: {error:?}");
                to_retry.push(n);
            }
        }
    }
    assert!(!to_retry.is_empty(), "the kill hit records in flight");
    sim.restart();
    tokio::time::timeout(STATE_TIMEOUT, link.wait_for(LinkState::Ready))
        .await
        .expect("the link comes back");
    for &n in &to_retry {
        assert_eq!(
            link.forward(Apicode::CSignIn, record(n)).await,
            Ok(String::new())
        );
    }
    // The restarted platform lost what the first one had; every retried record is there once.
    let signins = sim.http().signins().await;
    assert_eq!(signins.len(), to_retry.len());
    task.shutdown().await;
}

/// A TCP server that accepts and reads but never answers: a hung platform.
async fn silent_platform() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let mut connections = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            connections.push(stream); // held open, never read or answered
        }
    });
    addr
}

#[tokio::test]
async fn a_full_queue_answers_busy_instead_of_growing() {
    let mut config = link_config(silent_platform().await);
    config.queue_capacity = 4;
    config.reply_timeout = Duration::from_secs(30);
    let (link, task) = spawn(config);
    let small = || sign_in_param("P-1", json!("64"), b"x", json!({}));
    let spawn_forwards = |count: usize| -> Vec<_> {
        (0..count)
            .map(|_| {
                let (link, param) = (link.clone(), small());
                tokio::spawn(async move { link.forward(Apicode::CSignIn, param).await })
            })
            .collect()
    };
    // The session takes 4 (waiting for C_AUTH's reply), then the channel holds 4 more; the
    // next is refused at once.
    let mut pending = spawn_forwards(4);
    tokio::time::sleep(Duration::from_millis(200)).await;
    pending.extend(spawn_forwards(4));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        link.forward(Apicode::CSignIn, small()).await,
        Err(ForwardError::Busy)
    );
    task.shutdown().await;
    for forward in pending {
        assert!(forward.await.unwrap().unwrap_err().is_retryable());
    }
}

#[tokio::test]
async fn a_platform_that_stops_answering_is_dropped_after_the_reply_timeout() {
    let mut config = link_config(silent_platform().await);
    config.reply_timeout = Duration::from_millis(300);
    let (mut link, task) = spawn(config);
    let forward = link.forward(Apicode::CSignIn, record(1));
    let answer = tokio::time::timeout(STATE_TIMEOUT, forward)
        .await
        .expect("answered within the reply timeout, not left hanging");
    assert!(answer.unwrap_err().is_retryable());
    tokio::time::timeout(STATE_TIMEOUT, link.wait_for(LinkState::Backoff))
        .await
        .expect("the link reconnects");
    task.shutdown().await;
}

/// Waits until the simulator counts `wanted` open sessions of [`SN`]; panics after
/// [`STATE_TIMEOUT`].
async fn await_sessions(sim: &Sim, wanted: u64) {
    let deadline = tokio::time::Instant::now() + STATE_TIMEOUT;
    while sim.http().device(SN).await["sessions"] != wanted {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the simulator never counted {wanted} sessions of {SN}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_link_holds_a_session_only_while_it_is_allowed_to() {
    let sim = Sim::start();
    let (allowed, allowed_now) = watch::channel(false);
    let (mut link, task) = PlatformLink::spawn(link_config(sim.tcp.to_string()), allowed_now);
    tokio::time::timeout(STATE_TIMEOUT, link.wait_for(LinkState::Idle))
        .await
        .expect("a link not allowed to connect stays idle");
    assert_eq!(
        link.forward(Apicode::CSignIn, record(1)).await,
        Err(ForwardError::Unreachable),
        "nothing is sent without the lease"
    );
    assert_eq!(sim.http().device(SN).await["maxSessions"], 0);

    allowed.send_replace(true);
    tokio::time::timeout(STATE_TIMEOUT, link.wait_for(LinkState::Ready))
        .await
        .expect("an allowed link authenticates");
    assert_eq!(
        link.forward(Apicode::CSignIn, record(2)).await,
        Ok(String::new())
    );

    allowed.send_replace(false);
    tokio::time::timeout(STATE_TIMEOUT, link.wait_for(LinkState::Idle))
        .await
        .expect("a link whose lease is lost goes idle");
    await_sessions(&sim, 0).await;
    assert_eq!(
        link.forward(Apicode::CSignIn, record(3)).await,
        Err(ForwardError::Unreachable)
    );
    let signins = sim.http().signins().await;
    assert_eq!(
        signins.len(),
        1,
        "only the record sent while allowed landed"
    );

    drop(allowed);
    tokio::time::timeout(STATE_TIMEOUT, link.wait_for(LinkState::Stopped))
        .await
        .expect("a link whose lease keeper is gone stops");
    task.shutdown().await;
}
