//! The flags of a punch (stable names, Chinese labels for exports) and what a record's audit
//! extras say, read once when the record is admitted ([`PunchFacts`]) so that a sheet never
//! parses extras again (they carry the liveness frames, about 10–20 KB a record).

use serde::Serialize;
use serde_json::{Map, Value};

/// Something a manager should look at in a punch. The names are stable (the page and scripts
/// read them); the order is the order they are listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Flag {
    /// The relay's fence verdict was `uncertain` (accepted under the site's `flag` policy).
    FenceUncertain,
    /// The phone's fence claim differs from the relay's verdict.
    FenceMismatch,
    /// An out-of-fence request that was approved (by a manager or automatically).
    OutsideApproved,
    /// An out-of-fence request waiting for a manager.
    RequestPending,
    /// The photo was not taken by the live camera (file picker, WeChat `chooseImage`).
    LowTrustCapture,
    /// The liveness checks reached no conclusion, the evidence is missing, or it did not fit
    /// its schema.
    LivenessInconclusive,
    /// A liveness check was measured and failed.
    LivenessFailed,
    /// The phone saw warning signs in its location (stale fix, mock location, …).
    LocationWarnings,
    /// The liveness nonce named was not one the relay issued, or had expired.
    NonceUnverified,
    /// Received more than [`LATE_AFTER_MS`] after it was made (kept offline).
    DeliveredLate,
    /// Not (yet) accepted by the platform: still being sent, or approved and waiting.
    NotAtPlatform,
}

/// A record received more than this after its `recordTime` was delivered late: 10 minutes,
/// milliseconds. A phone online sends at once (a few seconds); its outbox retries back off
/// to at most 5 minutes, so only a record kept offline (or on a phone that was off) is later.
pub const LATE_AFTER_MS: i64 = 10 * 60_000;

impl Flag {
    /// Every flag, in order.
    pub const ALL: [Flag; 11] = [
        Flag::FenceUncertain,
        Flag::FenceMismatch,
        Flag::OutsideApproved,
        Flag::RequestPending,
        Flag::LowTrustCapture,
        Flag::LivenessInconclusive,
        Flag::LivenessFailed,
        Flag::LocationWarnings,
        Flag::NonceUnverified,
        Flag::DeliveredLate,
        Flag::NotAtPlatform,
    ];

    /// The flag as a manager reads it in an export.
    pub fn label_zh(self) -> &'static str {
        match self {
            Flag::FenceUncertain => "围栏边界不确定",
            Flag::FenceMismatch => "手机与中继围栏判断不一致",
            Flag::OutsideApproved => "外勤已批准",
            Flag::RequestPending => "外勤待审批",
            Flag::LowTrustCapture => "非实时拍照",
            Flag::LivenessInconclusive => "活体未确认",
            Flag::LivenessFailed => "活体未通过",
            Flag::LocationWarnings => "定位异常",
            Flag::NonceUnverified => "活体随机码未验证",
            Flag::DeliveredLate => "延迟上传",
            Flag::NotAtPlatform => "未送达平台",
        }
    }

    /// This flag's bit in a [`FlagSet`]. Stored in the audit facts: never renumber.
    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A set of flags; its `bits` are what the store keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlagSet(u32);

impl FlagSet {
    /// The set the store kept as `bits` (unknown bits are ignored).
    pub fn from_bits(bits: i64) -> Self {
        Self(u32::try_from(bits & 0x7ff).unwrap_or(0))
    }

    /// The bits to store.
    pub fn bits(self) -> i64 {
        i64::from(self.0)
    }

    /// Adds `flag` when `on`.
    pub fn set(&mut self, flag: Flag, on: bool) {
        if on {
            self.0 |= flag.bit();
        }
    }

    /// Whether `flag` is in the set.
    pub fn has(self, flag: Flag) -> bool {
        self.0 & flag.bit() != 0
    }

    /// Both sets.
    pub fn union(self, other: FlagSet) -> FlagSet {
        FlagSet(self.0 | other.0)
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The flags, in [`Flag::ALL`]'s order.
    pub fn flags(self) -> Vec<Flag> {
        Flag::ALL.into_iter().filter(|f| self.has(*f)).collect()
    }

    /// The flags in Chinese, `；`-separated (exports).
    pub fn labels_zh(self) -> String {
        let labels: Vec<&str> = self.flags().into_iter().map(Flag::label_zh).collect();
        labels.join("；")
    }
}

/// Where a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Source {
    /// A phone's live camera.
    Camera,
    /// A phone's fallback capture (file picker, WeChat `chooseImage`): lower trust.
    Fallback,
    /// An MR860 face terminal (extras `source: "mr860"`).
    Mr860,
}

impl Source {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Camera => "camera",
            Source::Fallback => "fallback",
            Source::Mr860 => "mr860",
        }
    }

    /// The stored name read back (an unknown one is a camera record).
    pub fn parse(text: &str) -> Source {
        match text {
            "fallback" => Source::Fallback,
            "mr860" => Source::Mr860,
            _ => Source::Camera,
        }
    }

    /// As a manager reads it.
    pub fn label_zh(self) -> &'static str {
        match self {
            Source::Camera => "相机",
            Source::Fallback => "备用拍照",
            Source::Mr860 => "MR860 终端",
        }
    }
}

/// What a record's audit extras say, as the sheet needs it: read once at admission.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PunchFacts {
    /// The flags the evidence raises (fence, capture, liveness, location, nonce).
    #[serde(skip)]
    pub flags: FlagSet,
    /// Where the record came from.
    pub source: Source,
    /// The relay's fence verdict (`inside`, `outside`, `uncertain`), when judged.
    pub verdict: Option<String>,
    /// Distance to the nearest fence boundary, metres.
    pub distance_m: Option<f64>,
    /// WGS-84 longitude, degrees.
    pub lng: Option<f64>,
    /// WGS-84 latitude, degrees.
    pub lat: Option<f64>,
    /// The fix's accuracy radius, metres.
    pub accuracy_m: Option<f64>,
}

impl PunchFacts {
    /// The facts of a record whose audit extras are `extras`.
    ///
    /// - `fenceUncertain`: `relayFence.verdict` is `uncertain`; `fenceMismatch`:
    ///   `relayFence.mismatch`.
    /// - `lowTrustCapture`: `fallbackCapture`, or `liveness.lowerTrust`.
    /// - `livenessFailed`: `liveness.overall` is `notLive`; `livenessInconclusive`: it is
    ///   `inconclusive`, or the evidence did not fit (`livenessMalformed`), or a phone's
    ///   record has none (an MR860 terminal makes none).
    /// - `locationWarnings`: `location.warnings` is not empty.
    /// - `nonceUnverified`: `nonceVerified` is `false` (a local nonce has neither).
    pub fn of_extras(extras: &Map<String, Value>) -> Self {
        let member = |outer: &str, inner: &str| extras.get(outer).and_then(|v| v.get(inner));
        let text = |outer: &str, inner: &str| member(outer, inner).and_then(Value::as_str);
        let truthy = |value: Option<&Value>| value.and_then(Value::as_bool) == Some(true);
        let source = if extras.get("source").and_then(Value::as_str) == Some("mr860") {
            Source::Mr860
        } else if truthy(extras.get("fallbackCapture")) {
            Source::Fallback
        } else {
            Source::Camera
        };
        let verdict = text("relayFence", "verdict").map(str::to_owned);
        let liveness = extras.get("liveness").filter(|v| v.is_object());
        let overall = text("liveness", "overall");
        let no_evidence = liveness.is_none() && source != Source::Mr860;
        let warnings = member("location", "warnings").and_then(Value::as_array);
        let mut flags = FlagSet::default();
        flags.set(
            Flag::FenceUncertain,
            verdict.as_deref() == Some("uncertain"),
        );
        flags.set(
            Flag::FenceMismatch,
            truthy(member("relayFence", "mismatch")),
        );
        flags.set(
            Flag::LowTrustCapture,
            source == Source::Fallback || truthy(member("liveness", "lowerTrust")),
        );
        flags.set(Flag::LivenessFailed, overall == Some("notLive"));
        flags.set(
            Flag::LivenessInconclusive,
            overall == Some("inconclusive")
                || extras.contains_key("livenessMalformed")
                || no_evidence,
        );
        flags.set(
            Flag::LocationWarnings,
            warnings.is_some_and(|w| !w.is_empty()),
        );
        flags.set(
            Flag::NonceUnverified,
            extras.get("nonceVerified").and_then(Value::as_bool) == Some(false),
        );
        let number = |outer: &str, inner: &str| member(outer, inner).and_then(Value::as_f64);
        Self {
            flags,
            source,
            verdict,
            distance_m: number("relayFence", "distanceM"),
            lng: number("location", "lng"),
            lat: number("location", "lat"),
            accuracy_m: number("location", "accuracyM"),
        }
    }

    /// The facts of extras kept as JSON text (unreadable text: no evidence at all).
    pub fn of_extras_text(extras: &str) -> Self {
        let extras: Map<String, Value> = serde_json::from_str(extras).unwrap_or_default();
        Self::of_extras(&extras)
    }
}
