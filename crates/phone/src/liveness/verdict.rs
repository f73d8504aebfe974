//! What was measured, check by check, and what may be concluded from it.

use serde::{Deserialize, Serialize};

use super::challenge::{Prompt, Side};

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
    /// From the guide region's pixels (colour, local change, mass shift).
    Region,
    /// From face landmarks given by a model on the page.
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
    /// The measured score (units per check: flash correlation −1..=1; region blink ratio of eye
    /// to rest change; landmark blink relative eye closing 0..=1; region turn and nod centroid
    /// shift in half guide widths; landmark turn yaw proxy change).
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
