//! Liveness end to end on synthetic frame sequences: a live worker passes, a replayed video and
//! a printed photo fail, a dark room is never called live (pure core; also runs as wasm).

use wasm_bindgen_test::wasm_bindgen_test;

use crate::liveness_common::{play, Subject};
use zj_phone::liveness::{
    Challenge, ChallengeRun, CheckKind, Guide, Method, Nonce, NonceSource, Outcome, Overall,
    Prompt, QualityLimits, Rgb, Verdict,
};

fn run_for(nonce: &str) -> ChallengeRun {
    let challenge = Challenge::plan(Nonce::new(nonce).unwrap(), NonceSource::Relay);
    ChallengeRun::new(challenge, Guide::default(), QualityLimits::default())
}

fn check(verdict: &Verdict, kind: CheckKind) -> &zj_phone::liveness::CheckResult {
    verdict
        .checks
        .iter()
        .find(|c| c.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} check in {verdict:?}"))
}

/// The nonces of these tests draw, between them, every motion prompt.
const NONCES: [&str; 3] = [
    "00112233445566778899aabbccddeeff",
    "0123456789abcdef0123456789abcdef",
    "fedcba9876543210fedcba9876543210",
];

#[wasm_bindgen_test(unsupported = test)]
fn a_live_worker_passes_every_check() {
    let mut kinds = Vec::new();
    for nonce in NONCES {
        let mut run = run_for(nonce);
        let verdict = play(&mut run, &Subject::Live);
        assert_eq!(verdict.overall, Overall::Live, "{nonce}: {verdict:#?}");
        assert_eq!(verdict.checks.len(), 3);
        for c in &verdict.checks {
            assert_eq!(c.outcome, Outcome::Passed, "{c:?}");
            assert!(c.score >= c.pass_score, "{c:?}");
            assert_eq!(c.method, Method::Region);
        }
        let flash = check(&verdict, CheckKind::Flash);
        assert!(flash.score > 0.9, "{flash:?}");
        assert!((50..=200).contains(&flash.lag_ms.unwrap()), "{flash:?}");
        kinds.extend(verdict.checks.iter().map(|c| c.kind));
    }
    for kind in [CheckKind::TurnLeft, CheckKind::TurnRight, CheckKind::Nod] {
        assert!(kinds.contains(&kind), "no nonce drew {kind:?}: {kinds:?}");
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_replay_that_does_not_follow_the_flash_fails() {
    for (nonce, earlier) in NONCES.iter().zip(NONCES.iter().cycle().skip(1)) {
        let Prompt::Flash { colours, .. } =
            Challenge::plan(Nonce::new(earlier).unwrap(), NonceSource::Relay)
                .steps
                .into_iter()
                .find_map(|s| matches!(s.prompt, Prompt::Flash { .. }).then_some(s.prompt))
                .unwrap()
        else {
            unreachable!()
        };
        let mut run = run_for(nonce);
        let verdict = play(&mut run, &Subject::Replay(colours));
        let flash = check(&verdict, CheckKind::Flash);
        assert_eq!(flash.outcome, Outcome::Failed, "{nonce}: {flash:?}");
        assert!(flash.score < 0.6, "{flash:?}");
        assert_eq!(verdict.overall, Overall::NotLive);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_replay_under_steady_light_fails_the_flash() {
    let mut run = run_for(NONCES[0]);
    let verdict = play(&mut run, &Subject::Replay(vec![Rgb([0, 0, 0])]));
    assert_eq!(check(&verdict, CheckKind::Flash).outcome, Outcome::Failed);
    assert_eq!(verdict.overall, Overall::NotLive);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_printed_photo_fails_the_blink_and_the_motion() {
    let mut run = run_for(NONCES[1]);
    let verdict = play(&mut run, &Subject::Photo);
    let blink = check(&verdict, CheckKind::Blink);
    assert_eq!(blink.outcome, Outcome::Failed, "{blink:?}");
    assert!(blink.score < blink.pass_score);
    let motion = verdict
        .checks
        .iter()
        .find(|c| !matches!(c.kind, CheckKind::Flash | CheckKind::Blink))
        .unwrap();
    assert_eq!(motion.outcome, Outcome::Failed, "{motion:?}");
    assert_eq!(verdict.overall, Overall::NotLive);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_worker_in_the_dark_is_not_measured_and_not_called_live() {
    let mut run = run_for(NONCES[2]);
    let verdict = play(&mut run, &Subject::InTheDark);
    assert_eq!(verdict.overall, Overall::Inconclusive, "{verdict:#?}");
    assert!(verdict
        .checks
        .iter()
        .all(|c| c.outcome == Outcome::NotMeasured && c.frames == 0));
}
