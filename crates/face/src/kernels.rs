//! The network's kernels on NHWC `f32` slices (batch 1). Loops run over channels innermost, so
//! the compiler vectorises them: with wasm SIMD (`simd128`) in the phone's SIMD build, with
//! SSE on the relay's host, and as scalar code in the phone's build for web-views without SIMD.

use crate::model::{Dims, Window};

/// A convolution's window and constants.
pub(crate) struct Filter<'a> {
    window: &'a Window,
    /// `[KH][KW][I][O]` for a convolution, `[KH][KW][C]` for a depthwise one.
    weights: &'a [f32],
    bias: &'a [f32],
}

impl<'a> Filter<'a> {
    pub(crate) fn new(window: &'a Window, weights: &'a [f32], bias: &'a [f32]) -> Self {
        Self {
            window,
            weights,
            bias,
        }
    }
}

/// The kernel rows (or columns) that fall inside an input of `size` for output position
/// `out`: `(first tap, end tap, input index of the first tap)`.
fn valid_taps(
    out: usize,
    stride: usize,
    pad: usize,
    kernel: usize,
    size: usize,
) -> (usize, usize, usize) {
    let origin = (out * stride) as isize - pad as isize;
    let first = (-origin).max(0) as usize;
    let end = (size as isize - origin).clamp(0, kernel as isize) as usize;
    (first, end.max(first), (origin + first as isize) as usize)
}

/// The taps of one output pixel's window that fall inside the input: kernel rows `ky` (the
/// first at input row `iy0`) and columns `kx` (the first at input column `ix0`).
struct Taps {
    ky: std::ops::Range<usize>,
    iy0: usize,
    kx: std::ops::Range<usize>,
    ix0: usize,
}

/// Calls `visit` with each output pixel's `c` values and the taps of its window.
fn each_window(
    from: Dims,
    w: &Window,
    to: Dims,
    output: &mut [f32],
    mut visit: impl FnMut(&mut [f32], &Taps),
) {
    let c = to.c;
    for oy in 0..to.h {
        let (ky0, ky1, iy0) = valid_taps(oy, w.stride_h, w.pad_top, w.kh, from.h);
        for ox in 0..to.w {
            let (kx0, kx1, ix0) = valid_taps(ox, w.stride_w, w.pad_left, w.kw, from.w);
            let taps = Taps {
                ky: ky0..ky1,
                iy0,
                kx: kx0..kx1,
                ix0,
            };
            visit(&mut output[(oy * to.w + ox) * c..][..c], &taps);
        }
    }
}

/// max(x, 0) over `values`.
fn apply_relu(values: &mut [f32]) {
    for v in values {
        *v = v.max(0.0);
    }
}

/// Convolution; 1×1 with stride 1 takes the pointwise path.
pub(crate) fn conv(
    input: &[f32],
    from: Dims,
    filter: &Filter<'_>,
    to: Dims,
    relu: bool,
    output: &mut [f32],
) {
    let w = filter.window;
    let (ic, oc) = (from.c, to.c);
    if (w.kh, w.kw, w.stride_h, w.stride_w, w.pad_top, w.pad_left) == (1, 1, 1, 1, 0, 0) {
        return pointwise(input, ic, filter, oc, relu, output);
    }
    each_window(from, w, to, output, |acc, taps| {
        acc.copy_from_slice(filter.bias);
        for ky in taps.ky.clone() {
            let iy = taps.iy0 + ky - taps.ky.start;
            for kx in taps.kx.clone() {
                let ix = taps.ix0 + kx - taps.kx.start;
                let pixel = &input[(iy * from.w + ix) * ic..][..ic];
                let weights = &filter.weights[(ky * w.kw + kx) * ic * oc..][..ic * oc];
                for (&v, row) in pixel.iter().zip(weights.chunks_exact(oc)) {
                    for (a, &weight) in acc.iter_mut().zip(row) {
                        *a += v * weight;
                    }
                }
            }
        }
        if relu {
            apply_relu(acc);
        }
    });
}

/// Output pixels computed together by [`pointwise`], so each weight row is loaded once per
/// block rather than once per pixel.
const PIXEL_BLOCK: usize = 4;

/// 1×1 convolution: each output pixel is the bias plus the weights `[I][O]` times the pixel.
fn pointwise(
    input: &[f32],
    ic: usize,
    filter: &Filter<'_>,
    oc: usize,
    relu: bool,
    output: &mut [f32],
) {
    let mut inputs = input.chunks_exact(ic * PIXEL_BLOCK);
    let mut outputs = output.chunks_exact_mut(oc * PIXEL_BLOCK);
    for (pixels, accs) in (&mut inputs).zip(&mut outputs) {
        let (a0, rest) = accs.split_at_mut(oc);
        let (a1, rest) = rest.split_at_mut(oc);
        let (a2, a3) = rest.split_at_mut(oc);
        for acc in [&mut *a0, &mut *a1, &mut *a2, &mut *a3] {
            acc.copy_from_slice(filter.bias);
        }
        let (p0, rest) = pixels.split_at(ic);
        let (p1, rest) = rest.split_at(ic);
        let (p2, p3) = rest.split_at(ic);
        for (i, row) in filter.weights.chunks_exact(oc).enumerate() {
            let (v0, v1, v2, v3) = (p0[i], p1[i], p2[i], p3[i]);
            for ((((&weight, o0), o1), o2), o3) in row
                .iter()
                .zip(a0.iter_mut())
                .zip(a1.iter_mut())
                .zip(a2.iter_mut())
                .zip(a3.iter_mut())
            {
                *o0 += v0 * weight;
                *o1 += v1 * weight;
                *o2 += v2 * weight;
                *o3 += v3 * weight;
            }
        }
        if relu {
            apply_relu(accs);
        }
    }
    let rest = inputs.remainder().chunks_exact(ic);
    for (pixel, acc) in rest.zip(outputs.into_remainder().chunks_exact_mut(oc)) {
        acc.copy_from_slice(filter.bias);
        for (&v, row) in pixel.iter().zip(filter.weights.chunks_exact(oc)) {
            for (a, &weight) in acc.iter_mut().zip(row) {
                *a += v * weight;
            }
        }
        if relu {
            apply_relu(acc);
        }
    }
}

/// Depthwise convolution: each channel with its own kernel.
pub(crate) fn depthwise(
    input: &[f32],
    from: Dims,
    filter: &Filter<'_>,
    to: Dims,
    relu: bool,
    output: &mut [f32],
) {
    let w = filter.window;
    let c = from.c;
    each_window(from, w, to, output, |acc, taps| {
        acc.copy_from_slice(filter.bias);
        let width = taps.kx.len();
        for ky in taps.ky.clone() {
            let iy = taps.iy0 + ky - taps.ky.start;
            let row = &input[(iy * from.w + taps.ix0) * c..][..width * c];
            let weights = &filter.weights[(ky * w.kw + taps.kx.start) * c..][..width * c];
            for (pixel, tap) in row.chunks_exact(c).zip(weights.chunks_exact(c)) {
                for ((a, &v), &weight) in acc.iter_mut().zip(pixel).zip(tap) {
                    *a += v * weight;
                }
            }
        }
        if relu {
            apply_relu(acc);
        }
    });
}

/// `a + b`, with ReLU when asked.
pub(crate) fn add(a: &[f32], b: &[f32], relu: bool, output: &mut [f32]) {
    for ((o, &x), &y) in output.iter_mut().zip(a).zip(b) {
        *o = x + y;
    }
    if relu {
        apply_relu(output);
    }
}

/// max(x, 0).
pub(crate) fn relu(input: &[f32], output: &mut [f32]) {
    for (o, &x) in output.iter_mut().zip(input) {
        *o = x.max(0.0);
    }
}

/// x above zero, `alpha[c] · x` below.
pub(crate) fn prelu(input: &[f32], alpha: &[f32], output: &mut [f32]) {
    let c = alpha.len();
    for (pixel, out) in input.chunks_exact(c).zip(output.chunks_exact_mut(c)) {
        for ((o, &x), &a) in out.iter_mut().zip(pixel).zip(alpha) {
            *o = if x < 0.0 { a * x } else { x };
        }
    }
}

/// Maximum over each window (cells outside the input are ignored, as TFLite does).
pub(crate) fn max_pool(input: &[f32], from: Dims, w: &Window, to: Dims, output: &mut [f32]) {
    let c = from.c;
    each_window(from, w, to, output, |out, taps| {
        out.fill(f32::NEG_INFINITY);
        for iy in taps.iy0..taps.iy0 + taps.ky.len() {
            for ix in taps.ix0..taps.ix0 + taps.kx.len() {
                let pixel = &input[(iy * from.w + ix) * c..][..c];
                for (o, &v) in out.iter_mut().zip(pixel) {
                    *o = o.max(v);
                }
            }
        }
    });
}

/// Zeros around the input: `(before, after)` per height, width and channels.
pub(crate) fn pad(
    input: &[f32],
    from: Dims,
    paddings: &[(usize, usize); 3],
    to: Dims,
    output: &mut [f32],
) {
    output.fill(0.0);
    let [(top, _), (left, _), (front, _)] = *paddings;
    for (index, pixel) in input.chunks_exact(from.c).enumerate() {
        let (y, x) = (index / from.w, index % from.w);
        let start = ((y + top) * to.w + x + left) * to.c + front;
        output[start..start + from.c].copy_from_slice(pixel);
    }
}
