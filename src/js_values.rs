//! Small bridges to JS values shared by the JS APIs: an `Error` with a machine `code`, and
//! serde values to and from plain JS objects (through their JSON form, which keeps the module
//! small: serde_json is there anyway).

use js_sys::{Reflect, JSON};
use serde::de::DeserializeOwned;
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

/// A plain JS value read as `T`, through its JSON form; the error says what did not fit.
pub(crate) fn from_js<T: DeserializeOwned>(value: &JsValue) -> Result<T, String> {
    let text = JSON::stringify(value)
        .map_err(|_| "值无法转为 JSON".to_owned())?
        .as_string()
        .unwrap_or_default();
    serde_json::from_str(&text).map_err(|error| error.to_string())
}
