//! The phone module's JS API (`PhoneModule`), for the clock-in page and for teams that build
//! their own page. Every method that waits returns a Promise; failures reject with an `Error`
//! whose message is Chinese and says what to do.

use std::rc::Rc;

use js_sys::{Function, Promise};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::browser::{online, storage_report};
use super::idb;
use super::js_error::js_error;
use super::js_values;
use super::location::{browser_reading, wechat_reading};
use super::phone::{Phone, PhoneConfig};
use super::relay_client::device_now_ms;
use zj_phone::record::outbox::{EntryState, OutboxConfig, StateCounts};
use zj_protocol::phone_api::{OutOfFence, OutOfFenceReason};

/// Default IndexedDB database name.
const DEFAULT_DB: &str = "zj-attendance";
/// Default location timeout, milliseconds.
const DEFAULT_LOCATE_TIMEOUT_MS: u32 = 15_000;
/// How often the page retries on its own, milliseconds.
const PERIODIC_FLUSH_MS: i32 = 30_000;

fn to_js(value: &impl Serialize) -> Result<JsValue, JsValue> {
    Ok(js_values::to_js(value))
}

fn from_js<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, JsValue> {
    js_values::from_js(&value).map_err(js_error)
}

/// The JPEG bytes of a photo given as a Blob, a `CapturedPhoto` (its `jpegBase64`), or base64
/// text; and whether it was taken by a fallback (`lowerTrust`).
async fn photo_bytes(photo: JsValue) -> Result<(Vec<u8>, bool), JsValue> {
    use base64::Engine as _;
    let missing =
        || js_error("请先拍照：photo 必须是照片（Blob、capturePhoto() 的结果或 base64）。");
    if let Some(blob) = photo.dyn_ref::<web_sys::Blob>() {
        return Ok((idb::bytes_of(blob).await.map_err(js_error)?, false));
    }
    let lower_trust = js_sys::Reflect::get(&photo, &"lowerTrust".into())
        .ok()
        .and_then(|value| value.as_bool())
        .unwrap_or(false);
    let text = photo
        .as_string()
        .or_else(|| {
            js_sys::Reflect::get(&photo, &"jpegBase64".into())
                .ok()?
                .as_string()
        })
        .ok_or_else(missing)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| missing())?;
    Ok((bytes, lower_trust))
}

/// Runs `work` with the phone and returns its result as a Promise.
fn promise<F, Fut>(phone: &Rc<Phone>, work: F) -> Promise
where
    F: FnOnce(Rc<Phone>) -> Fut,
    Fut: std::future::Future<Output = Result<JsValue, JsValue>> + 'static,
{
    future_to_promise(work(Rc::clone(phone)))
}

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** What clockIn() takes: the photo as a Blob, capturePhoto()'s result, or base64 JPEG. */
export interface ClockInOptions {
  photo: Blob | CapturedPhoto | string;
  personId?: string;
  liveness?: object;
  fallbackCapture?: boolean;
  /** An out-of-fence request (外勤): only where locate() said `mayRequest`. */
  outOfFence?: OutOfFence;
}
/** One reason of an out-of-fence request, as outOfFenceReasons() lists them. */
export interface OutOfFenceReasonLabel {
  reason: OutOfFenceReason;
  label: string;
}
"#;

/// The outbox and the link, for the page (`status()`).
#[derive(Serialize, tsify::Tsify)]
#[serde(rename_all = "camelCase")]
struct PhoneStatus {
    /// Records in each state.
    #[serde(flatten)]
    counts: StateCounts,
    /// When a record last reached the platform, epoch milliseconds.
    last_delivery_ms: Option<i64>,
    /// Whether the browser says it is online.
    online: bool,
    /// Why sending stopped (credentials revoked), if it did.
    halted: Option<String>,
}

/// The phone module: enrollment, site and fence, location, clock-in, and the outbox.
#[wasm_bindgen]
pub struct PhoneModule {
    phone: Rc<Phone>,
}

#[wasm_bindgen]
impl PhoneModule {
    /// Opens the module's storage (`dbName`, default `"zj-attendance"`) and what it kept.
    pub async fn open(db_name: Option<String>) -> Result<PhoneModule, JsValue> {
        let phone = Phone::open(
            db_name.as_deref().unwrap_or(DEFAULT_DB),
            OutboxConfig::default(),
        )
        .await
        .map_err(js_error)?;
        Ok(PhoneModule { phone })
    }

    /// Whether the phone has credentials.
    #[wasm_bindgen(js_name = isEnrolled)]
    pub fn is_enrolled(&self) -> bool {
        self.phone.config().is_some()
    }

    /// Redeems an enrollment code at the relay (`relayUrl`, e.g. `location.origin`); resolves
    /// to the site.
    #[wasm_bindgen(unchecked_return_type = "Promise<Site>")]
    pub fn enroll(&self, relay_url: String, code: String) -> Promise {
        promise(&self.phone, |phone| async move {
            let site = phone.enroll(&relay_url, &code).await.map_err(js_error)?;
            to_js(&site)
        })
    }

    /// Saves `{relayUrl, credentials: {sn, accessId, accessKey, accessSecret}}` given by a
    /// team's own enrollment.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn configure(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PhoneConfig")] config: JsValue,
    ) -> Promise {
        promise(&self.phone, |phone| async move {
            let config: PhoneConfig = from_js(config)?;
            phone.configure(config).await.map_err(js_error)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The site as last fetched (`null` before enrollment).
    #[wasm_bindgen(unchecked_return_type = "Site | null")]
    pub fn site(&self) -> Result<JsValue, JsValue> {
        to_js(&self.phone.site())
    }

    /// Fetches the site, binding and fence from the relay; resolves to the site.
    #[wasm_bindgen(js_name = fetchSite, unchecked_return_type = "Promise<Site>")]
    pub fn fetch_site(&self) -> Promise {
        promise(&self.phone, |phone| async move {
            let site = phone.fetch_site().await.map_err(js_error)?;
            to_js(&site)
        })
    }

    /// Takes the location (browser, and WeChat when available) and judges it against the
    /// fence; resolves to `{lng, lat, accuracyM, source, sourceCrs, fixAgeMs, warnings, fence:
    /// {verdict, distanceM} | null, mayClockIn, message, takenAtMs}`.
    #[wasm_bindgen(unchecked_return_type = "Promise<LocationResult>")]
    pub fn locate(&self, timeout_ms: Option<u32>) -> Promise {
        promise(&self.phone, |phone| async move {
            let timeout = timeout_ms.unwrap_or(DEFAULT_LOCATE_TIMEOUT_MS);
            let mut readings = Vec::new();
            let mut failure = None;
            match browser_reading(timeout).await {
                Ok(reading) => readings.push(reading),
                Err(error) => failure = Some(error),
            }
            if let Some(Ok(reading)) = wechat_reading(device_now_ms(), timeout).await {
                readings.push(reading);
            }
            if readings.is_empty() {
                return Err(js_error(failure.map_or_else(
                    || "没有取得定位，请打开定位服务后重试。".to_owned(),
                    |error| error.message,
                )));
            }
            let result = phone.judge_location(&readings).await.map_err(js_error)?;
            to_js(&result)
        })
    }

    /// Saves a clock-in: `{photo, personId?, liveness?, fallbackCapture?, outOfFence?}`
    /// (photo: a Blob, `capturePhoto()`'s result, or base64 JPEG; outOfFence: `{reason, note}`,
    /// an out-of-fence request where the last `locate()` said `mayRequest`), using the last
    /// `locate()` result. Resolves to the record id once the record is on disk; uploading
    /// starts at once. Rejects with `outOfFenceProblem()`'s message for a request that cannot
    /// be filed.
    #[wasm_bindgen(js_name = clockIn, unchecked_return_type = "Promise<string>")]
    pub fn clock_in(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ClockInOptions")] options: JsValue,
    ) -> Promise {
        promise(&self.phone, |phone| async move {
            let get = |name: &str| {
                js_sys::Reflect::get(&options, &name.into()).unwrap_or(JsValue::UNDEFINED)
            };
            let (photo, lower_trust) = photo_bytes(get("photo")).await?;
            let person_id = get("personId").as_string();
            let liveness = match get("liveness") {
                value if value.is_undefined() || value.is_null() => None,
                value => Some(from_js::<serde_json::Value>(value)?),
            };
            let fallback = get("fallbackCapture").as_bool().unwrap_or(lower_trust);
            let out_of_fence = match get("outOfFence") {
                value if value.is_undefined() || value.is_null() => None,
                value => Some(out_of_fence(&value).map_err(js_error)?),
            };
            let id = phone
                .clock_in(person_id, photo, liveness, fallback, out_of_fence)
                .await
                .map_err(js_error)?;
            Ok(JsValue::from_str(&id))
        })
    }

    /// Sends what is due now; resolves to the queue counts.
    #[wasm_bindgen(unchecked_return_type = "Promise<StateCounts>")]
    pub fn flush(&self) -> Promise {
        promise(&self.phone, |phone| async move {
            let counts = phone.flush().await.map_err(js_error)?;
            to_js(&counts)
        })
    }

    /// A fresh liveness nonce from the relay, for `new LivenessSession(nonce)`; rejects when
    /// offline (then use a local one: `new LivenessSession()`).
    #[wasm_bindgen(unchecked_return_type = "Promise<Challenge>")]
    pub fn challenge(&self) -> Promise {
        promise(&self.phone, |phone| async move {
            let challenge = phone.challenge().await.map_err(js_error)?;
            to_js(&challenge)
        })
    }

    /// Sends a heartbeat (learns the relay's clock); resolves to the fence version the relay
    /// announced, and refetches the site when it differs from the one kept.
    #[wasm_bindgen(unchecked_return_type = "Promise<number | null>")]
    pub fn heartbeat(&self) -> Promise {
        promise(&self.phone, |phone| async move {
            let version = phone.heartbeat().await.map_err(js_error)?;
            let kept = phone
                .site()
                .and_then(|site| site.fence.map(|fence| fence.version));
            if version != kept {
                phone.fetch_site().await.map_err(js_error)?;
            }
            to_js(&version)
        })
    }

    /// The phone's out-of-fence requests from the relay (`GET /v1/requests`): `{requests:
    /// [{recordId, personId, recordTimeMs, outOfFence: {reason, note}, state: "pending" |
    /// "approved" | "rejected", autoApproved, comment, decidedAtMs, atPlatform}], changedAtMs}`,
    /// newest first. Call it on start, on a `requestsChanged` event, and when the worker asks.
    #[wasm_bindgen(unchecked_return_type = "Promise<PhoneRequests>")]
    pub fn requests(&self) -> Promise {
        promise(&self.phone, |phone| async move {
            phone.requests().await.map_err(js_error)
        })
    }

    /// `{pending, sending, done, failed, requested, lastDeliveryMs, online, halted}`.
    #[wasm_bindgen(unchecked_return_type = "Promise<PhoneStatus>")]
    pub fn status(&self) -> Promise {
        promise(&self.phone, |phone| async move {
            let counts = phone.outbox().counts().await.map_err(js_error)?;
            to_js(&PhoneStatus {
                counts,
                last_delivery_ms: phone.last_delivery_ms(),
                online: online(),
                halted: phone.halted(),
            })
        })
    }

    /// Up to `limit` records in `state` (`"pending"`, `"sending"`, `"done"`, `"failed"`,
    /// `"requested"`), oldest first, without their photos.
    #[wasm_bindgen(unchecked_return_type = "Promise<OutboxRecord[]>")]
    pub fn list(&self, state: String, limit: Option<u32>) -> Promise {
        promise(&self.phone, |phone| async move {
            let state: EntryState = from_js(JsValue::from_str(&state))?;
            let entries = phone
                .outbox()
                .list(state, limit.unwrap_or(100) as usize)
                .await
                .map_err(js_error)?;
            to_js(&entries)
        })
    }

    /// Puts a failed record back in the queue; resolves to whether there was one.
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn retry(&self, record_id: String) -> Promise {
        promise(&self.phone, |phone| async move {
            let requeued = phone
                .outbox()
                .retry_failed(&record_id, device_now_ms())
                .await
                .map_err(js_error)?;
            if requeued {
                let _ = phone.flush().await;
            }
            Ok(JsValue::from_bool(requeued))
        })
    }

    /// Every failed record with its reason and photo (base64), as JSON text for a manager.
    #[wasm_bindgen(js_name = exportFailed, unchecked_return_type = "Promise<string>")]
    pub fn export_failed(&self) -> Promise {
        promise(&self.phone, |phone| async move {
            let outbox = phone.outbox();
            let mut exported = Vec::new();
            for entry in outbox
                .list(EntryState::Failed, usize::MAX)
                .await
                .map_err(js_error)?
            {
                let photo = outbox.photo(&entry.id).await.map_err(js_error)?;
                exported.push(serde_json::json!({
                    "record": entry,
                    "photoBase64": photo.map(|bytes| {
                        use base64::Engine as _;
                        base64::engine::general_purpose::STANDARD.encode(bytes)
                    }),
                }));
            }
            Ok(JsValue::from_str(
                &serde_json::Value::Array(exported).to_string(),
            ))
        })
    }

    /// Asks for persistent storage and reports `{persisted, usageBytes, quotaBytes, low,
    /// message}`.
    #[wasm_bindgen(unchecked_return_type = "Promise<StorageReport>")]
    pub fn storage(&self) -> Promise {
        future_to_promise(async move {
            let report = storage_report().await.map_err(js_error)?;
            to_js(&report)
        })
    }

    /// Calls `listener(event)` for each event: `{type: "saved" | "delivered" | "retry" |
    /// "failed" | "requested" | "requestsChanged" | "halted" | "idle", recordId, message,
    /// counts}`. `requested`: a record reached the relay as an out-of-fence request;
    /// `requestsChanged`: a heartbeat said a manager decided a request (call `requests()`).
    #[wasm_bindgen(js_name = onEvent)]
    pub fn on_event(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(event: PhoneEvent) => void")] listener: Function,
    ) {
        self.phone.on_event(Box::new(move |event| {
            if let Ok(value) = to_js(event) {
                let _ = listener.call1(&JsValue::NULL, &value);
            }
        }));
    }

    /// Starts sending on its own: now, when the browser comes back online, when the page
    /// becomes visible, and every 30 s.
    pub fn start(&self) -> Result<(), JsValue> {
        let window = web_sys::window().ok_or_else(|| js_error("没有 window"))?;
        let flush = {
            let phone = Rc::clone(&self.phone);
            move || {
                let phone = Rc::clone(&phone);
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = phone.flush().await;
                });
            }
        };
        let on_online = Closure::<dyn Fn()>::new(flush.clone());
        window.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref())?;
        on_online.forget(); // lives as long as the page
        let visible = flush.clone();
        let on_visible = Closure::<dyn Fn()>::new(move || {
            let shown = web_sys::window()
                .and_then(|window| window.document())
                .is_some_and(|document| {
                    document.visibility_state() == web_sys::VisibilityState::Visible
                });
            if shown {
                visible();
            }
        });
        if let Some(document) = window.document() {
            document.add_event_listener_with_callback(
                "visibilitychange",
                on_visible.as_ref().unchecked_ref(),
            )?;
        }
        on_visible.forget();
        let periodic = Closure::<dyn Fn()>::new(flush.clone());
        window.set_interval_with_callback_and_timeout_and_arguments_0(
            periodic.as_ref().unchecked_ref(),
            PERIODIC_FLUSH_MS,
        )?;
        periodic.forget();
        flush();
        Ok(())
    }

    /// Closes the storage (the module is unusable afterwards; tests reopen it).
    pub fn close(&self) {
        self.phone.close();
    }
}

/// An out-of-fence request given by the page, or why it cannot be filed (Chinese). Read member
/// by member: a serde reading of the type would add to the module for nothing.
fn out_of_fence(value: &JsValue) -> Result<OutOfFence, String> {
    let member = |name: &str| {
        js_sys::Reflect::get(value, &name.into())
            .ok()
            .and_then(|member| member.as_string())
    };
    let reason = member("reason").and_then(|reason| reason.parse::<OutOfFenceReason>().ok());
    let request = OutOfFence {
        reason: reason.ok_or("请选择外勤原因。")?,
        note: member("note").unwrap_or_default(),
    };
    match request.problem_zh() {
        Some(problem) => Err(problem.to_owned()),
        None => Ok(request),
    }
}

/// Why an out-of-fence request `{reason, note}` cannot be filed (Chinese, saying what to do),
/// or `undefined` when it can: the page checks before the camera step, with the same rule
/// `clockIn()` applies.
#[wasm_bindgen(js_name = outOfFenceProblem)]
pub fn out_of_fence_problem(
    #[wasm_bindgen(unchecked_param_type = "OutOfFence")] request: JsValue,
) -> Option<String> {
    out_of_fence(&request).err()
}

/// The reasons of an out-of-fence request in the order to list them, each with its Chinese
/// label: `[{reason, label}]` (the one list, `OutOfFenceReason`, that the relay's exports use).
#[wasm_bindgen(
    js_name = outOfFenceReasons,
    unchecked_return_type = "OutOfFenceReasonLabel[]"
)]
pub fn out_of_fence_reasons() -> JsValue {
    // Codes and labels are plain words (no quotes, no backslashes): written as JSON directly.
    let mut json = String::from("[");
    for reason in OutOfFenceReason::ALL {
        let comma = if json.len() > 1 { "," } else { "" };
        json += &format!(
            r#"{comma}{{"reason":"{}","label":"{}"}}"#,
            reason.as_str(),
            reason.label_zh()
        );
    }
    js_sys::JSON::parse(&(json + "]")).unwrap_or(JsValue::NULL)
}
