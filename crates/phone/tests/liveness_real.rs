//! Liveness on frames made from real photos (host only: it reads `testdata/`, made by
//! `scripts/fetch-testdata.sh`), with the real face detector and face mesh:
//!
//! - a worker made from a real face photo (turns and nods by warping the nose region, the eyes
//!   edited closed for 150 ms, the head lit by the screen) passes every prompt order;
//! - the red team fails: a jacket lit by the screen with a finger crossing the eye rows and the
//!   phone tilted the asked way; a wall with the same finger, the phone wiggled; a printed face
//!   photo held up and moved the asked way, also with a finger crossing its eyes;
//! - the saved photo's crop meets the size rules.

#[path = "liveness_real/photo_scene.rs"]
mod photo_scene;
#[path = "../../face/tests/testdata/mod.rs"]
mod testdata;

use photo_scene::{Portrait, Pose, HEIGHT, WIDTH};
use zj_phone::liveness::{
    face_share, photo_crop, Challenge, ChallengeRun, CheckKind, Detector, FaceModels, FaceSource,
    Frame, Guide, LandmarkModel, Method, Nonce, NonceSource, Outcome, Overall, Prompt,
    QualityLimits, Side, Verdict,
};

const DETECTOR: &[u8] = include_bytes!("../../../models/blazeface-short.zjnn");
const MESH: &[u8] = include_bytes!("../../../models/face-landmark.zjnn");

/// Time between frames, milliseconds (20 fps).
const FRAME_MS: f64 = 50.0;
/// Delay from the page setting a colour to the camera seeing it, milliseconds.
const SCREEN_DELAY_MS: f64 = 100.0;

/// Six nonces that draw, between them, every prompt in several orders.
const NONCES: [&str; 6] = [
    "00112233445566778899aabbccddeeff",
    "0123456789abcdef0123456789abcdef",
    "fedcba9876543210fedcba9876543210",
    "ffeeddccbbaa99887766554433221100",
    "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "13579bdf02468ace13579bdf02468ace",
];

fn models() -> FaceModels {
    FaceModels {
        detector: Detector::new(DETECTOR).unwrap(),
        landmarks: Some(LandmarkModel::new(MESH).unwrap()),
    }
}

fn run_for(nonce: &str) -> ChallengeRun {
    let challenge = Challenge::plan(Nonce::new(nonce).unwrap(), NonceSource::Relay);
    let mut run = ChallengeRun::new(challenge, Guide::default(), QualityLimits::default());
    run.set_face_source(Box::new(models()));
    run
}

fn astronaut() -> Portrait {
    let photo = testdata::image("faces", "astronaut.png");
    Portrait::new(
        &mut Detector::new(DETECTOR).unwrap(),
        &mut LandmarkModel::new(MESH).unwrap(),
        photo.width,
        photo.height,
        photo.rgba,
    )
}

/// 0 → 1 → 0 over a step: still for 500 ms, moving for 400, held for 200, back in 400.
fn excursion(step_ms: f64) -> f32 {
    let ramp = |from: f64| ((step_ms - from) / 400.0).clamp(0.0, 1.0) as f32;
    ramp(500.0) - ramp(1100.0)
}

/// What is asked now, and the screen's colour as the camera sees it.
struct Moment<'a> {
    prompt: Option<&'a Prompt>,
    screen: [f32; 3],
    step_ms: f64,
}

/// Plays frames `render(moment, rgba)` at 20 fps until the run is done (at most 60 s).
fn play(run: &mut ChallengeRun, mut render: impl FnMut(&Moment<'_>, &mut [u8])) -> Verdict {
    let mut rgba = vec![0u8; WIDTH * HEIGHT * 4];
    let (mut t, mut step, mut step_start) = (1_000.0, 0, 1_000.0);
    while !run.is_done() && t < 61_000.0 {
        let moment = Moment {
            prompt: run.current_step().map(|s| &s.prompt),
            screen: run
                .screen_colour(t - SCREEN_DELAY_MS)
                .map_or([0.0; 3], |c| c.0.map(f32::from)),
            step_ms: t - step_start,
        };
        render(&moment, &mut rgba);
        let frame = Frame::new(WIDTH as u32, HEIGHT as u32, &rgba).unwrap();
        let progress = run.push_frame(&frame, t);
        if progress.step != step {
            (step, step_start) = (progress.step, t);
        }
        t += FRAME_MS;
    }
    run.verdict()
}

/// A live worker: follows each prompt.
fn live(moment: &Moment<'_>) -> Pose {
    let amount = excursion(moment.step_ms);
    let mut pose = Pose {
        screen: moment.screen,
        ..Pose::default()
    };
    match moment.prompt {
        Some(Prompt::Blink) => pose.eyes_closed = (600.0..750.0).contains(&moment.step_ms),
        Some(Prompt::Turn { side: Side::Left }) => pose.yaw = 30.0 * amount,
        Some(Prompt::Turn { side: Side::Right }) => pose.yaw = -30.0 * amount,
        Some(Prompt::Nod) => pose.pitch = 25.0 * amount,
        _ => {}
    }
    pose
}

/// A printed photo, held up and moved the asked way (and tilted for a turn), with a finger
/// crossing its eyes during a blink when `finger`.
fn printed(moment: &Moment<'_>, finger: bool) -> Pose {
    let amount = excursion(moment.step_ms);
    let mut pose = Pose {
        screen: moment.screen,
        printed: Some(1.0),
        ..Pose::default()
    };
    match moment.prompt {
        Some(Prompt::Blink) if finger => {
            let across = ((moment.step_ms - 500.0) / 600.0).clamp(0.0, 1.0) as f32;
            pose.finger_x = Some(200.0 + 240.0 * across);
        }
        Some(Prompt::Turn { side }) => {
            let sign = if *side == Side::Left { 1.0 } else { -1.0 };
            pose.dx = sign * 60.0 * amount;
            pose.printed = Some(1.0 - 0.25 * amount);
        }
        Some(Prompt::Nod) => pose.dy = 50.0 * amount,
        _ => {}
    }
    pose
}

fn check(verdict: &Verdict, kind: CheckKind) -> Option<&zj_phone::liveness::CheckResult> {
    verdict.checks.iter().find(|c| c.kind == kind)
}

#[test]
fn a_worker_made_from_a_real_face_passes_every_prompt_order() {
    let portrait = astronaut();
    let mut kinds = Vec::new();
    for nonce in NONCES {
        let mut run = run_for(nonce);
        let verdict = play(&mut run, |moment, rgba| {
            portrait.render(&live(moment), rgba)
        });
        for c in &verdict.checks {
            println!(
                "{nonce} {:?}: {:?} {:?} score {:.3} (pass {:.3}) face/bg {:?} eye/rest {:?}",
                c.kind,
                c.method,
                c.outcome,
                c.score,
                c.pass_score,
                c.face_over_background,
                c.eye_over_rest
            );
        }
        assert_eq!(verdict.overall, Overall::Live, "{nonce}: {verdict:#?}");
        for c in &verdict.checks {
            let expected = match c.kind {
                CheckKind::Flash => Method::FaceRegion,
                CheckKind::Blink => Method::Landmarks,
                _ => Method::Keypoints,
            };
            assert_eq!(c.method, expected, "{c:?}");
            assert!(c.face.is_some(), "{c:?}");
        }
        kinds.extend(verdict.checks.iter().map(|c| c.kind));
    }
    for kind in [
        CheckKind::Flash,
        CheckKind::Blink,
        CheckKind::TurnLeft,
        CheckKind::TurnRight,
        CheckKind::Nod,
    ] {
        assert!(kinds.contains(&kind), "no nonce drew {kind:?}");
    }
}

#[test]
fn a_printed_face_photo_fails_even_moved_the_asked_way() {
    let portrait = astronaut();
    for finger in [false, true] {
        for nonce in NONCES {
            let mut run = run_for(nonce);
            let verdict = play(&mut run, |moment, rgba| {
                portrait.render(&printed(moment, finger), rgba)
            });
            let summary: Vec<_> = verdict
                .checks
                .iter()
                .map(|c| (c.kind, c.method, c.outcome, c.score, c.eye_over_rest))
                .collect();
            println!("printed, finger {finger}, {nonce}: {summary:?}");
            assert_ne!(verdict.overall, Overall::Live, "{nonce}: {verdict:#?}");
            for kind in [CheckKind::Flash, CheckKind::Blink, CheckKind::Nod] {
                if let Some(c) = check(&verdict, kind) {
                    assert_ne!(c.outcome, Outcome::Passed, "{c:?}");
                }
            }
        }
    }
}

/// A non-face photo filling the frame, lit by the screen in its middle (a jacket's light
/// badge) or all over (a wall), shifted the asked way, with a finger across the eye rows.
fn no_face_scene(photo: &testdata::TestImage, badge: bool, moment: &Moment<'_>, out: &mut [u8]) {
    let amount = excursion(moment.step_ms);
    let (dx, dy) = match moment.prompt {
        Some(Prompt::Turn { side: Side::Left }) => (40.0 * amount, 0.0),
        Some(Prompt::Turn { side: Side::Right }) => (-40.0 * amount, 0.0),
        Some(Prompt::Nod) => (0.0, 30.0 * amount),
        // A wiggle otherwise.
        _ => ((moment.step_ms / 90.0).sin() as f32 * 6.0, 0.0),
    };
    let finger = matches!(moment.prompt, Some(Prompt::Blink))
        .then(|| 200.0 + 240.0 * ((moment.step_ms - 500.0) / 600.0).clamp(0.0, 1.0) as f32);
    let scale = photo.width.min(photo.height) as f32 / HEIGHT as f32 * 0.8;
    for (i, px) in out.chunks_exact_mut(4).enumerate() {
        let (x, y) = ((i % WIDTH) as f32, (i / WIDTH) as f32);
        let sx = (photo.width as f32 / 2.0 + (x - WIDTH as f32 / 2.0 - dx) * scale) as usize;
        let sy = (photo.height as f32 / 2.0 + (y - HEIGHT as f32 / 2.0 - dy) * scale) as usize;
        let at = (sy.min(photo.height as usize - 1) * photo.width as usize
            + sx.min(photo.width as usize - 1))
            * 4;
        let mut rgb = [0, 1, 2].map(|c| f32::from(photo.rgba[at + c]));
        if finger.is_some_and(|f| (x - f).abs() < 22.0 && (140.0..300.0).contains(&y)) {
            rgb = [205.0, 160.0, 135.0];
        }
        let (bx, by) = ((x - 320.0) / 140.0, (y - 240.0) / 180.0);
        let near = !badge || bx * bx + by * by <= 1.0;
        let light = if near { 0.3 } else { 0.02 };
        for (c, value) in rgb.iter().enumerate() {
            px[c] = (value * (1.0 + light * moment.screen[c] / 255.0)).clamp(0.0, 255.0) as u8;
        }
        px[3] = 255;
    }
}

#[test]
fn jackets_walls_and_animals_lit_by_the_screen_fail() {
    for photo in testdata::images("nonfaces") {
        for badge in [true, false] {
            for nonce in &NONCES[..2] {
                let mut run = run_for(nonce);
                let verdict = play(&mut run, |moment, rgba| {
                    no_face_scene(&photo, badge, moment, rgba)
                });
                let summary: Vec<_> = verdict
                    .checks
                    .iter()
                    .map(|c| (c.kind, c.outcome, c.face_issue))
                    .collect();
                println!("{} badge {badge} {nonce}: {summary:?}", photo.name);
                assert_ne!(
                    verdict.overall,
                    Overall::Live,
                    "{}: {verdict:#?}",
                    photo.name
                );
            }
        }
    }
}

#[test]
fn the_saved_photo_is_cropped_to_the_size_rules() {
    let portrait = astronaut();
    let mut rgba = vec![0u8; WIDTH * HEIGHT * 4];
    portrait.render(&Pose::default(), &mut rgba);
    let frame = Frame::new(WIDTH as u32, HEIGHT as u32, &rgba).unwrap();
    let mut models = models();
    let faces = models.faces(&frame).unwrap();
    assert_eq!(faces.len(), 1, "{faces:?}");
    let crop = photo_crop(WIDTH as u32, HEIGHT as u32, &faces[0]).unwrap();
    assert!(face_share(&faces[0], &crop) >= 1.0 / 3.0, "{crop:?}");
    assert!(faces[0].width >= 128.0 && faces[0].height >= 128.0);

    portrait.render(
        &Pose {
            scale: 0.5,
            ..Pose::default()
        },
        &mut rgba,
    );
    let frame = Frame::new(WIDTH as u32, HEIGHT as u32, &rgba).unwrap();
    let small = models.faces(&frame).unwrap();
    assert!(matches!(
        photo_crop(WIDTH as u32, HEIGHT as u32, &small[0]),
        Err(zj_phone::liveness::PhotoIssue::FaceTooSmall { .. })
    ));
}
