//! Running a challenge frame by frame: which prompt is current, what colour the screen shows,
//! and each check's result as its step ends.

use super::challenge::{Challenge, Prompt, Rgb, Side, Step};
use super::face_sampler::{FaceFeatures, FaceSampler};
use super::faces::{Face, FaceSource, NoFaceDetector};
use super::flash::{flash_score, FlashScore, PASS_CORRELATION};
use super::frame::{Frame, Guide};
use super::motion::{there_and_back, Excursion};
use super::quality::{judge_quality, QualityIssue, QualityLimits};
use super::sampler::{FrameFeatures, GuideSampler};
use super::verdict::{CheckKind, CheckResult, FaceIssue, Method, Outcome, Verdict};

/// Fewest usable frames a step needs to be measured.
const MIN_FRAMES: usize = 6;
/// Frames kept per step (a 6 s step at 60 fps is 360); later frames of a step are not kept.
const MAX_FRAMES: usize = 480;
/// Blink: smallest eye change (grey levels) that can be a blink…
const BLINK_MIN_EYE_CHANGE: f32 = 4.0;
/// …and the ratio of eye change to the rest's (plus one grey level) that counts.
const BLINK_PASS_RATIO: f32 = 3.0;
/// Landmark blink: relative fall of the eye aspect ratio that counts (closing by 20 %: the face
/// mesh under-reports closed lids, a full closure reads as about −30 %).
const BLINK_PASS_DEPTH: f32 = 0.2;
/// Landmark blink: the eye patches' change must also be at least this many times the rest of
/// the face's (a finger or an object crossing the eyes changes both alike).
const BLINK_LANDMARK_EYE_OVER_REST: f32 = 1.5;
/// Region turn: centroid shift (half guide widths) that counts.
const TURN_PASS_SHIFT: f32 = 0.08;
/// Region nod: centroid shift (half guide heights) that counts.
const NOD_PASS_SHIFT: f32 = 0.06;
/// Keypoint turn: yaw change that counts, degrees.
const TURN_PASS_DEGREES: f32 = 15.0;
/// Keypoint nod: pitch proxy change that counts (a share of the eye-to-mouth distance; a 25°
/// nod moves it by about 0.06).
const NOD_PASS_PITCH: f32 = 0.04;
/// Flash on a face: the face's response must be this many times the background's.
const FLASH_FACE_OVER_BACKGROUND: f32 = 2.0;
/// Baseline span of the motion checks, milliseconds.
const MOTION_BASELINE_MS: f64 = 300.0;
/// No face for longer than this ends the step, milliseconds.
const MAX_FACELESS_MS: f64 = 1000.0;
/// A second face at least this share of the first's area ends the step.
const SECOND_FACE_SHARE: f32 = 0.5;

/// One usable frame of a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Milliseconds since the step began.
    pub t_ms: f64,
    /// What the frame showed in the guide oval.
    pub features: FrameFeatures,
    /// The main face and what it showed, when a detector found one.
    pub face: Option<SeenFace>,
}

/// The main face of a frame and what it showed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeenFace {
    /// Where it is.
    pub face: Face,
    /// Its skin, background and eye patches.
    pub features: FaceFeatures,
    /// Its eye aspect ratio, when a landmark model looked (blink steps).
    pub eye_openness: Option<f32>,
}

/// What happened with one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Index of the current step (equal to the step count when done).
    pub step: usize,
    /// Steps in the challenge.
    pub steps: usize,
    /// The frame's quality problem, if any (too dark or too bright frames are not analysed).
    pub quality: Option<QualityIssue>,
    /// The check that this frame completed, if any.
    pub finished: Option<CheckResult>,
    /// Whether this frame is worth keeping as evidence (the first usable frame of a step).
    pub snapshot: bool,
    /// Whether every step is over.
    pub done: bool,
}

/// A challenge being run; see the module doc.
pub struct ChallengeRun {
    challenge: Challenge,
    sampler: GuideSampler,
    limits: QualityLimits,
    faces: Box<dyn FaceSource>,
    face_sampler: FaceSampler,
    /// Whether a detector looked at the current step's frames.
    detector_seen: bool,
    /// When the current step last saw a face (or began).
    last_face_ms: Option<f64>,
    step: usize,
    step_start_ms: Option<f64>,
    last_ms: f64,
    samples: Vec<Sample>,
    checks: Vec<CheckResult>,
}

impl ChallengeRun {
    /// A run of `challenge` through `guide`, judging frame quality by `limits`.
    pub fn new(challenge: Challenge, guide: Guide, limits: QualityLimits) -> Self {
        Self {
            challenge,
            sampler: GuideSampler::new(640, 480, guide),
            limits,
            faces: Box::new(NoFaceDetector),
            face_sampler: FaceSampler::default(),
            detector_seen: false,
            last_face_ms: None,
            step: 0,
            step_start_ms: None,
            last_ms: f64::NEG_INFINITY,
            samples: Vec::with_capacity(MAX_FRAMES),
            checks: Vec::new(),
        }
    }

    /// Uses `source` to find faces from now on (without one, the checks fall back to the
    /// guide oval and the verdict says `method: "region"`).
    pub fn set_face_source(&mut self, source: Box<dyn FaceSource>) {
        self.faces = source;
    }

    /// The challenge being run.
    pub fn challenge(&self) -> &Challenge {
        &self.challenge
    }

    /// The current step, `None` when done.
    pub fn current_step(&self) -> Option<&Step> {
        self.challenge.steps.get(self.step)
    }

    /// Whether every step is over.
    pub fn is_done(&self) -> bool {
        self.current_step().is_none()
    }

    /// The colour the screen should show at `now_ms` (the clock of the frames): during a flash
    /// step its colour of the moment (the first colour before the step's first frame), else
    /// `None` (show the normal page).
    pub fn screen_colour(&self, now_ms: f64) -> Option<Rgb> {
        let Prompt::Flash { colours, step_ms } = &self.current_step()?.prompt else {
            return None;
        };
        let elapsed = self.step_start_ms.map_or(0.0, |start| now_ms - start);
        let index = (elapsed.max(0.0) / f64::from((*step_ms).max(1))) as usize;
        colours.get(index).copied()
    }

    /// Analyses a frame taken at `now_ms` (milliseconds, any origin, not going backwards; a
    /// frame older than the last is ignored).
    pub fn push_frame(&mut self, frame: &Frame<'_>, now_ms: f64) -> Progress {
        let steps = self.challenge.steps.len();
        let mut progress = Progress {
            step: self.step,
            steps,
            quality: None,
            finished: None,
            snapshot: false,
            done: self.is_done(),
        };
        if progress.done || !now_ms.is_finite() || now_ms < self.last_ms {
            return progress;
        }
        self.last_ms = now_ms;
        let features = self.sampler.analyse(frame);
        progress.quality = judge_quality(&features, &self.limits);
        let start = *self.step_start_ms.get_or_insert(now_ms);
        let usable = !matches!(
            progress.quality,
            Some(QualityIssue::TooDark { .. } | QualityIssue::TooBright { .. })
        );
        let mut face_issue = None;
        if usable && self.samples.len() < MAX_FRAMES {
            progress.snapshot = self.samples.is_empty();
            let face = match self.faces.faces(frame) {
                Some(faces) => {
                    self.detector_seen = true;
                    face_issue =
                        face_rules(&faces, now_ms, *self.last_face_ms.get_or_insert(start));
                    let blink = matches!(self.challenge.steps[self.step].prompt, Prompt::Blink);
                    faces.first().map(|face| {
                        self.last_face_ms = Some(now_ms);
                        SeenFace {
                            face: *face,
                            features: self.face_sampler.analyse(frame, face),
                            eye_openness: blink
                                .then(|| self.faces.eye_openness(frame, face))
                                .flatten(),
                        }
                    })
                }
                None => None,
            };
            if face.is_none() {
                self.face_sampler.reset();
            }
            self.samples.push(Sample {
                t_ms: now_ms - start,
                features,
                face,
            });
        }
        let step = &self.challenge.steps[self.step];
        let timed_out = now_ms - start >= f64::from(step.time_limit_ms);
        if face_issue.is_none() && matches!(step.prompt, Prompt::Flash { .. }) && !timed_out {
            // A flash is scored once, over its whole sequence.
            return progress;
        }
        let mut result = score_step(&step.prompt, &self.samples, self.detector_seen);
        if let Some(issue) = face_issue.filter(|_| result.outcome != Outcome::Passed) {
            result.outcome = Outcome::Failed;
            result.face_issue = Some(issue);
        }
        if timed_out || result.outcome == Outcome::Passed || result.face_issue.is_some() {
            self.checks.push(result.clone());
            progress.finished = Some(result);
            self.step += 1;
            self.step_start_ms = Some(now_ms);
            self.samples.clear();
            self.face_sampler.reset();
            self.detector_seen = false;
            self.last_face_ms = None;
            progress.step = self.step;
            progress.done = self.is_done();
        }
        progress
    }

    /// The verdict so far: steps not yet over count as not measured.
    pub fn verdict(&self) -> Verdict {
        Verdict::new(self.checks.clone(), self.challenge.steps.len())
    }
}

/// The face rules of one frame: a second face at least half the main one's size, or no face
/// since `last_face_ms` for more than a second.
fn face_rules(faces: &[Face], now_ms: f64, last_face_ms: f64) -> Option<FaceIssue> {
    match faces.split_first() {
        Some((main, others)) => others
            .iter()
            .any(|other| other.area() >= SECOND_FACE_SHARE * main.area())
            .then_some(FaceIssue::SecondFace),
        None => (now_ms - last_face_ms > MAX_FACELESS_MS).then_some(FaceIssue::NoFace),
    }
}

/// How a step was scored: `(method, (score, pass score, passed), frames, lag, supporting
/// score)`; the supporting score is the flash's face over background, or a landmark blink's
/// eye-patch ratio.
type Scored = (Method, (f32, f32, bool), usize, Option<u32>, Option<f32>);

/// The check of `prompt` over a step's `samples`: on the detected face when a detector looked
/// at the step (`detector_seen`), else on the guide oval.
fn score_step(prompt: &Prompt, samples: &[Sample], detector_seen: bool) -> CheckResult {
    let kind = CheckKind::of(prompt);
    let (method, (score, pass_score, passed), frames, lag_ms, supporting) = if detector_seen {
        score_on_face(prompt, samples)
    } else {
        score_on_region(prompt, samples)
    };
    let outcome = if passed {
        Outcome::Passed
    } else if frames < MIN_FRAMES {
        Outcome::NotMeasured
    } else {
        Outcome::Failed
    };
    CheckResult {
        kind,
        method,
        score,
        pass_score,
        outcome,
        frames: frames as u32,
        lag_ms,
        face_over_background: supporting.filter(|_| kind == CheckKind::Flash),
        eye_over_rest: supporting.filter(|_| kind == CheckKind::Blink),
        face: samples
            .iter()
            .rev()
            .find_map(|s| s.face.map(|seen| seen.face)),
        face_issue: None,
    }
}

/// Direction of a turn: +1 towards the image's +x (the worker's left), −1 the other way.
fn direction(side: Side) -> f32 {
    if side == Side::Left {
        1.0
    } else {
        -1.0
    }
}

/// The checks on the detected face: keypoints for turn and nod, the face's pixels for flash
/// and blink. Frames without a face do not count.
fn score_on_face(prompt: &Prompt, samples: &[Sample]) -> Scored {
    let faces: Vec<(f64, &Face, &FaceFeatures)> = samples
        .iter()
        .filter_map(|s| {
            s.face
                .as_ref()
                .map(|seen| (s.t_ms, &seen.face, &seen.features))
        })
        .collect();
    let frames = faces.len();
    let pose = |value: fn(&Face) -> f32, direction: f32, pass: f32| {
        let track = faces.iter().map(|(t, face, _)| (*t, value(face)));
        excursion_check(
            there_and_back(track, direction, MOTION_BASELINE_MS).unwrap_or_default(),
            pass,
        )
    };
    match prompt {
        Prompt::Flash { colours, step_ms } => {
            let track = |colour: fn(&FaceFeatures) -> [f32; 3]| -> Vec<(f64, [f32; 3])> {
                faces
                    .iter()
                    .map(|(t, _, seen)| (*t, colour(seen)))
                    .collect()
            };
            let face = flash_score(colours, *step_ms, &track(|seen| seen.skin_rgb));
            let background = flash_score(colours, *step_ms, &track(|seen| seen.background_rgb));
            let ratio = face_over_background(&face, &background);
            let passed = face.passed() && ratio >= FLASH_FACE_OVER_BACKGROUND;
            let scored = (face.correlation, PASS_CORRELATION, passed);
            let lag = Some(face.lag_ms);
            (
                Method::FaceRegion,
                scored,
                face.frames as usize,
                lag,
                Some(ratio),
            )
        }
        Prompt::Blink => {
            let motions = faces
                .iter()
                .map(|(_, _, seen)| (seen.eye_motion, seen.rest_motion));
            let eye_patches = blink_check(motions);
            let openness: Vec<(f64, f32)> = samples
                .iter()
                .filter_map(|s| Some((s.t_ms, s.face?.eye_openness?)))
                .collect();
            if openness.len() >= MIN_FRAMES && 2 * openness.len() >= frames {
                // The eyelids closed and opened (landmarks), and the change was the eyes' own,
                // not something crossing the face (eye patches against the rest).
                let (depth, pass, closed) = landmark_blink(&openness);
                let eyes_own = eye_patches.0 >= BLINK_LANDMARK_EYE_OVER_REST;
                let scored = (depth, pass, closed && eyes_own);
                (
                    Method::Landmarks,
                    scored,
                    openness.len(),
                    None,
                    Some(eye_patches.0),
                )
            } else {
                (Method::FaceRegion, eye_patches, frames, None, None)
            }
        }
        Prompt::Turn { side } => {
            let scored = pose(Face::yaw_degrees, direction(*side), TURN_PASS_DEGREES);
            (Method::Keypoints, scored, frames, None, None)
        }
        Prompt::Nod => {
            let scored = pose(Face::pitch_proxy, 1.0, NOD_PASS_PITCH);
            (Method::Keypoints, scored, frames, None, None)
        }
    }
}

/// Blink from the eye aspect ratio: its relative fall from the first frames' value (0..=1),
/// passed when it falls by [`BLINK_PASS_DEPTH`] and comes back.
fn landmark_blink(openness: &[(f64, f32)]) -> (f32, f32, bool) {
    let open = openness[0].1;
    let ratios = openness
        .iter()
        .map(|&(t, ear)| (t, if open > 0.0 { ear / open } else { 0.0 }));
    excursion_check(
        there_and_back(ratios, -1.0, MOTION_BASELINE_MS).unwrap_or_default(),
        BLINK_PASS_DEPTH,
    )
}

/// The face's flash response over the background's (the background's floored at the smallest
/// response that counts, so a still background does not divide by zero).
fn face_over_background(face: &FlashScore, background: &FlashScore) -> f32 {
    let floor = FlashScore::MIN_RESPONSE / 2.0;
    face.response / background.response.max(floor)
}

/// The fallback checks on the guide oval, without a detector.
fn score_on_region(prompt: &Prompt, samples: &[Sample]) -> Scored {
    let region = |pass: f32, axis: usize, direction: f32| {
        let shifts = samples.iter().map(|s| (s.t_ms, s.features.centroid[axis]));
        excursion_check(
            there_and_back(shifts, direction, MOTION_BASELINE_MS).unwrap_or_default(),
            pass,
        )
    };
    let frames = samples.len();
    match prompt {
        Prompt::Flash { colours, step_ms } => {
            let observed: Vec<(f64, [f32; 3])> = samples
                .iter()
                .map(|s| (s.t_ms, s.features.mean_rgb))
                .collect();
            let flash = flash_score(colours, *step_ms, &observed);
            let scored = (flash.correlation, PASS_CORRELATION, flash.passed());
            (
                Method::Region,
                scored,
                flash.frames as usize,
                Some(flash.lag_ms),
                None,
            )
        }
        Prompt::Blink => {
            let motions = samples
                .iter()
                .map(|s| (s.features.eye_motion, s.features.rest_motion));
            (Method::Region, blink_check(motions), frames, None, None)
        }
        Prompt::Turn { side } => {
            let scored = region(TURN_PASS_SHIFT, 0, direction(*side));
            (Method::Region, scored, frames, None, None)
        }
        Prompt::Nod => (
            Method::Region,
            region(NOD_PASS_SHIFT, 1, 1.0),
            frames,
            None,
            None,
        ),
    }
}

/// `(score, pass score, passed)` of a there-and-back check: the peak, passed when it reaches
/// `pass` and came back.
fn excursion_check(excursion: Excursion, pass: f32) -> (f32, f32, bool) {
    (
        excursion.peak,
        pass,
        excursion.peak >= pass && excursion.returned,
    )
}

/// Blink from `(eye change, rest change)` per frame: the largest ratio of eye change to the
/// rest's (plus one grey level) over frames whose eye change is at least 4 grey levels; 0 when
/// there is none.
fn blink_check(motions: impl Iterator<Item = (f32, f32)>) -> (f32, f32, bool) {
    let best = motions
        .filter(|&(eye, _)| eye >= BLINK_MIN_EYE_CHANGE)
        .map(|(eye, rest)| eye / (rest + 1.0))
        .fold(0.0, f32::max);
    (best, BLINK_PASS_RATIO, best >= BLINK_PASS_RATIO)
}
