//! Every table of the relay's store, in one place, for SQLite and (translated) PostgreSQL:
//! created when the store opens (`IF NOT EXISTS`, so an existing store keeps its rows), the
//! versions applied recorded in `schema_versions`. A new table goes here, and its queries in
//! the module of its family.

use super::StoreError;

/// SQLite's settings, applied at every open: a write-ahead log; durable commits unless a batch
/// says otherwise (see the writer).
pub(crate) const SQLITE_PRAGMAS: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
";

/// Every table (version 1, see [`VERSIONS`]), in SQLite's types.
pub(crate) const SCHEMA: &str = concat!(
    // Phones and their credentials (store::phones).
    "
CREATE TABLE IF NOT EXISTS phones (
    access_id     TEXT PRIMARY KEY,
    access_key    TEXT NOT NULL,
    access_secret TEXT NOT NULL,
    sn            TEXT NOT NULL UNIQUE,
    platform_sn   TEXT NOT NULL,
    revoked       INTEGER NOT NULL DEFAULT 0
);
",
    // The recordId ledger, the audit log of what phones sent and the relay's check of each
    // record's photo (store::ledger).
    "
CREATE TABLE IF NOT EXISTS ledger (
    access_id   TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('sending', 'retry', 'done', 'refused')),
    errorcode   TEXT,
    errormsg    TEXT,
    attempts    INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    PRIMARY KEY (access_id, record_id)
);
CREATE TABLE IF NOT EXISTS audit (
    access_id   TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    phone_sn    TEXT NOT NULL,
    platform_sn TEXT NOT NULL,
    person_id   TEXT NOT NULL,
    record_time INTEGER NOT NULL,
    img_bytes   INTEGER NOT NULL,
    extras      TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    PRIMARY KEY (access_id, record_id)
);
CREATE TABLE IF NOT EXISTS photo_checks (
    access_id  TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    result     TEXT NOT NULL,
    checked_ms INTEGER NOT NULL,
    PRIMARY KEY (access_id, record_id)
);
",
    // The roster of each platform sn (store::roster).
    "
CREATE TABLE IF NOT EXISTS persons (
    sn         TEXT NOT NULL,
    person_id  TEXT NOT NULL,
    name       TEXT NOT NULL,
    idcard_no  TEXT,
    face       BLOB,
    source     TEXT NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (sn, person_id)
);
CREATE INDEX IF NOT EXISTS persons_by_idcard ON persons (sn, idcard_no);
",
    // Liveness nonces issued to phones (store::nonces).
    "
CREATE TABLE IF NOT EXISTS nonces (
    nonce      TEXT PRIMARY KEY,
    access_id  TEXT NOT NULL,
    issued_ms  INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
",
    // The platform's tasks, page by page, and offered device versions (platform::tasks).
    "
CREATE TABLE IF NOT EXISTS tasks (
    sn             TEXT NOT NULL,
    taskid         TEXT NOT NULL,
    apicode        TEXT NOT NULL,
    param          TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('running', 'done', 'reported')),
    next_page      INTEGER NOT NULL DEFAULT 1,
    total_pages    INTEGER,
    status         INTEGER,
    failed_persons TEXT NOT NULL DEFAULT '[]',
    failed_faces   TEXT NOT NULL DEFAULT '[]',
    updated_ms     INTEGER NOT NULL,
    PRIMARY KEY (sn, taskid)
);
CREATE TABLE IF NOT EXISTS device_versions (
    sn           TEXT PRIMARY KEY,
    version      TEXT NOT NULL,
    size         INTEGER NOT NULL,
    download_url TEXT NOT NULL,
    taskid       TEXT NOT NULL,
    updated_ms   INTEGER NOT NULL
);
",
    // Sites and their versioned fences (store::sites).
    "
CREATE TABLE IF NOT EXISTS sites (
    site_id    TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    sn         TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS fences (
    site_id          TEXT NOT NULL,
    version          INTEGER NOT NULL,
    crs              TEXT NOT NULL,
    max_accuracy_m   REAL NOT NULL,
    uncertain_policy TEXT NOT NULL,
    geojson          TEXT NOT NULL,
    updated_ms       INTEGER NOT NULL,
    PRIMARY KEY (site_id, version)
);
",
    // Enrollment codes and each phone's site and binding (store::enrollments).
    "
CREATE TABLE IF NOT EXISTS enrollments (
    code       TEXT PRIMARY KEY,
    site_id    TEXT NOT NULL,
    binding    TEXT NOT NULL CHECK (binding IN ('personal', 'team')),
    person_id  TEXT,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    used_ms    INTEGER,
    access_id  TEXT
);
CREATE TABLE IF NOT EXISTS phone_sites (
    access_id   TEXT PRIMARY KEY,
    site_id     TEXT NOT NULL,
    binding     TEXT NOT NULL,
    person_id   TEXT,
    enrolled_ms INTEGER NOT NULL
);
",
    // MR860 logs (mr860).
    "
CREATE TABLE IF NOT EXISTS mr860_logs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key   TEXT NOT NULL UNIQUE,
    device_id   TEXT NOT NULL,
    mode        TEXT NOT NULL,
    card_type   TEXT NOT NULL,
    card_number TEXT NOT NULL,
    sn          TEXT,
    person_id   TEXT,
    state       TEXT NOT NULL CHECK (state IN
                ('pending', 'forwarded', 'refused', 'joined', 'unknown_terminal', 'unknown_card')),
    detail      TEXT,
    body        TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    site_id     TEXT
);
CREATE INDEX IF NOT EXISTS mr860_logs_by_state ON mr860_logs (state);
",
    // Manager accounts, the sites of each, and the log of what managers did
    // (store::accounts, store::manager_actions).
    "
CREATE TABLE IF NOT EXISTS manager_accounts (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'site')),
    password_hash TEXT,
    token_hash    TEXT UNIQUE,
    created_ms    INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS manager_account_sites (
    name    TEXT NOT NULL,
    site_id TEXT NOT NULL,
    PRIMARY KEY (name, site_id)
);
CREATE TABLE IF NOT EXISTS manager_actions (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms   INTEGER NOT NULL,
    account TEXT NOT NULL,
    site_id TEXT,
    action  TEXT NOT NULL,
    detail  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS manager_actions_by_site ON manager_actions (site_id, id);
",
    // Managers' page sessions: the SHA-256 of each session id, never the id (store::sessions).
    "
CREATE TABLE IF NOT EXISTS manager_sessions (
    id_hash    TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    used_ms    INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS manager_sessions_by_name ON manager_sessions (name);
",
    // The persons a manager assigned to each site of an sn shared by several sites
    // (store::site_persons).
    "
CREATE TABLE IF NOT EXISTS site_persons (
    site_id   TEXT NOT NULL,
    person_id TEXT NOT NULL,
    PRIMARY KEY (site_id, person_id)
);
",
    // MR860 terminals, their sites and key hashes (store::terminals); their logs' bounds
    // count by device_id.
    "
CREATE TABLE IF NOT EXISTS terminals (
    device_id  TEXT PRIMARY KEY,
    site_id    TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    allow_from TEXT NOT NULL DEFAULT '[]',
    origin     TEXT NOT NULL CHECK (origin IN ('config', 'manager')),
    created_ms INTEGER NOT NULL,
    rotated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS mr860_logs_by_device ON mr860_logs (device_id);
",
    // Out-of-fence requests (外勤): held from the platform until decided; `param` is the §7
    // text to forward, photo included (store::requests).
    "
CREATE TABLE IF NOT EXISTS out_of_fence_requests (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    access_id   TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    site_id     TEXT NOT NULL,
    platform_sn TEXT NOT NULL,
    person_id   TEXT NOT NULL,
    record_time INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    note        TEXT NOT NULL,
    param       TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    auto        INTEGER NOT NULL DEFAULT 0,
    created_ms  INTEGER NOT NULL,
    decided_ms  INTEGER,
    decided_by  TEXT,
    comment     TEXT NOT NULL DEFAULT '',
    UNIQUE (access_id, record_id)
);
CREATE INDEX IF NOT EXISTS requests_by_site ON out_of_fence_requests (site_id, state, id);
CREATE INDEX IF NOT EXISTS requests_by_phone ON out_of_fence_requests (access_id, decided_ms);
",
    // What each audited record's extras say, as the day sheet reads it (flags as bits of
    // `sheet::Flag`, the fence verdict, the place, where it came from): written with the audit
    // row, so a sheet never parses extras (store::ledger, store::sheet).
    "
CREATE TABLE IF NOT EXISTS audit_facts (
    access_id   TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    site_id     TEXT,
    person_id   TEXT NOT NULL,
    record_time INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    flags       INTEGER NOT NULL,
    source      TEXT NOT NULL,
    verdict     TEXT,
    distance_m  REAL,
    lng         REAL,
    lat         REAL,
    accuracy_m  REAL,
    PRIMARY KEY (access_id, record_id)
);
CREATE INDEX IF NOT EXISTS audit_facts_by_site_time ON audit_facts (site_id, record_time);
",
    // Each site's approved work areas (a second polygon set; records inside them are approved
    // without a manager when `auto_approve`), versioned like fences (store::work_areas).
    "
CREATE TABLE IF NOT EXISTS work_areas (
    site_id      TEXT NOT NULL,
    version      INTEGER NOT NULL,
    geojson      TEXT NOT NULL,
    auto_approve INTEGER NOT NULL,
    updated_ms   INTEGER NOT NULL,
    updated_by   TEXT NOT NULL,
    PRIMARY KEY (site_id, version)
);
",
);

/// Columns added to a table after stores with it were made, `(table, column, type)`: a store
/// opened without one gets it (`ALTER TABLE … ADD COLUMN`, existing rows `NULL`), so an
/// upgraded relay keeps its store.
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    // The site of each MR860 log, so a log stays its site's whatever becomes of its terminal.
    ("mr860_logs", "site_id", "TEXT"),
    // The site of each audited record (its phone's site when received), so the day sheet
    // reads one site's records by an index instead of joining every phone.
    ("audit", "site_id", "TEXT"),
    // The hour (Beijing time, 0–23) a site's attendance day starts, so a night shift falls on
    // one day.
    ("sites", "day_start_hour", "INTEGER NOT NULL DEFAULT 0"),
];

/// Indexes over [`ADDED_COLUMNS`], made once the columns are there, and the values older rows
/// take.
const AFTER_ADDED_COLUMNS: &str = "
UPDATE audit SET site_id = COALESCE(
    (SELECT site_id FROM phone_sites WHERE phone_sites.access_id = audit.access_id),
    (SELECT site_id FROM mr860_logs WHERE 'mr860:' || mr860_logs.device_id = audit.access_id
        AND CAST(mr860_logs.id AS TEXT) = audit.record_id))
WHERE site_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM pragma_index_list('audit') WHERE name = 'audit_by_site_time');
CREATE INDEX IF NOT EXISTS audit_by_site_time ON audit (site_id, record_time);
";

/// Adds the [`ADDED_COLUMNS`] a store made by an older relay lacks.
pub(crate) fn add_missing_columns(connection: &rusqlite::Connection) -> rusqlite::Result<()> {
    add_columns(connection, ADDED_COLUMNS)?;
    connection.execute_batch(AFTER_ADDED_COLUMNS)
}

/// Adds each of `columns` (`(table, column, type)`) its table lacks.
fn add_columns(
    connection: &rusqlite::Connection,
    columns: &[(&str, &str, &str)],
) -> rusqlite::Result<()> {
    for (table, column, kind) in columns {
        let present: bool = connection.query_row(
            "SELECT COUNT(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
            [table, column],
            |row| row.get(0),
        )?;
        if !present {
            connection.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"))?;
        }
    }
    Ok(())
}

/// Whether the store already has `table` (checked before [`SCHEMA`] makes what is missing).
fn has_table(connection: &rusqlite::Connection, table: &str) -> rusqlite::Result<bool> {
    connection.query_row(
        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [table],
        |row| row.get(0),
    )
}

/// The versions of the schema, oldest first. A store records those it has in
/// `schema_versions`; at open, the ones it lacks are applied in order (on PostgreSQL in one
/// transaction under a lock, so relays starting together apply each once). A change to the
/// schema is a new version here.
pub(crate) const VERSIONS: &[Version] = &[
    Version {
        number: 1,
        sqlite: sqlite_version_1,
        postgres: postgres_version_1,
    },
    Version {
        number: 2,
        sqlite: sqlite_version_2,
        postgres: postgres_version_2,
    },
];

/// Version 2: what the relays of a cluster share beyond version 1 (see ARCHITECTURE.md, "The
/// store, and the cluster it is meant for"): which relay is sending a record (its claim, so a
/// retry at another relay waits for it instead of sending again), in these ledger columns, and
/// the [`CLUSTER_TABLES`].
const CLUSTER_COLUMNS: &[(&str, &str, &str)] = &[
    ("ledger", "claimed_by", "TEXT"),
    ("ledger", "claim_until_ms", "INTEGER"),
];

/// Which relay holds each platform sn's session (its lease), the phones' tokens (and the
/// revoked phones, which every relay reads every few seconds), and failed secrets counted per
/// address and account. In SQLite's types; PostgreSQL takes them through
/// [`postgres_types`]. Leases, tokens and counts are short-lived: `relay migrate-store` does
/// not copy them.
const CLUSTER_TABLES: &str = "
CREATE TABLE IF NOT EXISTS sn_leases (
    sn          TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    holder_url  TEXT NOT NULL,
    expires_ms  INTEGER NOT NULL,
    since_ms    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS phone_tokens (
    token        TEXT PRIMARY KEY,
    access_id    TEXT NOT NULL,
    sn           TEXT NOT NULL,
    last_used_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS phone_tokens_by_sn ON phone_tokens (sn, last_used_ms);
CREATE INDEX IF NOT EXISTS phones_revoked ON phones (access_id) WHERE revoked <> 0;
CREATE TABLE IF NOT EXISTS attempt_failures (
    key         TEXT PRIMARY KEY,
    started_ms  INTEGER NOT NULL,
    failures    INTEGER NOT NULL
);
";

/// Version 2 on SQLite: the [`CLUSTER_COLUMNS`] a store lacks, and the [`CLUSTER_TABLES`].
fn sqlite_version_2(connection: &rusqlite::Connection) -> Result<(), StoreError> {
    add_columns(connection, CLUSTER_COLUMNS)?;
    Ok(connection.execute_batch(CLUSTER_TABLES)?)
}

/// Version 2 on PostgreSQL: the [`CLUSTER_COLUMNS`] and [`CLUSTER_TABLES`] in PostgreSQL's
/// types.
fn postgres_version_2() -> String {
    let mut sql = postgres_added_columns(CLUSTER_COLUMNS);
    for line in CLUSTER_TABLES.lines() {
        sql.push_str(&postgres_types(line));
        sql.push('\n');
    }
    sql
}

/// One version of the schema: its number and how each engine gets it.
pub(crate) struct Version {
    /// Its number, from 1.
    pub number: i64,
    /// Applies it to a SQLite store (outside a transaction: SQLite's pragmas need that).
    pub sqlite: fn(&rusqlite::Connection) -> Result<(), StoreError>,
    /// The SQL that applies it on PostgreSQL.
    pub postgres: fn() -> String,
}

/// Version 1 on SQLite: every table of [`SCHEMA`]; a store made before versions were recorded
/// gets the [`ADDED_COLUMNS`] it lacks and the facts of its audited records.
fn sqlite_version_1(connection: &rusqlite::Connection) -> Result<(), StoreError> {
    let facts_existed = has_table(connection, "audit_facts")?;
    connection.execute_batch(SCHEMA)?;
    add_missing_columns(connection)?;
    if !facts_existed {
        super::ledger::fill_missing_facts(connection)?;
    }
    Ok(())
}

/// The name of every table of [`SCHEMA`], in its order (the tables `relay migrate-store` copies).
pub(crate) fn table_names() -> Vec<String> {
    SCHEMA
        .split("CREATE TABLE IF NOT EXISTS ")
        .skip(1)
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// The table of applied versions, in SQL both engines take.
pub(crate) const VERSIONS_TABLE: &str = "
CREATE TABLE IF NOT EXISTS schema_versions (
    version    BIGINT PRIMARY KEY,
    applied_ms BIGINT NOT NULL
);";

/// What version 1 makes on PostgreSQL: [`SCHEMA`] in PostgreSQL's types (integers 64-bit,
/// `DOUBLE PRECISION`, `BYTEA`, identities for SQLite's `AUTOINCREMENT`), the
/// [`ADDED_COLUMNS`], and functions named as SQLite's JSON functions the store's statements
/// use (text in, text out: a number read from `json_extract` is cast by its statement).
fn postgres_version_1() -> String {
    let mut sql = String::new();
    for line in SCHEMA.lines() {
        sql.push_str(&postgres_types(line));
        sql.push('\n');
    }
    sql.push_str(&postgres_added_columns(ADDED_COLUMNS));
    sql.push_str(
        "CREATE INDEX IF NOT EXISTS audit_by_site_time ON audit (site_id, record_time);\n",
    );
    sql.push_str(POSTGRES_JSON_FUNCTIONS);
    sql
}

/// `ALTER TABLE … ADD COLUMN IF NOT EXISTS` of each of `columns`, in PostgreSQL's types.
fn postgres_added_columns(columns: &[(&str, &str, &str)]) -> String {
    columns
        .iter()
        .map(|(table, column, kind)| {
            let kind = postgres_types(kind);
            format!("ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind};\n")
        })
        .collect()
}

/// A line of SQLite's DDL in PostgreSQL's type names; text compared and sorted by its bytes
/// (`COLLATE "C"`), as SQLite does, whatever the server's locale.
fn postgres_types(line: &str) -> String {
    line.replace("TEXT", "TEXT COLLATE \"C\"")
        .replace(
            "INTEGER PRIMARY KEY AUTOINCREMENT",
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        )
        .replace("INTEGER", "BIGINT")
        .replace("REAL", "DOUBLE PRECISION")
        .replace("BLOB", "BYTEA")
}

/// SQLite's `json_extract(doc, '$.a.b')`, `json_each(array)` (its `value` column, as text)
/// and `json_remove(doc, '$.a', …)` (top-level members) on PostgreSQL.
const POSTGRES_JSON_FUNCTIONS: &str = "
CREATE OR REPLACE FUNCTION json_extract(doc TEXT, path TEXT) RETURNS TEXT
    LANGUAGE SQL IMMUTABLE
    AS $$ SELECT doc::jsonb #>> string_to_array(substr(path, 3), '.') $$;
CREATE OR REPLACE FUNCTION json_each(doc TEXT) RETURNS TABLE (value TEXT)
    LANGUAGE SQL IMMUTABLE
    AS $$ SELECT json_array_elements_text(doc::json) $$;
CREATE OR REPLACE FUNCTION json_remove(doc TEXT, VARIADIC paths TEXT[]) RETURNS TEXT
    LANGUAGE SQL IMMUTABLE
    AS $$ SELECT (doc::jsonb - ARRAY(SELECT substr(p, 3) FROM unnest(paths) AS p))::text $$;
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_gets_every_table_in_its_own_types() {
        let sql = postgres_version_1();
        let tables = SCHEMA.matches("CREATE TABLE").count();
        assert_eq!(sql.matches("CREATE TABLE").count(), tables);
        assert!(!sql.contains("PRAGMA") && !sql.contains("AUTOINCREMENT") && !sql.contains("BLOB"));
        assert!(sql.contains("id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"));
        assert!(sql.contains("ADD COLUMN IF NOT EXISTS day_start_hour BIGINT NOT NULL DEFAULT 0"));
        assert!(sql.contains("access_id     TEXT COLLATE \"C\" PRIMARY KEY"));
        let names = table_names();
        assert_eq!(names.len(), tables);
        assert_eq!(
            (names[0].as_str(), names.last().map(String::as_str)),
            ("phones", Some("work_areas"))
        );
    }
}
