//! A completion. Run with OPENAI_API_KEY (and OPENAI_BASE_URL for a mock):
//! `cargo run -p openai-rest-client --example completion`.

use openai_rest_client::Client;
use openai_rest_client::types::{CreateCompletionRequest, Prompt};

// `pub` so that the contract suite (tests/tests/examples.rs) can run it.
#[tokio::main]
pub async fn main() -> Result<(), openai_rest_client::Error> {
    let client = Client::from_env()?;
    let request = CreateCompletionRequest::builder()
        .model("text-davinci-003")
        .prompt(Prompt::Text("Say this is a test".into()))
        .max_tokens(7)
        .temperature(0.0);
    let completion = client.completions().create(request).await?;
    for choice in &completion.choices {
        println!("{}: {:?}", choice.index, choice.text);
    }
    if let Some(usage) = &completion.usage {
        println!("{} tokens", usage.total_tokens);
    }
    Ok(())
}
