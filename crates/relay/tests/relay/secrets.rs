//! The vendor `accessSecret` lives only in the relay's configuration source (an environment
//! variable or a file, never the command line): it is in no reply to a phone, no WebSocket
//! message, no log line even at `RUST_LOG=debug`, and not in the configuration's `Debug`.

use std::path::PathBuf;
use std::time::Duration;

use zj_protocol::Apicode;
use zj_relay::config::RelayConfig;
use zj_relay::demo::DemoPhone;
use zj_relay::{Phone, Store};

use crate::relay_common::sim_common::{Sim, ACCESS_SECRET, BOGUS_SIGN, SN};
use crate::relay_common::{
    data_dir, get_text, phone_record, refusal, relay_toml, signins, test_phone, wait_ready,
    PhoneClient, RelayProcess, SecretSource, Transport,
};

/// The environment variable the relay reads the vendor secret from.
const SECRET_ENV: &str = "ZJ_RELAY_SECRETS_TEST_VENDOR";

/// Adds `phone` to the store in `data_dir` as revoked (as a manager's revocation leaves it).
async fn seed_revoked_phone(data_dir: &std::path::Path, phone: &DemoPhone) {
    let (store, _) = Store::open(data_dir).expect("the store opens");
    store
        .add_phone(Phone {
            access_id: phone.access_id.clone(),
            access_key: phone.access_key.clone(),
            access_secret: phone.access_secret.clone(),
            sn: phone.sn.clone(),
            platform_sn: SN.into(),
            revoked: true,
        })
        .await
        .expect("the phone is stored");
}

#[track_caller]
fn assert_no_secret(what: &str, text: &str) {
    assert!(
        !text.contains(ACCESS_SECRET),
        "the vendor accessSecret appears in {what}: {text}"
    );
}

/// Runs the relay binary at `RUST_LOG=debug` with the secret from `source`, drives every kind
/// of phone exchange, and checks that the secret shows nowhere.
async fn secret_stays_inside(name: &str, source: impl FnOnce(&std::path::Path) -> SecretSource) {
    let sim = Sim::start();
    let dir = data_dir(name);
    std::fs::create_dir_all(&dir).unwrap();
    let phone = test_phone(&format!("{name}-ok"));
    let revoked = test_phone(&format!("{name}-revoked"));
    seed_revoked_phone(&dir.join("data"), &revoked).await;
    let source = source(&dir);
    let envs: Vec<(&str, &str)> = match &source {
        SecretSource::Env(var) => vec![(var.as_str(), ACCESS_SECRET)],
        _ => Vec::new(),
    };
    let toml = relay_toml(
        &sim,
        &dir.join("data"),
        &source,
        std::slice::from_ref(&phone),
        30,
        "",
    );
    assert_no_secret("the configuration file", &toml);
    let config_path = dir.join("relay.toml");
    std::fs::write(&config_path, &toml).unwrap();

    let mut relay = RelayProcess::start(&config_path, &envs, "debug");
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", relay.pid())).unwrap();
    assert_no_secret(
        "the relay's command line",
        &String::from_utf8_lossy(&cmdline),
    );
    wait_ready(&relay.url).await;

    let mut seen = Vec::new();
    for transport in [Transport::Http, Transport::Ws] {
        let mut client = PhoneClient::connect(transport, &relay.url, &phone)
            .await
            .authed()
            .await;
        assert!(client.heartbeat().await.success);
        let record = phone_record("P-1", &format!("rec-{transport:?}"));
        let reply = client.sign_in(&record).await;
        assert!(reply.success, "{reply:?}");
        let mut bogus = client.request(Apicode::CSignIn, &phone_record("P-2", "rec-bogus"));
        bogus.sign = BOGUS_SIGN.into();
        let reply = client.call(&bogus).await;
        assert_eq!(refusal(&reply).unwrap().errorcode, "400_04");
        seen.append(&mut client.transcript);

        let mut gone = PhoneClient::connect(transport, &relay.url, &revoked).await;
        let reply = gone.auth().await;
        assert_eq!(refusal(&reply).unwrap().errorcode, "401_02", "{reply:?}");
        seen.append(&mut gone.transcript);
    }
    for path in ["/healthz", "/metrics", "/", "/v1/frame"] {
        let (_, body) = get_text(&format!("{}{path}", relay.url)).await;
        seen.push(body);
    }
    // The platform verified the relay's signatures: the secret was used.
    assert_eq!(signins(&format!("http://{}", sim.http)).await.len(), 2);

    relay.kill();
    // Let the threads draining the pipes take the last bytes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let output = relay.all_output();
    assert!(output.contains("DEBUG"), "debug logging is on: {output}");
    assert!(output.contains("sign-in forwarded"), "{output}");
    for (n, body) in seen.iter().enumerate() {
        assert_no_secret(&format!("reply {n} to a phone"), body);
    }
    for line in output.lines() {
        assert_no_secret("the relay's output", line);
    }

    let config = RelayConfig::load(&config_path).expect("the configuration loads");
    assert_no_secret("the configuration's Debug", &format!("{config:?}"));
    assert_no_secret("the configuration's pretty Debug", &format!("{config:#?}"));
}

#[tokio::test]
async fn the_secret_from_an_environment_variable_shows_nowhere() {
    secret_stays_inside("secret-env", |_| SecretSource::Env(SECRET_ENV.into())).await;
}

#[tokio::test]
async fn the_secret_from_a_file_shows_nowhere() {
    secret_stays_inside("secret-file", |dir| {
        let path = dir.join("vendor.secret");
        std::fs::write(&path, format!("{ACCESS_SECRET}\n")).unwrap();
        SecretSource::File(path)
    })
    .await;
}

fn write_config(name: &str, source: &SecretSource, phones: &[DemoPhone]) -> PathBuf {
    let sim = Sim::start();
    let dir = data_dir(name);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("relay.toml");
    let toml = relay_toml(&sim, &dir.join("data"), source, phones, 30, "");
    std::fs::write(&path, toml).unwrap();
    path
}

#[test]
fn the_configuration_debug_hides_every_secret_it_holds() {
    let phone = test_phone("debug");
    let inline = write_config(
        "secret-inline",
        &SecretSource::Inline(ACCESS_SECRET.into()),
        std::slice::from_ref(&phone),
    );
    let config = RelayConfig::load(&inline).unwrap();
    assert_eq!(config.vendor_secret().unwrap().expose(), ACCESS_SECRET);
    for debug in [format!("{config:?}"), format!("{config:#?}")] {
        assert_no_secret("the configuration's Debug", &debug);
        assert!(
            !debug.contains(&phone.access_secret),
            "a phone's secret appears in the configuration's Debug: {debug}"
        );
    }
    assert_no_secret(
        "the secret's Debug",
        &format!("{:?}", config.vendor_secret().unwrap()),
    );

    let file = data_dir("secret-file-debug");
    std::fs::create_dir_all(&file).unwrap();
    let file = file.join("vendor.secret");
    std::fs::write(&file, format!("{ACCESS_SECRET}  \n")).unwrap();
    let from_file = write_config("secret-file-config", &SecretSource::File(file), &[]);
    let config = RelayConfig::load(&from_file).unwrap();
    assert_eq!(
        config.vendor_secret().unwrap().expose(),
        ACCESS_SECRET,
        "trailing space trimmed"
    );
    assert_no_secret("the configuration's Debug", &format!("{config:?}"));

    let unset = "ZJ_RELAY_SECRETS_TEST_NEVER_SET";
    let from_env = write_config("secret-env-unset", &SecretSource::Env(unset.into()), &[]);
    let config = RelayConfig::load(&from_env).unwrap();
    let error = config.vendor_secret().expect_err("the variable is not set");
    assert!(error.to_string().contains(unset), "{error}");
}
