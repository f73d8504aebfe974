//! The relay's re-check of each sign-in's photo, with real photos from `testdata/`: a face
//! forwarded; no face, two faces, a small face, a photo that is not a JPEG and one whose header
//! claims a huge size refused for good
//! (`400_02`, the reason in Chinese, nothing at the platform, the same answer on a retry);
//! `check = "flag"` forwarding and flagging; every check in the manager's sign-in list.

use serde_json::{json, Value};
use zj_protocol::wire::Response;
use zj_relay::config::{Override, PhoneConfig, PhotoCheckMode, RelayConfig, Secret};

use crate::relay_common::photos;
use crate::relay_common::platform::TaskRelay;
use crate::relay_common::sim_common::SN;
use crate::relay_common::{phone_record, refusal, test_phone, PhoneClient, Transport};

/// A relay with one configured phone and the photo check in `mode`, and that phone, signed in.
async fn relay_and_phone(name: &str, mode: PhotoCheckMode) -> (TaskRelay, PhoneClient) {
    let phone = test_phone(name);
    let configured = PhoneConfig {
        sn: phone.sn.clone(),
        access_id: phone.access_id.clone(),
        access_key: phone.access_key.clone(),
        access_secret: Secret::new(phone.access_secret.clone()),
        platform_sn: SN.into(),
    };
    let relay = TaskRelay::start(name, 20, |config| {
        config.phones = vec![configured];
        config.photo.check = mode;
    })
    .await;
    let client = PhoneClient::connect(Transport::Http, &relay.url, &phone)
        .await
        .authed()
        .await;
    (relay, client)
}

/// A sign-in of person `P-1` with `img` as its photo.
fn record_with_photo(record_id: &str, img: &str) -> String {
    let mut record: Value = serde_json::from_str(&phone_record("P-1", record_id)).unwrap();
    record["img"] = img.into();
    record.to_string()
}

/// The manager's sign-in list entry of `record_id`.
async fn audited(relay: &TaskRelay, record_id: &str) -> Value {
    let (status, list) = relay.manager("GET", "/v1/manager/signins", None).await;
    assert_eq!(status, 200, "{list}");
    (list.as_array().unwrap().iter())
        .find(|entry| entry["recordId"] == record_id)
        .unwrap_or_else(|| panic!("{record_id} is not in the sign-in list: {list}"))
        .clone()
}

/// Sends `img` as record `record_id` twice and checks both answers are the same final
/// refusal whose reason contains `reason`; returns the manager's list entry.
async fn assert_refused_for_good(
    relay: &TaskRelay,
    phone: &mut PhoneClient,
    record_id: &str,
    img: &str,
    reason: &str,
) -> Value {
    let record = record_with_photo(record_id, img);
    let first: Response = phone.sign_in(&record).await;
    let error = refusal(&first).unwrap_or_else(|| panic!("{record_id} was accepted"));
    assert_eq!(error.errorcode, "400_02", "{error:?}");
    assert!(error.errormsg.contains(reason), "{error:?}");
    assert!(
        !error.errormsg.is_ascii(),
        "the reason is Chinese: {error:?}"
    );
    let again = refusal(&phone.sign_in(&record).await);
    assert_eq!(
        again.as_ref(),
        Some(&error),
        "a retry gets the first answer"
    );
    let entry = audited(relay, record_id).await;
    assert_eq!(entry["platformResult"]["state"], "refused", "{entry}");
    assert_eq!(entry["photoCheck"]["verdict"], "refused", "{entry}");
    assert_eq!(
        entry["photoCheck"]["reason"],
        json!(error.errormsg),
        "{entry}"
    );
    entry
}

#[tokio::test]
async fn a_real_face_photo_is_forwarded_and_its_check_is_in_the_sign_in_list() {
    let (relay, mut phone) = relay_and_phone("photo-face", PhotoCheckMode::Refuse).await;
    let reply = phone.sign_in(&phone_record("P-1", "face-1")).await;
    assert!(reply.success, "{reply:?}");
    assert_eq!(relay.http.signins().await.len(), 1);
    let check = &audited(&relay, "face-1").await["photoCheck"];
    assert_eq!(check["mode"], "refuse", "{check}");
    assert_eq!(check["verdict"], "passed", "{check}");
    assert_eq!(check["reason"], Value::Null, "{check}");
    assert_eq!(check["faces"], 1, "{check}");
    assert_eq!(check["problem"], Value::Null, "{check}");
    let face = &check["mainFace"];
    for member in ["x", "y", "width", "height", "score", "yawDegrees", "share"] {
        assert!(face[member].is_number(), "mainFace.{member}: {check}");
    }
    assert!(face["width"].as_f64().unwrap() >= 112.0, "{check}");
    assert!(face["score"].as_f64().unwrap() >= 0.5, "{check}");
    assert!(check["image"]["width"].is_number(), "{check}");
    assert!(check["elapsedMs"].is_number(), "{check}");
    assert_eq!(
        check["thresholds"],
        json!({"minFaceSidePx": 112.0, "minFaceShare": 0.28, "maxYawDegrees": 25.0,
               "secondFaceAreaRatio": 0.5}),
        "{check}"
    );
}

#[tokio::test]
async fn photos_without_one_large_face_are_refused_for_good_with_the_reason_in_chinese() {
    let (relay, mut phone) = relay_and_phone("photo-refused", PhotoCheckMode::Refuse).await;
    let (texture, no_face) = photos::no_face_base64();
    let entry = assert_refused_for_good(&relay, &mut phone, "none", &no_face, "未检测到人脸").await;
    assert_eq!(entry["photoCheck"]["faces"], 0, "{texture}: {entry}");
    assert_eq!(entry["photoCheck"]["problem"]["code"], "noFace", "{entry}");

    let two = photos::two_faces_base64();
    let entry = assert_refused_for_good(&relay, &mut phone, "two", &two, "只让本人入镜").await;
    assert_eq!(entry["photoCheck"]["faces"], 2, "{entry}");
    assert_eq!(
        entry["photoCheck"]["problem"]["code"], "severalFaces",
        "{entry}"
    );

    let small = photos::small_face_base64(90.0);
    let entry = assert_refused_for_good(&relay, &mut phone, "small", &small, "人脸太小").await;
    assert_eq!(entry["photoCheck"]["faces"], 1, "{entry}");
    assert_eq!(
        entry["photoCheck"]["problem"]["code"], "faceTooSmall",
        "{entry}"
    );
    assert!(entry["photoCheck"]["mainFace"]["width"].as_f64().unwrap() < 112.0);

    assert!(
        relay.http.signins().await.is_empty(),
        "nothing refused reaches the platform"
    );
    let reply = phone.sign_in(&phone_record("P-1", "face")).await;
    assert!(
        reply.success,
        "the same phone's real face goes through: {reply:?}"
    );
}

#[tokio::test]
async fn a_photo_that_is_not_a_jpeg_is_refused_for_good() {
    let (relay, mut phone) = relay_and_phone("photo-not-jpeg", PhotoCheckMode::Refuse).await;
    let png = photos::png_base64();
    let entry = assert_refused_for_good(&relay, &mut phone, "png", &png, "JPEG").await;
    assert_eq!(entry["photoCheck"]["problem"]["code"], "notJpeg", "{entry}");
    assert_eq!(entry["photoCheck"]["image"], Value::Null, "{entry}");
    let junk = crate::relay_common::base64_not_a_photo(3000);
    assert_refused_for_good(&relay, &mut phone, "junk", &junk, "JPEG").await;
    // The start of a JPEG, its pixels cut off.
    let jpeg = photos::face_jpeg();
    let cut = photos::base64(&jpeg[..jpeg.len().min(600)]);
    let reply = phone.sign_in(&record_with_photo("cut", &cut)).await;
    assert_eq!(refusal(&reply).map(|e| e.errorcode), Some("400_02".into()));
    // A real JPEG whose frame header claims 60,000 × 60,000 pixels (14 GB of RGBA): refused
    // from the header, before anything is allocated for its pixels.
    let mut bomb = photos::face_jpeg().to_vec();
    let frame_header = (bomb.windows(2))
        .position(|m| m[0] == 0xFF && matches!(m[1], 0xC0..=0xC2))
        .expect("a frame header");
    bomb[frame_header + 5..frame_header + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    let entry = assert_refused_for_good(
        &relay,
        &mut phone,
        "bomb",
        &photos::base64(&bomb),
        "尺寸过大",
    )
    .await;
    assert_eq!(
        entry["photoCheck"]["problem"]["code"], "tooLarge",
        "{entry}"
    );
    assert!(relay.http.signins().await.is_empty());
}

#[tokio::test]
async fn flag_mode_forwards_a_failed_photo_and_flags_it_in_the_sign_in_list() {
    let (relay, mut phone) = relay_and_phone("photo-flag", PhotoCheckMode::Flag).await;
    let (_, no_face) = photos::no_face_base64();
    let reply = phone.sign_in(&record_with_photo("flagged", &no_face)).await;
    assert!(reply.success, "{reply:?}");
    assert!(phone.sign_in(&phone_record("P-1", "fine")).await.success);
    assert_eq!(relay.http.signins().await.len(), 2);
    let flagged = audited(&relay, "flagged").await;
    let check = &flagged["photoCheck"];
    assert_eq!(check["mode"], "flag", "{check}");
    assert_eq!(check["verdict"], "flagged", "{check}");
    assert!(check["reason"].as_str().unwrap().contains("未检测到人脸"));
    assert_eq!(flagged["platformResult"]["state"], "done", "{flagged}");
    let fine = audited(&relay, "fine").await;
    assert_eq!(fine["photoCheck"]["verdict"], "passed", "{fine}");
}

#[tokio::test]
async fn with_the_check_off_nothing_is_checked_or_recorded() {
    let (relay, mut phone) = relay_and_phone("photo-off", PhotoCheckMode::Off).await;
    let (_, no_face) = photos::no_face_base64();
    let reply = phone
        .sign_in(&record_with_photo("unchecked", &no_face))
        .await;
    assert!(reply.success, "{reply:?}");
    let entry = audited(&relay, "unchecked").await;
    assert_eq!(entry["photoCheck"], Value::Null, "{entry}");
}

#[test]
fn the_check_is_configured_in_the_photo_table() {
    let table = |text: &str| -> Result<zj_relay::config::PhotoConfig, toml::de::Error> {
        toml::from_str(text)
    };
    assert_eq!(table("").unwrap().check, PhotoCheckMode::Refuse);
    assert_eq!(
        table("check = \"flag\"").unwrap().check,
        PhotoCheckMode::Flag
    );
    assert_eq!(table("check = \"off\"").unwrap().check, PhotoCheckMode::Off);
    assert!(table("check = \"warn\"").is_err());
    assert!(
        table("mode = \"flag\"").is_err(),
        "unknown keys are refused"
    );

    let example = crate::relay_common::repo_root().join("relay.example.toml");
    let load = |overrides: &[Override]| RelayConfig::load_with(&example, overrides).unwrap();
    assert_eq!(load(&[]).photo.check, PhotoCheckMode::Refuse);
    let flag = Override::parse("photo.check=flag").unwrap();
    assert_eq!(load(&[flag]).photo.check, PhotoCheckMode::Flag);
    let env = [("RELAY__PHOTO__CHECK".to_owned(), "off".to_owned())];
    let off = Override::from_env(env.into_iter());
    assert_eq!(load(&off).photo.check, PhotoCheckMode::Off);
}
