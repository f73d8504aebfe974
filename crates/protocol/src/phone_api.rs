//! The phone ⇄ relay JSON beyond the protocol leg (docs/PHONE_API.md), written once: the relay
//! serialises these types and the phone deserialises them, so the two cannot drift apart.
//!
//! `POST /v1/enroll` ([`EnrollRequest`] → [`Enrollment`]), `GET /v1/site` ([`SiteInfo`]),
//! `POST /v1/challenge` ([`Challenge`]), and every refusal's body ([`ErrorReply`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What enrollment gives a phone: its login on the phone leg. The secret is the phone's own,
/// never the vendor's.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneCredentials {
    /// The sn the phone uses on the phone leg.
    pub sn: String,
    /// The phone's `accessId`.
    pub access_id: String,
    /// The phone's `accessKey`.
    pub access_key: String,
    /// The phone's `accessSecret`: keys its signatures.
    pub access_secret: String,
}

/// Whose phone this is.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Binding {
    /// One worker's own phone.
    Personal,
    /// A foreman's phone: the holder picks the worker from the site's roster.
    Team,
}

/// What an uncertain fence verdict (the accuracy circle crosses the boundary) means on a site.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UncertainPolicy {
    /// Not a clock-in: the worker is asked to move or wait for a better fix.
    #[default]
    Reject,
    /// Accepted and flagged for the manager's review.
    Flag,
}

/// A name of [`Binding`] or [`UncertainPolicy`] that is neither of its two.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not one of the names allowed here")]
pub struct UnknownName(pub String);

macro_rules! named_enum {
    ($type:ty { $($variant:ident => $name:literal),* }) => {
        impl $type {
            /// Its name in the JSON and the store.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),* }
            }
        }
        impl FromStr for $type {
            type Err = UnknownName;
            fn from_str(text: &str) -> Result<Self, UnknownName> {
                match text {
                    $($name => Ok(Self::$variant),)*
                    other => Err(UnknownName(other.to_owned())),
                }
            }
        }
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum!(Binding { Personal => "personal", Team => "team" });
named_enum!(UncertainPolicy { Reject => "reject", Flag => "flag" });
named_enum!(OutOfFenceReason {
    Supplier => "supplier",
    SecondArea => "second_area",
    Meeting => "meeting",
    Errand => "errand",
    Other => "other"
});
named_enum!(RequestState { Pending => "pending", Approved => "approved", Rejected => "rejected" });

/// Why a worker clocks in outside the site's fence (外勤), from a short list; the page shows
/// [`OutOfFenceReason::label_zh`] and the relay's exports too.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutOfFenceReason {
    /// At a supplier's or a materials yard.
    Supplier,
    /// At a second work area of the site, outside the drawn fence.
    SecondArea,
    /// At a meeting away from the site.
    Meeting,
    /// On an errand for the site.
    Errand,
    /// Anything else: the note must say what.
    Other,
}

impl OutOfFenceReason {
    /// Every reason, in the order the page lists them.
    pub const ALL: [OutOfFenceReason; 5] = [
        OutOfFenceReason::Supplier,
        OutOfFenceReason::SecondArea,
        OutOfFenceReason::Meeting,
        OutOfFenceReason::Errand,
        OutOfFenceReason::Other,
    ];

    /// The reason as a worker and a manager read it.
    pub fn label_zh(self) -> &'static str {
        match self {
            OutOfFenceReason::Supplier => "供应商/材料场",
            OutOfFenceReason::SecondArea => "第二作业区",
            OutOfFenceReason::Meeting => "外出开会",
            OutOfFenceReason::Errand => "外出办事",
            OutOfFenceReason::Other => "其他",
        }
    }
}

/// Longest note of an out-of-fence request, in characters.
pub const OUT_OF_FENCE_NOTE_MAX_CHARS: usize = 200;

/// An out-of-fence request as a sign-in carries it (`outOfFence`, PROTOCOL.md §9).
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutOfFence {
    /// Why, from the list.
    pub reason: OutOfFenceReason,
    /// The worker's own words; required for [`OutOfFenceReason::Other`], at most
    /// [`OUT_OF_FENCE_NOTE_MAX_CHARS`] characters.
    #[serde(default)]
    pub note: String,
}

impl OutOfFence {
    /// Why this request cannot be filed, plain Chinese saying what to do; `None` when it can.
    pub fn problem_zh(&self) -> Option<&'static str> {
        let note = self.note.trim();
        if self.reason == OutOfFenceReason::Other && note.is_empty() {
            Some("外勤原因选了“其他”，请在说明里写明在哪里、做什么。")
        } else if note.chars().count() > OUT_OF_FENCE_NOTE_MAX_CHARS {
            Some("外勤说明太长了，请不超过 200 个字。")
        } else {
            None
        }
    }
}

/// Where a manager's decision on an out-of-fence request stands.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RequestState {
    /// Waiting for a manager; not sent to the platform.
    Pending,
    /// Approved (by a manager, or by the site's approved work areas): sent to the platform
    /// once, with its original `recordTime`.
    Approved,
    /// Rejected: never sent; kept for audit.
    Rejected,
}

/// One of the phone's out-of-fence requests (`GET /v1/requests`).
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneRequest {
    /// The record's `recordId`.
    pub record_id: String,
    /// The worker it clocks in.
    pub person_id: String,
    /// The record's `recordTime`, epoch milliseconds.
    pub record_time_ms: i64,
    /// The request as filed.
    pub out_of_fence: OutOfFence,
    /// Where it stands.
    pub state: RequestState,
    /// Approved by the site's approved work areas, without a manager.
    pub auto_approved: bool,
    /// The manager's comment (`""` when none).
    pub comment: String,
    /// When it was decided, epoch milliseconds; `null` while pending.
    pub decided_at_ms: Option<i64>,
    /// The platform accepted it (approved requests only; `false` while it is being sent).
    pub at_platform: bool,
}

/// `GET /v1/requests`: the phone's own out-of-fence requests of the last 30 days, newest first
/// (at most 100).
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneRequests {
    /// The requests.
    pub requests: Vec<PhoneRequest>,
    /// The same value as the heartbeat's `requestsChangedMs`.
    pub changed_at_ms: Option<i64>,
}

/// A worker on the site's roster.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterPerson {
    /// The platform's person id.
    pub person_id: String,
    /// The worker's name.
    pub name: String,
}

/// A site's current fence, as stored, as the manager gets it back and as phones get it.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteFence {
    /// 1 for the site's first fence, one more at each change.
    pub version: u64,
    /// When it was last changed, epoch milliseconds.
    pub updated_at_ms: i64,
    /// Fixes less accurate than this are refused, metres.
    pub max_accuracy_m: f64,
    /// What an uncertain verdict means on this site.
    pub uncertain_policy: UncertainPolicy,
    /// The fence: a GeoJSON Feature with a WGS-84 MultiPolygon, for `checkFence`.
    #[cfg_attr(feature = "typescript", tsify(type = "object"))]
    pub geojson: Value,
}

/// The phone's site (`GET /v1/site`, and in [`Enrollment`]).
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", tsify(rename = "Site"))]
#[serde(rename_all = "camelCase")]
pub struct SiteInfo {
    /// The site's id.
    pub site_id: String,
    /// Its name, for the page.
    pub name: String,
    /// Personal or team phone.
    pub binding: Binding,
    /// The worker a personal phone belongs to (`null` on a team phone).
    pub person: Option<RosterPerson>,
    /// The roster a team phone picks from (empty on a personal phone).
    pub persons: Vec<RosterPerson>,
    /// The current fence; `null` while the site has none.
    pub fence: Option<SiteFence>,
}

/// The relay's answer to a phone's `C_HEARTBEAT` (PROTOCOL.md §9): the platform's `taskids`
/// (always empty: tasks are the relay's business) and what a phone learns from the relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayHeartbeat {
    /// The platform's member; the relay lists no task to a phone.
    #[serde(default)]
    pub taskids: Vec<String>,
    /// The relay's clock when it answered, epoch milliseconds (the phone corrects its own).
    #[serde(default)]
    pub relay_time_ms: Option<i64>,
    /// The version of the phone's site fence, `null` without one (the phone refetches its
    /// site when it changes).
    #[serde(default)]
    pub fence_version: Option<u64>,
    /// When a manager last decided one of this phone's out-of-fence requests, epoch
    /// milliseconds; `null` while none is decided. The phone fetches `GET /v1/requests` when
    /// it differs from the value it saw last.
    #[serde(default)]
    pub requests_changed_ms: Option<i64>,
}

/// `POST /v1/enroll`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// The enrollment code as typed (`ABCDE-12345`; case, spaces and dashes do not matter).
    pub code: String,
}

/// `POST /v1/enroll`'s answer: the phone's new credentials and its site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enrollment {
    /// The phone's own credentials.
    pub phone: PhoneCredentials,
    /// Its site.
    pub site: SiteInfo,
}

/// A liveness nonce (`POST /v1/challenge`), so the relay can tell a challenge was not planned
/// in advance.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Challenge {
    /// 32 hex digits.
    pub nonce: String,
    /// When issued, epoch milliseconds.
    pub issued_at_ms: i64,
    /// When it stops counting, epoch milliseconds.
    pub expires_at_ms: i64,
}

/// The body of every refusal of the phone and manager API, with an HTTP status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorReply {
    /// What went wrong.
    pub error: ErrorBody,
}

/// A refusal: a stable code, plain Chinese saying what to do next, and where when known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine name, e.g. `code_expired`.
    pub code: String,
    /// Chinese, plain, saying what to do next (empty when a peer sent none).
    #[serde(default)]
    pub message: String,
    /// Where the problem is, when known (e.g. `{"problem": "open_ring", "polygon": 0, "ring": 1}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
}
