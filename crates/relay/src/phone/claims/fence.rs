//! The fence verdict, recomputed: the record's §7 `coordinate` (WGS-84, as the phone sends it)
//! and the accuracy radius it reports beside it (`location.accuracyM`), judged against the
//! phone's site's fence version that was current at `recordTime` (its first, for a record
//! dated before the site had a fence), with the phone's own code
//! (`zj_phone::record::prepare_fence` and `decide_fence`, over `zj-geofence`) and the site's
//! `uncertainPolicy`. The phone's claim (`fence.verdict`) is kept beside it; a difference is a
//! mismatch for the manager to see.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::Value;
use zj_geofence::{Fix, FixError, PreparedFence, Verdict};
use zj_phone::record::site::prepare_fence;
use zj_phone::record::{decide_fence, FenceDecision, UncertainPolicy};
use zj_protocol::params::SignInParam;
use zj_protocol::ProtocolError;

use super::refusal;
use crate::store::Tx;
use crate::store::{sites, StoreError};

/// Prepared fence versions kept at most; past it the book starts again (a version is prepared
/// again on its next use).
const MAX_PREPARED: usize = 64;

/// A place as a record claims it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClaimedPlace {
    /// The §7 `coordinate`, WGS-84 `(lng, lat)` degrees.
    coordinate: Option<(f64, f64)>,
    /// `location.accuracyM`: the fix's accuracy radius, metres.
    accuracy_m: Option<f64>,
    /// `fence.verdict`, as the phone wrote it.
    claimed_verdict: Option<String>,
    /// `fence.version`: the fence version the phone judged against.
    claimed_version: Option<u64>,
    /// The record is an out-of-fence request (`outOfFence`, PROTOCOL.md §9).
    out_of_fence: bool,
}

impl ClaimedPlace {
    /// The place `record` claims.
    pub(crate) fn of(record: &SignInParam) -> Self {
        let extra = &record.extra;
        let member = |outer: &str, inner: &str| extra.get(outer).and_then(|v| v.get(inner));
        Self {
            coordinate: (record.coordinate.as_ref()).map(|c| (c.longitude, c.latitude)),
            accuracy_m: member("location", "accuracyM").and_then(Value::as_f64),
            claimed_verdict: (member("fence", "verdict").and_then(Value::as_str))
                .map(str::to_owned),
            claimed_version: member("fence", "version").and_then(Value::as_u64),
            out_of_fence: extra.get("outOfFence").is_some_and(|v| !v.is_null()),
        }
    }

    /// The claimed fix: WGS-84 `(lng, lat)` degrees and the accuracy radius, metres; `None`
    /// without a coordinate or an accuracy.
    pub(crate) fn fix(&self) -> Option<((f64, f64), f64)> {
        Some((self.coordinate?, self.accuracy_m?))
    }
}

/// What the relay found of a record's place: the audit log's `relayFence`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FenceFinding {
    /// The fence version current at `recordTime` (the site's first when it had none then).
    version: u64,
    /// That version's policy for an uncertain verdict.
    uncertain_policy: UncertainPolicy,
    /// The relay's verdict; `None` when the place could not be judged (no coordinate, no or a
    /// bad accuracy).
    verdict: Option<Verdict>,
    /// Distance from the coordinate to the nearest fence boundary, metres.
    distance_m: Option<f64>,
    /// The accuracy radius judged with, metres.
    accuracy_m: Option<f64>,
    /// The verdict the phone claimed.
    claimed_verdict: Option<String>,
    /// The fence version the phone claimed to have judged against.
    claimed_version: Option<u64>,
    /// The claimed verdict (or its absence) differs from the relay's.
    mismatch: bool,
    /// Accepted although uncertain, by the site's `flag` policy.
    flagged: bool,
    /// An out-of-fence request: held for a manager instead of refused when its place was
    /// judged and refused (see [`FenceFinding::held`]).
    out_of_fence: bool,
    /// Why the place is refused (for a held out-of-fence request: would be), plain Chinese.
    reason: Option<String>,
}

impl FenceFinding {
    /// The final refusal of the record, when its place is refused and it is not held as an
    /// out-of-fence request.
    pub(crate) fn refusal(&self) -> Option<ProtocolError> {
        let reason = self.reason.as_ref().filter(|_| !self.held())?;
        Some(refusal(reason.clone()))
    }

    /// Whether the record is held as an out-of-fence request (外勤): it is one, and its place
    /// was judged (a coordinate and an accuracy within the site's cap) and refused. A place
    /// that cannot be judged is refused as any record's is: a manager could not see where
    /// the worker was.
    pub(crate) fn held(&self) -> bool {
        self.out_of_fence && self.reason.is_some() && self.verdict.is_some()
    }

    /// The finding as the audit log keeps it.
    pub(crate) fn audit_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// A fence version made ready for checks.
struct PreparedSiteFence {
    version: u64,
    policy: UncertainPolicy,
    /// The fence, or why the stored one cannot be used (Chinese).
    prepared: Result<PreparedFence, String>,
}

/// The name of a verdict, as the phone writes it.
fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Inside => "inside",
        Verdict::Outside => "outside",
        Verdict::Uncertain => "uncertain",
    }
}

/// A distance for a worker: metres under a kilometre, else kilometres.
fn distance_zh(metres: f64) -> String {
    if metres < 1000.0 {
        format!("{metres:.0} 米")
    } else {
        format!("{:.1} 公里", metres / 1000.0)
    }
}

/// Why a fix cannot be judged, and what to do, plain Chinese.
fn fix_problem_zh(error: &FixError) -> String {
    match error {
        FixError::AccuracyOverCap { accuracy_m, cap_m } => format!(
            "定位精度 {accuracy_m:.0} 米，超过本工地允许的 {cap_m:.0} 米，无法确认您在工地范围内。\
             请到开阔处稍等片刻，定位更准后重新打卡。"
        ),
        FixError::AccuracyZero => "定位精度为 0 米（手机没有报告精度，或是模拟定位），\
             无法确认您在工地范围内。请关闭模拟定位软件，重新定位后打卡。"
            .into(),
        FixError::AccuracyInvalid(_) | FixError::Position(_) => {
            format!("定位数据无效（{error}），无法确认您在工地范围内。请重新定位后打卡。")
        }
    }
}

/// Judges `place` against `fence`: the verdict, the policy's decision, the reason to refuse.
fn judge(fence: &PreparedSiteFence, place: &ClaimedPlace) -> FenceFinding {
    let mut finding = FenceFinding {
        version: fence.version,
        uncertain_policy: fence.policy,
        verdict: None,
        distance_m: None,
        accuracy_m: place.accuracy_m,
        claimed_verdict: place.claimed_verdict.clone(),
        claimed_version: place.claimed_version,
        mismatch: false,
        flagged: false,
        out_of_fence: place.out_of_fence,
        reason: None,
    };
    let checked = match (&fence.prepared, place.coordinate, place.accuracy_m) {
        (Err(why), _, _) => Err(why.clone()),
        (_, None, _) => Err(
            "记录中没有定位坐标，本工地设有电子围栏，无法确认您在工地范围内。\
             请打开手机定位服务并允许使用位置，重新定位后打卡。"
                .into(),
        ),
        (_, Some(_), None) => Err("记录中没有定位精度，无法确认您在工地范围内。\
             请重新定位后打卡。"
            .into()),
        (Ok(prepared), Some((lng, lat)), Some(accuracy_m)) => Fix::new(lng, lat, accuracy_m)
            .and_then(|fix| prepared.check(&fix))
            .map_err(|error| fix_problem_zh(&error)),
    };
    match checked {
        Err(why) => finding.reason = Some(why),
        Ok(check) => {
            finding.verdict = Some(check.verdict);
            finding.distance_m = Some(check.distance_m);
            let distance = distance_zh(check.distance_m);
            let accuracy = place.accuracy_m.unwrap_or_default();
            match decide_fence(&check, fence.version, fence.policy) {
                FenceDecision::Accept(evidence) => finding.flagged = evidence.flagged,
                FenceDecision::Refuse {
                    verdict: Verdict::Uncertain,
                    ..
                } => {
                    finding.reason = Some(format!(
                        "定位离工地电子围栏边界约 {distance}，而定位精度为 {accuracy:.0} 米，\
                         无法确认您在工地范围内。请到开阔处稍等片刻，定位更准后重新打卡。"
                    ))
                }
                FenceDecision::Refuse { .. } => {
                    finding.reason = Some(format!(
                        "定位在工地电子围栏外（距围栏约 {distance}）。\
                         请进入工地范围后重新打卡；如需在工地外打卡，请联系管理员。"
                    ))
                }
            }
        }
    }
    let relay_verdict = finding.verdict.map(verdict_name);
    finding.mismatch = finding.claimed_verdict.as_deref() != relay_verdict;
    finding
}

/// The sites' fences, each version prepared once (a fence is never changed: a change is a new
/// version), for judging records on the store's thread.
#[derive(Default)]
pub(crate) struct FenceBook {
    prepared: Mutex<HashMap<(String, u64), Arc<PreparedSiteFence>>>,
}

impl FenceBook {
    /// Judges `place` against the fence of the phone's site (`site_id`) that was current at
    /// `record_time_ms`, or, when the site had none then, its first fence (a record dated
    /// before the fence existed is not spared the fence); `None` when the phone has no site
    /// (configured by hand) or its site has no fence.
    pub(crate) fn judge_at(
        &self,
        tx: &Tx<'_>,
        site_id: Option<&str>,
        place: &ClaimedPlace,
        record_time_ms: i64,
    ) -> Result<Option<FenceFinding>, StoreError> {
        let Some(site_id) = site_id.map(str::to_owned) else {
            return Ok(None);
        };
        let version = match sites::fence_version_at(tx, &site_id, record_time_ms)? {
            Some(version) => Some(version),
            None => sites::first_fence_version(tx, &site_id)?,
        };
        let Some(version) = version else {
            return Ok(None);
        };
        let Some(fence) = self.prepared(tx, site_id, version)? else {
            return Ok(None);
        };
        Ok(Some(judge(&fence, place)))
    }

    /// Version `version` of the site's fence, prepared (from the book, or now).
    fn prepared(
        &self,
        tx: &Tx<'_>,
        site_id: String,
        version: u64,
    ) -> Result<Option<Arc<PreparedSiteFence>>, StoreError> {
        let key = (site_id, version);
        let lock = || self.prepared.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(fence) = lock().get(&key) {
            return Ok(Some(Arc::clone(fence)));
        }
        let Some(stored) = sites::fence_version(tx, &key.0, version)? else {
            return Ok(None);
        };
        let fence = Arc::new(PreparedSiteFence {
            version,
            policy: stored.uncertain_policy,
            prepared: prepare_fence(&stored).map_err(|error| error.to_string()),
        });
        let mut book = lock();
        if book.len() >= MAX_PREPARED {
            book.clear();
        }
        book.insert(key, Arc::clone(&fence));
        Ok(Some(fence))
    }
}
