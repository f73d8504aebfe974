//! Colour flash: does the face's colour follow the screen's colours in time?
//!
//! The screen lights the face; its chromaticity (each channel's share of r + g + b) moves towards
//! the screen colour's. The score is the Pearson correlation between the face's chromaticity and
//! the screen colour's, at the best delay within 0..=600 ms (display and camera latency).

use super::challenge::{chromaticity, Rgb};

/// Largest delay tried between the screen and the camera, milliseconds.
const MAX_LAG_MS: u32 = 600;
/// Delay step, milliseconds (about one frame at 30 fps).
const LAG_STEP_MS: usize = 33;
/// Fewest frames a correlation is computed from.
const MIN_PAIRS: u32 = 8;
/// Correlation at or above which the face followed the colours.
pub(crate) const PASS_CORRELATION: f32 = 0.6;

/// How well the face followed the flash.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FlashScore {
    /// Pearson correlation at the best delay, −1..=1 (0 when not computable).
    pub correlation: f32,
    /// That delay, milliseconds.
    pub lag_ms: u32,
    /// Standard deviation of the face's chromaticity at that delay (0..=1).
    pub response: f32,
    /// Frames the correlation was computed from.
    pub frames: u32,
}

impl FlashScore {
    /// Smallest response (standard deviation of the chromaticity) that counts as a response:
    /// below it the screen did not visibly light the face (too much ambient light, or a replay).
    pub const MIN_RESPONSE: f32 = 0.002;

    /// Whether the face followed: correlation ≥ 0.6 with a visible response.
    pub fn passed(&self) -> bool {
        self.correlation >= PASS_CORRELATION && self.response >= Self::MIN_RESPONSE
    }
}

/// Scores `observed` colours (`(ms since the flash began, mean RGB 0..=255)`) against
/// `colours` shown `step_ms` each.
pub fn flash_score(colours: &[Rgb], step_ms: u32, observed: &[(f64, [f32; 3])]) -> FlashScore {
    let expected: Vec<[f32; 3]> = colours.iter().map(|c| c.chromaticity()).collect();
    let expected = expected.as_slice();
    let mut best = FlashScore::default();
    for lag in (0..=MAX_LAG_MS).step_by(LAG_STEP_MS) {
        let pairs = move || {
            observed.iter().filter_map(move |&(t_ms, rgb)| {
                let shown = (t_ms - f64::from(lag)) / f64::from(step_ms.max(1));
                let index = shown.floor();
                (index >= 0.0 && (index as usize) < expected.len())
                    .then(|| (chromaticity(rgb), expected[index as usize]))
            })
        };
        let (mut n, mut mean_o, mut mean_e) = (0u32, [0f32; 3], [0f32; 3]);
        for (o, e) in pairs() {
            n += 1;
            for c in 0..3 {
                mean_o[c] += o[c];
                mean_e[c] += e[c];
            }
        }
        if n < MIN_PAIRS {
            continue;
        }
        let (mean_o, mean_e) = (mean_o.map(|v| v / n as f32), mean_e.map(|v| v / n as f32));
        let (mut cov, mut var_o, mut var_e) = (0f32, 0f32, 0f32);
        for (o, e) in pairs() {
            for c in 0..3 {
                let (do_, de) = (o[c] - mean_o[c], e[c] - mean_e[c]);
                cov += do_ * de;
                var_o += do_ * do_;
                var_e += de * de;
            }
        }
        if var_o <= 0.0 || var_e <= 0.0 {
            continue;
        }
        let correlation = cov / (var_o * var_e).sqrt();
        if best.frames == 0 || correlation > best.correlation {
            best = FlashScore {
                correlation,
                lag_ms: lag,
                response: (var_o / (3 * n) as f32).sqrt(),
                frames: n,
            };
        }
    }
    best
}
