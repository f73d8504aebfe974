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
