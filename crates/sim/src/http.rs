//! The simulator's HTTP side: the task API (`POST /api/device`), person photos, and the
//! inspection API under `/sim/` for tests and for people watching a demo.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::cors::{Any, CorsLayer};
use tracing::{info, warn};

use super::state::{NewPerson, NewTask};
use super::{now_ms, Shared};

/// Largest accepted request body, in bytes: a person page with photos fits comfortably.
const MAX_BODY_BYTES: usize = 4 << 20;

/// The HTTP routes over `state`.
pub(crate) fn router(state: Shared) -> Router {
    Router::new()
        .route("/api/device", post(task_api))
        .route("/sim/signins", get(signins))
        .route("/sim/devices", get(devices))
        .route("/sim/persons", post(add_persons))
        .route("/sim/tasks", post(add_task))
        .route("/sim/tasks/{taskid}", get(task))
        .route("/sim/photos/{file}", get(photo))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Browser tests read `/sim/signins` from the wasm test runner's origin.
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET]),
        )
        .with_state(state)
}

/// Serves `router` on `listener` until `stop` turns true, finishing requests in progress.
pub(crate) async fn serve(listener: TcpListener, state: Shared, mut stop: watch::Receiver<bool>) {
    let shutdown = async move {
        let _ = stop.changed().await;
    };
    if let Err(error) = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
    {
        warn!(%error, "HTTP server failed");
    }
    info!("HTTP server stopped");
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn task_api(State(state): State<Shared>, body: Bytes) -> Response {
    let (well_formed, reply) = state.lock().task(&body, now_ms());
    let status = if well_formed {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    json_response(status, reply)
}

async fn signins(State(state): State<Shared>) -> Json<Value> {
    Json(Value::Array(state.lock().signins().to_vec()))
}

async fn devices(State(state): State<Shared>) -> Json<Value> {
    Json(state.lock().devices(now_ms()))
}

fn bad_request(message: impl std::fmt::Display) -> Response {
    let body = json!({ "error": message.to_string() });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("body does not fit: {e}"))
}

async fn add_persons(State(state): State<Shared>, body: Bytes) -> Response {
    match parse::<Vec<NewPerson>>(&body) {
        Ok(persons) => Json(json!({ "roster": state.lock().add_persons(persons) })).into_response(),
        Err(message) => bad_request(message),
    }
}

async fn add_task(State(state): State<Shared>, body: Bytes) -> Response {
    let added = parse::<NewTask>(&body).and_then(|task| state.lock().add_task(task, now_ms()));
    match added {
        Ok(taskid) => Json(json!({ "taskid": taskid })).into_response(),
        Err(message) => bad_request(message),
    }
}

async fn task(State(state): State<Shared>, Path(taskid): Path<String>) -> Response {
    match state.lock().task_json(&taskid) {
        Some(task) => Json(task).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "no such task" })),
        )
            .into_response(),
    }
}

async fn photo(State(state): State<Shared>, Path(file): Path<String>) -> Response {
    let person_id = file.strip_suffix(".jpg").unwrap_or(&file);
    match state.lock().photo(person_id) {
        Some(jpeg) => ([(header::CONTENT_TYPE, "image/jpeg")], jpeg).into_response(),
        None => (StatusCode::NOT_FOUND, "no such photo").into_response(),
    }
}
