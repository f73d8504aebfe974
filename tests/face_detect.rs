//! The face detector as the browser loads it: `detectFaces(image)` and both builds of the
//! detector module (`pkg/face-simd.wasm`, `pkg/face-scalar.wasm`, with the model
//! `pkg/blazeface-short.zjnn`; `scripts/build-pkg.sh` makes them) on real photos from
//! `testdata/` (`scripts/fetch-testdata.sh`). wasm-bindgen's test runner serves the package's
//! folder at its origin, so the tests read `/pkg/…` and `/testdata/…` from there. Also prints
//! (never asserts) the detection time per 640×480 frame of each build.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{console_log, wasm_bindgen_test as test};
use web_sys::{HtmlImageElement, ImageData};
use zj_attendance::face_module::{self, FaceModule, FaceModuleError, Flavour};
use zj_attendance::{capture_canvas, detect_faces, Canvas, MAX_JPEG_BYTES};
use zj_phone::liveness::{Face, KeypointName};

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// One face each, frontal or nearly, large enough to judge the box.
const FACES: [&str; 4] = ["astronaut", "grace_hopper", "obama", "biden"];
/// Textures and objects with no face (the animal faces are zj-face's own tests' business).
const NON_FACES: [&str; 4] = ["brick", "gravel", "grass", "coffee"];

/// The folder the detector's files are served from.
fn pkg_base() -> String {
    format!(
        "{}/pkg/",
        web_sys::window().unwrap().location().origin().unwrap()
    )
}

/// A test image decoded by the browser: `(width, height, rgba)`.
async fn image(path: &str) -> (u32, u32, Vec<u8>) {
    let element = HtmlImageElement::new().unwrap();
    element.set_src(&format!("/testdata/{path}.png"));
    JsFuture::from(element.decode()).await.unwrap_or_else(|_| {
        panic!("testdata/{path}.png does not load: run ./scripts/fetch-testdata.sh")
    });
    let (width, height) = (element.natural_width(), element.natural_height());
    let canvas = Canvas::new(true).unwrap();
    canvas.draw(&element, width, height).unwrap();
    let mut rgba = Vec::new();
    canvas.read_rgba(&mut rgba).unwrap();
    (width, height, rgba)
}

/// The test image drawn at 640×480 (stretched: a camera frame's size).
async fn frame(path: &str) -> Vec<u8> {
    let (width, height, rgba) = image(path).await;
    let source = Canvas::new(true).unwrap();
    source.resize(width, height);
    let data =
        ImageData::new_with_u8_clamped_array_and_sh(wasm_bindgen::Clamped(&rgba), width, height)
            .unwrap();
    source.context().put_image_data(&data, 0.0, 0.0).unwrap();
    let canvas = Canvas::new(true).unwrap();
    canvas.draw(source.element(), 640, 480).unwrap();
    let mut out = Vec::new();
    canvas.read_rgba(&mut out).unwrap();
    out
}

/// A face box and keypoints that a person would draw on a `width × height` portrait: inside
/// the image, a tenth to nine tenths of its shorter side, eyes above the nose above the mouth,
/// the subject's right eye on the image's left, each inside the box.
fn assert_plausible(name: &str, face: &Face, width: u32, height: u32) {
    let (w, h) = (width as f32, height as f32);
    let short = w.min(h);
    assert!((0.5..=1.0).contains(&face.score), "{name}: {face:?}");
    assert!(
        face.x >= -0.05 * w && face.y >= -0.05 * h,
        "{name}: box starts outside: {face:?}"
    );
    assert!(
        face.x + face.width <= 1.05 * w && face.y + face.height <= 1.05 * h,
        "{name}: box ends outside: {face:?}"
    );
    assert!(
        (0.1 * short..=0.9 * short).contains(&face.width)
            && (0.5..=2.0).contains(&(face.height / face.width)),
        "{name}: box size: {face:?}"
    );
    let point = |k| face.point(k);
    let (right_eye, left_eye) = (point(KeypointName::RightEye), point(KeypointName::LeftEye));
    let (nose, mouth) = (
        point(KeypointName::NoseTip),
        point(KeypointName::MouthCenter),
    );
    assert!(right_eye.0 < left_eye.0, "{name}: eyes' sides: {face:?}");
    let eyes_y = (right_eye.1 + left_eye.1) / 2.0;
    assert!(
        eyes_y < nose.1 && nose.1 < mouth.1,
        "{name}: eyes, nose, mouth top to bottom: {face:?}"
    );
    for (x, y) in [right_eye, left_eye, nose, mouth] {
        assert!(
            (face.x..=face.x + face.width).contains(&x)
                && (face.y..=face.y + face.height).contains(&y),
            "{name}: a keypoint outside the box: {face:?}"
        );
    }
}

/// The faces the `flavour` build finds in each test image, checked; returns them.
async fn check_build(flavour: Flavour) -> Vec<Face> {
    let mut module = FaceModule::load(&pkg_base(), flavour)
        .await
        .unwrap_or_else(|e| panic!("{flavour:?} loads: {e}"));
    assert_eq!(module.flavour(), flavour);
    let mut found = Vec::new();
    for name in FACES {
        let (width, height, rgba) = image(&format!("faces/{name}")).await;
        let faces = module.detect_rgba(width, height, &rgba).unwrap();
        assert_eq!(faces.len(), 1, "{flavour:?} {name}: {faces:?}");
        assert_plausible(name, &faces[0], width, height);
        found.push(faces[0]);
    }
    for name in NON_FACES {
        let (width, height, rgba) = image(&format!("nonfaces/{name}")).await;
        let faces = module.detect_rgba(width, height, &rgba).unwrap();
        assert!(faces.is_empty(), "{flavour:?} {name}: {faces:?}");
    }
    // A blank frame, then a refused size: the module keeps working.
    assert!(module
        .detect_rgba(64, 48, &[128; 64 * 48 * 4])
        .unwrap()
        .is_empty());
    assert!(matches!(
        module.detect_rgba(64, 48, &[0; 10]),
        Err(FaceModuleError::BadImage(_))
    ));
    assert!(matches!(
        module.detect_rgba(0, 0, &[]),
        Err(FaceModuleError::BadImage(_))
    ));
    found
}

#[test]
async fn both_builds_find_one_face_in_each_portrait_and_none_in_textures_alike() {
    let simd = check_build(Flavour::Simd).await;
    let scalar = check_build(Flavour::Scalar).await;
    for ((name, a), b) in FACES.iter().zip(&simd).zip(&scalar) {
        let close = |p: f32, q: f32| (p - q).abs() <= 0.5;
        assert!(
            close(a.x, b.x)
                && close(a.y, b.y)
                && close(a.width, b.width)
                && (a.score - b.score).abs() < 1e-3,
            "{name}: SIMD {a:?} and scalar {b:?} differ"
        );
    }
}

#[test]
async fn detect_faces_loads_the_detector_and_answers_the_documented_shape() {
    face_module::set_location(Some(pkg_base()), None);
    let (width, height, rgba) = image("faces/astronaut").await;
    let data =
        ImageData::new_with_u8_clamped_array_and_sh(wasm_bindgen::Clamped(&rgba), width, height)
            .unwrap();
    let faces = detect_faces(data).await.expect("detectFaces resolves");
    let faces: js_sys::Array = faces.dyn_into().expect("an array");
    assert_eq!(faces.length(), 1);
    let face = faces.get(0);
    let get = |object: &JsValue, key: &str| Reflect::get(object, &key.into()).unwrap();
    for key in ["x", "y", "width", "height", "score"] {
        assert!(get(&face, key).as_f64().is_some(), "{key} is a number");
    }
    let keypoints: js_sys::Array = get(&face, "keypoints").dyn_into().unwrap();
    let names: Vec<String> = keypoints
        .iter()
        .map(|k| get(&k, "name").as_string().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "rightEye",
            "leftEye",
            "noseTip",
            "mouthCenter",
            "rightEarTragion",
            "leftEarTragion"
        ]
    );
    assert!(get(&keypoints.get(0), "x").as_f64().is_some());
    // Loaded once: the camera step's handle is there now.
    assert!(face_module::loaded().is_some());
}

#[test]
async fn a_detector_that_cannot_be_fetched_is_unavailable() {
    let error = FaceModule::load("/no-such-folder/", Flavour::Scalar)
        .await
        .expect_err("nothing there");
    assert_eq!(error.code(), "detectorUnavailable");
    assert!(
        error.to_string().contains("人脸检测模块加载失败"),
        "{error}"
    );
}

#[test]
async fn detection_time_per_640x480_frame() {
    let rgba = frame("faces/astronaut").await;
    let performance = web_sys::window().unwrap().performance().unwrap();
    for flavour in [Flavour::Simd, Flavour::Scalar] {
        let mut module = FaceModule::load(&pkg_base(), flavour).await.unwrap();
        let mut times = Vec::new();
        for _ in 0..30 {
            let start = performance.now();
            let faces = module.detect_rgba(640, 480, &rgba).unwrap();
            times.push(performance.now() - start);
            assert_eq!(faces.len(), 1);
        }
        times.sort_by(f64::total_cmp);
        console_log!(
            "detection of a 640×480 frame, {flavour:?} build: median {:.2} ms, best {:.2} ms (30 runs, copy into the module included)",
            times[times.len() / 2],
            times[0]
        );
    }
}

/// `name`'s test image drawn on a canvas.
async fn canvas_of(name: &str) -> Canvas {
    let (width, height, rgba) = image(name).await;
    let canvas = Canvas::new(true).unwrap();
    canvas.resize(width, height);
    let data =
        ImageData::new_with_u8_clamped_array_and_sh(wasm_bindgen::Clamped(&rgba), width, height)
            .unwrap();
    canvas.context().put_image_data(&data, 0.0, 0.0).unwrap();
    canvas
}

#[test]
async fn the_photo_is_cropped_around_the_one_face_and_refused_without_a_usable_one() {
    face_module::set_location(Some(pkg_base()), None);
    face_module::shared().await.expect("the detector loads");

    for name in ["faces/obama", "faces/biden", "faces/grace_hopper"] {
        let photo = capture_canvas(&canvas_of(name).await)
            .unwrap_or_else(|e| panic!("{name}: {:?}", Reflect::get(&e, &"message".into())));
        assert!(photo.byte_length() < MAX_JPEG_BYTES, "{name}");
        let face = photo.face();
        let get = |key: &str| Reflect::get(&face, &key.into()).unwrap().as_f64().unwrap();
        let (w, h) = (f64::from(photo.width()), f64::from(photo.height()));
        let (fx, fy, fw, fh) = (get("x"), get("y"), get("width"), get("height"));
        console_log!(
            "{name}: photo {w}×{h}, {} bytes, face {fw:.0}×{fh:.0} at ({fx:.0}, {fy:.0})",
            photo.byte_length()
        );
        assert!(fw.min(fh) >= 128.0, "{name}: face under 128 px");
        let inside = (fx + fw).min(w) - fx.max(0.0);
        let inside = inside * ((fy + fh).min(h) - fy.max(0.0));
        assert!(inside / (w * h) >= 1.0 / 3.0, "{name}: face under a third");
    }

    for (name, code) in [
        ("nonfaces/brick", "noFace"),
        ("faces/solvay_bohr", "faceTooSmall"),
    ] {
        let error = match capture_canvas(&canvas_of(name).await) {
            Ok(_) => panic!("{name}: a photo"),
            Err(error) => error,
        };
        let text = |key: &str| Reflect::get(&error, &key.into()).unwrap().as_string();
        assert_eq!(text("code").as_deref(), Some(code), "{name}");
        assert!(
            text("message").is_some_and(|m| m.chars().any(|c| c > '\u{2e80}')),
            "{name}: a Chinese message"
        );
    }
}

#[test]
async fn the_face_mesh_measures_open_eyes_on_a_real_face() {
    let mut module = FaceModule::load(&pkg_base(), Flavour::Simd).await.unwrap();
    let (width, height, rgba) = image("faces/grace_hopper").await;
    let face = module.detect_rgba(width, height, &rgba).unwrap()[0];
    assert!(
        module.eye_openness(width, height, &rgba, &face).is_err(),
        "not before the mesh is loaded"
    );
    let file = FaceModule::fetch_landmarks(&pkg_base()).await.unwrap();
    module.set_landmarks(&file).expect("the face mesh loads");
    let open = module.eye_openness(width, height, &rgba, &face).unwrap();
    let performance = web_sys::window().unwrap().performance().unwrap();
    let mut times: Vec<f64> = (0..10)
        .map(|_| {
            let start = performance.now();
            module.eye_openness(width, height, &rgba, &face).unwrap();
            performance.now() - start
        })
        .collect();
    times.sort_by(f64::total_cmp);
    console_log!(
        "grace_hopper: eye openness {open:.3}; the face mesh takes {:.1} ms a frame (median of 10, SIMD build)",
        times[5]
    );
    assert!((0.15..=0.6).contains(&open), "open eyes: {open}");
}
