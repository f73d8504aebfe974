//! The phone gateway: checks each phone frame with the phone's own credentials, answers
//! `C_AUTH` and `C_HEARTBEAT` itself, and forwards `C_SIGN_IN` to the platform exactly once
//! as the phone sees it.
//!
//! Exactly once: a sign-in carries the phone's `recordId`. The first attempt is recorded in the
//! ledger before it is forwarded and its outcome is recorded before the phone hears it; a retry
//! gets the recorded final outcome, and a retry that arrives while an attempt is in flight
//! waits for that attempt. A transient failure is not final: the phone is told to retry
//! (`500_01`) and the next attempt forwards again.
//!
//! Admission: before a sign-in is forwarded, [`Gateway::admit`] runs the relay's own checks of
//! it, in order (the phone may clock this person in; the liveness nonce; the claims: the fence
//! verdict recomputed, the liveness evidence's schema and `recordTime`, see
//! [`claims`](super::claims); the photo's face, see [`photo_check`](super::photo_check)),
//! records what they found and begins the record in the ledger, all in one store trip. A check
//! that refuses the record refuses it for good (`400_02` with a Chinese reason, PROTOCOL.md
//! §9), durably in the ledger before the phone hears it, so a retry gets the same answer.
//!
//! Out-of-fence requests (外勤, see [`out_of_fence`]): a record carrying `outOfFence` whose
//! place the fence refuses is held instead of refused: inside the site's approved work areas
//! (with auto-approval on) it is approved and forwarded at once; otherwise it is stored as
//! pending, durably, and the phone hears `{"pending": true}`. A retry of a request is answered
//! from what is stored and never forwarded: approved requests are the request forwarder's
//! ([`requests`](super::requests)), which the gateway wakes when one needs sending again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::sync::{watch, Notify};
use tracing::{info, warn};

use crate::metrics::Metrics;
use crate::phone::claims::{self, ClaimedPlace, Claims};
use crate::phone::phones::PhoneBook;
use crate::phone::photo_check::{PhotoCheck, PhotoChecker};
use crate::phone::rate_limit::RateLimit;
use crate::phone::{challenge, enroll, out_of_fence};
use crate::platform::forward::{Delivered, PlatformOut};
use crate::platform::route::Platform;
use crate::sites;
use crate::store::requests::{self, NewRequest, RecordRequest};
use crate::store::Tx;
use crate::store::{self, Begun, Claimant, Outcome, RecordEntry, Store, StoreError};
use crate::store::{ledger, site_persons};
use zj_host::system_clock::now_ms;
use zj_protocol::params::{to_json_text, SignInParam};
use zj_protocol::phone_api::{Binding, OutOfFence, RelayHeartbeat};
use zj_protocol::sign::RequestView;
use zj_protocol::{Channel, ErrorCode, Param, PlatformHandler, ProtocolError, Reply, Verified};

mod shared;

/// Whether a record's text (its person, the §7 members that are text, its extras) contains
/// U+0000, which the store cannot keep (see [`json_text`](crate::json_text)). The photo is
/// base64 and checked apart.
fn holds_nul(record: &SignInParam) -> bool {
    use crate::json_text::contains_nul;
    let extras =
        (record.extra.iter()).any(|(name, value)| name.contains('\0') || contains_nul(value));
    extras
        || record.person_id.contains('\0')
        || contains_nul(&record.kind)
        || record.bit_type.as_ref().is_some_and(contains_nul)
        || record
            .iris_info
            .as_ref()
            .is_some_and(|text| text.contains('\0'))
        || serde_json::to_value(&record.qr_code_info).is_ok_and(|qr| contains_nul(&qr))
}

/// How often a retry waiting for another relay's attempt reads the ledger.
const OTHER_RELAY_POLL: Duration = Duration::from_millis(200);

/// A reply's result as the protocol core takes it: the response text, or the refusal.
type Answer = Result<Option<String>, ProtocolError>;

/// Identifies one record: the phone's `accessId` and its `recordId`.
type RecordKey = (String, String);

/// Everything a phone frame needs: the checks, the phones, the ledger, the platform links.
pub struct Gateway {
    handler: Mutex<PlatformHandler>,
    phones: RwLock<PhoneBook>,
    store: Store,
    platform: Platform,
    /// This relay, as it claims the records it sends (see [`ledger`]).
    claimant: Claimant,
    in_flight: Mutex<HashMap<RecordKey, watch::Receiver<Option<Answer>>>>,
    rate: RateLimit,
    photos: PhotoChecker,
    claims: Claims,
    metrics: Metrics,
    /// Wakes the request forwarder: an approved request waits to be sent.
    requests_wake: Arc<Notify>,
    /// When the phone state shared with other relays was last read or written.
    sharing: shared::Sharing,
}

/// What the store says of a sign-in before it is forwarded.
enum Admission {
    /// The phone may not clock this person in (not its bound person, not on its site's roster).
    NotThisPhonesPerson,
    /// What the ledger knows of the record (it is marked as sending when it is to be forwarded).
    Ledger(Begun),
    /// A new or retried record a check refuses for good: to be recorded as refused (durably)
    /// before the phone hears it.
    Refused(ProtocolError),
    /// A new out-of-fence request, stored as pending (durably): not forwarded.
    Held,
    /// A new out-of-fence request inside the site's work areas, stored as approved and marked
    /// as sending: forwarded now.
    AutoApproved,
    /// A retry of a record that is a request: answered from what is stored.
    Request(RecordRequest),
    /// A new out-of-fence request of a phone that has too many waiting: not stored, its
    /// ledger row waiting; the phone keeps it and sends it again later.
    TooManyPending,
}

/// A sign-in to forward, owned, so its attempt can run to the end in a task of its own even if
/// the phone that sent it hangs up.
struct SignInJob {
    access_id: String,
    phone_sn: String,
    record_id: String,
    /// The record as received, without `img`, `recordId` still among the extras.
    record: SignInParam,
    /// The photo, base64 (shared with the photo check on the blocking pool).
    img: Option<Arc<str>>,
}

/// The decoded size of a base64 photo, in bytes, or `None` when the text is not base64
/// (standard alphabet, padded). Checking the text is enough: decoding 80 KB only to learn its
/// size would be most of a sign-in's cost.
fn base64_decoded_len(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let padding = bytes.iter().rev().take_while(|&&b| b == b'=').count();
    let body = &bytes[..bytes.len() - padding];
    let valid = bytes.len().is_multiple_of(4) && padding <= 2 && in_base64_alphabet(body);
    valid.then(|| bytes.len() / 4 * 3 - padding)
}

/// Whether every byte is in the standard base64 alphabet. Branch-free within 64-byte chunks
/// so the compiler vectorises it: a byte-at-a-time check was a third of a sign-in's CPU time.
fn in_base64_alphabet(bytes: &[u8]) -> bool {
    let valid = |b: u8| {
        (b.wrapping_sub(b'A') < 26)
            | (b.wrapping_sub(b'a') < 26)
            | (b.wrapping_sub(b'0') < 10)
            | (b == b'+')
            | (b == b'/')
    };
    (bytes.chunks(64)).all(|chunk| chunk.iter().fold(true, |all, &b| all & valid(b)))
}

/// The §7 param forwarded to the platform: `record`'s members, and the photo pasted in as it
/// came (base64 needs no escaping), rather than escaped again by a serialiser.
fn forwarded_param(record: &SignInParam, img: Option<&str>) -> String {
    let mut text = to_json_text(&SignInParam {
        img: None,
        extra: Map::new(),
        ..record.clone()
    });
    if let Some(img) = img {
        text.pop(); // the closing brace; a record always has members before it
        text.reserve(img.len() + 10);
        text.push_str(",\"img\":\"");
        text.push_str(img);
        text.push_str("\"}");
    }
    text
}

impl Gateway {
    /// A gateway over these parts; `platform` reaches each sn's session; `claimant` is this
    /// relay in the ledger's claims; `rate` limits each phone once
    /// its frame has been verified (so nobody can spend another phone's budget); `photos`
    /// checks each sign-in's photo; `claims` checks what it claims.
    #[allow(clippy::too_many_arguments)] // the gateway's parts, each made by the server
    pub(crate) fn new(
        handler: PlatformHandler,
        phones: PhoneBook,
        store: Store,
        (platform, claimant): (Platform, Claimant),
        rate: RateLimit,
        photos: PhotoChecker,
        claims: Claims,
        metrics: Metrics,
    ) -> Self {
        Self {
            sharing: shared::Sharing::new(handler.config()),
            handler: Mutex::new(handler),
            phones: RwLock::new(phones),
            store,
            platform,
            claimant,
            in_flight: Mutex::new(HashMap::new()),
            rate,
            photos,
            claims,
            metrics,
            requests_wake: Arc::new(Notify::new()),
        }
    }

    /// What wakes the request forwarder (an approval, or an auto-approved request the
    /// platform did not take for now).
    pub(crate) fn requests_wake(&self) -> Arc<Notify> {
        Arc::clone(&self.requests_wake)
    }

    /// The relay's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The routes to the platform, by platform sn.
    pub fn platform(&self) -> &Platform {
        &self.platform
    }

    /// This relay, as it claims the records it sends.
    pub(crate) fn claimant(&self) -> &Claimant {
        &self.claimant
    }

    /// Revokes a phone: durable first, then every later frame of it is refused with `401_02`.
    pub async fn revoke_phone(&self, access_id: &str) -> Result<bool, crate::store::StoreError> {
        let known = self.store.revoke(access_id).await?;
        self.phones
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .revoke(access_id);
        Ok(known)
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Adds a phone enrolled just now (already durable in the store).
    pub fn add_phone(&self, phone: crate::store::Phone) {
        (self.phones.write().unwrap_or_else(|p| p.into_inner())).insert(phone);
    }

    /// The phone a relay token was issued to (restarting the token's idle time), revoked or
    /// not; `None` when the token is unknown or idle too long. A token another relay issued
    /// is read from the store (see [`shared`]).
    pub async fn phone_of_token(
        &self,
        token: &str,
    ) -> Result<Option<crate::store::Phone>, StoreError> {
        let now = now_ms();
        self.read_revocations().await?;
        let Some(previous) = self.bring_in_token(token, now).await? else {
            return Ok(None);
        };
        let used = (self.handler.lock().unwrap_or_else(|p| p.into_inner())).use_token(token, now);
        let Some(access_id) = used else {
            return Ok(None);
        };
        self.share_use(token, previous, now);
        let phones = self.phones.read().unwrap_or_else(|p| p.into_inner());
        Ok(phones.get(&access_id).cloned())
    }

    /// The phone's heartbeat reply: the relay's time, the current fence version of its site
    /// (`None`: no site, or no fence yet) and when one of its requests was last decided.
    async fn heartbeat(&self, access_id: &str, now: i64) -> Answer {
        let access_id = access_id.to_owned();
        let (fence_version, requests_changed_ms) = (self.store)
            .run_deferred(move |tx| {
                let changed = requests::changed_ms(tx, &access_id)?;
                let Some(binding) = enroll::phone_site(tx, &access_id)? else {
                    return Ok((None, changed));
                };
                let fence = sites::current_fence(tx, &binding.site_id)?;
                Ok((fence.map(|fence| fence.version), changed))
            })
            .await
            .map_err(|e| retry(format_args!("the relay could not read the site: {e}")))?;
        Ok(Some(to_json_text(&RelayHeartbeat {
            taskids: Vec::new(),
            relay_time_ms: Some(now),
            fence_version,
            requests_changed_ms,
        })))
    }

    /// Answers one phone frame (a command, over `/v1/frame` or `/v1/link`), with the phone
    /// state shared with other relays read before and written after (see [`shared`]).
    pub async fn handle(self: &Arc<Self>, request: &RequestView<'_>) -> Reply {
        let now = now_ms();
        let reply = match self.bring_in(request, now).await {
            Ok(last_use) => {
                let reply = self.answer_frame(request, now).await;
                self.share(request, reply, last_use, now).await
            }
            Err(error) => Reply::refusal(
                request.apicode.unwrap_or_default(),
                retry(format_args!("the relay could not read the phone: {error}")),
            ),
        };
        self.metrics.count_frame(&reply);
        reply
    }

    /// Verifies a frame received at `now` (epoch ms), carries it out and answers it.
    async fn answer_frame(self: &Arc<Self>, request: &RequestView<'_>, now: i64) -> Reply {
        let checked = {
            let phones = self.phones.read().unwrap_or_else(|p| p.into_inner());
            let handler = self.handler.lock().unwrap_or_else(|p| p.into_inner());
            handler.verify(Channel::Command, request, &*phones, now)
        };
        match checked {
            Err(refusal) => refusal,
            Ok(verified) if self.rate.take(verified.sn, Instant::now()).is_err() => {
                let error = ProtocolError::with_detail(
                    ErrorCode::SystemError,
                    "too many frames from this phone; retry in a minute",
                );
                let mut handler = self.handler.lock().unwrap_or_else(|p| p.into_inner());
                handler.answer(&verified, Err(error), now)
            }
            Ok(verified) => {
                let answer = match &verified.param {
                    Param::Heartbeat(_) => self.heartbeat(&verified.access_id, now).await,
                    Param::SignIn(record) => self.sign_in(&verified, record).await,
                    _ => Ok(None),
                };
                let mut handler = self.handler.lock().unwrap_or_else(|p| p.into_inner());
                handler.answer(&verified, answer, now_ms())
            }
        }
    }

    /// A sign-in: joins the attempt in flight for the same record, or starts one in a task
    /// of its own, and waits for its answer.
    async fn sign_in(self: &Arc<Self>, verified: &Verified<'_>, record: &SignInParam) -> Answer {
        let Some(record_id) = record.extra.get("recordId").and_then(Value::as_str) else {
            return Err(ProtocolError::with_detail(
                ErrorCode::ParamUnparsable,
                "recordId is missing: every record from a phone carries one",
            ));
        };
        if holds_nul(record) {
            return Err(ProtocolError::with_detail(
                ErrorCode::ParamUnparsable,
                crate::json_text::NUL_REFUSED_ZH,
            ));
        }
        let key = (verified.access_id.clone(), record_id.to_owned());
        let mut running = {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            match in_flight.get(&key) {
                Some(running) => running.clone(),
                None => {
                    let (done, running) = watch::channel(None);
                    in_flight.insert(key.clone(), running.clone());
                    let job = SignInJob {
                        access_id: verified.access_id.clone(),
                        phone_sn: verified.sn.to_owned(),
                        record_id: record_id.to_owned(),
                        record: record.clone(),
                        img: verified.img().map(|img| Arc::from(img.as_ref())),
                    };
                    let gateway = Arc::clone(self);
                    tokio::spawn(async move {
                        let answer = gateway.attempt(&job).await;
                        let key = (job.access_id, job.record_id);
                        (gateway.in_flight.lock().unwrap_or_else(|p| p.into_inner())).remove(&key);
                        let _ = done.send(Some(answer));
                    });
                    running
                }
            }
        };
        let answer = match running.wait_for(Option::is_some).await {
            Ok(answer) => answer.clone(),
            Err(_) => None,
        };
        answer.unwrap_or_else(|| Err(retry("the attempt in flight stopped")))
    }

    /// One attempt: admission (the relay's checks, then the ledger), then the platform, then
    /// the ledger again, then the answer.
    async fn attempt(&self, job: &SignInJob) -> Answer {
        let record = &job.record;
        let platform_sn = {
            let phones = self.phones.read().unwrap_or_else(|p| p.into_inner());
            let phone = phones.get(&job.access_id);
            phone.map(|phone| phone.platform_sn.clone())
        }
        .ok_or_else(|| retry("the phone is no longer known"))?;
        let admission = loop {
            match self.admit(job, &platform_sn).await? {
                Admission::Ledger(Begun::Elsewhere) => {
                    if let Some(answer) = self.await_other_relay(job).await {
                        return answer;
                    }
                }
                admission => break admission,
            }
        };
        let auto_approved = match admission {
            Admission::NotThisPhonesPerson => {
                return Err(ProtocolError::with_detail(
                    ErrorCode::ParamUnparsable,
                    format_args!(
                    "此手机不能为人员 {} 打卡：不是本机绑定的人员或不在工地花名册上，请联系管理员",
                    record.person_id
                ),
                ))
            }
            Admission::Ledger(Begun::Done) => return Ok(None),
            Admission::Ledger(Begun::Refused(error)) => return Err(error),
            Admission::Refused(error) => return self.refuse(job, error).await,
            Admission::Held => return Ok(Some(out_of_fence::PENDING_REPLY.into())),
            Admission::Request(request) => return out_of_fence::retry_answer(&request),
            Admission::TooManyPending => {
                return Err(ProtocolError::with_detail(
                    ErrorCode::SystemError,
                    out_of_fence::TOO_MANY_PENDING_ZH,
                ))
            }
            Admission::Ledger(Begun::TakenOver(from)) => {
                self.metrics.count_possible_duplicate();
                warn!(record_id = %job.record_id, from = ?from, "possible duplicate: the record was left sending by a relay whose claim ended; sending it again");
                false
            }
            Admission::Ledger(Begun::Elsewhere) => return Err(retry("another relay sends it")),
            Admission::Ledger(Begun::New | Begun::Again) => false,
            Admission::AutoApproved => true,
        };
        let out = PlatformOut {
            platform: &self.platform,
            metrics: &self.metrics,
        };
        let forwarded = forwarded_param(record, job.img.as_deref());
        let key = (job.access_id.as_str(), job.record_id.as_str());
        let delivered = out
            .forward_begun(&self.store, key, &platform_sn, forwarded)
            .await;
        let answer = match delivered {
            Ok(Delivered::Accepted) if auto_approved => {
                Ok(Some(out_of_fence::APPROVED_REPLY.into()))
            }
            Ok(Delivered::Accepted) => Ok(None),
            Ok(Delivered::Refused(refusal)) => Err(refusal),
            Ok(Delivered::Retry(why)) => {
                if auto_approved {
                    self.requests_wake.notify_one(); // the forwarder owns it from now on
                }
                Err(retry(why))
            }
            Err(error) => {
                warn!(%error, record_id = %job.record_id, "could not record the outcome; the phone will retry");
                Err(retry("the relay could not record the outcome"))
            }
        };
        if answer.is_ok() {
            info!(sn = %platform_sn, person = %record.person_id, "sign-in forwarded");
        }
        answer
    }

    /// Admission of a sign-in, the one place where the relay decides whether a record may go
    /// to the platform. Its checks, in order: the phone may clock this person in; the liveness
    /// nonce, if the record names one (recorded, not refused); the liveness evidence's schema
    /// (flagged, not refused); the fence verdict recomputed at `recordTime` (recorded, and a
    /// final refusal when the relay judges the record outside, or uncertain under a `reject`
    /// policy); the photo (checked on the blocking pool before the store trip, recorded, and
    /// under `[photo] check = "refuse"` a final refusal). Then the ledger: a record it already
    /// knows keeps its first final answer; a new or retried one is marked as sending, or is
    /// refused by the first check that refuses it, a malformed `outOfFence` first, then
    /// `recordTime` (against the record's first receipt, then against the phone's enrollment),
    /// then the fence, then the photo. A record that carries `outOfFence` and is already a
    /// request is answered from the request (nothing begun); a new one whose place the fence
    /// refuses (judged) is held (see [`hold`]).
    async fn admit(&self, job: &SignInJob, platform_sn: &str) -> Result<Admission, ProtocolError> {
        let record = &job.record;
        let img_bytes = match job.img.as_deref() {
            Some(text) => base64_decoded_len(text).ok_or_else(|| {
                ProtocolError::with_detail(ErrorCode::ParamUnparsable, "img is not base64")
            })?,
            None => 0,
        };
        let photo = self.photos.check(job.img.clone()).await;
        if let Some(photo) = &photo {
            self.metrics.observe_photo_check(photo);
        }
        let photo_refusal = photo.as_ref().and_then(PhotoCheck::refusal);
        let photo_audit = photo.as_ref().map(PhotoCheck::audit_json);
        let mut entry = RecordEntry {
            access_id: job.access_id.clone(),
            record_id: job.record_id.clone(),
            phone_sn: job.phone_sn.clone(),
            platform_sn: platform_sn.to_owned(),
            person_id: record.person_id.clone(),
            record_time: record.record_time,
            img_bytes,
            extras: String::new(), // below, once the nonce and the fence are checked
            received_ms: now_ms(),
            site_id: None, // below, from the phone's enrollment
        };
        let mut extras = record.extra.clone();
        extras.remove("recordId");
        claims::drop_relay_members(&mut extras);
        claims::file_liveness(&mut extras);
        let nonce = challenge::named_nonce(&record.extra);
        let place = ClaimedPlace::of(record);
        let fences = Arc::clone(&self.claims.fences);
        let window = self.claims.window;
        let filed = out_of_fence::filed(&record.extra);
        let carries_request = !matches!(filed, Ok(None));
        let held_param = matches!(filed, Ok(Some(_)))
            .then(|| forwarded_param(record, job.img.as_deref()))
            .unwrap_or_default();
        let claimant = self.claimant.clone();
        let admit = move |tx: &Tx<'_>| {
            let enrollment = enroll::phone_enrollment(tx, &entry.access_id)?;
            let binding = enrollment.as_ref().map(|(binding, _)| binding);
            if !may_clock_in(tx, &entry, binding)? {
                return Ok(Admission::NotThisPhonesPerson);
            }
            // Every sign-in, not only those that still carry `outOfFence`: a retry of a
            // request without the member must not begin (and forward) the held record.
            let key = (entry.access_id.as_str(), entry.record_id.as_str());
            if let Some(request) = requests::of_record(tx, key)? {
                return Ok(Admission::Request(request));
            }
            if let Some(nonce) = nonce {
                let verified = challenge::verify(tx, &entry.access_id, &nonce, entry.record_time)?;
                extras.insert(claims::NONCE_VERIFIED.into(), Value::Bool(verified));
            }
            let enrolled_ms = enrollment.as_ref().map(|(_, at)| *at);
            entry.site_id = binding.map(|binding| binding.site_id.clone());
            let site_id = entry.site_id.as_deref();
            let fence = fences.judge_at(tx, site_id, &place, entry.record_time)?;
            if let Some(fence) = &fence {
                extras.insert(claims::RELAY_FENCE.into(), fence.audit_json());
            }
            entry.extras = Value::Object(extras).to_string();
            let begun = store::begin(tx, &entry, &claimant, entry.received_ms)?;
            if !begun.to_forward() {
                return Ok(Admission::Ledger(begun));
            }
            let key = (entry.access_id.as_str(), entry.record_id.as_str());
            if let Some(result) = &photo_audit {
                store::record_photo_check(tx, key.0, key.1, result, entry.received_ms)?;
            }
            let first_received_ms = match begun {
                Begun::New => entry.received_ms,
                _ => store::first_received_ms(tx, key.0, key.1)?.unwrap_or(entry.received_ms),
            };
            let refusal = (filed.as_ref().err().cloned())
                .or_else(|| window.refusal(entry.record_time, first_received_ms))
                .or_else(|| {
                    enrolled_ms.and_then(|at| claims::before_enrollment(entry.record_time, at))
                })
                .or_else(|| fence.as_ref().and_then(|fence| fence.refusal()))
                .or(photo_refusal);
            // Only a new or retried record gets here: one the ledger finished returned above
            // with its first final answer, so a stricter check never overturns it.
            if let Some(refusal) = refusal {
                return Ok(Admission::Refused(refusal));
            }
            match (&filed, &fence, entry.site_id.as_deref()) {
                (Ok(Some(filed)), Some(fence), Some(site_id)) if fence.held() => {
                    let held = Held {
                        site_id,
                        place: &place,
                        filed,
                        param: &held_param,
                    };
                    hold(tx, &entry, held)
                }
                _ => Ok(Admission::Ledger(begun)),
            }
        };
        // A record to forward needs no fsync yet (its outcome's durable commit comes before the
        // phone hears it); a refusal is made durable by `refuse` before the phone hears it. A
        // record carrying a request may be held, and the phone hears that it is pending as
        // soon as this returns: durable.
        let admitted = match carries_request {
            true => self.store.run(admit).await,
            false => self.store.run_deferred(admit).await,
        };
        admitted.map_err(|e| retry(format_args!("the relay could not record it: {e}")))
    }

    /// Waits for the outcome of a record another relay is sending (polling the ledger): its
    /// answer, or `None` when that relay's claim ended first (it died mid-attempt), to take
    /// the record over. Gives up with "retry" after a claim's length.
    async fn await_other_relay(&self, job: &SignInJob) -> Option<Answer> {
        let deadline = Instant::now() + Duration::from_millis(self.claimant.claim_ms as u64);
        while Instant::now() < deadline {
            tokio::time::sleep(OTHER_RELAY_POLL).await;
            let key = (job.access_id.clone(), job.record_id.clone());
            let known = (self.store)
                .run_deferred(move |tx| ledger::read(tx, &key.0, &key.1))
                .await;
            let known = match known {
                Ok(Some(known)) => known,
                Ok(None) => return None,
                Err(error) => {
                    return Some(Err(retry(format_args!(
                        "the relay could not read the ledger: {error}"
                    ))))
                }
            };
            match known.state.as_str() {
                "done" => return Some(Ok(None)),
                "refused" => return Some(Err(known.refusal())),
                "sending" if known.claimed_at(now_ms()) => {}
                "sending" => return None,
                _ => return Some(Err(retry("another relay could not send it"))),
            }
        }
        Some(Err(retry("another relay is still sending it")))
    }

    /// Records a check's final refusal of the record in the ledger, durably, and answers it;
    /// when it cannot be recorded the phone is told to retry (and the checks run again).
    async fn refuse(&self, job: &SignInJob, refusal: ProtocolError) -> Answer {
        let outcome = Outcome::Refused(refusal.clone());
        let recorded = (self.store)
            .finish(&job.access_id, &job.record_id, outcome, now_ms())
            .await;
        match recorded {
            Ok(()) => Err(refusal),
            Err(error) => Err(retry(format_args!(
                "the relay could not record it: {error}"
            ))),
        }
    }
}

/// An out-of-fence request to hold: the record's site, place, request and §7 param text.
struct Held<'a> {
    site_id: &'a str,
    place: &'a ClaimedPlace,
    filed: &'a OutOfFence,
    param: &'a str,
}

/// Files the record begun as `entry` as an out-of-fence request: approved at once when its
/// place is inside the site's work areas with auto-approval on (to be forwarded now), else
/// pending, its ledger row waiting (`retry`) and nothing forwarded; not filed at all (the
/// ledger row waiting) when the phone already has its most pending requests.
fn hold(tx: &Tx<'_>, entry: &RecordEntry, held: Held<'_>) -> Result<Admission, StoreError> {
    let auto = out_of_fence::auto_approved(tx, held.site_id, held.place)?;
    let key = (entry.access_id.as_str(), entry.record_id.as_str());
    if !auto && requests::pending_of_phone(tx, key.0)? >= out_of_fence::MAX_PENDING_PER_PHONE {
        ledger::finish(tx, key.0, key.1, &Outcome::Retry, entry.received_ms)?;
        return Ok(Admission::TooManyPending);
    }
    let request = NewRequest {
        key,
        site_id: held.site_id,
        platform_sn: &entry.platform_sn,
        person_id: &entry.person_id,
        record_time: entry.record_time,
        filed: held.filed,
        param: held.param,
        auto,
        now_ms: entry.received_ms,
    };
    requests::insert(tx, &request)?;
    if auto {
        return Ok(Admission::AutoApproved);
    }
    ledger::finish(tx, key.0, key.1, &Outcome::Retry, entry.received_ms)?;
    Ok(Admission::Held)
}

/// Whether the phone that sent `entry` (bound to a site by `binding`) may clock its person
/// in: a personal phone only its own person, a team phone persons on its own site's roster
/// (not every person of the platform sn; see [`site_persons`]); a phone enrolled by
/// configuration, with no site, anyone.
fn may_clock_in(
    tx: &Tx<'_>,
    entry: &RecordEntry,
    binding: Option<&enroll::PhoneSite>,
) -> Result<bool, StoreError> {
    Ok(match binding {
        None => true,
        Some(binding) if binding.binding == Binding::Personal => {
            binding.person_id.as_deref() == Some(entry.person_id.as_str())
        }
        Some(binding) => {
            site_persons::on_roster(tx, &binding.site_id, &entry.platform_sn, &entry.person_id)?
        }
    })
}

/// A refusal that tells the phone to keep the record and send it again (`500_01`).
fn retry(detail: impl std::fmt::Display) -> ProtocolError {
    ProtocolError::with_detail(
        ErrorCode::SystemError,
        format_args!("{detail}; retry later"),
    )
}
