//! Every argon2 hash and check of a manager password goes through one gate: at most as many
//! at once as the machine has cores (each holds 19 MiB and a blocking thread for tens of ms),
//! so a burst of logins can neither take gigabytes nor starve the blocking pool the photo
//! check needs. A request that finds no free place within [`BUSY_WAIT`] is answered 503
//! `busy` with `Retry-After` instead of queueing without end.

use std::num::NonZeroUsize;
use std::sync::LazyLock;
use std::time::Duration;

use axum::http::StatusCode;
use tokio::sync::Semaphore;

use super::error::ApiError;
use crate::passwords;

/// Longest a password waits for a free place before the answer is `busy`.
const BUSY_WAIT: Duration = Duration::from_secs(2);
/// Seconds a `busy` client is told to wait (`Retry-After`).
const RETRY_AFTER_SECS: u64 = 2;

/// The places: one per core (at least one).
static PLACES: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    Semaphore::new(cores)
});

/// 503 `busy`: too many passwords are being checked at once; try again in a moment.
fn busy() -> ApiError {
    let mut error = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "服务器正忙，请稍等几秒再试。",
    );
    error.retry_after_secs = Some(RETRY_AFTER_SECS);
    error
}

/// `work` on a blocking thread once a place is free (`busy` if none is within
/// [`BUSY_WAIT`]); `None` if it panicked.
async fn gated<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<Option<T>, ApiError> {
    let place = (tokio::time::timeout(BUSY_WAIT, PLACES.acquire()).await)
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    let done = tokio::task::spawn_blocking(move || {
        let _place = place;
        work()
    })
    .await;
    Ok(done.ok())
}

/// The argon2id hash of `password` (see [`passwords::hash`]); `busy` when the gate is full.
pub(crate) async fn hash(password: String) -> Result<String, ApiError> {
    gated(move || passwords::hash(&password))
        .await?
        .ok_or_else(|| ApiError::bad_request("密码无法处理"))
}

/// Whether `password` matches `phc` (see [`passwords::verify`]: as slow with no `phc`);
/// `busy` when the gate is full.
pub(crate) async fn verify(password: String, phc: Option<String>) -> Result<bool, ApiError> {
    let matches = gated(move || passwords::verify(&password, phc.as_deref())).await?;
    Ok(matches.unwrap_or(false))
}
