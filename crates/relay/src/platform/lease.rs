//! Keeping an sn's lease: the one relay of a cluster that holds it runs the sn's platform
//! session (see [`link`](super::link)). Every relay tries to take or renew each sn's lease a
//! third of a lease apart; the holder believes it holds the lease only until a margin before
//! the end of the lease its last successful renewal started, by its own monotonic clock, so it
//! closes its session before any other relay can take the lease, even when the database is
//! what failed.
//!
//! With SQLite the relay is alone, and takes every lease at its first attempt.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{info, warn};

use crate::store::leases::{self, LeaseHolder};
use crate::store::Store;

/// One sn's lease, as one relay keeps it.
pub(crate) struct LeaseKeeper {
    /// The store the lease is kept in.
    pub store: Store,
    /// The platform sn.
    pub sn: String,
    /// This relay, as the lease names it.
    pub holder: LeaseHolder,
    /// How long a lease lasts without renewal.
    pub lease: Duration,
}

impl LeaseKeeper {
    /// How often the lease is taken or renewed: a third of a lease, so two renewals may fail
    /// before the holder gives it up.
    fn interval(&self) -> Duration {
        self.lease / 3
    }

    /// How long before the lease's end its holder stops believing it holds it: a fifth of a
    /// lease, at most a second (time to close the session before another relay may start one).
    fn margin(&self) -> Duration {
        (self.lease / 5).min(Duration::from_secs(1))
    }

    /// Runs until `stop` turns true, telling `held` whether this relay holds the lease now. At
    /// the end `held` turns false (the session closes); the task's result says whether the
    /// lease was held then, for [`release`].
    pub(crate) fn spawn(
        self,
        held: watch::Sender<bool>,
        mut stop: watch::Receiver<bool>,
    ) -> JoinHandle<bool> {
        tokio::spawn(async move {
            let mut valid_until: Option<Instant> = None;
            let mut next_attempt = Instant::now();
            loop {
                // The belief ends on time, whatever an attempt in progress would say later.
                let believes = valid_until.is_some_and(|until| Instant::now() < until);
                set(&held, believes, &self.sn);
                if Instant::now() >= next_attempt {
                    let asked = Instant::now();
                    next_attempt = asked + self.interval();
                    let renewing = self.take_or_renew(asked, valid_until);
                    // An attempt outlives neither the interval nor the belief.
                    let give_up = valid_until.map_or(next_attempt, |until| until.min(next_attempt));
                    valid_until = match tokio::time::timeout_at(give_up, renewing).await {
                        Ok(renewed) => renewed,
                        Err(_) => {
                            warn!(sn = %self.sn, "lease not renewed: the store did not answer in time");
                            valid_until
                        }
                    };
                    let believes = valid_until.is_some_and(|until| Instant::now() < until);
                    set(&held, believes, &self.sn);
                }
                let wake = valid_until
                    .filter(|until| *until < next_attempt)
                    .unwrap_or(next_attempt);
                tokio::select! {
                    _ = stop.changed() => break,
                    () = tokio::time::sleep_until(wake) => {}
                }
            }
            held.send_replace(false)
        })
    }

    /// One attempt to take or renew the lease, started at `asked`; until when this relay may
    /// believe it holds it (`None`: it does not). A store that fails leaves the earlier belief,
    /// which runs out by itself.
    async fn take_or_renew(&self, asked: Instant, valid_until: Option<Instant>) -> Option<Instant> {
        let (sn, holder) = (self.sn.clone(), self.holder.clone());
        let lease_ms = i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX);
        let attempt = self
            .store
            .run(move |tx| leases::take_or_renew(tx, &sn, &holder, lease_ms));
        match attempt.await {
            Ok(true) => Some(asked + self.lease - self.margin()),
            Ok(false) => None,
            Err(error) => {
                warn!(sn = %self.sn, %error, "lease not renewed: the store failed");
                valid_until
            }
        }
    }
}

/// Tells `held`'s receivers whether the lease is held, logging each change.
fn set(held: &watch::Sender<bool>, holds: bool, sn: &str) {
    if held.send_replace(holds) != holds {
        match holds {
            true => info!(sn, "sn lease taken: this relay runs its platform session"),
            false => warn!(sn, "sn lease lost or given up: the platform session closes"),
        }
    }
}

/// Gives up this relay's lease of `sn` once its session is closed (a relay shutting down), so
/// another relay takes the sn at once instead of when the lease runs out.
pub(crate) async fn release(store: &Store, sn: &str, relay_id: &str) {
    let (sn_owned, relay_id) = (sn.to_owned(), relay_id.to_owned());
    let released = store
        .run(move |tx| leases::release(tx, &sn_owned, &relay_id))
        .await;
    if let Err(error) = released {
        warn!(sn, %error, "lease not released; it runs out by itself");
    }
}
