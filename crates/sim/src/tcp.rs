//! The command channel: frames in, replies out in the same order (so clients may pipeline).
//!
//! Hostile input never gets past the frame decoder's limits: a bad length prefix is answered
//! with `400_02` and the connection closed (the stream cannot be resynchronised); a well-framed
//! message that is not a `Request` is answered with `400_02` and the connection kept.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tracing::{debug, info, warn};

use super::{now_ms, Shared};
use zj_protocol::wire::{self, FrameDecoder, RequestRef, Response};
use zj_protocol::{ErrorCode, ProtocolError, Reply};

/// Connection limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Largest accepted message, in bytes.
    pub max_frame_len: usize,
    /// Most connections served at once.
    pub max_connections: usize,
}

/// A connection that sends nothing for this long is closed (three missed heartbeats).
const IDLE_TIMEOUT: Duration = Duration::from_secs(180);

/// Accepts connections until `stop` turns true, then waits for open connections to finish
/// the frames they have received.
pub(crate) async fn serve(
    listener: TcpListener,
    state: Shared,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let permit = tokio::select! {
            _ = stop.changed() => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    warn!(%error, "accept failed");
                    continue;
                }
            },
        };
        // Replies are written whole; send them at once (no Nagle delay).
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            debug!(%peer, "device connected");
            if let Err(error) = connection(stream, state, limits, stop).await {
                debug!(%peer, %error, "connection ended with an error");
            }
            drop(permit);
        });
    }
    // Wait for every connection to give its permit back.
    let _ = permits.acquire_many(limits.max_connections as u32).await;
    info!("command channel stopped");
}

async fn connection(
    mut stream: TcpStream,
    state: Shared,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let decoder = FrameDecoder::new(limits.max_frame_len);
    let mut input = BytesMut::with_capacity(8 * 1024);
    let mut output = BytesMut::new();
    let mut session = Session {
        sn: None,
        state: state.clone(),
    };
    loop {
        let read = tokio::select! {
            _ = stop.changed() => return Ok(()),
            read = tokio::time::timeout(IDLE_TIMEOUT, stream.read_buf(&mut input)) => read,
        };
        let Ok(read) = read else {
            debug!("idle connection closed");
            return Ok(());
        };
        if read? == 0 {
            return Ok(());
        }
        let closing = answer_frames(&decoder, &mut input, &mut output, &mut session);
        stream.write_all(&output).await?;
        output.clear();
        if closing {
            stream.shutdown().await?;
            return Ok(());
        }
    }
}

/// Answers every whole frame in `input`, appending replies to `output`. Returns true when the
/// stream is broken and the connection must close after the replies are written.
fn answer_frames(
    decoder: &FrameDecoder,
    input: &mut BytesMut,
    output: &mut BytesMut,
    session: &mut Session,
) -> bool {
    loop {
        match decoder.decode(input) {
            Ok(None) => return false,
            Ok(Some(body)) => {
                let response = match RequestRef::decode(&body) {
                    Ok(request) => session.command(&request),
                    Err(error) => unparsable(error).to_response(),
                };
                wire::encode_frame(&response, output);
            }
            Err(error) => {
                warn!(%error, "bad frame; closing the connection");
                wire::encode_frame(&unparsable(error).to_response(), output);
                return true;
            }
        }
    }
}

/// The platform session a connection holds (the sn of its last successful `C_AUTH`), counted
/// by the simulator (`GET /sim/devices`) until the connection closes.
struct Session {
    sn: Option<String>,
    state: Shared,
}

impl Session {
    /// Answers one command; a successful `C_AUTH` makes this connection a session of its sn
    /// (and no longer of another).
    fn command(&mut self, request: &RequestRef<'_>) -> Response {
        let mut state = self.state.lock();
        let response = state.command(request, now_ms());
        let authenticated = request.apicode == "C_AUTH" && response.success;
        if authenticated && self.sn.as_deref() != Some(request.sn) {
            if let Some(previous) = self.sn.replace(request.sn.to_owned()) {
                state.session_closed(&previous);
            }
            state.session_opened(request.sn);
        }
        response
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(sn) = self.sn.take() {
            self.state.lock().session_closed(&sn);
        }
    }
}

fn unparsable(error: wire::FrameError) -> Reply {
    Reply::refusal(
        "",
        ProtocolError::with_detail(ErrorCode::ParamUnparsable, error),
    )
}
