//! Real photos for sign-ins, from `testdata/` (made by `scripts/fetch-testdata.sh` from
//! registry packages): a face cropped around its detected face as the phone crops its photo
//! (the face box 1.6 times smaller than the photo each way), two faces side by side, a face too
//! small, a texture with no face; encoded as JPEG (quality 85) and base64, as a phone sends them.
//! Without `testdata/` every helper panics naming the script.

use std::sync::OnceLock;

use base64::Engine as _;
use zj_face::{Detector, Image};

#[path = "../../../../face/tests/testdata/mod.rs"]
pub mod testdata;

use testdata::TestImage;

/// The photo's side over the face box's side, as the phone crops it.
const CROP_OVER_FACE: f32 = 1.6;
/// The face box's side in [`face_jpeg`], pixels (the phone's minimum is 128).
const FACE_SIDE: f32 = 160.0;

/// An RGBA picture.
#[derive(Clone)]
pub struct Picture {
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// RGBA, row by row.
    pub rgba: Vec<u8>,
}

impl From<TestImage> for Picture {
    fn from(image: TestImage) -> Self {
        Picture {
            width: image.width,
            height: image.height,
            rgba: image.rgba,
        }
    }
}

impl Picture {
    /// Faces the relay's detector finds in it.
    pub fn faces(&self) -> Vec<zj_face::Face> {
        let image = Image::new(self.width, self.height, &self.rgba).expect("an image");
        detector().detect(&image)
    }

    /// The part of it at `(x, y)`, `width × height` (clamped to the picture).
    pub fn crop(&self, x: u32, y: u32, width: u32, height: u32) -> Picture {
        let (x, y) = (x.min(self.width - 1), y.min(self.height - 1));
        let (width, height) = (width.min(self.width - x), height.min(self.height - y));
        let mut rgba = Vec::with_capacity((width * height * 4) as usize);
        for row in y..y + height {
            let start = ((row * self.width + x) * 4) as usize;
            rgba.extend_from_slice(&self.rgba[start..start + (width * 4) as usize]);
        }
        Picture {
            width,
            height,
            rgba,
        }
    }

    /// Resized to `width × height`, bilinear.
    pub fn resized(&self, width: u32, height: u32) -> Picture {
        let mut rgba = vec![0u8; (width * height * 4) as usize];
        let sx = self.width as f32 / width as f32;
        let sy = self.height as f32 / height as f32;
        let at = |x: u32, y: u32, c: usize| {
            f32::from(self.rgba[((y * self.width + x) * 4) as usize + c])
        };
        for y in 0..height {
            let fy = ((y as f32 + 0.5) * sy - 0.5).clamp(0.0, (self.height - 1) as f32);
            let (y0, ty) = (fy.floor() as u32, fy.fract());
            let y1 = (y0 + 1).min(self.height - 1);
            for x in 0..width {
                let fx = ((x as f32 + 0.5) * sx - 0.5).clamp(0.0, (self.width - 1) as f32);
                let (x0, tx) = (fx.floor() as u32, fx.fract());
                let x1 = (x0 + 1).min(self.width - 1);
                for c in 0..4 {
                    let top = at(x0, y0, c) * (1.0 - tx) + at(x1, y0, c) * tx;
                    let bottom = at(x0, y1, c) * (1.0 - tx) + at(x1, y1, c) * tx;
                    rgba[((y * width + x) * 4) as usize + c] =
                        (top * (1.0 - ty) + bottom * ty).round() as u8;
                }
            }
        }
        Picture {
            width,
            height,
            rgba,
        }
    }

    /// This picture and `other` side by side on a grey ground, tops aligned.
    pub fn beside(&self, other: &Picture) -> Picture {
        let width = self.width + other.width;
        let height = self.height.max(other.height);
        let mut rgba = [128u8, 128, 128, 255].repeat((width * height) as usize);
        for (picture, left) in [(self, 0), (other, self.width)] {
            for row in 0..picture.height {
                let from = (row * picture.width * 4) as usize;
                let to = ((row * width + left) * 4) as usize;
                rgba[to..to + (picture.width * 4) as usize]
                    .copy_from_slice(&picture.rgba[from..from + (picture.width * 4) as usize]);
            }
        }
        Picture {
            width,
            height,
            rgba,
        }
    }

    /// JPEG, quality 85.
    pub fn jpeg(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        jpeg_encoder::Encoder::new(&mut bytes, 85)
            .encode(
                &self.rgba,
                self.width as u16,
                self.height as u16,
                jpeg_encoder::ColorType::Rgba,
            )
            .expect("JPEG encoding");
        bytes
    }
}

/// The relay's detector (the model built into it), for the helpers.
fn detector() -> std::sync::MutexGuard<'static, Detector> {
    static DETECTOR: OnceLock<std::sync::Mutex<Detector>> = OnceLock::new();
    DETECTOR
        .get_or_init(|| std::sync::Mutex::new(zj_relay::photo_detector().expect("the model")))
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// Base64 of `bytes`.
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A real face photo of `testdata/faces` cropped around its one detected face, the face box
/// [`FACE_SIDE`] px, as the phone crops its photo: `(name, picture)`, for each photo of
/// `testdata/faces` where the detector finds exactly one face.
pub fn face_crops() -> &'static [(String, Picture)] {
    static CROPS: OnceLock<Vec<(String, Picture)>> = OnceLock::new();
    CROPS.get_or_init(|| {
        let crops: Vec<(String, Picture)> = (testdata::images("faces").into_iter())
            .filter_map(|image| {
                let name = image.name.clone();
                let picture = Picture::from(image);
                let faces = picture.faces();
                let [face] = faces.as_slice() else {
                    return None;
                };
                let side = face.width.max(face.height) * CROP_OVER_FACE;
                let (cx, cy) = face.centre();
                let x = (cx - side / 2.0).max(0.0) as u32;
                let y = (cy - side / 2.0).max(0.0) as u32;
                let crop = picture.crop(x, y, side as u32, side as u32);
                let scale = FACE_SIDE / face.width.min(face.height);
                let (w, h) = (crop.width as f32 * scale, crop.height as f32 * scale);
                Some((name, crop.resized(w.round() as u32, h.round() as u32)))
            })
            .collect();
        assert!(
            !crops.is_empty(),
            "the detector finds one face in none of testdata/faces"
        );
        crops
    })
}

/// The sign-ins' face photo: the first of [`face_crops`] that the relay's check passes, JPEG.
pub fn face_jpeg() -> &'static [u8] {
    static JPEG: OnceLock<Vec<u8>> = OnceLock::new();
    JPEG.get_or_init(|| {
        let names: Vec<&str> = face_crops().iter().map(|(name, _)| name.as_str()).collect();
        (face_crops().iter())
            .map(|(_, picture)| picture.jpeg())
            .find(|jpeg| zj_relay::check_photo(&mut detector(), &base64(jpeg)).passed())
            .unwrap_or_else(|| panic!("no face crop of testdata/faces passes the check: {names:?}"))
    })
}

/// [`face_jpeg`] as base64, at least `min_len` bytes: a longer photo is the same JPEG with
/// bytes after its end (a decoder stops at the end marker), so tests of sizes and load keep
/// their sizes.
pub fn face_photo_base64(min_len: usize) -> String {
    let mut bytes = face_jpeg().to_vec();
    if bytes.len() < min_len {
        bytes.extend((0..min_len - bytes.len()).map(|i| (i * 7 % 256) as u8));
    }
    base64(&bytes)
}

/// Two different real faces side by side (or the same one twice when there is one), base64.
pub fn two_faces_base64() -> String {
    let crops = face_crops();
    let first = &crops[0].1;
    let second = &crops.get(1).unwrap_or(&crops[0]).1;
    base64(&first.beside(second).jpeg())
}

/// The face photo scaled so that its face box is `side` px, base64.
pub fn small_face_base64(side: f32) -> String {
    let picture = &face_crops()[0].1;
    let scale = side / FACE_SIDE;
    let (w, h) = (picture.width as f32 * scale, picture.height as f32 * scale);
    base64(&picture.resized(w.round() as u32, h.round() as u32).jpeg())
}

/// A photo of `testdata/nonfaces` in which the detector finds no face (brick or gravel when
/// there), JPEG, base64, with its name.
pub fn no_face_base64() -> (String, String) {
    let mut nonfaces = testdata::images("nonfaces");
    nonfaces.sort_by_key(|image| !["brick", "gravel"].iter().any(|n| image.name.contains(n)));
    let (name, picture) = (nonfaces.into_iter())
        .map(|image| (image.name.clone(), Picture::from(image)))
        .find(|(_, picture)| picture.faces().is_empty())
        .expect("a photo of testdata/nonfaces without a face");
    (name, base64(&picture.jpeg()))
}

/// A real photo that is not a JPEG: the bytes of the first PNG of `testdata/faces`, base64
/// (a face, but not in the format the protocol names).
pub fn png_base64() -> String {
    let dir = testdata::testdata_dir().join("faces");
    let mut pngs: Vec<_> = std::fs::read_dir(&dir)
        .expect("testdata/faces")
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("png"))
        })
        .collect();
    pngs.sort();
    let path = pngs.first().expect("a PNG in testdata/faces");
    base64(&std::fs::read(path).expect("a readable PNG"))
}
