//! Liveness evidence held to its schema: the phone's own evidence type
//! ([`zj_phone::liveness::Evidence`], format version 1, at most three frames of 32 KB). The
//! evidence is not the platform's business, so evidence that does not fit never stops a record;
//! it is moved out of `liveness` (where the manager's page reads evidence) to `livenessRaw`,
//! with the reason in `livenessMalformed`.

use serde::Deserialize;
use serde_json::{Map, Value};
use zj_phone::liveness::{check_frames, Evidence, EVIDENCE_VERSION};

/// The audit member with the reason the evidence does not fit, plain Chinese.
pub(super) const MALFORMED: &str = "livenessMalformed";
/// The audit member with evidence that does not fit, as received.
pub(super) const RAW: &str = "livenessRaw";
/// The record's member with the evidence.
const LIVENESS: &str = "liveness";

/// Largest evidence that does not fit kept in the audit log, bytes of JSON text. The largest
/// the phone makes is about 100 KB (three frames of at most 32 KB of base64 each, the checks
/// and the challenge); past this the evidence is dropped and the reason says so.
const MAX_RAW_BYTES: usize = 128 * 1024;

/// Why `evidence` does not fit the evidence schema, plain Chinese with the detail; `None` when
/// it fits.
fn malformed(evidence: &Value) -> Option<String> {
    let problem = match Evidence::deserialize(evidence) {
        Err(error) => error.to_string(),
        Ok(evidence) if evidence.body.version != EVIDENCE_VERSION => format!(
            "version {} is not {EVIDENCE_VERSION}",
            evidence.body.version
        ),
        Ok(evidence) => check_frames(&evidence.body.frames).err()?.to_string(),
    };
    Some(format!("活体证据格式不符：{problem}"))
}

/// Checks the record's `liveness` evidence (a member of its audit `extras`): evidence that fits
/// stays; evidence that does not is moved to `livenessRaw` (dropped past 128 KB) and flagged
/// with `livenessMalformed`.
pub(crate) fn file_liveness(extras: &mut Map<String, Value>) {
    let Some(why) = (extras.get(LIVENESS))
        .filter(|evidence| !evidence.is_null())
        .and_then(malformed)
    else {
        return;
    };
    let raw = extras.remove(LIVENESS).unwrap_or_default();
    let size = serde_json::to_vec(&raw).map_or(usize::MAX, |text| text.len());
    let why = if size <= MAX_RAW_BYTES {
        extras.insert(RAW.into(), raw);
        why
    } else {
        format!("{why}（证据 {size} 字节，超过 {MAX_RAW_BYTES} 字节，未保存）")
    };
    extras.insert(MALFORMED.into(), Value::String(why));
}
