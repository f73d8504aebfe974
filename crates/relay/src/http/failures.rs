//! Failed logins, manager tokens and enrollment codes, counted per client address (an IPv6
//! client by its /64, which one subscriber usually holds whole) and per account name: past the
//! limit within the window, every attempt from that address or at that account is refused
//! with 429 and `Retry-After` until the window ends, even one with the right secret, so
//! guessing is no faster than the limit. Each failure is logged (address, account, what;
//! never the secret). The maps are bounded: past [`MAX_TRACKED`] keys, ended windows are
//! dropped first, then the oldest.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tracing::warn;

use crate::config::ManagerConfig;
use crate::http::client::canonical;
use crate::http::error::ApiError;

/// Most addresses (and, apart, account names) whose failures are remembered at once.
const MAX_TRACKED: usize = 10_000;

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

/// The failures of one address or account within its window.
#[derive(Debug, Clone, Copy)]
struct Window {
    /// When the first failure of the window happened.
    started: Instant,
    /// Failures since.
    failures: u32,
}

/// Failures per key, at most [`MAX_TRACKED`] keys.
struct Counters<K> {
    windows: HashMap<K, Window>,
    max_failures: u32,
}

impl<K: Hash + Eq + Clone> Counters<K> {
    fn new(max_failures: u32) -> Self {
        Self {
            windows: HashMap::new(),
            max_failures,
        }
    }

    /// How long `key` stays locked, if it is.
    fn locked_for(&self, key: &K, now: Instant, window: Duration) -> Option<Duration> {
        let counted = self.windows.get(key)?;
        let ends = counted.started + window;
        (counted.failures >= self.max_failures && now < ends).then(|| ends - now)
    }

    /// Takes back one failure of `key` counted in advance (the attempt was right, or was
    /// never judged).
    fn unfail(&mut self, key: &K) {
        if let Some(counted) = self.windows.get_mut(key) {
            counted.failures = counted.failures.saturating_sub(1);
        }
    }

    /// Counts one failure of `key`.
    fn fail(&mut self, key: &K, now: Instant, window: Duration) {
        if !self.windows.contains_key(key) && self.windows.len() >= MAX_TRACKED {
            self.make_room(now, window);
        }
        let counted = self.windows.entry(key.clone()).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now >= counted.started + window {
            *counted = Window {
                started: now,
                failures: 0,
            };
        }
        counted.failures = counted.failures.saturating_add(1);
    }

    /// Drops the ended windows; if none has ended, the oldest.
    fn make_room(&mut self, now: Instant, window: Duration) {
        self.windows
            .retain(|_, counted| now < counted.started + window);
        if self.windows.len() >= MAX_TRACKED {
            let oldest = (self.windows.iter())
                .min_by_key(|(_, counted)| counted.started)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                self.windows.remove(&oldest);
            }
        }
    }
}

/// The relay's failure counters.
pub(crate) struct Failures {
    window: Duration,
    addresses: Mutex<Counters<IpAddr>>,
    accounts: Mutex<Counters<String>>,
}

impl Failures {
    /// Counters with the limits and window of `[manager]`.
    pub(crate) fn new(config: &ManagerConfig) -> Self {
        Self {
            window: Duration::from_secs(u64::from(config.failure_window_minutes) * 60),
            addresses: Mutex::new(Counters::new(config.max_failures_per_address)),
            accounts: Mutex::new(Counters::new(config.max_failures_per_account)),
        }
    }

    /// `Ok` unless `ip`, or `account` when given, is locked: then 429 `too_many_failures`
    /// with the seconds left.
    pub(crate) fn check(&self, ip: IpAddr, account: Option<&str>) -> Result<(), ApiError> {
        let now = Instant::now();
        let by_address = lock(&self.addresses).locked_for(&client_key(ip), now, self.window);
        let by_account = account
            .and_then(|name| lock(&self.accounts).locked_for(&name.to_owned(), now, self.window));
        match by_address.max(by_account) {
            Some(left) => Err(ApiError::too_many_failures(left.as_secs() + 1)),
            None => Ok(()),
        }
    }

    /// Counts and logs a failed `attempt` from `ip` (at `account`, when one was named).
    pub(crate) fn failed(&self, attempt: Attempt, ip: IpAddr, account: Option<&str>) {
        log_failure(attempt, ip, account);
        let now = Instant::now();
        lock(&self.addresses).fail(&client_key(ip), now, self.window);
        if let Some(name) = account {
            lock(&self.accounts).fail(&name.to_owned(), now, self.window);
        }
    }

    /// Before a slow check (a password): `Ok` and one failure of `ip` (and `account`) counted
    /// in advance unless either is locked (then as [`Failures::check`]), in one step, so
    /// attempts sent all at once are limited as if sent one after another. The attempt then
    /// ends in [`Failures::reserved_failed`], [`Failures::reserved_withdrawn`] or
    /// [`Failures::reserved_succeeded`].
    pub(crate) fn reserve(&self, ip: IpAddr, account: Option<&str>) -> Result<(), ApiError> {
        let now = Instant::now();
        let key = client_key(ip);
        let mut addresses = lock(&self.addresses);
        let mut accounts = lock(&self.accounts);
        let account = account.map(str::to_owned);
        let by_address = addresses.locked_for(&key, now, self.window);
        let by_account =
            (account.as_ref()).and_then(|name| accounts.locked_for(name, now, self.window));
        if let Some(left) = by_address.max(by_account) {
            return Err(ApiError::too_many_failures(left.as_secs() + 1));
        }
        addresses.fail(&key, now, self.window);
        if let Some(name) = &account {
            accounts.fail(name, now, self.window);
        }
        Ok(())
    }

    /// A reserved `attempt` was wrong: it stays counted, and is logged.
    pub(crate) fn reserved_failed(&self, attempt: Attempt, ip: IpAddr, account: Option<&str>) {
        log_failure(attempt, ip, account);
    }

    /// A reserved attempt is not to count as a failure (it was right but must not clear the
    /// account's failures, or the relay was busy and never judged it).
    pub(crate) fn reserved_withdrawn(&self, ip: IpAddr, account: Option<&str>) {
        lock(&self.addresses).unfail(&client_key(ip));
        if let Some(name) = account {
            lock(&self.accounts).unfail(&name.to_owned());
        }
    }

    /// A reserved attempt was right: it is not counted, and the failures of `account` are
    /// forgotten.
    pub(crate) fn reserved_succeeded(&self, ip: IpAddr, account: &str) {
        lock(&self.addresses).unfail(&client_key(ip));
        lock(&self.accounts).windows.remove(account);
    }
}

/// Logs a failed `attempt` from `ip` (at `account`, when one was named); never the secret.
fn log_failure(attempt: Attempt, ip: IpAddr, account: Option<&str>) {
    warn!(client = %ip, account = account.unwrap_or("-"), ?attempt, "failed manager or enrollment attempt");
}

/// The mutex's counters (a panic elsewhere leaves them usable).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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
