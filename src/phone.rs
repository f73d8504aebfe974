//! The phone module's state in the page: credentials, site and fence, the outbox and the
//! uploader that drains it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use futures_util::future::join_all;
use futures_util::lock::Mutex;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

use super::browser::{self, random_bytes, random_u32, with_lock_if_available};
use super::idb_outbox::IdbOutboxStore;
use super::js_error::BrowserError;
use super::relay_client::{device_now_ms, enroll, CallError, RelayClient};
use zj_geofence::{Check, PreparedFence};
use zj_phone::record::clock::{corrected_time, ClockOffset};
use zj_phone::record::location::{assess, LastPlace, Located, LocationPolicy, LocationReading};
use zj_phone::record::outbox::{Claimed, Outbox, OutboxConfig, Settled, StateCounts};
use zj_phone::record::site::{prepare_fence, SiteInfo};
use zj_phone::record::upload::Disposition;
use zj_phone::record::{
    decide_fence, record_id_from_random, ClockEvidence, FenceDecision, FenceEvidence,
    PhoneCredentials, RequestsWatch, SignInDraft,
};
use zj_protocol::phone_api::{Challenge, OutOfFence, UncertainPolicy};

/// Settings kept in the store's meta table.
const CONFIG_KEY: &str = "config";
const SITE_KEY: &str = "site";
const CLOCK_KEY: &str = "clock";
const LAST_PLACE_KEY: &str = "lastPlace";
const ACCURACIES_KEY: &str = "recentAccuracies";
/// How many recent accuracies are kept for the repeated-accuracy check.
const KEPT_ACCURACIES: usize = 5;
/// A location older than this at clock-in must be taken again, milliseconds.
const MAX_LOCATION_AGE_MS: i64 = 120_000;
/// Delivered records are forgotten after this, milliseconds (a week).
const KEEP_DELIVERED_MS: i64 = 7 * 24 * 3600 * 1000;
/// Records sent at once: the relay commits their ledger entries together, and the outbox
/// leases and settles them in one write each.
const IN_FLIGHT: usize = 8;
/// The Web Lock that makes one tab the sender.
const SENDER_LOCK: &str = "zj-attendance-outbox-sender";

/// Where the relay is and who this phone is.
#[derive(tsify::Tsify, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneConfig {
    /// The relay's base URL (no trailing slash).
    pub relay_url: String,
    /// The phone's credentials.
    pub credentials: PhoneCredentials,
}

/// A location taken for a clock-in, with its fence check.
#[derive(tsify::Tsify, Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationResult {
    /// The position, provenance and warnings.
    #[serde(flatten)]
    pub located: Located,
    /// The fence check, when the site has a fence.
    pub fence: Option<Check>,
    /// Whether a clock-in may go ahead here.
    pub may_clock_in: bool,
    /// Whether an out-of-fence request (外勤) may be filed here instead: the fence refused the
    /// fix (outside, or uncertain on a site that rejects uncertain fixes).
    pub may_request: bool,
    /// Why not, or a warning to show (Chinese); empty when all is well.
    pub message: String,
    /// When it was taken, device clock, epoch milliseconds.
    pub taken_at_ms: i64,
}

/// What happened, for [`PhoneEvent`].
#[derive(tsify::Tsify, Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PhoneEventKind {
    /// A record is on the phone's disk.
    Saved,
    /// A record reached the platform.
    Delivered,
    /// A send failed for now; the record waits and goes again.
    Retry,
    /// A record was refused for good (kept, exportable).
    Failed,
    /// An out-of-fence request reached the relay, which keeps it for a manager's decision.
    Requested,
    /// A heartbeat said a manager decided one of this phone's requests since the list was last
    /// fetched: fetch it again (`requests()`).
    RequestsChanged,
    /// Sending stopped: the phone's credentials were revoked.
    Halted,
    /// Nothing is waiting.
    Idle,
}

/// One event for the page.
#[derive(tsify::Tsify, Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneEvent {
    /// What happened.
    #[serde(rename = "type")]
    pub kind: PhoneEventKind,
    /// The record concerned, if any.
    pub record_id: Option<String>,
    /// For the worker (Chinese).
    pub message: String,
    /// Queue counts after the event.
    pub counts: StateCounts,
}

/// A page's callback for [`PhoneEvent`]s.
pub type Listener = Box<dyn Fn(&PhoneEvent)>;

/// The phone module in one page.
pub struct Phone {
    store: IdbOutboxStore,
    outbox: Outbox<IdbOutboxStore>,
    config: RefCell<Option<PhoneConfig>>,
    site: RefCell<Option<SiteInfo>>,
    fence: RefCell<Option<(u64, PreparedFence)>>,
    client: Mutex<Option<RelayClient>>,
    last_location: RefCell<Option<LocationResult>>,
    flushing: Cell<bool>,
    timer: Cell<Option<i32>>,
    halted: RefCell<Option<String>>,
    last_delivery_ms: Cell<Option<i64>>,
    /// When the out-of-fence requests should be fetched again.
    requests_watch: Cell<RequestsWatch>,
    listeners: RefCell<Vec<Listener>>,
}

impl Phone {
    /// Opens the outbox database `db_name` with the policy's `outbox` settings and loads what
    /// was saved.
    pub async fn open(db_name: &str, outbox: OutboxConfig) -> Result<Rc<Phone>, BrowserError> {
        let store = IdbOutboxStore::open(db_name).await?;
        let config: Option<PhoneConfig> = store.meta(CONFIG_KEY).await?;
        let site: Option<SiteInfo> = store.meta(SITE_KEY).await?;
        let clock: Option<ClockOffset> = store.meta(CLOCK_KEY).await?;
        let client = config
            .as_ref()
            .map(|config| RelayClient::new(&config.relay_url, config.credentials.clone(), clock));
        let phone = Rc::new(Phone {
            outbox: Outbox::new(store.clone(), outbox),
            store,
            config: RefCell::new(config),
            site: RefCell::new(None),
            fence: RefCell::new(None),
            client: Mutex::new(client),
            last_location: RefCell::new(None),
            flushing: Cell::new(false),
            timer: Cell::new(None),
            halted: RefCell::new(None),
            last_delivery_ms: Cell::new(None),
            requests_watch: Cell::default(),
            listeners: RefCell::new(Vec::new()),
        });
        if let Some(site) = site {
            phone.set_site(site);
        }
        Ok(phone)
    }

    /// The outbox.
    pub fn outbox(&self) -> &Outbox<IdbOutboxStore> {
        &self.outbox
    }

    /// Closes the database (tests reopen it).
    pub fn close(&self) {
        self.store.close();
    }

    /// Adds a listener for [`PhoneEvent`]s.
    pub fn on_event(&self, listener: Listener) {
        self.listeners.borrow_mut().push(listener);
    }

    async fn emit(&self, kind: PhoneEventKind, record_id: Option<String>, message: String) {
        self.emit_all(vec![(kind, record_id, message)]).await;
    }

    /// Tells the listeners about several events, with the queue counts after them (counted
    /// once: counting is a scan of the store's index).
    async fn emit_all(&self, events: Vec<(PhoneEventKind, Option<String>, String)>) {
        if self.listeners.borrow().is_empty() || events.is_empty() {
            return;
        }
        let counts = self.outbox.counts().await.unwrap_or_default();
        for (kind, record_id, message) in events {
            let event = PhoneEvent {
                kind,
                record_id,
                message,
                counts,
            };
            for listener in self.listeners.borrow().iter() {
                listener(&event);
            }
        }
    }

    /// The saved configuration.
    pub fn config(&self) -> Option<PhoneConfig> {
        self.config.borrow().clone()
    }

    /// Saves the relay URL and credentials (from enrollment, or given by a team's own page).
    pub async fn configure(&self, config: PhoneConfig) -> Result<(), BrowserError> {
        self.store.set_meta(CONFIG_KEY, &config).await?;
        let clock = self.store.meta(CLOCK_KEY).await?;
        *self.client.lock().await = Some(RelayClient::new(
            &config.relay_url,
            config.credentials.clone(),
            clock,
        ));
        *self.config.borrow_mut() = Some(config);
        *self.halted.borrow_mut() = None;
        Ok(())
    }

    /// Redeems an enrollment code at the relay: saves the credentials and the site.
    pub async fn enroll(&self, relay_url: &str, code: &str) -> Result<SiteInfo, CallError> {
        let enrollment = enroll(relay_url, code.trim()).await?;
        let config = PhoneConfig {
            relay_url: relay_url.trim_end_matches('/').to_owned(),
            credentials: enrollment.phone,
        };
        self.configure(config).await.map_err(store_failure)?;
        self.save_site(enrollment.site.clone())
            .await
            .map_err(store_failure)?;
        Ok(enrollment.site)
    }

    /// The site as last fetched.
    pub fn site(&self) -> Option<SiteInfo> {
        self.site.borrow().clone()
    }

    /// Fetches the site and its fence from the relay and keeps them.
    pub async fn fetch_site(&self) -> Result<SiteInfo, CallError> {
        let client = self.client.lock().await;
        let client = client.as_ref().ok_or_else(not_enrolled)?;
        let site: SiteInfo = client.get_json("/v1/site").await?;
        self.save_site(site.clone()).await.map_err(store_failure)?;
        Ok(site)
    }

    async fn save_site(&self, site: SiteInfo) -> Result<(), BrowserError> {
        self.store.set_meta(SITE_KEY, &site).await?;
        self.set_site(site);
        Ok(())
    }

    fn set_site(&self, site: SiteInfo) {
        let prepared = site.fence.as_ref().and_then(|fence| {
            let prepared = prepare_fence(fence).ok()?;
            Some((fence.version, prepared))
        });
        *self.fence.borrow_mut() = prepared;
        *self.site.borrow_mut() = Some(site);
    }

    /// Judges readings (one per source) for a clock-in: warnings, fence check, decision. The
    /// result is kept for [`clock_in`](Self::clock_in).
    pub async fn judge_location(
        &self,
        readings: &[LocationReading],
    ) -> Result<LocationResult, BrowserError> {
        let now = device_now_ms();
        let recent: Vec<f64> = self.store.meta(ACCURACIES_KEY).await?.unwrap_or_default();
        let last: Option<LastPlace> = self.store.meta(LAST_PLACE_KEY).await?;
        let located = assess(
            readings,
            &recent,
            last.as_ref(),
            now,
            &LocationPolicy::default(),
        )
        .map_err(|error| BrowserError::new("定位", error.to_string()))?;
        let mut accuracies = recent;
        accuracies.push(located.accuracy_m);
        let keep_from = accuracies.len().saturating_sub(KEPT_ACCURACIES);
        self.store
            .set_meta(ACCURACIES_KEY, &accuracies[keep_from..].to_vec())
            .await?;

        let (fence, may_clock_in, may_request, message) = self.fence_verdict(&located);
        let result = LocationResult {
            located,
            fence,
            may_clock_in,
            may_request,
            message,
            taken_at_ms: now,
        };
        *self.last_location.borrow_mut() = Some(result.clone());
        Ok(result)
    }

    /// The fence check of `located`, whether a clock-in may go ahead, whether an out-of-fence
    /// request may be filed instead, and the message for the worker.
    fn fence_verdict(&self, located: &Located) -> (Option<Check>, bool, bool, String) {
        let fence = self.fence.borrow();
        let Some((version, prepared)) = fence.as_ref() else {
            return (None, true, false, "本工地尚未设置电子围栏。".into());
        };
        let fix = match located.fix() {
            Ok(fix) => fix,
            Err(error) => return (None, false, false, error.to_string()),
        };
        match prepared.check(&fix) {
            Err(error) => (
                None,
                false,
                false,
                format!("定位精度不够（{error}）。请到开阔处稍等片刻再试。"),
            ),
            Ok(check) => {
                let decision = decide_fence(&check, *version, self.uncertain_policy());
                let may_request = decision.may_request();
                match decision {
                    FenceDecision::Accept(_) => (Some(check), true, false, String::new()),
                    FenceDecision::Refuse { message, .. } => {
                        (Some(check), false, may_request, message.into())
                    }
                }
            }
        }
    }

    fn uncertain_policy(&self) -> UncertainPolicy {
        self.site
            .borrow()
            .as_ref()
            .and_then(|site| site.fence.as_ref().map(|fence| fence.uncertain_policy))
            .unwrap_or_default()
    }

    /// Saves a clock-in durably: the last judged location, the photo (JPEG bytes), the
    /// liveness evidence, and for an out-of-fence request (外勤) its reason and note (checked
    /// here; a request is only taken where the fence refused the location). Returns the saved
    /// record's id once it is on disk; then starts an upload.
    pub async fn clock_in(
        self: &Rc<Self>,
        person_id: Option<String>,
        photo: Vec<u8>,
        liveness: Option<serde_json::Value>,
        fallback_capture: bool,
        out_of_fence: Option<OutOfFence>,
    ) -> Result<String, BrowserError> {
        let refuse = |message: &str| Err(BrowserError::new("打卡", message));
        let Some(location) = self.last_location.borrow().clone() else {
            return refuse("请先定位，再打卡。");
        };
        let now = device_now_ms();
        if now - location.taken_at_ms > MAX_LOCATION_AGE_MS {
            return refuse("定位已超过两分钟，请重新定位后再打卡。");
        }
        if let Some(problem) = out_of_fence.as_ref().and_then(OutOfFence::problem_zh) {
            return refuse(problem);
        }
        let requested = out_of_fence.is_some() && location.may_request;
        if !location.may_clock_in && !requested {
            return refuse(&location.message);
        }
        if photo.is_empty() {
            return refuse("没有拍到照片，请重新拍照。");
        }
        let person_id = match person_id.filter(|id| !id.is_empty()) {
            Some(id) => id,
            None => match self.site().and_then(|site| site.person) {
                Some(person) => person.person_id,
                None => return refuse("请先选择打卡人员。"),
            },
        };
        let fence =
            self.fence
                .borrow()
                .as_ref()
                .zip(location.fence)
                .map(|((version, _), check)| FenceEvidence {
                    version: *version,
                    verdict: check.verdict,
                    distance_m: check.distance_m,
                    // Accepted although uncertain (the site's `flag` policy); an uncertain
                    // fix filed as a request is not "accepted".
                    flagged: check.verdict == zj_geofence::Verdict::Uncertain
                        && location.may_clock_in,
                });
        let clock: Option<ClockOffset> = self.store.meta(CLOCK_KEY).await?;
        let mut located = location.located.clone();
        located.fix_age_ms += now - location.taken_at_ms;
        let draft = SignInDraft {
            record_id: record_id_from_random(random_bytes()?),
            person_id,
            record_time_ms: corrected_time(clock.as_ref(), now),
            clock: ClockEvidence {
                device_time_ms: now,
                offset_ms: clock.map(|clock| clock.offset_ms),
            },
            location: located,
            fence,
            liveness,
            fallback_capture,
            out_of_fence,
        };
        let place = draft.location.place(draft.record_time_ms);
        let id = draft.record_id.clone();
        self.outbox.enqueue(vec![(draft, photo)], now).await?;
        self.store.set_meta(LAST_PLACE_KEY, &place).await?;
        *self.last_location.borrow_mut() = None;
        self.emit(
            PhoneEventKind::Saved,
            Some(id.clone()),
            "已保存，正在上传。".into(),
        )
        .await;
        let phone = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let _ = phone.flush().await;
        });
        Ok(id)
    }

    /// Why sending stopped (revoked credentials), if it did.
    pub fn halted(&self) -> Option<String> {
        self.halted.borrow().clone()
    }

    /// When a record was last delivered, device clock, epoch milliseconds.
    pub fn last_delivery_ms(&self) -> Option<i64> {
        self.last_delivery_ms.get()
    }

    /// Sends every due record, oldest first, unless this tab or another is already sending.
    /// Stops at the first failure worth retrying and sets a timer for the next due record.
    pub async fn flush(self: &Rc<Self>) -> Result<StateCounts, BrowserError> {
        if !self.flushing.replace(true) {
            let phone = Rc::clone(self);
            let outcome = Rc::new(RefCell::new(Ok(())));
            let outcome_in = Rc::clone(&outcome);
            let ran = with_lock_if_available(SENDER_LOCK, async move {
                *outcome_in.borrow_mut() = phone.drain().await;
            })
            .await;
            self.flushing.set(false);
            ran?;
            outcome.replace(Ok(()))?;
        }
        self.outbox.counts().await
    }

    async fn drain(self: &Rc<Self>) -> Result<(), BrowserError> {
        if self.halted.borrow().is_some() {
            return Ok(());
        }
        let client = self.client.lock().await;
        let Some(client) = client.as_ref() else {
            return Ok(());
        };
        let clock_before = client.clock();
        while self.send_batch(client).await? {}
        if client.clock() != clock_before {
            if let Some(clock) = client.clock() {
                self.store.set_meta(CLOCK_KEY, &clock).await?;
            }
        }
        let _ = self
            .outbox
            .prune_delivered(KEEP_DELIVERED_MS, device_now_ms())
            .await;
        self.emit(PhoneEventKind::Idle, None, String::new()).await;
        Ok(())
    }

    /// Claims up to [`IN_FLIGHT`] due records, sends them at once and settles them together.
    /// Returns whether to go on with the next batch.
    async fn send_batch(self: &Rc<Self>, client: &RelayClient) -> Result<bool, BrowserError> {
        let now = device_now_ms();
        let batch = match self.outbox.claim(now, IN_FLIGHT).await? {
            Claimed::Empty => return Ok(false),
            Claimed::WaitUntil(at) => {
                self.schedule(at - now);
                return Ok(false);
            }
            Claimed::Records(batch) => batch,
        };
        let photos = join_all(batch.iter().map(|entry| self.outbox.photo(&entry.id))).await;
        let mut params = Vec::with_capacity(batch.len());
        for (entry, photo) in batch.iter().zip(photos) {
            params.push(photo?.map(|photo| entry.draft.param_text(BASE64.encode(photo))));
        }
        let sends = params.iter().map(|param| async move {
            match param {
                Some(param) => client.send_sign_in(param).await,
                None => Disposition::Settle(Settled::Failed {
                    reason: "照片数据丢失，无法上传；请导出这条记录交给管理员。".to_owned(),
                }),
            }
        });
        let dispositions = join_all(sends).await;

        let mut go_on = true;
        let mut halted = None;
        let mut outcomes = Vec::with_capacity(batch.len());
        for (entry, disposition) in batch.into_iter().zip(dispositions) {
            let settled = match disposition {
                Disposition::Settle(settled) => settled,
                Disposition::Halt { reason } => {
                    halted = Some(reason);
                    Settled::Released
                }
                Disposition::Reauthenticate | Disposition::Resynchronise => Settled::Retry {
                    reason: "与服务器的认证或时间同步反复失败，稍后自动重试。".to_owned(),
                },
            };
            // A record kept for later means the link or the platform is unwell: the rest
            // waits for the timer.
            go_on &= matches!(
                settled,
                Settled::Delivered | Settled::Requested | Settled::Failed { .. }
            );
            outcomes.push((entry.id, settled));
        }
        let events: Vec<_> = outcomes
            .iter()
            .map(|(id, settled)| {
                let (kind, message) = event_of(settled);
                (kind, Some(id.clone()), message)
            })
            .filter(|(_, _, message)| !message.is_empty())
            .collect();
        let now = device_now_ms();
        self.outbox.settle_all(outcomes, now, random_u32).await?;
        if events
            .iter()
            .any(|(kind, _, _)| *kind == PhoneEventKind::Delivered)
        {
            self.last_delivery_ms.set(Some(now));
        }
        self.emit_all(events).await;
        if let Some(reason) = halted {
            *self.halted.borrow_mut() = Some(reason.clone());
            self.emit(PhoneEventKind::Halted, None, reason).await;
            return Ok(false);
        }
        if !go_on {
            self.schedule(1_000);
        }
        Ok(go_on)
    }

    /// Flushes again after `delay_ms` (replacing an earlier timer).
    fn schedule(self: &Rc<Self>, delay_ms: i64) {
        if let Some(old) = self.timer.take() {
            browser::clear_timeout(old);
        }
        let phone = Rc::clone(self);
        let handle = browser::set_timeout(
            move || {
                phone.timer.set(None);
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = phone.flush().await;
                });
            },
            delay_ms,
        );
        self.timer.set(handle);
    }

    /// A fresh liveness nonce from the relay (`POST /v1/challenge`): `{nonce, issuedAtMs,
    /// expiresAtMs}`, so the relay can tell the challenge was not planned in advance.
    pub async fn challenge(&self) -> Result<Challenge, CallError> {
        let client = self.client.lock().await;
        let client = client.as_ref().ok_or_else(not_enrolled)?;
        client.post_json("/v1/challenge").await
    }

    /// Sends a heartbeat now (learns the relay's clock; tells whether the fence changed).
    /// Returns the fence version the relay announced. When the relay says a manager decided one
    /// of the phone's requests since the list was last fetched, tells the listeners
    /// ([`PhoneEventKind::RequestsChanged`]).
    pub async fn heartbeat(&self) -> Result<Option<u64>, CallError> {
        let (fence_version, requests_changed_ms) = {
            let client = self.client.lock().await;
            let client = client.as_ref().ok_or_else(not_enrolled)?;
            client.heartbeat().await?;
            if let Some(clock) = client.clock() {
                self.store
                    .set_meta(CLOCK_KEY, &clock)
                    .await
                    .map_err(store_failure)?;
            }
            (client.fence_version(), client.requests_changed_ms())
        };
        let mut watch = self.requests_watch.get();
        let changed = watch.announced(requests_changed_ms);
        self.requests_watch.set(watch);
        if changed {
            self.emit(PhoneEventKind::RequestsChanged, None, String::new())
                .await;
        }
        Ok(fence_version)
    }

    /// The phone's out-of-fence requests from the relay (`GET /v1/requests`: `PhoneRequests`
    /// of the last 30 days, newest first), as the JS value of its JSON (the page reads it; a
    /// typed reading would only add to the module); its `changedAtMs` is remembered so that
    /// only a later decision raises [`PhoneEventKind::RequestsChanged`].
    pub async fn requests(&self) -> Result<JsValue, CallError> {
        let client = self.client.lock().await;
        let client = client.as_ref().ok_or_else(not_enrolled)?;
        let text = client.get_text("/v1/requests").await?;
        let requests = js_sys::JSON::parse(&text)
            .map_err(|_| CallError::Link("外勤申请列表无法解析".into()))?;
        let changed_at_ms = js_sys::Reflect::get(&requests, &"changedAtMs".into())
            .ok()
            .and_then(|at| at.as_f64());
        let mut watch = self.requests_watch.get();
        watch.fetched(changed_at_ms.map(|at| at as i64));
        self.requests_watch.set(watch);
        Ok(requests)
    }
}

/// The event a settled record gives the page: its kind and message.
fn event_of(settled: &Settled) -> (PhoneEventKind, String) {
    match settled {
        Settled::Delivered => (PhoneEventKind::Delivered, "已上传到平台。".to_owned()),
        Settled::Requested => (
            PhoneEventKind::Requested,
            "外勤申请已提交，等待管理员审批。".to_owned(),
        ),
        Settled::Retry { reason } => (PhoneEventKind::Retry, reason.clone()),
        Settled::Failed { reason } => (PhoneEventKind::Failed, reason.clone()),
        Settled::Released => (PhoneEventKind::Retry, String::new()),
    }
}

fn not_enrolled() -> CallError {
    CallError::Api {
        status: 0,
        code: "not_enrolled".into(),
        message: "本机尚未登记，请先输入管理员给的登记码。".into(),
    }
}

fn store_failure(error: BrowserError) -> CallError {
    CallError::Api {
        status: 0,
        code: "storage".into(),
        message: error.to_string(),
    }
}
