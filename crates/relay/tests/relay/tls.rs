//! The relay's own HTTPS (`[tls]`) with certificates made in the test (rcgen): HTTPS answers
//! with HSTS, plain HTTP on the TLS port is closed without an answer, a client that never
//! finishes its handshake neither holds up others nor stays forever, and the certificate files
//! are read again on reload (in process, and on a real SIGHUP to the `relay` binary): new
//! connections get the new certificate, a bad file keeps the old one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use zj_relay::config::{LimitsConfig, TlsConfig};
use zj_relay::server::RunningRelay;

use crate::relay_common::{data_dir, http_client, relay_config, RelayProcess};

/// A self-signed certificate for `localhost`: its PEM chain, PEM key and DER.
struct TestCert {
    cert_pem: String,
    key_pem: String,
    der: CertificateDer<'static>,
}

fn new_cert() -> TestCert {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("rcgen makes a certificate");
    TestCert {
        cert_pem: made.cert.pem(),
        key_pem: made.signing_key.serialize_pem(),
        der: made.cert.der().clone(),
    }
}

/// Writes `cert` to `cert.pem` and `key.pem` in `dir`; returns their paths.
fn write_cert(dir: &Path, cert: &TestCert) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).expect("the cert folder");
    let (cert_file, key_file) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_file, &cert.cert_pem).expect("cert.pem written");
    std::fs::write(&key_file, &cert.key_pem).expect("key.pem written");
    (cert_file, key_file)
}

/// A relay in process serving TLS with `cert` (no platform behind it: none is needed here),
/// `handshake_secs` for a handshake.
async fn tls_relay(name: &str, cert: &TestCert, handshake_secs: u64) -> (RunningRelay, PathBuf) {
    let dir = data_dir(name);
    let (cert_file, key_file) = write_cert(&dir.join("tls"), cert);
    let mut config = relay_config(
        "127.0.0.1:9".into(),
        "http://127.0.0.1:9/api/device".into(),
        dir.join("data"),
        &[],
        LimitsConfig::default(),
    );
    config.tls = Some(TlsConfig {
        cert_file,
        key_file,
        handshake_secs,
    });
    let relay = RunningRelay::start(config).await.expect("the relay starts");
    (relay, dir.join("tls"))
}

/// A TLS connection to `addr` trusting `trusted` (any of them) for `localhost`.
async fn connect(
    addr: std::net::SocketAddr,
    trusted: &[&CertificateDer<'static>],
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    for cert in trusted {
        roots.add((*cert).clone()).expect("a usable root");
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("localhost").expect("a DNS name");
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
}

/// The certificate the relay at `addr` presents to a new connection.
async fn served_cert(addr: std::net::SocketAddr, trusted: &[&CertificateDer<'static>]) -> Vec<u8> {
    let stream = connect(addr, trusted).await.expect("a TLS handshake");
    let (_, session) = stream.get_ref();
    session.peer_certificates().expect("a certificate")[0].to_vec()
}

/// `GET path` over TLS: the whole answer (head and body) as text.
async fn https_get(
    addr: std::net::SocketAddr,
    trusted: &CertificateDer<'static>,
    path: &str,
) -> String {
    let mut stream = connect(addr, &[trusted]).await.expect("a TLS handshake");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request sent");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.ok();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn https_answers_with_hsts_and_plain_http_on_the_tls_port_is_closed() {
    let cert = new_cert();
    let (relay, _) = tls_relay("tls-serve", &cert, 10).await;
    assert!(relay.url().starts_with("https://"), "{}", relay.url());
    let answer = https_get(relay.addr, &cert.der, "/healthz").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let lower = answer.to_ascii_lowercase();
    assert!(
        lower.contains("strict-transport-security: max-age=31536000"),
        "{answer}"
    );
    assert!(
        lower.contains("x-content-type-options: nosniff"),
        "{answer}"
    );

    let plain = http_client()
        .get(format!("http://{}/healthz", relay.addr))
        .send()
        .await;
    assert!(
        plain.is_err(),
        "plain HTTP on the TLS port gets no answer: {plain:?}"
    );
    let answer = https_get(relay.addr, &cert.der, "/").await;
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "HTTPS still works after it: {answer}"
    );
    relay.shutdown().await;
}

#[tokio::test]
async fn a_client_that_never_finishes_its_handshake_holds_up_no_one_and_is_closed() {
    let cert = new_cert();
    let (relay, _) = tls_relay("tls-slow", &cert, 1).await;
    let mut silent = TcpStream::connect(relay.addr)
        .await
        .expect("a TCP connection");
    let answer = tokio::time::timeout(
        Duration::from_secs(20),
        https_get(relay.addr, &cert.der, "/healthz"),
    )
    .await
    .expect("another client is served while the silent one waits");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(20), silent.read(&mut byte))
        .await
        .expect("the silent connection is closed after the handshake time");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "closed, not answered: {read:?}"
    );
    relay.shutdown().await;
}

#[tokio::test]
async fn reloading_serves_the_new_certificate_and_a_bad_file_keeps_the_old_one() {
    let (first, second) = (new_cert(), new_cert());
    let (relay, tls_dir) = tls_relay("tls-reload", &first, 10).await;
    let trusted = [&first.der, &second.der];
    assert_eq!(served_cert(relay.addr, &trusted).await, first.der.to_vec());

    write_cert(&tls_dir, &second);
    relay.reload_tls().expect("the new files are used");
    assert_eq!(served_cert(relay.addr, &trusted).await, second.der.to_vec());

    std::fs::write(tls_dir.join("cert.pem"), "not a certificate").expect("written");
    let error = relay
        .reload_tls()
        .expect_err("a bad certificate file is refused");
    assert!(
        error.to_string().contains("cert.pem"),
        "names the file: {error}"
    );
    std::fs::write(tls_dir.join("cert.pem"), &first.cert_pem).expect("written");
    let error = relay
        .reload_tls()
        .expect_err("a key of another certificate is refused");
    assert!(
        error.to_string().contains("cannot be used together"),
        "{error}"
    );
    assert_eq!(
        served_cert(relay.addr, &trusted).await,
        second.der.to_vec(),
        "the certificate in service stays"
    );
    relay.shutdown().await;
}

#[tokio::test]
async fn the_relay_binary_reloads_its_certificate_on_sighup() {
    let (first, second) = (new_cert(), new_cert());
    let dir = data_dir("tls-sighup");
    let (cert_file, key_file) = write_cert(&dir.join("tls"), &first);
    let toml = format!(
        "listen = \"127.0.0.1:0\"\ndata_dir = {data:?}\n\n\
         [platform]\ntcp = \"127.0.0.1:9\"\nhttp = \"http://127.0.0.1:9/api/device\"\n\
         access_id = \"a\"\naccess_key = \"k\"\naccess_secret = \"s\"\nsns = [\"SN-TLS\"]\n\n\
         [tls]\ncert_file = {cert:?}\nkey_file = {key:?}\n",
        data = dir.join("data"),
        cert = cert_file,
        key = key_file,
    );
    let config = dir.join("relay.toml");
    std::fs::write(&config, toml).expect("relay.toml written");
    let relay = RelayProcess::start(&config, &[], "zj_relay=info");
    assert!(relay.url.starts_with("https://"), "{}", relay.url);
    let trusted = [&first.der, &second.der];
    assert_eq!(served_cert(relay.addr, &trusted).await, first.der.to_vec());

    write_cert(&dir.join("tls"), &second);
    let status = std::process::Command::new("kill")
        .args(["-HUP", &relay.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    relay.wait_stderr("TLS certificate reloaded").await;
    assert_eq!(served_cert(relay.addr, &trusted).await, second.der.to_vec());
}
