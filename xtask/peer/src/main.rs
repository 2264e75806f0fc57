//! `openai-bench-peer <base url> <calls>`: the same completion request,
//! `calls` times in sequence through each client against the server at
//! `<base url>` (the benchmark's bare server), in alternating rounds so that
//! both see the same machine; prints the seconds per call of ours and of
//! async-openai's.
//!
//! `openai-bench-peer <base url> <calls> ours|plain|async-openai` makes the
//! calls through that client only (`plain`: reqwest and serde_json into our
//! generated type, the client-vs-plain row's baseline), untimed: for counting its instructions per
//! call with `valgrind --tool=callgrind` (two runs, the difference divided
//! by the difference in calls).

use std::time::{Duration, Instant};

use async_openai::types::{CreateCompletionRequestArgs, Prompt as PeerPrompt};
use openai_rest_client::types::{CreateCompletionRequest, CreateCompletionResponse, Prompt};

const ROUNDS: usize = 10;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let base_url = args.next().expect("a base URL");
    let calls: usize = args.next().and_then(|n| n.parse().ok()).expect("a number of calls");

    let ours = openai_rest_client::Client::builder()
        .api_key("sk-bench")
        .base_url(&base_url)
        .max_retries(0)
        .build()
        .expect("our client");
    let request: CreateCompletionRequest = CreateCompletionRequest::builder()
        .model("text-davinci-003")
        .prompt(Prompt::Text("Say this is a test".into()))
        .max_tokens(7)
        .temperature(0.0)
        .try_into()
        .expect("a valid request");
    let ours_call = || async {
        ours.completions()
            .create(request.clone())
            .await
            .expect("a completion through openai-rest-client");
    };

    let peer = async_openai::Client::with_config(
        async_openai::config::OpenAIConfig::new()
            .with_api_key("sk-bench")
            .with_api_base(&base_url),
    );
    let peer_request = CreateCompletionRequestArgs::default()
        .model("text-davinci-003")
        .prompt(PeerPrompt::String("Say this is a test".into()))
        .max_tokens(7u16)
        .temperature(0.0)
        .build()
        .expect("a valid request");
    let peer_call = || async {
        peer.completions()
            .create(peer_request.clone())
            .await
            .expect("a completion through async-openai");
    };

    match args.next().as_deref() {
        Some("ours") => {
            for _ in 0..calls {
                ours_call().await;
            }
            return;
        }
        Some("plain") => {
            openai_rest_client::install_tls_provider();
            let http = openai_rest_client::reqwest::Client::new();
            for _ in 0..calls {
                let body = http
                    .post(format!("{base_url}/completions"))
                    .bearer_auth("sk-bench")
                    .json(&request)
                    .send()
                    .await
                    .expect("an answer")
                    .bytes()
                    .await
                    .expect("a body");
                serde_json::from_slice::<CreateCompletionResponse>(&body).expect("a completion");
            }
            return;
        }
        Some("async-openai") => {
            for _ in 0..calls {
                peer_call().await;
            }
            return;
        }
        Some(other) => panic!("`{other}` is not `ours`, `plain` or `async-openai`"),
        None => {}
    }
    for _ in 0..500 {
        ours_call().await;
        peer_call().await;
    }
    let (mut ours_time, mut peer_time) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..calls / ROUNDS {
            ours_call().await;
        }
        ours_time += start.elapsed();
        let start = Instant::now();
        for _ in 0..calls / ROUNDS {
            peer_call().await;
        }
        peer_time += start.elapsed();
    }
    let per_call = |time: Duration| time.as_secs_f64() / calls as f64;
    println!("{} {}", per_call(ours_time), per_call(peer_time));
}
