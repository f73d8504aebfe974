//! The store the relays of these tests use: SQLite in their data directory, or, when
//! `ZJ_TEST_STORE=postgres`, a fresh database of each relay's own on the PostgreSQL server at
//! `ZJ_TEST_POSTGRES_URL` (started and stopped by `scripts/test.sh` with
//! `scripts/postgres.sh`), so the same tests run against both back ends.

use std::sync::atomic::{AtomicU32, Ordering};

use zj_relay::config::StoreConfig;

/// The server's URL (its `postgres` database); panics with what to run when it is not set.
pub fn server_url() -> String {
    std::env::var("ZJ_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "ZJ_TEST_POSTGRES_URL is not set: run ./scripts/test.sh, or start a server with \
             eval \"$(./scripts/postgres.sh start /tmp/zj-pg)\""
        )
    })
}

/// Whether the relays of this run keep their state in PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("ZJ_TEST_STORE").as_deref() == Ok("postgres")
}

/// `[store]` of a test relay: none (SQLite), or a new PostgreSQL database.
pub fn test_store() -> StoreConfig {
    StoreConfig {
        url: on_postgres().then(fresh_database),
    }
}

/// Makes a new, empty database on the test server; its URL.
pub fn fresh_database() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let server = server_url();
    let name = format!(
        "relay_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let (base, _) = server.rsplit_once('/').expect("a URL ending in /DB");
    let url = format!("{base}/{name}");
    run_sql(&server, &format!("CREATE DATABASE {name}"));
    url
}

/// Runs `sql` on the database at `url` with a connection of its own (as another relay or an
/// operator would); panics when it fails.
pub fn run_sql(url: &str, sql: &str) {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    // The blocking client runs a runtime of its own: not on a test's runtime thread.
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to the test PostgreSQL at {url}: {e}"));
        client
            .batch_execute(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    })
    .join()
    .expect("the statement ran");
}

/// A PostgreSQL server of one test's own (for what would disturb the other tests' server:
/// restarting it), stopped and removed when dropped.
pub struct OwnServer {
    dir: std::path::PathBuf,
    /// Its `postgres` database.
    pub url: String,
}

impl OwnServer {
    /// Starts one with `scripts/postgres.sh` in a fresh folder named after `name`.
    pub fn start(name: &str) -> Self {
        let dir = super::data_dir(name);
        let output = script(&["start", &dir.to_string_lossy()]);
        let url = output
            .trim()
            .strip_prefix("export ZJ_TEST_POSTGRES_URL=")
            .unwrap_or_else(|| panic!("postgres.sh start printed {output}"))
            .to_owned();
        OwnServer { dir, url }
    }

    /// Restarts it (a fast shutdown: every client is cut off).
    pub fn restart(&self) {
        script(&["restart", &self.dir.to_string_lossy()]);
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        script(&["stop", &self.dir.to_string_lossy()]);
    }
}

/// Runs `scripts/postgres.sh` with `args`; its standard output.
fn script(args: &[&str]) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/postgres.sh");
    let output = std::process::Command::new(path)
        .args(args)
        .output()
        .expect("scripts/postgres.sh runs");
    assert!(
        output.status.success(),
        "postgres.sh {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
