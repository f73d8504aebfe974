//! Byte-level tests of the TCP frame codec (PROTOCOL.md §2): varint length prefix, the limits
//! every reader enforces before allocating, and the protobuf bodies. One test per edge case;
//! also runs as wasm in headless Chromium.

use wasm_bindgen_test::wasm_bindgen_test;

use bytes::{Bytes, BytesMut};
use zj_protocol::wire::{
    decode_request, decode_response, encode_frame, frame_bytes, put_varint, FrameDecoder,
    FrameError, Request, Response, DEFAULT_MAX_FRAME_LEN, MAX_VARINT_LEN,
};

/// A C_SIGN_IN request whose param holds Chinese text and whose encoding is longer than 127
/// bytes, so its length prefix takes two bytes.
fn sign_in_request() -> Request {
    Request {
        version: "v1.0.0".into(),
        sn: "ZJ20240001".into(),
        token: "0123456789abcdef0123456789abcdef".into(),
        apicode: "C_SIGN_IN".into(),
        access_id: String::new(),
        access_key: String::new(),
        time_stamp: "20240301083000".into(),
        param: r#"{"personId":"p-001","type":"64","remark":"张三 上班打卡","recordTime":1709253000000}"#
            .into(),
        sign: "c3e01fe5d4bd67a293c73958cf6667ba".into(),
    }
}

/// A short C_HEARTBEAT request, to tell frames apart.
fn heartbeat_request() -> Request {
    Request {
        apicode: "C_HEARTBEAT".into(),
        param: r#"{"deviceVersion":"考勤机 v2.1","deviceIp":"10.0.0.2"}"#.into(),
        ..sign_in_request()
    }
}

/// The varint length prefix of `len` as bytes.
fn varint(len: u64) -> Vec<u8> {
    let mut out = Vec::new();
    put_varint(len, &mut out);
    out
}

/// `prefix ‖ body` in a fresh buffer.
fn buffer(prefix: &[u8], body: &[u8]) -> BytesMut {
    let mut buf = BytesMut::from(prefix);
    buf.extend_from_slice(body);
    buf
}

/// Asserts that the decoder wants more bytes and left `buf` exactly as it was.
fn assert_waits_untouched(decoder: &FrameDecoder, buf: &mut BytesMut) {
    let before = buf.clone();
    assert_eq!(decoder.decode(buf), Ok(None));
    assert_eq!(*buf, before, "an incomplete frame must not be consumed");
}

/// Decodes one frame off `buf`, expecting it to be complete.
fn decode_one(decoder: &FrameDecoder, buf: &mut BytesMut) -> Bytes {
    decoder
        .decode(buf)
        .expect("a valid frame")
        .expect("a complete frame")
}

#[wasm_bindgen_test(unsupported = test)]
fn varint_prefix_split_across_reads_waits_then_completes() {
    let request = sign_in_request();
    let frame = frame_bytes(&request);
    let body_len = frame.len() - 2;
    assert!(body_len >= 128, "the prefix must take two bytes");
    assert_eq!(frame[..2], varint(body_len as u64)[..]);
    let decoder = FrameDecoder::default();

    // First read: only the first prefix byte (continuation bit set).
    let mut buf = BytesMut::from(&frame[..1]);
    assert_waits_untouched(&decoder, &mut buf);
    // Second read: the rest of the prefix and the whole body.
    buf.extend_from_slice(&frame[1..]);
    let body = decode_one(&decoder, &mut buf);
    assert_eq!(decode_request(&body), Ok(request));
    assert!(buf.is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn partial_body_waits_without_consuming_then_completes() {
    let request = heartbeat_request();
    let frame = frame_bytes(&request);
    let decoder = FrameDecoder::default();
    let mut buf = BytesMut::new();
    for &byte in &frame[..frame.len() - 1] {
        buf.extend_from_slice(&[byte]);
        assert_waits_untouched(&decoder, &mut buf);
    }
    buf.extend_from_slice(&frame[frame.len() - 1..]);
    assert_eq!(decode_request(&decode_one(&decoder, &mut buf)), Ok(request));
    assert!(buf.is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn zero_length_frame_is_refused() {
    let decoder = FrameDecoder::default();
    let mut buf = buffer(&[0x00], b"\x0a\x01x");
    assert_eq!(decoder.decode(&mut buf), Err(FrameError::ZeroLength));
    assert_eq!(decoder.decode_exact(&[0x00]), Err(FrameError::ZeroLength));
}

#[wasm_bindgen_test(unsupported = test)]
fn oversize_length_is_refused_from_the_prefix_alone() {
    const HUNDRED_MIB: u64 = 100 << 20;
    let decoder = FrameDecoder::default();
    let mut buf = BytesMut::from(&varint(HUNDRED_MIB)[..]);
    let capacity_before = buf.capacity();
    assert_eq!(
        decoder.decode(&mut buf),
        Err(FrameError::TooLong {
            len: HUNDRED_MIB,
            max: DEFAULT_MAX_FRAME_LEN,
        })
    );
    assert_eq!(
        buf.capacity(),
        capacity_before,
        "nothing may be reserved for a frame that is refused"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn waiting_for_the_last_body_byte_never_grows_the_buffer_past_the_limit() {
    // The smallest case proptest found: limit 70, a prefix announcing 70 bytes and 69 of them
    // in a buffer of capacity 70. One more byte is needed; one frame of the limit needs at most
    // 70 + 5 bytes of capacity.
    let limit = 70;
    let decoder = FrameDecoder::new(limit);
    let mut buf = BytesMut::from(&buffer(&varint(70), &[0; 69])[..]);
    assert_eq!(buf.capacity(), 70);
    assert_waits_untouched(&decoder, &mut buf);
    assert!(
        buf.capacity() <= limit + MAX_VARINT_LEN,
        "capacity {} exceeds the limit {limit} plus the longest prefix",
        buf.capacity()
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn length_one_past_the_limit_is_refused() {
    let decoder = FrameDecoder::new(16);
    let mut buf = buffer(&varint(17), &[0x2a; 17]);
    assert_eq!(
        decoder.decode(&mut buf),
        Err(FrameError::TooLong { len: 17, max: 16 })
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn length_exactly_at_the_limit_is_accepted() {
    let decoder = FrameDecoder::new(16);
    let mut buf = buffer(&varint(16), &[0x2a; 16]);
    assert_eq!(
        decode_one(&decoder, &mut buf),
        Bytes::from_static(&[0x2a; 16])
    );
    assert!(buf.is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn default_limit_is_one_mib() {
    assert_eq!(FrameDecoder::default().max_len(), 1 << 20);
    let header = varint(1 << 20);
    assert_eq!(
        FrameDecoder::default().peek_header(&header),
        Ok(Some((1 << 20, 3)))
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn six_byte_varint_is_refused() {
    let decoder = FrameDecoder::new(usize::MAX);
    let six = [0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
    assert_eq!(
        decoder.decode(&mut BytesMut::from(&six[..])),
        Err(FrameError::VarintTooLong)
    );
    // Refused as soon as the fifth byte still says "more", without waiting for the sixth.
    assert_eq!(
        decoder.peek_header(&six[..MAX_VARINT_LEN]),
        Err(FrameError::VarintTooLong)
    );
    assert_eq!(decoder.peek_header(&six[..MAX_VARINT_LEN - 1]), Ok(None));
}

#[wasm_bindgen_test(unsupported = test)]
fn five_byte_varint_is_accepted() {
    // A length of 2^28 needs all five bytes; peek_header reads it without allocating.
    let header = varint(1 << 28);
    assert_eq!(header, [0x80, 0x80, 0x80, 0x80, 0x01]);
    assert_eq!(
        FrameDecoder::new(1 << 28).peek_header(&header),
        Ok(Some((1 << 28, 5)))
    );

    // A five-byte (non-minimal) encoding of a small length decodes a whole frame.
    let small = Request {
        apicode: "C_AUTH".into(),
        ..Request::default()
    };
    let frame = frame_bytes(&small);
    assert_eq!(usize::from(frame[0]), frame.len() - 1, "one-byte prefix");
    let body = frame.slice(1..);
    let len = frame[0];
    let mut buf = buffer(&[len | 0x80, 0x80, 0x80, 0x80, 0x00], &body);
    let decoded = decode_one(&FrameDecoder::default(), &mut buf);
    assert_eq!(decode_request(&decoded), Ok(small));
}

#[wasm_bindgen_test(unsupported = test)]
fn two_frames_in_one_buffer_decode_in_order() {
    let (first, second) = (sign_in_request(), heartbeat_request());
    let mut buf = BytesMut::new();
    encode_frame(&first, &mut buf);
    encode_frame(&second, &mut buf);
    let decoder = FrameDecoder::default();
    assert_eq!(decode_request(&decode_one(&decoder, &mut buf)), Ok(first));
    assert_eq!(decode_request(&decode_one(&decoder, &mut buf)), Ok(second));
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert!(buf.is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn three_hundred_byte_message_has_prefix_ac_02() {
    // Field 8 (param): one tag byte, two length bytes (297 = A9 02), 297 bytes of text.
    let request = Request {
        param: "x".repeat(297),
        ..Request::default()
    };
    let frame = frame_bytes(&request);
    assert_eq!(frame.len(), 302);
    assert_eq!(frame[..2], [0xAC, 0x02]);
    assert_eq!(varint(300), [0xAC, 0x02]);
}

#[wasm_bindgen_test(unsupported = test)]
fn decode_exact_returns_the_body_of_exactly_one_frame() {
    let frame = frame_bytes(&sign_in_request());
    let body = FrameDecoder::default().decode_exact(&frame);
    assert_eq!(body, Ok(&frame[2..]));
    assert_eq!(decode_request(&frame[2..]), Ok(sign_in_request()));
}

#[wasm_bindgen_test(unsupported = test)]
fn decode_exact_refuses_a_truncated_message() {
    let frame = frame_bytes(&sign_in_request());
    let decoder = FrameDecoder::default();
    for cut in [0, 1, 2, frame.len() - 1] {
        assert_eq!(
            decoder.decode_exact(&frame[..cut]),
            Err(FrameError::Truncated),
            "message cut to {cut} bytes"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn decode_exact_refuses_trailing_bytes() {
    let mut message = frame_bytes(&heartbeat_request()).to_vec();
    message.extend_from_slice(&frame_bytes(&heartbeat_request()));
    let trailing = message.len() / 2;
    assert_eq!(
        FrameDecoder::default().decode_exact(&message),
        Err(FrameError::TrailingBytes(trailing))
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn body_that_is_not_protobuf_is_a_body_error() {
    for body in [
        &[0x0f][..],                         // field 1 with wire type 7, which does not exist
        &[0x0a, 0x05, b'a'][..],             // field 1 announces 5 bytes, holds 1
        &[0x80, 0x80, 0x80, 0x80, 0x80][..], // a tag that never ends
    ] {
        let mut buf = buffer(&varint(body.len() as u64), body);
        let framed = decode_one(&FrameDecoder::default(), &mut buf);
        assert!(
            matches!(decode_request(&framed), Err(FrameError::Body(_))),
            "request body {body:02x?}"
        );
        assert!(
            matches!(decode_response(&framed), Err(FrameError::Body(_))),
            "response body {body:02x?}"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn invalid_utf8_in_a_string_field_is_a_body_error() {
    // Field 2 (sn), length 2: C3 28 is a lead byte followed by a non-continuation byte.
    let body = [0x12, 0x02, 0xc3, 0x28];
    assert!(matches!(decode_request(&body), Err(FrameError::Body(_))));
    // The same bytes as valid UTF-8 ("é") decode.
    let valid = [0x12, 0x02, 0xc3, 0xa9];
    assert_eq!(decode_request(&valid).map(|r| r.sn), Ok("é".to_owned()));
}

#[wasm_bindgen_test(unsupported = test)]
fn request_with_chinese_text_round_trips() {
    let request = sign_in_request();
    let mut buf = BytesMut::from(&frame_bytes(&request)[..]);
    let decoded = decode_request(&decode_one(&FrameDecoder::default(), &mut buf));
    assert_eq!(decoded, Ok(request));
    assert!(decoded.unwrap().param.contains("张三 上班打卡"));
}

#[wasm_bindgen_test(unsupported = test)]
fn response_with_chinese_error_round_trips() {
    let response = Response {
        version: "v1.0.0".into(),
        success: false,
        apicode: "C_SIGN_IN".into(),
        error: r#"{"errorcode":"403_01","errormsg":"考勤类型有误,请参考数据字典传值"}"#.into(),
        response: String::new(),
    };
    let frame = frame_bytes(&response);
    let body = FrameDecoder::default()
        .decode_exact(&frame)
        .expect("one frame");
    assert_eq!(decode_response(body), Ok(response));
}
