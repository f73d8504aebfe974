//! Camera frames made from a real face photo, for the liveness tests: the photo's head placed
//! in a 640×480 frame in front of a plain wall, moved, and turned or nodded by mapping the face
//! onto an ellipsoid with a protruding nose and rotating it (no registry package holds real
//! head-turn video), its eyes edited closed, lit by the
//! screen as a near face is (the head, not the wall behind), or shown as a printed photo (the
//! whole sheet lit alike), with a finger crossing the eyes when asked.

use zj_phone::liveness::{Detector, Face, Image, KeypointName, LandmarkModel};

/// Frame size, pixels.
pub const WIDTH: usize = 640;
/// Frame size, pixels.
pub const HEIGHT: usize = 480;
/// The face box's width in the frame at scale 1, pixels.
const FACE_WIDTH: f32 = 200.0;
/// Share of the screen's light a near face receives (a colour channel at 255 adds 30 %)…
const NEAR_LIGHT: f32 = 0.3;
/// …and a wall a metre behind.
const FAR_LIGHT: f32 = 0.02;

/// A face photo with the face found in it, and a copy with the eyes closed.
pub struct Portrait {
    width: usize,
    height: usize,
    open: Vec<u8>,
    closed: Vec<u8>,
    face: Face,
}

/// What the camera sees at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    /// Shift of the face from the frame's centre, pixels.
    pub dx: f32,
    /// Shift of the face from the frame's centre, pixels.
    pub dy: f32,
    /// Face size over the default (200 px wide).
    pub scale: f32,
    /// Head turned, degrees (+: the nose towards the frame's +x).
    pub yaw: f32,
    /// Head bowed, degrees (+: the nose down).
    pub pitch: f32,
    /// The eyes edited closed.
    pub eyes_closed: bool,
    /// The screen's colour of the moment, 0..=255 (black: no light).
    pub screen: [f32; 3],
    /// A printed photo: the whole sheet (photo and its background) lit alike by the screen,
    /// squeezed sideways by this factor when held at an angle (1: flat to the camera).
    pub printed: Option<f32>,
    /// A finger crossing the eye rows at this x (frame pixels).
    pub finger_x: Option<f32>,
}

impl Default for Pose {
    fn default() -> Self {
        Self {
            dx: 0.0,
            dy: 0.0,
            scale: 1.0,
            yaw: 0.0,
            pitch: 0.0,
            eyes_closed: false,
            screen: [0.0; 3],
            printed: None,
            finger_x: None,
        }
    }
}

impl Portrait {
    /// The photo's main face, found by `detector`, its eyes found by `mesh`.
    pub fn new(
        detector: &mut Detector,
        mesh: &mut LandmarkModel,
        width: u32,
        height: u32,
        rgba: Vec<u8>,
    ) -> Self {
        let image = Image::new(width, height, &rgba).unwrap();
        let face = *detector
            .detect(&image)
            .first()
            .expect("a face in the portrait");
        let points = mesh.landmarks(&image, &face).points;
        let closed = close_eyes(&rgba, width as usize, &points);
        Self {
            width: width as usize,
            height: height as usize,
            open: rgba,
            closed,
            face,
        }
    }

    /// Renders `pose` into `out` (640×480 RGBA).
    pub fn render(&self, pose: &Pose, out: &mut [u8]) {
        let source = if pose.eyes_closed {
            &self.closed
        } else {
            &self.open
        };
        let per_pixel = self.face.width / (FACE_WIDTH * pose.scale);
        let squeeze = pose.printed.unwrap_or(1.0);
        let (fcx, fcy) = self.face.centre();
        let centre = (WIDTH as f32 / 2.0 + pose.dx, HEIGHT as f32 / 2.0 + pose.dy);
        let half_span = self.half_eye_span() / per_pixel;
        let (nx, ny) = self.face.point(KeypointName::NoseTip);
        let nose = (
            centre.0 + (nx - fcx) / per_pixel * squeeze,
            centre.1 + (ny - fcy) / per_pixel,
        );
        let head = (FACE_WIDTH * pose.scale * 0.7, FACE_WIDTH * pose.scale * 0.9);
        let turn = Rotation::new(pose.yaw, pose.pitch);
        let depth = |x: f32, y: f32| head_depth(x, y, centre, head, nose, half_span);
        for (i, px) in out.chunks_exact_mut(4).enumerate() {
            let (x, y) = ((i % WIDTH) as f32, (i / WIDTH) as f32);
            let (wx, wy) = turn.source_of(x, y, centre, &depth);
            let sx = fcx + (wx - centre.0) / squeeze * per_pixel;
            let sy = fcy + (wy - centre.1) * per_pixel;
            let inside =
                sx >= 0.0 && sy >= 0.0 && (sx as usize) < self.width && (sy as usize) < self.height;
            let mut rgb = if inside {
                let at = ((sy as usize) * self.width + sx as usize) * 4;
                [0, 1, 2].map(|c| f32::from(source[at + c]))
            } else {
                wall(x, y)
            };
            let (hx, hy) = ((x - centre.0) / head.0, (y - centre.1) / head.1);
            let near = if pose.printed.is_some() {
                inside
            } else {
                inside && hx * hx + hy * hy <= 1.0
            };
            if let Some(finger) = pose.finger_x {
                let eye_y = nose.1 - half_span * 0.9;
                if (x - finger).abs() < half_span * 0.35 && (y - eye_y).abs() < half_span * 1.8 {
                    rgb = [205.0, 160.0, 135.0];
                }
            }
            let light = if near { NEAR_LIGHT } else { FAR_LIGHT };
            for (c, value) in rgb.iter().enumerate() {
                let lit = value * (1.0 + light * pose.screen[c] / 255.0);
                px[c] = lit.round().clamp(0.0, 255.0) as u8;
            }
            px[3] = 255;
        }
    }

    /// Half the distance between the eyes, photo pixels.
    fn half_eye_span(&self) -> f32 {
        let (rx, ry) = self.face.point(KeypointName::RightEye);
        let (lx, ly) = self.face.point(KeypointName::LeftEye);
        (lx - rx).hypot(ly - ry) / 2.0
    }
}

/// How far a point of the face stands out towards the camera, pixels: an ellipsoid over the
/// head (`head` its semi-axes, its depth the width's) and a nose standing 0.6 half eye spans
/// further out (about 2.5 cm on a 6.3 cm eye span); 0 off the head.
fn head_depth(
    x: f32,
    y: f32,
    centre: (f32, f32),
    head: (f32, f32),
    nose: (f32, f32),
    half_span: f32,
) -> f32 {
    let (u, v) = ((x - centre.0) / head.0, (y - centre.1) / head.1);
    let inside = 1.0 - u * u - v * v;
    if inside <= 0.0 {
        return 0.0;
    }
    let (gx, gy) = ((x - nose.0) / half_span, (y - nose.1) / half_span);
    let nose_height = 1.6 * half_span * (-(gx * gx + gy * gy) / (2.0 * 0.45 * 0.45)).exp();
    head.0 * inside.sqrt() + nose_height
}

/// A head rotation: yaw about the vertical axis, then pitch about the horizontal one.
struct Rotation {
    yaw: (f32, f32),
    pitch: (f32, f32),
}

impl Rotation {
    fn new(yaw_degrees: f32, pitch_degrees: f32) -> Self {
        Self {
            yaw: yaw_degrees.to_radians().sin_cos(),
            pitch: pitch_degrees.to_radians().sin_cos(),
        }
    }

    /// The unrotated point that lands on `(x, y)`: found by a few fixed-point steps, since the
    /// depth depends on where the point was.
    fn source_of(
        &self,
        x: f32,
        y: f32,
        centre: (f32, f32),
        depth: &impl Fn(f32, f32) -> f32,
    ) -> (f32, f32) {
        if self.yaw.0 == 0.0 && self.pitch.0 == 0.0 {
            return (x, y);
        }
        let (mut sx, mut sy) = (x, y);
        for _ in 0..4 {
            let z = depth(sx, sy);
            sx = centre.0 + (x - centre.0 - z * self.yaw.0) / self.yaw.1;
            sy = centre.1 + (y - centre.1 - z * self.pitch.0) / self.pitch.1;
        }
        (sx, sy)
    }
}

/// A plain wall with a faint texture, lit by the room.
fn wall(x: f32, y: f32) -> [f32; 3] {
    let grain = ((x * 12.9898 + y * 78.233).sin() * 43_758.547).fract() * 6.0;
    [118.0 + grain, 112.0 + grain, 104.0 + grain]
}

/// The mesh's contour of each eye (the subject's right, then left): the two corners first.
const EYE_CONTOURS: [[usize; 16]; 2] = [
    [
        33, 133, 7, 163, 144, 145, 153, 154, 155, 173, 157, 158, 159, 160, 161, 246,
    ],
    [
        263, 362, 249, 390, 373, 374, 380, 381, 382, 398, 384, 385, 386, 387, 388, 466,
    ],
];

/// The photo with each eye (an ellipse around the mesh's eye contour) painted over by the skin
/// just below it, with a dark lash line across: the eyes closed.
fn close_eyes(rgba: &[u8], width: usize, mesh: &[[f32; 3]]) -> Vec<u8> {
    let mut closed = rgba.to_vec();
    let height = rgba.len() / 4 / width;
    let pixel = |x: f32, y: f32| {
        let (x, y) = ((x as usize).min(width - 1), (y as usize).min(height - 1));
        [0, 1, 2].map(|c| f32::from(rgba[(y * width + x) * 4 + c]))
    };
    for contour in EYE_CONTOURS {
        let points: Vec<(f32, f32)> = contour.iter().map(|&i| (mesh[i][0], mesh[i][1])).collect();
        let (c0, c1) = (points[0], points[1]);
        let centre = (
            points.iter().map(|p| p.0).sum::<f32>() / 16.0,
            points.iter().map(|p| p.1).sum::<f32>() / 16.0,
        );
        let length = (c1.0 - c0.0).hypot(c1.1 - c0.1);
        let axis = ((c1.0 - c0.0) / length, (c1.1 - c0.1) / length);
        let across = |p: (f32, f32)| (-(p.0 - centre.0) * axis.1 + (p.1 - centre.1) * axis.0).abs();
        let a = length * 0.62;
        let b = points.iter().map(|&p| across(p)).fold(0.0, f32::max) * 1.6 + 1.5;
        let skin = pixel(centre.0, centre.1 + 2.2 * b);
        let reach = a.max(b).ceil() as isize + 1;
        for dy in -reach..=reach {
            for dx in -reach..=reach {
                let (x, y) = (centre.0 + dx as f32, centre.1 + dy as f32);
                if x < 0.0 || y < 0.0 || x as usize >= width || y as usize >= height {
                    continue;
                }
                let along = (x - centre.0) * axis.0 + (y - centre.1) * axis.1;
                let off = -(x - centre.0) * axis.1 + (y - centre.1) * axis.0;
                let r = (along / a).powi(2) + (off / b).powi(2);
                if r > 1.0 {
                    continue;
                }
                let lash = (off - 0.25 * b).abs() < (0.12 * b).max(0.8);
                let edge = ((1.0 - r) * 3.0).min(1.0);
                for (c, &tone) in skin.iter().enumerate() {
                    let target = if lash { tone * 0.4 } else { tone * 0.97 };
                    let at = (y as usize * width + x as usize) * 4 + c;
                    let old = f32::from(rgba[at]);
                    closed[at] = (old + (target - old) * edge).round() as u8;
                }
            }
        }
    }
    closed
}
