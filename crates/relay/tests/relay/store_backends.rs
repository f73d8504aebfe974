//! The store's two back ends held to the same rules: an operation that fails leaves nothing
//! behind; the schema's versions are applied once, even by stores opening together on one
//! PostgreSQL database; a store URL's password appears in no error.

use zj_host::system_clock::now_ms;
use zj_relay::{args, Store, StoreError, StoreLocation};

use crate::claims::{record, Site, CENTRE};
use crate::relay_common::platform::TaskRelay;
use crate::relay_common::sim_common::SN;
use crate::relay_common::{data_dir, postgres};

/// A new SQLite store and a new PostgreSQL one.
fn both_back_ends(name: &str) -> Vec<StoreLocation> {
    vec![
        StoreLocation::in_data_dir(&data_dir(name)),
        StoreLocation::parse(&postgres::fresh_database()).unwrap(),
    ]
}

async fn sites(store: &Store) -> i64 {
    store
        .run(|tx| tx.query_row("SELECT COUNT(*) FROM sites", args![], |row| row.get(0)))
        .await
        .unwrap()
}

#[tokio::test]
async fn an_operation_that_fails_leaves_nothing_behind_and_the_next_commits() {
    for location in both_back_ends("store-savepoint") {
        let (store, _) = Store::open_at(&location, true).unwrap();
        let failed = store
            .run(|tx| {
                tx.execute(
                    "INSERT INTO sites (site_id, name, sn, created_ms) VALUES ('site-1', 'A', 'SN', 0)",
                    args![],
                )?;
                tx.execute("INSERT INTO no_such_table VALUES (1)", args![])?;
                Ok(())
            })
            .await;
        assert!(failed.is_err(), "{location:?}");
        assert_eq!(
            sites(&store).await,
            0,
            "{location:?}: the first insert is undone"
        );
        store
            .run(|tx| {
                tx.execute(
                    "INSERT INTO sites (site_id, name, sn, created_ms) VALUES ('site-1', 'A', 'SN', 0)",
                    args![],
                )
            })
            .await
            .unwrap();
        assert_eq!(sites(&store).await, 1, "{location:?}");
    }
}

#[tokio::test]
async fn stores_opening_together_on_one_database_apply_each_schema_version_once() {
    let location = StoreLocation::parse(&postgres::fresh_database()).unwrap();
    let openers: Vec<_> = (0..4)
        .map(|_| {
            let location = location.clone();
            std::thread::spawn(move || Store::open_at(&location, false).map(|(store, _)| store))
        })
        .collect();
    let stores: Vec<Store> = (openers.into_iter())
        .map(|opener| opener.join().unwrap().expect("every store opens"))
        .collect();
    let versions: Vec<i64> = stores[0]
        .run(|tx| {
            tx.prepare("SELECT version FROM schema_versions ORDER BY version")
                .query_map(args![], |row| row.get(0))?
                .collect()
        })
        .await
        .unwrap();
    assert_eq!(versions, [1, 2]);
}

#[tokio::test]
async fn statements_prepared_before_another_relay_changed_the_schema_are_prepared_again() {
    let url = postgres::fresh_database();
    let (store, _) = Store::open_at(&StoreLocation::parse(&url).unwrap(), false).unwrap();
    let read = || {
        store.run(|tx| {
            let rows = tx
                .prepare("SELECT * FROM sn_leases")
                .query_map(args![], |_| Ok(()))?;
            Ok(rows.count())
        })
    };
    for _ in 0..8 {
        read()
            .await
            .expect("prepared on each of the store's connections");
    }
    // The result's columns change under the statements the store prepared.
    postgres::run_sql(&url, "ALTER TABLE sn_leases ADD COLUMN note TEXT");
    let mut results = Vec::new();
    for _ in 0..16 {
        results.push(read().await.map_err(|e| e.to_string()));
    }
    let failed = results.iter().filter(|result| result.is_err()).count();
    assert!(failed <= 4, "at most once per connection: {results:?}");
    assert!(results[12..].iter().all(Result::is_ok), "{results:?}");
}

#[tokio::test]
async fn a_store_that_cannot_be_reached_says_so_without_its_password() {
    let location = StoreLocation::parse("postgres://relay:s3cret-pw@127.0.0.1:1/relay").unwrap();
    let error: StoreError = Store::open_at(&location, true)
        .err()
        .expect("nothing listens on port 1");
    let message = error.to_string();
    assert!(message.contains("postgres"), "{message}");
    assert!(!message.contains("s3cret-pw"), "{message}");
}

/// `relay migrate-store --from … --to …` as an operator runs it: its JSON line, or its error.
fn migrate_store(from: &str, to: &str) -> Result<serde_json::Value, String> {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["migrate-store", "--from", from, "--to", to])
        .output()
        .expect("relay migrate-store runs");
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&output.stdout).expect("one JSON line"))
}

#[tokio::test]
async fn a_site_moved_to_postgresql_keeps_its_phones_and_its_ledger() {
    // A site on SQLite: a phone enrolled, one record forwarded.
    let mut site = Site::start_with("store-migrate", None, |config| config.store.url = None).await;
    let made = now_ms() - 60_000;
    let first = record("m-1", CENTRE, 10.0, "inside", made).to_string();
    assert!(site.phone.sign_in(&first).await.success);
    let relay = site.relay.relay.take().expect("the relay runs");
    relay.shutdown().await;

    // The newest entry of the manager's log is gone (as expired rows go): its id must not be
    // given again.
    let sqlite_store = StoreLocation::in_data_dir(&site.relay.config.data_dir);
    let (store, _) = Store::open_at(&sqlite_store, false).unwrap();
    let removed: i64 = store
        .run(|tx| {
            let newest = tx.query_row("SELECT MAX(id) FROM manager_actions", args![], |row| {
                row.get(0)
            })?;
            tx.execute("DELETE FROM manager_actions WHERE id = ?1", args![newest])?;
            Ok(newest)
        })
        .await
        .unwrap();
    drop(store);
    let sqlite = format!(
        "sqlite://{}",
        site.relay.config.data_dir.join("relay.sqlite3").display()
    );
    let postgres = postgres::fresh_database();
    let copied = migrate_store(&sqlite, &postgres).expect("the copy succeeds");
    let rows = |table: &str| {
        (copied["copied"].as_array().unwrap().iter())
            .find(|t| t["table"] == table)
            .map(|t| t["rows"].as_u64().unwrap())
    };
    assert_eq!(
        (rows("phones"), rows("ledger"), rows("sites")),
        (Some(1), Some(1), Some(1)),
        "{copied}"
    );
    let again = migrate_store(&sqlite, &postgres).expect_err("a second copy is refused");
    assert!(again.contains("not empty"), "{again}");

    // The same relay on PostgreSQL: the phone signs in without enrolling again; its retry of
    // the forwarded record is answered from the ledger, not sent twice.
    site.relay.config.store.url = Some(postgres);
    site.restart().await;
    assert!(site.phone.sign_in(&first).await.success, "the retry");
    let second = record("m-2", CENTRE, 10.0, "inside", made + 1_000).to_string();
    assert!(site.phone.sign_in(&second).await.success, "a new record");
    assert_eq!(site.at_platform().await, 2, "m-1 once, m-2 once");
    assert_eq!(site.signin("m-1").await["platformResult"]["state"], "done");
    // The manager's log goes on after the copied entries (identities moved past them).
    let body = serde_json::json!({"name": "二号工地", "sn": SN});
    let (status, created) = site
        .relay
        .manager("POST", "/v1/manager/sites", Some(body))
        .await;
    assert_eq!(status, 201, "{created}");
    let (_, actions) = site.relay.manager("GET", "/v1/manager/actions", None).await;
    let actions = actions.as_array().unwrap();
    assert!(
        (actions.iter()).any(|a| a["action"] == "site.create" && a["siteId"] == "site-2"),
        "{actions:?}"
    );
    assert_eq!(actions.len(), 3, "one copied, two new: {actions:?}");
    let (store, _) = Store::open_at(&site.relay.config.store_location().unwrap(), false).unwrap();
    let oldest_new: i64 = store
        .run(|tx| {
            tx.query_row(
                "SELECT MIN(id) FROM manager_actions WHERE site_id = 'site-2'",
                args![],
                |row| row.get(0),
            )
        })
        .await
        .unwrap();
    assert!(oldest_new > removed, "{oldest_new} after {removed}");
}

/// Adds site `site_id`.
async fn add_site(store: &Store, site_id: &'static str) -> Result<usize, StoreError> {
    store
        .run(move |tx| {
            tx.execute(
                "INSERT INTO sites (site_id, name, sn, created_ms) VALUES (?1, 'A', 'SN', 0)",
                args![site_id],
            )
        })
        .await
}

#[tokio::test]
async fn the_store_answers_again_after_its_postgresql_server_restarts() {
    let server = postgres::OwnServer::start("store-pg-restart");
    let location = StoreLocation::parse(&server.url).unwrap();
    let (store, _) = Store::open_at(&location, true).unwrap();
    add_site(&store, "site-1").await.unwrap();
    server.restart();
    // The batch that finds the connection lost connects again and goes on.
    let mut failures = Vec::new();
    while let Err(error) = add_site(&store, "site-2").await {
        failures.push(error);
        assert!(failures.len() < 50, "{failures:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        failures.is_empty(),
        "the lost connection is made again at once: {failures:?}"
    );
    assert_eq!(sites(&store).await, 2, "nothing lost");
}

#[tokio::test]
async fn healthz_fails_while_the_database_is_unreachable() {
    let server = postgres::OwnServer::start("store-pg-health");
    let url = server.url.clone();
    let relay = TaskRelay::start("store-health", 20, |config| config.store.url = Some(url)).await;
    let health = || async {
        let response = reqwest::get(format!("{}/healthz", relay.url))
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<serde_json::Value>().await.unwrap())
    };
    let (status, body) = health().await;
    assert_eq!(
        (status, body["store"].as_str()),
        (200, Some("ok")),
        "{body}"
    );
    drop(server); // stopped and removed
    let (status, body) = health().await;
    assert_eq!((status, body["ok"].as_bool()), (503, Some(false)), "{body}");
}
