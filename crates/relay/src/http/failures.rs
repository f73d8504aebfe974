//! Failed logins, manager tokens and enrollment codes, counted per client address (an IPv6
//! client by its /64, which one subscriber usually holds whole) and per account name: past the
//! limit within the window, every attempt from that address or at that account is refused
//! with 429 and `Retry-After` until the window ends, even one with the right secret, so
//! guessing is no faster than the limit. Each failure is logged (address, account, what;
//! never the secret).
//!
//! The counts are kept in the store (`attempt_failures`), so that the relays of a cluster on
//! one PostgreSQL count together: guessing through two relays is no faster than through one.
//! A count is raised and read back in one statement, which on PostgreSQL waits for any other
//! relay raising the same count, so attempts sent at once to several relays are limited as if
//! sent one after another. Ended windows are deleted now and then (once a window).

use std::net::IpAddr;

use tracing::warn;

use crate::args;
use crate::config::ManagerConfig;
use crate::every::Every;
use crate::http::client::canonical;
use crate::http::error::ApiError;
use crate::store::{Store, StoreError, Tx};
use zj_host::system_clock::now_ms;

/// What kind of secret failed, for the log.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Attempt {
    /// A manager's password at `POST /v1/manager/login` (or as the current password).
    Password,
    /// A manager API bearer token.
    ManagerToken,
    /// An enrollment code at `POST /v1/enroll`.
    EnrollCode,
}

/// The failures of one key within its window, as the store keeps them.
#[derive(Debug, Clone, Copy)]
struct Window {
    /// When the first failure of the window happened, epoch ms.
    started_ms: i64,
    /// Failures since.
    failures: i64,
}

impl Window {
    /// How long (ms) a key with this window stays locked at `now_ms`, if it is, with at most
    /// `max` failures allowed in a window of `window_ms`.
    fn locked_for(&self, max: i64, now_ms: i64, window_ms: i64) -> Option<i64> {
        let ends_ms = self.started_ms + window_ms;
        (self.failures >= max && now_ms < ends_ms).then(|| ends_ms - now_ms)
    }
}

/// A key failures are counted under and the most failures it may have in a window.
type Limited = (String, i64);

/// The relay's failure counters, in the store.
pub(crate) struct Failures {
    /// A window's length, ms.
    window_ms: i64,
    /// Most failures of one address in a window before it is locked.
    max_per_address: i64,
    /// Most failures at one account in a window before it is locked.
    max_per_account: i64,
    /// When ended windows are next deleted.
    forget: Every,
}

impl Failures {
    /// Counters with the limits and window of `[manager]`.
    pub(crate) fn new(config: &ManagerConfig) -> Self {
        let window_ms = i64::from(config.failure_window_minutes) * 60_000;
        Self {
            window_ms,
            max_per_address: config.max_failures_per_address.into(),
            max_per_account: config.max_failures_per_account.into(),
            forget: Every::new(window_ms),
        }
    }

    /// The keys of `ip` and of `account` (when given), each with its limit.
    fn keys(&self, ip: IpAddr, account: Option<&str>) -> Vec<Limited> {
        let address = (address_key(ip), self.max_per_address);
        let account = account.map(|name| (account_key(name), self.max_per_account));
        std::iter::once(address).chain(account).collect()
    }

    /// Before a secret is judged (a password, a manager token, an enrollment code): `Ok` and
    /// one failure of `ip` (and `account`) counted in advance unless either is locked (then 429
    /// `too_many_failures` with the seconds left), in one step, so attempts sent all at once,
    /// at any relay, are limited as if sent one after another. The attempt then
    /// ends in [`Failures::reserved_failed`], [`Failures::reserved_withdrawn`] or
    /// [`Failures::reserved_succeeded`].
    pub(crate) async fn reserve(
        &self,
        store: &Store,
        ip: IpAddr,
        account: Option<&str>,
    ) -> Result<(), ApiError> {
        let keys = self.keys(ip, account);
        let window_ms = self.window_ms;
        let left_ms = store
            .run_deferred(move |tx| {
                let now = now_ms();
                let mut left_ms = None;
                for (key, max) in &keys {
                    // Raised first, then judged: locked already when it was over the limit
                    // before this failure.
                    let counted = raise(tx, key, now, window_ms)?;
                    left_ms = left_ms.max(counted.locked_for(max + 1, now, window_ms));
                }
                if left_ms.is_some() {
                    for (key, _) in &keys {
                        lower(tx, key)?;
                    }
                }
                Ok(left_ms)
            })
            .await?;
        refuse_for(left_ms)
    }

    /// A reserved `attempt` was wrong: it stays counted, and is logged.
    pub(crate) fn reserved_failed(
        &self,
        store: &Store,
        attempt: Attempt,
        ip: IpAddr,
        account: Option<&str>,
    ) {
        log_failure(attempt, ip, account);
        self.forget_ended(store);
    }

    /// A reserved attempt is not to count as a failure (it was right but must not clear the
    /// account's failures, or the relay was busy and never judged it).
    pub(crate) async fn reserved_withdrawn(
        &self,
        store: &Store,
        ip: IpAddr,
        account: Option<&str>,
    ) {
        let keys = self.keys(ip, account);
        let lower_all = move |tx: &Tx<'_>| keys.iter().try_for_each(|(key, _)| lower(tx, key));
        logged(
            store,
            "a reserved failure could not be taken back",
            lower_all,
        )
        .await;
    }

    /// A reserved attempt was right: it is not counted, and the failures of `account` are
    /// forgotten.
    pub(crate) async fn reserved_succeeded(&self, store: &Store, ip: IpAddr, account: &str) {
        let (address, account) = (address_key(ip), account_key(account));
        let reset = move |tx: &Tx<'_>| {
            lower(tx, &address)?;
            let forget = "DELETE FROM attempt_failures WHERE key = ?1";
            tx.execute(forget, args![account]).map(drop)
        };
        logged(store, "an account's failures could not be forgotten", reset).await;
    }

    /// Deletes the windows that have ended, when due (once a window), in the background.
    fn forget_ended(&self, store: &Store) {
        let now = now_ms();
        if !self.forget.due(now) {
            return;
        }
        let before_ms = now - self.window_ms;
        let store = store.clone();
        let forget = move |tx: &Tx<'_>| {
            let forget = "DELETE FROM attempt_failures WHERE started_ms <= ?1";
            tx.execute(forget, args![before_ms]).map(drop)
        };
        tokio::spawn(async move {
            logged(&store, "ended failure windows could not be deleted", forget).await;
        });
    }
}

/// Runs `work` in the store; when it fails, `failed` is logged with the error (the attempt
/// it was counting goes on: a store that fails refuses the secret's own check too).
async fn logged(
    store: &Store,
    failed: &'static str,
    work: impl FnOnce(&Tx<'_>) -> Result<(), StoreError> + Send + 'static,
) {
    if let Err(error) = store.run_deferred(work).await {
        warn!(%error, "{failed}");
    }
}

/// The key failures of address `ip` are counted under (see [`client_key`]).
fn address_key(ip: IpAddr) -> String {
    format!("address:{}", client_key(ip))
}

/// The key failures at account `name` are counted under.
fn account_key(name: &str) -> String {
    format!("account:{name}")
}

/// 429 `too_many_failures` when locked for `left_ms` more milliseconds.
fn refuse_for(left_ms: Option<i64>) -> Result<(), ApiError> {
    match left_ms {
        Some(left_ms) => Err(ApiError::too_many_failures(left_ms as u64 / 1000 + 1)),
        None => Ok(()),
    }
}

/// Counts one failure of `key` at `now_ms` (a new window when its last one has ended); its
/// window with this failure.
fn raise(tx: &Tx<'_>, key: &str, now_ms: i64, window_ms: i64) -> Result<Window, StoreError> {
    let ended = "attempt_failures.started_ms + ?3 <= ?2";
    let sql = format!(
        "INSERT INTO attempt_failures (key, started_ms, failures) VALUES (?1, ?2, 1)
         ON CONFLICT (key) DO UPDATE SET
             started_ms = CASE WHEN {ended} THEN ?2 ELSE attempt_failures.started_ms END,
             failures = CASE WHEN {ended} THEN 1 ELSE attempt_failures.failures + 1 END
         RETURNING started_ms, failures"
    );
    tx.prepare(&sql)
        .query_row(args![key, now_ms, window_ms], |row| {
            Ok(Window {
                started_ms: row.get(0)?,
                failures: row.get(1)?,
            })
        })
}

/// Takes back one failure of `key` counted in advance.
fn lower(tx: &Tx<'_>, key: &str) -> Result<(), StoreError> {
    tx.prepare(
        "UPDATE attempt_failures SET failures = failures - 1 WHERE key = ?1 AND failures > 0",
    )
    .execute(args![key])?;
    Ok(())
}

/// Logs a failed `attempt` from `ip` (at `account`, when one was named); never the secret.
fn log_failure(attempt: Attempt, ip: IpAddr, account: Option<&str>) {
    warn!(client = %ip, account = account.unwrap_or("-"), ?attempt, "failed manager or enrollment attempt");
}

/// The key an address is counted under: an IPv4 address (also one written as IPv6,
/// `::ffff:a.b.c.d`) as itself, an IPv6 address by its /64.
fn client_key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(
                segments[0],
                segments[1],
                segments[2],
                segments[3],
                0,
                0,
                0,
                0,
            ))
        }
        v4 => v4,
    }
}
