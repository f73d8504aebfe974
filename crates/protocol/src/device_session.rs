//! The device side of the protocol as a sans-IO state machine, in the manner of quinn-proto:
//! the caller feeds it replies and the time, and polls it for frames to send, events, and when
//! to wake it next. It authenticates, keeps the token, schedules heartbeats, pipelines requests
//! (replies come back in request order), and on `401_01` re-authenticates and replays the
//! request once.
//!
//! The relay drives one per platform sn over TCP, and the tests drive one against the simulator.

use std::collections::VecDeque;

use super::command::{signed_command, Signer};
use super::json_form::{task_request_body, JsonReply, ReplyError};
use super::params::{to_json_text, AuthReply, HeartbeatParam, TaskIds};
use super::wire::{Request, Response};
use super::{Apicode, Credential, ErrorCode, ProtocolError};

/// Longest heartbeat interval a session uses, in milliseconds: the platform shows a device
/// offline after 60 s without one, so this leaves 10 s for the network.
pub const MAX_HEARTBEAT_INTERVAL_MS: i64 = 50_000;

/// First wait after a refused `C_AUTH`, in milliseconds; doubles up to [`MAX_AUTH_BACKOFF_MS`].
const FIRST_AUTH_BACKOFF_MS: i64 = 1_000;
/// Longest wait between two `C_AUTH` attempts, in milliseconds.
const MAX_AUTH_BACKOFF_MS: i64 = 60_000;

/// Who the device is and how it talks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceConfig {
    /// Device serial number.
    pub sn: String,
    /// Credentials issued by the platform.
    pub credential: Credential,
    /// Reported in heartbeats as `deviceVersion`.
    pub device_version: String,
    /// Reported in heartbeats as `deviceIp`.
    pub device_ip: String,
    /// Time between heartbeats, in milliseconds; capped at [`MAX_HEARTBEAT_INTERVAL_MS`].
    pub heartbeat_interval_ms: i64,
}

/// Identifies a submitted request in [`SessionEvent::Completed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// Why a submitted request did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestFailure {
    /// The platform answered with an error.
    #[error("{0}")]
    Refused(ProtocolError),
    /// The link went down with the request sent but unanswered: it may or may not have arrived.
    #[error("link lost before the reply")]
    LinkLost,
}

/// Something the caller should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// `C_AUTH` succeeded; requests flow.
    Authenticated,
    /// `C_AUTH` was refused; queued requests failed with the same error, and the next attempt
    /// waits (see [`DeviceSession::poll_timeout`]).
    AuthRefused(ProtocolError),
    /// A heartbeat reply listed unfinished tasks.
    Tasks(Vec<String>),
    /// A heartbeat was refused for a reason other than an expired token.
    HeartbeatRefused(ProtocolError),
    /// A submitted request finished: its response text, or why not.
    Completed {
        /// As returned by [`DeviceSession::submit`].
        id: RequestId,
        /// The reply's `response` text (may be empty), or the failure.
        result: Result<String, RequestFailure>,
    },
}

/// A reply arrived that the session cannot match to a request: the link is out of step and
/// must be closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected reply {apicode:?}: {reason}")]
pub struct UnexpectedReply {
    /// The reply's apicode.
    pub apicode: String,
    /// What did not match.
    pub reason: &'static str,
}

/// The task HTTP API needs a token the session does not have yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not authenticated: wait for the session's C_AUTH before calling the task API")]
pub struct NotAuthenticated;

#[derive(Debug, Clone)]
struct Submitted {
    id: RequestId,
    apicode: Apicode,
    param: String,
    replayed: bool,
}

#[derive(Debug, Clone)]
enum InFlight {
    Auth,
    Heartbeat,
    Request(Submitted),
}

impl InFlight {
    fn apicode(&self) -> Apicode {
        match self {
            InFlight::Auth => Apicode::CAuth,
            InFlight::Heartbeat => Apicode::CHeartbeat,
            InFlight::Request(submitted) => submitted.apicode,
        }
    }
}

/// Device-side protocol state for one sn on one link.
#[derive(Debug)]
pub struct DeviceSession {
    config: DeviceConfig,
    connected: bool,
    token: Option<String>,
    /// Requests replayed after `401_01`, sent before `queue`.
    replays: VecDeque<Submitted>,
    queue: VecDeque<Submitted>,
    in_flight: VecDeque<InFlight>,
    events: VecDeque<SessionEvent>,
    next_heartbeat_ms: Option<i64>,
    /// Whether the platform accepted a request under the current token. A token refused
    /// before that means the platform is not keeping tokens, and re-authenticating at once
    /// would loop: the next `C_AUTH` then waits for the back-off.
    token_proven: bool,
    auth_not_before_ms: i64,
    auth_backoff_ms: i64,
    next_id: u64,
}

impl DeviceSession {
    /// A session that is not connected yet.
    pub fn new(mut config: DeviceConfig) -> Self {
        config.heartbeat_interval_ms = config
            .heartbeat_interval_ms
            .clamp(1_000, MAX_HEARTBEAT_INTERVAL_MS);
        Self {
            config,
            connected: false,
            token: None,
            replays: VecDeque::new(),
            queue: VecDeque::new(),
            in_flight: VecDeque::new(),
            events: VecDeque::new(),
            next_heartbeat_ms: None,
            token_proven: false,
            auth_not_before_ms: i64::MIN,
            auth_backoff_ms: FIRST_AUTH_BACKOFF_MS,
            next_id: 0,
        }
    }

    /// The current token, once authenticated.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// How many submitted requests have not completed yet.
    pub fn outstanding(&self) -> usize {
        let sent = (self.in_flight.iter())
            .filter(|f| matches!(f, InFlight::Request(_)))
            .count();
        sent + self.queue.len() + self.replays.len()
    }

    /// The link is up: the session authenticates before anything else.
    pub fn connected(&mut self) {
        self.connected = true;
    }

    /// The link went down. Requests sent and unanswered complete with
    /// [`RequestFailure::LinkLost`]; queued ones wait for the next link, which authenticates
    /// afresh.
    pub fn disconnected(&mut self) {
        self.connected = false;
        self.token = None;
        self.next_heartbeat_ms = None;
        for flight in std::mem::take(&mut self.in_flight) {
            if let InFlight::Request(submitted) = flight {
                self.events.push_back(SessionEvent::Completed {
                    id: submitted.id,
                    result: Err(RequestFailure::LinkLost),
                });
            }
        }
    }

    /// Queues a command (`C_SIGN_IN`, usually) with its param JSON text.
    pub fn submit(&mut self, apicode: Apicode, param: String) -> RequestId {
        self.next_id += 1;
        let id = RequestId(self.next_id);
        self.queue.push_back(Submitted {
            id,
            apicode,
            param,
            replayed: false,
        });
        id
    }

    /// Takes back every request not sent yet (queued, or waiting to be replayed) and returns
    /// their ids, for a caller that would rather answer "not sent, retry later" than hold them
    /// for the next link.
    pub fn withdraw_unsent(&mut self) -> Vec<RequestId> {
        let unsent = self.replays.drain(..).chain(self.queue.drain(..));
        unsent.map(|submitted| submitted.id).collect()
    }

    /// The next frame to send, signed with a `timeStamp` of `now_ms` (Unix epoch
    /// milliseconds), or `None` when there is nothing to send now.
    pub fn poll_transmit(&mut self, now_ms: i64) -> Option<Request> {
        if !self.connected {
            return None;
        }
        let Some(token) = self.token.clone() else {
            let auth_pending = self.in_flight.iter().any(|f| matches!(f, InFlight::Auth));
            if auth_pending || now_ms < self.auth_not_before_ms {
                return None;
            }
            self.in_flight.push_back(InFlight::Auth);
            return Some(self.sign(Apicode::CAuth, None, String::new(), now_ms));
        };
        if self.next_heartbeat_ms.is_some_and(|due| due <= now_ms) {
            self.next_heartbeat_ms = Some(now_ms + self.config.heartbeat_interval_ms);
            self.in_flight.push_back(InFlight::Heartbeat);
            let param = to_json_text(&HeartbeatParam {
                device_version: self.config.device_version.clone(),
                device_ip: self.config.device_ip.clone(),
            });
            return Some(self.sign(Apicode::CHeartbeat, Some(&token), param, now_ms));
        }
        let submitted = self
            .replays
            .pop_front()
            .or_else(|| self.queue.pop_front())?;
        let request = self.sign(
            submitted.apicode,
            Some(&token),
            submitted.param.clone(),
            now_ms,
        );
        self.in_flight.push_back(InFlight::Request(submitted));
        Some(request)
    }

    fn sign(&self, apicode: Apicode, token: Option<&str>, param: String, now_ms: i64) -> Request {
        let credential = &self.config.credential;
        let signer = Signer {
            sn: &self.config.sn,
            access_id: &credential.access_id,
            access_key: &credential.access_key,
            access_secret: &credential.access_secret,
        };
        // A param that is not a JSON object cannot be signed; it goes unsigned and the
        // platform answers 400_02, which completes the request with that refusal.
        signed_command(&signer, token.unwrap_or_default(), apicode, param, now_ms)
            .unwrap_or_else(|unsigned| *unsigned.request)
    }

    /// Takes the next reply off the link (replies arrive in request order).
    pub fn handle_response(
        &mut self,
        response: Response,
        now_ms: i64,
    ) -> Result<(), UnexpectedReply> {
        let unexpected = |reason| UnexpectedReply {
            apicode: response.apicode.clone(),
            reason,
        };
        let flight = self
            .in_flight
            .pop_front()
            .ok_or_else(|| unexpected("no request is waiting for a reply"))?;
        if response.apicode != flight.apicode().as_str() {
            return Err(unexpected("reply does not answer the oldest request"));
        }
        let result = if response.success {
            Ok(response.response)
        } else {
            Err(
                serde_json::from_str::<ProtocolError>(&response.error).unwrap_or_else(|_| {
                    ProtocolError::with_detail(ErrorCode::SystemError, &response.error)
                }),
            )
        };
        match flight {
            InFlight::Auth => self.on_auth(result, now_ms),
            InFlight::Heartbeat => self.on_heartbeat(result, now_ms),
            InFlight::Request(submitted) => self.on_request(submitted, result, now_ms),
        }
        Ok(())
    }

    fn on_auth(&mut self, result: Result<String, ProtocolError>, now_ms: i64) {
        let token = result.and_then(|text| {
            serde_json::from_str::<AuthReply>(&text)
                .map(|reply| reply.token)
                .map_err(|e| ProtocolError::with_detail(ErrorCode::SystemError, e))
        });
        match token {
            Ok(token) => {
                self.token = Some(token);
                self.token_proven = false;
                self.next_heartbeat_ms = Some(now_ms);
                self.events.push_back(SessionEvent::Authenticated);
            }
            Err(error) => {
                self.back_off(now_ms);
                let waiting = self.replays.drain(..).chain(self.queue.drain(..));
                for submitted in waiting.collect::<Vec<_>>() {
                    self.events.push_back(SessionEvent::Completed {
                        id: submitted.id,
                        result: Err(RequestFailure::Refused(error.clone())),
                    });
                }
                self.events.push_back(SessionEvent::AuthRefused(error));
            }
        }
    }

    /// Delays the next `C_AUTH`, doubling the delay each time up to [`MAX_AUTH_BACKOFF_MS`].
    fn back_off(&mut self, now_ms: i64) {
        self.auth_not_before_ms = now_ms + self.auth_backoff_ms;
        self.auth_backoff_ms = (self.auth_backoff_ms * 2).min(MAX_AUTH_BACKOFF_MS);
    }

    /// The platform accepted a request under the current token.
    fn token_accepted(&mut self) {
        self.token_proven = true;
        self.auth_backoff_ms = FIRST_AUTH_BACKOFF_MS;
    }

    /// The platform no longer knows the token: authenticate again, at once if the token had
    /// worked, after the back-off if it never did.
    fn token_refused(&mut self, now_ms: i64) {
        if self.token.is_some() && !self.token_proven {
            self.back_off(now_ms);
        }
        self.token = None;
    }

    fn on_heartbeat(&mut self, result: Result<String, ProtocolError>, now_ms: i64) {
        match result {
            Ok(text) => {
                self.token_accepted();
                let tasks = serde_json::from_str::<TaskIds>(&text).unwrap_or_default();
                if !tasks.taskids.is_empty() {
                    self.events.push_back(SessionEvent::Tasks(tasks.taskids));
                }
            }
            Err(error) if error.code() == Some(ErrorCode::TokenUnknown) => {
                self.token_refused(now_ms)
            }
            Err(error) => self.events.push_back(SessionEvent::HeartbeatRefused(error)),
        }
    }

    fn on_request(
        &mut self,
        mut submitted: Submitted,
        result: Result<String, ProtocolError>,
        now_ms: i64,
    ) {
        let token_refused = matches!(&result, Err(e) if e.code() == Some(ErrorCode::TokenUnknown));
        if token_refused {
            self.token_refused(now_ms);
        } else if result.is_ok() {
            self.token_accepted();
        }
        if token_refused && !submitted.replayed {
            submitted.replayed = true;
            self.replays.push_back(submitted);
        } else {
            self.events.push_back(SessionEvent::Completed {
                id: submitted.id,
                result: result.map_err(RequestFailure::Refused),
            });
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// When the session next needs [`poll_transmit`](Self::poll_transmit) although nothing
    /// arrived: the next heartbeat, or the end of an authentication back-off (epoch ms).
    pub fn poll_timeout(&self) -> Option<i64> {
        if !self.connected {
            return None;
        }
        match &self.token {
            Some(_) => self.next_heartbeat_ms,
            None => (self.auth_not_before_ms > i64::MIN).then_some(self.auth_not_before_ms),
        }
    }

    /// A task request in JSON form for the HTTP task API, signed with the current token.
    /// `param` must be JSON object text (or `None` for tasks without one).
    pub fn task_request(
        &self,
        apicode: Apicode,
        taskid: Option<&str>,
        param: Option<&str>,
    ) -> Result<String, NotAuthenticated> {
        let token = self.token.as_deref().ok_or(NotAuthenticated)?;
        Ok(task_request_body(
            &self.config.sn,
            token,
            apicode,
            taskid,
            param,
            &self.config.credential.access_secret,
        ))
    }

    /// Checks a task reply body: its signature with the device's secret, then success. A
    /// `401_01` refusal also drops the token, so the session re-authenticates.
    pub fn task_reply(&mut self, apicode: Apicode, body: &[u8]) -> Result<String, ReplyError> {
        let reply = JsonReply::parse(body)?;
        let result = reply.verify(apicode, &self.config.credential.access_secret);
        match &result {
            Err(ReplyError::Refused(error)) if error.code() == Some(ErrorCode::TokenUnknown) => {
                self.token = None;
            }
            Ok(_) => self.token_accepted(),
            Err(_) => {}
        }
        result.map(str::to_owned)
    }
}
