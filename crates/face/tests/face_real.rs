//! The detector on real photos (host only: it reads `testdata/`, made by
//! `scripts/fetch-testdata.sh` from registry packages):
//!
//! - the network against the TFLite interpreter (PyPI `ai-edge-litert`, an independent runtime of
//!   the same `face_detection_short_range.tflite`) on every test photo's prepared input;
//! - detection rates: one face found in each single-face photo, faces found in group photos,
//!   false detections on non-faces, printed and held to the thresholds below.

#[path = "testdata/mod.rs"]
mod testdata;

use zj_face::{Detector, Image, KeypointName, MIN_SCORE};

const MODEL: &[u8] = include_bytes!("../../../models/blazeface-short.zjnn");

/// Largest difference allowed from TFLite on a regressor, input pixels (values reach ±130 on
/// faces and 10⁴ on the letterbox's empty anchors): float rounding of a different summation
/// order, relative to the value.
const REGRESSOR_TOLERANCE: f32 = 1e-3;
/// Largest difference allowed on a logit, relative to the value, or absolute below 1.
const LOGIT_TOLERANCE: f32 = 1e-3;
/// Single-face photos in which the face must be found (all of them today).
const MIN_FACE_RATE: f32 = 0.9;
/// Non-face photos that may hold a false detection: animal faces (MediaPipe's own model scores
/// the squirrel 0.59 on its own letterbox).
const MAX_FALSE_PHOTOS: usize = 1;

fn read_f32(name: &str, part: &str) -> Vec<f32> {
    let path = testdata::testdata_dir().join(format!("reference/{name}.{part}.f32"));
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Largest difference relative to the reference's magnitude (absolute below 1).
fn worst(ours: &[f32], theirs: &[f32]) -> f32 {
    assert_eq!(ours.len(), theirs.len());
    ours.iter()
        .zip(theirs)
        .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
        .fold(0.0, f32::max)
}

#[test]
fn the_network_matches_tflite_on_every_test_photo() {
    let mut detector = Detector::new(MODEL).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(testdata::testdata_dir().join("reference"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(".input.f32").map(str::to_owned)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 30, "{names:?}");
    let (mut worst_regressor, mut worst_logit) = (0f32, 0f32);
    for name in &names {
        let ours = detector.run_network(&read_f32(name, "input")).unwrap();
        let regressors = worst(&ours.regressors, &read_f32(name, "regressors"));
        let logits = worst(&ours.classificators, &read_f32(name, "classificators"));
        assert!(
            regressors <= REGRESSOR_TOLERANCE,
            "{name}: regressors off by {regressors}"
        );
        assert!(logits <= LOGIT_TOLERANCE, "{name}: logits off by {logits}");
        worst_regressor = worst_regressor.max(regressors);
        worst_logit = worst_logit.max(logits);
    }
    println!(
        "{} photos: worst relative difference from TFLite: regressors {worst_regressor:.2e}, \
         logits {worst_logit:.2e}",
        names.len()
    );
}

#[test]
fn one_face_is_found_in_each_single_face_photo() {
    let mut detector = Detector::new(MODEL).unwrap();
    let photos = testdata::images("faces");
    let mut found = 0;
    for photo in &photos {
        let image = Image::new(photo.width, photo.height, &photo.rgba).unwrap();
        let faces = detector.detect(&image);
        println!(
            "faces/{}: {} face(s) {:?}",
            photo.name,
            faces.len(),
            faces.first().map(|f| f.score)
        );
        let Some(face) = faces.first() else { continue };
        found += 1;
        assert!(
            faces.windows(2).all(|w| w[0].score >= w[1].score),
            "best first"
        );
        assert!(faces.iter().all(|f| f.score >= MIN_SCORE));
        // The keypoints lie in or near the box, the eyes above the mouth, the subject's right
        // eye on the image's left.
        let (rx, ry) = face.point(KeypointName::RightEye);
        let (lx, _) = face.point(KeypointName::LeftEye);
        let (_, my) = face.point(KeypointName::MouthCenter);
        assert!(rx < lx && ry < my, "{}: {face:?}", photo.name);
        for k in &face.keypoints {
            let margin = face.width * 0.25;
            assert!(
                k.x >= face.x - margin && k.x <= face.x + face.width + margin,
                "{}: {k:?} outside {face:?}",
                photo.name
            );
        }
    }
    let rate = found as f32 / photos.len() as f32;
    println!(
        "detection rate on single faces: {found}/{} = {rate:.2}",
        photos.len()
    );
    assert!(rate >= MIN_FACE_RATE);
}

#[test]
fn group_photos_give_several_faces_and_non_faces_few_false_ones() {
    let mut detector = Detector::new(MODEL).unwrap();
    let mut several = 0;
    let groups = testdata::images("groups");
    for photo in &groups {
        let image = Image::new(photo.width, photo.height, &photo.rgba).unwrap();
        let faces = detector.detect(&image);
        println!("groups/{}: {} face(s)", photo.name, faces.len());
        several += usize::from(faces.len() >= 2);
    }
    // The short-range model is made for faces near the camera (a phone held at arm's length):
    // whole group photos' faces are mostly under its ~20 px at 128×128; the crops of groups
    // must give their faces.
    assert!(
        several >= 2,
        "only {several} group photos gave two faces or more"
    );

    let mut false_photos = Vec::new();
    for photo in testdata::images("nonfaces") {
        let image = Image::new(photo.width, photo.height, &photo.rgba).unwrap();
        let faces = detector.detect(&image);
        println!(
            "nonfaces/{}: {} false detection(s)",
            photo.name,
            faces.len()
        );
        if !faces.is_empty() {
            false_photos.push(photo.name);
        }
    }
    println!("non-face photos with a false detection: {false_photos:?}");
    assert!(false_photos.len() <= MAX_FALSE_PHOTOS, "{false_photos:?}");
    for texture in ["brick", "grass", "gravel", "coffee", "building", "car"] {
        assert!(!false_photos.iter().any(|n| n == texture), "{texture}");
    }
}
