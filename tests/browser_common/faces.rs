//! Real faces for the browser tests: photos of `testdata/` (made by `scripts/fetch-testdata.sh`
//! from registry packages; wasm-bindgen's test runner serves the workspace's top folder, so the
//! browser fetches `/testdata/…` and decodes it), the face detector compiled into the test, and
//! sign-in photos of scikit-image's astronaut cropped around her face as the phone crops its
//! photo, which the relay's photo check (one face of at least 112 px, 0.28 of the photo,
//! frontal) accepts.

use std::cell::RefCell;
use std::collections::HashMap;

use wasm_bindgen::{Clamped, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlImageElement, ImageData};
use zj_attendance::Canvas;
use zj_phone::liveness::{face_share, photo_crop, Detector, Face, Image, MAX_FRONTAL_YAW};

/// The face detector's model (`models/blazeface-short.zjnn`).
pub const DETECTOR_MODEL: &[u8] = include_bytes!("../../models/blazeface-short.zjnn");

/// The face every sign-in photo shows.
pub const FACE_PHOTO: &str = "faces/astronaut.png";

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

impl Picture {
    /// The faces the detector finds in it, best first.
    pub fn faces(&self) -> Vec<Face> {
        let image = Image::new(self.width, self.height, &self.rgba).expect("an RGBA picture");
        Detector::new(DETECTOR_MODEL)
            .expect("the detector's model")
            .detect(&image)
    }

    /// A canvas holding it.
    pub fn canvas(&self) -> Canvas {
        let canvas = Canvas::new(true).unwrap();
        canvas.resize(self.width, self.height);
        let image = ImageData::new_with_u8_clamped_array_and_sh(
            Clamped(&self.rgba),
            self.width,
            self.height,
        )
        .unwrap();
        canvas.context().put_image_data(&image, 0.0, 0.0).unwrap();
        canvas
    }

    /// Its pixels times `factor` (a darker or brighter exposure).
    pub fn exposed(&self, factor: f32) -> Picture {
        let mut rgba = self.rgba.clone();
        for (i, value) in rgba.iter_mut().enumerate() {
            if i % 4 != 3 {
                *value = (f32::from(*value) * factor).round().clamp(0.0, 255.0) as u8;
            }
        }
        Picture { rgba, ..*self }
    }
}

/// The pixels of `canvas`.
pub fn pixels(canvas: &Canvas) -> Picture {
    let (width, height) = canvas.size();
    let mut rgba = Vec::new();
    canvas.read_rgba(&mut rgba).unwrap();
    Picture {
        width,
        height,
        rgba,
    }
}

/// `/testdata/<path>` decoded by the browser.
pub async fn test_image(path: &str) -> Picture {
    load_image(&format!("/testdata/{path}"))
        .await
        .unwrap_or_else(|| panic!("testdata/{path} does not load: run ./scripts/fetch-testdata.sh"))
}

/// A JPEG decoded by the browser.
pub async fn decode_jpeg(jpeg_base64: &str) -> Picture {
    load_image(&format!("data:image/jpeg;base64,{jpeg_base64}"))
        .await
        .expect("the browser decodes the JPEG")
}

async fn load_image(url: &str) -> Option<Picture> {
    let element = HtmlImageElement::new().unwrap();
    element.set_src(url);
    JsFuture::from(element.decode()).await.ok()?;
    let canvas = Canvas::new(true).unwrap();
    let (width, height) = (element.natural_width(), element.natural_height());
    canvas.draw(element.unchecked_ref(), width, height).unwrap();
    Some(pixels(&canvas))
}

/// Whether `photo` meets the rules of a saved photo: exactly one face (no other of half its
/// area), at least 128 px, a third of the photo, within ±20° of frontal. Panics saying what
/// is wrong; returns the face.
pub fn assert_photo_rules(what: &str, photo: &Picture) -> Face {
    let faces = photo.faces();
    let face = *faces
        .first()
        .unwrap_or_else(|| panic!("{what}: no face in the photo"));
    assert!(
        faces[1..].iter().all(|f| f.area() < 0.5 * face.area()),
        "{what}: a second face: {faces:?}"
    );
    assert!(
        face.width.min(face.height) >= 128.0,
        "{what}: the face is under 128 px: {face:?}"
    );
    let whole = zj_phone::liveness::PhotoCrop {
        x: 0,
        y: 0,
        width: photo.width,
        height: photo.height,
    };
    let share = face_share(&face, &whole);
    assert!(
        share >= 1.0 / 3.0,
        "{what}: the face is {share:.2} of the {}×{} photo: {face:?}",
        photo.width,
        photo.height
    );
    assert!(
        face.yaw_degrees().abs() <= MAX_FRONTAL_YAW,
        "{what}: turned {:.1}°",
        face.yaw_degrees()
    );
    face
}

thread_local! {
    static PHOTOS: RefCell<HashMap<u32, Vec<u8>>> = RefCell::new(HashMap::new());
}

/// How many different sign-in photos [`face_jpeg`] makes.
pub const FACE_VARIANTS: u32 = 16;

/// A sign-in photo of a real face (JPEG bytes), as the phone saves it: the astronaut's face
/// scaled to 150–171 px and cropped around it (1.6 face widths each way, the phone's crop),
/// exposed a little differently per `variant` (modulo [`FACE_VARIANTS`]), so that photos differ.
/// The same bytes for the same variant within a test run.
pub async fn face_jpeg(variant: u32) -> Vec<u8> {
    let variant = variant % FACE_VARIANTS;
    if let Some(bytes) = PHOTOS.with(|photos| photos.borrow().get(&variant).cloned()) {
        return bytes;
    }
    let source = test_image(FACE_PHOTO).await;
    let face = *source
        .faces()
        .first()
        .expect("a face in testdata/faces/astronaut.png");
    // The face as a camera 30–40 cm away sees it, then the phone's crop of that frame.
    let face_px = 150.0 + 3.0 * (variant % 8) as f32;
    let scale = face_px / face.width;
    let frame = Canvas::new(true).unwrap();
    let (width, height) = (
        (source.width as f32 * scale).round() as u32,
        (source.height as f32 * scale).round() as u32,
    );
    frame
        .draw(source.canvas().element(), width, height)
        .unwrap();
    let scaled = pixels(&frame);
    let scaled_face = *scaled.faces().first().expect("the scaled face");
    let crop = photo_crop(width, height, &scaled_face).expect("the phone's crop");
    let photo = Canvas::new(true).unwrap();
    photo
        .draw_region(&frame, (crop.x, crop.y, crop.width, crop.height))
        .unwrap();
    let exposure = 0.94 + 0.03 * (variant / 8) as f32 + 0.01 * (variant % 3) as f32;
    let exposed = pixels(&photo).exposed(exposure);
    let jpeg = exposed.canvas().jpeg(0.9).unwrap();
    assert_photo_rules(
        &format!("sign-in photo {variant}"),
        &decode_jpeg(&jpeg.base64).await,
    );
    PHOTOS.with(|photos| photos.borrow_mut().insert(variant, jpeg.bytes.clone()));
    jpeg.bytes
}
