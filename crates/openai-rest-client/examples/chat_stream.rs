//! A chat completion, printed as it streams in. Run with OPENAI_API_KEY
//! (and OPENAI_BASE_URL for a mock):
//! `cargo run -p openai-rest-client --example chat_stream`.

use std::io::Write;

use futures::StreamExt;
use openai_rest_client::Client;
use openai_rest_client::chat::MessageExt;
use openai_rest_client::types::{ChatCompletionRequestMessage, CreateChatCompletionRequest};

// `pub` so that the contract suite (tests/tests/examples.rs) can run it.
#[tokio::main]
pub async fn main() -> Result<(), openai_rest_client::Error> {
    let client = Client::from_env()?;
    let request = CreateChatCompletionRequest::builder()
        .model("gpt-3.5-turbo")
        .messages(vec![
            ChatCompletionRequestMessage::system("You are a helpful assistant."),
            ChatCompletionRequestMessage::user("Hello!"),
        ]);
    let mut events = client.chat().create_stream(request).await?;
    let mut stdout = std::io::stdout();
    while let Some(event) = events.next().await {
        for choice in event?.choices {
            if let Some(content) = choice.delta.content {
                print!("{content}");
                stdout.flush()?;
            }
        }
    }
    println!();
    Ok(())
}
