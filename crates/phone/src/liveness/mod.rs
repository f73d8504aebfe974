//! Liveness for the clock-in photo: is a live person in front of the phone, now?
//!
//! Pure: no clock, no I/O; compiles for `wasm32-unknown-unknown` and the host. Frames are RGBA
//! bytes and times are milliseconds passed in by the caller (the page's `performance.now()`).
//!
//! - [`Nonce`] → [`Challenge::plan`]: a random sequence of [`Prompt`]s (colour flash, blink,
//!   turn, nod), each with its own time limit, drawn from a generator seeded by the nonce, so the
//!   relay (which issued the nonce) can re-derive what was asked.
//! - [`ChallengeRun`]: fed one [`Frame`] at a time; samples the face [`Guide`] oval with a
//!   [`GuideSampler`] (allocation-free per frame), refuses poor frames by [`judge_quality`], and
//!   scores each prompt as its time runs out or as soon as it is met.
//! - [`LandmarkSource`]: optional face landmarks (a model on the page) that sharpen blink (eye
//!   aspect ratio) and turn (yaw proxy).
//! - [`Verdict`]: each check with its score, threshold and outcome; "live" only if every check
//!   passed, "inconclusive" when something could not be measured.
//! - [`Evidence`]: challenge, scores, two or three small frames and a SHA-256, as the JSON member
//!   `liveness` of the `C_SIGN_IN` param (the relay keeps it in its audit log).
//!
//! What the region checks resist: a printed photo (cannot blink, cannot follow the colours) and a
//! replayed video or virtual camera (cannot follow a colour sequence chosen a moment ago). What
//! they do not claim: resistance to a 3-D mask lit by the screen, or to an attacker who renders
//! the face live in response to the colours.

mod challenge;
mod evidence;
mod face_sampler;
mod faces;
mod flash;
mod frame;
mod motion;
mod nonce;
mod photo;
mod quality;
mod rng;
mod run;
mod sampler;
mod verdict;

pub use challenge::{Challenge, Prompt, Rgb, Side, Step};
pub use evidence::{
    check_frames, CaptureSource, Evidence, EvidenceBody, EvidenceError, EvidenceFrame,
    EVIDENCE_VERSION,
};
pub use face_sampler::{FaceFeatures, FaceSampler};
pub use faces::{
    Detector, Face, FaceModels, FaceSource, Image, Keypoint, KeypointName, LandmarkModel,
    NoFaceDetector, FACE_FLOATS,
};
pub use flash::{flash_score, FlashScore};
pub use frame::{Frame, FrameError, Guide, GuideError};
pub use motion::{there_and_back, Excursion};
pub use nonce::{Nonce, NonceError, NonceSource};
pub use photo::{
    face_share, photo_crop, PhotoCrop, PhotoIssue, MAX_FRONTAL_YAW, MIN_FACE_SHARE, MIN_FACE_SIDE,
};
pub use quality::{judge_quality, QualityIssue, QualityLimits};
pub use run::{ChallengeRun, Progress, Sample, SeenFace};
pub use sampler::{FrameFeatures, GuideSampler};
pub use verdict::{CheckKind, CheckResult, FaceIssue, Method, Outcome, Overall, Verdict};
