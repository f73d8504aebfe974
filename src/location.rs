//! Location sources of the browser: `navigator.geolocation` (WGS-84) and, inside WeChat with
//! the JS-SDK configured, `wx.getLocation` asked for GCJ-02.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::js_error::BrowserError;
use zj_phone::record::location::{Crs, LocationReading, LocationSource};

const CONTEXT: &str = "定位";

/// One high-accuracy fix from `navigator.geolocation`, never a cached one (`maximumAge: 0`).
pub(crate) async fn browser_reading(timeout_ms: u32) -> Result<LocationReading, BrowserError> {
    let geolocation = web_sys::window()
        .map(|window| window.navigator())
        .and_then(|navigator| navigator.geolocation().ok())
        .ok_or_else(|| {
            BrowserError::new(CONTEXT, "此浏览器不支持定位，请换用微信或系统浏览器打开。")
        })?;
    let options = web_sys::PositionOptions::new();
    options.set_enable_high_accuracy(true);
    options.set_maximum_age(0);
    options.set_timeout(timeout_ms);
    let promise = Promise::new(&mut |resolve, reject| {
        if let Err(error) = geolocation.get_current_position_with_error_callback_and_options(
            &resolve,
            Some(&reject),
            &options,
        ) {
            let _ = reject.call1(&JsValue::NULL, &error);
        }
    });
    // `Position` is the stable binding of what browsers now call `GeolocationPosition`.
    let position: web_sys::Position = JsFuture::from(promise)
        .await
        .map_err(position_error)?
        .unchecked_into();
    let coords = position.coords();
    Ok(LocationReading {
        source: LocationSource::Browser,
        crs: Crs::Wgs84,
        lng: coords.longitude(),
        lat: coords.latitude(),
        accuracy_m: coords.accuracy(),
        fix_time_ms: position.timestamp() as i64,
    })
}

/// A plain message for each geolocation failure, saying what to do.
fn position_error(error: JsValue) -> BrowserError {
    // A `GeolocationPositionError`: read its `code` (1 denied, 2 unavailable, 3 timeout).
    let code = Reflect::get(&error, &"code".into())
        .ok()
        .and_then(|code| code.as_f64());
    let message = match code {
        Some(1.0) => "没有定位权限。请在弹出的提示中选择“允许”，或在手机设置里允许微信/浏览器使用位置信息，然后重试。",
        Some(2.0) => "暂时无法取得位置。请打开手机的定位服务（GPS），到开阔处后重试。",
        Some(3.0) => "定位超时。请到开阔处稍等片刻后重试。",
        _ => return BrowserError::from_js(CONTEXT, error),
    };
    BrowserError::new(CONTEXT, message)
}

/// The WeChat JS-SDK object when the page runs inside WeChat with the SDK loaded.
fn wechat_sdk() -> Option<Object> {
    let window = web_sys::window()?;
    let wx = Reflect::get(&window, &"wx".into()).ok()?;
    let get_location = Reflect::get(&wx, &"getLocation".into()).ok()?;
    get_location.is_function().then(|| wx.unchecked_into())
}

/// One fix from `wx.getLocation({type: "gcj02"})`, or `None` outside WeChat. Fails after
/// `timeout_ms` if WeChat never answers (an unconfigured SDK calls neither callback).
pub(crate) async fn wechat_reading(
    now_ms: i64,
    timeout_ms: u32,
) -> Option<Result<LocationReading, BrowserError>> {
    let wx = wechat_sdk()?;
    let promise = Promise::new(&mut |resolve: Function, reject: Function| {
        let options = Object::new();
        let _ = Reflect::set(&options, &"type".into(), &"gcj02".into());
        let _ = Reflect::set(&options, &"success".into(), &resolve);
        let _ = Reflect::set(&options, &"fail".into(), &reject);
        let _ = Reflect::set(&options, &"cancel".into(), &reject);
        let timer = Closure::once_into_js(move || {
            let _ = reject.call1(&JsValue::NULL, &"timeout".into());
        });
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                timer.unchecked_ref(),
                timeout_ms as i32,
            );
        }
        let get_location: Function = Reflect::get(&wx, &"getLocation".into())
            .map(JsCast::unchecked_into)
            .unwrap_or_else(|_| Function::new_no_args(""));
        let _ = get_location.call1(&wx, &options);
    });
    let outcome = JsFuture::from(promise).await;
    Some(
        outcome
            .map_err(|error| BrowserError::from_js("微信定位", error))
            .and_then(|result| {
                let number = |name: &str| {
                    Reflect::get(&result, &name.into())
                        .ok()
                        .and_then(|v| v.as_f64())
                };
                match (number("longitude"), number("latitude")) {
                    (Some(lng), Some(lat)) => Ok(LocationReading {
                        source: LocationSource::Wechat,
                        crs: Crs::Gcj02,
                        lng,
                        lat,
                        // Some WeChat versions report no accuracy: take it as poor rather than exact.
                        accuracy_m: number("accuracy").unwrap_or(65.0),
                        fix_time_ms: now_ms,
                    }),
                    _ => Err(BrowserError::new("微信定位", "微信没有返回坐标")),
                }
            }),
    )
}
