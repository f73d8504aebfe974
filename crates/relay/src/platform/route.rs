//! Where a record goes to reach the platform: this relay's own session for the sn when it
//! holds the sn's lease, else the session of the relay that does (asked over
//! [`peer`](super::peer)). Every sender of records (the gateway, the MR860 forwarder, the
//! out-of-fence request forwarder) goes through here, so none needs to know which relay holds
//! what.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use zj_host::system_clock::now_ms;
use zj_protocol::Apicode;

use super::link::{ForwardError, PlatformLink};
use super::peer::PeerClient;
use crate::store::leases::{self, LeaseHolder};
use crate::store::Store;

/// How long a holder read from the store is trusted before it is read again.
const HOLDER_TTL: Duration = Duration::from_secs(1);

/// One configured sn: its link (connected only while this relay holds the lease) and whether
/// this relay holds the lease now.
pub(crate) struct SnRoute {
    /// The sn's link.
    pub link: PlatformLink,
    /// Whether this relay holds the sn's lease.
    pub held: watch::Receiver<bool>,
}

/// The routes to the platform, by sn; cheap to clone.
#[derive(Clone)]
pub struct Platform(Arc<Inner>);

struct Inner {
    routes: HashMap<String, SnRoute>,
    links: HashMap<String, PlatformLink>,
    store: Store,
    peers: PeerClient,
    relay_id: String,
    /// Longest this relay, as a holder, works on a peer's record before answering that its
    /// outcome is unknown: less than the peer waits for the answer.
    patience: Duration,
    /// The holders last read from the store, by sn, with when they were read.
    holders: Mutex<HashMap<String, (LeaseHolder, Instant)>>,
}

impl Platform {
    /// Routes over `routes` (by sn), reading other sns' holders from `store`, reaching them
    /// with `peers`; `relay_id` is this relay's; `patience` bounds a peer's record here (see
    /// [`forward_for_peer`](Self::forward_for_peer)).
    pub(crate) fn new(
        routes: HashMap<String, SnRoute>,
        store: Store,
        peers: PeerClient,
        (relay_id, patience): (String, Duration),
    ) -> Self {
        let links = (routes.iter())
            .map(|(sn, route)| (sn.clone(), route.link.clone()))
            .collect();
        Platform(Arc::new(Inner {
            routes,
            links,
            store,
            peers,
            relay_id,
            patience,
            holders: Mutex::new(HashMap::new()),
        }))
    }

    /// The links, by sn (each connected only while this relay holds the sn's lease).
    pub fn links(&self) -> &HashMap<String, PlatformLink> {
        &self.0.links
    }

    /// Whether this relay holds `sn`'s lease now.
    pub fn holds(&self, sn: &str) -> bool {
        (self.0.routes.get(sn)).is_some_and(|route| *route.held.borrow())
    }

    /// The sns whose leases this relay holds now, sorted.
    pub fn held_sns(&self) -> Vec<String> {
        let mut held: Vec<String> = (self.0.routes.keys())
            .filter(|sn| self.holds(sn))
            .cloned()
            .collect();
        held.sort();
        held
    }

    /// Whether a peer request sent at `time_ms` with `body` carries a right signature.
    pub fn verifies_peer(&self, time_ms: i64, signature: &str, body: &[u8], now_ms: i64) -> bool {
        self.0.peers.verifies(time_ms, signature, body, now_ms)
    }

    /// This relay's id in the cluster.
    pub fn relay_id(&self) -> &str {
        &self.0.relay_id
    }

    /// Sends `param` as `apicode` for `sn` to the platform, on this relay's session or the
    /// lease holder's, and returns the platform's answer.
    pub async fn forward(
        &self,
        sn: &str,
        apicode: Apicode,
        param: String,
    ) -> Result<String, ForwardError> {
        if !self.0.routes.contains_key(sn) {
            return Err(ForwardError::Unreachable);
        }
        if self.holds(sn) {
            return self.forward_here(sn, apicode, param).await;
        }
        let Some(holder) = self.holder(sn).await else {
            return Err(ForwardError::Unreachable);
        };
        let answer = (self.0.peers)
            .forward(&holder.url, sn, apicode, param, now_ms())
            .await;
        if matches!(
            answer,
            Err(ForwardError::Unreachable | ForwardError::LinkLost)
        ) {
            self.forget_holder(sn);
        }
        answer
    }

    /// Sends on this relay's own session for `sn`; [`ForwardError::Unreachable`] (nothing
    /// sent) when this relay does not hold `sn`'s lease: how the peer endpoint answers.
    pub async fn forward_here(
        &self,
        sn: &str,
        apicode: Apicode,
        param: String,
    ) -> Result<String, ForwardError> {
        match self.0.routes.get(sn) {
            Some(route) if *route.held.borrow() => route.link.forward(apicode, param).await,
            _ => Err(ForwardError::Unreachable),
        }
    }

    /// A peer's record, sent on this relay's own session (see
    /// [`forward_here`](Self::forward_here)) within the patience: past it the answer is
    /// [`ForwardError::LinkLost`] (it may have gone out; one still queued here is not sent).
    pub async fn forward_for_peer(
        &self,
        sn: &str,
        apicode: Apicode,
        param: String,
    ) -> Result<String, ForwardError> {
        let sending = self.forward_here(sn, apicode, param);
        (tokio::time::timeout(self.0.patience, sending).await)
            .unwrap_or(Err(ForwardError::LinkLost))
    }

    /// Who holds `sn`'s lease, another relay (`None`: nobody, this relay, or the store did
    /// not answer), read from the store at most once per [`HOLDER_TTL`].
    async fn holder(&self, sn: &str) -> Option<LeaseHolder> {
        let cached = (self.0.holders.lock().unwrap_or_else(|p| p.into_inner()))
            .get(sn)
            .filter(|(_, read)| read.elapsed() < HOLDER_TTL)
            .map(|(holder, _)| holder.clone());
        let holder = match cached {
            Some(holder) => holder,
            None => {
                let sn_owned = sn.to_owned();
                let read = (self.0.store)
                    .run_deferred(move |tx| leases::holder_of(tx, &sn_owned))
                    .await;
                let holder = read.ok()??;
                (self.0.holders.lock().unwrap_or_else(|p| p.into_inner()))
                    .insert(sn.to_owned(), (holder.clone(), Instant::now()));
                holder
            }
        };
        (holder.relay_id != self.0.relay_id).then_some(holder)
    }

    fn forget_holder(&self, sn: &str) {
        (self.0.holders.lock().unwrap_or_else(|p| p.into_inner())).remove(sn);
    }
}
