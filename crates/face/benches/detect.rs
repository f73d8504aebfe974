//! Face detection per frame, natively (the relay's re-check and the host's view of the phone's
//! cost): a 640×480 frame holding the first real face photo of `testdata/faces` (scaled to fit,
//! as a phone frame would hold a face), and the network alone. The phone's figures (wasm in
//! Chromium, SIMD and scalar, beside MediaPipe's own runtime) come from scripts/bench-face.sh.

use criterion::{criterion_group, criterion_main, Criterion};
use zj_face::{Detector, Image};

#[path = "../tests/testdata/mod.rs"]
mod testdata;

const MODEL: &[u8] = include_bytes!("../../../models/blazeface-short.zjnn");

/// A 640×480 frame with `photo` scaled to fill its height, centred (nearest pixel).
fn frame_of(photo: &testdata::TestImage) -> Vec<u8> {
    let (w, h) = (640usize, 480usize);
    let scale = photo.height as f32 / h as f32;
    let mut rgba = vec![0u8; w * h * 4];
    for y in 0..h {
        for x in 0..w {
            let sx = ((x as f32 - w as f32 / 2.0) * scale + photo.width as f32 / 2.0) as isize;
            let sy = (y as f32 * scale) as usize;
            if (0..photo.width as isize).contains(&sx) && sy < photo.height as usize {
                let from = (sy * photo.width as usize + sx as usize) * 4;
                rgba[(y * w + x) * 4..][..4].copy_from_slice(&photo.rgba[from..from + 4]);
            }
        }
    }
    rgba
}

fn detection(c: &mut Criterion) {
    let mut detector = Detector::new(MODEL).unwrap();
    let photo = testdata::images("faces").remove(0);
    let rgba = frame_of(&photo);
    let frame = Image::new(640, 480, &rgba).unwrap();
    assert_eq!(detector.detect(&frame).len(), 1, "{}", photo.name);
    c.bench_function("detect 640x480 frame", |b| {
        b.iter(|| detector.detect(&frame))
    });
    let input = vec![0.1f32; 128 * 128 * 3];
    c.bench_function("network alone", |b| b.iter(|| detector.run_network(&input)));
}

criterion_group!(benches, detection);
criterion_main!(benches);
