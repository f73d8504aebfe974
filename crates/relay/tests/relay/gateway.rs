//! The relay end to end in process: a phone speaking to it over `/v1/frame`, the embedded
//! platform simulator behind it.

use crate::relay_common::{demo, http_client, phone_record, photos, signins, Phone};
use zj_protocol::SessionEvent;

#[tokio::test]
async fn a_phone_sign_in_reaches_the_platform_once_without_its_record_id() {
    let demo = demo("sign-in").await;
    let info = demo.info.clone();
    let mut phone = Phone::new(&info.url, &info.phone);
    assert_eq!(phone.next_event().await, SessionEvent::Authenticated);
    let record = phone_record(&info.person_id, "rec-0001");
    assert_eq!(phone.sign_in(record.clone()).await, Ok(String::new()));
    // The same record again (a retry after a lost reply): answered, not sent twice.
    assert_eq!(phone.sign_in(record).await, Ok(String::new()));
    let received = signins(&info.sim_http).await;
    assert_eq!(received.len(), 1);
    let signin = &received[0];
    assert_eq!(signin["personId"], info.person_id.as_str());
    assert_eq!(signin["type"], "64");
    assert_eq!(signin["imgBytes"], photos::face_jpeg().len());
    assert!(
        signin.get("recordId").is_none(),
        "recordId is stripped: {signin}"
    );
    assert!(
        signin.get("fence").is_none(),
        "non-§7 members are stripped: {signin}"
    );
    demo.shutdown().await;
}

#[tokio::test]
async fn text_with_u0000_is_refused_before_the_store_and_the_record_can_be_sent_again() {
    let demo = demo("nul").await;
    let info = demo.info.clone();
    let mut phone = Phone::new(&info.url, &info.phone);
    assert_eq!(phone.next_event().await, SessionEvent::Authenticated);
    let mut record: serde_json::Value =
        serde_json::from_str(&phone_record(&info.person_id, "rec-nul")).unwrap();
    record["note"] = "a\u{0}b".into();
    let refusal = phone.sign_in(record.to_string()).await;
    assert!(
        matches!(&refusal, Err(zj_protocol::RequestFailure::Refused(e))
            if e.errorcode == "400_02" && e.errormsg.contains("U+0000")),
        "{refusal:?}"
    );
    record["note"] = "ab".into();
    assert_eq!(phone.sign_in(record.to_string()).await, Ok(String::new()));
    assert_eq!(signins(&info.sim_http).await.len(), 1);
    demo.shutdown().await;
}

#[test]
fn the_example_configuration_is_valid() {
    let config = zj_relay::config::RelayConfig::load(
        &crate::relay_common::repo_root().join("relay.example.toml"),
    )
    .expect("relay.example.toml parses");
    assert_eq!(config.platform.sns, ["1388186"]);
    assert_eq!(config.phones.len(), 1);
    assert_eq!(config.limits, Default::default());
    assert_eq!(config.tasks, Default::default());
    assert_eq!(config.photo, Default::default());
    assert_eq!(
        config.manager.token_env.as_deref(),
        Some("RELAY_MANAGER_TOKEN")
    );
    assert_eq!(config.manager.enroll_ttl_minutes, 1440);
    let terminal = &config.mr860[0];
    assert_eq!(
        (terminal.device_id.as_str(), terminal.site_id.as_str()),
        ("MR860-0001", "site-1")
    );
    assert_eq!(terminal.key_env.as_deref(), Some("RELAY_MR860_0001_KEY"));
}

#[tokio::test]
async fn a_photo_that_is_not_base64_is_refused_and_padding_is_counted() {
    let demo = demo("base64").await;
    let info = demo.info.clone();
    let mut phone = Phone::new(&info.url, &info.phone);
    assert_eq!(phone.next_event().await, SessionEvent::Authenticated);
    let with_img = |img: &str, record_id: &str| {
        let mut record: serde_json::Value =
            serde_json::from_str(&phone_record(&info.person_id, record_id)).unwrap();
        record["img"] = img.into();
        record.to_string()
    };
    // A long photo with one bad byte far from its start (the alphabet is checked in chunks).
    let mut long_bad = "QUJD".repeat(100);
    long_bad.replace_range(301..302, "-");
    for (n, bad) in ["not base64!", "QUJD=", "QU=D", "QUJDR===", &long_bad]
        .iter()
        .enumerate()
    {
        let refusal = phone.sign_in(with_img(bad, &format!("bad-{n}"))).await;
        assert!(
            matches!(&refusal, Err(zj_protocol::RequestFailure::Refused(e)) if e.errorcode == "400_02"),
            "{bad:?}: {refusal:?}"
        );
    }
    // The face photo with 0, 1 and 2 bytes after its end: its base64 ends in each of "==",
    // "=" and no padding once; forwarded intact.
    let jpeg = photos::face_jpeg();
    let lens: Vec<u64> = (0..3).map(|more| (jpeg.len() + more) as u64).collect();
    for (n, &len) in lens.iter().enumerate() {
        let mut bytes = jpeg.to_vec();
        bytes.resize(len as usize, 0);
        assert_eq!(
            phone
                .sign_in(with_img(&photos::base64(&bytes), &format!("good-{n}")))
                .await,
            Ok(String::new())
        );
    }
    let sizes: Vec<_> = (signins(&info.sim_http).await.iter())
        .map(|signin| signin["imgBytes"].as_u64().unwrap())
        .collect();
    assert_eq!(sizes, lens);
    demo.shutdown().await;
}

#[test]
fn any_field_can_be_overridden_by_the_environment_and_by_flags() {
    use zj_relay::config::{Override, RelayConfig};
    let env = [
        ("RELAY__LIMITS__FRAMES_PER_MINUTE", "600"),
        ("RELAY__PLATFORM__TCP", "\"10.1.2.3:9700\""),
        ("RELAY__MANAGER__ENROLL_TTL_MINUTES", "60"),
        ("RELAY_DATA_DIR", "not an override"),
        ("PATH", "/usr/bin"),
    ];
    let mut overrides = Override::from_env(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    assert_eq!(overrides.len(), 3, "{overrides:?}");
    // Flags come after the environment and win; a bare word is a string.
    overrides.push(Override::parse("manager.enroll_ttl_minutes=5").unwrap());
    overrides.push(Override::parse("platform.http=http://127.0.0.1:9701").unwrap());
    let config = RelayConfig::load_with(
        &crate::relay_common::repo_root().join("relay.example.toml"),
        &overrides,
    )
    .expect("the overridden configuration is valid");
    assert_eq!(config.limits.frames_per_minute, 600);
    assert_eq!(config.platform.tcp, "10.1.2.3:9700");
    assert_eq!(config.platform.http, "http://127.0.0.1:9701");
    assert_eq!(config.manager.enroll_ttl_minutes, 5);
    assert_eq!(config.platform.sns, ["1388186"], "the rest is the file's");

    let refused = |text: &str| {
        RelayConfig::load_with(
            &crate::relay_common::repo_root().join("relay.example.toml"),
            &[Override::parse(text).unwrap()],
        )
        .unwrap_err()
        .to_string()
    };
    assert!(refused("limits.frames_per_minute=lots").contains("frames_per_minute"));
    assert!(refused("phones.sn=1").contains("phones is not a section"));
    assert!(refused("limits..x=1").contains("not a field's path"));
    assert!(Override::parse("no equals sign").is_err());
}

#[tokio::test]
async fn the_demo_line_names_the_platform_sn_its_relay_serves() {
    let demo = demo("platform-sn").await;
    let line = serde_json::to_value(&demo.info).expect("the first line is JSON");
    let sn = line["platformSn"]
        .as_str()
        .expect("a platformSn string")
        .to_owned();
    assert_ne!(
        sn, line["phone"]["sn"],
        "the phone's sn is not a platform sn"
    );
    let mut seen = serde_json::Value::Null;
    for _ in 0..200 {
        let devices: Vec<serde_json::Value> = http_client()
            .get(format!("{}/sim/devices", demo.info.sim_http))
            .send()
            .await
            .expect("the simulator answers")
            .json()
            .await
            .expect("a JSON array");
        seen = devices
            .into_iter()
            .find(|d| d["sn"] == sn.as_str())
            .unwrap_or_default();
        if seen["online"] == true {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(seen["online"], true, "the relay keeps {sn} online: {seen}");
    demo.shutdown().await;
}
