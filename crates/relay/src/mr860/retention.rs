//! How much of the MR860 logs the relay keeps: bounded per terminal and in all (counts and
//! bytes, `[limits.mr860]`), past which a new log is refused so the terminal keeps it; finished
//! logs lose their photos at once and are deleted after `keep_days` by a sweep at start and
//! every hour.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::config::Mr860LogLimits;
use crate::store::Tx;
use crate::store::{mr860_logs, Store, StoreError};
use zj_host::system_clock::now_ms;

/// Time between sweeps.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// Milliseconds in a day.
const DAY_MS: i64 = 24 * 3600 * 1000;

/// A bound a new log would pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    /// The terminal's logs (`logs_per_terminal`, `bytes_per_terminal`).
    Terminal,
    /// All terminals' logs (`logs_total`, `bytes_total`).
    Total,
}

impl Bound {
    /// What the terminal is told (its installer or the manager reads it).
    pub(crate) fn message(self) -> &'static str {
        match self {
            Bound::Terminal => {
                "中继为本终端保存的记录已达上限，本条记录未保存，请保留在终端上稍后重传；\
                 请管理员在管理页面处理积压的记录（例如未下发到设备的人员）"
            }
            Bound::Total => {
                "中继保存的终端记录总数已达上限，本条记录未保存，请保留在终端上稍后重传；\
                 请管理员处理积压的记录或调高上限"
            }
        }
    }
}

/// The bound a new log of `size` bytes from `device_id` would pass, if any.
pub(crate) fn reached(
    tx: &Tx<'_>,
    limits: &Mr860LogLimits,
    device_id: &str,
    size: u64,
) -> Result<Option<Bound>, StoreError> {
    let (logs, bytes) = mr860_logs::usage(tx, Some(device_id))?;
    if logs + 1 > limits.logs_per_terminal || bytes + size > limits.bytes_per_terminal {
        return Ok(Some(Bound::Terminal));
    }
    let (logs, bytes) = mr860_logs::usage(tx, None)?;
    if logs + 1 > limits.logs_total || bytes + size > limits.bytes_total {
        return Ok(Some(Bound::Total));
    }
    Ok(None)
}

/// Deletes the finished logs last changed more than `keep_days` ago, and the logs that have
/// waited that long for their card to reach the roster (each such log is named in a warning:
/// it is never forwarded); returns how many went.
pub(crate) async fn sweep(store: &Store, keep_days: u32) -> Result<usize, StoreError> {
    let before_ms = now_ms() - i64::from(keep_days) * DAY_MS;
    let (finished, waiting) = store
        .run(move |tx| mr860_logs::delete_expired(tx, before_ms))
        .await?;
    if waiting > 0 {
        warn!(
            waiting,
            keep_days, "MR860 logs whose card never reached the roster expired unforwarded"
        );
    }
    Ok(finished + waiting)
}

/// Sweeps every [`SWEEP_EVERY`] until `stop` turns true (the relay sweeps once at start
/// itself, before it serves).
pub(crate) fn spawn_sweeper(
    store: Store,
    keep_days: u32,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(SWEEP_EVERY) => {}
            }
            match sweep(&store, keep_days).await {
                Ok(0) => {}
                Ok(deleted) => info!(deleted, keep_days, "expired MR860 logs deleted"),
                Err(error) => warn!(%error, "MR860 logs: the expiry sweep failed"),
            }
        }
    })
}
