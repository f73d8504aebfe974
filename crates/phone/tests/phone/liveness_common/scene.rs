//! A synthetic face in front of the phone, rendered to RGBA: an oval of textured skin with two
//! eyes on a darker textured background, lit by the room and by the phone's screen, with a little
//! sensor noise. Shared by the liveness tests, the benchmark and the fake-camera generator.

/// Face half-width and half-height as shares of the frame height (at 640×480: 120 × 170 px,
/// filling the default guide).
const FACE_RADII: (f32, f32) = (0.25, 0.354);
const SKIN: [f32; 3] = [0.85, 0.62, 0.5];
const EYE: [f32; 3] = [0.12, 0.1, 0.1];
const BACKGROUND: [f32; 3] = [0.3, 0.33, 0.36];
/// How much of the screen's light reaches the face and the (farther) background.
const SCREEN_ON_FACE: f32 = 0.35;
const SCREEN_ON_BACKGROUND: f32 = 0.1;

/// What the camera sees at one moment. Positions are shares of the frame height from the
/// top-left corner, so a scene renders alike at any size.
#[derive(Debug, Clone, Copy)]
pub struct Scene {
    /// Face centre, share of the frame height from the left.
    pub face_x: f32,
    /// Face centre, share of the frame height from the top.
    pub face_y: f32,
    /// Eyes shut.
    pub eyes_closed: bool,
    /// Colour of the screen's light on the face, 0..=255 per channel (black: screen not lit).
    pub screen: [f32; 3],
    /// Room light, 0..=255-ish (180 a normal room, 25 a dark one).
    pub ambient: f32,
    /// Seed of this frame's sensor noise.
    pub noise_seed: u32,
}

impl Default for Scene {
    /// Face centred in a 4:3 frame, eyes open, screen dark, a normal room.
    fn default() -> Self {
        Self {
            face_x: 2.0 / 3.0,
            face_y: 0.5,
            eyes_closed: false,
            screen: [0.0; 3],
            ambient: 180.0,
            noise_seed: 0,
        }
    }
}

/// A well-mixed hash of two numbers (for texture and noise).
fn hash(x: u32, seed: u32) -> u32 {
    let mut h = x.wrapping_mul(0x9e37_79b1) ^ seed.wrapping_mul(0x85eb_ca77);
    h ^= h >> 15;
    h = h.wrapping_mul(0x2c1b_3c6d);
    h ^= h >> 12;
    h = h.wrapping_mul(0x297a_2d39);
    h ^ (h >> 15)
}

/// −1..=1 from a hash.
fn signed(h: u32) -> f32 {
    (h & 0xff) as f32 / 127.5 - 1.0
}

/// Renders scenes at one frame size, with texture and noise tables made once.
pub struct Renderer {
    width: usize,
    height: usize,
    /// Texture of skin and background per pixel: 1 ± 12 %, 1 ± 10 %.
    skin: Vec<f32>,
    background: Vec<f32>,
    /// Sensor noise, ±2 grey levels, read from a seed-dependent offset.
    noise: Vec<f32>,
}

impl Renderer {
    /// A renderer of `width × height` frames.
    pub fn new(width: usize, height: usize) -> Self {
        let table = |seed: u32, amount: f32| -> Vec<f32> {
            (0..width * height)
                .map(|i| amount * signed(hash(i as u32, seed)))
                .collect()
        };
        Self {
            width,
            height,
            skin: table(7, 0.12).into_iter().map(|t| 1.0 + t).collect(),
            background: table(11, 0.1).into_iter().map(|t| 1.0 + t).collect(),
            noise: table(13, 2.0),
        }
    }

    /// Frame width and height, pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.width as u32, self.height as u32)
    }

    /// A zeroed frame buffer of this size.
    pub fn buffer(&self) -> Vec<u8> {
        vec![0; self.width * self.height * 4]
    }

    /// Renders `scene` into `out` (`width × height × 4` bytes).
    pub fn render(&self, scene: &Scene, out: &mut [u8]) {
        let h = self.height as f32;
        let (fx, fy) = (scene.face_x * h, scene.face_y * h);
        let (rx, ry) = (FACE_RADII.0 * h, FACE_RADII.1 * h);
        let eye_y = fy - 0.2 * ry;
        let eyes_x = [fx - 0.38 * rx, fx + 0.38 * rx];
        let (eye_rx, eye_ry) = (0.16 * rx, 0.06 * ry);
        // Skin texture moves with the face: read it at the pixel's offset from the face centre.
        let (ox, oy) = (fx.round() as isize, fy.round() as isize);
        let noise_shift = scene.noise_seed as usize * 7_919;
        let face_light = scene.screen.map(|s| scene.ambient + SCREEN_ON_FACE * s);
        let back_light = scene
            .screen
            .map(|s| scene.ambient + SCREEN_ON_BACKGROUND * s);
        for (y, row) in out.chunks_exact_mut(self.width * 4).enumerate() {
            let dy = (y as f32 - fy) / ry;
            let half = if dy.abs() <= 1.0 {
                rx * (1.0 - dy * dy).sqrt()
            } else {
                -1.0
            };
            let ev = (y as f32 - eye_y) / eye_ry;
            for (x, px) in row.chunks_exact_mut(4).enumerate() {
                let i = y * self.width + x;
                let in_face = (x as f32 - fx).abs() <= half;
                let in_eye = in_face
                    && ev.abs() <= 1.0
                    && eyes_x.iter().any(|&ex| {
                        let eu = (x as f32 - ex) / eye_rx;
                        eu * eu + ev * ev <= 1.0
                    });
                let (albedo, texture, light) = if in_eye && !scene.eyes_closed {
                    (EYE, 1.0, face_light)
                } else if in_face {
                    let u = (x as isize - ox).rem_euclid(self.width as isize) as usize;
                    let v = (y as isize - oy).rem_euclid(self.height as isize) as usize;
                    (SKIN, self.skin[v * self.width + u], face_light)
                } else {
                    (BACKGROUND, self.background[i], back_light)
                };
                let noise = self.noise[(i + noise_shift) % self.noise.len()];
                for c in 0..3 {
                    px[c] = (albedo[c] * texture * light[c] + noise).clamp(0.0, 255.0) as u8;
                }
                px[3] = 255;
            }
        }
    }
}

/// Blurs an RGBA frame in place with a `(2 radius + 1)²` box (out of focus or shaken).
pub fn box_blur(rgba: &mut [u8], width: usize, height: usize, radius: usize) {
    let mut pass = |horizontal: bool| {
        let source = rgba.to_vec();
        let (lines, length) = if horizontal {
            (height, width)
        } else {
            (width, height)
        };
        let at = |line: usize, k: usize| {
            let (x, y) = if horizontal { (k, line) } else { (line, k) };
            (y * width + x) * 4
        };
        for line in 0..lines {
            for k in 0..length {
                let range = k.saturating_sub(radius)..(k + radius + 1).min(length);
                let n = range.len() as u32;
                for c in 0..3 {
                    let sum: u32 = range
                        .clone()
                        .map(|j| u32::from(source[at(line, j) + c]))
                        .sum();
                    rgba[at(line, k) + c] = (sum / n) as u8;
                }
            }
        }
    };
    pass(true);
    pass(false);
}
