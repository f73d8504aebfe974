//! One pass over the guide oval of a frame: a coarse grid of cell means (for colour, motion and
//! mass), and the luma statistics the quality checks need. Buffers are made once per frame size
//! and reused, so analysing a frame allocates nothing.

use super::frame::{Frame, Guide};

/// Grid cells across the guide's bounding box.
const GRID_W: usize = 24;
/// Grid cells down the guide's bounding box.
const GRID_H: usize = 32;
/// The eye band, in the oval's vertical coordinate (−1 top, +1 bottom): where the eyes are when
/// the face fills the guide.
const EYE_BAND: std::ops::Range<f32> = -0.45..0.0;
/// Motion is the mean of this many largest cell changes: a blink is local, a few cells wide.
const TOP_CELLS: usize = 3;
/// Sum of a 2×2 block's luma at or above which it counts as clipped (mean ≥ 250).
const CLIPPED_BLOCK: u16 = 4 * 250;

/// What one frame shows inside the guide.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FrameFeatures {
    /// Mean colour inside the oval, 0..=255 per channel.
    pub mean_rgb: [f32; 3],
    /// Mean luma (BT.601) inside the oval, 0..=255.
    pub mean_luma: f32,
    /// Share of the oval (in 2×2 blocks) with mean luma ≥ 250, 0..=1.
    pub clipped_fraction: f32,
    /// Variance of the 4-neighbour Laplacian of luma inside the oval, at half resolution (2×2
    /// means, which halves sensor noise without losing a face's detail), grey levels²: low is
    /// blurred.
    pub laplacian_variance: f32,
    /// Change in the eye band since the previous frame: mean of the largest three cell changes,
    /// grey levels (0 on the first frame).
    pub eye_motion: f32,
    /// The same for the rest of the oval.
    pub rest_motion: f32,
    /// Centroid of the brighter-than-average mass of the guide's bounding box, −1..=1 each way
    /// (x to the right, y down, in the camera's unmirrored frame).
    pub centroid: [f32; 2],
}

/// Where a grid cell lies.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Zone {
    Outside,
    EyeBand,
    Rest,
}

/// Samples frames of one size through one guide; see the module doc.
#[derive(Debug, Clone)]
pub struct GuideSampler {
    width: u32,
    height: u32,
    guide: Guide,
    /// The guide's bounding box in frame pixels.
    x0: usize,
    y0: usize,
    box_w: usize,
    box_h: usize,
    /// Grid column of each box column, grid row of each box row.
    col_cell: Vec<u16>,
    row_cell: Vec<u16>,
    /// The oval's columns `start..end` on each box row (box coordinates).
    row_span: Vec<(u32, u32)>,
    cell_pixels: Vec<u32>,
    cell_zone: Vec<Zone>,
    cell_x: Vec<f32>,
    cell_y: Vec<f32>,
    /// Per-frame scratch: sums of r, g, b, luma per cell; luma sums of the box's 2×2 blocks
    /// (`half_w` per row); cell means now and before.
    sums: Vec<[u32; 4]>,
    half: Vec<u16>,
    half_w: usize,
    cells: Vec<f32>,
    previous: Vec<f32>,
    has_previous: bool,
}

impl GuideSampler {
    /// A sampler for `width × height` frames (sizes as [`Frame::new`] accepts) and `guide`.
    pub fn new(width: u32, height: u32, guide: Guide) -> Self {
        let (cx, cy, rx, ry) = guide.in_pixels(width, height);
        let clamp = |v: f32, max: u32| (v.max(0.0) as usize).min(max as usize);
        let (x0, x1) = (
            clamp((cx - rx).floor(), width),
            clamp((cx + rx).ceil(), width),
        );
        let (y0, y1) = (
            clamp((cy - ry).floor(), height),
            clamp((cy + ry).ceil(), height),
        );
        let (box_w, box_h) = ((x1 - x0).max(1), (y1 - y0).max(1));
        let (x0, y0) = (
            x0.min(width as usize - box_w),
            y0.min(height as usize - box_h),
        );
        let col_cell = (0..box_w).map(|x| (x * GRID_W / box_w) as u16).collect();
        let row_cell = (0..box_h).map(|y| (y * GRID_H / box_h) as u16).collect();
        let row_span = (0..box_h)
            .map(|y| {
                let dy = ((y0 + y) as f32 + 0.5 - cy) / ry;
                let half = rx * (1.0 - dy * dy).max(0.0).sqrt();
                let start = clamp(cx - half - x0 as f32, box_w as u32);
                let end = clamp(cx + half - x0 as f32, box_w as u32);
                (start as u32, end as u32)
            })
            .collect();
        let mut sampler = Self {
            width,
            height,
            guide,
            x0,
            y0,
            box_w,
            box_h,
            col_cell,
            row_cell,
            row_span,
            cell_pixels: vec![0; GRID_W * GRID_H],
            cell_zone: Vec::with_capacity(GRID_W * GRID_H),
            cell_x: Vec::with_capacity(GRID_W * GRID_H),
            cell_y: Vec::with_capacity(GRID_W * GRID_H),
            sums: vec![[0; 4]; GRID_W * GRID_H],
            half: vec![0; box_w.div_ceil(2) * box_h.div_ceil(2)],
            half_w: box_w.div_ceil(2),
            cells: vec![0.0; GRID_W * GRID_H],
            previous: vec![0.0; GRID_W * GRID_H],
            has_previous: false,
        };
        for &row in &sampler.row_cell {
            for &col in &sampler.col_cell {
                sampler.cell_pixels[usize::from(row) * GRID_W + usize::from(col)] += 1;
            }
        }
        for i in 0..GRID_W * GRID_H {
            // Cell centre in the box as −1..=1, then in the oval's coordinates.
            let bx = ((i % GRID_W) as f32 + 0.5) / GRID_W as f32 * 2.0 - 1.0;
            let by = ((i / GRID_W) as f32 + 0.5) / GRID_H as f32 * 2.0 - 1.0;
            let u = (x0 as f32 + (bx + 1.0) / 2.0 * box_w as f32 - cx) / rx;
            let v = (y0 as f32 + (by + 1.0) / 2.0 * box_h as f32 - cy) / ry;
            let zone = if sampler.cell_pixels[i] == 0 || u * u + v * v > 1.0 {
                Zone::Outside
            } else if EYE_BAND.contains(&v) {
                Zone::EyeBand
            } else {
                Zone::Rest
            };
            sampler.cell_zone.push(zone);
            sampler.cell_x.push(bx);
            sampler.cell_y.push(by);
        }
        sampler
    }

    /// Analyses one frame. A frame of another size than the last rebuilds the sampler (and
    /// reports no motion); otherwise nothing is allocated.
    pub fn analyse(&mut self, frame: &Frame<'_>) -> FrameFeatures {
        if (frame.width(), frame.height()) != (self.width, self.height) {
            *self = Self::new(frame.width(), frame.height(), self.guide);
        }
        self.accumulate(frame);
        let (laplacian_variance, clipped_fraction) = self.laplacian_and_clipping();
        let (mean_rgb, mean_luma) = self.oval_means();
        let (eye_motion, rest_motion) = self.motion();
        let centroid = self.centroid();
        std::mem::swap(&mut self.cells, &mut self.previous);
        self.has_previous = true;
        FrameFeatures {
            mean_rgb,
            mean_luma,
            clipped_fraction,
            laplacian_variance,
            eye_motion,
            rest_motion,
            centroid,
        }
    }

    /// Block luma and per-cell sums, then cell luma means into `cells`.
    fn accumulate(&mut self, frame: &Frame<'_>) {
        self.sums.fill([0; 4]);
        self.half.fill(0);
        let stride = self.width as usize * 4;
        let rgba = frame.rgba();
        for y in 0..self.box_h {
            let start = (self.y0 + y) * stride + self.x0 * 4;
            let pixels = &rgba[start..start + self.box_w * 4];
            let base = usize::from(self.row_cell[y]) * GRID_W;
            let half_row = &mut self.half[(y / 2) * self.half_w..(y / 2 + 1) * self.half_w];
            for (x, (px, &col)) in pixels.chunks_exact(4).zip(&self.col_cell).enumerate() {
                let (r, g, b) = (u32::from(px[0]), u32::from(px[1]), u32::from(px[2]));
                let luma = (77 * r + 150 * g + 29 * b) >> 8;
                half_row[x / 2] += luma as u16;
                let sum = &mut self.sums[base + usize::from(col)];
                sum[0] += r;
                sum[1] += g;
                sum[2] += b;
                sum[3] += luma;
            }
        }
        for ((cell, sum), &n) in self.cells.iter_mut().zip(&self.sums).zip(&self.cell_pixels) {
            *cell = if n == 0 {
                0.0
            } else {
                sum[3] as f32 / n as f32
            };
        }
    }

    /// Variance of the Laplacian of the 2×2 block means and the clipped share, over the oval's
    /// interior blocks.
    fn laplacian_and_clipping(&self) -> (f32, f32) {
        let (w, half) = (self.half_w, &self.half);
        let (mut sum, mut sum_sq, mut count, mut clipped) = (0i64, 0i64, 0u32, 0u32);
        for y in 1..(self.box_h / 2).saturating_sub(1) {
            let (start, end) = self.row_span[2 * y];
            let start = (start as usize / 2).max(1);
            let end = (end as usize / 2).min((self.box_w / 2).saturating_sub(1));
            let row = y * w;
            for i in row + start..row + end {
                let centre = i32::from(half[i]);
                let around = i32::from(half[i - 1])
                    + i32::from(half[i + 1])
                    + i32::from(half[i - w])
                    + i32::from(half[i + w]);
                let lap = i64::from(4 * centre - around);
                sum += lap;
                sum_sq += lap * lap;
                count += 1;
                clipped += u32::from(half[i] >= CLIPPED_BLOCK);
            }
        }
        if count == 0 {
            return (0.0, 0.0);
        }
        let n = f64::from(count);
        let mean = sum as f64 / n;
        // Block sums are 4 × the mean: the variance of the means' Laplacian is 1/16 of it.
        let variance = (sum_sq as f64 / n - mean * mean).max(0.0) / 16.0;
        (variance as f32, clipped as f32 / count as f32)
    }

    /// Mean colour and luma over the oval's cells.
    fn oval_means(&self) -> ([f32; 3], f32) {
        let mut total = [0u64; 4];
        let mut pixels = 0u64;
        for ((sum, &n), &zone) in self.sums.iter().zip(&self.cell_pixels).zip(&self.cell_zone) {
            if zone != Zone::Outside {
                for (t, &s) in total.iter_mut().zip(sum) {
                    *t += u64::from(s);
                }
                pixels += u64::from(n);
            }
        }
        let mean = |t: u64| {
            if pixels == 0 {
                0.0
            } else {
                (t as f64 / pixels as f64) as f32
            }
        };
        (
            [mean(total[0]), mean(total[1]), mean(total[2])],
            mean(total[3]),
        )
    }

    /// Largest cell changes since the previous frame: (eye band, rest of the oval).
    fn motion(&self) -> (f32, f32) {
        if !self.has_previous {
            return (0.0, 0.0);
        }
        let mut eye = [0f32; TOP_CELLS];
        let mut rest = [0f32; TOP_CELLS];
        for ((&now, &before), &zone) in self.cells.iter().zip(&self.previous).zip(&self.cell_zone) {
            let top = match zone {
                Zone::EyeBand => &mut eye,
                Zone::Rest => &mut rest,
                Zone::Outside => continue,
            };
            keep_largest(top, (now - before).abs());
        }
        let mean = |top: [f32; TOP_CELLS]| top.iter().sum::<f32>() / TOP_CELLS as f32;
        (mean(eye), mean(rest))
    }

    /// Centroid of the cells brighter than the box's mean, weighted by how much brighter.
    fn centroid(&self) -> [f32; 2] {
        let mean = self.cells.iter().sum::<f32>() / self.cells.len() as f32;
        let (mut weight, mut x, mut y) = (0f32, 0f32, 0f32);
        for ((&cell, &cx), &cy) in self.cells.iter().zip(&self.cell_x).zip(&self.cell_y) {
            let w = (cell - mean).max(0.0);
            weight += w;
            x += w * cx;
            y += w * cy;
        }
        if weight <= 0.0 {
            [0.0, 0.0]
        } else {
            [x / weight, y / weight]
        }
    }
}

/// Puts `value` into `top` (kept in descending order) if it is among the largest.
pub(crate) fn keep_largest<const N: usize>(top: &mut [f32; N], value: f32) {
    if value <= top[N - 1] {
        return;
    }
    let mut i = N - 1;
    while i > 0 && top[i - 1] < value {
        top[i] = top[i - 1];
        i -= 1;
    }
    top[i] = value;
}
