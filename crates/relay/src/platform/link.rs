//! One long-lived session with the platform for one sn: the tokio side of the protocol core's
//! [`DeviceSession`]. The state machine decides what to send and when; this file only moves
//! bytes and time: it connects, pumps frames both ways, reconnects with capped exponential
//! back-off and jitter, and keeps a bounded queue so that a slow platform turns into a clear
//! "busy, retry" for phones instead of unbounded memory.
//!
//! A link connects only while it is allowed to: while its relay holds the sn's lease (see
//! [`lease`](super::lease)). When the lease is lost, the link closes its session at once, so
//! the cluster never has two sessions of one sn.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use bytes::BytesMut;
use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use zj_host::system_clock::now_ms;
use zj_protocol::wire::{self, FrameDecoder};
use zj_protocol::{
    Apicode, DeviceConfig, DeviceSession, ErrorCode, ProtocolError, RequestFailure, RequestId,
    SessionEvent,
};

/// How a link behaves.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    /// The platform's TCP command address, `host:port`.
    pub addr: String,
    /// The device this link is (sn, vendor credentials, heartbeat interval).
    pub device: DeviceConfig,
    /// Most requests waiting or in flight at once; one more is refused as busy.
    pub queue_capacity: usize,
    /// First wait before reconnecting; doubles per failure up to `reconnect_max`.
    pub reconnect_min: Duration,
    /// Longest wait before reconnecting.
    pub reconnect_max: Duration,
    /// Longest the platform may take to answer a frame before the link is taken as dead.
    pub reply_timeout: Duration,
    /// Largest accepted reply frame, in bytes.
    pub max_frame_len: usize,
}

/// Why a forwarded request has no platform answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardError {
    /// The queue is full: the platform is slower than the phones. Retry later.
    #[error("the platform link is busy; retry later")]
    Busy,
    /// The platform cannot be reached right now. The request was not sent. Retry later.
    #[error("the platform is unreachable; retry later")]
    Unreachable,
    /// The link broke after the request was sent and before its reply: the platform may or may
    /// not have it.
    #[error("the platform link broke before the reply")]
    LinkLost,
    /// The platform answered with a refusal.
    #[error("the platform refused: {0}")]
    Refused(ProtocolError),
    /// The link has been shut down.
    #[error("the platform link is shut down")]
    Stopped,
}

impl ForwardError {
    /// The platform's refusal of the record itself (`400_02`, `403_0x`), which it would
    /// repeat whatever the timing. `None` for everything else, which is worth retrying: a
    /// refusal of the relay's own credentials or token is the relay's problem, not the
    /// record's.
    pub(crate) fn permanent_refusal(&self) -> Option<&ProtocolError> {
        match self {
            ForwardError::Refused(error)
                if error.code().is_some_and(ErrorCode::refuses_the_record) =>
            {
                Some(error)
            }
            _ => None,
        }
    }

    /// Whether the phone should keep the record and send it again later.
    pub fn is_retryable(&self) -> bool {
        self.permanent_refusal().is_none()
    }
}

/// Where a link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Connecting or authenticating.
    Connecting,
    /// Authenticated: requests flow.
    Ready,
    /// Waiting before the next connection attempt.
    Backoff,
    /// Not allowed to connect: another relay holds the sn's lease.
    Idle,
    /// Shut down.
    Stopped,
}

struct Forward {
    apicode: Apicode,
    param: String,
    reply: oneshot::Sender<Result<String, ForwardError>>,
}

/// A handle on a running link; cheap to clone.
#[derive(Clone)]
pub struct PlatformLink {
    commands: mpsc::Sender<Forward>,
    state: watch::Receiver<LinkState>,
    tasks: watch::Receiver<Vec<String>>,
    token: watch::Receiver<Option<String>>,
}

/// The task that owns a link; await [`LinkTask::shutdown`] to stop it.
pub struct LinkTask {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

impl LinkTask {
    /// Stops the link: requests in flight complete with [`ForwardError::LinkLost`], queued
    /// ones with [`ForwardError::Stopped`].
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.handle.await;
    }
}

impl PlatformLink {
    /// Starts a link on the current tokio runtime; it connects while `allowed` is true.
    pub fn spawn(config: LinkConfig, allowed: watch::Receiver<bool>) -> (PlatformLink, LinkTask) {
        let (commands, inbox) = mpsc::channel(config.queue_capacity.max(1));
        let (state_tx, state) = watch::channel(LinkState::Connecting);
        let (tasks_tx, tasks) = watch::channel(Vec::new());
        let (token_tx, token) = watch::channel(None);
        let (stop, stopped) = watch::channel(false);
        let driver = Driver {
            session: DeviceSession::new(config.device.clone()),
            config,
            inbox,
            waiting: HashMap::new(),
            held: VecDeque::new(),
            state: state_tx,
            tasks: tasks_tx,
            token: token_tx,
            stopped,
            allowed,
            failures: 0,
        };
        let handle = tokio::spawn(driver.run());
        let link = PlatformLink {
            commands,
            state,
            tasks,
            token,
        };
        (link, LinkTask { stop, handle })
    }

    /// Sends a command (`C_SIGN_IN`) with its param JSON text and waits for the platform's
    /// answer: the `response` text, or why there is none.
    pub async fn forward(&self, apicode: Apicode, param: String) -> Result<String, ForwardError> {
        let (reply, answer) = oneshot::channel();
        let forward = Forward {
            apicode,
            param,
            reply,
        };
        self.commands.try_send(forward).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => ForwardError::Busy,
            mpsc::error::TrySendError::Closed(_) => ForwardError::Stopped,
        })?;
        answer.await.unwrap_or(Err(ForwardError::Stopped))
    }

    /// Where the link stands now.
    pub fn state(&self) -> LinkState {
        *self.state.borrow()
    }

    /// Waits until the link is in `wanted` state.
    pub async fn wait_for(&mut self, wanted: LinkState) {
        let _ = self.state.wait_for(|state| *state == wanted).await;
    }

    /// The unfinished task ids the platform listed in its last heartbeat reply.
    pub(crate) fn pending_tasks(&self) -> watch::Receiver<Vec<String>> {
        self.tasks.clone()
    }

    /// The session's current platform token (`None` while not authenticated), which the HTTP
    /// task API takes too.
    pub fn token(&self) -> watch::Receiver<Option<String>> {
        self.token.clone()
    }
}

/// Why a connection ended.
enum Ended {
    /// The link was told to stop.
    Stopped,
    /// The link may no longer connect (its lease is lost).
    Released,
    /// The connection failed; reconnect after the back-off.
    Broken(String),
}

struct Driver {
    config: LinkConfig,
    session: DeviceSession,
    inbox: mpsc::Receiver<Forward>,
    /// Submitted to the session, by request id, waiting for completion.
    waiting: HashMap<RequestId, oneshot::Sender<Result<String, ForwardError>>>,
    /// When each frame in flight was sent, oldest first (replies come in order).
    held: VecDeque<Instant>,
    state: watch::Sender<LinkState>,
    tasks: watch::Sender<Vec<String>>,
    token: watch::Sender<Option<String>>,
    stopped: watch::Receiver<bool>,
    /// Whether the link may connect (its relay holds the sn's lease); the link stops when its
    /// sender is dropped.
    allowed: watch::Receiver<bool>,
    /// Connection failures in a row, for the back-off.
    failures: u32,
}

impl Driver {
    async fn run(mut self) {
        loop {
            if self.refuse_until_allowed().await {
                break;
            }
            let _ = self.state.send(LinkState::Connecting);
            let ended = match self.connect().await {
                // The lease may have been lost while connecting: no C_AUTH then.
                Ok(_) if !*self.allowed.borrow_and_update() => Ended::Released,
                Ok(stream) => self.serve(stream).await,
                Err(error) => Ended::Broken(error),
            };
            self.session.disconnected();
            self.held.clear();
            self.complete_events();
            // Requests not sent yet are answered now rather than held for a link that may be
            // long in coming: the phone keeps them and retries.
            for id in self.session.withdraw_unsent() {
                if let Some(reply) = self.waiting.remove(&id) {
                    let _ = reply.send(Err(ForwardError::Unreachable));
                }
            }
            match ended {
                Ended::Stopped => break,
                Ended::Released => {
                    self.failures = 0;
                    info!(sn = %self.config.device.sn, "platform session closed: the lease is another relay's now");
                }
                Ended::Broken(reason) => {
                    self.failures += 1;
                    let delay = self.backoff();
                    warn!(sn = %self.config.device.sn, %reason, ?delay, "platform link down");
                    let _ = self.state.send(LinkState::Backoff);
                    if self.refuse_while_waiting(delay).await {
                        break;
                    }
                }
            }
        }
        let _ = self.state.send(LinkState::Stopped);
        self.inbox.close();
        while let Ok(forward) = self.inbox.try_recv() {
            let _ = forward.reply.send(Err(ForwardError::Stopped));
        }
        for (_, reply) in self.waiting.drain() {
            let _ = reply.send(Err(ForwardError::Stopped));
        }
    }

    async fn connect(&mut self) -> Result<TcpStream, String> {
        let connecting = TcpStream::connect(&self.config.addr);
        match tokio::time::timeout(self.config.reply_timeout, connecting).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                Ok(stream)
            }
            Ok(Err(error)) => Err(format!("connect: {error}")),
            Err(_) => Err("connect: timed out".into()),
        }
    }

    /// Capped exponential back-off with jitter: the cap doubles per failure, and the wait is
    /// drawn between half the cap and the cap, so many relays do not reconnect in step.
    fn backoff(&self) -> Duration {
        let exponent = self.failures.saturating_sub(1).min(20);
        let cap = (self.config.reconnect_min * 2u32.pow(exponent)).min(self.config.reconnect_max);
        cap.mul_f64(rand::rng().random_range(0.5..=1.0))
    }

    /// While the link may not connect, refuses requests (they were not sent: the phone keeps
    /// them). Returns true when told to stop.
    async fn refuse_until_allowed(&mut self) -> bool {
        if *self.allowed.borrow_and_update() {
            return false;
        }
        let _ = self.state.send(LinkState::Idle);
        loop {
            tokio::select! {
                _ = self.stopped.changed() => return true,
                changed = self.allowed.changed() => match changed {
                    Ok(()) if *self.allowed.borrow_and_update() => return false,
                    Ok(()) => {}
                    Err(_) => return true,
                },
                forward = self.inbox.recv() => match forward {
                    Some(forward) => {
                        let _ = forward.reply.send(Err(ForwardError::Unreachable));
                    }
                    None => return true,
                },
            }
        }
    }

    /// Waits out a back-off, refusing requests meanwhile (they were not sent: the phone keeps
    /// them). Returns true when told to stop.
    async fn refuse_while_waiting(&mut self, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        loop {
            tokio::select! {
                _ = self.stopped.changed() => return true,
                () = tokio::time::sleep_until(until) => return false,
                forward = self.inbox.recv() => match forward {
                    Some(forward) => {
                        let _ = forward.reply.send(Err(ForwardError::Unreachable));
                    }
                    None => return true,
                },
            }
        }
    }

    /// Runs one connection until it breaks or the link stops.
    async fn serve(&mut self, mut stream: TcpStream) -> Ended {
        info!(sn = %self.config.device.sn, addr = %self.config.addr, "platform link connected");
        self.session.connected();
        let decoder = FrameDecoder::new(self.config.max_frame_len);
        let mut input = BytesMut::with_capacity(4096);
        let mut output = BytesMut::new();
        loop {
            while let Some(request) = self.session.poll_transmit(now_ms()) {
                wire::encode_frame(&request, &mut output);
                self.held.push_back(Instant::now());
            }
            // A platform that stops reading must not keep the session open past the lease:
            // the lease is watched while writing (`write_buf` writes nothing when cancelled, and
            // takes what it wrote off `output`).
            while !output.is_empty() {
                tokio::select! {
                    written = stream.write_buf(&mut output) => match written {
                        Ok(0) => return Ended::Broken("write: the connection closed".into()),
                        Ok(_) => {}
                        Err(error) => return Ended::Broken(format!("write: {error}")),
                    },
                    changed = self.allowed.changed() => match changed {
                        Err(_) => return Ended::Stopped,
                        Ok(()) if !*self.allowed.borrow_and_update() => return Ended::Released,
                        Ok(()) => {}
                    },
                }
            }
            self.complete_events();
            let room = self.session.outstanding() < self.config.queue_capacity;
            let wake = self.next_wake();
            tokio::select! {
                _ = self.stopped.changed() => return Ended::Stopped,
                changed = self.allowed.changed() => match changed {
                    // Nobody keeps the lease any more: the relay is stopping.
                    Err(_) => return Ended::Stopped,
                    Ok(()) if !*self.allowed.borrow_and_update() => return Ended::Released,
                    Ok(()) => {}
                },
                read = stream.read_buf(&mut input) => match read {
                    Ok(0) => return Ended::Broken("the platform closed the connection".into()),
                    Ok(_) => {
                        if let Err(reason) = self.take_replies(&decoder, &mut input) {
                            return Ended::Broken(reason);
                        }
                    }
                    Err(error) => return Ended::Broken(format!("read: {error}")),
                },
                forward = self.inbox.recv(), if room => match forward {
                    // Its sender gave up waiting (a peer's forward timed out): not sent at all.
                    Some(forward) if forward.reply.is_closed() => {}
                    Some(forward) => {
                        let id = self.session.submit(forward.apicode, forward.param);
                        self.waiting.insert(id, forward.reply);
                    }
                    None => return Ended::Stopped,
                },
                () = tokio::time::sleep_until(wake) => {
                    if self.held.front().is_some_and(|sent| sent.elapsed() >= self.config.reply_timeout) {
                        return Ended::Broken("the platform did not answer in time".into());
                    }
                }
            }
        }
    }

    /// The earlier of the session's next timer and the oldest frame's reply deadline.
    fn next_wake(&self) -> Instant {
        let session_due = self.session.poll_timeout().map(|due_ms| {
            let wait_ms = u64::try_from(due_ms - now_ms()).unwrap_or(0);
            Instant::now() + Duration::from_millis(wait_ms)
        });
        let reply_due = self
            .held
            .front()
            .map(|sent| *sent + self.config.reply_timeout);
        [session_due, reply_due]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600))
    }

    fn take_replies(&mut self, decoder: &FrameDecoder, input: &mut BytesMut) -> Result<(), String> {
        while let Some(body) = decoder.decode(input).map_err(|e| e.to_string())? {
            let response = wire::decode_response(&body).map_err(|e| e.to_string())?;
            self.held.pop_front();
            self.session
                .handle_response(response, now_ms())
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Hands the session's events to whoever waits for them.
    fn complete_events(&mut self) {
        while let Some(event) = self.session.poll_event() {
            match event {
                SessionEvent::Authenticated => {
                    self.failures = 0;
                    let _ = self.state.send(LinkState::Ready);
                    debug!(sn = %self.config.device.sn, "platform link authenticated");
                }
                SessionEvent::AuthRefused(error) => {
                    warn!(sn = %self.config.device.sn, %error, "the platform refused C_AUTH");
                }
                SessionEvent::HeartbeatRefused(error) => {
                    warn!(sn = %self.config.device.sn, %error, "the platform refused a heartbeat");
                }
                SessionEvent::Tasks(ids) => {
                    let _ = self.tasks.send(ids);
                }
                SessionEvent::Completed { id, result } => {
                    if let Some(reply) = self.waiting.remove(&id) {
                        let result = result.map_err(|failure| match failure {
                            RequestFailure::Refused(error) => ForwardError::Refused(error),
                            RequestFailure::LinkLost => ForwardError::LinkLost,
                        });
                        let _ = reply.send(result);
                    }
                }
            }
        }
        let current = self.session.token();
        self.token.send_if_modified(|token| {
            let changed = token.as_deref() != current;
            if changed {
                *token = current.map(str::to_owned);
            }
            changed
        });
    }
}
