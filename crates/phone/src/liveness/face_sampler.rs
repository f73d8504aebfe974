//! What one frame shows of the detected face: the colour of its skin and of the background
//! (for the flash), and how much its eye patches changed since the previous frame compared with
//! the rest of the face (for the blink). The grid follows the face box, so a head that moves a
//! little does not look like a blink.

use super::faces::{Face, KeypointName};
use super::frame::Frame;
use super::sampler::keep_largest;

/// Grid cells across and down the face box.
const GRID: usize = 8;
/// Motion is the mean of this many largest cell changes (a blink is a few cells wide).
const TOP_CELLS: usize = 2;
/// The background is sampled every this many pixels each way.
const BACKGROUND_STEP: usize = 4;
/// The background excludes the face box grown by this factor (hair, neck, shoulders).
const BACKGROUND_MARGIN: f32 = 1.4;

/// What a frame shows of its face.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FaceFeatures {
    /// Mean colour of the skin between the eyes and the mouth, 0..=255 per channel.
    pub skin_rgb: [f32; 3],
    /// Mean colour of the frame away from the face, 0..=255 per channel.
    pub background_rgb: [f32; 3],
    /// Change of the eye patches since the previous frame: mean of the largest two cell
    /// changes of the cells holding the eyes, grey levels (0 on the first frame).
    pub eye_motion: f32,
    /// The same for the rest of the face box.
    pub rest_motion: f32,
}

/// Samples face boxes frame after frame; see the module doc.
#[derive(Debug, Clone, Default)]
pub struct FaceSampler {
    /// The previous frame's face and its cell lumas on that face's grid.
    previous: Option<(Face, [f32; GRID * GRID])>,
}

impl FaceSampler {
    /// Forgets the previous frame (a step began, or the face was lost).
    pub fn reset(&mut self) {
        self.previous = None;
    }

    /// Measures `face` in `frame`.
    pub fn analyse(&mut self, frame: &Frame<'_>, face: &Face) -> FaceFeatures {
        let (eye_motion, rest_motion) = match &self.previous {
            // Both frames on the previous face's grid, so the detector's jitter is no motion.
            Some((before_face, before)) => {
                let now = cell_lumas(frame, before_face);
                let eye_cells = eye_cells(before_face);
                let mut eye = [0f32; TOP_CELLS];
                let mut rest = [0f32; TOP_CELLS];
                for (i, (&now, &before)) in now.iter().zip(before).enumerate() {
                    let top = if eye_cells.contains(&i) {
                        &mut eye
                    } else {
                        &mut rest
                    };
                    keep_largest(top, (now - before).abs());
                }
                let mean = |top: [f32; TOP_CELLS]| top.iter().sum::<f32>() / TOP_CELLS as f32;
                (mean(eye), mean(rest))
            }
            None => (0.0, 0.0),
        };
        self.previous = Some((*face, cell_lumas(frame, face)));
        FaceFeatures {
            skin_rgb: skin_rgb(frame, face),
            background_rgb: background_rgb(frame, face),
            eye_motion,
            rest_motion,
        }
    }
}

/// Pixel rectangle `[x0, x1) × [y0, y1)` clamped to the frame.
fn clamp_rect(frame: &Frame<'_>, x0: f32, y0: f32, x1: f32, y1: f32) -> [usize; 4] {
    let clamp = |v: f32, max: u32| (v.max(0.0) as usize).min(max as usize);
    [
        clamp(x0, frame.width()),
        clamp(y0, frame.height()),
        clamp(x1, frame.width()),
        clamp(y1, frame.height()),
    ]
}

/// Mean colour of the pixels of `rect` (every `step`-th each way) for which `keep(x, y)`.
fn mean_rgb(
    frame: &Frame<'_>,
    [x0, y0, x1, y1]: [usize; 4],
    step: usize,
    keep: impl Fn(usize, usize) -> bool,
) -> [f32; 3] {
    let (mut sum, mut n) = ([0u64; 3], 0u64);
    let stride = frame.width() as usize * 4;
    for y in (y0..y1).step_by(step) {
        for x in (x0..x1).step_by(step).filter(|&x| keep(x, y)) {
            let px = &frame.rgba()[y * stride + x * 4..][..3];
            for (s, &v) in sum.iter_mut().zip(px) {
                *s += u64::from(v);
            }
            n += 1;
        }
    }
    sum.map(|s| if n == 0 { 0.0 } else { s as f32 / n as f32 })
}

/// The skin patch: across the eyes' span, from just under the eyes to the mouth.
fn skin_rgb(frame: &Frame<'_>, face: &Face) -> [f32; 3] {
    let (rx, ry) = face.point(KeypointName::RightEye);
    let (lx, ly) = face.point(KeypointName::LeftEye);
    let (_, my) = face.point(KeypointName::MouthCenter);
    let eye_y = (ry + ly) / 2.0;
    let (left, right) = (rx.min(lx), rx.max(lx));
    let top = eye_y + (my - eye_y) * 0.25;
    let rect = clamp_rect(frame, left, top, right, my);
    mean_rgb(frame, rect, 2, |_, _| true)
}

/// Everything outside the grown face box.
fn background_rgb(frame: &Frame<'_>, face: &Face) -> [f32; 3] {
    let (cx, cy) = face.centre();
    let (hw, hh) = (
        face.width * BACKGROUND_MARGIN / 2.0,
        face.height * BACKGROUND_MARGIN / 2.0,
    );
    let (fx0, fy0, fx1, fy1) = (cx - hw, cy - hh, cx + hw, cy + hh);
    let whole = [0, 0, frame.width() as usize, frame.height() as usize];
    mean_rgb(frame, whole, BACKGROUND_STEP, |x, y| {
        let (x, y) = (x as f32, y as f32);
        x < fx0 || x >= fx1 || y < fy0 || y >= fy1
    })
}

/// Mean luma of each cell of the face box's grid (every second pixel).
fn cell_lumas(frame: &Frame<'_>, face: &Face) -> [f32; GRID * GRID] {
    let mut cells = [0f32; GRID * GRID];
    let (cw, ch) = (face.width / GRID as f32, face.height / GRID as f32);
    for (i, cell) in cells.iter_mut().enumerate() {
        let (gx, gy) = ((i % GRID) as f32, (i / GRID) as f32);
        let x0 = face.x + gx * cw;
        let y0 = face.y + gy * ch;
        let rect = clamp_rect(frame, x0, y0, x0 + cw, y0 + ch);
        let [r, g, b] = mean_rgb(frame, rect, 2, |_, _| true);
        *cell = 0.299 * r + 0.587 * g + 0.114 * b;
    }
    cells
}

/// The cells holding each eye keypoint and their left and right neighbours.
fn eye_cells(face: &Face) -> Vec<usize> {
    let mut cells = Vec::with_capacity(6);
    for eye in [KeypointName::RightEye, KeypointName::LeftEye] {
        let (x, y) = face.point(eye);
        let gx = ((x - face.x) / face.width * GRID as f32).floor();
        let gy = ((y - face.y) / face.height * GRID as f32).floor();
        if !(0.0..GRID as f32).contains(&gy) {
            continue;
        }
        for dx in [-1.0, 0.0, 1.0] {
            let cx = gx + dx;
            if (0.0..GRID as f32).contains(&cx) {
                cells.push(gy as usize * GRID + cx as usize);
            }
        }
    }
    cells
}
