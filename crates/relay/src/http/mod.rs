//! The relay's HTTP edge, the only part that knows axum: the protocol leg (`POST /v1/frame`,
//! `GET /v1/link`), health, metrics and the pages here; the phone and manager API beyond the
//! protocol leg and the MR860 intake in [`api`] ([`phone`], [`manager`], [`mr860`]), whose
//! refusals are [`error::ApiError`]s. Below the edge, the domain returns what happened and
//! this module alone turns it into status codes.

pub(crate) mod account_changes;
pub(crate) mod api;
pub(crate) mod capped_listener;
pub(crate) mod client;
pub(crate) mod edge;
pub(crate) mod error;
pub(crate) mod failures;
pub(crate) mod headers;
pub(crate) mod manager;
pub(crate) mod manager_accounts;
pub(crate) mod manager_login;
pub(crate) mod manager_roster;
pub(crate) mod mr860;
pub(crate) mod pages;
pub(crate) mod password_gate;
pub(crate) mod peer;
pub(crate) mod phone;
pub(crate) mod requests;
pub(crate) mod sheet;
pub(crate) mod terminals;
pub(crate) mod tls;
pub(crate) mod wechat;
pub(crate) mod work_areas;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::connect_info::Connected;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::{IncomingStream, Listener, ListenerExt};
use axum::{Json, Router};
use futures_util::stream::{FuturesOrdered, StreamExt};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tracing::{debug, info, warn};

use crate::phone::gateway::Gateway;
use capped_listener::CappedListener;
use client::{ClientRules, PeerAddr};
use edge::Edge;
use tls::TlsListener;
use zj_protocol::json_form::JsonRequest;
use zj_protocol::sign::RequestView;
use zj_protocol::wire::{frame_bytes, FrameDecoder, FrameError, RequestRef};
use zj_protocol::{Channel, ErrorCode, ProtocolError, Reply};

/// Limits of the phone API.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Largest `/v1/frame` body, in bytes.
    pub max_body_bytes: usize,
    /// Largest `/v1/link` message (one frame), in bytes.
    pub max_frame_len: usize,
    /// Most phone WebSocket links open at once.
    pub max_links: usize,
    /// Most connections open at once, links included.
    pub max_connections: usize,
    /// A link with no message for this long is closed.
    pub link_idle: Duration,
    /// Frames a minute each phone may send on average.
    pub frames_per_minute: u32,
    /// Frames a phone may send at once.
    pub frames_burst: u32,
}

/// What the HTTP handlers share.
pub(crate) struct RelayHttp {
    /// The phone gateway.
    pub gateway: Arc<Gateway>,
    /// The limits.
    pub limits: HttpLimits,
    /// The pages, served at `/` from this directory (else the ones built into the binary).
    pub www_dir: Option<PathBuf>,
    /// The built phone module, served at `/pkg/` from this directory (else the built-in one).
    pub pkg_dir: Option<PathBuf>,
    /// The phone and manager API and the MR860 intake.
    pub api: Arc<crate::http::api::RelayApi>,
    /// How each request's client is worked out (trusted proxies, TLS).
    pub clients: Arc<ClientRules>,
    /// Security headers, TLS and the WeChat signer.
    pub edge: Edge,
    decoder: FrameDecoder,
    stopping: watch::Receiver<bool>,
}

impl RelayHttp {
    /// Handlers over `gateway` with these limits, serving the pages in `www_dir` and the
    /// phone module in `pkg_dir` when given. Phone links close when `stopping` turns true.
    pub(crate) fn new(
        gateway: Arc<Gateway>,
        api: Arc<crate::http::api::RelayApi>,
        limits: HttpLimits,
        www_dir: Option<PathBuf>,
        pkg_dir: Option<PathBuf>,
        clients: ClientRules,
        stopping: watch::Receiver<bool>,
    ) -> Self {
        Self {
            clients: Arc::new(clients),
            edge: Edge::plain(),
            stopping,
            decoder: FrameDecoder::new(limits.max_frame_len),
            gateway,
            api,
            limits,
            www_dir,
            pkg_dir,
        }
    }

    /// The same handlers with this edge (security headers, TLS, WeChat).
    pub(crate) fn with_edge(mut self, edge: Edge) -> Self {
        self.edge = edge;
        self
    }
}

/// The relay's routes.
pub(crate) fn router(http: Arc<RelayHttp>) -> Router {
    let router = Router::new()
        .route("/v1/frame", post(frame))
        .route("/v1/link", get(link))
        .route("/healthz", get(healthz))
        .route(crate::platform::peer::FORWARD_PATH, post(peer::forward))
        .route("/metrics", get(metrics))
        .with_state(http.clone())
        .merge(crate::http::api::router(http.api.clone()))
        .merge(wechat::router(http.edge.wechat.clone()))
        .layer(DefaultBodyLimit::max(http.limits.max_body_bytes));
    router
        .merge(pages_router(&http))
        .layer(headers::phone_api_cors())
        .layer(middleware::from_fn_with_state(
            http.edge.security.clone(),
            headers::add_security_headers,
        ))
        .layer(middleware::from_fn_with_state(
            http.clients.clone(),
            client::find_client,
        ))
}

/// The pages: from the configured directories when given, else those built into the binary;
/// gzip-compressed for browsers that take it (the wasm shrinks to about 40 %), which matters on
/// a site's slow link.
fn pages_router(http: &RelayHttp) -> Router {
    let router = match &http.pkg_dir {
        Some(pkg) => Router::new().nest_service("/pkg", ServeDir::new(pkg)),
        None => Router::new().route("/pkg/{*path}", get(pages::serve)),
    };
    let router = match &http.www_dir {
        Some(www) => router
            .route_service("/manager", ServeFile::new(www.join(pages::MANAGER_PAGE)))
            .fallback_service(ServeDir::new(www)),
        None => router
            .route("/manager", get(pages::manager))
            .fallback(pages::serve),
    };
    router.layer(CompressionLayer::new())
}

/// Serves until `stop` turns true, then stops accepting and lets requests in progress finish.
pub(crate) async fn serve(
    listener: TcpListener,
    http: Arc<RelayHttp>,
    mut stop: watch::Receiver<bool>,
) {
    let shutdown = async move {
        let _ = stop.changed().await;
    };
    // Replies are small and written whole: send them at once rather than waiting for the
    // phone's next ACK (Nagle), which costs a phone link up to the delayed-ACK timer.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let listener = CappedListener::new(listener, http.limits.max_connections);
    let tls = http.edge.tls.clone();
    let routes = router(http);
    match tls {
        Some(tls) => {
            let listener = TlsListener::new(listener, tls.certs, tls.handshake_timeout);
            serve_on(listener, routes, shutdown).await;
        }
        None => serve_on(listener, routes, shutdown).await,
    }
    info!("relay HTTP server stopped");
}

/// Serves `routes` on `listener` (plain or TLS) until `shutdown` completes.
async fn serve_on<L>(
    listener: L,
    routes: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    L: Listener,
    L::Addr: std::fmt::Debug,
    for<'a> PeerAddr: Connected<IncomingStream<'a, L>>,
{
    let service = routes.into_make_service_with_connect_info::<PeerAddr>();
    if let Err(error) = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
    {
        warn!(%error, "relay HTTP server failed");
    }
}

/// A refusal made here, before the gateway (the frame could not be read), counted like the
/// gateway's.
fn unreadable(http: &RelayHttp, error: ProtocolError) -> Reply {
    let reply = Reply::refusal("", error);
    http.gateway.metrics().count_frame(&reply);
    reply
}

fn json_reply(status: StatusCode, reply: &Reply) -> Response {
    let body = reply.to_json_reply(Channel::Command).to_json();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn frame(State(http): State<Arc<RelayHttp>>, body: Bytes) -> Response {
    match JsonRequest::parse(&body) {
        Ok(request) => json_reply(StatusCode::OK, &http.gateway.handle(&request.view()).await),
        Err(error) => json_reply(StatusCode::BAD_REQUEST, &unreadable(&http, error)),
    }
}

async fn link(State(http): State<Arc<RelayHttp>>, upgrade: WebSocketUpgrade) -> Response {
    if http.gateway.metrics().phones_connected() >= http.limits.max_links as i64 {
        let body = json!({"error": "too many phone links; retry later"});
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    let max = http.limits.max_frame_len + 8;
    upgrade
        .max_message_size(max)
        .max_frame_size(max)
        // The default 128 KiB read buffer is resident for every link once used; an idle
        // phone link should cost a few KiB.
        .read_buffer_size(4 * 1024)
        .on_upgrade(move |socket| phone_link(http, socket))
}

/// Frames one phone link may have in flight: worked on at once, answered in order.
const LINK_PIPELINE: usize = 16;

/// One phone's WebSocket: each binary message is one frame. Up to [`LINK_PIPELINE`] frames
/// are worked on at once (a phone sending its backlog is not held to one round trip to the
/// platform per record) and answered in the order they came. Closes when idle too long, or,
/// when the relay stops, once the frames in hand are answered.
async fn phone_link(http: Arc<RelayHttp>, mut socket: WebSocket) {
    let metrics = http.gateway.metrics().clone();
    metrics.phone_link(1);
    let mut stopping = http.stopping.clone();
    let mut in_flight: FuturesOrdered<_> = FuturesOrdered::new();
    let mut reading = true;
    while reading || !in_flight.is_empty() {
        let may_read = reading && in_flight.len() < LINK_PIPELINE;
        tokio::select! {
            _ = stopping.changed(), if reading => reading = false,
            Some(answered) = in_flight.next(), if !in_flight.is_empty() => {
                let (reply, keep): (Reply, bool) = answered;
                let sent = socket
                    .send(Message::Binary(frame_bytes(&reply.to_response())))
                    .await;
                if sent.is_err() || !keep {
                    break;
                }
            }
            received = tokio::time::timeout(http.limits.link_idle, socket.recv()), if may_read => {
                match received {
                    Err(_) if in_flight.is_empty() => {
                        debug!("phone link idle; closing");
                        reading = false;
                    }
                    Err(_) => {} // not idle: waiting for the platform
                    Ok(None | Some(Err(_) | Ok(Message::Close(_)))) => reading = false,
                    Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
                    Ok(Some(Ok(message))) => {
                        reading = matches!(message, Message::Binary(_));
                        in_flight.push_back(link_message(Arc::clone(&http), message));
                    }
                }
            }
        }
    }
    let _ = socket.send(Message::Close(None)).await;
    metrics.phone_link(-1);
}

/// Answers one data message of a link (binary: a frame; text: refused); false when the link
/// must close after the reply.
async fn link_message(http: Arc<RelayHttp>, message: Message) -> (Reply, bool) {
    match message {
        Message::Binary(bytes) => link_frame(&http, &bytes).await,
        _ => (unparsable(&http, "messages must be binary frames"), false),
    }
}

/// Answers one WebSocket frame; false when the link must close after the reply.
async fn link_frame(http: &RelayHttp, message: &[u8]) -> (Reply, bool) {
    let body = match http.decoder.decode_exact(message) {
        Ok(body) => body,
        Err(error) => return (unparsable(http, error), false),
    };
    match RequestRef::decode(body) {
        Ok(request) => (
            http.gateway.handle(&RequestView::from(&request)).await,
            true,
        ),
        Err(error @ FrameError::Body(_)) => (unparsable(http, error), true),
        Err(error) => (unparsable(http, error), false),
    }
}

fn unparsable(http: &RelayHttp, detail: impl std::fmt::Display) -> Reply {
    unreadable(
        http,
        ProtocolError::with_detail(ErrorCode::ParamUnparsable, detail),
    )
}

/// How long `/healthz` waits for the store to answer, milliseconds.
const HEALTH_STORE_MS: u64 = 3_000;

/// `GET /healthz`: 200 `{"ok": true, …}` with each platform link's state; 503 with
/// `"ok": false` when the store (the database) does not answer, so a load balancer sends
/// phones elsewhere.
async fn healthz(State(http): State<Arc<RelayHttp>>) -> Response {
    let platform = http.gateway.platform();
    let links: serde_json::Map<String, serde_json::Value> = (platform.links().iter())
        .map(|(sn, link)| (sn.clone(), json!(format!("{:?}", link.state()))))
        .collect();
    let relay = json!({"relayId": platform.relay_id(), "heldSns": platform.held_sns()});
    let probe = http
        .gateway
        .store()
        .run_deferred(|tx| tx.query_row("SELECT 1", crate::args![], |row| row.get::<i64>(0)));
    let store = match tokio::time::timeout(Duration::from_millis(HEALTH_STORE_MS), probe).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer within {HEALTH_STORE_MS} ms")),
    };
    let (status, ok, store) = match store {
        Ok(()) => (StatusCode::OK, true, json!("ok")),
        Err(problem) => (StatusCode::SERVICE_UNAVAILABLE, false, json!(problem)),
    };
    (
        status,
        Json(json!({"ok": ok, "store": store, "platformLinks": links, "cluster": relay})),
    )
        .into_response()
}

async fn metrics(State(http): State<Arc<RelayHttp>>) -> Response {
    let text = http.gateway.metrics().render(http.gateway.platform());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
