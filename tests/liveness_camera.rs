//! The camera and the liveness JS API in headless Chromium with a fake camera showing a real
//! face: scikit-image's astronaut (`testdata/faces/astronaut.png`) framed by the real-photo
//! liveness tests' scene, her eyes edited closed for 150 ms, written by
//! `crates/phone/examples/fake_camera_y4m.rs` to /tmp/zj-fake-camera.y4m (scripts/test.sh runs
//! it; webdriver.json names the file). With the page's face detector loaded (`pkg/`, as
//! `scripts/build-pkg.sh` makes it): capture gives a JPEG under 400 KB cropped around the face
//! (one face, at least 128 px and a third of the photo, frontal, checked again on the decoded
//! JPEG), tracks stop, a recorded video cannot follow the flash, the WeChat fallback works and
//! is lower-trust, a dark photo is refused. Also prints (never asserts) what per-frame analysis
//! costs as wasm.

mod browser_common;
#[path = "../crates/phone/tests/liveness_real/photo_scene.rs"]
#[allow(dead_code)] // the scene's printed photos and fingers are the native tests' business
mod photo_scene;

use browser_common::faces::{
    assert_photo_rules, decode_jpeg, pixels, test_image, Picture, DETECTOR_MODEL, FACE_PHOTO,
};
use js_sys::{Function, Reflect, JSON};
use photo_scene::{Portrait, Pose, HEIGHT, WIDTH};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{console_log, wasm_bindgen_test as test};
use web_sys::{HtmlVideoElement, MediaStreamTrack};
use zj_attendance::face_module::{self, SharedFaces};
use zj_attendance::{
    capture_photo, capture_photo_fallback, CameraError, Canvas, LivenessCamera, LivenessSession,
    MAX_JPEG_BYTES,
};
use zj_phone::liveness::{
    Challenge, ChallengeRun, Detector, Frame, Guide, GuideSampler, LandmarkModel, Nonce,
    NonceSource, QualityLimits,
};

/// The face mesh, which the scene uses to find the eyes it closes.
const MESH_MODEL: &[u8] = include_bytes!("../models/face-landmark.zjnn");

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &key.into()).expect("property readable")
}

fn now() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// The build the figures are printed for (`cargo test --release` for the real ones).
fn build() -> &'static str {
    if cfg!(debug_assertions) {
        "debug build"
    } else {
        "release build"
    }
}

/// A `<video>` in the page, as the clock-in page has one.
fn video() -> HtmlVideoElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let video: HtmlVideoElement = document.create_element("video").unwrap().unchecked_into();
    document.body().unwrap().append_child(&video).unwrap();
    video
}

/// The JSON of a `JSON.parse`d value, for readable assertion messages.
fn text(value: &JsValue) -> String {
    JSON::stringify(value).unwrap().as_string().unwrap()
}

/// Loads the page's face detector from `/pkg/` (the runner serves the workspace's top folder;
/// the phone module's own JS is elsewhere), once.
async fn load_detector() {
    if face_module::loaded().is_some() {
        return;
    }
    let origin = web_sys::window().unwrap().location().origin().unwrap();
    face_module::set_location(Some(format!("{origin}/pkg/")), None);
    face_module::shared()
        .await
        .expect("the face detector loads from pkg/: run ./scripts/build-pkg.sh");
}

/// The astronaut's portrait, as the scene frames it (the fake camera's face).
async fn portrait() -> Portrait {
    let photo = test_image(FACE_PHOTO).await;
    Portrait::new(
        &mut Detector::new(DETECTOR_MODEL).unwrap(),
        &mut LandmarkModel::new(MESH_MODEL).unwrap(),
        photo.width,
        photo.height,
        photo.rgba,
    )
}

/// A 640×480 frame of the scene in `pose`.
fn scene_frame(portrait: &Portrait, pose: &Pose) -> Picture {
    let mut rgba = vec![0u8; WIDTH * HEIGHT * 4];
    portrait.render(pose, &mut rgba);
    Picture {
        width: WIDTH as u32,
        height: HEIGHT as u32,
        rgba,
    }
}

#[test]
async fn the_camera_starts_captures_a_small_jpeg_of_the_face_and_stops_its_tracks() {
    load_detector().await;
    let video = video();
    let mut camera = LivenessCamera::start(video.clone())
        .await
        .expect("camera starts");
    assert_eq!((camera.width(), camera.height()), (640, 480));
    assert!(video.has_attribute("playsinline") && video.muted());

    // The fake camera shows the real face (Chromium read the y4m): one face, about 220 px, in
    // the middle.
    let canvas = Canvas::new(true).unwrap();
    canvas.draw(&video, 640, 480).unwrap();
    let frame = pixels(&canvas);
    let faces = frame.faces();
    assert_eq!(faces.len(), 1, "{faces:?}");
    let (cx, cy) = faces[0].centre();
    assert!(
        (180.0..260.0).contains(&faces[0].width)
            && (cx - 320.0).abs() < 40.0
            && (cy - 240.0).abs() < 60.0,
        "{faces:?}"
    );

    let photo = capture_photo(&mut camera).expect("a good frame is captured");
    assert!(
        photo.byte_length() < MAX_JPEG_BYTES,
        "{}",
        photo.byte_length()
    );
    // The aim for a 640×480 capture: at most 100 KB.
    assert!(photo.byte_length() <= 100 * 1024, "{}", photo.byte_length());
    assert!(photo.byte_length() > 5_000, "{}", photo.byte_length());
    assert!(
        photo.jpeg_base64().starts_with("/9j/"),
        "a JPEG, no data: prefix"
    );
    assert_eq!(
        (photo.source().as_str(), photo.lower_trust()),
        ("camera", false)
    );
    // Cropped around the face: the photo's own face (as the module saw it) and the face the
    // detector finds again in the decoded JPEG (as the relay does) both meet the rules.
    assert!(photo.width() < 640 && photo.height() < 480);
    let face: zj_phone::liveness::Face = serde_json::from_str(&text(&photo.face())).unwrap();
    assert!(face.width >= 128.0, "{face:?}");
    let found = assert_photo_rules(
        "the camera's photo",
        &decode_jpeg(&photo.jpeg_base64()).await,
    );
    console_log!(
        "fake camera photo: {}×{}, {} bytes, the face {:.0}×{:.0} px, yaw {:.1}°",
        photo.width(),
        photo.height(),
        photo.byte_length(),
        found.width,
        found.height,
        found.yaw_degrees()
    );

    let stream = camera.stream();
    assert!(
        js_sys::Object::is(&stream, &video.src_object().unwrap()),
        "the shown stream"
    );
    let tracks = stream.get_tracks();
    assert!(tracks.length() >= 1);
    camera.stop();
    for track in tracks.iter() {
        let track: MediaStreamTrack = track.unchecked_into();
        assert_eq!(
            get(&track, "readyState").as_string().as_deref(),
            Some("ended")
        );
    }
    assert!(video.src_object().is_none());
}

#[test]
async fn a_recorded_video_cannot_follow_the_flash() {
    load_detector().await;
    let mut camera = LivenessCamera::start(video()).await.expect("camera starts");
    let mut session = LivenessSession::new(None).unwrap();
    assert!(session.face_detector(), "the session finds the face");
    assert_eq!(session.nonce_source(), "local");
    assert_eq!(session.nonce().len(), 32);
    let prompts = session.prompts();
    assert_eq!(
        js_sys::Array::from(&prompts).length(),
        3,
        "{}",
        text(&prompts)
    );

    let (mut analysed, mut cost_ms) = (0u32, 0.0);
    let deadline = now() + 30_000.0;
    loop {
        let t = now();
        let progress = session
            .analyse_frame(&mut camera, t)
            .expect("frame analysed");
        cost_ms += now() - t;
        analysed += 1;
        if get(&progress, "done").as_bool() == Some(true) || t > deadline {
            break;
        }
        sleep(40).await;
    }
    console_log!(
        "analyseFrame on the fake camera (drawImage + getImageData + analysis, {}): {:.2} ms per frame over {analysed} frames",
        build(),
        cost_ms / f64::from(analysed)
    );
    let verdict = session.verdict();
    assert_eq!(
        get(&verdict, "overall").as_string().as_deref(),
        Some("notLive"),
        "{}",
        text(&verdict)
    );
    let checks = js_sys::Array::from(&get(&verdict, "checks"));
    let flash = checks
        .iter()
        .find(|c| get(c, "kind").as_string().as_deref() == Some("flash"))
        .expect("a flash check");
    assert_eq!(
        get(&flash, "outcome").as_string().as_deref(),
        Some("failed"),
        "{}",
        text(&flash)
    );
    // Judged on the real face the detector found, which was there all along.
    assert_eq!(
        get(&flash, "method").as_string().as_deref(),
        Some("faceRegion"),
        "{}",
        text(&flash)
    );
    assert!(get(&flash, "face").is_object(), "{}", text(&flash));
    assert!(get(&flash, "faceIssue").is_undefined(), "{}", text(&flash));

    let photo = capture_photo(&mut camera).unwrap();
    let evidence = JSON::parse(&session.evidence_json(&photo).unwrap()).unwrap();
    assert_eq!(
        get(&evidence, "nonceSource").as_string().as_deref(),
        Some("local")
    );
    assert_eq!(
        get(&evidence, "capture").as_string().as_deref(),
        Some("camera")
    );
    assert_eq!(get(&evidence, "hash").as_string().unwrap().len(), 64);
    let frames = js_sys::Array::from(&get(&evidence, "frames"));
    assert_eq!(frames.length(), 3, "one per step");
    assert_eq!(get(&frames.get(0), "width").as_f64(), Some(160.0));
}

/// Installs a fake WeChat JS-SDK whose camera "takes" `picture` (as WeChat does: base64 JPEG).
fn fake_wechat(picture: &Picture) {
    let jpeg = picture.canvas().jpeg(0.95).unwrap();
    let window = web_sys::window().unwrap();
    Reflect::set(&window, &"zjFakePhoto".into(), &jpeg.base64.into()).unwrap();
    let install = Function::new_no_args(
        "window.wx = {
           chooseImage(o) { o.success({localIds: ['wxLocalResource://photo']}); },
           getLocalImgData(o) { o.success({localData: window.zjFakePhoto}); },
         };",
    );
    install.call0(&JsValue::NULL).unwrap();
}

fn remove_fake_wechat() {
    let window = web_sys::window().unwrap();
    Reflect::delete_property(&window, &"wx".into()).unwrap();
}

#[test]
async fn the_wechat_fallback_takes_a_lower_trust_photo() {
    load_detector().await;
    fake_wechat(&scene_frame(&portrait().await, &Pose::default()));
    let photo = capture_photo_fallback().await;
    remove_fake_wechat();
    let photo = photo.expect("the WeChat photo is taken");
    assert_eq!(
        (photo.source().as_str(), photo.lower_trust()),
        ("wechat", true)
    );
    assert!(photo.byte_length() < MAX_JPEG_BYTES);
    assert_photo_rules("the WeChat photo", &decode_jpeg(&photo.jpeg_base64()).await);
    let session = LivenessSession::new(Some("00112233445566778899aabbccddeeff".into())).unwrap();
    assert_eq!(session.nonce_source(), "relay");
    let evidence = JSON::parse(&session.evidence_json(&photo).unwrap()).unwrap();
    assert_eq!(
        get(&evidence, "overall").as_string().as_deref(),
        Some("inconclusive")
    );
    assert_eq!(get(&evidence, "lowerTrust").as_bool(), Some(true));
    assert_eq!(js_sys::Array::from(&get(&evidence, "checks")).length(), 0);
}

#[test]
async fn a_dark_photo_is_refused_with_a_chinese_message() {
    load_detector().await;
    // So dark that the face, still found, is under the quality check's light.
    let dark = scene_frame(&portrait().await, &Pose::default()).exposed(0.2);
    assert_eq!(dark.faces().len(), 1, "the detector still finds the face");
    fake_wechat(&dark);
    let refused = capture_photo_fallback().await;
    remove_fake_wechat();
    let error = refused.err().expect("refused");
    assert_eq!(get(&error, "code").as_string().as_deref(), Some("tooDark"));
    let message = get(&error, "message").as_string().unwrap();
    assert!(message.starts_with("光线太暗"), "{message}");
}

#[test]
fn a_refused_camera_says_what_to_do_and_offers_the_fallback() {
    let rejection = |name: &str| {
        Function::new_with_args("name", "return new DOMException('no', name);")
            .call1(&JsValue::NULL, &name.into())
            .unwrap()
    };
    let denied = CameraError::from_rejection(&rejection("NotAllowedError"));
    assert_eq!(denied, CameraError::Denied);
    let busy = CameraError::from_rejection(&rejection("NotReadableError"));
    assert_eq!(busy, CameraError::InUse);
    assert_eq!(
        CameraError::from_rejection(&rejection("Strange")),
        CameraError::Other("Strange".into())
    );
    let thrown = JsValue::from(denied);
    assert_eq!(get(&thrown, "code").as_string().as_deref(), Some("denied"));
    assert_eq!(get(&thrown, "fallback").as_bool(), Some(true));
    let message = get(&thrown, "message").as_string().unwrap();
    assert!(
        message.contains("允许") && message.contains("拍照上传"),
        "{message}"
    );
    assert_eq!(get(&JsValue::from(busy), "fallback").as_bool(), Some(false));
}

#[test]
fn a_bad_nonce_is_refused() {
    let error = LivenessSession::new(Some("short".into())).err().unwrap();
    assert_eq!(get(&error, "code").as_string().as_deref(), Some("badNonce"));
}

#[test]
async fn per_frame_analysis_cost_in_wasm() {
    load_detector().await;
    let portrait = portrait().await;
    let frames: Vec<Picture> = [false, true]
        .map(|eyes_closed| {
            let pose = Pose {
                eyes_closed,
                ..Pose::default()
            };
            scene_frame(&portrait, &pose)
        })
        .into();
    let frame = |i: usize| Frame::new(640, 480, &frames[i % 2].rgba).unwrap();
    const N: usize = 100;
    let mut sampler = GuideSampler::new(640, 480, Guide::default());
    let start = now();
    for i in 0..N {
        sampler.analyse(&frame(i));
    }
    let sampler_ms = (now() - start) / N as f64;
    let run_ms = |detector: bool| {
        let challenge = Challenge::plan(Nonce::local([1; 16]), NonceSource::Local);
        let mut run = ChallengeRun::new(challenge, Guide::default(), QualityLimits::default());
        if detector {
            let module = face_module::loaded().expect("the detector is loaded");
            run.set_face_source(Box::new(SharedFaces(module)));
        }
        let start = now();
        for i in 0..N {
            run.push_frame(&frame(i), 50.0 * i as f64);
        }
        (now() - start) / N as f64
    };
    let (region_ms, face_ms) = (run_ms(false), run_ms(true));
    let flavour = face_module::loaded().unwrap().borrow().flavour();
    console_log!(
        "wasm per-frame analysis of 640×480 ({}): guide sampler {sampler_ms:.3} ms, ChallengeRun::push_frame {region_ms:.3} ms without the detector, {face_ms:.3} ms with it ({flavour:?} detector module)",
        build()
    );
}
