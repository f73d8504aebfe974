//! The record before it is saved: location warnings, the fence decision, the clock, record
//! ids, the §7 param it becomes, and what each relay answer means for it (pure core; also runs
//! as wasm).

use wasm_bindgen_test::wasm_bindgen_test;

use crate::record_common::draft;
use serde_json::{json, Value};
use zj_geofence::crs::wgs84_to_gcj02;
use zj_geofence::{Check, LngLat, Verdict};
use zj_phone::record::clock::{corrected_time, ClockOffset};
use zj_phone::record::location::{
    assess, Crs, LastPlace, LocationError, LocationPolicy, LocationReading, LocationSource,
    LocationWarning,
};
use zj_phone::record::outbox::Settled;
use zj_phone::record::upload::{dispose, dispose_link_failure, Disposition};
use zj_phone::record::{
    decide_fence, record_id_from_random, FenceDecision, FenceEvidence, RequestsWatch,
    UncertainPolicy,
};
use zj_protocol::params::SignInParam;
use zj_protocol::phone_api::{OutOfFence, OutOfFenceReason};
use zj_protocol::{ErrorCode, ProtocolError};

const NOW: i64 = 1_790_000_000_000;
/// The demo site's gate, WGS-84.
const GATE: (f64, f64) = (120.2101, 30.2084);

fn browser(lng: f64, lat: f64, accuracy_m: f64, age_ms: i64) -> LocationReading {
    LocationReading {
        source: LocationSource::Browser,
        crs: Crs::Wgs84,
        lng,
        lat,
        accuracy_m,
        fix_time_ms: NOW - age_ms,
    }
}

fn assess_one(reading: LocationReading) -> Vec<LocationWarning> {
    assess(&[reading], &[], None, NOW, &LocationPolicy::default())
        .unwrap()
        .warnings
}

#[wasm_bindgen_test(unsupported = test)]
fn a_fresh_ordinary_fix_has_no_warnings() {
    let located = assess(
        &[browser(GATE.0, GATE.1, 8.5, 1_000)],
        &[12.0, 9.7],
        Some(&LastPlace {
            lng: GATE.0,
            lat: GATE.1,
            time_ms: NOW - 3_600_000,
        }),
        NOW,
        &LocationPolicy::default(),
    )
    .unwrap();
    assert_eq!(located.warnings, vec![]);
    assert_eq!(
        (located.lng, located.lat, located.accuracy_m),
        (GATE.0, GATE.1, 8.5)
    );
    assert_eq!(located.fix_age_ms, 1_000);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_stale_fix_is_flagged_with_its_age() {
    assert_eq!(
        assess_one(browser(GATE.0, GATE.1, 10.0, 45_000)),
        vec![LocationWarning::StaleFix { age_ms: 45_000 }]
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_zero_accuracy_is_flagged() {
    assert_eq!(
        assess_one(browser(GATE.0, GATE.1, 0.0, 0)),
        vec![LocationWarning::ZeroAccuracy]
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn the_same_accuracy_three_times_in_a_row_is_flagged() {
    let policy = LocationPolicy::default();
    let reading = browser(GATE.0, GATE.1, 15.0, 0);
    let twice = assess(&[reading], &[20.0, 15.0], None, NOW, &policy).unwrap();
    assert_eq!(twice.warnings, vec![]);
    let thrice = assess(&[reading], &[15.0, 15.0], None, NOW, &policy).unwrap();
    assert_eq!(
        thrice.warnings,
        vec![LocationWarning::RepeatedAccuracy {
            accuracy_m: 15.0,
            count: 3
        }]
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_wechat_gcj02_reading_is_converted_to_wgs84_and_agrees_with_the_browser() {
    let gcj = wgs84_to_gcj02(LngLat::new(GATE.0, GATE.1).unwrap());
    let wechat = LocationReading {
        source: LocationSource::Wechat,
        crs: Crs::Gcj02,
        lng: gcj.lng(),
        lat: gcj.lat(),
        accuracy_m: 5.0,
        fix_time_ms: NOW,
    };
    let located = assess(
        &[browser(GATE.0 + 0.0001, GATE.1, 20.0, 0), wechat],
        &[],
        None,
        NOW,
        &LocationPolicy::default(),
    )
    .unwrap();
    assert_eq!(
        located.source,
        LocationSource::Wechat,
        "the more accurate source is used"
    );
    assert_eq!(located.source_crs, Crs::Gcj02);
    assert!((located.lng - GATE.0).abs() < 1e-7 && (located.lat - GATE.1).abs() < 1e-7);
    assert_eq!(
        located.warnings,
        vec![],
        "about 10 m apart: within their accuracies"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn sources_far_apart_are_flagged() {
    let far_wechat = LocationReading {
        source: LocationSource::Wechat,
        crs: Crs::Wgs84,
        lng: GATE.0 + 0.01, // about 960 m east
        lat: GATE.1,
        accuracy_m: 10.0,
        fix_time_ms: NOW,
    };
    let located = assess(
        &[browser(GATE.0, GATE.1, 15.0, 0), far_wechat],
        &[],
        None,
        NOW,
        &LocationPolicy::default(),
    )
    .unwrap();
    let [LocationWarning::SourcesDisagree { distance_m }] = located.warnings[..] else {
        panic!("{:?}", located.warnings);
    };
    assert!((900.0..1000.0).contains(&distance_m), "{distance_m}");
}

#[wasm_bindgen_test(unsupported = test)]
fn an_impossible_speed_since_the_last_record_is_flagged_but_walking_is_not() {
    let policy = LocationPolicy::default();
    let reading = browser(GATE.0, GATE.1, 10.0, 0);
    // Shanghai, 10 minutes ago: about 165 km.
    let shanghai = LastPlace {
        lng: 121.4737,
        lat: 31.2304,
        time_ms: NOW - 600_000,
    };
    let located = assess(&[reading], &[], Some(&shanghai), NOW, &policy).unwrap();
    let [LocationWarning::ImpossibleSpeed {
        speed_mps,
        distance_m,
    }] = located.warnings[..]
    else {
        panic!("{:?}", located.warnings);
    };
    assert!(
        speed_mps > 200.0 && distance_m > 150_000.0,
        "{speed_mps} {distance_m}"
    );
    // 500 m away, 10 minutes ago: a walk.
    let nearby = LastPlace {
        lng: GATE.0 + 0.0052,
        lat: GATE.1,
        time_ms: NOW - 600_000,
    };
    assert_eq!(
        assess(&[reading], &[], Some(&nearby), NOW, &policy)
            .unwrap()
            .warnings,
        vec![]
    );
    // A few metres of jitter a second later is within the accuracy: not travel.
    let jitter = LastPlace {
        lng: GATE.0 + 0.0001,
        lat: GATE.1,
        time_ms: NOW - 1_000,
    };
    assert_eq!(
        assess(&[reading], &[], Some(&jitter), NOW, &policy)
            .unwrap()
            .warnings,
        vec![]
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn no_reading_or_a_broken_one_is_a_clear_error() {
    let policy = LocationPolicy::default();
    assert_eq!(
        assess(&[], &[], None, NOW, &policy),
        Err(LocationError::NoReading)
    );
    let broken = [
        browser(f64::NAN, GATE.1, 10.0, 0),
        browser(GATE.0, 95.0, 10.0, 0),
        browser(GATE.0, GATE.1, -1.0, 0),
        browser(GATE.0, GATE.1, f64::INFINITY, 0),
    ];
    for reading in broken {
        let error = assess(&[reading], &[], None, NOW, &policy).unwrap_err();
        assert!(
            matches!(error, LocationError::Invalid(_)),
            "{reading:?}: {error:?}"
        );
        assert!(error.to_string().contains("定位数据无效"));
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn the_fence_policy_decides_an_uncertain_verdict() {
    let check = |verdict| Check {
        verdict,
        distance_m: 4.0,
    };
    let accepted = decide_fence(&check(Verdict::Inside), 3, UncertainPolicy::Reject);
    assert_eq!(
        accepted,
        FenceDecision::Accept(FenceEvidence {
            version: 3,
            verdict: Verdict::Inside,
            distance_m: 4.0,
            flagged: false
        })
    );
    let flagged = decide_fence(&check(Verdict::Uncertain), 3, UncertainPolicy::Flag);
    assert!(matches!(
        flagged,
        FenceDecision::Accept(FenceEvidence { flagged: true, .. })
    ));
    for (verdict, policy) in [
        (Verdict::Uncertain, UncertainPolicy::Reject),
        (Verdict::Outside, UncertainPolicy::Reject),
        (Verdict::Outside, UncertainPolicy::Flag),
    ] {
        let FenceDecision::Refuse {
            verdict: refused,
            message,
        } = decide_fence(&check(verdict), 3, policy)
        else {
            panic!("{verdict:?} under {policy:?} must be refused");
        };
        assert_eq!(refused, verdict);
        assert!(message.contains("打卡"), "says what to do: {message}");
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn an_out_of_fence_request_is_offered_exactly_where_the_fence_refuses_the_fix() {
    let check = |verdict| Check {
        verdict,
        distance_m: 40.0,
    };
    for (verdict, policy, offered) in [
        (Verdict::Outside, UncertainPolicy::Reject, true),
        (Verdict::Outside, UncertainPolicy::Flag, true),
        (Verdict::Uncertain, UncertainPolicy::Reject, true),
        (Verdict::Uncertain, UncertainPolicy::Flag, false),
        (Verdict::Inside, UncertainPolicy::Reject, false),
        (Verdict::Inside, UncertainPolicy::Flag, false),
    ] {
        assert_eq!(
            decide_fence(&check(verdict), 1, policy).may_request(),
            offered,
            "{verdict:?} under {policy:?}"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn the_param_carries_the_out_of_fence_request_only_when_there_is_one() {
    let ordinary = draft(3, NOW).param_text("/9j/".into());
    assert!(
        !ordinary.contains("outOfFence"),
        "no member for an ordinary clock-in: {ordinary}"
    );
    let mut request = draft(4, NOW);
    request.out_of_fence = Some(OutOfFence {
        reason: OutOfFenceReason::SecondArea,
        note: "北区钢筋棚".into(),
    });
    let value: Value = serde_json::from_str(&request.param_text("/9j/".into())).unwrap();
    assert_eq!(
        value["outOfFence"],
        json!({"reason": "second_area", "note": "北区钢筋棚"})
    );
    assert_eq!(value["recordId"], json!(request.record_id));
    let stored = serde_json::to_string(&request).unwrap();
    assert_eq!(
        serde_json::from_str::<zj_phone::record::SignInDraft>(&stored).unwrap(),
        request,
        "the request survives the store"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn the_clock_offset_takes_the_relay_stamp_as_the_midpoint_of_the_round_trip() {
    // Sent at 1000, answered at 1200 (device clock); the relay stamped 61_100.
    let offset = ClockOffset::from_exchange(1_000, 61_100, 1_200);
    assert_eq!(
        (offset.offset_ms, offset.uncertainty_ms, offset.learnt_at_ms),
        (60_000, 100, 1_200)
    );
    assert_eq!(offset.corrected(5_000), 65_000);
    assert_eq!(corrected_time(Some(&offset), 5_000), 65_000);
    assert_eq!(corrected_time(None, 5_000), 5_000);
    // A clock that went backwards mid-exchange cannot make a negative round trip.
    let backwards = ClockOffset::from_exchange(1_000, 2_000, 900);
    assert_eq!((backwards.offset_ms, backwards.uncertainty_ms), (1_000, 0));
}

#[wasm_bindgen_test(unsupported = test)]
fn record_ids_are_version_4_uuids() {
    let id = record_id_from_random([0xFF; 16]);
    assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    let id = record_id_from_random([0; 16]);
    assert_eq!(id, "00000000-0000-4000-8000-000000000000");
    assert_ne!(
        record_id_from_random([1; 16]),
        record_id_from_random([2; 16])
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn the_param_has_the_section_7_members_and_the_evidence_beside_them() {
    let mut record = draft(7, NOW);
    record.fence = Some(FenceEvidence {
        version: 2,
        verdict: Verdict::Inside,
        distance_m: 31.5,
        flagged: false,
    });
    record.liveness = Some(json!({"nonce": "ab12", "checks": [{"kind": "blink", "score": 0.9}]}));
    record.fallback_capture = true;
    let text = record.param_text("/9j/4AAQ".into());

    let param: SignInParam = serde_json::from_str(&text).unwrap();
    assert_eq!(param.person_id, record.person_id);
    assert_eq!(param.kind, json!("64"));
    assert_eq!(param.record_time, NOW);
    assert_eq!(param.img.as_deref(), Some("/9j/4AAQ"));
    let coordinate = param.coordinate.unwrap();
    assert_eq!(
        (coordinate.longitude, coordinate.latitude),
        (GATE.0, GATE.1)
    );
    param.check_dictionaries().unwrap();

    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["recordId"], json!(record.record_id));
    assert_eq!(value["fence"]["verdict"], json!("inside"));
    assert_eq!(value["fence"]["distanceM"], json!(31.5));
    assert_eq!(value["liveness"]["nonce"], json!("ab12"));
    assert_eq!(value["location"]["source"], json!("browser"));
    assert_eq!(value["location"]["accuracyM"], json!(12.0));
    assert_eq!(value["clock"]["offsetMs"], json!(1500));
    assert_eq!(value["fallbackCapture"], json!(true));
    assert!(!text.contains(' '), "compact JSON, as §4 signs it: {text}");
}

#[wasm_bindgen_test(unsupported = test)]
fn a_draft_survives_its_round_trip_through_the_store() {
    let record = draft(9, NOW);
    let stored = serde_json::to_string(&record).unwrap();
    assert_eq!(
        serde_json::from_str::<zj_phone::record::SignInDraft>(&stored).unwrap(),
        record
    );
}

fn refusal(code: ErrorCode) -> ProtocolError {
    ProtocolError::from(code)
}

#[wasm_bindgen_test(unsupported = test)]
fn each_answer_has_its_disposition() {
    assert_eq!(dispose(Ok("{}")), Disposition::Settle(Settled::Delivered));
    assert_eq!(
        dispose(Ok(r#"{"pending":true}"#)),
        Disposition::Settle(Settled::Requested),
        "kept by the relay as an out-of-fence request"
    );
    for delivered in [
        r#"{"pending":false,"state":"approved"}"#,
        r#"{"pending":"true"}"#,
        "not JSON",
    ] {
        assert_eq!(
            dispose(Ok(delivered)),
            Disposition::Settle(Settled::Delivered),
            "{delivered}"
        );
    }
    assert_eq!(
        dispose(Err(&refusal(ErrorCode::TokenUnknown))),
        Disposition::Reauthenticate
    );
    assert_eq!(
        dispose(Err(&refusal(ErrorCode::TimestampWindow))),
        Disposition::Resynchronise
    );
    for code in [ErrorCode::CredentialsRevoked, ErrorCode::SignMismatch] {
        let Disposition::Halt { reason } = dispose(Err(&refusal(code))) else {
            panic!("{code} halts");
        };
        assert!(
            reason.contains("重新登记") && reason.contains(code.as_str()),
            "{reason}"
        );
    }
    for code in [
        ErrorCode::ParamUnparsable,
        ErrorCode::AttendanceTypeInvalid,
        ErrorCode::BitTypeInvalid,
        ErrorCode::QrCodeTypeInvalid,
    ] {
        let Disposition::Settle(Settled::Failed { reason }) = dispose(Err(&refusal(code))) else {
            panic!("{code} fails the record");
        };
        assert!(reason.contains(code.as_str()), "{reason}");
    }
    let Disposition::Settle(Settled::Retry { reason }) =
        dispose(Err(&refusal(ErrorCode::SystemError)))
    else {
        panic!("500_01 is retried");
    };
    assert!(reason.contains("自动重试"));
    let unknown = ProtocolError {
        errorcode: "599_99".into(),
        errormsg: "new".into(),
    };
    assert!(matches!(
        dispose(Err(&unknown)),
        Disposition::Settle(Settled::Retry { .. })
    ));
    let Disposition::Settle(Settled::Retry { reason }) = dispose_link_failure("timeout") else {
        panic!("a link failure is retried");
    };
    assert!(reason.contains("已保存") && reason.contains("timeout"));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_heartbeat_asks_for_the_requests_again_once_per_decision() {
    let mut watch = RequestsWatch::default();
    assert!(!watch.announced(None), "nothing decided, nothing to fetch");
    assert!(watch.announced(Some(NOW)), "a first decision");
    assert!(!watch.announced(Some(NOW)), "told once");
    watch.fetched(Some(NOW + 5));
    assert!(
        !watch.announced(Some(NOW + 5)),
        "the list fetched is current"
    );
    assert!(watch.announced(Some(NOW + 9)), "a later decision");
    let mut fresh = RequestsWatch::default();
    fresh.fetched(None);
    assert!(fresh.announced(Some(NOW)));
}
