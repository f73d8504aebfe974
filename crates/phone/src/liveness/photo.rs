//! The saved photo: cropped around the detected face so that the face is at least 128×128 px
//! and a third of the picture (standard 001 §1.2), and facing the camera.

use serde::{Deserialize, Serialize};

use super::faces::Face;

/// Smallest face box side in the saved photo, pixels.
pub const MIN_FACE_SIDE: f32 = 128.0;
/// Smallest share of the photo's area the face box covers.
pub const MIN_FACE_SHARE: f32 = 1.0 / 3.0;
/// Largest yaw of a frontal face, degrees either way.
pub const MAX_FRONTAL_YAW: f32 = 20.0;
/// The crop's side over the face box's side: 1.6² = 2.56 box areas, so the face is 39 % of the
/// photo, with room for hair and chin.
const CROP_OVER_FACE: f32 = 1.6;

/// A rectangle of the frame, pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhotoCrop {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// Why a frame cannot give the photo.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "camelCase")]
pub enum PhotoIssue {
    /// The face box is smaller than 128 px on a side.
    #[error("the face is {side:.0} px, under 128 px: come closer")]
    FaceTooSmall {
        /// The box's shorter side, pixels.
        side: f32,
    },
    /// The face is turned more than 20° away.
    #[error("the face is turned {yaw:.0}°: face the camera")]
    NotFrontal {
        /// Degrees.
        yaw: f32,
    },
    /// The face box would cover less than a third of the photo (it touches the frame's edge).
    #[error("the face covers {share:.2} of the photo, under a third: centre your face")]
    FaceTooSmallInPhoto {
        /// Face box area over photo area.
        share: f32,
    },
}

impl PhotoIssue {
    /// What the worker should do, in plain Chinese.
    pub fn advice_zh(&self) -> &'static str {
        match self {
            PhotoIssue::FaceTooSmall { .. } => "脸太小，请把手机拿近一些。",
            PhotoIssue::NotFrontal { .. } => "请正对镜头。",
            PhotoIssue::FaceTooSmallInPhoto { .. } => "请把脸放在框的中间。",
        }
    }
}

/// The crop of a `frame_width × frame_height` frame that makes the photo of `face`.
pub fn photo_crop(
    frame_width: u32,
    frame_height: u32,
    face: &Face,
) -> Result<PhotoCrop, PhotoIssue> {
    let side = face.width.min(face.height);
    if side < MIN_FACE_SIDE {
        return Err(PhotoIssue::FaceTooSmall { side });
    }
    let yaw = face.yaw_degrees();
    if yaw.abs() > MAX_FRONTAL_YAW {
        return Err(PhotoIssue::NotFrontal { yaw });
    }
    let (fw, fh) = (frame_width as f32, frame_height as f32);
    let width = (face.width * CROP_OVER_FACE).min(fw);
    let height = (face.height * CROP_OVER_FACE).min(fh);
    let (cx, cy) = face.centre();
    let x = (cx - width / 2.0).min(fw - width).max(0.0);
    let y = (cy - height / 2.0).min(fh - height).max(0.0);
    let crop = PhotoCrop {
        x: x.round() as u32,
        y: y.round() as u32,
        width: (width.round() as u32).max(1),
        height: (height.round() as u32).max(1),
    };
    let share = face_share(face, &crop);
    if share < MIN_FACE_SHARE {
        return Err(PhotoIssue::FaceTooSmallInPhoto { share });
    }
    Ok(crop)
}

/// The part of the face box inside `crop`, over the crop's area.
pub fn face_share(face: &Face, crop: &PhotoCrop) -> f32 {
    let [x, y, width, height] = [crop.x, crop.y, crop.width, crop.height].map(|v| v as f32);
    face.share_of(x, y, width, height)
}
