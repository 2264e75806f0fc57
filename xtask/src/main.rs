//! Project tasks, run as `cargo xtask <task>`.

mod bench;
mod cargo;
mod codegen;
mod fuzz;
mod json_schema;
mod methods;
mod names;
mod operations;
mod package;
mod rulebook;
mod spec;
mod view;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Tasks of the openai-rs workspace")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Generate crates/openai-rest-raw from the specs in openapi/.
    Codegen {
        /// Regenerate in memory and fail with a diff if the committed code
        /// differs.
        #[arg(long)]
        check: bool,
    },
    /// Measure the mock and the client against their limits and their peers
    /// (release builds) and print the table of figures.
    Bench {
        /// Only these rows: throughput, soak, uploads, client, peer, build,
        /// sse (all by default).
        rows: Vec<String>,
    },
    /// Seed and run the fuzz targets of fuzz/ (cargo-fuzz, libFuzzer) one
    /// after the other, and print the executions each reached.
    Fuzz {
        /// How long each target runs.
        #[arg(long, default_value_t = 600)]
        seconds: u64,
        /// Only these targets: mock_request, client_sse (all by default).
        targets: Vec<String>,
    },
    /// Package the published crates (`cargo package`, verified), then test
    /// and document them from their packages beside a crate that depends on
    /// them, outside this workspace.
    Package {
        /// Package uncommitted changes too (cargo package's flag).
        #[arg(long)]
        allow_dirty: bool,
    },
    /// Run the contract cases against the live API and report, per case,
    /// what no longer answers as the spec and the fixtures say (`cargo xtask
    /// verify --help` for the flags and environment).
    #[command(disable_help_flag = true)]
    Verify {
        /// Passed on to the verify program of tests/.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Codegen { check } => codegen::run(&workspace_root(), check),
        Task::Bench { rows } => bench::run(&workspace_root(), &rows),
        Task::Fuzz { seconds, targets } => fuzz::run(&workspace_root(), seconds, &targets),
        Task::Package { allow_dirty } => package::run(&workspace_root(), allow_dirty),
        Task::Verify { args } => return verify(&workspace_root(), &args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Verification is a program of the contract-test package, which has the
/// case table, the client and the recording proxy; its exit code (1: a
/// contract break, 2: nothing verified) is ours.
fn verify(root: &std::path::Path, args: &[String]) -> std::process::ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(root)
        .args([
            "run",
            "--quiet",
            "-p",
            "openai-contract-tests",
            "--bin",
            "verify",
            "--",
        ])
        .args(args)
        .status();
    match status {
        Ok(status) => std::process::ExitCode::from(status.code().unwrap_or(2).clamp(0, 255) as u8),
        Err(error) => {
            eprintln!("error: running cargo: {error}");
            std::process::ExitCode::from(2)
        }
    }
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}
