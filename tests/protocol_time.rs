//! `timeStamp` formatting and parsing in Beijing time (pure core; also runs as wasm).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use zj_attendance::protocol::time::{format_timestamp, parse_timestamp};

/// 2021-03-27T19:16:08Z, which is 2021-03-28 03:16:08 in Beijing: the seed's example.
const SEED_EXAMPLE_MS: i64 = 1_616_872_568_000;

#[test]
fn formats_in_beijing_time_whatever_the_host_zone() {
    assert_eq!(
        format_timestamp(SEED_EXAMPLE_MS).as_deref(),
        Some("20210328031608")
    );
}

#[test]
fn truncates_milliseconds() {
    assert_eq!(
        format_timestamp(SEED_EXAMPLE_MS + 999).as_deref(),
        Some("20210328031608")
    );
}

#[test]
fn parses_back_to_the_same_instant() {
    assert_eq!(parse_timestamp("20210328031608"), Some(SEED_EXAMPLE_MS));
}

#[test]
fn crosses_the_date_line_at_16_utc() {
    // 2024-02-29T16:00:00Z is 2024-03-01 00:00:00 in Beijing (a leap day boundary).
    let ms = 1_709_222_400_000;
    assert_eq!(format_timestamp(ms).as_deref(), Some("20240301000000"));
    assert_eq!(parse_timestamp("20240301000000"), Some(ms));
}

#[test]
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

#[test]
fn out_of_range_instants_do_not_panic() {
    assert_eq!(format_timestamp(i64::MAX), None);
    assert_eq!(format_timestamp(i64::MIN), None);
}
