//! Signature vectors (PROTOCOL.md §3) for every apicode and every HTTP reply rule, and the exact
//! param′ bytes of §4's image removal. Every expected digest was computed independently with
//! Python's `hashlib.md5` over the concatenation written beside it (`‖` marks field borders only;
//! it is not part of the text). Also runs as wasm in headless Chromium.

use wasm_bindgen_test::wasm_bindgen_test;

use zj_protocol::param_prime::{
    scan_object, strip_person_imgs, strip_sign_in_img, ScanError, Stripped, MAX_DEPTH,
};
use zj_protocol::sign::{reply_sign, request_sign, signatures_match, ReplyView, RequestView};
use zj_protocol::Apicode;

const VERSION: &str = "v1.0.0";
const SN: &str = "ZJ20240001";
const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const ACCESS_ID: &str = "AK001";
const ACCESS_KEY: &str = "key-001";
const TIME_STAMP: &str = "20240301083000";
const TASKID: &str = "task-0001";
const SECRET: &str = "s3cr3t-密钥";

/// A request view with every field filled in, so each vector also shows that the fields its
/// rule does not name are left out.
fn full_view(apicode: Apicode, param: Option<&'static str>) -> RequestView<'static> {
    RequestView {
        version: Some(VERSION),
        sn: Some(SN),
        token: Some(TOKEN),
        apicode: Some(apicode.as_str()),
        access_id: Some(ACCESS_ID),
        access_key: Some(ACCESS_KEY),
        time_stamp: Some(TIME_STAMP),
        taskid: Some(TASKID),
        param,
        sign: Some("00000000000000000000000000000000"),
    }
}

/// Asserts the request signature of `apicode` over `full_view(apicode, param)`.
fn assert_request_sign(apicode: Apicode, param: Option<&'static str>, expected: &str) {
    let sign = request_sign(apicode, &full_view(apicode, param), SECRET);
    assert_eq!(
        sign.as_deref(),
        Ok(expected),
        "{apicode} with param {param:?}"
    );
}

// ---- Request signatures, one per apicode --------------------------------------------------

#[wasm_bindgen_test(unsupported = test)]
fn c_auth_covers_version_sn_apicode_access_id_key_and_timestamp() {
    // v1.0.0‖ZJ20240001‖C_AUTH‖AK001‖key-001‖20240301083000‖s3cr3t-密钥
    assert_request_sign(
        Apicode::CAuth,
        Some(r#"{"ignored":true}"#),
        "200b773a7c6985ecffa590e08e7d350e",
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn c_heartbeat_covers_param_with_chinese_device_version() {
    // v1.0.0‖ZJ20240001‖0123456789abcdef0123456789abcdef‖C_HEARTBEAT‖20240301083000‖
    // {"deviceVersion":"考勤机 v2.1","deviceIp":"192.168.1.20"}‖s3cr3t-密钥
    assert_request_sign(
        Apicode::CHeartbeat,
        Some(r#"{"deviceVersion":"考勤机 v2.1","deviceIp":"192.168.1.20"}"#),
        "ccb0491db57faad6d26887223fec376e",
    );
}

/// The photo every sign-in vector carries; never signed.
const PHOTO: &str = "/9j/4AAQSkZJRg==";

#[wasm_bindgen_test(unsupported = test)]
fn c_sign_in_leaves_out_img_when_it_is_the_first_member() {
    // v1.0.0‖ZJ20240001‖0123456789abcdef0123456789abcdef‖C_SIGN_IN‖20240301083000‖
    // {"personId":"p-001","type":"64","recordTime":1709253000000}‖s3cr3t-密钥
    assert_request_sign(
        Apicode::CSignIn,
        Some(
            r#"{"img":"/9j/4AAQSkZJRg==","personId":"p-001","type":"64","recordTime":1709253000000}"#,
        ),
        "c3e01fe5d4bd67a293c73958cf6667ba",
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn c_sign_in_leaves_out_img_when_it_is_a_middle_member() {
    // v1.0.0‖ZJ20240001‖0123456789abcdef0123456789abcdef‖C_SIGN_IN‖20240301083000‖
    // {"personId":"p-001","type":"64","recordTime":1709253000000,
    //  "coordinate":{"longitude":120.15,"latitude":30.28}}‖s3cr3t-密钥   (one line, no break)
    assert_request_sign(
        Apicode::CSignIn,
        Some(concat!(
            r#"{"personId":"p-001","type":"64","img":"/9j/4AAQSkZJRg==","#,
            r#""recordTime":1709253000000,"coordinate":{"longitude":120.15,"latitude":30.28}}"#
        )),
        "892b234e2acdd6b27f6796ad5ac691f0",
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn c_sign_in_leaves_out_img_when_it_is_the_last_member() {
    // v1.0.0‖ZJ20240001‖0123456789abcdef0123456789abcdef‖C_SIGN_IN‖20240301083000‖
    // {"personId":"p-001","remark":"张三 上班","recordTime":1709253000000}‖s3cr3t-密钥
    assert_request_sign(
        Apicode::CSignIn,
        Some(
            r#"{"personId":"p-001","remark":"张三 上班","recordTime":1709253000000,"img":"/9j/4AAQSkZJRg=="}"#,
        ),
        "ead3d536b63e5ae8be958d0bebffc7a6",
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn c_sign_in_leaves_out_img_when_it_is_the_only_member() {
    // v1.0.0‖ZJ20240001‖0123456789abcdef0123456789abcdef‖C_SIGN_IN‖20240301083000‖{}‖s3cr3t-密钥
    assert_request_sign(
        Apicode::CSignIn,
        Some(r#"{"img":"/9j/4AAQSkZJRg=="}"#),
        "dba0169e9f614b9cf88866371d81acb2",
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn c_sign_in_signature_ignores_the_photo_but_not_other_members() {
    let param = |img: &str, person: &str| {
        format!(r#"{{"personId":"{person}","type":"64","img":"{img}","recordTime":1}}"#)
    };
    let sign = |text: &str| {
        let view = RequestView {
            param: Some(text),
            ..full_view(Apicode::CSignIn, None)
        };
        request_sign(Apicode::CSignIn, &view, SECRET).expect("scannable")
    };
    let original = sign(&param(PHOTO, "p-001"));
    assert_eq!(original, sign(&param("AAAA", "p-001")));
    assert_ne!(original, sign(&param(PHOTO, "p-002")));
}

#[wasm_bindgen_test(unsupported = test)]
fn an_unscannable_param_cannot_be_signed_whatever_the_apicode() {
    let param = Some(r#"{"img":"x""#);
    let sign_in = request_sign(
        Apicode::CSignIn,
        &full_view(Apicode::CSignIn, param),
        SECRET,
    );
    assert!(sign_in.is_err());
    let heartbeat = request_sign(
        Apicode::CHeartbeat,
        &full_view(Apicode::CHeartbeat, param),
        SECRET,
    );
    assert!(
        heartbeat.is_err(),
        "every param must be a JSON object (PROTOCOL.md §4)"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn t_get_tasks_covers_token_apicode_and_param_without_timestamp_or_taskid() {
    // v1.0.0‖ZJ20240001‖0123456789abcdef0123456789abcdef‖T_GET_TASKS‖
    // {"taskids":["t-1","t-2"]}‖s3cr3t-密钥
    assert_request_sign(
        Apicode::TGetTasks,
        Some(r#"{"taskids":["t-1","t-2"]}"#),
        "8542694aa1dd78257f677d58381b7239",
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn t_update_tasks_status_covers_token_apicode_and_param() {
    // v1.0.0‖ZJ20240001‖0123456789abcdef0123456789abcdef‖T_UPDATE_TASKS_STATUS‖
    // {"task":[{"taskid":"t-1","status":1}],"personCount":2,"faceCount":2}‖s3cr3t-密钥
    assert_request_sign(
        Apicode::TUpdateTasksStatus,
        Some(r#"{"task":[{"taskid":"t-1","status":1}],"personCount":2,"faceCount":2}"#),
        "9d3f83ee8f468e7fbfe5f6d2821edcfd",
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn t_send_person_covers_taskid_before_apicode() {
    // v1.0.0‖ZJ20240001‖0123456789abcdef0123456789abcdef‖task-0001‖T_SEND_PERSON‖
    // {"currentPage":1,"totalPage":0}‖s3cr3t-密钥
    assert_request_sign(
        Apicode::TSendPerson,
        Some(r#"{"currentPage":1,"totalPage":0}"#),
        "8740c664744afc472de6d8a35715d11f",
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn t_update_device_person_covers_taskid_and_param() {
    // v1.0.0‖ZJ20240001‖0123456789abcdef0123456789abcdef‖task-0001‖T_UPDATE_DEVICE_PERSON‖
    // {"currentPage":2,"totalPage":3}‖s3cr3t-密钥
    assert_request_sign(
        Apicode::TUpdateDevicePerson,
        Some(r#"{"currentPage":2,"totalPage":3}"#),
        "602bfd81d3bb5b8977b0b5c15fd3b421",
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn t_del_device_person_covers_taskid_and_param() {
    // v1.0.0‖ZJ20240001‖0123456789abcdef0123456789abcdef‖task-0001‖T_DEL_DEVICE_PERSON‖{}‖
    // s3cr3t-密钥
    assert_request_sign(
        Apicode::TDelDevicePerson,
        Some("{}"),
        "0558b42c0cc76384b496500749eaac16",
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn t_del_device_person_without_param_skips_it() {
    // v1.0.0‖ZJ20240001‖0123456789abcdef0123456789abcdef‖task-0001‖T_DEL_DEVICE_PERSON‖
    // s3cr3t-密钥
    assert_request_sign(
        Apicode::TDelDevicePerson,
        None,
        "a550fba6ec633ffce0b61c8706902529",
    );
    // An empty string counts as absent too.
    assert_request_sign(
        Apicode::TDelDevicePerson,
        Some(""),
        "a550fba6ec633ffce0b61c8706902529",
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn t_clear_device_person_covers_taskid_but_not_param() {
    // v1.0.0‖ZJ20240001‖0123456789abcdef0123456789abcdef‖task-0001‖T_CLEAR_DEVICE_PERSON‖
    // s3cr3t-密钥
    assert_request_sign(
        Apicode::TClearDevicePerson,
        Some(r#"{"ignored":true}"#),
        "f9b1ba7d97fad7f589ed32315fc8dae5",
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn t_update_device_version_covers_taskid_and_param() {
    // v1.0.0‖ZJ20240001‖0123456789abcdef0123456789abcdef‖task-0001‖T_UPDATE_DEVICE_VERSION‖
    // {"version":"2.0.1","size":1048576,"downloadUrl":"https://example.com/fw.bin"}‖s3cr3t-密钥
    assert_request_sign(
        Apicode::TUpdateDeviceVersion,
        Some(r#"{"version":"2.0.1","size":1048576,"downloadUrl":"https://example.com/fw.bin"}"#),
        "d29e5c9dc761fe00fe0b66b74ed67fdf",
    );
}

/// A roster page: img first, middle, last, absent, and only member of a person.
const ROSTER: &str = concat!(
    r#"{"currentPage":1,"totalPage":1,"data":["#,
    r#"{"img":"QUFB","personId":"p1","name":"张三"},"#,
    r#"{"personId":"p2","img":"QkJC","name":"李四"},"#,
    r#"{"personId":"p3","name":"王五","img":"Q0ND"},"#,
    r#"{"personId":"p4","name":"赵六","hasImg":0},"#,
    r#"{"img":"RERE"}]}"#
);

/// [`ROSTER`] without its photos.
const ROSTER_PRIME: &str = concat!(
    r#"{"currentPage":1,"totalPage":1,"data":["#,
    r#"{"personId":"p1","name":"张三"},"#,
    r#"{"personId":"p2","name":"李四"},"#,
    r#"{"personId":"p3","name":"王五"},"#,
    r#"{"personId":"p4","name":"赵六","hasImg":0},"#,
    r#"{}]}"#
);

#[wasm_bindgen_test(unsupported = test)]
fn t_post_device_person_leaves_out_every_persons_img() {
    // v1.0.0‖ZJ20240001‖0123456789abcdef0123456789abcdef‖task-0001‖T_POST_DEVICE_PERSON‖
    // {"currentPage":1,"totalPage":1,"data":[{"personId":"p1","name":"张三"},
    //  {"personId":"p2","name":"李四"},{"personId":"p3","name":"王五"},
    //  {"personId":"p4","name":"赵六","hasImg":0},{}]}‖s3cr3t-密钥   (one line, no breaks)
    assert_request_sign(
        Apicode::TPostDevicePerson,
        Some(ROSTER),
        "b920abb6fdf2719c43365ff7be83a670",
    );
}

// ---- Reply signatures, every HTTP rule, success true and false ----------------------------

const TASKS_RESPONSE: &str = r#"{"tasks":[{"taskid":"t-1","apicode":"T_SEND_PERSON","param":""}]}"#;
const PAGE_RESPONSE: &str = concat!(
    r#"{"data":[{"personId":"p1","name":"张三","imgUrls":["http://x/1.jpg"]}],"#,
    r#""currentPage":1,"totalPage":1}"#
);

/// Asserts the reply signature of each of `apicodes`, for a reply carrying a taskid (always)
/// and `response` (only when `success`).
fn assert_reply_sign(apicodes: &[Apicode], success: bool, response: &str, expected: &str) {
    let reply = ReplyView {
        version: VERSION,
        success,
        taskid: Some(TASKID),
        response: success.then_some(response),
    };
    for &apicode in apicodes {
        assert_eq!(
            reply_sign(Some(apicode), &reply, SECRET),
            expected,
            "reply to {apicode}, success {success}"
        );
    }
}

const TASK_MANAGEMENT: &[Apicode] = &[Apicode::TGetTasks, Apicode::TUpdateTasksStatus];
const PERSON_PAGES: &[Apicode] = &[
    Apicode::TSendPerson,
    Apicode::TUpdateDevicePerson,
    Apicode::TPostDevicePerson,
];
const NO_RESPONSE: &[Apicode] = &[
    Apicode::TDelDevicePerson,
    Apicode::TClearDevicePerson,
    Apicode::TUpdateDeviceVersion,
];

#[wasm_bindgen_test(unsupported = test)]
fn reply_to_task_management_success_covers_response_but_not_taskid() {
    // v1.0.0‖true‖{"tasks":[{"taskid":"t-1","apicode":"T_SEND_PERSON","param":""}]}‖s3cr3t-密钥
    let expected = "f0b2d148842f439f32d02df204cc5b9c";
    assert_reply_sign(TASK_MANAGEMENT, true, TASKS_RESPONSE, expected);
}

#[wasm_bindgen_test(unsupported = test)]
fn reply_to_task_management_failure_covers_version_and_false() {
    // v1.0.0‖false‖s3cr3t-密钥
    let expected = "f04237fbb8697362add4fe238c1a1418";
    assert_reply_sign(TASK_MANAGEMENT, false, TASKS_RESPONSE, expected);
}

#[wasm_bindgen_test(unsupported = test)]
fn reply_to_person_pages_success_covers_taskid_and_response() {
    // v1.0.0‖true‖task-0001‖{"data":[{"personId":"p1","name":"张三","imgUrls":["http://x/1.jpg"]}],
    // "currentPage":1,"totalPage":1}‖s3cr3t-密钥   (one line, no break)
    let expected = "59c9bd6e1bd735fffb30464d70baaa08";
    assert_reply_sign(PERSON_PAGES, true, PAGE_RESPONSE, expected);
}

#[wasm_bindgen_test(unsupported = test)]
fn reply_to_person_pages_failure_covers_taskid() {
    // v1.0.0‖false‖task-0001‖s3cr3t-密钥
    let expected = "fa85489f83d9d54d9e1f8798978f221c";
    assert_reply_sign(PERSON_PAGES, false, PAGE_RESPONSE, expected);
}

#[wasm_bindgen_test(unsupported = test)]
fn reply_to_delete_clear_and_firmware_success_covers_taskid_but_not_response() {
    // v1.0.0‖true‖task-0001‖s3cr3t-密钥
    let expected = "6e481ce1de44f1a6f52690931d7f05f8";
    assert_reply_sign(NO_RESPONSE, true, PAGE_RESPONSE, expected);
}

#[wasm_bindgen_test(unsupported = test)]
fn reply_to_delete_clear_and_firmware_failure_covers_taskid() {
    // v1.0.0‖false‖task-0001‖s3cr3t-密钥
    let expected = "fa85489f83d9d54d9e1f8798978f221c";
    assert_reply_sign(NO_RESPONSE, false, PAGE_RESPONSE, expected);
}

#[wasm_bindgen_test(unsupported = test)]
fn reply_to_a_command_or_unknown_apicode_covers_version_and_success_only() {
    let reply = |success| ReplyView {
        version: VERSION,
        success,
        taskid: Some(TASKID),
        response: Some(PAGE_RESPONSE),
    };
    // v1.0.0‖true‖s3cr3t-密钥
    assert_eq!(
        reply_sign(Some(Apicode::CSignIn), &reply(true), SECRET),
        "3c874dc4339fdd79199581c62dcedb13"
    );
    // v1.0.0‖false‖s3cr3t-密钥
    assert_eq!(
        reply_sign(None, &reply(false), SECRET),
        "f04237fbb8697362add4fe238c1a1418"
    );
}

// ---- signatures_match -----------------------------------------------------------------------

#[wasm_bindgen_test(unsupported = test)]
fn signatures_match_accepts_only_the_exact_lowercase_digest() {
    let expected = "c3e01fe5d4bd67a293c73958cf6667ba";
    assert!(signatures_match(expected, expected));
    assert!(!signatures_match(&expected.to_uppercase(), expected));
    assert!(!signatures_match(
        "c3e01fe5d4bd67a293c73958cf6667bb",
        expected
    ));
    assert!(!signatures_match(&expected[..31], expected));
    assert!(!signatures_match(&format!("{expected}0"), expected));
    assert!(!signatures_match("", expected));
}

// ---- param′ (§4) --------------------------------------------------------------------------

/// param′ of a C_SIGN_IN param, as text.
fn sign_in_prime(param: &str) -> String {
    strip_sign_in_img(param).expect("scannable").to_text()
}

/// param′ of a T_POST_DEVICE_PERSON param, as text.
fn roster_prime(param: &str) -> String {
    strip_person_imgs(param).expect("scannable").to_text()
}

#[wasm_bindgen_test(unsupported = test)]
fn img_between_members_goes_with_its_comma_and_the_white_space_after_it() {
    assert_eq!(
        sign_in_prime(r#"{"a":1, "img":"x", "b":2}"#),
        r#"{"a":1, "b":2}"#
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn img_last_goes_with_the_comma_before_it() {
    assert_eq!(sign_in_prime(r#"{"a":1 , "img":"x"}"#), r#"{"a":1 }"#);
}

#[wasm_bindgen_test(unsupported = test)]
fn img_only_member_leaves_the_surrounding_white_space() {
    assert_eq!(sign_in_prime(r#"{ "img":"x" }"#), "{  }");
}

#[wasm_bindgen_test(unsupported = test)]
fn img_first_keeps_the_white_space_before_it() {
    assert_eq!(sign_in_prime(r#"{ "img":"x","a":1}"#), r#"{ "a":1}"#);
}

#[wasm_bindgen_test(unsupported = test)]
fn img_in_pretty_printed_param_goes_with_its_line_break() {
    let param = "{\n  \"a\": 1,\n  \"img\": \"x\",\n  \"b\": 2\n}";
    assert_eq!(sign_in_prime(param), "{\n  \"a\": 1,\n  \"b\": 2\n}");
}

#[wasm_bindgen_test(unsupported = test)]
fn param_without_img_is_unchanged() {
    let param = r#"{"personId":"p-001","type":"64"}"#;
    let stripped = strip_sign_in_img(param).expect("scannable");
    assert_eq!(stripped.removed_values().count(), 0);
    assert_eq!(stripped.to_text(), param);
}

#[wasm_bindgen_test(unsupported = test)]
fn escaped_quotes_and_unicode_escapes_before_img_do_not_confuse_the_scanner() {
    let param = r#"{"note":"say \"hi\" \u00e9 \\","fake":"\"img\":\"y\"","img":"x","z":"\u5f20"}"#;
    assert_eq!(
        sign_in_prime(param),
        r#"{"note":"say \"hi\" \u00e9 \\","fake":"\"img\":\"y\"","z":"\u5f20"}"#
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn sign_in_img_inside_nested_objects_is_kept() {
    let param = r#"{"a":{"img":"keep"},"img":"x","list":[{"img":"keep"}]}"#;
    assert_eq!(
        sign_in_prime(param),
        r#"{"a":{"img":"keep"},"list":[{"img":"keep"}]}"#
    );
    let nested_only = r#"{"evidence":{"img":"keep"}}"#;
    assert_eq!(sign_in_prime(nested_only), nested_only);
}

#[wasm_bindgen_test(unsupported = test)]
fn pieces_concatenate_to_the_text() {
    let stripped: Stripped<'_> =
        strip_sign_in_img(r#"{"a":1,"img":"x","b":2}"#).expect("scannable");
    assert_eq!(
        stripped.pieces().collect::<Vec<_>>(),
        [r#"{"a":1,"#, r#""b":2}"#]
    );
    assert_eq!(stripped.removed_values().count(), 1);
}

#[wasm_bindgen_test(unsupported = test)]
fn roster_imgs_are_removed_from_every_person_in_any_position() {
    let stripped = strip_person_imgs(ROSTER).expect("scannable");
    assert_eq!(stripped.removed_values().count(), 4);
    assert_eq!(stripped.to_text(), ROSTER_PRIME);
}

#[wasm_bindgen_test(unsupported = test)]
fn roster_img_outside_data_persons_is_kept() {
    let param = concat!(
        r#"{"img":"top","data":[{"personId":"p1","face":{"img":"deep"},"img":"x"},"#,
        r#""text",[{"img":"in an array"}]],"other":[{"img":"not data"}]}"#
    );
    assert_eq!(
        roster_prime(param),
        concat!(
            r#"{"img":"top","data":[{"personId":"p1","face":{"img":"deep"}},"#,
            r#""text",[{"img":"in an array"}]],"other":[{"img":"not data"}]}"#
        )
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn roster_with_white_space_keeps_every_other_byte() {
    let param =
        r#"{ "data" : [ { "img" : "x" , "name" : "张三" } , { "name":"李四" , "img":"y" } ] }"#;
    assert_eq!(
        roster_prime(param),
        r#"{ "data" : [ { "name" : "张三" } , { "name":"李四"  } ] }"#
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn scan_object_reports_key_and_value_ranges() {
    let text = r#" {"a":1, "bc" : "x\"y"} "#;
    let members = scan_object(text).expect("scannable");
    let ranges: Vec<_> = members
        .iter()
        .map(|m| (&text[m.key.clone()], &text[m.value.clone()]))
        .collect();
    assert_eq!(ranges, [("a", "1"), ("bc", r#""x\"y""#)]);
}

/// Asserts that `text` cannot be scanned as a JSON object, and where the scanner stopped.
fn assert_unscannable(text: &str, offset: usize) {
    let error: ScanError = scan_object(text).expect_err(text);
    assert_eq!(error.offset, offset, "{text:?}: {error}");
    assert!(strip_sign_in_img(text).is_err(), "{text:?}");
    assert!(strip_person_imgs(text).is_err(), "{text:?}");
}

#[wasm_bindgen_test(unsupported = test)]
fn param_that_is_not_an_object_is_unscannable() {
    for text in ["", "   ", "[1,2]", r#""text""#, "42", "null", "true"] {
        assert_unscannable(text, text.len() - text.trim_start().len());
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn param_with_trailing_garbage_is_unscannable() {
    assert_unscannable(r#"{"a":1}x"#, 7);
    assert_unscannable(r#"{"a":1} {}"#, 8);
    assert_unscannable(r#"{"a":1},"#, 7);
}

#[wasm_bindgen_test(unsupported = test)]
fn param_with_unterminated_string_is_unscannable() {
    assert_unscannable(r#"{"a":"abc"#, 9);
    assert_unscannable(r#"{"a":"abc\"}"#, 12);
    assert_unscannable(r#"{"ab"#, 4);
}

#[wasm_bindgen_test(unsupported = test)]
fn param_with_bad_escape_is_unscannable() {
    assert_unscannable(r#"{"a":"\x"}"#, 7);
    assert_unscannable(r#"{"a":"\u12g4"}"#, 8);
    assert_unscannable(r#"{"a":"\u12"}"#, 8);
}

#[wasm_bindgen_test(unsupported = test)]
fn param_with_control_character_in_a_string_is_unscannable() {
    assert_unscannable("{\"a\":\"line\nbreak\"}", 10);
    assert_unscannable("{\"a\tb\":1}", 3);
    assert_unscannable("{\"a\":\"\u{0}\"}", 6);
}

#[wasm_bindgen_test(unsupported = test)]
fn param_with_other_grammar_errors_is_unscannable() {
    for (text, offset) in [
        (r#"{"a":1,}"#, 7),
        (r#"{"a" 1}"#, 5),
        (r#"{a:1}"#, 1),
        (r#"{"a":01}"#, 6),
        (r#"{"a":1.}"#, 7),
        (r#"{"a":tru}"#, 5),
        (r#"{"a":[1 2]}"#, 8),
        (r#"{"a":+1}"#, 5),
    ] {
        assert_unscannable(text, offset);
    }
}

/// `{"a":` then `depth` nested arrays, then `}`.
fn nested_arrays(depth: usize) -> String {
    format!(r#"{{"a":{}{}}}"#, "[".repeat(depth), "]".repeat(depth))
}

#[wasm_bindgen_test(unsupported = test)]
fn nesting_within_max_depth_is_scannable() {
    // The object itself plus MAX_DEPTH - 1 arrays: MAX_DEPTH levels however they are counted.
    assert!(scan_object(&nested_arrays(MAX_DEPTH - 1)).is_ok());
}

#[wasm_bindgen_test(unsupported = test)]
fn nesting_deeper_than_max_depth_is_unscannable() {
    assert!(scan_object(&nested_arrays(MAX_DEPTH + 1)).is_err());
    let objects = format!(
        "{}{{}}{}",
        r#"{"a":"#.repeat(MAX_DEPTH + 1),
        "}".repeat(MAX_DEPTH + 1)
    );
    assert!(scan_object(&objects).is_err());
}

#[wasm_bindgen_test(unsupported = test)]
fn very_deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = nested_arrays(100_000);
    assert!(scan_object(&deep).is_err());
    assert!(strip_sign_in_img(&deep).is_err());
    let unclosed = format!(r#"{{"data":{}"#, "[".repeat(100_000));
    assert!(strip_person_imgs(&unclosed).is_err());
}
