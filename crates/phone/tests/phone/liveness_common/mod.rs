//! Helpers of the liveness tests: synthetic scenes and subjects who answer a challenge (a live
//! worker, a printed photo, a replayed video, a worker in the dark).
#![allow(dead_code)] // Each test file uses a part.

pub mod scene;

use scene::{Renderer, Scene};
use zj_phone::liveness::{ChallengeRun, Frame, Prompt, Rgb, Side, Verdict};

/// Time between frames, milliseconds (20 fps).
pub const FRAME_MS: f64 = 50.0;
/// Frame size of the simulated camera: small, so debug-built tests stay quick (the analysis
/// scales with the frame).
pub const SIZE: (usize, usize) = (320, 240);
/// Delay from the page setting a colour to the camera seeing it, milliseconds.
const SCREEN_DELAY_MS: f64 = 100.0;

/// Who is in front of the camera.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A worker who does as asked.
    Live,
    /// A printed photo held up: lit by the screen, shaking a pixel, never blinking or turning.
    Photo,
    /// A video recorded during an earlier challenge: its own colours (`colours`, 500 ms each),
    /// a blink every 2 s, no turns.
    Replay(Vec<Rgb>),
    /// A worker who does as asked in a dark room.
    InTheDark,
}

/// 0 → 1 → 0 over a step: still for 500 ms, moving for 400, held for 200, back in 400.
fn excursion(step_ms: f64) -> f32 {
    let ramp = |from: f64| ((step_ms - from) / 400.0).clamp(0.0, 1.0) as f32;
    ramp(500.0) - ramp(1100.0)
}

/// What `subject` shows at `t_ms` of the run, `step_ms` into the current step.
fn scene(subject: &Subject, run: &ChallengeRun, t_ms: f64, step_ms: f64) -> Scene {
    let mut scene = Scene {
        noise_seed: t_ms as u32,
        ..Scene::default()
    };
    let lit = |colour: Option<Rgb>| colour.map_or([0.0; 3], |c| c.0.map(f32::from));
    match subject {
        Subject::Live | Subject::InTheDark => {
            scene.screen = lit(run.screen_colour(t_ms - SCREEN_DELAY_MS));
            let amount = excursion(step_ms);
            match run.current_step().map(|s| &s.prompt) {
                Some(Prompt::Blink) => scene.eyes_closed = (600.0..750.0).contains(&step_ms),
                Some(Prompt::Turn { side: Side::Left }) => scene.face_x += 0.08 * amount,
                Some(Prompt::Turn { side: Side::Right }) => scene.face_x -= 0.08 * amount,
                Some(Prompt::Nod) => scene.face_y += 0.06 * amount,
                _ => {}
            }
            if matches!(subject, Subject::InTheDark) {
                scene.ambient = 25.0;
            }
        }
        Subject::Photo => {
            scene.screen = lit(run.screen_colour(t_ms - SCREEN_DELAY_MS));
            // ±1 pixel at 240 px high.
            let shake = |k: u32| (((t_ms as u32 / 50 * 7 + k) % 3) as f32 - 1.0) / 240.0;
            scene.face_x += shake(0);
            scene.face_y += shake(1);
        }
        Subject::Replay(colours) => {
            scene.screen = lit(Some(colours[(t_ms / 500.0) as usize % colours.len()]));
            scene.eyes_closed = (600.0..750.0).contains(&(t_ms % 2000.0));
        }
    }
    scene
}

/// Plays `subject` to `run` at 20 fps until the run is done (at most 60 s) and returns the
/// verdict.
pub fn play(run: &mut ChallengeRun, subject: &Subject) -> Verdict {
    let renderer = Renderer::new(SIZE.0, SIZE.1);
    let (width, height) = renderer.size();
    let mut rgba = renderer.buffer();
    let (mut t, mut step, mut step_start) = (1_000.0, 0, 1_000.0);
    while !run.is_done() && t < 61_000.0 {
        renderer.render(&scene(subject, run, t, t - step_start), &mut rgba);
        let frame = Frame::new(width, height, &rgba).expect("a valid frame");
        let progress = run.push_frame(&frame, t);
        if progress.step != step {
            (step, step_start) = (progress.step, t);
        }
        t += FRAME_MS;
    }
    run.verdict()
}
