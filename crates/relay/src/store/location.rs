//! Where the store lives: `[store] url` in the relay's TOML (`sqlite://PATH` or
//! `postgres://USER[:PASSWORD]@HOST:PORT/DB`), or SQLite under the data directory.

use std::path::{Path, PathBuf};

/// The store's database.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database, as its connection URL (the database must exist).
    Postgres(String),
}

impl StoreLocation {
    /// `relay.sqlite3` in `data_dir`: the store when no URL is configured.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        StoreLocation::Sqlite(data_dir.join("relay.sqlite3"))
    }

    /// Reads a store URL; the error says what is wrong with it (never repeating a password).
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("store.url sqlite:// needs the file's path, e.g. sqlite:///var/lib/relay/relay.sqlite3".into());
            }
            return Ok(StoreLocation::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return match url.parse::<postgres::Config>() {
                Ok(config) if config.get_dbname().is_some() => {
                    Ok(StoreLocation::Postgres(url.to_owned()))
                }
                Ok(_) => {
                    Err("store.url postgres:// needs the database's name after the last /".into())
                }
                Err(_) => Err(
                    "store.url is not a PostgreSQL URL postgres://USER[:PASSWORD]@HOST:PORT/DB"
                        .into(),
                ),
            };
        }
        Err("store.url must start with sqlite:// or postgres://".into())
    }

    /// The location for logs: a PostgreSQL URL without its password.
    pub fn redacted(&self) -> String {
        match self {
            StoreLocation::Sqlite(path) => format!("sqlite://{}", path.display()),
            StoreLocation::Postgres(url) => redact_password(url),
        }
    }
}

impl std::fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// `url` with the password (between `USER:` and `@`, or a `password=` parameter) replaced by
/// `***`.
fn redact_password(url: &str) -> String {
    let url = redact_password_parameter(url);
    redact_user_password(&url)
}

/// `url` with the value of a `password=` query parameter replaced by `***`.
fn redact_password_parameter(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let parameters: Vec<String> = (query.split('&'))
        .map(|parameter| match parameter.split_once('=') {
            Some(("password", _)) => "password=***".to_owned(),
            _ => parameter.to_owned(),
        })
        .collect();
    format!("{base}?{}", parameters.join("&"))
}

/// `url` with the password between `USER:` and `@` replaced by `***`.
fn redact_user_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let Some((credentials, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}/{tail}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_and_a_password_never_shown() {
        let url = "postgres://relay:s3cret@db.example:5432/attendance";
        let location = StoreLocation::parse(url).unwrap();
        assert_eq!(location, StoreLocation::Postgres(url.to_owned()));
        assert_eq!(
            location.redacted(),
            "postgres://relay:***@db.example:5432/attendance"
        );
        assert!(!format!("{location:?}").contains("s3cret"));
        let in_query =
            StoreLocation::parse("postgres://relay@db:5432/a?password=s3cret&sslmode=disable");
        assert_eq!(
            in_query.unwrap().redacted(),
            "postgres://relay@db:5432/a?password=***&sslmode=disable"
        );
        assert_eq!(
            StoreLocation::parse("sqlite:///var/lib/relay/r.sqlite3").unwrap(),
            StoreLocation::Sqlite("/var/lib/relay/r.sqlite3".into())
        );
        for bad in [
            "mysql://x/y",
            "sqlite://",
            "postgres://relay@host:5432",
            "postgres://a:b@h:notaport/d",
        ] {
            let error = StoreLocation::parse(bad).unwrap_err();
            assert!(!error.contains("b@h"), "{error}");
        }
    }
}
