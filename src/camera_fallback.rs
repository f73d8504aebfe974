//! Photos without `getUserMedia`: WeChat's JS-SDK `chooseImage` with the camera when the page
//! runs in WeChat (`wx` configured by the page), else a file input that opens the front camera
//! (`<input type=file accept=image/* capture=user>`). Both are lower-trust: no live frames, so no
//! challenge. Call from a tap handler: browsers open pickers only on a user gesture.

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlImageElement, HtmlInputElement, Url};

use super::camera_capture::{Canvas, CaptureError};
use zj_phone::liveness::CaptureSource;

/// Longest side of a fallback photo after scaling down, pixels (phone cameras give 4000).
const MAX_SIDE: u32 = 640;

/// Takes a photo by the best fallback there is and draws it, scaled to at most 640 px, on a new
/// canvas.
pub(crate) async fn take_fallback_photo() -> Result<(Canvas, CaptureSource), CaptureError> {
    let window = web_sys::window().ok_or_else(|| CaptureError::Browser("no window".into()))?;
    let wx = Reflect::get(&window, &"wx".into()).unwrap_or(JsValue::UNDEFINED);
    let has_choose = Reflect::get(&wx, &"chooseImage".into()).is_ok_and(|f| f.is_function());
    let (url, source, revoke) = if has_choose {
        (wechat_photo(&wx).await?, CaptureSource::Wechat, false)
    } else {
        (file_input_photo().await?, CaptureSource::FileInput, true)
    };
    let image = HtmlImageElement::new().map_err(CaptureError::browser)?;
    image.set_src(&url);
    let decoded = JsFuture::from(image.decode()).await;
    if revoke {
        let _ = Url::revoke_object_url(&url);
    }
    decoded.map_err(|_| CaptureError::Browser("图片无法读取".into()))?;
    let (w, h) = (image.natural_width(), image.natural_height());
    let scale = (f64::from(MAX_SIDE) / f64::from(w.max(h).max(1))).min(1.0);
    let canvas = Canvas::new(true)?;
    let size = |v: u32| ((f64::from(v) * scale).round() as u32).max(1);
    canvas.draw(&image, size(w), size(h))?;
    Ok((canvas, source))
}

/// `wx.chooseImage({sourceType: ['camera']})` then `wx.getLocalImgData`: a `data:` URL.
async fn wechat_photo(wx: &JsValue) -> Result<String, CaptureError> {
    let chosen = wx_call(wx, "chooseImage", |options| {
        let _ = Reflect::set(options, &"count".into(), &1.into());
        let sizes = Array::of1(&"compressed".into());
        let _ = Reflect::set(options, &"sizeType".into(), &sizes);
        let _ = Reflect::set(options, &"sourceType".into(), &Array::of1(&"camera".into()));
    })
    .await?;
    let local_id = Reflect::get(&chosen, &"localIds".into())
        .ok()
        .map(|ids| Array::from(&ids).get(0))
        .filter(|id| id.is_string())
        .ok_or(CaptureError::Cancelled)?;
    let data = wx_call(wx, "getLocalImgData", |options| {
        let _ = Reflect::set(options, &"localId".into(), &local_id);
    })
    .await?;
    let base64 = Reflect::get(&data, &"localData".into())
        .ok()
        .and_then(|d| d.as_string())
        .ok_or_else(|| CaptureError::Browser("getLocalImgData gave no data".into()))?;
    // iOS gives a data: URL, Android bare base64.
    Ok(if base64.starts_with("data:") {
        base64
    } else {
        format!("data:image/jpeg;base64,{base64}")
    })
}

/// Calls `wx[method](options)` with `success`, `fail` and `cancel` callbacks as a future.
async fn wx_call(
    wx: &JsValue,
    method: &str,
    fill: impl FnOnce(&Object),
) -> Result<JsValue, CaptureError> {
    let function: Function = Reflect::get(wx, &method.into())
        .map_err(CaptureError::browser)?
        .dyn_into()
        .map_err(|_| CaptureError::Browser(format!("wx.{method} is missing")))?;
    let options = Object::new();
    fill(&options);
    let promise = Promise::new(&mut |resolve, reject| {
        let _ = Reflect::set(&options, &"success".into(), &resolve);
        let _ = Reflect::set(&options, &"fail".into(), &reject);
        let cancelled =
            Closure::once_into_js(move || reject.call1(&JsValue::NULL, &"cancel".into()));
        let _ = Reflect::set(&options, &"cancel".into(), &cancelled);
    });
    function
        .call1(wx, &options)
        .map_err(CaptureError::browser)?;
    JsFuture::from(promise).await.map_err(|e| {
        if e.as_string().as_deref() == Some("cancel") {
            CaptureError::Cancelled
        } else {
            let message = Reflect::get(&e, &"errMsg".into()).unwrap_or(e);
            CaptureError::browser(message)
        }
    })
}

/// A file input with `capture=user`, clicked; an object URL of the chosen file.
async fn file_input_photo() -> Result<String, CaptureError> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| CaptureError::Browser("no document".into()))?;
    let input: HtmlInputElement = document
        .create_element("input")
        .map_err(CaptureError::browser)?
        .unchecked_into();
    input.set_type("file");
    input.set_accept("image/*");
    let _ = input.set_attribute("capture", "user");
    let chosen = Promise::new(&mut |resolve, reject| {
        input.set_onchange(Some(resolve.unchecked_ref()));
        // Browsers that know the `cancel` event say when the picker closed empty.
        let _ = input.add_event_listener_with_callback("cancel", reject.unchecked_ref());
    });
    input.click();
    let outcome = JsFuture::from(chosen).await;
    input.set_onchange(None);
    outcome.map_err(|_| CaptureError::Cancelled)?;
    let file = input
        .files()
        .and_then(|files| files.get(0))
        .ok_or(CaptureError::Cancelled)?;
    Url::create_object_url_with_blob(&file).map_err(CaptureError::browser)
}
