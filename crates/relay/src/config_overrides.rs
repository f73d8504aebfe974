//! Overrides of single configuration fields, from flags (`--set limits.frames_per_minute=600`)
//! or environment variables (`RELAY__LIMITS__FRAMES_PER_MINUTE=600`), applied to the TOML
//! file's table before it is read, so every field can be overridden without a flag of its own.

use crate::config::ConfigError;

/// Prefix of the environment variables that override fields; `__` separates the parts of the
/// field's path (`RELAY__PLATFORM__TCP` is `platform.tcp`).
pub(crate) const ENV_PREFIX: &str = "RELAY__";

/// One field set from outside the file: its dotted path and its value in TOML syntax (`600`,
/// `true`, `"text"`, `["a", "b"]`; a bare word that is not TOML is taken as a string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The field, `section.field` (lower case, as in the file).
    pub path: String,
    /// The value's text.
    pub value: String,
}

impl Override {
    /// Reads `path=value` (the `--set` flag).
    pub fn parse(text: &str) -> Result<Override, String> {
        let (path, value) = text
            .split_once('=')
            .ok_or_else(|| format!("--set {text}: expected section.field=value"))?;
        if path.trim().is_empty() {
            return Err(format!("--set {text}: the field's name is missing"));
        }
        Ok(Override {
            path: path.trim().to_owned(),
            value: value.to_owned(),
        })
    }

    /// The overrides among environment variables (pass `std::env::vars()`), in name order so
    /// the result does not depend on the environment's order.
    pub fn from_env(vars: impl Iterator<Item = (String, String)>) -> Vec<Override> {
        let mut found: Vec<Override> = vars
            .filter_map(|(name, value)| {
                let path = name.strip_prefix(ENV_PREFIX)?;
                let path = path
                    .to_lowercase()
                    .split("__")
                    .collect::<Vec<_>>()
                    .join(".");
                Some(Override { path, value })
            })
            .collect();
        found.sort_by(|a, b| a.path.cmp(&b.path));
        found
    }

    /// Sets the field in `table`, creating the tables on its path where missing.
    pub fn apply(&self, table: &mut toml::Table) -> Result<(), ConfigError> {
        let mut parts: Vec<&str> = self.path.split('.').collect();
        let leaf = parts.pop().unwrap_or_default();
        if leaf.is_empty() || parts.iter().any(|part| part.is_empty()) {
            return Err(ConfigError::Invalid(format!(
                "cannot override {:?}: not a field's path (section.field)",
                self.path
            )));
        }
        let mut current = table;
        for part in parts {
            let entry = current
                .entry(part)
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            current = entry.as_table_mut().ok_or_else(|| {
                ConfigError::Invalid(format!(
                    "cannot override {}: {part} is not a section (lists such as phones are set in the file)",
                    self.path
                ))
            })?;
        }
        current.insert(leaf.to_owned(), self.toml_value());
        Ok(())
    }

    fn toml_value(&self) -> toml::Value {
        format!("value = {}", self.value)
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut table| table.remove("value"))
            .unwrap_or_else(|| toml::Value::String(self.value.clone()))
    }
}
