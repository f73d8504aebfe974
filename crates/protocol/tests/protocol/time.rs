//! `timeStamp` formatting and parsing in Beijing time (pure core; also runs as wasm).

use wasm_bindgen_test::wasm_bindgen_test;

use zj_protocol::time::{format_timestamp, parse_timestamp};

/// 2021-03-27T19:16:08Z, which is 2021-03-28 03:16:08 in Beijing: the seed's example.
const SEED_EXAMPLE_MS: i64 = 1_616_872_568_000;

#[wasm_bindgen_test(unsupported = test)]
fn formats_in_beijing_time_whatever_the_host_zone() {
    assert_eq!(
        format_timestamp(SEED_EXAMPLE_MS).as_deref(),
        Some("20210328031608")
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn truncates_milliseconds() {
    assert_eq!(
        format_timestamp(SEED_EXAMPLE_MS + 999).as_deref(),
        Some("20210328031608")
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn parses_back_to_the_same_instant() {
    assert_eq!(parse_timestamp("20210328031608"), Some(SEED_EXAMPLE_MS));
}

#[wasm_bindgen_test(unsupported = test)]
fn crosses_the_date_line_at_16_utc() {
    // 2024-02-29T16:00:00Z is 2024-03-01 00:00:00 in Beijing (a leap day boundary).
    let ms = 1_709_222_400_000;
    assert_eq!(format_timestamp(ms).as_deref(), Some("20240301000000"));
    assert_eq!(parse_timestamp("20240301000000"), Some(ms));
}

#[wasm_bindgen_test(unsupported = test)]
fn refuses_wrong_shapes() {
    for bad in [
        "",
        "2021032803160",
        "202103280316080",
        "2021-03-28 03:16",
        "20210328 31608",
        "+0210328031608",
        "２0210328031608",
        "20211328031608",
        "20210230031608",
        "20210328241608",
        "20210328036008",
        "20210328031660",
    ] {
        assert_eq!(parse_timestamp(bad), None, "{bad:?} must be refused");
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn out_of_range_instants_do_not_panic() {
    assert_eq!(format_timestamp(i64::MAX), None);
    assert_eq!(format_timestamp(i64::MIN), None);
}

#[wasm_bindgen_test(unsupported = test)]
fn leap_days_follow_the_gregorian_rules() {
    for (text, valid) in [
        ("20240229120000", true),
        ("20000229120000", true),
        ("21000229120000", false),
        ("20230229120000", false),
        ("20240431120000", false),
        ("20241231235959", true),
    ] {
        assert_eq!(parse_timestamp(text).is_some(), valid, "{text}");
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn every_day_of_four_centuries_round_trips() {
    // Noon Beijing time on each day from 1900 to 2300, walking one day at a time: format then
    // parse gives the instant back, and consecutive days format as consecutive dates.
    let day_ms = 86_400_000;
    let start = parse_timestamp("19000101120000").unwrap();
    let mut previous = String::new();
    for day in 0..146_097 {
        let ms = start + day * day_ms;
        let text = format_timestamp(ms).unwrap();
        assert_eq!(parse_timestamp(&text), Some(ms), "{text}");
        assert!(text > previous, "{text} after {previous}");
        assert!(text.ends_with("120000"));
        previous = text;
    }
    assert_eq!(previous, "22991231120000");
}

#[wasm_bindgen_test(unsupported = test)]
fn instants_before_1970_and_at_the_ends_of_the_range() {
    assert_eq!(format_timestamp(-1).as_deref(), Some("19700101075959"));
    assert_eq!(parse_timestamp("19700101080000"), Some(0));
    assert_eq!(
        format_timestamp(-62_167_248_000_000).as_deref(),
        Some("00000101000000")
    );
    assert_eq!(parse_timestamp("99991231235959"), Some(253_402_271_999_000));
    assert_eq!(format_timestamp(253_402_272_000_000), None, "year 10000");
}
