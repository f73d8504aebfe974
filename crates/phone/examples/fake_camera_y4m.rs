//! Writes the fake camera of the browser tests: one second (30 frames, 640×480) of the synthetic
//! face of the liveness tests as a YUV4MPEG2 (I420) file, blinking once, for Chromium's
//! `--use-file-for-fake-video-capture`.
//!
//! `cargo run --example fake_camera_y4m [PATH]` (default `/tmp/zj-fake-camera.y4m`, the path
//! `webdriver.json` names).

#[path = "../tests/phone/liveness_common/scene.rs"]
#[allow(dead_code)] // The tests' scenes; only the renderer is needed here.
mod scene;

fn main() -> std::io::Result<()> {
    use std::io::Write;

    use scene::{Renderer, Scene};

    const FRAMES: u32 = 30;
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/zj-fake-camera.y4m".into());
    let renderer = Renderer::new(640, 480);
    let (width, height) = (640usize, 480usize);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    writeln!(out, "YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg")?;
    let mut rgba = renderer.buffer();
    for i in 0..FRAMES {
        let scene = Scene {
            eyes_closed: (20..23).contains(&i),
            noise_seed: i,
            ..Scene::default()
        };
        renderer.render(&scene, &mut rgba);
        out.write_all(b"FRAME\n")?;
        out.write_all(&i420(&rgba, width, height))?;
    }
    out.flush()?;
    println!("{path}: {FRAMES} frames of {width}×{height}");
    Ok(())
}

/// RGBA → I420 (BT.601 full range, as JPEG): the Y plane, then U and V at half resolution.
fn i420(rgba: &[u8], width: usize, height: usize) -> Vec<u8> {
    let px = |x: usize, y: usize| {
        let p = &rgba[(y * width + x) * 4..];
        (f32::from(p[0]), f32::from(p[1]), f32::from(p[2]))
    };
    let mut planes = Vec::with_capacity(width * height * 3 / 2);
    for y in 0..height {
        for x in 0..width {
            let (r, g, b) = px(x, y);
            planes.push((0.299 * r + 0.587 * g + 0.114 * b).round() as u8);
        }
    }
    for (weights, offset) in [
        ([-0.168_736, -0.331_264, 0.5], 128.0),
        ([0.5, -0.418_688, -0.081_312], 128.0),
    ] {
        for y in (0..height).step_by(2) {
            for x in (0..width).step_by(2) {
                let (r, g, b) = px(x, y);
                let value = weights[0] * r + weights[1] * g + weights[2] * b + offset;
                planes.push(value.round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    planes
}
