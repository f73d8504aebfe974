//! The request forwarder: sends approved out-of-fence requests (外勤) to the platform, each once,
//! with its original `recordTime`, through the same ledger and
//! [`PlatformOut::forward_begun`] as a phone's sign-in.
//!
//! It takes only approved requests whose ledger row waits (`retry`), marking them as sending in
//! the same store trip ([`claim_approved`]); the gateway never begins a record that is a
//! request, and a record being sent (by the gateway, for an auto-approved request, or by this
//! forwarder) is `sending`: so no record is sent by two at once. It runs at start-up (rows a
//! stopped relay left `sending` are `retry` again, see [`Store::open`]), when woken (a manager
//! approved, or an auto-approved request's first send failed for now), and again after a
//! back-off while the platform does not take some request.
//!
//! A store failure while recording a send's outcome leaves its row `sending` until the relay
//! restarts (its outcome is unknown; the restart makes it `retry` and it is sent again).

use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::metrics::Metrics;
use crate::phone::gateway::Gateway;
use crate::platform::forward::{Delivered, PlatformOut};
use crate::platform::route::Platform;
use crate::store::requests::{claim_approved, ToForward};
use crate::store::{Claimant, Store, StoreError};
use zj_host::system_clock::now_ms;

/// Requests taken per pass.
const BATCH: i64 = 64;
/// Requests sent at once.
const IN_FLIGHT: usize = 8;
/// First wait after a pass some request failed for now.
const FIRST_BACK_OFF: Duration = Duration::from_secs(2);
/// Longest wait between passes while some request fails for now.
const MAX_BACK_OFF: Duration = Duration::from_secs(60);
/// Wait between passes while nothing is to be sent (a wake-up comes first as a rule).
const IDLE: Duration = Duration::from_secs(3600);

/// What a pass leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Every request taken was sent; more may be waiting: go on at once.
    More,
    /// Some request was not taken by the platform for now: try again after the back-off.
    Retry,
    /// Nothing left.
    Done,
}

/// The wait after a pass that left `pass`, given the previous back-off (`None` after a pass
/// that did not fail): doubling from [`FIRST_BACK_OFF`] to [`MAX_BACK_OFF`] while requests fail
/// for now, none otherwise.
fn next_back_off(pass: Pass, previous: Option<Duration>) -> Option<Duration> {
    match pass {
        Pass::Retry => Some(previous.map_or(FIRST_BACK_OFF, |wait| (wait * 2).min(MAX_BACK_OFF))),
        Pass::More | Pass::Done => None,
    }
}

/// The forwarder: one task for every site.
pub(crate) struct RequestForwarder {
    store: Store,
    platform: Platform,
    claimant: Claimant,
    metrics: Metrics,
    wake: Arc<Notify>,
}

impl RequestForwarder {
    /// A forwarder over the gateway's store, platform links and metrics, woken by the
    /// gateway's [`requests_wake`](Gateway::requests_wake).
    pub(crate) fn of(gateway: &Gateway) -> Self {
        Self {
            store: gateway.store().clone(),
            platform: gateway.platform().clone(),
            claimant: gateway.claimant().clone(),
            metrics: gateway.metrics().clone(),
            wake: gateway.requests_wake(),
        }
    }

    /// Runs until `stop` turns true: a pass at once, when woken, and after the back-off
    /// while some request waits for the platform.
    pub(crate) fn spawn(self, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut back_off = None;
            loop {
                let pass = self.pass().await.unwrap_or_else(|error| {
                    warn!(%error, "out-of-fence requests: store failure; trying again");
                    Pass::Retry
                });
                back_off = next_back_off(pass, back_off);
                let wait = match pass {
                    Pass::More => continue,
                    Pass::Retry => back_off.unwrap_or(FIRST_BACK_OFF),
                    Pass::Done => IDLE,
                };
                tokio::select! {
                    _ = stop.changed() => return,
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(wait) => {}
                }
            }
        })
    }

    /// Takes a batch of approved requests and sends them.
    async fn pass(&self) -> Result<Pass, StoreError> {
        let claimant = self.claimant.clone();
        let claimed = (self.store)
            .run_deferred(move |tx| claim_approved(tx, BATCH, &claimant, now_ms()))
            .await?;
        let full = claimed.len() as i64 == BATCH;
        let sent: Vec<Result<bool, StoreError>> = stream::iter(claimed)
            .map(|request| self.send(request))
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        let mut retry = false;
        for final_outcome in sent {
            retry |= !final_outcome?;
        }
        Ok(match (retry, full) {
            (true, _) => Pass::Retry,
            (false, true) => Pass::More,
            (false, false) => Pass::Done,
        })
    }

    /// Sends one claimed request; false when the platform did not take it for now.
    async fn send(&self, request: ToForward) -> Result<bool, StoreError> {
        let out = PlatformOut {
            platform: &self.platform,
            metrics: &self.metrics,
        };
        let key = (request.access_id.as_str(), request.record_id.as_str());
        let delivered =
            (out.forward_begun(&self.store, key, &request.platform_sn, request.param)).await?;
        match &delivered {
            Delivered::Accepted => {
                info!(sn = %request.platform_sn, record_id = %request.record_id, "approved out-of-fence request forwarded");
            }
            Delivered::Refused(refusal) => {
                warn!(record_id = %request.record_id, %refusal, "the platform refused an approved out-of-fence request");
            }
            Delivered::Retry(why) => {
                warn!(record_id = %request.record_id, %why, "approved out-of-fence request not taken for now");
            }
        }
        Ok(!matches!(delivered, Delivered::Retry(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_back_off_doubles_to_its_cap_and_resets() {
        let mut wait = None;
        let mut waits = Vec::new();
        for _ in 0..7 {
            wait = next_back_off(Pass::Retry, wait);
            waits.push(wait.unwrap().as_secs());
        }
        assert_eq!(waits, [2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(next_back_off(Pass::Done, wait), None);
        assert_eq!(next_back_off(Pass::More, wait), None);
    }
}
