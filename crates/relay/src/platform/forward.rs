//! The one forward-once path of phone sign-ins and MR860 logs: a record the ledger has begun
//! (`Begun::New` or `Begun::Again`) goes to the platform on its sn's link, and its outcome is
//! in the ledger before anyone hears it, so a retry gets the first final answer.

use std::time::Duration;

use tokio::time::Instant;
use tracing::warn;
use zj_host::system_clock::now_ms;
use zj_protocol::{Apicode, ProtocolError};

use super::link::ForwardError;
use super::route::Platform;
use crate::metrics::Metrics;
use crate::store::{Outcome, Store, StoreError};

/// What became of a record, as the ledger now says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Delivered {
    /// The platform accepted it.
    Accepted,
    /// The platform refused it for good.
    Refused(ProtocolError),
    /// Not final (no link, link lost, busy, `500_01`): sent again on the next try; why.
    Retry(String),
}

/// The platform side of forwarding: the routes by sn, and the metrics.
pub(crate) struct PlatformOut<'a> {
    /// The routes to the platform.
    pub(crate) platform: &'a Platform,
    /// Where forwarding latency is counted.
    pub(crate) metrics: &'a Metrics,
}

impl PlatformOut<'_> {
    /// Sends `param` (a `C_SIGN_IN` param, §7 members only) as sn `sn`'s record, then writes the
    /// outcome to the ledger under `(access_id, record_id)` and returns it. A store failure is
    /// the error: the outcome is then unknown to the ledger and the record must be retried.
    pub(crate) async fn forward_begun(
        &self,
        store: &Store,
        (access_id, record_id): (&str, &str),
        sn: &str,
        param: String,
    ) -> Result<Delivered, StoreError> {
        let started = std::time::Instant::now();
        let result = self.platform.forward(sn, Apicode::CSignIn, param).await;
        self.metrics.observe_forward(started.elapsed());
        if matches!(result, Err(ForwardError::LinkLost)) {
            self.metrics.count_possible_duplicate();
            warn!(sn, access_id, record_id, "possible duplicate: the record was sent and its answer lost; it is sent again on the next try");
        }
        let delivered = match result {
            Ok(_) => Delivered::Accepted,
            Err(error) => match error.permanent_refusal() {
                Some(refusal) => Delivered::Refused(refusal.clone()),
                None => Delivered::Retry(error.to_string()),
            },
        };
        let outcome = match &delivered {
            Delivered::Accepted => Outcome::Done,
            Delivered::Refused(refusal) => Outcome::Refused(refusal.clone()),
            Delivered::Retry(_) => Outcome::Retry,
        };
        record_outcome(store, (access_id, record_id), outcome).await?;
        Ok(delivered)
    }
}

/// Longest an outcome the store cannot record now is tried again before the caller hears of
/// it: longer than a database restart takes, shorter than a claim.
const RECORD_OUTCOME_FOR: Duration = Duration::from_secs(5);

/// Writes an attempt's outcome to the ledger, trying again with back-off while the store
/// fails (a database restarting): an answer the platform gave is not thrown away, which would
/// send the record again. After [`RECORD_OUTCOME_FOR`] the caller gets the store's error (the
/// phone hears "retry later") and the outcome goes on being written in the background until
/// the store takes it; meanwhile the record's claim makes a retry wait for it.
async fn record_outcome(
    store: &Store,
    (access_id, record_id): (&str, &str),
    outcome: Outcome,
) -> Result<(), StoreError> {
    let deadline = Instant::now() + RECORD_OUTCOME_FOR;
    let mut wait = Duration::from_millis(100);
    loop {
        let recorded = store
            .finish(access_id, record_id, outcome.clone(), now_ms())
            .await;
        match recorded {
            Ok(()) => return Ok(()),
            Err(error) if Instant::now() + wait < deadline => {
                warn!(access_id, record_id, %error, "the outcome could not be recorded; trying again");
            }
            Err(error) => {
                let (store, key) = (store.clone(), (access_id.to_owned(), record_id.to_owned()));
                tokio::spawn(async move { record_outcome_later(&store, key, outcome).await });
                return Err(error);
            }
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(1));
    }
}

/// Goes on writing an outcome every [`OUTCOME_RETRY_EVERY`] until the store takes it.
async fn record_outcome_later(
    store: &Store,
    (access_id, record_id): (String, String),
    outcome: Outcome,
) {
    loop {
        tokio::time::sleep(OUTCOME_RETRY_EVERY).await;
        let recorded = store
            .finish(&access_id, &record_id, outcome.clone(), now_ms())
            .await;
        if recorded.is_ok() {
            warn!(access_id, record_id, "the outcome was recorded late");
            return;
        }
    }
}

/// How often an outcome the store could not take is written again in the background.
const OUTCOME_RETRY_EVERY: Duration = Duration::from_secs(1);
