//! The detector module's exports called natively as JS calls them: buffers, refusals of wrong
//! pointers and sizes, a model that does not parse, and the real model on a blank image (the
//! detector's accuracy is zj-face's tests' business; in Chromium, tests/face_detect.rs).

use zj_face_wasm::{
    abi_version, alloc, detect, eye_openness, free, last_faces, last_message, load_landmarks,
    load_model, write_buffer, ABI_VERSION, ERR_BUFFER, ERR_IMAGE, ERR_MODEL, ERR_NO_LANDMARKS,
    ERR_NO_MODEL, FACE_FLOATS, MAX_ALLOC,
};

/// The committed model (scripts/vendor-models.sh).
const MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../models/blazeface-short.zjnn"
);
/// The face mesh (scripts/vendor-models.sh).
const MESH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../models/face-landmark.zjnn"
);

#[test]
fn buffers_are_given_and_taken_back_and_wrong_pointers_refused() {
    assert_eq!(abi_version(), ABI_VERSION);
    assert_eq!(alloc(0), 0);
    assert_eq!(alloc(MAX_ALLOC + 1), 0);
    let ptr = alloc(64);
    assert_ne!(ptr, 0);
    assert!(write_buffer(ptr, &[7; 64]));
    assert!(!write_buffer(ptr, &[7; 65]), "past the end");
    assert!(!write_buffer(ptr + 1, &[7; 4]), "not a buffer's start");
    assert_eq!(free(ptr + 1), ERR_BUFFER);
    assert_eq!(free(ptr), 0);
    assert_eq!(free(ptr), ERR_BUFFER, "freed twice");
    assert_eq!(detect(ptr, 4, 4), ERR_BUFFER, "a freed buffer");
    assert_eq!(load_model(ptr, 4), ERR_BUFFER);
}

#[test]
fn a_model_that_does_not_parse_is_refused_with_its_reason() {
    let ptr = alloc(16);
    assert!(write_buffer(ptr, b"not a model file"));
    assert_eq!(load_model(ptr, 16), ERR_MODEL);
    assert!(!last_message().is_empty());
    assert_eq!(load_model(ptr, 17), ERR_BUFFER, "longer than the buffer");
    free(ptr);
}

#[test]
fn the_real_model_finds_nothing_in_a_blank_image_and_checks_sizes() {
    let image = alloc(64 * 48 * 4);
    // Each test runs on its own thread, with its own (thread-local) module state.
    assert_eq!(detect(image, 64, 48), ERR_NO_MODEL);
    let model = std::fs::read(MODEL).expect("models/blazeface-short.zjnn is committed");
    let ptr = alloc(model.len());
    assert!(write_buffer(ptr, &model));
    assert_eq!(load_model(ptr, model.len()), 0, "{}", last_message());
    assert_eq!(free(ptr), 0, "the model is kept after its buffer goes");

    assert!(write_buffer(image, &[128; 64 * 48 * 4]));
    assert_eq!(detect(image, 64, 48), 0);
    assert!(last_faces().is_empty());
    assert_eq!(detect(image, 64, 49), ERR_IMAGE, "larger than the buffer");
    assert_eq!(detect(image, 0, 48), ERR_IMAGE);
    assert_eq!(detect(image, 48, 64), 0, "any size that fits");
    assert_eq!(FACE_FLOATS, 17);
    free(image);
}

/// `bytes` in a new buffer.
fn buffer_of(bytes: &[u8]) -> usize {
    let ptr = alloc(bytes.len());
    assert!(write_buffer(ptr, bytes));
    ptr
}

#[test]
fn the_face_mesh_loads_on_demand_and_measures_a_given_face() {
    let image = buffer_of(&[128; 320 * 240 * 4]);
    // A face box in the middle, keypoints where a frontal face has them.
    let face: [f32; FACE_FLOATS] = [
        100.0, 60.0, 120.0, 120.0, 0.9, 130.0, 100.0, 190.0, 100.0, 160.0, 130.0, 160.0, 155.0,
        105.0, 110.0, 215.0, 110.0,
    ];
    let face_bytes: Vec<u8> = face.iter().flat_map(|v| v.to_le_bytes()).collect();
    let face_ptr = buffer_of(&face_bytes);
    assert_eq!(
        eye_openness(image, 320, 240, face_ptr),
        ERR_NO_LANDMARKS as f32
    );

    let mesh = std::fs::read(MESH).expect("models/face-landmark.zjnn is committed");
    let ptr = buffer_of(&mesh);
    assert_eq!(load_landmarks(ptr, 16), ERR_MODEL, "a cut file");
    assert_eq!(load_landmarks(ptr, mesh.len()), 0, "{}", last_message());
    free(ptr);
    let open = eye_openness(image, 320, 240, face_ptr);
    assert!(open >= 0.0 && open.is_finite(), "{open}");
    assert_eq!(eye_openness(image, 320, 241, face_ptr), ERR_IMAGE as f32);
    let short = buffer_of(&face_bytes[..FACE_FLOATS * 4 - 1]);
    assert_eq!(eye_openness(image, 320, 240, short), ERR_BUFFER as f32);
    for ptr in [image, face_ptr, short] {
        free(ptr);
    }
}
