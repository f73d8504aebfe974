//! The phone state the relays of a cluster share through the store, so that several relays on
//! one PostgreSQL serve a phone as one: behind a load balancer a phone may authenticate at one
//! relay and send its next frame to another. (On SQLite there is one relay; the same code runs.)
//!
//! - Tokens: a `C_AUTH`'s token is written to the store (durably) before the phone hears it.
//!   A frame whose token this relay does not know is looked up there and taken on, unless it
//!   has been idle too long. A token's last use is written back only now and then: at its
//!   first successful use in each period of a tenth of the idle time (3 minutes of the
//!   default 30), not at every frame, so a busy phone costs one write per period. Another
//!   relay may therefore see a token up to that much older than it is, and refuse it
//!   (`401_01`, and the phone authenticates again) up to that much before its idle time ends.
//!   Tokens unused for the idle time and a period more are deleted, at most once a period by
//!   each relay.
//! - Phones: a phone this relay's book lacks (enrolled at another relay) is read from the
//!   store when a frame names it: a `C_AUTH`'s `accessId`, or the owner of a token taken on.
//! - Revocations: read from the store again by the first frame [`REVOCATION_REFRESH`] (2 s)
//!   after the last read, before that frame is verified (frames arriving meanwhile wait for
//!   the read), so a phone revoked at another relay is refused here (`401_02`) at most 2 s
//!   after its revocation was committed. A refresh rather than a check against the store at
//!   each frame: at the morning peak (about 1,300 frames a second) every frame would pay a
//!   store trip, where the refresh is one read per 2 s per relay, and only while phones send.
//!   It reads the `accessId` of every revoked phone (few, and short).
//!
//! Looking up a token or a phone that the store does not have either costs one indexed read
//! per frame that names it; such a frame is refused as before (`401_01`, `401_02`).

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tracing::warn;

use super::{retry, Gateway};
use crate::every::Every;
use crate::phone::phones::PhoneBook;
use crate::store::{phone_tokens, phones, StoreError, Tx};
use zj_protocol::sign::RequestView;
use zj_protocol::{Apicode, HandlerConfig, PlatformHandler, Reply};

/// Longest a phone revoked at another relay goes on being served here.
pub(crate) const REVOCATION_REFRESH: Duration = Duration::from_secs(2);

/// How long a failed read of the revoked phones answers the frames that waited for it.
const FAILED_READ_HOLDS: std::time::Duration = std::time::Duration::from_secs(1);

/// When this relay last read or wrote what it shares.
pub(super) struct Sharing {
    /// The period a token's last use is written back at most once in, ms (a tenth of the
    /// token idle time).
    touch_every_ms: i64,
    /// A token dies after this long unused, ms.
    idle_ms: i64,
    /// When the last read of revocations began.
    revocations_read: Mutex<Option<Instant>>,
    /// Held while revocations are read, so that one frame reads them for all; with the last
    /// read's failure and when it happened, so the frames that waited for a failed read do not
    /// each try again (during a database outage each try can take seconds).
    reading: tokio::sync::Mutex<Option<(Instant, StoreError)>>,
    /// When unused tokens are next deleted.
    forget: Every,
}

impl Sharing {
    /// For tokens that live as `config` says.
    pub(super) fn new(config: HandlerConfig) -> Self {
        let touch_every_ms = (config.token_idle_ms / 10).max(1);
        Self {
            touch_every_ms,
            idle_ms: config.token_idle_ms,
            revocations_read: Mutex::new(None),
            reading: tokio::sync::Mutex::new(None),
            forget: Every::new(touch_every_ms),
        }
    }

    /// Whether revocations are to be read again before the next frame is verified.
    fn revocations_due(&self) -> bool {
        let read = self
            .revocations_read
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        read.is_none_or(|read| read.elapsed() >= REVOCATION_REFRESH)
    }

    /// Whether a use at `now_ms` of a token last used at `previous_ms` is to be written back:
    /// the first use in a later period than the previous one.
    fn touch_due(&self, previous_ms: i64, now_ms: i64) -> bool {
        previous_ms.div_euclid(self.touch_every_ms) != now_ms.div_euclid(self.touch_every_ms)
    }

    /// The time before which unused tokens are to be deleted now (epoch ms), if it is time
    /// to (once a period); the caller deletes them.
    fn forget_due(&self, now_ms: i64) -> Option<i64> {
        (self.forget.due(now_ms)).then(|| now_ms - self.idle_ms - self.touch_every_ms)
    }
}

impl Gateway {
    /// Before a frame is verified: revocations read again when due, and what the frame names
    /// that this relay lacks read from the store (a `C_AUTH`'s phone; a token and its phone).
    /// The last use of the frame's live token, epoch ms (`None`: a `C_AUTH`, or no live token).
    pub(super) async fn bring_in(
        &self,
        request: &RequestView<'_>,
        now_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        self.read_revocations().await?;
        if request.apicode == Some(Apicode::CAuth.as_str()) {
            self.bring_in_phone(request.access_id.unwrap_or_default())
                .await?;
            return Ok(None);
        }
        match request.token {
            Some(token) => self.bring_in_token(token, now_ms).await,
            None => Ok(None),
        }
    }

    /// After a frame is answered: a `C_AUTH`'s token written to the store, durably, before the
    /// phone hears it (a "retry later" refusal instead when it cannot be); a token's use
    /// written back when due (`last_use`: its last use before this frame, epoch ms).
    pub(super) async fn share(
        &self,
        request: &RequestView<'_>,
        reply: Reply,
        last_use: Option<i64>,
        now_ms: i64,
    ) -> Reply {
        if let Some(token) = reply.issued_token() {
            let owner = (request.access_id, request.sn);
            let owner = (owner.0.unwrap_or_default(), owner.1.unwrap_or_default());
            return match self.keep_token(token, owner, now_ms).await {
                Ok(()) => reply,
                Err(error) => Reply::refusal(
                    &reply.apicode,
                    retry(format_args!("the relay could not keep the token: {error}")),
                ),
            };
        }
        if let (Ok(_), Some(token), Some(previous)) = (&reply.result, request.token, last_use) {
            self.share_use(token, previous, now_ms);
        }
        reply
    }

    /// Reads which phones are revoked when [`REVOCATION_REFRESH`] has passed since the last
    /// read began (one read for every frame waiting), and marks them revoked in the book.
    pub(super) async fn read_revocations(&self) -> Result<(), StoreError> {
        if !self.sharing.revocations_due() {
            return Ok(());
        }
        let mut reading = self.sharing.reading.lock().await;
        if !self.sharing.revocations_due() {
            return Ok(());
        }
        if let Some((_, error)) = reading
            .as_ref()
            .filter(|(at, _)| at.elapsed() < FAILED_READ_HOLDS)
        {
            return Err(error.clone());
        }
        let began = Instant::now();
        let revoked = match self.store.run_deferred(phones::revoked).await {
            Ok(revoked) => revoked,
            Err(error) => {
                *reading = Some((Instant::now(), error.clone()));
                return Err(error);
            }
        };
        *reading = None;
        {
            let mut book = self.phones.write().unwrap_or_else(|p| p.into_inner());
            for access_id in &revoked {
                book.revoke(access_id);
            }
        }
        *(self.sharing.revocations_read.lock()).unwrap_or_else(|p| p.into_inner()) = Some(began);
        Ok(())
    }

    /// Reads phone `access_id` from the store into the book when the book lacks it.
    async fn bring_in_phone(&self, access_id: &str) -> Result<(), StoreError> {
        let known = |book: &PhoneBook| book.get(access_id).is_some();
        if access_id.is_empty() || known(&self.phones.read().unwrap_or_else(|p| p.into_inner())) {
            return Ok(());
        }
        let access_id = access_id.to_owned();
        let phone = (self.store)
            .run_deferred(move |tx| phones::by_access_id(tx, &access_id))
            .await?;
        if let Some(phone) = phone {
            self.add_phone(phone);
        }
        Ok(())
    }

    /// The last use of live token `token` (epoch ms), taken on from the store, with its
    /// phone, when this relay does not know it; `None` when it is unknown or idle too long.
    pub(super) async fn bring_in_token(
        &self,
        token: &str,
        now_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        let known = self.lock_handler().token_last_used(token, now_ms);
        if known.is_some() {
            return Ok(known);
        }
        let wanted = token.to_owned();
        let stored = (self.store)
            .run_deferred(move |tx| {
                let Some(found) = phone_tokens::get(tx, &wanted)? else {
                    return Ok(None);
                };
                let phone = phones::by_access_id(tx, &found.access_id)?;
                Ok(Some((found, phone)))
            })
            .await?;
        let Some((found, phone)) = stored else {
            return Ok(None);
        };
        if let Some(phone) = phone {
            self.add_phone(phone);
        }
        let mut handler = self.lock_handler();
        handler.adopt_token(
            token,
            &found.access_id,
            &found.sn,
            found.last_used_ms,
            now_ms,
        );
        Ok(handler.token_last_used(token, now_ms))
    }

    /// Writes a token issued just now to `owner` (`accessId`, sn) to the store, durably.
    async fn keep_token(
        &self,
        token: String,
        (access_id, sn): (&str, &str),
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let (access_id, sn) = (access_id.to_owned(), sn.to_owned());
        let trimmed = sn.clone();
        (self.store)
            .run(move |tx| phone_tokens::insert(tx, &token, &access_id, &sn, now_ms))
            .await?;
        self.in_background("a phone's old tokens could not be dropped", move |tx| {
            phone_tokens::trim(tx, &trimmed)
        });
        self.forget_unused_tokens(now_ms);
        Ok(())
    }

    /// Writes back a use of `token` at `now_ms` when due (`previous_ms`: its last use before).
    pub(super) fn share_use(&self, token: &str, previous_ms: i64, now_ms: i64) {
        if self.sharing.touch_due(previous_ms, now_ms) {
            let token = token.to_owned();
            self.in_background("a phone token's last use could not be shared", move |tx| {
                phone_tokens::touch(tx, &token, now_ms)
            });
        }
    }

    /// Deletes the tokens unused for longer than any relay keeps them, when due.
    fn forget_unused_tokens(&self, now_ms: i64) {
        if let Some(before_ms) = self.sharing.forget_due(now_ms) {
            self.in_background("unused phone tokens could not be deleted", move |tx| {
                phone_tokens::forget_used_before(tx, before_ms)
            });
        }
    }

    /// Runs `work` in the store in the background (no reply depends on it, so not fsync'd on
    /// its own); logs `failed` with the error if it fails.
    fn in_background(
        &self,
        failed: &'static str,
        work: impl FnOnce(&Tx<'_>) -> Result<(), StoreError> + Send + 'static,
    ) {
        let store = self.store.clone();
        tokio::spawn(async move {
            if let Err(error) = store.run_deferred(work).await {
                warn!(%error, "{failed}");
            }
        });
    }

    /// The protocol handler (a panic elsewhere leaves it usable).
    fn lock_handler(&self) -> MutexGuard<'_, PlatformHandler> {
        self.handler.lock().unwrap_or_else(|p| p.into_inner())
    }
}
