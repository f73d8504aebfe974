//! What was measured, check by check, and what may be concluded from it.

use serde::{Deserialize, Serialize};

use super::challenge::{Prompt, Side};
use super::faces::Face;

/// Which check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CheckKind {
    /// The face's colour followed the screen's.
    Flash,
    /// A blink.
    Blink,
    /// A turn to the worker's left and back.
    TurnLeft,
    /// A turn to the worker's right and back.
    TurnRight,
    /// A nod.
    Nod,
}

impl CheckKind {
    /// The check a prompt asks for.
    pub fn of(prompt: &Prompt) -> Self {
        match prompt {
            Prompt::Flash { .. } => CheckKind::Flash,
            Prompt::Blink => CheckKind::Blink,
            Prompt::Turn { side: Side::Left } => CheckKind::TurnLeft,
            Prompt::Turn { side: Side::Right } => CheckKind::TurnRight,
            Prompt::Nod => CheckKind::Nod,
        }
    }

    /// What to do after this check failed, in plain Chinese.
    pub fn advice_zh(self) -> &'static str {
        match self {
            CheckKind::Flash => "未检测到屏幕颜色变化，请让脸靠近屏幕、避开强光后重试。",
            CheckKind::Blink => "未检测到眨眼，请保持手机不动，对准框内眨一下眼后重试。",
            CheckKind::TurnLeft | CheckKind::TurnRight => {
                "未检测到转头，请按提示方向转头再转回来后重试。"
            }
            CheckKind::Nod => "未检测到点头，请低头再抬头后重试。",
        }
    }
}

/// How a check was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Method {
    /// Fallback without a face detector: from the guide oval's pixels (colour, local change,
    /// mass shift).
    Region,
    /// From the detected face's pixels: its skin against the background (flash), its eye
    /// patches against the rest of the face (blink).
    FaceRegion,
    /// From the detected face's keypoints: head yaw (turn) and pitch (nod).
    Keypoints,
    /// From the face mesh's eye landmarks (blink: the eye aspect ratio).
    Landmarks,
}

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// The score reached the pass score.
    Passed,
    /// Measured, and the score fell short.
    Failed,
    /// Too few usable frames to say either way.
    NotMeasured,
}

/// One check with its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    /// Which check.
    pub kind: CheckKind,
    /// How it was measured.
    pub method: Method,
    /// The measured score (units per check: flash correlation −1..=1; blink ratio of eye to
    /// rest change, or the landmark blink's relative fall of the eye aspect ratio 0..=1; keypoint turn yaw change in degrees, keypoint nod pitch proxy change;
    /// region turn and nod centroid shift in half guide widths).
    pub score: f32,
    /// The score needed to pass.
    pub pass_score: f32,
    /// Passed, failed, or not measured.
    pub outcome: Outcome,
    /// Usable frames the score was computed from.
    pub frames: u32,
    /// Flash only: the delay between screen and camera at the best correlation, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_ms: Option<u32>,
    /// Flash on a detected face: how much more the face's colour followed the screen than the
    /// background's did (ratio of their responses; a flat surface lit evenly is near 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_over_background: Option<f32>,
    /// Blink on landmarks: the eye patches' change over the rest of the face's (plus one grey
    /// level), which must also reach 1.5, so that a finger crossing the eyes does not pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eye_over_rest: Option<f32>,
    /// The face in the step's last frame that had one (frame pixels), when a detector looked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face: Option<Face>,
    /// What ended the step before its check could pass, when the face rules did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_issue: Option<FaceIssue>,
}

impl CheckResult {
    /// What to do after this check failed, in plain Chinese: the face rule that ended the step,
    /// else the check's own advice.
    pub fn advice_zh(&self) -> &'static str {
        match self.face_issue {
            Some(issue) => issue.advice_zh(),
            None => self.kind.advice_zh(),
        }
    }
}

/// A face rule that ends a step at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaceIssue {
    /// No face for more than a second.
    NoFace,
    /// A second face at least half the size of the first.
    SecondFace,
}

impl FaceIssue {
    /// What to do, in plain Chinese.
    pub fn advice_zh(self) -> &'static str {
        match self {
            FaceIssue::NoFace => "请把脸放进框内。",
            FaceIssue::SecondFace => "请只让本人正对镜头。",
        }
    }
}

/// The conclusion over all checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Overall {
    /// Every check of the challenge was measured and passed.
    Live,
    /// At least one check was measured and failed.
    NotLive,
    /// Nothing failed, but something was not measured (or no challenge was run): no claim.
    Inconclusive,
}

/// Each check with its score, and the conclusion they allow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// The conclusion.
    pub overall: Overall,
    /// The checks, in the order asked.
    pub checks: Vec<CheckResult>,
}

impl Verdict {
    /// The verdict over `checks` of a challenge of `asked` steps: live only if all `asked` checks
    /// are present and passed.
    pub fn new(checks: Vec<CheckResult>, asked: usize) -> Self {
        let overall = if checks.iter().any(|c| c.outcome == Outcome::Failed) {
            Overall::NotLive
        } else if asked > 0
            && checks.len() == asked
            && checks.iter().all(|c| c.outcome == Outcome::Passed)
        {
            Overall::Live
        } else {
            Overall::Inconclusive
        };
        Self { overall, checks }
    }
}
