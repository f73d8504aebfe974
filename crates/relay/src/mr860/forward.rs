//! Forwards accepted MR860 logs to the platform as `C_SIGN_IN`s, exactly once: each log is a
//! record of the ledger under `accessId` `mr860:<deviceId>` and `recordId` its log id, so a
//! log forwarded before a restart is not sent again, and one whose attempt failed for now is.

use std::time::Duration;

use base64::Engine;
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::metrics::Metrics;
use crate::mr860::{parse_stored, photo, LogState, Mr860};
use crate::platform::forward::{Delivered, PlatformOut};
use crate::platform::route::Platform;
use crate::store::mr860_logs::{self, PendingLog};
use crate::store::{Begun, Claimant, RecordEntry, StoreError};
use zj_host::system_clock::now_ms;
use zj_protocol::params::to_json_text;

/// How long to wait before trying again logs the platform did not take for now.
const RETRY_AFTER: Duration = Duration::from_secs(5);
/// Logs forwarded per pass.
const BATCH: i64 = 100;
/// Logs forwarded at once: the platform link pipelines them and the store commits their
/// ledger entries together, so a backlog drains at the platform's pace rather than one round
/// trip and three commits per log.
const IN_FLIGHT: usize = 32;

/// What a pass leaves.
enum Pass {
    /// Every log forwarded; more may be waiting: go on at once.
    More,
    /// Some log waits for the platform: try again in a while.
    Retry,
    /// Nothing left.
    Done,
}

/// The forwarder: one task for all terminals.
pub(crate) struct Forwarder {
    /// The intake (store, wake-up).
    pub mr860: Mr860,
    /// The routes to the platform.
    pub platform: Platform,
    /// This relay, as it claims the records it sends.
    pub claimant: Claimant,
    /// Where forwarding latency is counted.
    pub metrics: Metrics,
}

impl Forwarder {
    /// Runs until `stop` turns true: a pass at start, when woken, and every few seconds while
    /// some log waits for the platform.
    pub(crate) fn spawn(self, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                let wait = match self.pass().await {
                    Ok(Pass::More) => continue,
                    Ok(Pass::Retry) => RETRY_AFTER,
                    Ok(Pass::Done) => Duration::from_secs(3600),
                    Err(error) => {
                        warn!(%error, "MR860 logs: store failure; trying again");
                        RETRY_AFTER
                    }
                };
                tokio::select! {
                    _ = stop.changed() => return,
                    () = self.mr860.wake.notified() => {}
                    () = tokio::time::sleep(wait) => {}
                }
            }
        })
    }

    /// Forwards a batch of pending logs.
    async fn pass(&self) -> Result<Pass, StoreError> {
        let pending = (self.mr860.store)
            .run(|tx| mr860_logs::pending(tx, BATCH))
            .await?;
        let full = pending.len() as i64 == BATCH;
        let forwarded: Vec<Result<bool, StoreError>> = stream::iter(pending)
            .map(|log| self.forward(log))
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        let mut retry = false;
        for done in forwarded {
            retry |= !done?;
        }
        Ok(match (retry, full) {
            (true, _) => Pass::Retry,
            (false, true) => Pass::More,
            (false, false) => Pass::Done,
        })
    }

    async fn set_state(
        &self,
        id: i64,
        state: LogState,
        detail: Option<String>,
    ) -> Result<(), StoreError> {
        (self.mr860.store)
            .run(move |tx| mr860_logs::set_state(tx, id, state, detail.as_deref(), now_ms()))
            .await
    }

    /// Forwards one log; false when it must be tried again later.
    async fn forward(&self, log: PendingLog) -> Result<bool, StoreError> {
        let Ok(parsed) = parse_stored(&log.body) else {
            self.set_state(
                log.id,
                LogState::Refused,
                Some("stored body unreadable".into()),
            )
            .await?;
            return Ok(true);
        };
        let img = photo(&parsed.body, "facePicture").unwrap_or_default();
        let img_bytes = base64::engine::general_purpose::STANDARD
            .decode(&img)
            .map_or(0, |bytes| bytes.len());
        let record_time = parsed.time_ms.unwrap_or(log.received_ms);
        let kind = if parsed.mode == "0" { "1" } else { "8" };
        let mut param = json!({"personId": log.person_id, "type": kind, "recordTime": record_time});
        let coordinate = |key: &str| {
            (parsed.body.get(key).and_then(Value::as_str))
                .and_then(|text| text.trim().parse::<f64>().ok())
                .filter(|value| value.is_finite() && *value != 0.0)
        };
        if let (Some(longitude), Some(latitude)) = (coordinate("longitude"), coordinate("latitude"))
        {
            param["coordinate"] = json!({"longitude": longitude, "latitude": latitude});
        }
        if !img.is_empty() {
            param["img"] = json!(img);
        }
        let access_id = format!("mr860:{}", parsed.device_id);
        let record_id = log.id.to_string();
        let extras = json!({
            "source": "mr860",
            "mode": parsed.mode,
            "cardType": parsed.card_type,
            "score": parsed.body.get("score"),
            "location": parsed.body.get("location"),
        });
        let entry = RecordEntry {
            access_id: access_id.clone(),
            record_id: record_id.clone(),
            phone_sn: parsed.device_id.clone(),
            platform_sn: log.sn.clone(),
            person_id: log.person_id.clone(),
            record_time,
            img_bytes,
            extras: extras.to_string(),
            received_ms: log.received_ms,
            site_id: log.site_id.clone(),
        };
        let claimant = self.claimant.clone();
        match self.mr860.store.begin(entry, claimant, now_ms()).await? {
            Begun::Done => {
                self.set_state(log.id, LogState::Forwarded, None).await?;
                return Ok(true);
            }
            Begun::Refused(error) => {
                self.set_state(log.id, LogState::Refused, Some(error.to_string()))
                    .await?;
                return Ok(true);
            }
            // Another relay sends it: the log waits, and the next pass reads its outcome.
            Begun::Elsewhere => return Ok(false),
            Begun::TakenOver(from) => {
                self.metrics.count_possible_duplicate();
                warn!(id = log.id, from = ?from, "possible duplicate: MR860 log left sending by a relay whose claim ended; sending it again");
            }
            Begun::New | Begun::Again => {}
        }
        let out = PlatformOut {
            platform: &self.platform,
            metrics: &self.metrics,
        };
        let key = (access_id.as_str(), record_id.as_str());
        let delivered =
            (out.forward_begun(&self.mr860.store, key, &log.sn, to_json_text(&param))).await?;
        let (state, detail) = match &delivered {
            Delivered::Accepted => (LogState::Forwarded, None),
            Delivered::Refused(refusal) => (LogState::Refused, Some(refusal.to_string())),
            Delivered::Retry(why) => (LogState::Pending, Some(why.clone())),
        };
        self.set_state(log.id, state, detail).await?;
        match state {
            LogState::Forwarded => {
                info!(sn = %log.sn, person = %log.person_id, kind, "MR860 log forwarded");
            }
            LogState::Refused => warn!(sn = %log.sn, id = log.id, ?delivered, "MR860 log refused"),
            _ => {}
        }
        Ok(state != LogState::Pending)
    }
}
