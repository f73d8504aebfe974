//! The detector on what every build can check: the model file's parsing and its refusals, and
//! images without faces (also runs as wasm in headless Chromium). The real photos and the
//! comparison with TFLite are in `face_real.rs` (host only: it reads `testdata/`).

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use zj_face::{Detector, Image, ImageError, ModelError};

wasm_bindgen_test_configure!(run_in_browser);

/// The committed model (scripts/vendor-models.sh).
const MODEL: &[u8] = include_bytes!("../../../../models/blazeface-short.zjnn");

/// The model with its header replaced by `header` (weights kept).
fn with_header(header: &str) -> Vec<u8> {
    let length = u32::from_le_bytes(MODEL[4..8].try_into().unwrap()) as usize;
    let weights = &MODEL[(8 + length).next_multiple_of(4)..];
    let mut bytes = b"ZJNN".to_vec();
    bytes.extend((header.len() as u32).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.resize(bytes.len().next_multiple_of(4), 0);
    bytes.extend(weights);
    bytes
}

fn header() -> serde_json::Value {
    let length = u32::from_le_bytes(MODEL[4..8].try_into().unwrap()) as usize;
    serde_json::from_slice(&MODEL[8..8 + length]).unwrap()
}

#[wasm_bindgen_test(unsupported = test)]
fn the_committed_model_loads() {
    assert!(Detector::new(MODEL).is_ok());
    assert_eq!(header()["name"], "face_detection_short_range");
}

#[wasm_bindgen_test(unsupported = test)]
fn broken_model_files_are_refused_with_a_reason() {
    let refused = |bytes: &[u8]| Detector::new(bytes).expect_err("refused");
    assert_eq!(refused(b""), ModelError::NotAModel);
    assert_eq!(refused(b"PK\x03\x04 a zip file"), ModelError::NotAModel);
    assert_eq!(refused(&MODEL[..100]), ModelError::NotAModel, "truncated");
    assert!(matches!(refused(&with_header("{")), ModelError::Header(_)));

    let mut future = header();
    future["format"] = 2.into();
    assert_eq!(
        refused(&with_header(&future.to_string())),
        ModelError::Format(2)
    );

    let mut out_of_range = header();
    out_of_range["ops"][0]["filter"]["offset"] = 1_000_000_000.into();
    assert!(matches!(
        refused(&with_header(&out_of_range.to_string())),
        ModelError::Op { index: 0, .. }
    ));

    let mut wrong_shape = header();
    wrong_shape["ops"][1]["shape"] = serde_json::json!([1, 63, 64, 24]);
    assert!(matches!(
        refused(&with_header(&wrong_shape.to_string())),
        ModelError::Op { index: 1, .. }
    ));

    let mut unordered = header();
    unordered["ops"].as_array_mut().unwrap().swap(0, 3);
    assert!(matches!(
        refused(&with_header(&unordered.to_string())),
        ModelError::Op { .. }
    ));

    let mut no_scores = header();
    no_scores["outputs"].as_array_mut().unwrap().pop();
    assert!(matches!(
        refused(&with_header(&no_scores.to_string())),
        ModelError::Interface(_)
    ));
}

#[wasm_bindgen_test(unsupported = test)]
fn images_are_checked() {
    assert_eq!(
        Image::new(0, 10, &[]).unwrap_err(),
        ImageError::Size {
            width: 0,
            height: 10
        }
    );
    assert!(matches!(
        Image::new(2, 2, &[0; 15]).unwrap_err(),
        ImageError::Length { expected: 16, .. }
    ));
}

#[wasm_bindgen_test(unsupported = test)]
fn plain_and_tiny_images_hold_no_face() {
    let mut detector = Detector::new(MODEL).unwrap();
    for (width, height, value) in [(640, 480, 0), (640, 480, 255), (480, 640, 128), (1, 1, 90)] {
        let rgba = vec![value; width * height * 4];
        let image = Image::new(width as u32, height as u32, &rgba).unwrap();
        assert!(
            detector.detect(&image).is_empty(),
            "{width}×{height} of {value}"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn the_network_refuses_an_input_of_another_length() {
    let mut detector = Detector::new(MODEL).unwrap();
    assert!(detector.run_network(&[0.0; 10]).is_none());
    let output = detector.run_network(&[0.0; 128 * 128 * 3]).unwrap();
    assert_eq!(
        (output.regressors.len(), output.classificators.len()),
        (896 * 16, 896)
    );
}
