//! Registered face photos for roster persons who have no photo URL of their own: a small JPEG
//! drawn from the person id, so each person's photo is distinct and stable.

use jpeg_encoder::{ColorType, Encoder};

/// Photo width, in pixels.
const WIDTH: u16 = 240;
/// Photo height, in pixels.
const HEIGHT: u16 = 320;

/// A JPEG portrait placeholder: an oval "face" on a background whose colours come from
/// `person_id`.
pub(crate) fn face_jpeg(person_id: &str) -> Vec<u8> {
    let seed = person_id.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    let [r, g, b, _] = seed.to_le_bytes();
    let (w, h) = (f32::from(WIDTH), f32::from(HEIGHT));
    let mut pixels = Vec::with_capacity(usize::from(WIDTH) * usize::from(HEIGHT) * 3);
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let dx = (f32::from(x) - w / 2.0) / (w * 0.32);
            let dy = (f32::from(y) - h * 0.45) / (h * 0.3);
            let pixel = if dx * dx + dy * dy <= 1.0 {
                [224, 182, 150]
            } else {
                let shade = (u32::from(y) * 255 / u32::from(HEIGHT)) as u8;
                [r / 2 + shade / 2, g / 2, b / 2 + (255 - shade) / 2]
            };
            pixels.extend_from_slice(&pixel);
        }
    }
    let mut jpeg = Vec::new();
    Encoder::new(&mut jpeg, 85)
        .encode(&pixels, WIDTH, HEIGHT, ColorType::Rgb)
        .expect("encoding a well-sized RGB buffer into memory cannot fail");
    jpeg
}
