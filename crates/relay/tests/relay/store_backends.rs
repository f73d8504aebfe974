//! The store's two back ends held to the same rules: an operation that fails leaves nothing
//! behind; the schema's versions are applied once, even by stores opening together on one
//! PostgreSQL database; a store URL's password appears in no error.

use zj_relay::{args, Store, StoreError, StoreLocation};

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
    assert_eq!(versions, [1]);
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
