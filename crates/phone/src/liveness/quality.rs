//! Is the guide region good enough for a photo: not too dark, not too bright, not blurred?

use serde::{Deserialize, Serialize};

use super::sampler::FrameFeatures;

/// Thresholds of the quality checks. The defaults are set on synthetic faces and a webcam, not
/// tuned on a fleet of phones; the evidence keeps the measured values so they can be re-judged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QualityLimits {
    /// Below this mean luma (0..=255) the face is too dark. Default 50.
    pub min_mean_luma: f32,
    /// Above this mean luma the face is too bright. Default 215.
    pub max_mean_luma: f32,
    /// Above this share of clipped pixels (0..=1) the face is too bright. Default 0.25.
    pub max_clipped_fraction: f32,
    /// Below this variance of the Laplacian (grey levels²) the face is blurred. Default 20.
    pub min_laplacian_variance: f32,
}

impl Default for QualityLimits {
    fn default() -> Self {
        Self {
            min_mean_luma: 50.0,
            max_mean_luma: 215.0,
            max_clipped_fraction: 0.25,
            min_laplacian_variance: 20.0,
        }
    }
}

/// Why a frame is not good enough, with what was measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "issue", rename_all = "camelCase")]
pub enum QualityIssue {
    /// The face is too dark.
    #[serde(rename_all = "camelCase")]
    TooDark {
        /// Measured mean luma, 0..=255.
        mean_luma: f32,
    },
    /// The face is over-exposed.
    #[serde(rename_all = "camelCase")]
    TooBright {
        /// Measured mean luma, 0..=255.
        mean_luma: f32,
        /// Measured share of clipped pixels, 0..=1.
        clipped_fraction: f32,
    },
    /// The face is blurred (moving, out of focus, or a smeared lens).
    #[serde(rename_all = "camelCase")]
    Blurred {
        /// Measured variance of the Laplacian, grey levels².
        laplacian_variance: f32,
    },
}

impl QualityIssue {
    /// A stable machine name: `tooDark`, `tooBright` or `blurred`.
    pub fn code(&self) -> &'static str {
        match self {
            QualityIssue::TooDark { .. } => "tooDark",
            QualityIssue::TooBright { .. } => "tooBright",
            QualityIssue::Blurred { .. } => "blurred",
        }
    }

    /// What the worker should do, in plain Chinese.
    pub fn message_zh(&self) -> &'static str {
        match self {
            QualityIssue::TooDark { .. } => "光线太暗，请到明亮处或打开照明后重试。",
            QualityIssue::TooBright { .. } => "光线太强，请避开强光或背对窗户后重试。",
            QualityIssue::Blurred { .. } => "画面模糊，请拿稳手机、擦净镜头后重试。",
        }
    }
}

/// The first problem of `features` against `limits` (darkness, then brightness, then blur), or
/// `None` when the frame is good enough.
pub fn judge_quality(features: &FrameFeatures, limits: &QualityLimits) -> Option<QualityIssue> {
    let mean_luma = features.mean_luma;
    if mean_luma < limits.min_mean_luma {
        Some(QualityIssue::TooDark { mean_luma })
    } else if mean_luma > limits.max_mean_luma
        || features.clipped_fraction > limits.max_clipped_fraction
    {
        Some(QualityIssue::TooBright {
            mean_luma,
            clipped_fraction: features.clipped_fraction,
        })
    } else if features.laplacian_variance < limits.min_laplacian_variance {
        Some(QualityIssue::Blurred {
            laplacian_variance: features.laplacian_variance,
        })
    } else {
        None
    }
}
