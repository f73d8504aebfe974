//! `relay`: phones in over HTTP and WebSocket, the platform out over TCP (see
//! `zj_relay`).
//!
//! `relay serve --config relay.toml` runs a relay; `relay demo` runs the whole system on this
//! machine and prints one JSON line describing it.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use zj_protocol::phone_api::Binding;
use zj_relay::config::{LimitsConfig, Override, PhotoCheckMode, PhotoConfig, RelayConfig};
use zj_relay::demo::Demo;
use zj_relay::server::RunningRelay;
use zj_relay::StoreLocation;

/// The bridge between workers' phones and Zhejiang's real-name IoT platform.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a relay from a TOML configuration file.
    Serve {
        /// The configuration file.
        #[arg(long, env = "RELAY_CONFIG")]
        config: PathBuf,
        /// Overrides `listen`.
        #[arg(long, env = "RELAY_LISTEN")]
        listen: Option<SocketAddr>,
        /// Overrides `data_dir`.
        #[arg(long, env = "RELAY_DATA_DIR")]
        data_dir: Option<PathBuf>,
        /// Overrides any field: `--set limits.frames_per_minute=600` (repeatable; a value in
        /// TOML syntax). Environment variables `RELAY__SECTION__FIELD` do the same; flags win.
        #[arg(long = "set", value_name = "FIELD=VALUE", value_parser = Override::parse)]
        set: Vec<Override>,
    },
    /// Run the whole system on this machine: a platform simulator, the relay, a demo phone
    /// and person, and the pages.
    Demo {
        /// The relay's port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Where the relay keeps its store (default: a fresh folder under the temp dir).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Frames a minute each phone may send on average (the tests raise it to flush
        /// thousands of records from one phone).
        #[arg(long, env = "RELAY_FRAMES_PER_MINUTE", default_value_t = LimitsConfig::default().frames_per_minute)]
        frames_per_minute: u32,
        /// Frames a phone may send at once.
        #[arg(long, env = "RELAY_FRAMES_BURST", default_value_t = LimitsConfig::default().frames_burst)]
        frames_burst: u32,
        /// What the relay does with a sign-in whose photo fails the face check: `refuse`,
        /// `flag` (forward it, flagged in the audit log) or `off` (as `[photo] check`).
        #[arg(long, env = "RELAY_PHOTO_CHECK", default_value = "refuse")]
        photo_check: PhotoCheckMode,
    },
    /// Copy a SQLite store (phones, ledger, roster, sites, fences, accounts: every table) into
    /// an empty PostgreSQL database, in one transaction; prints the rows copied per table.
    /// Stop the relay using the store first.
    MigrateStore {
        /// The SQLite store: `sqlite://PATH` (e.g. `sqlite://relay-data/relay.sqlite3`).
        #[arg(long)]
        from: String,
        /// The PostgreSQL database: `postgres://USER[:PASSWORD]@HOST:PORT/DB` (it must exist).
        #[arg(long)]
        to: String,
    },
    /// Make a one-time enrollment code for a site (prints `{"code","expiresAtMs"}`); works
    /// while the relay runs.
    Enroll {
        /// The relay's configuration file (for its data dir).
        #[arg(long, env = "RELAY_CONFIG")]
        config: PathBuf,
        /// Overrides `data_dir`.
        #[arg(long, env = "RELAY_DATA_DIR")]
        data_dir: Option<PathBuf>,
        /// Overrides any field, as `relay serve --set` (e.g. `--set store.url="postgres://…"`);
        /// `RELAY__SECTION__FIELD` variables too.
        #[arg(long = "set", value_name = "FIELD=VALUE", value_parser = Override::parse)]
        set: Vec<Override>,
        /// The site, e.g. `site-1`.
        #[arg(long)]
        site: String,
        /// `team` (the holder picks workers from the roster) or `personal`.
        #[arg(long, default_value = "team")]
        binding: Binding,
        /// The person a personal phone is bound to.
        #[arg(long)]
        person: Option<String>,
        /// Minutes the code stays valid (default: the configuration's).
        #[arg(long)]
        ttl_minutes: Option<u32>,
    },
}

fn main() -> anyhow::Result<()> {
    zj_host::process::init_logging();
    let args = Args::parse();
    tokio::runtime::Runtime::new()?.block_on(async move {
        match args.command {
            Command::Serve {
                config,
                listen,
                data_dir,
                set,
            } => serve(config, listen, data_dir, set).await,
            Command::Demo {
                port,
                data_dir,
                frames_per_minute,
                frames_burst,
                photo_check,
            } => {
                let limits = LimitsConfig {
                    frames_per_minute,
                    frames_burst,
                    ..LimitsConfig::default()
                };
                let photo = PhotoConfig { check: photo_check };
                demo(port, data_dir, limits, photo).await
            }
            Command::MigrateStore { from, to } => migrate_store(&from, &to),
            Command::Enroll {
                config,
                data_dir,
                set,
                site,
                binding,
                person,
                ttl_minutes,
            } => {
                let mut config = RelayConfig::load_with(&config, &overrides(set))?;
                config.data_dir = data_dir.unwrap_or(config.data_dir);
                let ttl = ttl_minutes.unwrap_or(config.manager.enroll_ttl_minutes);
                let max = config.manager.enroll_max_ttl_minutes;
                anyhow::ensure!(
                    ttl <= max,
                    "--ttl-minutes may be at most {max} ([manager] enroll_max_ttl_minutes)"
                );
                let store = config.store_location()?;
                let code =
                    zj_relay::issue_code(&store, &site, binding, person.as_deref(), ttl).await?;
                println!("{}", serde_json::to_string(&code)?);
                Ok(())
            }
        }
    })
}

/// `relay migrate-store`: the copy runs on a thread of its own (PostgreSQL's blocking client
/// cannot run on the runtime's).
fn migrate_store(from: &str, to: &str) -> anyhow::Result<()> {
    let from = StoreLocation::parse(from).map_err(|e| anyhow::anyhow!("--from: {e}"))?;
    let to = StoreLocation::parse(to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    let copied = std::thread::spawn(move || zj_relay::copy_store(&from, &to))
        .join()
        .map_err(|_| anyhow::anyhow!("the copy stopped unexpectedly"))??;
    println!("{}", serde_json::json!({ "copied": copied }));
    Ok(())
}

/// The overrides of the environment (`RELAY__SECTION__FIELD`), then `set` (flags win).
fn overrides(set: Vec<Override>) -> Vec<Override> {
    let mut overrides = Override::from_env(std::env::vars());
    overrides.extend(set);
    overrides
}

async fn serve(
    path: PathBuf,
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    set: Vec<Override>,
) -> anyhow::Result<()> {
    let mut config = RelayConfig::load_with(&path, &overrides(set))?;
    config.listen = listen.unwrap_or(config.listen);
    config.data_dir = data_dir.unwrap_or(config.data_dir);
    let relay = RunningRelay::start(config).await?;
    println!("{}", serde_json::json!({ "url": relay.url() }));
    std::io::stdout().flush()?;
    tokio::select! {
        () = zj_host::process::shutdown_signal() => {}
        () = reload_tls_on_sighup(&relay) => {}
    }
    relay.shutdown().await;
    Ok(())
}

/// Reloads the relay's TLS certificate files on each SIGHUP (never returns); a file that
/// cannot be used keeps the certificate in service, and the relay logs why.
async fn reload_tls_on_sighup(relay: &RunningRelay) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hangups) = signal(SignalKind::hangup()) else {
        return std::future::pending().await;
    };
    while hangups.recv().await.is_some() {
        let _ = relay.reload_tls();
    }
    std::future::pending().await
}

async fn demo(
    port: u16,
    data_dir: Option<PathBuf>,
    limits: LimitsConfig,
    photo: PhotoConfig,
) -> anyhow::Result<()> {
    let data_dir = data_dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("zj-relay-demo-{}", std::process::id()))
    });
    let demo = Demo::start(port, data_dir.clone(), limits, photo).await?;
    let info = &demo.info;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string(info)?)?;
    writeln!(out, "Relay and pages:      {}", info.url)?;
    writeln!(
        out,
        "Platform simulator:   {}  (sign-ins: {}/sim/signins)",
        info.sim_http, info.sim_http
    )?;
    writeln!(
        out,
        "Demo phone:           sn {}, accessId {}",
        info.phone.sn, info.phone.access_id
    )?;
    writeln!(
        out,
        "Demo worker:          personId {} (张三)",
        info.person_id
    )?;
    writeln!(
        out,
        "Demo site:            {} {} (enrollment code {})",
        info.site.site_id, info.site.name, info.enroll_code
    )?;
    writeln!(
        out,
        "MR860 terminal:       deviceId {} → POST {} (cardNumber {})",
        info.mr860.device_id,
        info.mr860.urls["face"].as_str().unwrap_or_default(),
        info.mr860.card_number
    )?;
    writeln!(out, "Relay store:          {}", data_dir.display())?;
    writeln!(out, "Press Ctrl-C to stop.")?;
    out.flush()?;
    drop(out);
    zj_host::process::shutdown_signal().await;
    demo.shutdown().await;
    Ok(())
}
