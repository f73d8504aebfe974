//! Decoding and verifying a `C_SIGN_IN` frame that carries a 60 KB photo, beside bare prost
//! decoding of the same bytes. `scripts/bench.sh` prints the two and their ratio.

mod sign_in {
    use base64::Engine;
    use criterion::{criterion_group, Criterion, Throughput};
    use prost::Message;
    use zj_protocol::sign::RequestView;
    use zj_protocol::wire::{frame_bytes, FrameDecoder, Request, RequestRef};
    use zj_protocol::{
        Apicode, Channel, Credential, CredentialDirectory, DeviceConfig, DeviceSession,
        HandlerConfig, PlatformHandler,
    };

    const SN: &str = "1388186";
    /// 2026-11-22 12:00:00 in Beijing, Unix epoch milliseconds.
    const NOW_MS: i64 = 1_795_320_000_000;
    /// Photo size before base64, in bytes.
    const PHOTO_BYTES: usize = 60 * 1024;

    struct Vendor;

    impl CredentialDirectory for Vendor {
        fn credential(&self, access_id: &str) -> Option<Credential> {
            (access_id == "vendor").then(|| Credential {
                access_id: "vendor".into(),
                access_key: "key".into(),
                access_secret: "secret".into(),
            })
        }
        fn owner_of(&self, sn: &str) -> Option<String> {
            (sn == SN).then(|| "vendor".into())
        }
    }

    /// A platform handler and a device that has authenticated to it; returns the handler and
    /// the device's sign-in frame.
    fn signed_frame() -> (PlatformHandler, Vec<u8>) {
        let mut platform = PlatformHandler::new(HandlerConfig::default(), [1; 32]);
        let mut device = DeviceSession::new(DeviceConfig {
            sn: SN.into(),
            credential: Vendor.credential("vendor").expect("vendor credential"),
            device_version: "bench".into(),
            device_ip: "127.0.0.1".into(),
            heartbeat_interval_ms: 30_000,
        });
        device.connected();
        let auth = device.poll_transmit(NOW_MS).expect("C_AUTH");
        let verified = (platform)
            .verify(Channel::Command, &RequestView::from(&auth), &Vendor, NOW_MS)
            .expect("auth verifies");
        let reply = platform.answer(&verified, Ok(None), NOW_MS).to_response();
        device.handle_response(reply, NOW_MS).expect("auth reply");
        let photo: Vec<u8> = (0..PHOTO_BYTES).map(|i| (i * 31 % 251) as u8).collect();
        let img = base64::engine::general_purpose::STANDARD.encode(photo);
        let param = format!(
            r#"{{"personId":"4508004291609636864","type":"64","img":"{img}","recordTime":{NOW_MS},"coordinate":{{"longitude":120.153576,"latitude":30.287459}},"recordId":"r-1"}}"#
        );
        device.submit(Apicode::CSignIn, param);
        device.poll_transmit(NOW_MS).expect("heartbeat first");
        let sign_in = device.poll_transmit(NOW_MS).expect("C_SIGN_IN");
        (platform, frame_bytes(&sign_in).to_vec())
    }

    fn decode_and_verify(c: &mut Criterion) {
        let (platform, frame) = signed_frame();
        let decoder = FrameDecoder::default();
        let mut group = c.benchmark_group("c_sign_in_60kb");
        group.throughput(Throughput::Bytes(frame.len() as u64));
        group.bench_function("prost_decode", |b| {
            b.iter(|| Request::decode_length_delimited(std::hint::black_box(&frame[..])).unwrap())
        });
        group.bench_function("decode_and_verify", |b| {
            b.iter(|| {
                let body = decoder.decode_exact(std::hint::black_box(&frame)).unwrap();
                let request = RequestRef::decode(body).unwrap();
                let view = RequestView::from(&request);
                let verified = (platform)
                    .verify(Channel::Command, &view, &Vendor, NOW_MS)
                    .unwrap();
                assert_eq!(verified.img().map(|img| img.len()), Some(81_920));
            })
        });
        group.finish();
    }

    criterion_group!(benches, decode_and_verify);
}

criterion::criterion_main!(sign_in::benches);
