//! `platform-sim`: the real-name IoT platform simulator (see `zj_sim`).
//!
//! Prints `{"tcp":"HOST:PORT","http":"HOST:PORT"}` as its first stdout line once both
//! listeners are bound, then serves until Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;

use clap::Parser;
use zj_protocol::wire::DEFAULT_MAX_FRAME_LEN;
use zj_protocol::{Credential, HandlerConfig};
use zj_sim::{RunningSim, SimConfig};

/// A strict simulator of Zhejiang's real-name IoT platform (TCP commands, HTTP tasks).
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// TCP command channel address (port 0 picks a free port).
    #[arg(long)]
    tcp: SocketAddr,
    /// HTTP task API and inspection address (port 0 picks a free port).
    #[arg(long)]
    http: SocketAddr,
    /// Vendor accessId.
    #[arg(long)]
    access_id: String,
    /// Vendor accessKey.
    #[arg(long)]
    access_key: String,
    /// Vendor accessSecret (or set PLATFORM_SIM_ACCESS_SECRET).
    #[arg(long, env = "PLATFORM_SIM_ACCESS_SECRET", hide_env_values = true)]
    access_secret: String,
    /// A device serial number registered to the vendor; repeat for more.
    #[arg(long = "sn", required = true)]
    sns: Vec<String>,
    /// Seconds without a request after which a token dies.
    #[arg(long, default_value_t = 1800)]
    token_idle_secs: u32,
    /// Seconds without a heartbeat after which a device shows offline.
    #[arg(long, default_value_t = 60)]
    offline_after_secs: u32,
    /// Largest accepted distance between a timeStamp and the platform's clock, in seconds.
    #[arg(long, default_value_t = 300)]
    clock_skew_secs: u32,
    /// Largest accepted TCP message, in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_FRAME_LEN)]
    max_frame_len: usize,
    /// Persons per page in person tasks.
    #[arg(long, default_value_t = 20)]
    page_size: usize,
    /// Most TCP connections served at once.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
}

/// The first stdout line: where both listeners are bound.
#[derive(serde::Serialize)]
struct Listening {
    tcp: String,
    http: String,
}

fn main() -> anyhow::Result<()> {
    zj_host::process::init_logging();
    let args = Args::parse();
    let ms = |secs: u32| i64::from(secs) * 1000;
    let config = SimConfig {
        credential: Credential {
            access_id: args.access_id,
            access_key: args.access_key,
            access_secret: args.access_secret,
        },
        sns: args.sns,
        limits: HandlerConfig {
            token_idle_ms: ms(args.token_idle_secs),
            offline_after_ms: ms(args.offline_after_secs),
            clock_skew_ms: ms(args.clock_skew_secs),
        },
        max_frame_len: args.max_frame_len,
        page_size: args.page_size,
        max_connections: args.max_connections,
    };
    tokio::runtime::Runtime::new()?.block_on(async move {
        let sim = RunningSim::start(config, args.tcp, args.http).await?;
        let mut stdout = std::io::stdout().lock();
        let listening = Listening {
            tcp: sim.tcp_addr.to_string(),
            http: sim.http_addr.to_string(),
        };
        writeln!(stdout, "{}", serde_json::to_string(&listening)?)?;
        stdout.flush()?;
        drop(stdout);
        tracing::info!(tcp = %sim.tcp_addr, http = %sim.http_addr, "platform simulator ready");
        zj_host::process::shutdown_signal().await;
        tracing::info!("shutting down");
        sim.shutdown().await;
        anyhow::Ok(())
    })
}
