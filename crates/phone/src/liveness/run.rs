//! Running a challenge frame by frame: which prompt is current, what colour the screen shows,
//! and each check's result as its step ends.

use super::challenge::{Challenge, Prompt, Rgb, Side, Step};
use super::flash::{flash_score, PASS_CORRELATION};
use super::frame::{Frame, Guide};
use super::landmarks::{
    landmark_blink, landmark_turn, FaceLandmarks, LandmarkSource, NoLandmarks, BLINK_PASS_DEPTH,
    TURN_PASS_YAW,
};
use super::motion::{there_and_back, Excursion};
use super::quality::{judge_quality, QualityIssue, QualityLimits};
use super::sampler::{FrameFeatures, GuideSampler};
use super::verdict::{CheckKind, CheckResult, Method, Outcome, Verdict};

/// Fewest usable frames a step needs to be measured.
const MIN_FRAMES: usize = 6;
/// Frames kept per step (a 6 s step at 60 fps is 360); later frames of a step are not kept.
const MAX_FRAMES: usize = 480;
/// Region blink: smallest eye-band change (grey levels) that can be a blink…
const BLINK_MIN_EYE_CHANGE: f32 = 4.0;
/// …and the ratio of eye-band change to the rest's (plus one grey level) that counts.
const BLINK_PASS_RATIO: f32 = 3.0;
/// Region turn: centroid shift (half guide widths) that counts.
const TURN_PASS_SHIFT: f32 = 0.08;
/// Region nod: centroid shift (half guide heights) that counts.
const NOD_PASS_SHIFT: f32 = 0.06;
/// Baseline span of the region motion checks, milliseconds.
const MOTION_BASELINE_MS: f64 = 300.0;

/// One usable frame of a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Milliseconds since the step began.
    pub t_ms: f64,
    /// What the frame showed.
    pub features: FrameFeatures,
    /// Landmarks, when a source found a face.
    pub landmarks: Option<FaceLandmarks>,
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
    landmarks: Box<dyn LandmarkSource>,
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
            landmarks: Box::new(NoLandmarks),
            step: 0,
            step_start_ms: None,
            last_ms: f64::NEG_INFINITY,
            samples: Vec::with_capacity(MAX_FRAMES),
            checks: Vec::new(),
        }
    }

    /// Uses `source` for landmarks from now on.
    pub fn set_landmark_source(&mut self, source: Box<dyn LandmarkSource>) {
        self.landmarks = source;
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
        if usable && self.samples.len() < MAX_FRAMES {
            progress.snapshot = self.samples.is_empty();
            let landmarks = self.landmarks.landmarks(frame, now_ms);
            self.samples.push(Sample {
                t_ms: now_ms - start,
                features,
                landmarks,
            });
        }
        let step = &self.challenge.steps[self.step];
        let timed_out = now_ms - start >= f64::from(step.time_limit_ms);
        if matches!(step.prompt, Prompt::Flash { .. }) && !timed_out {
            // A flash is scored once, over its whole sequence.
            return progress;
        }
        let result = score_step(&step.prompt, &self.samples);
        if timed_out || result.outcome == Outcome::Passed {
            self.checks.push(result.clone());
            progress.finished = Some(result);
            self.step += 1;
            self.step_start_ms = Some(now_ms);
            self.samples.clear();
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

/// The check of `prompt` over a step's `samples` (landmarks when most frames have them).
fn score_step(prompt: &Prompt, samples: &[Sample]) -> CheckResult {
    let kind = CheckKind::of(prompt);
    let track = || {
        samples
            .iter()
            .filter_map(|s| s.landmarks.as_ref().map(|l| (s.t_ms, l)))
    };
    let with_landmarks = track().count();
    let use_landmarks = with_landmarks >= MIN_FRAMES && 2 * with_landmarks >= samples.len();
    let direction = |side: Side| if side == Side::Left { 1.0 } else { -1.0 };
    let region = |pass: f32, axis: usize, direction: f32| {
        let shifts = samples.iter().map(|s| (s.t_ms, s.features.centroid[axis]));
        excursion_check(
            there_and_back(shifts, direction, MOTION_BASELINE_MS).unwrap_or_default(),
            pass,
        )
    };
    let (method, (score, pass_score, passed), frames, lag_ms) = match prompt {
        Prompt::Flash { colours, step_ms } => {
            let flash = flash_score(colours, *step_ms, samples);
            let passed = flash.passed();
            let scored = (flash.correlation, PASS_CORRELATION, passed);
            (
                Method::Region,
                scored,
                flash.frames as usize,
                Some(flash.lag_ms),
            )
        }
        Prompt::Blink if use_landmarks => {
            let blink = excursion_check(landmark_blink(track()), BLINK_PASS_DEPTH);
            (Method::Landmarks, blink, with_landmarks, None)
        }
        Prompt::Blink => (Method::Region, region_blink(samples), samples.len(), None),
        Prompt::Turn { side } if use_landmarks => {
            let turn = landmark_turn(track(), direction(*side));
            let scored = excursion_check(turn, TURN_PASS_YAW);
            (Method::Landmarks, scored, with_landmarks, None)
        }
        Prompt::Turn { side } => {
            let scored = region(TURN_PASS_SHIFT, 0, direction(*side));
            (Method::Region, scored, samples.len(), None)
        }
        Prompt::Nod => (
            Method::Region,
            region(NOD_PASS_SHIFT, 1, 1.0),
            samples.len(),
            None,
        ),
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

/// Region blink: the largest ratio of eye-band change to the rest's (plus one grey level) over
/// frames whose eye-band change is at least 4 grey levels; 0 when there is none.
fn region_blink(samples: &[Sample]) -> (f32, f32, bool) {
    let best = samples
        .iter()
        .map(|s| &s.features)
        .filter(|f| f.eye_motion >= BLINK_MIN_EYE_CHANGE)
        .map(|f| f.eye_motion / (f.rest_motion + 1.0))
        .fold(0.0, f32::max);
    (best, BLINK_PASS_RATIO, best >= BLINK_PASS_RATIO)
}
