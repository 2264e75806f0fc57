//! `openai-mock serve`: the fake OpenAI API as a standalone offline server;
//! `openai-mock record`: a proxy to the real API that records its answers
//! as fixtures for `serve`.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use openai_rest_mock::{Fixtures, MockOptions, RecordOptions};
use tracing_subscriber::filter::LevelFilter;

/// Each request allocates and frees many small pieces (its parsed body, its
/// answer, hyper's buffers) across the runtime's threads, where glibc's
/// allocator spends more than the mock's own work.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(version, about = "An offline fake of the OpenAI and Azure OpenAI APIs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the whole API (OpenAI under /v1, Azure under /openai) until Ctrl-C
    /// or SIGTERM.
    Serve {
        /// The address to listen on; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// A directory with the layout of fixtures/ whose files replace the
        /// embedded ones.
        #[arg(long, value_name = "DIR")]
        fixtures: Option<PathBuf>,
        /// Accept only this API key (by default any key).
        #[arg(long, value_name = "KEY")]
        api_key: Option<String>,
        /// Milliseconds every answer waits.
        #[arg(long, value_name = "MS", default_value_t = 0)]
        latency: u64,
        /// Answer every call from its fixture and remember nothing (uploads,
        /// fine-tunes, deployments): the mode to run several processes
        /// behind a load balancer.
        #[arg(long)]
        stateless: bool,
        /// How fast the mock's clock runs: 1 (a fine-tune takes about 10 s,
        /// a deployment about 3 s), 10 for ten times faster, 0 to stop it
        /// (then only POST /__mock/clock/advance moves it).
        #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
        clock_speed: f64,
        /// Requests per minute per organization and model, as the API
        /// limited them; one more answers its 429. Off unless given.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        rpm: Option<u32>,
        /// Tokens per minute per organization and model (a request counts
        /// its prompt plus its max_tokens). Off unless given.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        tpm: Option<u32>,
        #[command(flatten)]
        limits: Limits,
        /// off, error, warn, info (one line per request) or debug.
        #[arg(long, default_value = "info")]
        log_level: LevelFilter,
    },
    /// Proxy every request to the real API with the caller's own key, answer
    /// what it answers, and record each answer, secrets masked, into a
    /// directory with the layout of fixtures/ (for `serve --fixtures`), until
    /// Ctrl-C or SIGTERM.
    Record {
        /// The API's base URL: `https://api.openai.com/v1`, or an Azure
        /// resource's endpoint `https://{resource}.openai.azure.com`.
        #[arg(long, value_name = "URL")]
        upstream: String,
        /// The directory to record into; created when the first answer is
        /// recorded.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The address to listen on; port 0 picks a free port. Point
        /// clients at `http://ADDR/v1` (OpenAI) or `http://ADDR` (Azure).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Keep a file already in DIR instead of replacing it with the
        /// latest answer.
        #[arg(long)]
        keep_existing: bool,
        /// Seconds the upstream may take to start answering, and then
        /// between two parts of an answer; 504 when it runs out.
        #[arg(long, value_name = "SECONDS", default_value_t = 600)]
        timeout: u64,
        /// off, error, warn, info (one line per request) or debug.
        #[arg(long, default_value = "info")]
        log_level: LevelFilter,
    },
}

/// What `serve` allows slow and idle clients.
#[derive(clap::Args)]
struct Limits {
    /// Seconds a client may take to send a request's head, from its first
    /// byte (or from connecting); then its connection is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = at_least_one())]
    header_timeout: u64,
    /// Seconds a kept-alive connection may wait between two requests; then
    /// it is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = at_least_one())]
    idle_timeout: u64,
    /// Seconds a request body (an upload) may send nothing; then the answer
    /// is 408 and the connection is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = at_least_one())]
    body_timeout: u64,
    /// Connections served at once; more wait to be accepted, and a warning
    /// says so.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = at_least_one())]
    max_connections: u64,
}

/// A count or a number of seconds: 0 would close every connection at once.
fn at_least_one() -> clap::builder::RangedU64ValueParser {
    clap::value_parser!(u64).range(1..)
}

impl Limits {
    fn apply(&self, options: MockOptions) -> MockOptions {
        options
            .header_timeout(Duration::from_secs(self.header_timeout))
            .idle_timeout(Duration::from_secs(self.idle_timeout))
            .body_timeout(Duration::from_secs(self.body_timeout))
            .max_connections(usize::try_from(self.max_connections).unwrap_or(usize::MAX))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Serve {
            addr,
            fixtures,
            api_key,
            latency,
            stateless,
            clock_speed,
            rpm,
            tpm,
            limits,
            log_level,
        } => {
            init_log(log_level);
            let mut options = MockOptions::default()
                .latency(Duration::from_millis(latency))
                .stateless(stateless)
                .clock_speed(clock_speed);
            if let Some(rpm) = rpm {
                options = options.requests_per_minute(rpm);
            }
            if let Some(tpm) = tpm {
                options = options.tokens_per_minute(tpm);
            }
            let options = limits.apply(options);
            serve(addr, fixtures, api_key, options).await
        }
        Command::Record {
            upstream,
            out,
            addr,
            keep_existing,
            timeout,
            log_level,
        } => {
            init_log(log_level);
            let options = RecordOptions::new(upstream, out)
                .keep_existing(keep_existing)
                .timeout(Duration::from_secs(timeout));
            record(addr, options).await
        }
    }
}

fn init_log(level: LevelFilter) {
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}

async fn serve(
    addr: SocketAddr,
    fixtures: Option<PathBuf>,
    api_key: Option<String>,
    options: MockOptions,
) -> ExitCode {
    let fixtures = match fixtures.map(Fixtures::load).transpose() {
        Ok(fixtures) => fixtures.unwrap_or_default(),
        Err(error) => {
            tracing::error!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let Some(listener) = listen(addr).await else {
        return ExitCode::FAILURE;
    };
    // A request without a key gets the API's 401; say what to send.
    match &api_key {
        None => tracing::info!(
            "any API key is let in: send `Authorization: Bearer <any key>` (Azure: `api-key: <any key>`)"
        ),
        Some(_) => tracing::info!(
            "only the --api-key key is let in: send `Authorization: Bearer <key>` (Azure: `api-key: <key>`)"
        ),
    }
    let mut options = options.fixtures(fixtures);
    if let Some(key) = api_key {
        options = options.api_key(key);
    }
    openai_rest_mock::serve(listener, options, stop_signal()).await;
    ExitCode::SUCCESS
}

async fn record(addr: SocketAddr, options: RecordOptions) -> ExitCode {
    let Some(listener) = listen(addr).await else {
        return ExitCode::FAILURE;
    };
    match openai_rest_mock::record(listener, options, stop_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}

/// Binds `addr` and logs the base URLs, or logs why not.
async fn listen(addr: SocketAddr) -> Option<tokio::net::TcpListener> {
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!("listening on {addr}: {error}");
            return None;
        }
    };
    if let Ok(addr) = listener.local_addr() {
        tracing::info!("listening on http://{addr}/v1 (OpenAI) and http://{addr}/openai (Azure)");
    }
    Some(listener)
}

/// Ctrl-C (SIGINT) or SIGTERM, which container runtimes and service managers
/// send to stop a process: both drain the answers under way.
async fn stop_signal() {
    let ctrl_c = async {
        // Without a signal handler there is no Ctrl-C to wait for.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C: draining the answers under way"),
        () = terminate => tracing::info!("SIGTERM: draining the answers under way"),
    }
}
