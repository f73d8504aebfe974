//! What the worker is asked to do: a random sequence of prompts drawn from the nonce.

use serde::{Deserialize, Serialize};

use super::nonce::{Nonce, NonceSource};
use super::rng::SplitMix64;

/// A screen colour, 8 bits per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rgb(pub [u8; 3]);

impl Rgb {
    /// CSS form, e.g. `#ff0000`.
    pub fn css(self) -> String {
        let [r, g, b] = self.0;
        format!("#{r:02x}{g:02x}{b:02x}")
    }

    /// Chromaticity: each channel's share of the sum (all zero for black).
    pub(crate) fn chromaticity(self) -> [f32; 3] {
        chromaticity(self.0.map(f32::from))
    }
}

/// Each channel's share of `r + g + b` (all zero when the sum is zero).
pub(crate) fn chromaticity(rgb: [f32; 3]) -> [f32; 3] {
    let sum = rgb[0] + rgb[1] + rgb[2];
    if sum <= 0.0 {
        return [0.0; 3];
    }
    rgb.map(|c| c / sum)
}

/// Which way to turn, as the worker sees it (their own left or right).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Side {
    /// The worker's left. In the camera's (unmirrored) frame the face moves towards +x.
    Left,
    /// The worker's right: towards −x in the camera's frame.
    Right,
}

/// One thing the worker is asked to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Prompt {
    /// Look at the screen while it shows `colours`, each for `step_ms` milliseconds.
    #[serde(rename_all = "camelCase")]
    Flash {
        /// The colours in order.
        colours: Vec<Rgb>,
        /// How long each colour is shown, in milliseconds.
        step_ms: u32,
    },
    /// Blink once.
    Blink,
    /// Turn the head to `side` and back.
    Turn {
        /// The worker's own left or right.
        side: Side,
    },
    /// Nod: head down and back up.
    Nod,
}

impl Prompt {
    /// The instruction shown (and spoken) to the worker.
    pub fn text_zh(&self) -> &'static str {
        match self {
            Prompt::Flash { .. } => "请正对屏幕，保持不动",
            Prompt::Blink => "请眨一下眼",
            Prompt::Turn { side: Side::Left } => "请向左转头，再转回来",
            Prompt::Turn { side: Side::Right } => "请向右转头，再转回来",
            Prompt::Nod => "请点一下头",
        }
    }
}

/// A prompt and how long the worker has to meet it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// What to do.
    pub prompt: Prompt,
    /// Time allowed from the step's first frame, in milliseconds.
    pub time_limit_ms: u32,
}

/// The whole challenge: the nonce it was drawn from and its steps in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Challenge {
    /// The seed.
    pub nonce: Nonce,
    /// Who made the nonce.
    pub nonce_source: NonceSource,
    /// The prompts in the order asked.
    pub steps: Vec<Step>,
}

/// Screen colours with distinct chromaticities (red, green, blue, yellow, magenta, cyan).
const PALETTE: [Rgb; 6] = [
    Rgb([255, 0, 0]),
    Rgb([0, 255, 0]),
    Rgb([0, 0, 255]),
    Rgb([255, 255, 0]),
    Rgb([255, 0, 255]),
    Rgb([0, 255, 255]),
];
/// Colours per flash sequence.
const FLASH_COLOURS: usize = 5;
/// Each colour's duration, milliseconds: long enough for a 15 fps camera to see it twice.
const FLASH_STEP_MS: u32 = 500;
/// Time beyond the flash sequence for display and camera latency, milliseconds.
pub(crate) const FLASH_GRACE_MS: u32 = 800;
/// Time allowed for a blink, milliseconds.
const BLINK_LIMIT_MS: u32 = 5_000;
/// Time allowed for a turn or a nod, milliseconds.
const MOTION_LIMIT_MS: u32 = 6_000;

impl Challenge {
    /// Draws the challenge for `nonce`: a colour flash, a blink and one of turn left, turn right
    /// or nod, in a random order. The same nonce always gives the same challenge.
    pub fn plan(nonce: Nonce, nonce_source: NonceSource) -> Self {
        let mut rng = SplitMix64::from_seed_text(nonce.as_str());
        let colours = flash_colours(&mut rng);
        let motion = match rng.below(3) {
            0 => Prompt::Turn { side: Side::Left },
            1 => Prompt::Turn { side: Side::Right },
            _ => Prompt::Nod,
        };
        let mut steps = vec![
            Step {
                time_limit_ms: FLASH_STEP_MS * FLASH_COLOURS as u32 + FLASH_GRACE_MS,
                prompt: Prompt::Flash {
                    colours,
                    step_ms: FLASH_STEP_MS,
                },
            },
            Step {
                prompt: Prompt::Blink,
                time_limit_ms: BLINK_LIMIT_MS,
            },
            Step {
                prompt: motion,
                time_limit_ms: MOTION_LIMIT_MS,
            },
        ];
        // Fisher–Yates.
        for i in (1..steps.len()).rev() {
            steps.swap(i, rng.below(i + 1));
        }
        Self {
            nonce,
            nonce_source,
            steps,
        }
    }
}

/// `FLASH_COLOURS` colours, no colour twice in a row, at least three different ones.
fn flash_colours(rng: &mut SplitMix64) -> Vec<Rgb> {
    loop {
        let mut colours: Vec<Rgb> = Vec::with_capacity(FLASH_COLOURS);
        while colours.len() < FLASH_COLOURS {
            let next = PALETTE[rng.below(PALETTE.len())];
            if colours.last() != Some(&next) {
                colours.push(next);
            }
        }
        let distinct = PALETTE.iter().filter(|p| colours.contains(p)).count();
        if distinct >= 3 {
            return colours;
        }
    }
}
