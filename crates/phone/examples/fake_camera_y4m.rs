//! Writes the fake cameras of the browser tests from a real face photo (`testdata/faces/
//! astronaut.png`, made by `scripts/fetch-testdata.sh`), placed by the real-photo liveness
//! tests' scene (`tests/liveness_real/photo_scene.rs`: the face 200 px wide in the middle of a
//! 640×480 frame, in front of a plain wall):
//!
//! - `Y4M`: three seconds (60 frames at 20 fps) as a YUV4MPEG2 (I420) file, the eyes edited
//!   closed for 150 ms (three frames) half way, for Chromium's
//!   `--use-file-for-fake-video-capture` (the wasm tests; Chromium plays it in a loop);
//! - `WEB_DIR`: the same frame with the eyes open and closed (`open.png`, `closed.png`, RGB)
//!   and where the head is (`face.json`), for the end-to-end tests' fake camera
//!   (`e2e/fake-camera.js` turns and nods the head from these, as the scene does).
//!
//! `cargo run -p zj-phone --example fake_camera_y4m [Y4M] [WEB_DIR]` (defaults
//! `/tmp/zj-fake-camera.y4m`, the path `webdriver.json` names, and `/tmp/zj-fake-face`, the
//! folder `e2e/harness.mjs` reads).

#[path = "../tests/liveness_real/photo_scene.rs"]
mod photo_scene;
#[path = "../../face/tests/testdata/mod.rs"]
mod testdata;

use std::io::Write;
use std::path::Path;

use photo_scene::{Portrait, Pose, HEIGHT, WIDTH};
use zj_phone::liveness::{Detector, Face, Image, KeypointName, LandmarkModel};

const DETECTOR: &[u8] = include_bytes!("../../../models/blazeface-short.zjnn");
const MESH: &[u8] = include_bytes!("../../../models/face-landmark.zjnn");

/// Frames per second of the y4m.
const FPS: u32 = 20;
/// Frames of the y4m (three seconds).
const FRAMES: u32 = 60;
/// Frames with the eyes closed (150 ms at 20 fps), half way.
const CLOSED: std::ops::Range<u32> = 30..33;
/// The scene's face box width at scale 1 (`photo_scene::FACE_WIDTH`), pixels; the head the
/// scene turns is an ellipsoid 0.7 × 0.9 of it each way.
const FACE_WIDTH: f32 = 200.0;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let y4m = args
        .next()
        .unwrap_or_else(|| "/tmp/zj-fake-camera.y4m".into());
    let web_dir = args.next().unwrap_or_else(|| "/tmp/zj-fake-face".into());

    let photo = testdata::image("faces", "astronaut.png");
    let mut detector = Detector::new(DETECTOR)?;
    let portrait = Portrait::new(
        &mut detector,
        &mut LandmarkModel::new(MESH)?,
        photo.width,
        photo.height,
        photo.rgba,
    );
    let frame = |eyes_closed: bool| {
        let mut rgba = vec![0u8; WIDTH * HEIGHT * 4];
        let pose = Pose {
            eyes_closed,
            ..Pose::default()
        };
        portrait.render(&pose, &mut rgba);
        rgba
    };
    let (open, closed) = (frame(false), frame(true));

    let mut out = std::io::BufWriter::new(std::fs::File::create(&y4m)?);
    writeln!(
        out,
        "YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg"
    )?;
    let (open_i420, closed_i420) = (i420(&open), i420(&closed));
    for i in 0..FRAMES {
        out.write_all(b"FRAME\n")?;
        out.write_all(if CLOSED.contains(&i) {
            &closed_i420
        } else {
            &open_i420
        })?;
    }
    out.flush()?;

    let face = detector
        .detect(&Image::new(WIDTH as u32, HEIGHT as u32, &open)?)
        .first()
        .copied()
        .ok_or("no face in the rendered frame")?;
    let dir = Path::new(&web_dir);
    std::fs::create_dir_all(dir)?;
    write_png(&dir.join("open.png"), &open)?;
    write_png(&dir.join("closed.png"), &closed)?;
    std::fs::write(dir.join("face.json"), geometry(&face))?;
    println!(
        "{y4m}: {FRAMES} frames of {WIDTH}×{HEIGHT} at {FPS} fps; {web_dir}: open.png, closed.png, face.json; \
         the face {:.0}×{:.0} px at ({:.0}, {:.0}), yaw {:.1}°",
        face.width,
        face.height,
        face.x,
        face.y,
        face.yaw_degrees()
    );
    Ok(())
}

/// What `e2e/fake-camera.js` needs to turn the head as `photo_scene` does: the frame's size,
/// the head's centre and semi-axes, the nose tip and half the eye span (pixels), and the face
/// box the detector found.
fn geometry(face: &Face) -> String {
    let (nx, ny) = face.point(KeypointName::NoseTip);
    let (rx, ry) = face.point(KeypointName::RightEye);
    let (lx, ly) = face.point(KeypointName::LeftEye);
    let half_span = (lx - rx).hypot(ly - ry) / 2.0;
    let centre = (WIDTH as f32 / 2.0, HEIGHT as f32 / 2.0);
    format!(
        concat!(
            "{{\"width\":{},\"height\":{},\"centre\":[{},{}],\"head\":[{},{}],",
            "\"nose\":[{:.1},{:.1}],\"halfSpan\":{:.2},",
            "\"face\":{{\"x\":{:.1},\"y\":{:.1},\"width\":{:.1},\"height\":{:.1}}}}}\n"
        ),
        WIDTH,
        HEIGHT,
        centre.0,
        centre.1,
        FACE_WIDTH * 0.7,
        FACE_WIDTH * 0.9,
        nx,
        ny,
        half_span,
        face.x,
        face.y,
        face.width,
        face.height
    )
}

/// `rgba` (WIDTH × HEIGHT) as an RGB PNG.
fn write_png(path: &Path, rgba: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut encoder = png::Encoder::new(file, WIDTH as u32, HEIGHT as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let rgb: Vec<u8> = rgba
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    encoder.write_header()?.write_image_data(&rgb)?;
    Ok(())
}

/// RGBA → I420 (BT.601 full range, as JPEG): the Y plane, then U and V at half resolution.
fn i420(rgba: &[u8]) -> Vec<u8> {
    let (width, height) = (WIDTH, HEIGHT);
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
