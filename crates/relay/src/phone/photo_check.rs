//! The relay's re-check of a sign-in's photo: the base64 JPEG is decoded, the face detector
//! (`zj-face`, BlazeFace short-range, the model built into the binary) looks for faces, and the
//! photo passes when it holds exactly one face that meets the size and pose rules.
//!
//! The phone already enforces the same rules on the photo it saves (the face box at least
//! 128×128 px and a third of the photo, yaw within ±20°); the relay's thresholds are looser, so
//! that a photo the phone accepted is not refused for a rounding difference or a JPEG
//! re-encode, while a photo that never went through the phone's checks (a modified page, a
//! picture of a wall, a group photo) is. Detection takes milliseconds of CPU, so it runs on the
//! blocking pool, at most one photo per core at a time, each with a detector of its own.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use base64::Engine as _;
use serde::Serialize;
use tokio::sync::Semaphore;
use zj_face::{Detector, Face, Image, ModelError};
use zj_protocol::{ErrorCode, ProtocolError};
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

use crate::config::PhotoCheckMode;

/// The face detector's model (`models/blazeface-short.zjnn`, made by
/// `scripts/vendor-models.sh`), built into the binary.
static MODEL: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../models/blazeface-short.zjnn"
));

/// Smallest side of the main face's box, pixels. The phone saves photos whose face box is at
/// least 128 px; the relay's detector runs on the decoded JPEG, whose box can come out a few
/// pixels smaller than the phone's (another JPEG's blocks, a box regressed again), so the
/// relay allows an eighth less.
pub(crate) const MIN_FACE_SIDE_PX: f32 = 112.0;

/// Smallest share of the photo's area that the main face's box (clipped to the photo) covers.
/// The phone crops its photo so that the box covers at least a third (and aims at 39 %); the
/// relay allows 0.28, a sixth less, for a box that comes out a little tighter here (the area
/// moves with the square of the side).
pub(crate) const MIN_FACE_SHARE: f32 = 0.28;

/// Largest yaw of the main face, degrees either way. The phone asks for ±20°; yaw from
/// keypoints moves by a few degrees between two runs on slightly different pixels, so the
/// relay allows 25°, still well short of a profile.
pub(crate) const MAX_YAW_DEGREES: f32 = 25.0;

/// Another face counts as a second person when its box has at least this share of the main
/// face's area (the phone's rule too): a small face far behind (a queue at the gate) does not.
pub(crate) const SECOND_FACE_AREA_RATIO: f32 = 0.5;

/// Largest width or height of a photo the relay decodes, pixels. The phone sends at most
/// 400 KB; a JPEG whose header claims more than this is refused before its pixels are decoded
/// (a tiny file can claim a gigapixel image).
const MAX_PHOTO_SIDE: usize = 4096;

/// What is wrong with a photo; each says in Chinese what the worker should do.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "camelCase")]
pub(crate) enum Problem {
    /// The record has no `img`.
    NoPhoto,
    /// `img` is not base64.
    NotBase64,
    /// The bytes are not a JPEG the decoder can read.
    NotJpeg {
        /// The decoder's reason.
        detail: String,
    },
    /// Wider or taller than [`MAX_PHOTO_SIDE`].
    TooLarge {
        /// Pixels.
        width: usize,
        /// Pixels.
        height: usize,
    },
    /// No face scores at least 0.5.
    NoFace,
    /// More than one face at least half the main face's area.
    SeveralFaces {
        /// How many faces count.
        count: usize,
    },
    /// The main face's box is smaller than [`MIN_FACE_SIDE_PX`] on a side.
    FaceTooSmall {
        /// The box's shorter side, pixels.
        side: f32,
    },
    /// The main face covers less than [`MIN_FACE_SHARE`] of the photo.
    FaceShareTooSmall {
        /// Box area over photo area.
        share: f32,
    },
    /// The main face is turned more than [`MAX_YAW_DEGREES`].
    NotFrontal {
        /// Degrees.
        yaw: f32,
    },
}

impl Problem {
    /// The reason and what to do, plain Chinese, as the phone shows it.
    pub(crate) fn message_zh(&self) -> String {
        match self {
            Problem::NoPhoto => "记录中没有照片，请重新刷脸打卡".into(),
            Problem::NotBase64 | Problem::NotJpeg { .. } => {
                "照片不是有效的 JPEG 图片，无法识别人脸，请重新拍照打卡".into()
            }
            Problem::TooLarge { width, height } => {
                format!("照片尺寸过大（{width}×{height} 像素），请重新拍照打卡")
            }
            Problem::NoFace => "照片中未检测到人脸，请正对镜头重新拍照".into(),
            Problem::SeveralFaces { count } => {
                format!("照片中有 {count} 张人脸，请只让本人入镜后重新拍照")
            }
            Problem::FaceTooSmall { side } => format!(
                "照片中的人脸太小（{side:.0} 像素，至少需要 {MIN_FACE_SIDE_PX:.0} 像素），\
                 请把手机拿近一些重新拍照"
            ),
            Problem::FaceShareTooSmall { share } => format!(
                "人脸在照片中占比太小（{:.0}%，至少需要 {:.0}%），请让脸部占满取景框后重新拍照",
                share * 100.0,
                MIN_FACE_SHARE * 100.0
            ),
            Problem::NotFrontal { yaw } => format!(
                "照片中的人脸没有正对镜头（偏转约 {:.0} 度），请正对镜头重新拍照",
                yaw.abs()
            ),
        }
    }
}

/// Width and height of the decoded photo, pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct Size {
    width: u32,
    height: u32,
}

/// The main face (the largest), as the audit log keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MainFace {
    /// The box's left edge, pixels.
    x: f32,
    /// The box's top edge, pixels.
    y: f32,
    /// Pixels.
    width: f32,
    /// Pixels.
    height: f32,
    /// The detector's confidence, 0..=1.
    score: f32,
    /// Degrees; 0 facing the camera.
    yaw_degrees: f32,
    /// The box (clipped to the photo) over the photo's area.
    share: f32,
}

/// What the check found in one photo.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhotoReport {
    /// The decoded photo's size (`None` when it did not decode).
    image: Option<Size>,
    /// Faces found (score ≥ 0.5, after non-maximum suppression), small ones behind included.
    faces: usize,
    /// The largest face.
    main_face: Option<MainFace>,
    /// The first rule the photo breaks, `None` when it passes.
    problem: Option<Problem>,
    /// Milliseconds spent decoding and detecting.
    elapsed_ms: f64,
}

impl PhotoReport {
    /// Whether the photo holds exactly one face meeting the relay's rules.
    pub fn passed(&self) -> bool {
        self.problem.is_none()
    }

    /// A report of a photo refused before any face was looked for.
    fn refused(problem: Problem, started: Instant) -> Self {
        Self {
            image: None,
            faces: 0,
            main_face: None,
            problem: Some(problem),
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        }
    }
}

/// A detector with the model built into the relay.
pub fn photo_detector() -> Result<Detector, ModelError> {
    Detector::new(MODEL)
}

/// Checks one photo as a sign-in's `img` carries it (base64 JPEG): decodes it, looks for
/// faces and applies the rules. Never panics on bad input: what does not decode is a problem.
pub fn check_photo(detector: &mut Detector, img_base64: &str) -> PhotoReport {
    let started = Instant::now();
    let Ok(jpeg) = base64::engine::general_purpose::STANDARD.decode(img_base64) else {
        return PhotoReport::refused(Problem::NotBase64, started);
    };
    let (width, height, rgba) = match decode_jpeg(&jpeg) {
        Ok(decoded) => decoded,
        Err(problem) => return PhotoReport::refused(problem, started),
    };
    let image = match Image::new(width, height, &rgba) {
        Ok(image) => image,
        Err(error) => {
            let problem = Problem::NotJpeg {
                detail: error.to_string(),
            };
            return PhotoReport::refused(problem, started);
        }
    };
    let faces = detector.detect(&image);
    let (main_face, problem) = judge(&faces, width, height);
    PhotoReport {
        image: Some(Size { width, height }),
        faces: faces.len(),
        main_face,
        problem,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    }
}

/// Decodes a JPEG to RGBA: `(width, height, pixels)`.
fn decode_jpeg(jpeg: &[u8]) -> Result<(u32, u32, Vec<u8>), Problem> {
    let not_jpeg = |error: zune_jpeg::errors::DecodeErrors| Problem::NotJpeg {
        detail: error.to_string(),
    };
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::RGBA)
        .set_max_width(usize::MAX)
        .set_max_height(usize::MAX);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(jpeg), options);
    decoder.decode_headers().map_err(not_jpeg)?;
    let (width, height) = decoder.dimensions().ok_or(Problem::NotJpeg {
        detail: "no frame header".into(),
    })?;
    if width > MAX_PHOTO_SIDE || height > MAX_PHOTO_SIDE {
        return Err(Problem::TooLarge { width, height });
    }
    let mut rgba = vec![0; width * height * 4];
    if decoder.output_buffer_size() != Some(rgba.len()) {
        return Err(Problem::NotJpeg {
            detail: "the decoder does not give RGBA for it".into(),
        });
    }
    decoder.decode_into(&mut rgba).map_err(not_jpeg)?;
    Ok((width as u32, height as u32, rgba))
}

/// The main face (the largest) and the first rule the photo breaks.
fn judge(faces: &[Face], width: u32, height: u32) -> (Option<MainFace>, Option<Problem>) {
    let Some(main) = faces.iter().max_by(|a, b| a.area().total_cmp(&b.area())) else {
        return (None, Some(Problem::NoFace));
    };
    let share = main.share_of(0.0, 0.0, width as f32, height as f32);
    let yaw = main.yaw_degrees();
    let summary = MainFace {
        x: main.x,
        y: main.y,
        width: main.width,
        height: main.height,
        score: main.score,
        yaw_degrees: yaw,
        share,
    };
    let counted = (faces.iter())
        .filter(|face| face.area() >= SECOND_FACE_AREA_RATIO * main.area())
        .count();
    let side = main.width.min(main.height);
    let problem = if counted > 1 {
        Some(Problem::SeveralFaces { count: counted })
    } else if side < MIN_FACE_SIDE_PX {
        Some(Problem::FaceTooSmall { side })
    } else if share < MIN_FACE_SHARE {
        Some(Problem::FaceShareTooSmall { share })
    } else if yaw.abs() > MAX_YAW_DEGREES {
        Some(Problem::NotFrontal { yaw })
    } else {
        None
    };
    (Some(summary), problem)
}

/// A photo's check as the gateway uses it: the report and what the configured mode makes of
/// it.
#[derive(Debug, Clone)]
pub(crate) struct PhotoCheck {
    mode: PhotoCheckMode,
    report: PhotoReport,
}

impl PhotoCheck {
    /// The final refusal (`400_02`, the reason in Chinese) when the mode is `refuse` and the
    /// photo fails; `None` when the record may be forwarded.
    pub(crate) fn refusal(&self) -> Option<ProtocolError> {
        let problem = self.report.problem.as_ref()?;
        (self.mode == PhotoCheckMode::Refuse).then(|| ProtocolError {
            errorcode: ErrorCode::ParamUnparsable.as_str().to_owned(),
            errormsg: problem.message_zh(),
        })
    }

    /// `passed`, `refused` (not forwarded) or `flagged` (failed, forwarded).
    pub(crate) fn verdict(&self) -> &'static str {
        match (self.report.passed(), self.mode) {
            (true, _) => "passed",
            (false, PhotoCheckMode::Refuse) => "refused",
            (false, _) => "flagged",
        }
    }

    /// Seconds spent decoding and detecting.
    pub(crate) fn seconds(&self) -> f64 {
        self.report.elapsed_ms / 1000.0
    }

    /// The JSON object the audit log keeps (`photoCheck` in the manager's sign-in list).
    pub(crate) fn audit_json(&self) -> String {
        /// The rules the photo was held to.
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Thresholds {
            min_face_side_px: f32,
            min_face_share: f32,
            max_yaw_degrees: f32,
            second_face_area_ratio: f32,
        }
        /// The report with its verdict (f32 written short, as `0.28`).
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Audited<'a> {
            mode: PhotoCheckMode,
            verdict: &'static str,
            reason: Option<String>,
            #[serde(flatten)]
            report: &'a PhotoReport,
            thresholds: Thresholds,
        }
        let audited = Audited {
            mode: self.mode,
            verdict: self.verdict(),
            reason: self.report.problem.as_ref().map(Problem::message_zh),
            report: &self.report,
            thresholds: Thresholds {
                min_face_side_px: MIN_FACE_SIDE_PX,
                min_face_share: MIN_FACE_SHARE,
                max_yaw_degrees: MAX_YAW_DEGREES,
                second_face_area_ratio: SECOND_FACE_AREA_RATIO,
            },
        };
        serde_json::to_string(&audited).expect("a report serialises")
    }
}

/// Detectors for the blocking pool, one per photo being checked, made from a first one as
/// needed and kept for the next photo.
struct DetectorPool {
    idle: Mutex<Vec<Detector>>,
    template: Detector,
}

impl DetectorPool {
    fn take(&self) -> Detector {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        idle.unwrap_or_else(|| self.template.clone())
    }

    fn give_back(&self, detector: Detector) {
        (self.idle.lock().unwrap_or_else(|p| p.into_inner())).push(detector);
    }
}

/// The photo check as configured (`[photo] check`): off, or detectors and a bound on how many
/// photos are checked at once (one per core).
pub(crate) struct PhotoChecker {
    mode: PhotoCheckMode,
    pool: Option<Arc<DetectorPool>>,
    permits: Semaphore,
}

impl PhotoChecker {
    /// A checker in `mode`; the built-in model is parsed once here (not at all when off).
    pub(crate) fn new(mode: PhotoCheckMode) -> Result<Self, ModelError> {
        let pool = match mode {
            PhotoCheckMode::Off => None,
            PhotoCheckMode::Refuse | PhotoCheckMode::Flag => Some(Arc::new(DetectorPool {
                idle: Mutex::new(Vec::new()),
                template: photo_detector()?,
            })),
        };
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Self {
            mode,
            pool,
            permits: Semaphore::new(cores),
        })
    }

    /// Checks a sign-in's photo off the async runtime; `None` when the check is off.
    pub(crate) async fn check(&self, img: Option<Arc<str>>) -> Option<PhotoCheck> {
        let pool = Arc::clone(self.pool.as_ref()?);
        let started = Instant::now();
        let report = match img {
            None => PhotoReport::refused(Problem::NoPhoto, started),
            Some(img) => {
                // One photo per core at a time (the semaphore is never closed).
                let _permit = self.permits.acquire().await;
                let checked = tokio::task::spawn_blocking(move || {
                    let mut detector = pool.take();
                    let report = check_photo(&mut detector, &img);
                    pool.give_back(detector);
                    report
                })
                .await;
                // A panic in the decoder or the detector: the photo is not one they can read.
                checked.unwrap_or_else(|error| {
                    let detail = format!("the check stopped: {error}");
                    PhotoReport::refused(Problem::NotJpeg { detail }, started)
                })
            }
        };
        Some(PhotoCheck {
            mode: self.mode,
            report,
        })
    }
}
