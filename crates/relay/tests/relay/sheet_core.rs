//! The day sheet's pure core, natively: Beijing attendance days and their start hour, a
//! punch's flags from its evidence and state, the sheet (absent persons, several punches,
//! persons not on the roster, filters), the punch list, the query's refusals and the CSV
//! writer's quoting.

use std::collections::HashMap;

use serde_json::{json, Value};
use zj_protocol::time::parse_timestamp;
use zj_relay::sheet::export::{to_csv, Cell, Table};
use zj_relay::sheet::{
    build_sheet, parse_query, AttendanceDays, Date, DayRange, Flag, Listing, Person, Punch,
    PunchFacts, PunchRow, PunchState, RequestRef, SheetQuery,
};

/// Epoch ms of a Beijing `yyyyMMddHHmmss`.
fn at(stamp: &str) -> i64 {
    parse_timestamp(stamp).unwrap()
}

/// Extras of a phone record with nothing to flag.
fn clean_extras() -> Value {
    json!({
        "location": {"lng": 120.211, "lat": 30.209, "accuracyM": 12.0, "warnings": []},
        "relayFence": {"version": 1, "verdict": "inside", "distanceM": 40.0, "mismatch": false},
        "liveness": {"overall": "live", "lowerTrust": false, "nonceSource": "relay"},
        "nonceVerified": true,
    })
}

/// A record of `person` made at `made`, received 5 s later, accepted (`done`).
fn row(person: &str, id: &str, made: i64) -> PunchRow {
    row_with(person, id, made, made + 5_000, clean_extras(), "done")
}

fn row_with(
    person: &str,
    id: &str,
    made: i64,
    received: i64,
    extras: Value,
    state: &str,
) -> PunchRow {
    PunchRow {
        access_id: "phone-1".into(),
        record_id: id.into(),
        person_id: person.into(),
        record_time: made,
        received_ms: received,
        facts: PunchFacts::of_extras(extras.as_object().unwrap()),
        ledger_state: Some(state.into()),
        ledger_updated_ms: Some(received + 100),
        request: None,
    }
}

fn roster() -> Vec<Person> {
    [("W1", "张三"), ("W2", "李四"), ("W3", "王五")]
        .map(|(id, name)| Person {
            person_id: id.into(),
            name: name.into(),
        })
        .to_vec()
}

fn names() -> HashMap<String, String> {
    let mut names: HashMap<String, String> = roster()
        .into_iter()
        .map(|p| (p.person_id, p.name))
        .collect();
    names.insert("W9".into(), "赵六".into());
    names
}

fn one_day(date: &str) -> SheetQuery {
    let day = Date::parse(date).unwrap();
    SheetQuery {
        range: DayRange::new(day, day).unwrap(),
        flagged: false,
        absent: false,
        person: None,
    }
}

fn flags_of(row: PunchRow) -> Vec<Flag> {
    Punch::new(row).flags.flags()
}

#[test]
fn dates_parse_strictly_and_print_back() {
    let date = Date::parse("2026-12-03").unwrap();
    assert_eq!(date.to_string(), "2026-12-03");
    assert_eq!(date.plus(29).to_string(), "2027-01-01");
    for bad in [
        "2026-2-03",
        "2026-02-30",
        "2026/12/03",
        "20261203",
        "2026-12-03x",
        "",
        "二〇二六-12-03",
    ] {
        assert_eq!(Date::parse(bad), None, "{bad}");
    }
    assert!(Date::parse("2028-02-29").is_some(), "a leap day");
}

#[test]
fn a_day_starts_at_midnight_beijing_time_not_utc() {
    let days = AttendanceDays::BEIJING_MIDNIGHT;
    let dec3 = Date::parse("2026-12-03").unwrap();
    // 00:00 +08:00 is 16:00 UTC the day before.
    assert_eq!(days.start_ms(dec3), at("20261203000000"));
    assert_eq!(days.day_of(at("20261203000000")), dec3);
    assert_eq!(days.day_of(at("20261202235959")), dec3.plus(-1));
    assert_eq!(days.day_of(at("20261203235959")), dec3);
}

#[test]
fn a_start_hour_moves_the_boundary_for_a_night_shift() {
    let days = AttendanceDays::new(6).unwrap();
    let dec3 = Date::parse("2026-12-03").unwrap();
    assert_eq!(days.start_ms(dec3), at("20261203060000"));
    // A shift from 20:00 on the 3rd to 05:59 on the 4th is all the 3rd's.
    assert_eq!(days.day_of(at("20261203200000")), dec3);
    assert_eq!(days.day_of(at("20261204055959")), dec3);
    assert_eq!(days.day_of(at("20261204060000")), dec3.plus(1));
    assert_eq!(days.day_of(at("20261203055959")), dec3.plus(-1));
    assert!(AttendanceDays::new(23).is_ok());
    assert!(AttendanceDays::new(24).is_err());
    assert!(AttendanceDays::new(-1).is_err());
}

#[test]
fn the_sheet_lists_absent_persons_and_folds_several_punches() {
    let punches: Vec<Punch> = [
        row("W1", "a", at("20261203073000")),
        row("W1", "b", at("20261203120500")),
        row("W1", "c", at("20261203174500")),
        row("W2", "d", at("20261203080000")),
    ]
    .into_iter()
    .map(Punch::new)
    .collect();
    let sheet = build_sheet(
        "site-1",
        AttendanceDays::BEIJING_MIDNIGHT,
        &roster(),
        &names(),
        &punches,
        &one_day("2026-12-03"),
    );
    assert_eq!(sheet.days.len(), 1);
    let day = &sheet.days[0];
    assert_eq!(
        (day.date.as_str(), day.present, day.absent),
        ("2026-12-03", 2, 1)
    );
    let w1 = &day.rows[0];
    assert_eq!(
        (w1.person_id.as_str(), w1.punches, w1.absent),
        ("W1", 3, false)
    );
    assert_eq!(w1.first_ms, Some(at("20261203073000")));
    assert_eq!(w1.last_ms, Some(at("20261203174500")));
    assert!(w1.flags.is_empty(), "{:?}", w1.flags);
    let w3 = &day.rows[2];
    assert_eq!(
        (w3.name.as_str(), w3.absent, w3.punches, w3.first_ms),
        ("王五", true, 0, None)
    );
}

#[test]
fn a_person_not_on_the_roster_is_listed_apart() {
    let punches = vec![Punch::new(row("W9", "x", at("20261203090000")))];
    let sheet = build_sheet(
        "site-1",
        AttendanceDays::BEIJING_MIDNIGHT,
        &roster(),
        &names(),
        &punches,
        &one_day("2026-12-03"),
    );
    let day = &sheet.days[0];
    let last = day.rows.last().unwrap();
    assert_eq!(
        (last.person_id.as_str(), last.name.as_str(), last.on_roster),
        ("W9", "赵六", false)
    );
    assert_eq!((day.present, day.absent, day.rows.len()), (1, 3, 4));
}

#[test]
fn refused_records_and_rejected_requests_are_not_punches() {
    let mut rejected = row("W2", "r", at("20261203090000"));
    rejected.ledger_state = Some("retry".into());
    rejected.request = Some(RequestRef::new(
        7,
        "rejected".into(),
        "errand".into(),
        "买材料".into(),
    ));
    let punches: Vec<Punch> = [
        row_with(
            "W1",
            "f",
            at("20261203090000"),
            at("20261203090001"),
            clean_extras(),
            "refused",
        ),
        rejected,
    ]
    .into_iter()
    .map(Punch::new)
    .collect();
    assert_eq!(punches[0].state, PunchState::Refused);
    assert_eq!(punches[1].state, PunchState::Rejected);
    let sheet = build_sheet(
        "site-1",
        AttendanceDays::BEIJING_MIDNIGHT,
        &roster(),
        &names(),
        &punches,
        &one_day("2026-12-03"),
    );
    assert_eq!((sheet.days[0].present, sheet.days[0].absent), (0, 3));
    let query = one_day("2026-12-03");
    let listed =
        zj_relay::sheet::punch_list(AttendanceDays::BEIJING_MIDNIGHT, &names(), &punches, &query);
    assert_eq!(listed.len(), 2, "the punch list keeps them");
}

#[test]
fn saved_at_2359_and_delivered_at_0005_falls_on_the_earlier_day_flagged_late() {
    let made = at("20261203235900");
    let late = row_with(
        "W1",
        "late",
        made,
        at("20261204000500"),
        clean_extras(),
        "done",
    );
    let punches = vec![Punch::new(late)];
    assert!(punches[0].flags.is_empty(), "6 minutes after is not late");
    let days = AttendanceDays::BEIJING_MIDNIGHT;
    let dec3 = build_sheet(
        "site-1",
        days,
        &roster(),
        &names(),
        &punches,
        &one_day("2026-12-03"),
    );
    assert_eq!(dec3.days[0].rows[0].punches, 1, "the day it was made");
    let dec4 = build_sheet(
        "site-1",
        days,
        &roster(),
        &names(),
        &punches,
        &one_day("2026-12-04"),
    );
    assert_eq!(dec4.days[0].rows[0].punches, 0);
    // Late only past 10 minutes.
    let made = at("20261203235900");
    let on_time = row_with("W1", "t", made, made + 10 * 60_000, clean_extras(), "done");
    assert!(Punch::new(on_time).flags.is_empty());
    let late = row_with(
        "W1",
        "l",
        made,
        made + 10 * 60_000 + 1,
        clean_extras(),
        "done",
    );
    assert_eq!(flags_of(late), [Flag::DeliveredLate]);
}

#[test]
fn each_evidence_flag_comes_from_its_member() {
    let made = at("20261203080000");
    let with = |change: &dyn Fn(&mut Value)| {
        let mut extras = clean_extras();
        change(&mut extras);
        flags_of(row_with("W1", "e", made, made + 1000, extras, "done"))
    };
    assert_eq!(with(&|_| {}), []);
    assert_eq!(
        with(&|e| e["relayFence"]["verdict"] = json!("uncertain")),
        [Flag::FenceUncertain]
    );
    assert_eq!(
        with(&|e| e["relayFence"]["mismatch"] = json!(true)),
        [Flag::FenceMismatch]
    );
    assert_eq!(
        with(&|e| e["fallbackCapture"] = json!(true)),
        [Flag::LowTrustCapture]
    );
    assert_eq!(
        with(&|e| e["liveness"]["lowerTrust"] = json!(true)),
        [Flag::LowTrustCapture]
    );
    assert_eq!(
        with(&|e| e["liveness"]["overall"] = json!("inconclusive")),
        [Flag::LivenessInconclusive]
    );
    assert_eq!(
        with(&|e| e["liveness"]["overall"] = json!("notLive")),
        [Flag::LivenessFailed]
    );
    assert_eq!(
        with(&|e| {
            e.as_object_mut().unwrap().remove("liveness");
            e["livenessMalformed"] = json!("活体证据格式不符");
        }),
        [Flag::LivenessInconclusive]
    );
    assert_eq!(
        with(&|e| e["location"]["warnings"] = json!([{"kind": "zeroAccuracy"}])),
        [Flag::LocationWarnings]
    );
    assert_eq!(
        with(&|e| e["nonceVerified"] = json!(false)),
        [Flag::NonceUnverified]
    );
    // A local nonce has no nonceVerified: nothing to flag.
    assert_eq!(
        with(&|e| {
            e.as_object_mut().unwrap().remove("nonceVerified");
        }),
        []
    );
    // An MR860 record has no liveness evidence and is not flagged for it.
    let mr860 = json!({"source": "mr860", "mode": "0"});
    assert_eq!(
        flags_of(row_with("W1", "m", made, made + 1000, mr860, "done")),
        []
    );
    let facts = PunchFacts::of_extras(json!({"source": "mr860"}).as_object().unwrap());
    assert_eq!(facts.source, zj_relay::sheet::Source::Mr860);
}

#[test]
fn state_flags_come_from_the_ledger_and_the_request() {
    let made = at("20261203080000");
    let state = |ledger: &str, request: Option<&str>| {
        let mut row = row_with("W1", "s", made, made + 1000, clean_extras(), ledger);
        row.request =
            request.map(|s| RequestRef::new(1, s.into(), "supplier".into(), String::new()));
        let punch = Punch::new(row);
        (punch.state, punch.flags.flags())
    };
    assert_eq!(
        state("sending", None),
        (PunchState::Sending, vec![Flag::NotAtPlatform])
    );
    assert_eq!(
        state("retry", None),
        (PunchState::Retry, vec![Flag::NotAtPlatform])
    );
    assert_eq!(
        state("retry", Some("pending")),
        (PunchState::Pending, vec![Flag::RequestPending])
    );
    assert_eq!(
        state("retry", Some("approved")),
        (
            PunchState::Approved,
            vec![Flag::OutsideApproved, Flag::NotAtPlatform]
        )
    );
    assert_eq!(
        state("done", Some("approved")),
        (PunchState::Done, vec![Flag::OutsideApproved])
    );
    assert!(PunchState::Pending.counts() && PunchState::Approved.counts());
    let request = RequestRef::new(1, "pending".into(), "second_area".into(), String::new());
    assert_eq!(request.reason_label, "第二作业区");
}

#[test]
fn filters_keep_flagged_or_absent_rows_of_the_person_asked_for() {
    let mut extras = clean_extras();
    extras["nonceVerified"] = json!(false);
    let made = at("20261203080000");
    let punches: Vec<Punch> = [
        row("W1", "a", made),
        row_with("W2", "b", made, made + 1000, extras, "done"),
    ]
    .into_iter()
    .map(Punch::new)
    .collect();
    let sheet_of = |query: &SheetQuery| {
        let sheet = build_sheet(
            "site-1",
            AttendanceDays::BEIJING_MIDNIGHT,
            &roster(),
            &names(),
            &punches,
            query,
        );
        let ids: Vec<String> = sheet.days[0]
            .rows
            .iter()
            .map(|r| r.person_id.clone())
            .collect();
        ids
    };
    let mut query = one_day("2026-12-03");
    query.flagged = true;
    assert_eq!(sheet_of(&query), ["W2"]);
    query.absent = true;
    assert_eq!(sheet_of(&query), ["W2", "W3"]);
    query.flagged = false;
    assert_eq!(sheet_of(&query), ["W3"]);
    let mut query = one_day("2026-12-03");
    query.person = Some("李".into());
    assert_eq!(sheet_of(&query), ["W2"]);
    query.person = Some("W1".into());
    assert_eq!(sheet_of(&query), ["W1"]);
}

#[test]
fn queries_are_checked() {
    let days = AttendanceDays::new(6).unwrap();
    let params = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let code = |pairs: &[(&str, &str)]| {
        parse_query(&params(pairs), Listing::Sheet, days, at("20261203120000")).map_err(|e| e.code)
    };
    let today = parse_query(&params(&[]), Listing::Sheet, days, at("20261204050000")).unwrap();
    assert_eq!(
        today.range.from.to_string(),
        "2026-12-03",
        "before 06:00 is still the 3rd"
    );
    assert_eq!(today.range.to, today.range.from);
    assert!(
        code(&[("from", "2026-12-01"), ("to", "2026-12-31")]).is_ok(),
        "31 days"
    );
    assert_eq!(
        code(&[("from", "2026-12-01"), ("to", "2027-01-01")]),
        Err("range_too_long")
    );
    assert_eq!(
        code(&[("from", "2026-12-05"), ("to", "2026-12-01")]),
        Err("bad_range")
    );
    assert_eq!(code(&[("from", "2026-13-01")]), Err("bad_date"));
    assert_eq!(code(&[("flagged", "yes")]), Err("bad_query"));
    assert_eq!(code(&[("sort", "name")]), Err("bad_query"));
    assert_eq!(code(&[("person", &"张".repeat(65))]), Err("bad_query"));
    let punches = parse_query(&params(&[("absent", "1")]), Listing::Punches, days, 0);
    assert_eq!(
        punches.map_err(|e| e.code),
        Err("bad_query"),
        "the list has no absent"
    );
    let error = code(&[("from", "2026-12-01"), ("to", "2027-02-01")]);
    assert_eq!(error, Err("range_too_long"));
    let message = parse_query(&params(&[("from", "x")]), Listing::Sheet, days, 0)
        .unwrap_err()
        .message;
    assert!(message.contains("YYYY-MM-DD"), "{message}");
}

#[test]
fn csv_quotes_fields_and_defuses_formulas() {
    let table = Table {
        headers: &["甲", "乙"],
        rows: vec![
            vec![
                Cell::Text("=HYPERLINK(\"x\")".into()),
                Cell::Text("a,b".into()),
            ],
            vec![Cell::Text("+1".into()), Cell::Text("-2".into())],
            vec![
                Cell::Text("@SUM(A1)".into()),
                Cell::Text("line\nbreak".into()),
            ],
            vec![Cell::Number(3.5), Cell::Empty],
        ],
    };
    let text = String::from_utf8(to_csv(&table)).unwrap();
    assert_eq!(
        text,
        "\u{feff}甲,乙\r\n\"'=HYPERLINK(\"\"x\"\")\",\"a,b\"\r\n\"'+1\",\"'-2\"\r\n\"'@SUM(A1)\",\"line\nbreak\"\r\n3.5,\r\n"
    );
}
