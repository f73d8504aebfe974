//! Values crossing the store's one interface: what a statement binds ([`SqlValue`], made from
//! Rust values by [`ToSqlValue`]) and what a row holds ([`Row`], read back by [`FromValue`]).
//! The same five kinds as SQLite's storage classes; PostgreSQL's column types map onto them.

use super::super::StoreError;

/// One value bound to a statement or read from a row.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// SQL NULL.
    Null,
    /// A 64-bit integer (PostgreSQL: `BIGINT`, `INTEGER`, `SMALLINT`, `BOOLEAN` as 0/1).
    Integer(i64),
    /// A 64-bit float (PostgreSQL: `DOUBLE PRECISION`, `REAL`).
    Real(f64),
    /// UTF-8 text (PostgreSQL: `TEXT`, `VARCHAR`, `JSON`, `JSONB`).
    Text(String),
    /// Bytes (PostgreSQL: `BYTEA`).
    Blob(Vec<u8>),
}

/// A Rust value a statement can bind, taken by reference (as `rusqlite::params!` does).
pub trait ToSqlValue {
    /// The value to bind.
    fn to_value(&self) -> SqlValue;
}

impl<T: ToSqlValue + ?Sized> ToSqlValue for &T {
    fn to_value(&self) -> SqlValue {
        (**self).to_value()
    }
}

impl<T: ToSqlValue> ToSqlValue for Option<T> {
    fn to_value(&self) -> SqlValue {
        self.as_ref().map_or(SqlValue::Null, ToSqlValue::to_value)
    }
}

impl ToSqlValue for SqlValue {
    fn to_value(&self) -> SqlValue {
        self.clone()
    }
}

/// Integers that fit an `i64`.
macro_rules! to_integer {
    ($($kind:ty),*) => {$(
        impl ToSqlValue for $kind {
            fn to_value(&self) -> SqlValue {
                SqlValue::Integer(i64::from(*self))
            }
        }
    )*};
}
to_integer!(i64, i32, i16, i8, u32, u16, u8, bool);

impl ToSqlValue for usize {
    /// Saturates at `i64::MAX` (no count or size here comes near it).
    fn to_value(&self) -> SqlValue {
        SqlValue::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl ToSqlValue for u64 {
    /// Saturates at `i64::MAX` (no count or size here comes near it).
    fn to_value(&self) -> SqlValue {
        SqlValue::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl ToSqlValue for f64 {
    fn to_value(&self) -> SqlValue {
        SqlValue::Real(*self)
    }
}

impl ToSqlValue for str {
    fn to_value(&self) -> SqlValue {
        SqlValue::Text(self.to_owned())
    }
}

impl ToSqlValue for String {
    fn to_value(&self) -> SqlValue {
        SqlValue::Text(self.clone())
    }
}

impl ToSqlValue for [u8] {
    fn to_value(&self) -> SqlValue {
        SqlValue::Blob(self.to_vec())
    }
}

impl ToSqlValue for Vec<u8> {
    fn to_value(&self) -> SqlValue {
        SqlValue::Blob(self.clone())
    }
}

/// The values of a statement's parameters, each taken by reference: `args![site_id, now_ms]`.
#[macro_export]
macro_rules! args {
    () => { &[] as &[$crate::SqlValue] };
    ($($value:expr),+ $(,)?) => {
        &[$($crate::ToSqlValue::to_value(&$value)),+] as &[$crate::SqlValue]
    };
}

/// One row of a query's result, its columns in the statement's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub(super) Vec<SqlValue>);

impl Row {
    /// Column `index` (from 0) as a `T`; an error naming the column when it is missing or of
    /// another kind.
    pub fn get<T: FromValue>(&self, index: usize) -> Result<T, StoreError> {
        let value = self
            .0
            .get(index)
            .ok_or_else(|| StoreError::new(format!("no column {index} in the row")))?;
        T::from_value(value).ok_or_else(|| {
            StoreError::new(format!("column {index} is {value:?}, not a {}", T::KIND))
        })
    }
}

/// A Rust value a column can be read as.
pub trait FromValue: Sized {
    /// What the value is, for an error message.
    const KIND: &'static str;
    /// The value, or `None` when `value` is of another kind.
    fn from_value(value: &SqlValue) -> Option<Self>;
}

impl<T: FromValue> FromValue for Option<T> {
    const KIND: &'static str = T::KIND;
    fn from_value(value: &SqlValue) -> Option<Self> {
        match value {
            SqlValue::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl FromValue for SqlValue {
    const KIND: &'static str = "value";
    fn from_value(value: &SqlValue) -> Option<Self> {
        Some(value.clone())
    }
}

impl FromValue for i64 {
    const KIND: &'static str = "integer";
    fn from_value(value: &SqlValue) -> Option<Self> {
        match value {
            SqlValue::Integer(integer) => Some(*integer),
            _ => None,
        }
    }
}

/// Integers read through `i64`, refused when out of their range.
macro_rules! from_integer {
    ($($kind:ty),*) => {$(
        impl FromValue for $kind {
            const KIND: &'static str = stringify!($kind);
            fn from_value(value: &SqlValue) -> Option<Self> {
                i64::from_value(value).and_then(|integer| <$kind>::try_from(integer).ok())
            }
        }
    )*};
}
from_integer!(i32, u32, u16, u8, u64, usize);

impl FromValue for bool {
    const KIND: &'static str = "boolean (0 or 1)";
    fn from_value(value: &SqlValue) -> Option<Self> {
        i64::from_value(value).map(|integer| integer != 0)
    }
}

impl FromValue for f64 {
    const KIND: &'static str = "number";
    fn from_value(value: &SqlValue) -> Option<Self> {
        match value {
            SqlValue::Real(real) => Some(*real),
            // Integers read as numbers, as SQLite does.
            SqlValue::Integer(integer) => Some(*integer as f64),
            _ => None,
        }
    }
}

impl FromValue for String {
    const KIND: &'static str = "text";
    fn from_value(value: &SqlValue) -> Option<Self> {
        match value {
            SqlValue::Text(text) => Some(text.clone()),
            _ => None,
        }
    }
}

impl FromValue for Vec<u8> {
    const KIND: &'static str = "blob";
    fn from_value(value: &SqlValue) -> Option<Self> {
        match value {
            SqlValue::Blob(bytes) => Some(bytes.clone()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_as_what_they_were_written_as() {
        let row = Row(vec![
            args![7_i64][0].clone(),
            args![Some("站")][0].clone(),
            args![None::<String>][0].clone(),
            args![true][0].clone(),
            args![2.5][0].clone(),
        ]);
        assert_eq!(row.get::<i64>(0), Ok(7));
        assert_eq!(row.get::<String>(1), Ok("站".to_owned()));
        assert_eq!(row.get::<Option<String>>(2), Ok(None));
        assert_eq!(row.get::<bool>(3), Ok(true));
        assert_eq!(row.get::<f64>(4), Ok(2.5));
        assert!(row.get::<String>(0).is_err(), "an integer is not text");
        assert!(row.get::<i64>(5).is_err(), "no such column");
        assert!(
            Row(vec![SqlValue::Integer(-1)]).get::<u8>(0).is_err(),
            "out of range"
        );
    }
}
