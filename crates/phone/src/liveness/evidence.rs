//! The liveness evidence that travels with a record: the challenge, each check's score, two or
//! three small frames and a hash, as the member `liveness` of the `C_SIGN_IN` param. The relay
//! keeps it in its audit log and forwards only the §7 members to the platform.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::challenge::Challenge;
use super::verdict::{CheckResult, Overall, Verdict};

/// The evidence format's version, `version` in its JSON.
pub const EVIDENCE_VERSION: u32 = 1;
/// Evidence frames at most.
const MAX_FRAMES: usize = 3;
/// Largest evidence frame, bytes of base64 (a 160×120 JPEG is 4–8 KB).
const MAX_FRAME_BASE64: usize = 32 * 1024;

/// How the photo was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CaptureSource {
    /// The live camera (`getUserMedia`), with the challenge run on its frames.
    Camera,
    /// WeChat's `chooseImage` with the camera: lower trust, no challenge.
    Wechat,
    /// A file input with `capture=user`: lower trust, no challenge.
    FileInput,
}

impl CaptureSource {
    /// Whether a record made this way is lower-trust (anything but the live camera).
    pub fn lower_trust(self) -> bool {
        self != CaptureSource::Camera
    }
}

/// A small frame kept as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceFrame {
    /// Milliseconds on the run's clock when the frame was taken.
    pub t_ms: f64,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// Base64 JPEG, no `data:` prefix.
    pub jpeg: String,
}

/// Everything the hash covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceBody {
    /// Format version: 1.
    pub version: u32,
    /// The challenge (`nonce`, `nonceSource`, `steps`), as top-level members.
    #[serde(flatten)]
    pub challenge: Challenge,
    /// The conclusion.
    pub overall: Overall,
    /// Each check with its score (empty when no challenge was run).
    pub checks: Vec<CheckResult>,
    /// How the photo was taken.
    pub capture: CaptureSource,
    /// Whether the record is lower-trust (not the live camera).
    pub lower_trust: bool,
    /// SHA-256 (hex) of the photo's JPEG bytes (the record's `img` decoded), binding the evidence
    /// to the photo.
    pub photo_sha256: String,
    /// Two or three small frames.
    pub frames: Vec<EvidenceFrame>,
}

/// The evidence with its hash: SHA-256 (hex) of the body's JSON as this crate writes it. It
/// detects a change in transit or storage; it does not prove who made it (the phone can compute
/// it too).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// What the hash covers.
    #[serde(flatten)]
    pub body: EvidenceBody,
    /// SHA-256 of the body's JSON, hex.
    pub hash: String,
}

/// Evidence that cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    /// More than three frames.
    #[error("at most {MAX_FRAMES} evidence frames, got {0}")]
    TooManyFrames(usize),
    /// A frame's base64 is over 32 KB.
    #[error("evidence frame {index} is {bytes} bytes of base64, over {MAX_FRAME_BASE64}")]
    FrameTooLarge {
        /// Which frame.
        index: usize,
        /// Its size.
        bytes: usize,
    },
}

impl Evidence {
    /// Evidence of a photo (`photo_jpeg`, the JPEG bytes) taken by `capture` after `challenge`
    /// was run to `verdict` (for a fallback capture: no checks, so inconclusive).
    pub fn new(
        challenge: Challenge,
        verdict: Verdict,
        capture: CaptureSource,
        photo_jpeg: &[u8],
        frames: Vec<EvidenceFrame>,
    ) -> Result<Self, EvidenceError> {
        check_frames(&frames)?;
        let body = EvidenceBody {
            version: EVIDENCE_VERSION,
            challenge,
            overall: verdict.overall,
            checks: verdict.checks,
            capture,
            lower_trust: capture.lower_trust(),
            photo_sha256: sha256_hex(photo_jpeg),
            frames,
        };
        let hash = body_hash(&body);
        Ok(Self { body, hash })
    }

    /// Whether `hash` matches the body.
    pub fn hash_matches(&self) -> bool {
        body_hash(&self.body) == self.hash
    }

    /// The JSON text (the value of the param's `liveness` member).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Whether `frames` are within the evidence's bounds (at most three, each at most 32 KB of
/// base64): what the phone makes, and what the relay holds evidence it receives to.
pub fn check_frames(frames: &[EvidenceFrame]) -> Result<(), EvidenceError> {
    if frames.len() > MAX_FRAMES {
        return Err(EvidenceError::TooManyFrames(frames.len()));
    }
    if let Some((index, frame)) = frames
        .iter()
        .enumerate()
        .find(|(_, f)| f.jpeg.len() > MAX_FRAME_BASE64)
    {
        return Err(EvidenceError::FrameTooLarge {
            index,
            bytes: frame.jpeg.len(),
        });
    }
    Ok(())
}

fn body_hash(body: &EvidenceBody) -> String {
    sha256_hex(&serde_json::to_vec(body).unwrap_or_default())
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
