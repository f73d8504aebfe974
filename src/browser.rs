//! Small browser facts and helpers: randomness, Web Locks, timers, storage.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::js_error::BrowserError;

/// `n` cryptographically random bytes from `crypto.getRandomValues`.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], BrowserError> {
    let mut bytes = [0u8; N];
    web_sys::window()
        .and_then(|window| window.crypto().ok())
        .ok_or_else(|| BrowserError::new("随机数", "此浏览器没有 crypto"))?
        .get_random_values_with_u8_array(&mut bytes)
        .map_err(|error| BrowserError::from_js("随机数", error))?;
    Ok(bytes)
}

/// A random `u32` (back-off jitter).
pub(crate) fn random_u32() -> u32 {
    random_bytes::<4>().map_or(u32::MAX / 2, u32::from_le_bytes)
}

/// Runs `work` holding the Web Lock `name` if no other tab holds it (`ifAvailable`); returns
/// false without running it when another tab does. Without Web Locks (old browsers) it just
/// runs: the outbox's leases and the relay's recordId ledger still keep records single.
pub(crate) async fn with_lock_if_available<F>(name: &str, work: F) -> Result<bool, BrowserError>
where
    F: std::future::Future<Output = ()> + 'static,
{
    let locks = web_sys::window()
        .map(|window| window.navigator())
        .and_then(|navigator| Reflect::get(&navigator, &"locks".into()).ok())
        .filter(|locks| !locks.is_undefined() && !locks.is_null());
    let Some(locks) = locks else {
        work.await;
        return Ok(true);
    };
    let callback = Closure::once_into_js(move |lock: JsValue| -> Promise {
        future_to_promise(async move {
            if lock.is_null() {
                return Ok(JsValue::FALSE);
            }
            work.await;
            Ok(JsValue::TRUE)
        })
    });
    let options = Object::new();
    let _ = Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    let request: Function = Reflect::get(&locks, &"request".into())
        .map_err(|error| BrowserError::from_js("Web Locks", error))?
        .unchecked_into();
    let promise: Promise = request
        .call3(&locks, &name.into(), &options, &callback)
        .map_err(|error| BrowserError::from_js("Web Locks", error))?
        .unchecked_into();
    let ran = JsFuture::from(promise)
        .await
        .map_err(|error| BrowserError::from_js("Web Locks", error))?;
    Ok(ran.as_bool().unwrap_or(false))
}

/// Calls `callback` once after `delay_ms`; returns the timer handle.
pub(crate) fn set_timeout(callback: impl FnOnce() + 'static, delay_ms: i64) -> Option<i32> {
    let callback = Closure::once_into_js(callback);
    web_sys::window()?
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            callback.unchecked_ref(),
            delay_ms.clamp(0, i64::from(i32::MAX)) as i32,
        )
        .ok()
}

/// Cancels a timer.
pub(crate) fn clear_timeout(handle: i32) {
    if let Some(window) = web_sys::window() {
        window.clear_timeout_with_handle(handle);
    }
}

/// Whether the browser believes it is online.
pub(crate) fn online() -> bool {
    web_sys::window().is_none_or(|window| window.navigator().on_line())
}

/// The storage situation, for the page.
#[derive(Debug, Clone, serde::Serialize, tsify::Tsify)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StorageReport {
    /// The browser promised not to evict our data.
    pub persisted: bool,
    /// Bytes used by this site.
    pub usage_bytes: f64,
    /// Bytes this site may use.
    pub quota_bytes: f64,
    /// Space is running short: fewer than 50 MB or 10 % left.
    pub low: bool,
    /// What to tell the worker (Chinese); empty when all is well.
    pub message: String,
}

/// Space below which storage counts as short, bytes.
const LOW_SPACE_BYTES: f64 = 50.0 * 1024.0 * 1024.0;

/// Asks for persistent storage and reports usage against quota.
pub(crate) async fn storage_report() -> Result<StorageReport, BrowserError> {
    let storage = web_sys::window()
        .map(|window| window.navigator().storage())
        .ok_or_else(|| BrowserError::new("存储空间", "没有 window"))?;
    let persisted = match storage.persist() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        Err(_) => false,
    };
    let estimate: web_sys::StorageEstimate = JsFuture::from(
        storage
            .estimate()
            .map_err(|error| BrowserError::from_js("存储空间", error))?,
    )
    .await
    .map_err(|error| BrowserError::from_js("存储空间", error))?
    .unchecked_into();
    let usage_bytes = estimate.get_usage().unwrap_or(0.0);
    let quota_bytes = estimate.get_quota().unwrap_or(0.0);
    let left = quota_bytes - usage_bytes;
    let low = quota_bytes > 0.0 && (left < LOW_SPACE_BYTES || left < quota_bytes / 10.0);
    let message = if low {
        format!(
            "手机存储空间不足（剩余约 {:.0} MB）。请连上网络让记录上传，或清理手机空间，以免无法保存新的打卡。",
            left / 1024.0 / 1024.0
        )
    } else {
        String::new()
    };
    Ok(StorageReport {
        persisted,
        usage_bytes,
        quota_bytes,
        low,
        message,
    })
}
