//! Text the store cannot keep: PostgreSQL's `TEXT` refuses U+0000 (SQLite keeps it), so a
//! record carrying it would fail at the store on every retry. It is refused where it comes in
//! instead, with a message that says why.

use serde_json::Value;

/// Whether any string in `value` (member names included) contains U+0000.
pub(crate) fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(members) => members
            .iter()
            .any(|(name, member)| name.contains('\0') || contains_nul(member)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// What the relay says of text with U+0000 (Chinese first: phones and terminals show it).
pub(crate) const NUL_REFUSED_ZH: &str = "文本中含 U+0000 字符，无法保存，请去掉后重发";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_is_found_in_nested_strings_and_names_only() {
        assert!(!contains_nul(&json!({"a": ["b", 1, null, {"c": "d"}]})));
        assert!(contains_nul(&json!({"a": ["b", {"c": "d\u{0}"}]})));
        assert!(contains_nul(&json!({"a\u{0}": 1})));
        assert!(
            !contains_nul(&json!("\\u0000")),
            "an escaped text is not U+0000"
        );
    }
}
