//! The phone ⇄ relay JSON types (`zj_protocol::phone_api`), one round trip each: the JSON the
//! relay writes has the members docs/PHONE_API.md names, and the phone reads back the value the
//! relay meant. And the one command builder, `signed_command`.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use wasm_bindgen_test::wasm_bindgen_test;
use zj_protocol::phone_api::{
    Binding, Challenge, EnrollRequest, Enrollment, ErrorBody, ErrorReply, OutOfFence,
    OutOfFenceReason, PhoneCredentials, RelayHeartbeat, RosterPerson, SiteFence, SiteInfo,
    UncertainPolicy, OUT_OF_FENCE_NOTE_MAX_CHARS,
};
use zj_protocol::sign::{request_sign, RequestView};
use zj_protocol::{signed_command, Apicode, Signer, Unsignable, PROTOCOL_VERSION};

/// Serialises `value`, checks the JSON is `expected`, reads it back and checks it is `value`.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    value: &T,
    expected: Value,
) {
    let text = serde_json::to_string(value).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), expected);
    assert_eq!(&serde_json::from_str::<T>(&text).unwrap(), value);
}

fn credentials() -> PhoneCredentials {
    PhoneCredentials {
        sn: "PHONE-1".into(),
        access_id: "phone-abc".into(),
        access_key: "key-1".into(),
        access_secret: "秘密".into(),
    }
}

fn fence() -> SiteFence {
    SiteFence {
        version: 3,
        updated_at_ms: 1_733_000_000_000,
        max_accuracy_m: 50.0,
        uncertain_policy: UncertainPolicy::Flag,
        geojson: json!({"type": "Polygon", "coordinates": []}),
    }
}

fn team_site() -> SiteInfo {
    SiteInfo {
        site_id: "site-1".into(),
        name: "滨江工地".into(),
        binding: Binding::Team,
        person: None,
        persons: vec![RosterPerson {
            person_id: "P-1".into(),
            name: "张三".into(),
        }],
        fence: Some(fence()),
    }
}

fn team_site_json() -> Value {
    json!({
        "siteId": "site-1", "name": "滨江工地", "binding": "team", "person": null,
        "persons": [{"personId": "P-1", "name": "张三"}],
        "fence": {"version": 3, "updatedAtMs": 1_733_000_000_000_i64, "maxAccuracyM": 50.0,
                  "uncertainPolicy": "flag", "geojson": {"type": "Polygon", "coordinates": []}},
    })
}

#[wasm_bindgen_test(unsupported = test)]
fn binding_and_policy_are_their_names_in_json_and_text() {
    for (binding, name) in [(Binding::Personal, "personal"), (Binding::Team, "team")] {
        round_trip(&binding, json!(name));
        assert_eq!((binding.as_str(), name.parse()), (name, Ok(binding)));
    }
    for (policy, name) in [
        (UncertainPolicy::Reject, "reject"),
        (UncertainPolicy::Flag, "flag"),
    ] {
        round_trip(&policy, json!(name));
        assert_eq!((policy.as_str(), name.parse()), (name, Ok(policy)));
    }
    assert!("Team".parse::<Binding>().is_err());
    assert!("warn".parse::<UncertainPolicy>().is_err());
    assert_eq!(UncertainPolicy::default(), UncertainPolicy::Reject);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_site_round_trips_with_its_roster_and_fence() {
    round_trip(&team_site(), team_site_json());
    let personal = SiteInfo {
        binding: Binding::Personal,
        person: Some(RosterPerson {
            person_id: "P-2".into(),
            name: "李四".into(),
        }),
        persons: Vec::new(),
        fence: None,
        ..team_site()
    };
    let mut expected = team_site_json();
    expected["binding"] = json!("personal");
    expected["person"] = json!({"personId": "P-2", "name": "李四"});
    expected["persons"] = json!([]);
    expected["fence"] = Value::Null;
    round_trip(&personal, expected);
}

#[wasm_bindgen_test(unsupported = test)]
fn an_enrollment_round_trips_with_the_phones_own_credentials() {
    round_trip(
        &EnrollRequest {
            code: "ABCDE-12345".into(),
        },
        json!({"code": "ABCDE-12345"}),
    );
    let enrollment = Enrollment {
        phone: credentials(),
        site: team_site(),
    };
    round_trip(
        &enrollment,
        json!({
            "phone": {"sn": "PHONE-1", "accessId": "phone-abc", "accessKey": "key-1",
                      "accessSecret": "秘密"},
            "site": team_site_json(),
        }),
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_challenge_round_trips() {
    let challenge = Challenge {
        nonce: "0f".repeat(16),
        issued_at_ms: 1000,
        expires_at_ms: 121_000,
    };
    round_trip(
        &challenge,
        json!({"nonce": "0f".repeat(16), "issuedAtMs": 1000, "expiresAtMs": 121_000}),
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn an_error_body_round_trips_with_and_without_its_detail() {
    let plain = ErrorReply {
        error: ErrorBody {
            code: "code_expired".into(),
            message: "登记码已过期".into(),
            detail: None,
        },
    };
    round_trip(
        &plain,
        json!({"error": {"code": "code_expired", "message": "登记码已过期"}}),
    );
    let located = ErrorReply {
        error: ErrorBody {
            detail: Some(json!({"problem": "open_ring", "polygon": 0, "ring": 1})),
            ..plain.error.clone()
        },
    };
    round_trip(
        &located,
        json!({"error": {"code": "code_expired", "message": "登记码已过期",
                         "detail": {"problem": "open_ring", "polygon": 0, "ring": 1}}}),
    );
}

fn signer(credentials: &PhoneCredentials) -> Signer<'_> {
    Signer {
        sn: &credentials.sn,
        access_id: &credentials.access_id,
        access_key: &credentials.access_key,
        access_secret: &credentials.access_secret,
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn signed_command_carries_credentials_on_auth_and_the_token_elsewhere() {
    let credentials = credentials();
    let at_ms = 1_733_000_000_000;
    let auth = signed_command(
        &signer(&credentials),
        "tok",
        Apicode::CAuth,
        String::new(),
        at_ms,
    )
    .unwrap();
    assert_eq!(
        (
            auth.token.as_str(),
            auth.access_id.as_str(),
            auth.access_key.as_str()
        ),
        ("", "phone-abc", "key-1")
    );
    let param = r#"{"deviceVersion":"1","deviceIp":"10.0.0.1"}"#.to_owned();
    let heartbeat = signed_command(
        &signer(&credentials),
        "tok",
        Apicode::CHeartbeat,
        param,
        at_ms,
    )
    .unwrap();
    assert_eq!(
        (
            heartbeat.token.as_str(),
            heartbeat.access_id.as_str(),
            heartbeat.access_key.as_str()
        ),
        ("tok", "", "")
    );
    assert_eq!(heartbeat.version, PROTOCOL_VERSION);
    assert_eq!(heartbeat.time_stamp, "20241201045320");
    for request in [auth, heartbeat] {
        let apicode = request.apicode.parse().unwrap();
        let expected = request_sign(apicode, &RequestView::from(&request), "秘密").unwrap();
        assert_eq!(request.sign, expected, "{request:?}");
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn signed_command_says_why_it_could_not_sign() {
    let credentials = credentials();
    let unsigned = signed_command(
        &signer(&credentials),
        "tok",
        Apicode::CSignIn,
        "[1, 2]".into(),
        1_733_000_000_000,
    )
    .unwrap_err();
    assert!(
        matches!(unsigned.reason, Unsignable::Param(_)),
        "{unsigned:?}"
    );
    assert_eq!(
        (
            unsigned.request.sign.as_str(),
            unsigned.request.param.as_str()
        ),
        ("", "[1, 2]")
    );
    let far_future = i64::MAX;
    let no_stamp = signed_command(
        &signer(&credentials),
        "tok",
        Apicode::CAuth,
        String::new(),
        far_future,
    )
    .unwrap_err();
    assert_eq!(no_stamp.reason, Unsignable::Clock(far_future));
    assert_eq!(no_stamp.request.time_stamp, "");
}

#[wasm_bindgen_test(unsupported = test)]
fn a_relay_heartbeat_round_trips_and_reads_a_platform_one() {
    let beat = RelayHeartbeat {
        taskids: Vec::new(),
        relay_time_ms: Some(1_733_000_000_000),
        fence_version: Some(2),
        requests_changed_ms: Some(1_733_000_100_000),
    };
    round_trip(
        &beat,
        json!({"taskids": [], "relayTimeMs": 1_733_000_000_000_i64, "fenceVersion": 2,
               "requestsChangedMs": 1_733_000_100_000_i64}),
    );
    let platform: RelayHeartbeat = serde_json::from_str(r#"{"taskids":["7"]}"#).unwrap();
    assert_eq!(
        (
            platform.relay_time_ms,
            platform.fence_version,
            platform.requests_changed_ms
        ),
        (None, None, None)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn an_out_of_fence_request_reads_its_reason_and_names_its_problem() {
    let request: OutOfFence =
        serde_json::from_str(r#"{"reason":"second_area","note":"北区钢筋棚"}"#).unwrap();
    assert_eq!(request.reason, OutOfFenceReason::SecondArea);
    assert_eq!(request.problem_zh(), None);
    let other = OutOfFence {
        reason: OutOfFenceReason::Other,
        note: "  ".into(),
    };
    assert!(other.problem_zh().unwrap().contains("其他"));
    let long = OutOfFence {
        reason: OutOfFenceReason::Meeting,
        note: "会".repeat(OUT_OF_FENCE_NOTE_MAX_CHARS + 1),
    };
    assert!(long.problem_zh().unwrap().contains("200"));
    assert!(serde_json::from_str::<OutOfFence>(r#"{"reason":"lunch"}"#).is_err());
    for reason in OutOfFenceReason::ALL {
        assert_eq!(reason.as_str().parse(), Ok(reason));
        assert!(!reason.label_zh().is_empty());
    }
}
