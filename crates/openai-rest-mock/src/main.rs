//! `openai-mock serve`: the fake OpenAI API as a standalone offline server.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use openai_rest_mock::{Fixtures, MockOptions};
use tracing_subscriber::filter::LevelFilter;

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
        /// off, error, warn, info (one line per request) or debug.
        #[arg(long, default_value = "info")]
        log_level: LevelFilter,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let Command::Serve {
        addr,
        fixtures,
        api_key,
        latency,
        log_level,
    } = Cli::parse().command;
    tracing_subscriber::fmt()
        .with_max_level(log_level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();

    let fixtures = match fixtures.map(Fixtures::load).transpose() {
        Ok(fixtures) => fixtures.unwrap_or_default(),
        Err(error) => {
            tracing::error!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!("listening on {addr}: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Ok(addr) = listener.local_addr() {
        tracing::info!("listening on http://{addr}/v1 (OpenAI) and http://{addr}/openai (Azure)");
    }
    // A request without a key gets the API's 401; say what to send.
    match &api_key {
        None => tracing::info!(
            "any API key is let in: send `Authorization: Bearer <any key>` (Azure: `api-key: <any key>`)"
        ),
        Some(_) => tracing::info!(
            "only the --api-key key is let in: send `Authorization: Bearer <key>` (Azure: `api-key: <key>`)"
        ),
    }
    let mut options = MockOptions::default()
        .latency(Duration::from_millis(latency))
        .fixtures(fixtures);
    if let Some(key) = api_key {
        options = options.api_key(key);
    }
    openai_rest_mock::serve(listener, options, stop_signal()).await;
    ExitCode::SUCCESS
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
