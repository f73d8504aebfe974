//! Property tests of the protocol core (host only): frames round-trip through the codec however
//! the stream is cut, the decoder stays within its limit on arbitrary bytes, and the param′
//! scanner never panics, agrees with serde_json on what a JSON object is, and removes exactly
//! the top-level `img` member of any object.

use bytes::{Bytes, BytesMut};
use proptest::collection::vec;
use proptest::prelude::*;
use prost::Message;
use serde_json::value::RawValue;
use serde_json::{Number, Value};
use zj_protocol::param_prime::{scan_object, strip_person_imgs, strip_sign_in_img};
use zj_protocol::wire::{
    decode_request, decode_response, encode_frame, frame_bytes, FrameDecoder, FrameError, Request,
    RequestRef, Response, MAX_VARINT_LEN,
};

// ---- Strategies -----------------------------------------------------------------------------

/// Any request that encodes to at least one byte (an all-default message has no bytes, and a
/// zero-length frame is refused by §2).
fn request() -> impl Strategy<Value = Request> {
    let strings = vec(any::<String>(), 9);
    strings
        .prop_map(|s| {
            let mut s = s.into_iter();
            let mut next = || s.next().expect("nine strings");
            Request {
                version: next(),
                sn: next(),
                token: next(),
                apicode: next(),
                access_id: next(),
                access_key: next(),
                time_stamp: next(),
                param: next(),
                sign: next(),
            }
        })
        .prop_filter("non-empty message", |r| r.encoded_len() > 0)
}

/// Any response that encodes to at least one byte.
fn response() -> impl Strategy<Value = Response> {
    (vec(any::<String>(), 4), any::<bool>())
        .prop_map(|(s, success)| Response {
            version: s[0].clone(),
            success,
            apicode: s[1].clone(),
            error: s[2].clone(),
            response: s[3].clone(),
        })
        .prop_filter("non-empty message", |r| r.encoded_len() > 0)
}

/// Sizes of successive reads from a stream.
fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    vec(1usize..=64, 1..16)
}

/// Text built from JSON tokens and near-misses, to reach every branch of the scanner.
fn json_like_text() -> impl Strategy<Value = String> {
    let tokens = prop::sample::select(vec![
        "{", "}", "[", "]", "\"", ",", ":", "\\", "\"img\"", "\"data\"", "\"a\"", "0", "1", "-",
        ".", "e", "E", "+", "true", "fals", "null", " ", "\n", "\t", "\\u00e9", "\\u12", "张",
        "\u{1}", "\\\"", "\\n", "x",
    ]);
    vec(tokens, 0..40).prop_map(|tokens| tokens.concat())
}

/// Any JSON value a little nested, with `img` keys likely in nested objects.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        let key = prop_oneof![Just("img".to_owned()), any::<String>()];
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Value::Array),
            vec((key, inner), 0..5)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// Top-level members (none named `img`), an `img` value, and where to insert it.
fn object_with_img() -> impl Strategy<Value = (Vec<(String, Value)>, Value, usize)> {
    let key = any::<String>().prop_filter("not img", |k| k != "img");
    (vec((key, json_value()), 0..6), json_value()).prop_flat_map(|(members, img)| {
        let len = members.len();
        (Just(members), Just(img), 0..=len)
    })
}

// ---- Helpers --------------------------------------------------------------------------------

/// Feeds `stream` to a decoder in reads of `chunks` sizes (cycled), collecting every frame
/// decoded after each read; also returns how many bytes were left undecoded.
fn decode_in_chunks(stream: &[u8], chunks: &[usize]) -> Result<(Vec<Bytes>, usize), FrameError> {
    let decoder = FrameDecoder::default();
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut rest = stream;
    for &size in chunks.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (read, after) = rest.split_at(size.min(rest.len()));
        buf.extend_from_slice(read);
        rest = after;
        while let Some(frame) = decoder.decode(&mut buf)? {
            frames.push(frame);
        }
    }
    Ok((frames, buf.len()))
}

/// The whole of a message's frames, one after another.
fn stream_of(messages: &[impl Message]) -> BytesMut {
    let mut stream = BytesMut::new();
    for message in messages {
        encode_frame(message, &mut stream);
    }
    stream
}

/// Compact JSON text of an object with these members, in this order.
fn object_text<'a>(members: impl IntoIterator<Item = (&'a str, &'a Value)>) -> String {
    let members: Vec<String> = members
        .into_iter()
        .map(|(key, value)| {
            let key = serde_json::to_string(key).expect("a string serialises");
            let value = serde_json::to_string(value).expect("a value serialises");
            format!("{key}:{value}")
        })
        .collect();
    format!("{{{}}}", members.join(","))
}

/// Whether serde_json reads `text` as one JSON object (grammar only; numbers are not
/// converted, so `1e999` is fine).
fn serde_reads_an_object(text: &str) -> bool {
    serde_json::from_str::<Box<RawValue>>(text).is_ok_and(|raw| raw.get().starts_with('{'))
}

// ---- Properties -----------------------------------------------------------------------------

proptest! {
    #[test]
    fn borrowed_decoding_agrees_with_prost(request in request()) {
        let body = request.encode_to_vec();
        let borrowed = RequestRef::decode(&body)?;
        let owned = Request {
            version: borrowed.version.into(),
            sn: borrowed.sn.into(),
            token: borrowed.token.into(),
            apicode: borrowed.apicode.into(),
            access_id: borrowed.access_id.into(),
            access_key: borrowed.access_key.into(),
            time_stamp: borrowed.time_stamp.into(),
            param: borrowed.param.into(),
            sign: borrowed.sign.into(),
        };
        prop_assert_eq!(owned, request);
    }

    #[test]
    fn borrowed_decoding_fails_where_prost_fails(body in vec(any::<u8>(), 0..64)) {
        prop_assert_eq!(RequestRef::decode(&body).is_ok(), decode_request(&body).is_ok());
    }

    #[test]
    fn request_frame_decodes_to_the_same_request(request in request()) {
        let frame = frame_bytes(&request);
        let mut buf = BytesMut::from(&frame[..]);
        let body = FrameDecoder::default().decode(&mut buf)?.expect("a whole frame");
        prop_assert!(buf.is_empty());
        prop_assert_eq!(decode_request(&body)?, request.clone());
        let exact = FrameDecoder::default().decode_exact(&frame)?;
        prop_assert_eq!(decode_request(exact)?, request);
    }

    #[test]
    fn response_frame_decodes_to_the_same_response(response in response()) {
        let frame = frame_bytes(&response);
        let body = FrameDecoder::default().decode_exact(&frame)?;
        prop_assert_eq!(decode_response(body)?, response);
    }

    #[test]
    fn requests_fed_in_arbitrary_chunks_decode_in_order(
        requests in vec(request(), 1..5),
        chunks in chunk_sizes(),
    ) {
        let (frames, left) = decode_in_chunks(&stream_of(&requests), &chunks)?;
        prop_assert_eq!(left, 0);
        let decoded: Result<Vec<_>, _> = frames.iter().map(|f| decode_request(f)).collect();
        prop_assert_eq!(decoded?, requests);
    }

    #[test]
    fn responses_fed_in_arbitrary_chunks_decode_in_order(
        responses in vec(response(), 1..5),
        chunks in chunk_sizes(),
    ) {
        let (frames, left) = decode_in_chunks(&stream_of(&responses), &chunks)?;
        prop_assert_eq!(left, 0);
        let decoded: Result<Vec<_>, _> = frames.iter().map(|f| decode_response(f)).collect();
        prop_assert_eq!(decoded?, responses);
    }

    /// On arbitrary bytes the decoder never panics; every frame it returns is 1 ..= limit bytes
    /// and exactly the bytes after its prefix; and it never makes the buffer hold more than
    /// one frame of the limit (prefix included) could need, unless the caller's own buffer was
    /// already bigger: capacity ≤ max(limit + 5, the capacity the caller gave it).
    #[test]
    fn decoder_on_arbitrary_bytes_stays_within_its_limit(
        bytes in vec(any::<u8>(), 0..512),
        limit in 1usize..=600,
    ) {
        let decoder = FrameDecoder::new(limit);
        let mut buf = BytesMut::from(&bytes[..]);
        let bound = (limit + MAX_VARINT_LEN).max(buf.capacity());
        let mut offset = 0;
        loop {
            let before = buf.len();
            let outcome = decoder.decode(&mut buf);
            prop_assert!(
                buf.capacity() <= bound,
                "capacity {} after {:?} with limit {}, {} bytes buffered, {} given",
                buf.capacity(), outcome, limit, before, bytes.len()
            );
            let Ok(Some(frame)) = outcome else {
                if outcome == Ok(None) {
                    prop_assert_eq!(&buf[..], &bytes[offset..], "Ok(None) must not consume");
                }
                break;
            };
            prop_assert!((1..=limit).contains(&frame.len()));
            let consumed = before - buf.len();
            let header = consumed - frame.len();
            prop_assert!((1..=MAX_VARINT_LEN).contains(&header));
            prop_assert_eq!(&frame[..], &bytes[offset + header..offset + consumed]);
            offset += consumed;
        }
    }

    #[test]
    fn scanner_never_panics_on_arbitrary_text(text in any::<String>()) {
        let _ = scan_object(&text);
        if let Ok(stripped) = strip_sign_in_img(&text) {
            stripped.to_text();
        }
        if let Ok(stripped) = strip_person_imgs(&text) {
            stripped.to_text();
        }
    }

    #[test]
    fn scanner_never_panics_on_json_like_text(text in json_like_text()) {
        let _ = scan_object(&text);
        if let Ok(stripped) = strip_sign_in_img(&text) {
            prop_assert!(stripped.to_text().len() <= text.len());
        }
        if let Ok(stripped) = strip_person_imgs(&text) {
            prop_assert!(stripped.to_text().len() <= text.len());
        }
    }

    #[test]
    fn scanner_accepts_exactly_what_serde_json_reads_as_an_object(text in json_like_text()) {
        prop_assert_eq!(
            scan_object(&text).is_ok(),
            serde_reads_an_object(&text),
            "scanner {:?}", scan_object(&text)
        );
    }

    #[test]
    fn strip_sign_in_img_gives_the_compact_object_without_img(
        (members, img, at) in object_with_img(),
    ) {
        let mut with_img: Vec<(&str, &Value)> =
            members.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let without_img = object_text(with_img.iter().copied());
        with_img.insert(at, ("img", &img));
        let text = object_text(with_img);
        let stripped = strip_sign_in_img(&text)?;
        prop_assert_eq!(stripped.removed_values().count(), 1);
        prop_assert_eq!(stripped.to_text(), without_img);
    }
}
