//! The relay's photo check per sign-in photo, natively: base64 → JPEG decode → face detection
//! → the rules, as the gateway runs it on the blocking pool (`cargo bench -p zj-relay --bench
//! photo_check`; needs `testdata/`, made by `scripts/fetch-testdata.sh`).
//!
//! - `face photo`: the tests' sign-in photo, a real face cropped as the phone crops it (the face
//!   box 160 px, the photo 1.6 times that each way).
//! - `640x480 photo`: the first photo of `testdata/faces` scaled to 640×480, a larger JPEG than
//!   a phone sends.
//! - `no face`: a texture of `testdata/nonfaces`, refused.

use criterion::{criterion_group, criterion_main, Criterion};

#[allow(dead_code)]
#[path = "../tests/relay/relay_common/photos.rs"]
mod photos;

fn photo_check(c: &mut Criterion) {
    let mut detector = zj_relay::photo_detector().expect("the model built into the relay");
    let face = photos::base64(photos::face_jpeg());
    let first = photos::Picture::from(photos::testdata::images("faces").remove(0));
    let large = photos::base64(&first.resized(640, 480).jpeg());
    let (_, no_face) = photos::no_face_base64();
    for (name, photo, passes) in [
        ("face photo", &face, true),
        ("640x480 photo", &large, false),
        ("no face", &no_face, false),
    ] {
        let report = zj_relay::check_photo(&mut detector, photo);
        if passes {
            assert!(report.passed(), "{name}: {report:?}");
        }
        c.bench_function(&format!("photo check: {name}"), |b| {
            b.iter(|| zj_relay::check_photo(&mut detector, photo))
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = photo_check
}
criterion_main!(benches);
