//! JS exceptions turned into typed errors at the boundary, and back.

use wasm_bindgen::{JsCast, JsValue};

/// A failure of a browser API, with the browser's own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{context}: {message}")]
pub struct BrowserError {
    /// What we were doing (Chinese, for the worker).
    pub context: &'static str,
    /// What the browser said.
    pub message: String,
}

impl BrowserError {
    /// Wraps a thrown value or a rejected promise's reason.
    pub fn from_js(context: &'static str, value: JsValue) -> Self {
        let message = value
            .dyn_ref::<js_sys::Error>()
            .map(|error| String::from(error.message()))
            .or_else(|| {
                value
                    .dyn_ref::<web_sys::DomException>()
                    .map(|error| format!("{}: {}", error.name(), error.message()))
            })
            .or_else(|| value.as_string())
            // Its JSON (not its debug string: wasm-bindgen's `debugString` costs the glue
            // half a kilobyte).
            .or_else(|| js_sys::JSON::stringify(&value).ok()?.as_string())
            .unwrap_or_else(|| "unknown".into());
        BrowserError { context, message }
    }

    /// A failure with a message of our own.
    pub fn new(context: &'static str, message: impl Into<String>) -> Self {
        BrowserError {
            context,
            message: message.into(),
        }
    }
}

/// Any displayable error as a JS `Error` (what the JS API throws).
pub(crate) fn js_error(error: impl std::fmt::Display) -> JsValue {
    js_sys::Error::new(&error.to_string()).into()
}
