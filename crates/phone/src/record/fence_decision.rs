//! What a fence verdict means for a clock-in, by the site's policy.

use serde::{Deserialize, Serialize};

use zj_geofence::{Check, Verdict};
use zj_protocol::phone_api::UncertainPolicy;

/// The fence check as the record keeps it (audit evidence).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FenceEvidence {
    /// The fence version the check used.
    pub version: u64,
    /// `inside`, `outside` or `uncertain`.
    pub verdict: Verdict,
    /// Distance from the fix to the nearest fence boundary, metres.
    pub distance_m: f64,
    /// Accepted although uncertain, by the site's `flag` policy.
    pub flagged: bool,
}

/// Whether a clock-in may go ahead.
#[derive(Debug, Clone, PartialEq)]
pub enum FenceDecision {
    /// Record it, with this evidence.
    Accept(FenceEvidence),
    /// Do not record it; the message says why and what to do, in Chinese.
    Refuse {
        /// The verdict that refused it.
        verdict: Verdict,
        /// For the worker.
        message: &'static str,
    },
}

impl FenceDecision {
    /// Whether the worker may file an out-of-fence request (外勤) instead: the fence refused
    /// the fix (outside, or uncertain where the site rejects uncertain fixes). A fix too
    /// inaccurate to be checked at all is not a request: the worker waits for a better one.
    pub fn may_request(&self) -> bool {
        matches!(self, FenceDecision::Refuse { .. })
    }
}

/// Applies the site's policy to a check against fence `version`.
pub fn decide_fence(check: &Check, version: u64, policy: UncertainPolicy) -> FenceDecision {
    let evidence = |flagged| FenceEvidence {
        version,
        verdict: check.verdict,
        distance_m: check.distance_m,
        flagged,
    };
    match (check.verdict, policy) {
        (Verdict::Inside, _) => FenceDecision::Accept(evidence(false)),
        (Verdict::Uncertain, UncertainPolicy::Flag) => FenceDecision::Accept(evidence(true)),
        (Verdict::Uncertain, UncertainPolicy::Reject) => FenceDecision::Refuse {
            verdict: Verdict::Uncertain,
            message: "定位不够准确，无法确认您在工地范围内。请到开阔处稍等片刻再打卡。",
        },
        (Verdict::Outside, _) => FenceDecision::Refuse {
            verdict: Verdict::Outside,
            message: "您不在工地电子围栏范围内，请进入工地后再打卡。",
        },
    }
}
