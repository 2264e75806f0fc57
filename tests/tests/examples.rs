//! The runnable examples of openai-rest-client (crates/openai-rest-client/examples/)
//! run against openai-rest-mock, so that the documentation cannot rot.
//!
//! Each example is compiled into this binary and run in a child process of
//! it, with OPENAI_BASE_URL pointing at the mock and no arguments: its own
//! environment, and none of the test harness's arguments. A plain `main`
//! (harness = false) so that it can be the child too.

use std::path::Path;
use std::process::Command;

#[path = "../../crates/openai-rest-client/examples/chat_stream.rs"]
mod chat_stream;
#[path = "../../crates/openai-rest-client/examples/completion.rs"]
mod completion;
#[path = "../../crates/openai-rest-client/examples/errors.rs"]
mod errors;
#[path = "../../crates/openai-rest-client/examples/upload_file.rs"]
mod upload_file;

/// An example's `main`.
type Main = fn() -> Result<(), openai_rest_client::Error>;

/// Each example, and what its output must hold when run against the mock.
const EXAMPLES: &[(&str, Main, &str)] = &[
    (
        "chat_stream",
        chat_stream::main,
        "Hello there, how may I assist you today?",
    ),
    ("completion", completion::main, "This is indeed a test"),
    ("errors", errors::main, "refused before sending"),
    ("upload_file", upload_file::main, "uploaded"),
];

/// Set in a child: the example to run.
const RUN_EXAMPLE: &str = "OPENAI_CONTRACT_RUN_EXAMPLE";

fn main() {
    if let Ok(name) = std::env::var(RUN_EXAMPLE) {
        let (_, run, _) = EXAMPLES
            .iter()
            .find(|(n, ..)| *n == name)
            .expect("a known example");
        if let Err(error) = run() {
            eprintln!("{name}: {error}");
            std::process::exit(1);
        }
        return;
    }

    // Every example in the directory is run here.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/openai-rest-client/examples");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("the examples directory")
        .filter_map(|entry| Some(entry.ok()?.path().file_stem()?.to_str()?.to_owned()))
        .collect();
    on_disk.sort();
    let listed: Vec<&str> = EXAMPLES.iter().map(|(name, ..)| *name).collect();
    assert_eq!(
        on_disk,
        listed,
        "add each example of {} to EXAMPLES",
        dir.display()
    );

    let runtime = tokio::runtime::Runtime::new().expect("a runtime for the mock");
    let mock = runtime.block_on(openai_rest_mock::OpenAiMock::start_with(
        openai_rest_mock::MockOptions::default().stateless(true),
    ));
    let mut failed = Vec::new();
    for (name, _, expected) in EXAMPLES {
        let output = Command::new(std::env::current_exe().expect("this binary"))
            .env(RUN_EXAMPLE, name)
            .env("OPENAI_BASE_URL", mock.base_url())
            .env("OPENAI_API_KEY", "sk-example-test")
            .env_remove("OPENAI_ORGANIZATION")
            .output()
            .expect("running an example");
        let stdout = String::from_utf8_lossy(&output.stdout);
        if output.status.success() && stdout.contains(expected) {
            println!("example {name} ... ok");
        } else {
            println!("example {name} ... FAILED");
            failed.push(format!(
                "{name}: {}, stdout {stdout:?}, stderr {:?}, expected {expected:?}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    println!(
        "{} passed, {} failed",
        EXAMPLES.len() - failed.len(),
        failed.len()
    );
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
