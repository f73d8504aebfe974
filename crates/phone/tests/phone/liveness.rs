//! Liveness building blocks: nonces, challenge planning, frames and guides, quality refusals,
//! the face rules and keypoint checks on synthetic face tracks, and the evidence (pure core;
//! also runs as wasm).

use wasm_bindgen_test::wasm_bindgen_test;

use crate::liveness_common::scene::{box_blur, Renderer, Scene};
use zj_phone::liveness::{
    judge_quality, there_and_back, CaptureSource, Challenge, ChallengeRun, CheckKind, Evidence,
    EvidenceError, EvidenceFrame, Face, FaceIssue, FaceSource, Frame, FrameError, Guide,
    GuideError, GuideSampler, Keypoint, KeypointName, Method, Nonce, NonceError, NonceSource,
    Outcome, Overall, Prompt, QualityIssue, QualityLimits, Rgb, Side, Verdict,
};

const NONCE: &str = "00112233445566778899aabbccddeeff";

fn challenge(nonce: &str) -> Challenge {
    Challenge::plan(Nonce::new(nonce).unwrap(), NonceSource::Relay)
}

#[wasm_bindgen_test(unsupported = test)]
fn nonces_are_checked_and_local_ones_are_32_hex() {
    assert_eq!(Nonce::new("short").unwrap_err(), NonceError::Length(5));
    assert_eq!(
        Nonce::new(&"a".repeat(65)).unwrap_err(),
        NonceError::Length(65)
    );
    assert_eq!(
        Nonce::new("0011223344556677 8899").unwrap_err(),
        NonceError::Character
    );
    assert_eq!(Nonce::local([0xab; 16]).as_str(), "ab".repeat(16));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_challenge_is_a_function_of_its_nonce() {
    assert_eq!(challenge(NONCE), challenge(NONCE));
    let others: Vec<Challenge> = (0..20).map(|i| challenge(&format!("{i:032x}"))).collect();
    let distinct_flashes = others
        .iter()
        .map(|c| {
            format!(
                "{:?}",
                c.steps
                    .iter()
                    .find(|s| matches!(s.prompt, Prompt::Flash { .. }))
            )
        })
        .collect::<std::collections::HashSet<_>>();
    assert!(distinct_flashes.len() >= 18, "{distinct_flashes:?}");
    let orders = others
        .iter()
        .map(|c| {
            format!(
                "{:?}",
                c.steps
                    .iter()
                    .map(|s| CheckKind::of(&s.prompt))
                    .collect::<Vec<_>>()
            )
        })
        .collect::<std::collections::HashSet<_>>();
    assert!(
        orders.len() >= 6,
        "the order and the motion vary: {orders:?}"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_challenge_asks_a_flash_a_blink_and_a_motion_each_with_a_limit() {
    for i in 0..50 {
        let c = challenge(&format!("{i:032x}"));
        assert_eq!(c.steps.len(), 3);
        let kinds: Vec<CheckKind> = c.steps.iter().map(|s| CheckKind::of(&s.prompt)).collect();
        assert!(kinds.contains(&CheckKind::Flash) && kinds.contains(&CheckKind::Blink));
        for step in &c.steps {
            assert!((2_000..=6_000).contains(&step.time_limit_ms), "{step:?}");
            assert!(!step.prompt.text_zh().is_empty());
            if let Prompt::Flash { colours, step_ms } = &step.prompt {
                assert_eq!(colours.len(), 5);
                assert!(colours.windows(2).all(|w| w[0] != w[1]), "{colours:?}");
                assert!(step.time_limit_ms > *step_ms * 5);
            }
        }
    }
    let json = serde_json::to_value(challenge(NONCE)).unwrap();
    assert_eq!(json["nonce"], NONCE);
    assert_eq!(json["nonceSource"], "relay");
    assert!(json["steps"][0]["timeLimitMs"].is_u64(), "{json}");
}

#[wasm_bindgen_test(unsupported = test)]
fn turn_prompts_speak_the_workers_side() {
    assert_eq!(
        Prompt::Turn { side: Side::Left }.text_zh(),
        "请向左转头，再转回来"
    );
    assert_eq!(Rgb([255, 0, 16]).css(), "#ff0010");
}

#[wasm_bindgen_test(unsupported = test)]
fn frames_and_guides_are_checked() {
    let bytes = vec![0u8; 64 * 48 * 4];
    assert!(Frame::new(64, 48, &bytes).is_ok());
    assert_eq!(
        Frame::new(64, 48, &bytes[1..]).unwrap_err(),
        FrameError::Length {
            width: 64,
            height: 48,
            expected: 12_288,
            actual: 12_287
        }
    );
    assert_eq!(
        Frame::new(16, 192, &bytes).unwrap_err(),
        FrameError::Size {
            width: 16,
            height: 192
        }
    );
    assert_eq!(Guide::new(0.5, 0.5, 0.0, 0.4), Err(GuideError::OutOfRange));
    assert_eq!(
        Guide::new(f32::NAN, 0.5, 0.3, 0.4),
        Err(GuideError::OutOfRange)
    );
    assert_eq!(
        Guide::default().in_pixels(640, 480),
        (320.0, 240.0, 144.0, 192.0)
    );
}

/// The features of one rendered 640×480 frame, after `edit`.
fn features_of(scene: Scene, edit: impl FnOnce(&mut [u8])) -> zj_phone::liveness::FrameFeatures {
    let renderer = Renderer::new(640, 480);
    let mut rgba = renderer.buffer();
    renderer.render(&scene, &mut rgba);
    edit(&mut rgba);
    GuideSampler::new(640, 480, Guide::default()).analyse(&Frame::new(640, 480, &rgba).unwrap())
}

#[wasm_bindgen_test(unsupported = test)]
fn a_sharp_well_lit_face_is_good_enough() {
    let features = features_of(Scene::default(), |_| {});
    assert_eq!(
        judge_quality(&features, &QualityLimits::default()),
        None,
        "{features:?}"
    );
    assert!((100.0..200.0).contains(&features.mean_luma), "{features:?}");
}

#[wasm_bindgen_test(unsupported = test)]
fn blur_darkness_and_glare_are_refused_by_name() {
    let limits = QualityLimits::default();
    let blurred = features_of(Scene::default(), |rgba| box_blur(rgba, 640, 480, 3));
    let issue = judge_quality(&blurred, &limits).unwrap();
    assert!(matches!(issue, QualityIssue::Blurred { .. }), "{issue:?}");
    assert_eq!(issue.code(), "blurred");
    assert!(issue.message_zh().contains("模糊"));

    let dark = features_of(
        Scene {
            ambient: 25.0,
            ..Scene::default()
        },
        |_| {},
    );
    let issue = judge_quality(&dark, &limits).unwrap();
    assert!(matches!(issue, QualityIssue::TooDark { .. }), "{issue:?}");
    assert!(issue.message_zh().contains("太暗"));

    let glare = features_of(
        Scene {
            ambient: 700.0,
            ..Scene::default()
        },
        |_| {},
    );
    let issue = judge_quality(&glare, &limits).unwrap();
    assert!(matches!(issue, QualityIssue::TooBright { .. }), "{issue:?}");
    assert!(issue.message_zh().contains("太强"));
    let json = serde_json::to_value(issue).unwrap();
    assert_eq!(json["issue"], "tooBright");
}

#[wasm_bindgen_test(unsupported = test)]
fn the_sampler_follows_a_change_of_frame_size() {
    let mut sampler = GuideSampler::new(640, 480, Guide::default());
    for (w, h) in [(320usize, 240usize), (480, 640), (320, 240)] {
        let renderer = Renderer::new(w, h);
        let mut rgba = renderer.buffer();
        renderer.render(
            &Scene {
                face_x: w as f32 / 2.0 / h as f32,
                ..Scene::default()
            },
            &mut rgba,
        );
        let features = sampler.analyse(&Frame::new(w as u32, h as u32, &rgba).unwrap());
        assert!(features.mean_luma > 80.0, "{w}×{h}: {features:?}");
    }
}

/// A 160×180 face whose keypoints say `yaw_degrees` (nose offset along the eye line), with
/// its box's top-left corner at `(x, y)` and its box scaled by `scale`.
fn face(x: f32, y: f32, scale: f32, yaw_degrees: f32) -> Face {
    let half_span = 40.0 * scale;
    let (cx, eye_y) = (x + 80.0 * scale, y + 60.0 * scale);
    let nose_x = cx + half_span * 0.8 * yaw_degrees.to_radians().tan();
    let points = [
        (cx - half_span, eye_y),
        (cx + half_span, eye_y),
        (nose_x, eye_y + 40.0 * scale),
        (cx, eye_y + 80.0 * scale),
        (x, eye_y + 10.0 * scale),
        (x + 160.0 * scale, eye_y + 10.0 * scale),
    ];
    Face {
        x,
        y,
        width: 160.0 * scale,
        height: 180.0 * scale,
        score: 0.9,
        keypoints: std::array::from_fn(|k| Keypoint {
            name: KeypointName::ALL[k],
            x: points[k].0,
            y: points[k].1,
        }),
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn head_pose_comes_from_the_keypoints() {
    for yaw in [-30.0, -10.0, 0.0, 10.0, 30.0] {
        let measured = face(240.0, 150.0, 1.0, yaw).yaw_degrees();
        assert!((measured - yaw).abs() < 0.01, "{yaw}: {measured}");
    }
    let frontal = face(240.0, 150.0, 1.0, 0.0);
    assert!((frontal.pitch_proxy() - 0.5).abs() < 1e-4);
    // A tilted head is not a turned one: rotate every point by 20° about the box centre.
    let mut tilted = frontal;
    let (cx, cy) = frontal.centre();
    let (sin, cos) = 20f32.to_radians().sin_cos();
    for k in &mut tilted.keypoints {
        let (dx, dy) = (k.x - cx, k.y - cy);
        (k.x, k.y) = (cx + dx * cos - dy * sin, cy + dx * sin + dy * cos);
    }
    assert!(tilted.yaw_degrees().abs() < 0.01);
    assert!((tilted.pitch_proxy() - 0.5).abs() < 1e-4);
}

/// Gives each frame the faces `script(t_ms)`, on a 30 fps clock of its own.
struct Scripted<F: FnMut(f64) -> Vec<Face>> {
    script: F,
    frame: u32,
}

impl<F: FnMut(f64) -> Vec<Face>> FaceSource for Scripted<F> {
    fn faces(&mut self, _frame: &Frame<'_>) -> Option<Vec<Face>> {
        let t = f64::from(self.frame * 33);
        self.frame += 1;
        Some((self.script)(t))
    }
}

/// Runs the first step of a challenge whose first prompt `first` accepts, with faces from
/// `script`, over a plain scene: the check that ended it.
fn first_step(
    first: impl Fn(&Prompt) -> bool,
    script: impl FnMut(f64) -> Vec<Face> + 'static,
) -> zj_phone::liveness::CheckResult {
    let nonce = (0..)
        .map(|i| format!("{i:032x}"))
        .find(|n| first(&challenge(n).steps[0].prompt))
        .unwrap();
    let mut run = ChallengeRun::new(
        challenge(&nonce),
        Guide::default(),
        QualityLimits::default(),
    );
    run.set_face_source(Box::new(Scripted { script, frame: 0 }));
    let renderer = Renderer::new(320, 240);
    let mut rgba = renderer.buffer();
    renderer.render(&Scene::default(), &mut rgba);
    let frame = Frame::new(320, 240, &rgba).unwrap();
    (0..400)
        .find_map(|i| run.push_frame(&frame, f64::from(i * 33)).finished)
        .expect("the first step ended")
}

fn is_turn(side: Side) -> impl Fn(&Prompt) -> bool {
    move |p| *p == Prompt::Turn { side }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_turn_is_measured_on_the_keypoints_the_asked_way() {
    let turn = |t: f64| {
        if (700.0..1_500.0).contains(&t) {
            25.0
        } else {
            0.0
        }
    };
    let left = first_step(is_turn(Side::Left), move |t| {
        vec![face(240.0, 150.0, 1.0, turn(t))]
    });
    assert_eq!(
        (left.method, left.outcome),
        (Method::Keypoints, Outcome::Passed),
        "{left:?}"
    );
    assert!(left.score >= 15.0 && left.face.is_some());
    let wrong_way = first_step(is_turn(Side::Right), move |t| {
        vec![face(240.0, 150.0, 1.0, turn(t))]
    });
    assert_eq!(wrong_way.outcome, Outcome::Failed, "{wrong_way:?}");
    let away = first_step(is_turn(Side::Left), |t| {
        vec![face(240.0, 150.0, 1.0, if t > 700.0 { 25.0 } else { 0.0 })]
    });
    assert_eq!(away.outcome, Outcome::Failed, "never came back: {away:?}");
    assert_eq!(there_and_back([(0.0, 1.0)], 1.0, 300.0), None);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_second_face_or_no_face_ends_the_step() {
    let second = first_step(is_turn(Side::Left), |t| {
        let mut faces = vec![face(240.0, 150.0, 1.0, 0.0)];
        if t > 500.0 {
            faces.push(face(20.0, 20.0, 0.75, 0.0));
        }
        faces
    });
    assert_eq!(
        (second.outcome, second.face_issue),
        (Outcome::Failed, Some(FaceIssue::SecondFace))
    );
    assert_eq!(second.advice_zh(), "请只让本人正对镜头。");

    let gone = first_step(is_turn(Side::Left), |t| {
        if t < 400.0 {
            vec![face(240.0, 150.0, 1.0, 0.0)]
        } else {
            Vec::new()
        }
    });
    assert_eq!(
        (gone.outcome, gone.face_issue),
        (Outcome::Failed, Some(FaceIssue::NoFace))
    );
    assert_eq!(gone.advice_zh(), "请把脸放进框内。");
}

#[wasm_bindgen_test(unsupported = test)]
fn a_small_face_far_behind_does_not_end_the_step() {
    let turn = |t: f64| {
        if (700.0..1_500.0).contains(&t) {
            25.0
        } else {
            0.0
        }
    };
    let queue = first_step(is_turn(Side::Left), move |t| {
        vec![face(240.0, 150.0, 1.0, turn(t)), face(10.0, 10.0, 0.3, 0.0)]
    });
    assert_eq!(
        (queue.outcome, queue.face_issue),
        (Outcome::Passed, None),
        "{queue:?}"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn the_screen_colour_follows_the_flash_schedule() {
    let nonce = (0..)
        .map(|i| format!("{i:032x}"))
        .find(|n| matches!(challenge(n).steps[0].prompt, Prompt::Flash { .. }))
        .unwrap();
    let c = challenge(&nonce);
    let Prompt::Flash { colours, step_ms } = c.steps[0].prompt.clone() else {
        unreachable!()
    };
    let mut run = ChallengeRun::new(c, Guide::default(), QualityLimits::default());
    assert_eq!(
        run.screen_colour(0.0),
        Some(colours[0]),
        "before the first frame"
    );
    let bytes = vec![128u8; 64 * 48 * 4];
    run.push_frame(&Frame::new(64, 48, &bytes).unwrap(), 1_000.0);
    let at = |i: u32| 1_000.0 + f64::from(i * step_ms) + 10.0;
    assert_eq!(run.screen_colour(at(2)), Some(colours[2]));
    assert_eq!(run.screen_colour(at(5)), None, "the sequence is over");
    let progress = run.push_frame(&Frame::new(64, 48, &bytes).unwrap(), 900.0);
    assert_eq!(
        (progress.step, progress.finished),
        (0, None),
        "an older frame is ignored"
    );
}

fn evidence_frame(bytes: usize) -> EvidenceFrame {
    EvidenceFrame {
        t_ms: 1.0,
        width: 160,
        height: 120,
        jpeg: "A".repeat(bytes),
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn evidence_carries_the_challenge_scores_frames_and_a_hash() {
    let c = Challenge::plan(Nonce::local([7; 16]), NonceSource::Local);
    let verdict = Verdict::new(vec![], 3);
    let evidence = Evidence::new(
        c.clone(),
        verdict.clone(),
        CaptureSource::Camera,
        b"jpeg",
        vec![evidence_frame(100); 2],
    )
    .unwrap();
    assert!(evidence.hash_matches());
    let json: serde_json::Value = serde_json::from_str(&evidence.to_json()).unwrap();
    assert_eq!(json["nonceSource"], "local");
    assert_eq!(json["nonce"], "07".repeat(16));
    assert_eq!(json["overall"], "inconclusive");
    assert_eq!(json["capture"], "camera");
    assert_eq!(json["lowerTrust"], false);
    assert_eq!(json["frames"].as_array().unwrap().len(), 2);
    assert_eq!(json["hash"].as_str().unwrap().len(), 64);
    // sha256("jpeg")
    assert_eq!(
        json["photoSha256"],
        "41e5787e9f28562d07b891b1816b492309d646c0f2829743fa4963a9f9cc1d61"
    );

    let mut tampered: Evidence = serde_json::from_value(json).unwrap();
    assert!(tampered.hash_matches(), "JSON round trip keeps the hash");
    tampered.body.overall = Overall::Live;
    assert!(!tampered.hash_matches());

    let fallback = Evidence::new(
        c.clone(),
        verdict.clone(),
        CaptureSource::Wechat,
        b"jpeg",
        vec![],
    )
    .unwrap();
    assert!(fallback.body.lower_trust);
    assert_eq!(
        Evidence::new(
            c.clone(),
            verdict.clone(),
            CaptureSource::Camera,
            b"",
            vec![evidence_frame(1); 4]
        )
        .unwrap_err(),
        EvidenceError::TooManyFrames(4)
    );
    assert_eq!(
        Evidence::new(
            c,
            verdict,
            CaptureSource::Camera,
            b"",
            vec![evidence_frame(1), evidence_frame(40_000)]
        )
        .unwrap_err(),
        EvidenceError::FrameTooLarge {
            index: 1,
            bytes: 40_000
        }
    );
}
