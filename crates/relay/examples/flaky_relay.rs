//! A proxy in front of a relay that fails half of the phone API requests, for the browser
//! tests of the outbox: of every four `POST`s, one is refused before it reaches the relay
//! (HTTP 503) and one reaches the relay but its answer is lost (HTTP 502 in its place); the
//! other two pass through. Preflights (`OPTIONS`) and `GET`s always pass.
//!
//! `cargo run --example flaky_relay -- http://127.0.0.1:RELAY_PORT` prints its own URL as the
//! first stdout line and runs until killed.

fn main() -> anyhow::Result<()> {
    proxy::main()
}

mod proxy {
    use std::io::Write;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use axum::body::{to_bytes, Body};
    use axum::extract::{Request, State};
    use axum::http::{header, HeaderValue, Method, StatusCode};
    use axum::response::Response;
    use axum::Router;

    struct Proxy {
        upstream: String,
        client: reqwest::Client,
        posts: AtomicU64,
    }

    pub fn main() -> anyhow::Result<()> {
        let upstream = std::env::args()
            .nth(1)
            .ok_or_else(|| anyhow::anyhow!("usage: flaky_relay RELAY_URL"))?;
        let proxy = Arc::new(Proxy {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
            posts: AtomicU64::new(0),
        });
        tokio::runtime::Runtime::new()?.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "http://{}", listener.local_addr()?)?;
            out.flush()?;
            drop(out);
            let app = Router::new().fallback(forward).with_state(proxy);
            axum::serve(listener, app).await?;
            Ok(())
        })
    }

    async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
        let turn = (request.method() == Method::POST)
            .then(|| proxy.posts.fetch_add(1, Ordering::Relaxed) % 4);
        if turn == Some(0) {
            return failure(StatusCode::SERVICE_UNAVAILABLE);
        }
        let answer = pass_through(&proxy, request).await;
        match (turn, answer) {
            (Some(1), _) => failure(StatusCode::BAD_GATEWAY),
            (_, Ok(response)) => response,
            (_, Err(_)) => failure(StatusCode::BAD_GATEWAY),
        }
    }

    async fn pass_through(proxy: &Proxy, request: Request) -> Result<Response, reqwest::Error> {
        let (parts, body) = request.into_parts();
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let body = to_bytes(body, 16 << 20).await.unwrap_or_default();
        let mut outgoing = proxy
            .client
            .request(parts.method.clone(), format!("{}{path}", proxy.upstream))
            .body(body);
        for (name, value) in &parts.headers {
            if name != header::HOST {
                outgoing = outgoing.header(name, value);
            }
        }
        let answer = outgoing.send().await?;
        let mut response = Response::builder().status(answer.status());
        for (name, value) in answer.headers() {
            response = response.header(name, value);
        }
        let body = answer.bytes().await?;
        Ok(response
            .body(Body::from(body))
            .expect("copied parts are valid"))
    }

    /// A failure the browser can read (with CORS), as a relay's front proxy would give.
    fn failure(status: StatusCode) -> Response {
        let mut response = Response::new(Body::from("flaky proxy"));
        *response.status_mut() = status;
        response.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        response
    }
}
