//! Uploads a JSON Lines file for fine-tuning, then reads it back. Run with
//! OPENAI_API_KEY (and OPENAI_BASE_URL for a mock):
//! `cargo run -p openai-rest-client --example upload_file [path.jsonl]`.
//! Without a path it uploads a small sample file.

use openai_rest_client::{Client, Upload};

const SAMPLE: &str = "{\"prompt\": \"My puppy chewed ->\", \"completion\": \" my shoes.\\n\"}\n";

// `pub` so that the contract suite (tests/tests/examples.rs) can run it.
#[tokio::main]
pub async fn main() -> Result<(), openai_rest_client::Error> {
    let client = Client::from_env()?;
    let path = match std::env::args().nth(1) {
        Some(path) => path.into(),
        None => {
            let path = std::env::temp_dir().join("openai-rest-client-sample.jsonl");
            std::fs::write(&path, SAMPLE)?;
            path
        }
    };
    // Streamed from disk, however big the file.
    let file = client
        .files()
        .create(Upload::path(&path), "fine-tune")
        .await?;
    // Azure tells the size only once it has checked the file.
    let size = file.bytes.map_or("size not known yet".to_owned(), |bytes| {
        format!("{bytes} bytes")
    });
    println!("uploaded {} as {} ({size})", file.filename, file.id);

    let content = client.files().content(&file.id).await?;
    println!("its content has {} bytes", content.len());
    Ok(())
}
