//! `cargo xtask verify`: the contract cases against a live server, one
//! table of what still answers as the spec and the fixtures say.
//!
//! Exits 0 when every case that ran passed, 1 on a contract break or a case
//! that failed, 2 when nothing could be verified (no key, a server that is
//! not this API).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use openai_contract_tests::verify::{self, Options, Target};
use openai_rest_mock::Fixtures;

/// Run the contract cases against the real API (or an Azure resource) and
/// check each answer: status and content type against the spec, a lossless
/// decode into the generated type, its fields against the fixture's.
///
/// OpenAI: OPENAI_API_KEY, and OPENAI_ORGANIZATION if set. Azure (--azure):
/// AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY and AZURE_OPENAI_DEPLOYMENT
/// (the deployment completions and embeddings go to).
#[derive(Parser)]
#[command(bin_name = "cargo xtask verify")]
struct Args {
    /// The OpenAI base URL (`https://api.openai.com/v1` by default); with
    /// --azure, the resource's endpoint instead of AZURE_OPENAI_ENDPOINT.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Verify an Azure OpenAI resource.
    #[arg(long)]
    azure: bool,
    /// Compare with this directory of fixtures (e.g. one `openai-mock
    /// record` wrote) laid over the embedded ones, instead of fixtures/.
    #[arg(long, value_name = "DIR")]
    fixtures: Option<PathBuf>,
    /// Also run what costs money or changes the account: uploads,
    /// fine-tunes, image generation, deployments, deletes. What the run
    /// creates it cancels or deletes after.
    #[arg(long)]
    allow_costly: bool,
    /// Keep the answers, recorded in the fixtures layout, in DIR.
    #[arg(long, value_name = "DIR")]
    record: Option<PathBuf>,
    /// Seconds each answer may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    timeout: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

/// Verifies and prints the table; whether everything passed.
async fn run(args: Args) -> Result<bool, String> {
    let target = Target::from_env(args.azure, args.base_url, |name| std::env::var(name).ok())?;
    let fixtures = match &args.fixtures {
        Some(dir) => Fixtures::load(dir).map_err(|e| e.to_string())?,
        None => Fixtures::default(),
    };
    let options = Options {
        fixtures,
        allow_costly: args.allow_costly,
        timeout: Duration::from_secs(args.timeout),
        record: args.record,
    };
    let report = verify::verify(&target, &options)
        .await
        .map_err(|e| e.to_string())?;
    println!("{report}");
    Ok(report.passed())
}
