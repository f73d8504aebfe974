//! Liveness building blocks: nonces, challenge planning, frames and guides, quality refusals,
//! landmark checks on synthetic tracks, and the evidence (pure core; also runs as wasm).

use wasm_bindgen_test::wasm_bindgen_test;

use crate::liveness_common::scene::{box_blur, Renderer, Scene};
use zj_phone::liveness::{
    eye_aspect_ratio, judge_quality, landmark_blink, landmark_turn, there_and_back, yaw_proxy,
    CaptureSource, Challenge, ChallengeRun, CheckKind, Evidence, EvidenceError, EvidenceFrame,
    FaceLandmarks, Frame, FrameError, Guide, GuideError, GuideSampler, LandmarkSource, Method,
    Nonce, NonceError, NonceSource, Outcome, Overall, Point, Prompt, QualityIssue, QualityLimits,
    Rgb, Side, Verdict,
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

/// An open eye 30 px wide with aspect ratio `ear`, its outer corner at `(x, y)`.
fn eye(x: f32, y: f32, ear: f32) -> [Point; 6] {
    let h = ear * 30.0 / 2.0;
    let p = |x, y| Point { x, y };
    [
        p(x, y),
        p(x + 10.0, y - h),
        p(x + 20.0, y - h),
        p(x + 30.0, y),
        p(x + 20.0, y + h),
        p(x + 10.0, y + h),
    ]
}

/// A face with both eyes at `ear` and the nose at `yaw` (−0.5..=0.5) between edges 200 px apart.
fn face(ear: f32, yaw: f32) -> FaceLandmarks {
    FaceLandmarks {
        eyes: [eye(250.0, 200.0, ear), eye(360.0, 200.0, ear)],
        nose_tip: Point {
            x: 320.0 + 200.0 * yaw,
            y: 260.0,
        },
        face_left: Point { x: 220.0, y: 200.0 },
        face_right: Point { x: 420.0, y: 200.0 },
    }
}

/// A 30 fps track of `faces(t_ms)` over `ms`.
fn track(ms: u32, faces: impl Fn(f64) -> FaceLandmarks) -> Vec<(f64, FaceLandmarks)> {
    (0..ms / 33)
        .map(|i| f64::from(i * 33))
        .map(|t| (t, faces(t)))
        .collect()
}

fn refs(track: &[(f64, FaceLandmarks)]) -> impl Iterator<Item = (f64, &FaceLandmarks)> {
    track.iter().map(|(t, f)| (*t, f))
}

#[wasm_bindgen_test(unsupported = test)]
fn eye_aspect_ratio_and_yaw_proxy_measure_synthetic_faces() {
    assert!((eye_aspect_ratio(&eye(0.0, 0.0, 0.3)) - 0.3).abs() < 1e-6);
    assert_eq!(eye_aspect_ratio(&[Point::default(); 6]), 0.0);
    assert!((yaw_proxy(&face(0.3, 0.2)) - 0.2).abs() < 1e-6);
    let mut flat = face(0.3, 0.0);
    flat.face_right = flat.face_left;
    assert_eq!(yaw_proxy(&flat), 0.0);
}

#[wasm_bindgen_test(unsupported = test)]
fn landmark_blink_needs_the_eyes_to_close_and_open() {
    let blink = track(2_000, |t| {
        face(
            if (800.0..950.0).contains(&t) {
                0.08
            } else {
                0.3
            },
            0.0,
        )
    });
    let e = landmark_blink(refs(&blink));
    assert!(
        e.returned && (e.peak - (1.0 - 0.08 / 0.3)).abs() < 1e-3,
        "{e:?}"
    );

    let open = track(2_000, |_| face(0.3, 0.0));
    assert_eq!(landmark_blink(refs(&open)).peak, 0.0);

    let closing = track(2_000, |t| face(if t > 800.0 { 0.08 } else { 0.3 }, 0.0));
    assert!(!landmark_blink(refs(&closing)).returned);
}

#[wasm_bindgen_test(unsupported = test)]
fn landmark_turn_needs_the_asked_side_and_the_way_back() {
    let left = track(3_000, |t| {
        face(
            0.3,
            if (700.0..1_500.0).contains(&t) {
                0.2
            } else {
                0.0
            },
        )
    });
    let e = landmark_turn(refs(&left), 1.0);
    assert!(e.returned && (e.peak - 0.2).abs() < 1e-6, "{e:?}");
    assert_eq!(landmark_turn(refs(&left), -1.0).peak, 0.0, "the wrong side");
    let away = track(3_000, |t| face(0.3, if t > 700.0 { 0.2 } else { 0.0 }));
    assert!(!landmark_turn(refs(&away), 1.0).returned);
    assert_eq!(there_and_back([(0.0, 1.0)], 1.0, 300.0), None);
}

/// Replays a landmark track, one face per frame in order.
struct Track(std::vec::IntoIter<(f64, FaceLandmarks)>);

impl LandmarkSource for Track {
    fn landmarks(&mut self, _frame: &Frame<'_>, _t_ms: f64) -> Option<FaceLandmarks> {
        self.0.next().map(|(_, face)| face)
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_run_with_landmarks_decides_the_blink_by_them() {
    let nonce = (0..)
        .map(|i| format!("{i:032x}"))
        .find(|n| matches!(challenge(n).steps[0].prompt, Prompt::Blink))
        .unwrap();
    let mut run = ChallengeRun::new(
        challenge(&nonce),
        Guide::default(),
        QualityLimits::default(),
    );
    let blink = track(2_000, |t| {
        face(
            if (800.0..950.0).contains(&t) {
                0.08
            } else {
                0.3
            },
            0.0,
        )
    });
    run.set_landmark_source(Box::new(Track(blink.into_iter())));
    let renderer = Renderer::new(320, 240);
    let mut rgba = renderer.buffer();
    renderer.render(&Scene::default(), &mut rgba);
    let frame = Frame::new(320, 240, &rgba).unwrap();
    let mut finished = None;
    for i in 0..60 {
        finished = finished.or(run.push_frame(&frame, f64::from(i * 33)).finished);
    }
    let result = finished.expect("the blink step ended");
    assert_eq!(
        (result.kind, result.method, result.outcome),
        (CheckKind::Blink, Method::Landmarks, Outcome::Passed)
    );
    assert_eq!(
        run.verdict().overall,
        Overall::Inconclusive,
        "two steps not run"
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
