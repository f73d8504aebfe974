//! The platform side of the protocol as a sans-IO state machine: verify a request in the order
//! PROTOCOL.md §8 fixes, hand the verified request to the caller, and build the reply.
//!
//! The simulator uses it as the platform; the relay uses it towards phones. Neither does any
//! checking of its own: a request is [`verify`](PlatformHandler::verify)'d, carried out by the
//! caller, and [`answer`](PlatformHandler::answer)'d, which is when its token's idle time is
//! refreshed (a request that fails never refreshes it).

use std::borrow::Cow;
use std::collections::HashMap;

use serde::de::DeserializeOwned;

use super::json_form::JsonReply;
use super::param_prime::Stripped;
use super::params::{
    to_json_text, AuthReply, DeviceVersion, HeartbeatParam, PageParam, PostPersonsParam,
    SignInParam, StatusReport, TaskIds,
};
use super::sign::{param_prime_of, sign_with_param_prime, signatures_match, RequestView};
use super::tokens::{TokenOwner, TokenTable};
use super::wire::Response;
use super::{time, Apicode, Channel, ErrorCode, ProtocolError, PROTOCOL_VERSION};

/// Credentials a platform issued to a vendor (or the relay, to a phone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// Public identifier, sent in `C_AUTH`.
    pub access_id: String,
    /// Public key, sent in `C_AUTH`.
    pub access_key: String,
    /// Shared secret, never sent: it keys every signature.
    pub access_secret: String,
}

/// Where a handler looks credentials up: the simulator's command line, the relay's store.
pub trait CredentialDirectory {
    /// The credential with this `accessId`, or `None` when it is unknown or revoked.
    fn credential(&self, access_id: &str) -> Option<Credential>;
    /// The `accessId` a device serial number is registered to.
    fn owner_of(&self, sn: &str) -> Option<String>;
}

/// Time limits of a platform, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandlerConfig {
    /// A token dies after this long without a successful request (default 30 min).
    pub token_idle_ms: i64,
    /// A device is offline after this long without a heartbeat (default 60 s).
    pub offline_after_ms: i64,
    /// Largest accepted distance between a `timeStamp` and the platform's clock (default 300 s).
    pub clock_skew_ms: i64,
}

impl Default for HandlerConfig {
    fn default() -> Self {
        Self {
            token_idle_ms: 30 * 60 * 1000,
            offline_after_ms: 60 * 1000,
            clock_skew_ms: 300 * 1000,
        }
    }
}

/// A request's param, parsed into its apicode's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// `C_AUTH`, `T_DEL_DEVICE_PERSON`, `T_CLEAR_DEVICE_PERSON`: nothing to read.
    None,
    /// `C_HEARTBEAT`.
    Heartbeat(HeartbeatParam),
    /// `C_SIGN_IN`, read from param′: `img` is `None` here, and the photo is
    /// [`Verified::img`], borrowed rather than copied.
    SignIn(Box<SignInParam>),
    /// `T_GET_TASKS`.
    TaskIds(TaskIds),
    /// `T_UPDATE_TASKS_STATUS`.
    StatusReport(StatusReport),
    /// `T_SEND_PERSON`, `T_UPDATE_DEVICE_PERSON`.
    Page(PageParam),
    /// `T_UPDATE_DEVICE_VERSION`.
    DeviceVersion(DeviceVersion),
    /// `T_POST_DEVICE_PERSON`.
    PostPersons(PostPersonsParam),
}

/// A request that passed every check, for the caller to carry out. It borrows from the
/// request, so a 60 KB photo is never copied while checking it.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified<'r> {
    /// What is asked.
    pub apicode: Apicode,
    /// The device.
    pub sn: &'r str,
    /// The credential the device authenticated with.
    pub access_id: String,
    /// Task id (task requests that carry one).
    pub taskid: Option<&'r str>,
    /// The typed param.
    pub param: Param,
    /// param′: the param text without the members its signature leaves out.
    pub param_prime: Option<Stripped<'r>>,
    token: Option<&'r str>,
    secret: String,
}

impl<'r> Verified<'r> {
    /// A `C_SIGN_IN`'s photo: the base64 text of its `img` member as received (unescaped in
    /// the rare case that the sender escaped characters in it).
    pub fn img(&self) -> Option<Cow<'r, str>> {
        self.param_prime.as_ref()?.removed_string(0)
    }
}

/// A reply, ready to be sent as a TCP frame or as HTTP JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// Apicode of the request answered, as sent (may be empty or unknown).
    pub apicode: String,
    /// Task id of the request answered, when it carries one.
    pub taskid: Option<String>,
    /// The response JSON text, or the refusal.
    pub result: Result<Option<String>, ProtocolError>,
    secret: Option<String>,
}

impl Reply {
    /// A refusal of a request that could not be attributed to any credential (unsigned).
    pub fn refusal(apicode: &str, error: ProtocolError) -> Self {
        Self {
            apicode: apicode.to_owned(),
            taskid: None,
            result: Err(error),
            secret: None,
        }
    }

    /// The token a successful `C_AUTH` reply gives the device; `None` for any other reply.
    pub fn issued_token(&self) -> Option<String> {
        let text = self.result.as_ref().ok()?.as_deref()?;
        let issued = self.apicode == Apicode::CAuth.as_str();
        issued
            .then(|| serde_json::from_str::<AuthReply>(text).ok())
            .flatten()
            .map(|reply| reply.token)
    }

    /// The error code, when the reply is a refusal.
    pub fn error_code(&self) -> Option<ErrorCode> {
        self.result.as_ref().err().and_then(ProtocolError::code)
    }

    /// The reply as a TCP [`Response`] (commands carry no reply signature).
    pub fn to_response(&self) -> Response {
        let (success, error, response) = match &self.result {
            Ok(response) => (true, String::new(), response.clone().unwrap_or_default()),
            Err(error) => (false, to_json_text(error), String::new()),
        };
        Response {
            version: PROTOCOL_VERSION.to_owned(),
            success,
            apicode: self.apicode.clone(),
            error,
            response,
        }
    }

    /// The reply in JSON form. Task replies are signed (PROTOCOL.md §3) with the device's
    /// secret when it is known; command replies (the phone leg) echo the apicode instead.
    pub fn to_json_reply(&self, channel: Channel) -> JsonReply {
        let (error, response) = match &self.result {
            Ok(text) => (None, text.as_deref().and_then(raw_json)),
            Err(error) => (Some(error.clone()), None),
        };
        let reply = JsonReply {
            version: PROTOCOL_VERSION.to_owned(),
            success: self.result.is_ok(),
            apicode: (channel == Channel::Command).then(|| self.apicode.clone()),
            taskid: self.taskid.clone(),
            error,
            response,
            sign: None,
        };
        match (&self.secret, channel) {
            (Some(secret), Channel::Task) => reply.signed(self.apicode.parse().ok(), secret),
            _ => reply,
        }
    }
}

fn raw_json(text: &str) -> Option<Box<serde_json::value::RawValue>> {
    serde_json::value::RawValue::from_string(text.to_owned()).ok()
}

/// Platform-side protocol state: tokens and heartbeats.
pub struct PlatformHandler {
    config: HandlerConfig,
    tokens: TokenTable,
    last_heartbeat_ms: HashMap<String, i64>,
}

impl PlatformHandler {
    /// A handler with these limits; `token_seed` must be secret random bytes (tokens derive
    /// from it).
    pub fn new(config: HandlerConfig, token_seed: [u8; 32]) -> Self {
        Self {
            tokens: TokenTable::new(token_seed, config.token_idle_ms),
            config,
            last_heartbeat_ms: HashMap::new(),
        }
    }

    /// When `sn` last sent an accepted heartbeat, Unix epoch milliseconds.
    pub fn last_heartbeat(&self, sn: &str) -> Option<i64> {
        self.last_heartbeat_ms.get(sn).copied()
    }

    /// Whether `sn` sent an accepted heartbeat within the offline limit.
    pub fn is_online(&self, sn: &str, now_ms: i64) -> bool {
        self.last_heartbeat(sn)
            .is_some_and(|seen| now_ms - seen < self.config.offline_after_ms)
    }

    /// The `accessId` a live token was issued to, restarting its idle period: how the relay's
    /// phone API (beyond the protocol leg) authenticates a phone by the token its `C_AUTH` got.
    /// `None` when the token is unknown or idle too long.
    pub fn use_token(&mut self, token: &str, now_ms: i64) -> Option<String> {
        let access_id = self.tokens.owner(token, now_ms)?.access_id.clone();
        self.tokens.touch(token, now_ms);
        Some(access_id)
    }

    /// The limits this handler was made with.
    pub fn config(&self) -> HandlerConfig {
        self.config
    }

    /// When a live token known to this handler was last used successfully, Unix epoch
    /// milliseconds; `None` when it is unknown here or idle too long. A relay of a cluster
    /// asks before a frame, to learn whether it must look the token up in the shared store.
    pub fn token_last_used(&self, token: &str, now_ms: i64) -> Option<i64> {
        Some(self.tokens.owner(token, now_ms)?.last_used_ms)
    }

    /// Takes on a token issued elsewhere (by another relay of a cluster, which shares its
    /// tokens through a database): issued to `access_id` for `sn`, last used at
    /// `last_used_ms` (Unix epoch milliseconds), so its idle time runs on from there. A token
    /// already idle too long at `now_ms` is not taken on.
    pub fn adopt_token(
        &mut self,
        token: &str,
        access_id: &str,
        sn: &str,
        last_used_ms: i64,
        now_ms: i64,
    ) {
        if now_ms - last_used_ms >= self.config.token_idle_ms {
            return;
        }
        let owner = TokenOwner {
            access_id: access_id.to_owned(),
            sn: sn.to_owned(),
            last_used_ms,
        };
        self.tokens.insert(token.to_owned(), owner, now_ms);
    }

    /// Checks a request received on `channel`, in PROTOCOL.md §8's order; the first failure
    /// is the answer. On success the caller carries the request out and calls [`answer`].
    ///
    /// [`answer`]: PlatformHandler::answer
    pub fn verify<'r>(
        &self,
        channel: Channel,
        request: &RequestView<'r>,
        directory: &impl CredentialDirectory,
        now_ms: i64,
    ) -> Result<Verified<'r>, Reply> {
        let apicode_text = request.apicode.unwrap_or_default();
        let refuse = |error: ProtocolError| {
            let secret = (request.sn)
                .and_then(|sn| directory.owner_of(sn))
                .and_then(|owner| directory.credential(&owner))
                .map(|credential| credential.access_secret);
            Reply {
                apicode: apicode_text.to_owned(),
                taskid: request.taskid.map(str::to_owned),
                result: Err(error),
                secret,
            }
        };
        self.check(channel, request, directory, now_ms)
            .map_err(refuse)
    }

    fn check<'r>(
        &self,
        channel: Channel,
        r: &RequestView<'r>,
        directory: &impl CredentialDirectory,
        now_ms: i64,
    ) -> Result<Verified<'r>, ProtocolError> {
        r.version.ok_or(ErrorCode::VersionEmpty)?;
        let sn = r.sn.ok_or(ErrorCode::SnEmpty)?;
        let apicode = known_apicode(channel, r.apicode)?;
        if r.token.is_none() && apicode != Apicode::CAuth {
            return Err(ErrorCode::TokenEmpty.into());
        }
        if channel == Channel::Command && r.time_stamp.is_none() {
            return Err(ErrorCode::TimestampEmpty.into());
        }
        if apicode.requires_param() && r.param.is_none() {
            return Err(ErrorCode::ParamEmpty.into());
        }
        let sign = r.sign.ok_or(ErrorCode::SignEmpty)?;
        if let Some(stamp) = r.time_stamp.filter(|_| channel == Channel::Command) {
            let sent_ms = time::parse_timestamp(stamp).ok_or(ErrorCode::TimestampShape)?;
            if (sent_ms - now_ms).abs() > self.config.clock_skew_ms {
                return Err(ProtocolError::with_detail(
                    ErrorCode::TimestampWindow,
                    format_args!(
                        "timeStamp {stamp} is {} s from the platform's clock",
                        (sent_ms - now_ms) / 1000
                    ),
                ));
            }
        }
        let (access_id, credential) = self.authenticate(apicode, sn, r, directory, now_ms)?;
        let unparsable = |e| ProtocolError::with_detail(ErrorCode::ParamUnparsable, e);
        let param_prime = param_prime_of(apicode, r.param).map_err(unparsable)?;
        let expected =
            sign_with_param_prime(apicode, r, param_prime.as_ref(), &credential.access_secret);
        if !signatures_match(sign, &expected) {
            return Err(ProtocolError::with_detail(
                ErrorCode::SignMismatch,
                "sign does not match",
            ));
        }
        let param = typed_param(apicode, r.param.unwrap_or_default(), param_prime.as_ref())?;
        Ok(Verified {
            apicode,
            sn,
            access_id,
            taskid: r.taskid,
            param,
            param_prime,
            token: r.token,
            secret: credential.access_secret,
        })
    }

    /// C_AUTH: the credentials and the sn's registration (`401_02`); anything else: the token
    /// (`401_01` unknown or idle, `400_04` another device's, `401_02` credentials revoked).
    fn authenticate(
        &self,
        apicode: Apicode,
        sn: &str,
        r: &RequestView<'_>,
        directory: &impl CredentialDirectory,
        now_ms: i64,
    ) -> Result<(String, Credential), ProtocolError> {
        if apicode == Apicode::CAuth {
            let access_id = r.access_id.unwrap_or_default();
            let credential = directory
                .credential(access_id)
                .filter(|c| Some(c.access_key.as_str()) == r.access_key)
                .filter(|_| directory.owner_of(sn).as_deref() == Some(access_id))
                .ok_or_else(|| {
                    ProtocolError::with_detail(
                        ErrorCode::CredentialsRevoked,
                        "accessId / accessKey unknown, or sn not registered to them",
                    )
                })?;
            return Ok((access_id.to_owned(), credential));
        }
        let token = r.token.unwrap_or_default();
        let owner = (self.tokens.owner(token, now_ms)).ok_or(ErrorCode::TokenUnknown)?;
        if owner.sn != sn {
            return Err(ProtocolError::with_detail(
                ErrorCode::SignMismatch,
                "token was issued to another sn",
            ));
        }
        let credential = directory
            .credential(&owner.access_id)
            .ok_or(ErrorCode::CredentialsRevoked)?;
        Ok((owner.access_id.clone(), credential))
    }

    /// Builds the reply to a verified request once the caller has carried it out.
    ///
    /// On success the token's idle time restarts, a `C_AUTH` gets its fresh token (in place
    /// of the caller's response) and a `C_HEARTBEAT` marks the device online. A refusal
    /// (`result` is `Err`) changes nothing.
    pub fn answer(
        &mut self,
        verified: &Verified<'_>,
        result: Result<Option<String>, ProtocolError>,
        now_ms: i64,
    ) -> Reply {
        let result = match (verified.apicode, result) {
            (_, Err(error)) => Err(error),
            (Apicode::CAuth, Ok(_)) => {
                let token = self.tokens.issue(&verified.access_id, verified.sn, now_ms);
                Ok(Some(to_json_text(&AuthReply { token })))
            }
            (apicode, Ok(response)) => {
                if let Some(token) = verified.token {
                    self.tokens.touch(token, now_ms);
                }
                if apicode == Apicode::CHeartbeat {
                    (self.last_heartbeat_ms).insert(verified.sn.to_owned(), now_ms);
                }
                Ok(response)
            }
        };
        Reply {
            apicode: verified.apicode.as_str().to_owned(),
            taskid: verified.taskid.map(str::to_owned),
            result,
            secret: Some(verified.secret.clone()),
        }
    }
}

/// The request's apicode: `402_04` when it is absent, `400_01` when it is not one of
/// `channel`'s (a `T_*` apicode over TCP or a `C_*` one over HTTP). Which other fields are
/// required depends on it, so PROTOCOL.md §8 checks it before them.
fn known_apicode(channel: Channel, text: Option<&str>) -> Result<Apicode, ProtocolError> {
    let text = text.ok_or(ErrorCode::ApicodeEmpty)?;
    text.parse::<Apicode>()
        .ok()
        .filter(|apicode| apicode.channel() == channel)
        .ok_or_else(|| {
            ProtocolError::with_detail(
                ErrorCode::ApicodeUnknown,
                format_args!("{text} is not a {channel:?} apicode"),
            )
        })
}

/// Parses `text` as `apicode`'s param type (`400_02` when it does not fit) and checks the
/// sign-in dictionaries (`403_0x`). A sign-in is read from its param′, so the photo is not
/// parsed.
fn typed_param(
    apicode: Apicode,
    text: &str,
    param_prime: Option<&Stripped<'_>>,
) -> Result<Param, ProtocolError> {
    fn parse<T: DeserializeOwned>(text: &str) -> Result<T, ProtocolError> {
        serde_json::from_str(text)
            .map_err(|e| ProtocolError::with_detail(ErrorCode::ParamUnparsable, e))
    }
    Ok(match apicode {
        Apicode::CAuth | Apicode::TDelDevicePerson | Apicode::TClearDevicePerson => Param::None,
        Apicode::CHeartbeat => Param::Heartbeat(parse(text)?),
        Apicode::CSignIn => {
            let record: SignInParam =
                parse(&param_prime.map(Stripped::to_text).unwrap_or_default())?;
            record.check_dictionaries()?;
            Param::SignIn(Box::new(record))
        }
        Apicode::TGetTasks => Param::TaskIds(parse(text)?),
        Apicode::TUpdateTasksStatus => Param::StatusReport(parse(text)?),
        Apicode::TSendPerson | Apicode::TUpdateDevicePerson => Param::Page(parse(text)?),
        Apicode::TUpdateDeviceVersion => Param::DeviceVersion(parse(text)?),
        Apicode::TPostDevicePerson => Param::PostPersons(parse(text)?),
    })
}
