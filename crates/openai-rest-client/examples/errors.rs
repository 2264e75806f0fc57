//! Telling errors apart. Run with OPENAI_API_KEY (and OPENAI_BASE_URL for a
//! mock): `cargo run -p openai-rest-client --example errors`.

use std::time::Duration;

use openai_rest_client::types::{CreateCompletionRequest, Prompt};
use openai_rest_client::{Client, Error};

// `pub` so that the contract suite (tests/tests/examples.rs) can run it.
#[tokio::main]
pub async fn main() -> Result<(), Error> {
    let client = Client::from_env()?;

    // Caught before sending: n must be at least 1.
    let request = CreateCompletionRequest::builder()
        .model("text-davinci-003")
        .prompt(Prompt::Text("Say this is a test".into()))
        .n(0);
    match client.completions().create(request).await {
        Err(Error::InvalidArgument(problem)) => println!("refused before sending: {problem}"),
        other => println!("unexpected: {other:?}"),
    }

    // What the API answers, with a short timeout and no retries for this call.
    let quick = client
        .with_timeout(Duration::from_secs(10))
        .with_max_retries(0);
    match quick.models().retrieve("no-such-model").await {
        Ok(model) => println!("found {}", model.id),
        Err(Error::InvalidRequest(error)) => {
            println!("no such model ({}): {}", error.status, error.message);
        }
        Err(Error::Authentication(error)) => println!("check OPENAI_API_KEY: {}", error.message),
        Err(Error::QuotaExceeded(error)) => println!("out of quota: {}", error.message),
        Err(error) if error.is_retryable() => println!("try again later: {error}"),
        Err(error) => return Err(error),
    }
    Ok(())
}
