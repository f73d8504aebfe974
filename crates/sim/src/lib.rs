//! The platform simulator: a strict, faithful stand-in for the real-name IoT platform, so every
//! test and the demo have a real counterpart that enforces PROTOCOL.md.
//!
//! - [`tcp`]: the command channel (frames, pipelined, in order).
//! - [`http`]: the task API at `POST /api/device`, person photos, and the `/sim/*` inspection
//!   API for tests and people watching a demo.
//! - [`SimState`]: the platform itself (roster, task queue, sign-ins) behind the protocol
//!   core's [`PlatformHandler`](zj_protocol::PlatformHandler).

#![warn(unreachable_pub)]

mod directory;
mod http;
mod photo;
mod state;
mod tasks;
mod tcp;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use state::SimState;
pub use state::{NewPerson, NewTask};
use zj_host::system_clock::now_ms;

use zj_protocol::{Credential, HandlerConfig};

/// Everything the simulator is told at start.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The vendor credentials the platform issued.
    pub credential: Credential,
    /// Device serial numbers registered to those credentials.
    pub sns: Vec<String>,
    /// Token, heartbeat and clock limits.
    pub limits: HandlerConfig,
    /// Largest accepted TCP frame, in bytes.
    pub max_frame_len: usize,
    /// Persons per page in person tasks.
    pub page_size: usize,
    /// Most TCP connections served at once; more wait to be accepted.
    pub max_connections: usize,
}

/// The simulator's shared state, locked briefly by each request (never across an await).
#[derive(Clone)]
pub struct Shared(Arc<Mutex<SimState>>);

impl Shared {
    /// Locks the state. A panic while locked cannot leave it half-updated in a way that
    /// matters to a simulator, so a poisoned lock is simply taken over.
    pub fn lock(&self) -> MutexGuard<'_, SimState> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running simulator.
pub struct RunningSim {
    /// Where the TCP command channel listens.
    pub tcp_addr: SocketAddr,
    /// Where the HTTP task and inspection API listens.
    pub http_addr: SocketAddr,
    /// The state, for in-process inspection.
    pub state: Shared,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningSim {
    /// Binds both listeners (port 0 allowed) and starts serving.
    pub async fn start(
        config: SimConfig,
        tcp_addr: SocketAddr,
        http_addr: SocketAddr,
    ) -> std::io::Result<Self> {
        let tcp_listener = TcpListener::bind(tcp_addr).await?;
        let http_listener = TcpListener::bind(http_addr).await?;
        let tcp_addr = tcp_listener.local_addr()?;
        let http_addr = http_listener.local_addr()?;
        let max_frame_len = config.max_frame_len;
        let max_connections = config.max_connections;
        let base_url = format!("http://{http_addr}");
        let state = Shared(Arc::new(Mutex::new(SimState::new(
            config,
            base_url,
            rand::random(),
        ))));
        let (shutdown, stop) = watch::channel(false);
        let tcp_task = tokio::spawn(tcp::serve(
            tcp_listener,
            state.clone(),
            tcp::Limits {
                max_frame_len,
                max_connections,
            },
            stop.clone(),
        ));
        let http_task = tokio::spawn(http::serve(http_listener, state.clone(), stop));
        Ok(Self {
            tcp_addr,
            http_addr,
            state,
            shutdown,
            tasks: vec![tcp_task, http_task],
        })
    }

    /// Stops accepting, lets requests in progress finish, and waits for both servers.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
