//! The relay's metrics, served at `GET /metrics` in the Prometheus text format.

use std::sync::atomic::AtomicI64;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::phone::photo_check::PhotoCheck;
use crate::platform::link::LinkState;
use crate::platform::route::Platform;
use zj_protocol::{Apicode, Reply};

/// Labels of a phone frame count.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FrameLabels {
    /// The frame's apicode, or `other` for anything unknown.
    apicode: String,
    /// `ok`, or the error code answered.
    result: String,
}

/// Labels of a photo check count.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PhotoLabels {
    /// `passed`, `refused` or `flagged`.
    verdict: String,
}

/// Labels of a platform link's state.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LinkLabels {
    sn: String,
}

/// Counters, gauges and histograms of a running relay.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    frames: Family<FrameLabels, Counter>,
    phones_connected: Gauge<i64, AtomicI64>,
    link_ready: Family<LinkLabels, Gauge<i64, AtomicI64>>,
    forward_seconds: Histogram,
    photo_checks: Family<PhotoLabels, Counter>,
    photo_check_seconds: Histogram,
    possible_duplicates: Counter,
    lease_held: Family<LinkLabels, Gauge<i64, AtomicI64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("relay");
        let frames = Family::<FrameLabels, Counter>::default();
        registry.register(
            "phone_frames",
            "Phone frames answered, by apicode and result",
            frames.clone(),
        );
        let phones_connected = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "phones_connected",
            "Phones with an open WebSocket link",
            phones_connected.clone(),
        );
        let link_ready = Family::<LinkLabels, Gauge<i64, AtomicI64>>::default();
        registry.register(
            "platform_link_ready",
            "1 when the platform session for the sn is authenticated, else 0",
            link_ready.clone(),
        );
        // 0.5 ms to about 16 s.
        let forward_seconds = Histogram::new(
            prometheus_client::metrics::histogram::exponential_buckets(0.0005, 2.0, 16),
        );
        registry.register(
            "forward_seconds",
            "Time from forwarding a sign-in (a phone's or an MR860 terminal's) to the platform's answer, in seconds",
            forward_seconds.clone(),
        );
        let photo_checks = Family::<PhotoLabels, Counter>::default();
        registry.register(
            "photo_checks",
            "Sign-in photos checked for a face, by verdict (passed, refused, flagged)",
            photo_checks.clone(),
        );
        // 0.5 ms to about 1 s.
        let photo_check_seconds = Histogram::new(
            prometheus_client::metrics::histogram::exponential_buckets(0.0005, 2.0, 12),
        );
        registry.register(
            "photo_check_seconds",
            "Time to decode a sign-in photo and detect its faces, in seconds",
            photo_check_seconds.clone(),
        );
        let possible_duplicates = Counter::default();
        registry.register(
            "possible_duplicates",
            "Records sent to the platform again after an attempt whose answer was lost (the platform may hold them twice)",
            possible_duplicates.clone(),
        );
        let lease_held = Family::<LinkLabels, Gauge<i64, AtomicI64>>::default();
        registry.register(
            "sn_lease_held",
            "1 when this relay holds the sn's lease (and runs its platform session), else 0",
            lease_held.clone(),
        );
        Self {
            registry: Arc::new(registry),
            possible_duplicates,
            lease_held,
            frames,
            phones_connected,
            link_ready,
            forward_seconds,
            photo_checks,
            photo_check_seconds,
        }
    }
}

impl Metrics {
    /// Counts one answered phone frame.
    pub fn count_frame(&self, reply: &Reply) {
        let apicode = (reply.apicode.parse::<Apicode>())
            .map_or("other", Apicode::as_str)
            .to_owned();
        let result = match &reply.result {
            Ok(_) => "ok".to_owned(),
            Err(error) => error.errorcode.clone(),
        };
        self.frames
            .get_or_create(&FrameLabels { apicode, result })
            .inc();
    }

    /// Records how long the platform took to answer a forwarded sign-in (phone or MR860).
    pub fn observe_forward(&self, elapsed: Duration) {
        self.forward_seconds.observe(elapsed.as_secs_f64());
    }

    /// Counts one photo check and its time.
    pub(crate) fn observe_photo_check(&self, check: &PhotoCheck) {
        let verdict = check.verdict().to_owned();
        self.photo_checks
            .get_or_create(&PhotoLabels { verdict })
            .inc();
        self.photo_check_seconds.observe(check.seconds());
    }

    /// Counts a record sent again whose earlier attempt may have reached the platform (its
    /// answer lost, or its relay gone mid-attempt).
    pub(crate) fn count_possible_duplicate(&self) {
        self.possible_duplicates.inc();
    }

    /// A phone's WebSocket link opened (`+1`) or closed (`-1`).
    pub fn phone_link(&self, delta: i64) {
        self.phones_connected.inc_by(delta);
    }

    /// How many phones have a WebSocket link open.
    pub fn phones_connected(&self) -> i64 {
        self.phones_connected.get()
    }

    /// The metrics in Prometheus text format, with the links' current states and the sns
    /// whose leases this relay holds.
    pub fn render(&self, platform: &Platform) -> String {
        for (sn, link) in platform.links() {
            let labels = LinkLabels { sn: sn.clone() };
            let ready = i64::from(link.state() == LinkState::Ready);
            self.link_ready.get_or_create(&labels).set(ready);
            let held = i64::from(platform.holds(sn));
            self.lease_held.get_or_create(&labels).set(held);
        }
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}
