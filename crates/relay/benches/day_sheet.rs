//! The day sheet at a large site, natively through the functions the HTTP handlers call
//! (`zj_relay::sheet::load`, the sheet and list builders, the CSV and XLSX writers):
//! `cargo bench -p zj-relay --bench day_sheet`.
//!
//! The store (a temporary directory) is filled once, in one transaction: a site of 2,000
//! workers and 30 days (November 2026) of two punches a worker a day, 120,000 records with
//! the extras a phone sends (location with its warnings, the phone's and the relay's fence
//! finding, liveness evidence with two 5 KB frames, the clock, `nonceVerified`), their ledger
//! rows and their sheet facts (as admission writes them).
//!
//! - `one day sheet (json)`: one day's sheet, as `GET …/sheet?from=` serialises it.
//! - `30-day sheet.csv`, `30-day punches.csv`, `30-day sheet.xlsx`, `30-day punches.xlsx`.
//!
//! Aims: one day under 200 ms, each 30-day export under 2 s. Also printed once: reading the
//! same 30 days from the audit rows' extras instead of the facts (what a sheet would cost
//! without them).

use std::collections::HashMap;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};
use zj_protocol::time::parse_timestamp;
use zj_relay::args;
use zj_relay::sheet::export::{punch_table, sheet_table, to_csv, to_xlsx};
use zj_relay::sheet::{load, Listing, PunchFacts, SiteRecords};
use zj_relay::Store;

/// Workers on the site.
const WORKERS: usize = 2_000;
/// Days of punches.
const DAYS: i64 = 30;
/// The site's platform sn.
const SN: &str = "BENCH-SN";
/// One day, milliseconds.
const DAY_MS: i64 = 86_400_000;

/// Liveness evidence as the phone sends it: the challenge, scores, two 5 KB frames, hashes.
fn liveness(i: usize) -> Value {
    let frame = |n: usize| {
        json!({"tMs": 400.0 * n as f64, "width": 160, "height": 120,
               "jpeg": format!("/9j/{}", "A".repeat(5_000 + (i + n) % 97))})
    };
    json!({
        "version": 1, "nonce": format!("{i:032x}"), "nonceSource": "relay",
        "steps": ["blink", "turnLeft"],
        "overall": if i.is_multiple_of(50) { "inconclusive" } else { "live" },
        "checks": [{"kind": "blink", "method": "eyeAspect", "outcome": "passed", "score": 0.82},
                   {"kind": "turnLeft", "method": "yaw", "outcome": "passed", "score": 0.77}],
        "capture": "camera", "lowerTrust": false,
        "photoSha256": "9f".repeat(32),
        "frames": [frame(0), frame(1)],
        "hash": "ab".repeat(32),
    })
}

/// The extras of record `i` at `[lng, lat]`.
fn extras(i: usize, made: i64) -> Value {
    let (lng, lat) = (120.211 + (i % 100) as f64 * 1e-5, 30.209);
    let uncertain = i.is_multiple_of(40);
    let warnings = if i.is_multiple_of(33) {
        json!([{"kind": "staleFix", "ageMs": 45_000}])
    } else {
        json!([])
    };
    let verdict = if uncertain { "uncertain" } else { "inside" };
    json!({
        "location": {"source": "browser", "sourceCrs": "wgs84", "lng": lng, "lat": lat,
                     "accuracyM": 12.0, "fixAgeMs": 900, "warnings": warnings},
        "fence": {"version": 1, "verdict": verdict, "distanceM": 35.5, "flagged": uncertain},
        "relayFence": {"version": 1, "uncertainPolicy": "flag", "verdict": verdict,
                       "distanceM": 35.4, "accuracyM": 12.0, "claimedVerdict": verdict,
                       "claimedVersion": 1, "mismatch": false, "flagged": uncertain,
                       "outOfFence": false, "reason": null},
        "liveness": liveness(i),
        "clock": {"deviceTimeMs": made - 1_200, "offsetMs": 1_200},
        "nonceVerified": true,
    })
}

/// Fills `store`: the site, its roster, 120,000 records with their ledger rows and facts.
async fn fill(store: &Store) {
    store
        .run(|tx| {
            tx.execute(
                "INSERT INTO sites (site_id, name, sn, created_ms) VALUES ('site-1', '大工地', ?1, 0)",
                args![SN],
            )?;
            let person = tx.prepare(
                "INSERT INTO persons (sn, person_id, name, source, updated_ms)
                 VALUES (?1, ?2, ?3, 'platform', 0)",
            );
            for w in 0..WORKERS {
                person.execute(args![SN, format!("P{w:05}"), format!("工人{w}")])?;
            }
            let audit = tx.prepare(
                "INSERT INTO audit (access_id, record_id, phone_sn, platform_sn, person_id,
                     record_time, img_bytes, extras, received_ms, site_id)
                 VALUES (?1, ?2, 'phone', ?3, ?4, ?5, 40000, ?6, ?7, 'site-1')",
            );
            let ledger = tx.prepare(
                "INSERT INTO ledger (access_id, record_id, state, attempts, updated_ms)
                 VALUES (?1, ?2, 'done', 1, ?3)",
            );
            let facts = tx.prepare(
                "INSERT INTO audit_facts (access_id, record_id, site_id, person_id, record_time,
                     received_ms, flags, source, verdict, distance_m, lng, lat, accuracy_m)
                 VALUES (?1, ?2, 'site-1', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            );
            let first_day = parse_timestamp("20261101000000").expect("a date");
            let mut i: usize = 0;
            for day in 0..DAYS {
                for w in 0..WORKERS {
                    for shift_ms in [7 * 3_600_000 + 1_800_000, 17 * 3_600_000 + 1_800_000] {
                        i += 1;
                        let made = first_day + day * DAY_MS + shift_ms + (w as i64 * 997) % 1_800_000;
                        let received = made + if i.is_multiple_of(50) { 3_600_000 } else { 3_000 };
                        let extras = extras(i, made);
                        let fact = PunchFacts::of_extras(extras.as_object().expect("an object"));
                        let (access_id, record_id) = (format!("phone-{}", w / 20), format!("r{i}"));
                        let person_id = format!("P{w:05}");
                        audit.execute(args![access_id, record_id, SN, person_id, made,
                            extras.to_string(), received])?;
                        ledger.execute(args![access_id, record_id, received + 150])?;
                        facts.execute(args![access_id, record_id, person_id, made, received,
                            fact.flags.bits(), fact.source.as_str(), fact.verdict,
                            fact.distance_m, fact.lng, fact.lat, fact.accuracy_m])?;
                    }
                }
            }
            Ok(())
        })
        .await
        .expect("filled");
}

/// The query of `from` to `to` (`YYYY-MM-DD`).
fn query(from: &str, to: &str) -> HashMap<String, String> {
    HashMap::from([("from".into(), from.into()), ("to".into(), to.into())])
}

/// What a sheet costs without the facts: the same 30 days read from the audit rows' extras.
fn time_reading_extras(store: &Store, runtime: &tokio::runtime::Runtime) {
    let started = Instant::now();
    let (rows, flagged) = runtime
        .block_on(store.run(|tx| {
            let statement = tx.prepare(
                "SELECT extras FROM audit WHERE site_id = 'site-1' AND record_time >= ?1
                 AND record_time < ?2",
            );
            let start = parse_timestamp("20261101000000").expect("a date");
            let rows = statement.query_map(args![start, start + DAYS * DAY_MS], |row| {
                Ok(PunchFacts::of_extras_text(&row.get::<String>(0)?))
            })?;
            let (mut count, mut flagged) = (0, 0);
            for facts in rows {
                count += 1;
                flagged += usize::from(!facts?.flags.is_empty());
            }
            Ok((count, flagged))
        }))
        .expect("read");
    println!(
        "30 days read from the audit extras instead of the facts: {rows} records ({flagged} \
         flagged) in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
}

fn day_sheet(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = std::env::temp_dir().join(format!("zj-day-sheet-bench-{}", std::process::id()));
    let (store, _) = Store::open(&dir).expect("a store");
    let started = Instant::now();
    runtime.block_on(fill(&store));
    println!(
        "filled {} records in {:.1} s",
        WORKERS as i64 * DAYS * 2,
        started.elapsed().as_secs_f64()
    );
    time_reading_extras(&store, &runtime);
    let records = |from: &str, to: &str, listing| -> SiteRecords {
        let loaded = load(&store, "site-1", query(from, to), listing, 0);
        runtime.block_on(loaded).expect("loaded")
    };
    let one_day = records("2026-11-15", "2026-11-15", Listing::Sheet);
    assert_eq!(one_day.sheet().days[0].present, WORKERS, "everyone punched");
    let mut group = c.benchmark_group("day sheet");
    group.sample_size(10);
    group.bench_function("one day sheet (json)", |b| {
        b.iter(|| {
            let records = records("2026-11-15", "2026-11-15", Listing::Sheet);
            serde_json::to_vec(&records.sheet()).expect("json")
        })
    });
    group.bench_function("30-day sheet.csv", |b| {
        b.iter(|| {
            to_csv(&sheet_table(
                &records("2026-11-01", "2026-11-30", Listing::Sheet).sheet(),
            ))
        })
    });
    group.bench_function("30-day punches.csv", |b| {
        b.iter(|| {
            let records = records("2026-11-01", "2026-11-30", Listing::Punches);
            to_csv(&punch_table(&records.punch_list(), &records.names))
        })
    });
    group.bench_function("30-day sheet.xlsx", |b| {
        b.iter(|| {
            let sheet = records("2026-11-01", "2026-11-30", Listing::Sheet).sheet();
            to_xlsx(&sheet_table(&sheet), "考勤日报").expect("xlsx")
        })
    });
    group.bench_function("30-day punches.xlsx", |b| {
        b.iter(|| {
            let records = records("2026-11-01", "2026-11-30", Listing::Punches);
            to_xlsx(
                &punch_table(&records.punch_list(), &records.names),
                "打卡明细",
            )
            .expect("xlsx")
        })
    });
    group.finish();
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, day_sheet);
criterion_main!(benches);
