//! Small bridges to JS values shared by the JS APIs: an `Error` with a machine `code`, and a
//! serde value as a plain JS object.

use js_sys::{Reflect, JSON};
use serde::Serialize;
use wasm_bindgen::JsValue;

/// A JS `Error` with `message`, a machine `code`, and `fallback` (whether to offer
/// `capturePhotoFallback()`).
pub(crate) fn thrown(message: &str, code: &str, fallback: bool) -> JsValue {
    let error = js_sys::Error::new(message);
    let _ = Reflect::set(&error, &"code".into(), &code.into());
    let _ = Reflect::set(&error, &"fallback".into(), &fallback.into());
    error.into()
}

/// A value as a plain JS object, through its JSON form.
pub(crate) fn to_js(value: &impl Serialize) -> JsValue {
    serde_json::to_string(value)
        .ok()
        .and_then(|text| JSON::parse(&text).ok())
        .unwrap_or(JsValue::NULL)
}
