//! The protocol's dictionaries and JSON forms: apicodes and channels (PROTOCOL.md §1), error
//! codes and the `error` object (§8), the HTTP JSON request and signed reply (§4, §5), and the
//! `C_SIGN_IN` param with its dictionaries (§7). Also runs as wasm in headless Chromium.

use wasm_bindgen_test::wasm_bindgen_test;

use std::collections::HashSet;

use serde_json::{json, Value};
use zj_protocol::json_form::{JsonReply, JsonRequest, ReplyError};
use zj_protocol::params::{PersonPage, SignInParam};
use zj_protocol::sign::{reply_sign, ReplyView, RequestView};
use zj_protocol::wire::Request;
use zj_protocol::{
    signed_command, Apicode, Channel, Credential, CredentialDirectory, ErrorCode, HandlerConfig,
    PlatformHandler, ProtocolError, Signer,
};

const SECRET: &str = "s3cr3t-密钥";

// ---- Apicodes (§1) --------------------------------------------------------------------------

#[wasm_bindgen_test(unsupported = test)]
fn apicodes_are_the_eleven_of_the_seed_in_order() {
    let texts: Vec<_> = Apicode::ALL.iter().map(|a| a.as_str()).collect();
    assert_eq!(
        texts,
        [
            "C_AUTH",
            "C_HEARTBEAT",
            "C_SIGN_IN",
            "T_GET_TASKS",
            "T_UPDATE_TASKS_STATUS",
            "T_SEND_PERSON",
            "T_UPDATE_DEVICE_PERSON",
            "T_DEL_DEVICE_PERSON",
            "T_CLEAR_DEVICE_PERSON",
            "T_UPDATE_DEVICE_VERSION",
            "T_POST_DEVICE_PERSON",
        ]
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn every_apicode_round_trips_through_its_text() {
    for &apicode in Apicode::ALL {
        assert_eq!(apicode.as_str().parse::<Apicode>(), Ok(apicode));
        assert_eq!(apicode.to_string(), apicode.as_str());
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn unknown_apicode_texts_do_not_parse() {
    for text in [
        "",
        "c_auth",
        "C_AUTH ",
        " C_AUTH",
        "T_",
        "C_SIGNIN",
        "T_GET_TASK",
    ] {
        assert_eq!(text.parse::<Apicode>(), Err(()), "{text:?}");
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn commands_travel_on_tcp_and_tasks_on_http() {
    for &apicode in Apicode::ALL {
        let expected = if apicode.as_str().starts_with("C_") {
            Channel::Command
        } else {
            Channel::Task
        };
        assert_eq!(apicode.channel(), expected, "{apicode}");
    }
    let commands = Apicode::ALL
        .iter()
        .filter(|a| a.channel() == Channel::Command)
        .count();
    assert_eq!(commands, 3);
}

#[wasm_bindgen_test(unsupported = test)]
fn taskid_is_carried_by_every_task_but_the_two_task_management_calls() {
    let with_taskid: Vec<_> = Apicode::ALL
        .iter()
        .filter(|a| a.has_taskid())
        .map(|a| a.as_str())
        .collect();
    assert_eq!(
        with_taskid,
        [
            "T_SEND_PERSON",
            "T_UPDATE_DEVICE_PERSON",
            "T_DEL_DEVICE_PERSON",
            "T_CLEAR_DEVICE_PERSON",
            "T_UPDATE_DEVICE_VERSION",
            "T_POST_DEVICE_PERSON",
        ]
    );
}

// ---- Error codes (§8) -----------------------------------------------------------------------

#[wasm_bindgen_test(unsupported = test)]
fn error_codes_are_exactly_the_eighteen_of_section_8() {
    let codes: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        codes,
        [
            "400_01", "400_02", "400_04", "400_05", "401_01", "401_02", "402_01", "402_02",
            "402_03", "402_04", "402_05", "402_06", "402_07", "403_01", "403_02", "403_03",
            "404_01", "500_01",
        ]
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn error_code_messages_are_distinct_and_not_empty() {
    let messages: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.message()).collect();
    assert_eq!(messages.len(), ErrorCode::ALL.len());
    assert!(messages.iter().all(|m| !m.trim().is_empty()));
}

#[wasm_bindgen_test(unsupported = test)]
fn every_error_code_round_trips_through_its_text() {
    for &code in ErrorCode::ALL {
        assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
        assert_eq!(code.to_string(), code.as_str());
        assert_eq!(ProtocolError::new(code).code(), Some(code));
    }
    for text in ["", "400_03", "400-04", "40004", " 400_04"] {
        assert_eq!(text.parse::<ErrorCode>(), Err(()), "{text:?}");
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn protocol_error_serialises_to_the_seed_error_object() {
    let error = ProtocolError::new(ErrorCode::SignMismatch);
    let text = serde_json::to_string(&error).expect("serialises");
    assert_eq!(
        text,
        r#"{"errorcode":"400_04","errormsg":"token 或 sign 验证失败"}"#
    );
    assert_eq!(
        serde_json::from_str::<ProtocolError>(&text).ok(),
        Some(error)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn protocol_error_detail_follows_the_seed_message() {
    let error = ProtocolError::with_detail(ErrorCode::ParamUnparsable, "missing field `sn`");
    assert_eq!(error.errorcode, "400_02");
    assert_eq!(error.errormsg, "param 解析失败: missing field `sn`");
    assert_eq!(error.code(), Some(ErrorCode::ParamUnparsable));
}

#[wasm_bindgen_test(unsupported = test)]
fn protocol_error_keeps_an_unknown_code_from_a_peer() {
    let error: ProtocolError =
        serde_json::from_str(r#"{"errorcode":"499_99","errormsg":"新错误"}"#).expect("parses");
    assert_eq!(error.errorcode, "499_99");
    assert_eq!(error.code(), None);
}

// ---- JSON request (§4, §5) ------------------------------------------------------------------

/// Parses `body` as a JSON request, expecting success.
fn parse_request(body: &str) -> JsonRequest {
    JsonRequest::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{body}: {e}"))
}

/// Asserts that `body` is refused with 400_02.
fn assert_request_refused(body: &str) {
    let error = JsonRequest::parse(body.as_bytes()).expect_err(body);
    assert_eq!(error.errorcode, "400_02", "{body}");
    assert_eq!(error.code(), Some(ErrorCode::ParamUnparsable));
}

#[wasm_bindgen_test(unsupported = test)]
fn json_request_reads_every_member_in_camel_case() {
    let request = parse_request(
        r#"{"version":"v1.0.0","sn":"ZJ1","token":"t","apicode":"C_AUTH","accessId":"AK",
            "accessKey":"K","timeStamp":"20240301083000","taskid":"task-1","sign":"abc"}"#,
    );
    let view = request.view();
    assert_eq!(view.version, Some("v1.0.0"));
    assert_eq!(view.sn, Some("ZJ1"));
    assert_eq!(view.token, Some("t"));
    assert_eq!(view.apicode, Some("C_AUTH"));
    assert_eq!(view.access_id, Some("AK"));
    assert_eq!(view.access_key, Some("K"));
    assert_eq!(view.time_stamp, Some("20240301083000"));
    assert_eq!(view.taskid, Some("task-1"));
    assert_eq!(view.param, None);
    assert_eq!(view.sign, Some("abc"));
}

#[wasm_bindgen_test(unsupported = test)]
fn json_request_param_as_a_string_is_its_text() {
    let request = parse_request(r#"{"param":"{\"name\":\"张三\",\"n\":1}"}"#);
    assert_eq!(request.param.as_deref(), Some(r#"{"name":"张三","n":1}"#));
}

#[wasm_bindgen_test(unsupported = test)]
fn json_request_param_as_an_object_keeps_its_exact_text() {
    let request = parse_request(r#"{"param": { "name" : "张三" ,"list":[1, 2] } , "sn":"x"}"#);
    assert_eq!(
        request.param.as_deref(),
        Some(r#"{ "name" : "张三" ,"list":[1, 2] }"#)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn json_request_null_or_missing_param_is_none() {
    assert_eq!(parse_request(r#"{"param":null}"#).param, None);
    assert_eq!(parse_request(r#"{"sn":"x"}"#).param, None);
}

#[wasm_bindgen_test(unsupported = test)]
fn json_request_empty_strings_are_absent_in_the_view() {
    let request = parse_request(r#"{"version":"","sn":"","param":""}"#);
    assert_eq!(request.view().version, None);
    assert_eq!(request.view().sn, None);
    assert_eq!(request.view().param, None);
}

#[wasm_bindgen_test(unsupported = test)]
fn json_request_body_that_is_not_an_object_is_400_02() {
    for body in [
        "",
        "[1]",
        r#""text""#,
        "42",
        "null",
        "not json",
        r#"{"sn":"x""#,
    ] {
        assert_request_refused(body);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn json_request_number_where_a_string_belongs_is_400_02() {
    assert_request_refused(r#"{"sn":123}"#);
    assert_request_refused(r#"{"sign":true}"#);
    assert_request_refused(r#"{"timeStamp":20240301083000}"#);
}

// ---- JSON reply (§3, §5) --------------------------------------------------------------------

const PAGE_RESPONSE: &str =
    r#"{"data":[{"personId":"p1","name":"张三","imgUrls":[]}],"currentPage":1,"totalPage":1}"#;

/// A successful reply to T_SEND_PERSON, signed, as body text.
fn signed_page_reply() -> String {
    let reply = JsonReply {
        version: "v1.0.0".into(),
        success: true,
        apicode: None,
        taskid: Some("task-0001".into()),
        error: None,
        response: Some(
            serde_json::value::RawValue::from_string(PAGE_RESPONSE.into()).expect("valid JSON"),
        ),
        sign: None,
    };
    reply.signed(Some(Apicode::TSendPerson), SECRET).to_json()
}

/// Parses a reply body, expecting success.
fn parse_reply(body: &str) -> JsonReply {
    JsonReply::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{body}: {e}"))
}

#[wasm_bindgen_test(unsupported = test)]
fn signed_reply_verifies_and_yields_the_response_text() {
    let reply = parse_reply(&signed_page_reply());
    assert_eq!(
        reply.verify(Apicode::TSendPerson, SECRET),
        Ok(PAGE_RESPONSE)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn tampered_reply_response_fails_verification() {
    let body = signed_page_reply().replace("张三", "李四");
    let reply = parse_reply(&body);
    assert_eq!(
        reply.verify(Apicode::TSendPerson, SECRET),
        Err(ReplyError::BadSignature)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn reply_with_a_changed_taskid_fails_verification() {
    let body = signed_page_reply().replace("task-0001", "task-0002");
    assert_eq!(
        parse_reply(&body).verify(Apicode::TSendPerson, SECRET),
        Err(ReplyError::BadSignature)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn reply_checked_with_another_secret_or_apicode_fails_verification() {
    let reply = parse_reply(&signed_page_reply());
    assert_eq!(
        reply.verify(Apicode::TSendPerson, "other secret"),
        Err(ReplyError::BadSignature)
    );
    assert_eq!(
        reply.verify(Apicode::TGetTasks, SECRET),
        Err(ReplyError::BadSignature)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn reply_without_sign_fails_verification() {
    let reply = parse_reply(r#"{"version":"v1.0.0","success":true,"response":{}}"#);
    assert_eq!(
        reply.verify(Apicode::TGetTasks, SECRET),
        Err(ReplyError::BadSignature)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn reply_response_is_verified_over_its_exact_text() {
    let response = r#"{ "taskids" : [ "t-1" ] }"#;
    let sign = reply_sign(
        Some(Apicode::TGetTasks),
        &ReplyView {
            version: "v1.0.0",
            success: true,
            taskid: None,
            response: Some(response),
        },
        SECRET,
    );
    let body =
        format!(r#"{{"version":"v1.0.0","success":true,"response":{response},"sign":"{sign}"}}"#);
    assert_eq!(
        parse_reply(&body).verify(Apicode::TGetTasks, SECRET),
        Ok(response)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn signed_refusal_verifies_as_refused() {
    let error = ProtocolError::new(ErrorCode::ParamUnparsable);
    let reply = JsonReply {
        version: "v1.0.0".into(),
        success: false,
        apicode: None,
        taskid: Some("task-0001".into()),
        error: Some(error.clone()),
        response: None,
        sign: None,
    }
    .signed(Some(Apicode::TDelDevicePerson), SECRET);
    let parsed = parse_reply(&reply.to_json());
    assert_eq!(
        parsed.verify(Apicode::TDelDevicePerson, SECRET),
        Err(ReplyError::Refused(error))
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn reply_body_that_is_not_a_reply_is_malformed() {
    for body in [
        "",
        "[]",
        r#"{"version":"v1.0.0"}"#,
        r#"{"version":1,"success":true}"#,
    ] {
        assert!(
            matches!(
                JsonReply::parse(body.as_bytes()),
                Err(ReplyError::Malformed(_))
            ),
            "{body:?}"
        );
    }
}

// ---- C_SIGN_IN param (§7) -------------------------------------------------------------------

/// A sign-in record with the given `type`, `recordTime` and further members.
fn record(kind: Value, record_time: Value, more: Value) -> Value {
    let mut record = json!({
        "personId": "p-001",
        "type": kind,
        "img": "/9j/4AAQ",
        "recordTime": record_time,
        "coordinate": {"longitude": 120.15, "latitude": 30.28},
    });
    let members = record.as_object_mut().expect("an object");
    members.extend(more.as_object().expect("an object").clone());
    record
}

/// Parses a sign-in param from a JSON value.
fn sign_in(value: Value) -> Result<SignInParam, serde_json::Error> {
    serde_json::from_value(value)
}

#[wasm_bindgen_test(unsupported = test)]
fn sign_in_type_is_accepted_as_number_and_as_string() {
    for kind in [json!(64), json!("64")] {
        let param = sign_in(record(kind.clone(), json!(1709253000000_i64), json!({})))
            .unwrap_or_else(|e| panic!("type {kind}: {e}"));
        assert_eq!(param.kind, kind);
        assert_eq!(param.check_dictionaries(), Ok(()));
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn sign_in_record_time_is_accepted_as_number_and_as_numeric_string() {
    for time in [json!(1709253000000_i64), json!("1709253000000")] {
        let param = sign_in(record(json!("64"), time.clone(), json!({})))
            .unwrap_or_else(|e| panic!("recordTime {time}: {e}"));
        assert_eq!(param.record_time, 1_709_253_000_000);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn sign_in_record_time_that_is_not_a_number_is_refused() {
    for time in [
        json!("yesterday"),
        json!("17092530000.5"),
        json!(true),
        json!(null),
    ] {
        assert!(
            sign_in(record(json!("64"), time.clone(), json!({}))).is_err(),
            "recordTime {time}"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn sign_in_keeps_extra_members_apart_from_the_known_ones() {
    let param = sign_in(record(
        json!("64"),
        json!(1),
        json!({"recordId": "r-42", "evidence": {"wifi": "办公室"}}),
    ))
    .expect("parses");
    assert_eq!(param.extra.get("recordId"), Some(&json!("r-42")));
    assert_eq!(
        param.extra.get("evidence"),
        Some(&json!({"wifi": "办公室"}))
    );
    assert_eq!(
        param.extra.len(),
        2,
        "known members are not extra: {:?}",
        param.extra
    );
    assert_eq!(param.img.as_deref(), Some("/9j/4AAQ"));
    assert_eq!(param.person_id, "p-001");
}

/// The dictionary check of a record with `type` and further members.
fn dictionaries(kind: Value, more: Value) -> Result<(), ErrorCode> {
    sign_in(record(kind, json!(1), more))
        .expect("parses")
        .check_dictionaries()
}

#[wasm_bindgen_test(unsupported = test)]
fn sign_in_every_attendance_type_of_the_dictionary_passes() {
    for kind in [1, 2, 4, 8, 16, 32, 64] {
        assert_eq!(dictionaries(json!(kind), json!({})), Ok(()), "{kind}");
        assert_eq!(
            dictionaries(json!(kind.to_string()), json!({})),
            Ok(()),
            "{kind}"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn sign_in_bad_type_is_403_01() {
    for kind in [
        json!(0),
        json!(3),
        json!(65),
        json!("65"),
        json!("abc"),
        json!(""),
        json!(64.5),
    ] {
        assert_eq!(
            dictionaries(kind.clone(), json!({})),
            Err(ErrorCode::AttendanceTypeInvalid),
            "type {kind}"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn sign_in_bit_type_must_be_3_or_13() {
    for good in [json!(3), json!("13")] {
        let more = json!({ "bitType": good });
        assert_eq!(dictionaries(json!("64"), more), Ok(()), "bitType {good}");
    }
    for bad in [json!(4), json!("4"), json!("x"), json!(0)] {
        assert_eq!(
            dictionaries(json!("64"), json!({ "bitType": bad })),
            Err(ErrorCode::BitTypeInvalid),
            "bitType {bad}"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn sign_in_qr_code_type_must_be_1_or_2() {
    let qr =
        |kind: Value| json!({"qrCodeInfo": {"type": kind, "codeValue": "v", "codeColor": "green"}});
    for good in [json!(1), json!("2")] {
        assert_eq!(
            dictionaries(json!(64), qr(good.clone())),
            Ok(()),
            "qr type {good}"
        );
    }
    for bad in [json!(3), json!("3"), json!("健康码"), json!(0)] {
        assert_eq!(
            dictionaries(json!(64), qr(bad.clone())),
            Err(ErrorCode::QrCodeTypeInvalid),
            "qr type {bad}"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn sign_in_dictionaries_are_checked_type_first_then_bit_type() {
    let all_bad = json!({"bitType": 4, "qrCodeInfo": {"type": 3, "codeValue": "v"}});
    assert_eq!(
        dictionaries(json!(65), all_bad.clone()),
        Err(ErrorCode::AttendanceTypeInvalid)
    );
    assert_eq!(
        dictionaries(json!(64), all_bad),
        Err(ErrorCode::BitTypeInvalid)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_person_page_with_a_person_missing_its_id_or_name_still_parses() {
    // One bad person must not fail the page (and with it the task): the relay reports that
    // person as failed and stores the rest.
    let page: PersonPage = serde_json::from_value(json!({
        "data": [
            {"personId": "1", "name": "张三", "imgUrls": []},
            {"name": "无编号"},
            {"personId": "3", "name": null},
        ],
        "currentPage": 1,
        "totalPage": 1,
    }))
    .expect("the page parses");
    let members: Vec<(&str, &str)> = (page.data.iter())
        .map(|person| (person.person_id.as_str(), person.name.as_str()))
        .collect();
    assert_eq!(members, [("1", "张三"), ("", "无编号"), ("3", "")]);
    assert!(
        serde_json::from_value::<PersonPage>(
            json!({"data": [{"personId": 5}], "currentPage": 1, "totalPage": 1})
        )
        .is_err(),
        "a number is not a person id"
    );
}

// ---- The check order (§8), on the platform handler that the simulator and relay share -------

/// One vendor with one device, for the handler's credential look-ups.
struct OneDevice;

impl CredentialDirectory for OneDevice {
    fn credential(&self, access_id: &str) -> Option<Credential> {
        (access_id == "vendor").then(|| Credential {
            access_id: "vendor".into(),
            access_key: "key".into(),
            access_secret: SECRET.into(),
        })
    }
    fn owner_of(&self, sn: &str) -> Option<String> {
        (sn == "SN-1").then(|| "vendor".to_owned())
    }
}

/// A request signed with [`SECRET`], stamped at `now_ms`.
fn signed_request(apicode: Apicode, token: &str, param: &str, now_ms: i64) -> Request {
    let signer = Signer {
        sn: "SN-1",
        access_id: "vendor",
        access_key: "key",
        access_secret: SECRET,
    };
    signed_command(&signer, token, apicode, param.into(), now_ms).expect("a JSON param, now")
}

#[wasm_bindgen_test(unsupported = test)]
fn the_handler_checks_the_apicode_before_the_fields_it_requires() {
    let now_ms = 1_733_000_000_000;
    let mut handler = PlatformHandler::new(HandlerConfig::default(), [7; 32]);
    let auth = signed_request(Apicode::CAuth, "", "", now_ms);
    let verified = handler
        .verify(
            Channel::Command,
            &RequestView::from(&auth),
            &OneDevice,
            now_ms,
        )
        .expect("the C_AUTH is valid");
    let reply = handler.answer(&verified, Ok(None), now_ms);
    let token: Value = serde_json::from_str(&reply.result.unwrap().unwrap()).unwrap();
    let token = token["token"].as_str().unwrap().to_owned();
    let heartbeat_param = r#"{"deviceVersion":"1.0","deviceIp":"10.0.0.1"}"#;
    let valid = [
        (
            Channel::Command,
            signed_request(Apicode::CHeartbeat, &token, heartbeat_param, now_ms),
        ),
        (
            Channel::Task,
            signed_request(Apicode::TGetTasks, &token, r#"{"taskids":[]}"#, now_ms),
        ),
    ];
    for (channel, valid) in valid {
        let view = RequestView::from(&valid);
        assert!(
            handler.verify(channel, &view, &OneDevice, now_ms).is_ok(),
            "{channel:?}"
        );
        let answers = crate::check_order::all_cases(channel, &valid, &auth, &token)
            .into_iter()
            .map(|case| {
                let view = RequestView::from(&case.request);
                let answer = handler.verify(channel, &view, &OneDevice, now_ms);
                let code = answer.err().and_then(|reply| reply.error_code());
                (case, code.map(|code| code.as_str().to_owned()))
            })
            .collect();
        crate::check_order::assert_answers(answers);
    }
}
