//! The client's rows: its overhead per call, its SSE decoding, and the
//! memory an upload takes.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use openai_rest_client::types::{CreateCompletionRequest, CreateCompletionResponse, Prompt};
use openai_rest_client::{Client, EventStream, Upload};

pub const OVERHEAD_CALLS: usize = 10_000;
pub const SSE_EVENTS: usize = 100_000;
pub const UPLOAD_BYTES: u64 = 200 * 1024 * 1024;

fn client(base_url: String) -> Client {
    Client::builder()
        .api_key("sk-bench")
        .base_url(base_url)
        .max_retries(0)
        .build()
        .expect("a client")
}

fn completion_request() -> CreateCompletionRequest {
    CreateCompletionRequest::builder()
        .model("text-davinci-003")
        .prompt(Prompt::Text("Say this is a test".into()))
        .max_tokens(7)
        .temperature(0.0)
        .try_into()
        .expect("a valid request")
}

/// Seconds per call of `client.completions().create(..)` and of the same
/// request made with plain reqwest + serde_json into the same type, against
/// the server at `addr`, in alternating rounds so that both see the same
/// machine.
pub async fn overhead(addr: SocketAddr) -> (f64, f64) {
    let url = format!("http://{addr}/v1");
    let ours = client(url.clone());
    let plain = openai_contract_tests::http();
    let request = completion_request();
    let ours_call = || async {
        ours.completions()
            .create(request.clone())
            .await
            .expect("a completion");
    };
    let plain_call = || async {
        let body = plain
            .post(format!("{url}/completions"))
            .bearer_auth("sk-bench")
            .json(&request)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("an answer")
            .bytes()
            .await
            .expect("a body");
        serde_json::from_slice::<CreateCompletionResponse>(&body).expect("a completion");
    };
    for _ in 0..500 {
        ours_call().await;
        plain_call().await;
    }
    const ROUNDS: usize = 10;
    let (mut ours_time, mut plain_time) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..OVERHEAD_CALLS / ROUNDS {
            ours_call().await;
        }
        ours_time += start.elapsed();
        let start = Instant::now();
        for _ in 0..OVERHEAD_CALLS / ROUNDS {
            plain_call().await;
        }
        plain_time += start.elapsed();
    }
    let per_call = |time: Duration| time.as_secs_f64() / OVERHEAD_CALLS as f64;
    (per_call(ours_time), per_call(plain_time))
}

/// A streamed completion of `SSE_EVENTS` events in 16 KiB chunks, as a
/// network would hand it over.
fn sse_body(fixtures: &Path) -> Vec<Bytes> {
    let stream = std::fs::read_to_string(fixtures.join("createCompletion/stream.sse"))
        .expect("the stream fixture");
    let event = stream.split("\n\n").next().expect("an event");
    let mut body = Vec::with_capacity((event.len() + 2) * SSE_EVENTS + 16);
    for _ in 0..SSE_EVENTS {
        body.extend_from_slice(event.as_bytes());
        body.extend_from_slice(b"\n\n");
    }
    body.extend_from_slice(b"data: [DONE]\n\n");
    body.chunks(16 * 1024).map(Bytes::copy_from_slice).collect()
}

/// Events per second through the client's `EventStream`, and through a
/// plain loop that splits on blank lines and parses each `data:` line with
/// serde_json; the best of 3 alternating runs each.
pub async fn sse(fixtures: &Path) -> (f64, f64) {
    let chunks = sse_body(fixtures);
    let (mut ours, mut plain) = (Duration::MAX, Duration::MAX);
    for _ in 0..3 {
        let start = Instant::now();
        let stream = futures::stream::iter(chunks.clone().into_iter().map(Ok));
        let mut events = EventStream::<CreateCompletionResponse>::from_bytes(stream);
        let mut count = 0;
        while let Some(event) = events.next().await {
            event.expect("an event");
            count += 1;
        }
        assert_eq!(count, SSE_EVENTS);
        ours = ours.min(start.elapsed());

        let start = Instant::now();
        assert_eq!(plain_sse_loop(&chunks), SSE_EVENTS);
        plain = plain.min(start.elapsed());
    }
    let per_second = |time: Duration| SSE_EVENTS as f64 / time.as_secs_f64();
    (per_second(ours), per_second(plain))
}

/// The baseline: no CR handling, comments or multi-line data, just what
/// this stream needs.
fn plain_sse_loop(chunks: &[Bytes]) -> usize {
    let mut buffer: Vec<u8> = Vec::new();
    let mut count = 0;
    for chunk in chunks {
        buffer.extend_from_slice(chunk);
        let mut start = 0;
        while let Some(end) = find_blank_line(&buffer[start..]) {
            let event = &buffer[start..start + end];
            start += end + 2;
            let data = event.strip_prefix(b"data: ").expect("a data line");
            if data == b"[DONE]" {
                return count;
            }
            serde_json::from_slice::<CreateCompletionResponse>(data).expect("an event");
            count += 1;
        }
        buffer.drain(..start);
    }
    count
}

fn find_blank_line(bytes: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = bytes[from..].iter().position(|&b| b == b'\n') {
        let at = from + i;
        if bytes.get(at + 1) == Some(&b'\n') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Writes a JSON Lines training file of `UPLOAD_BYTES` bytes.
pub fn write_upload_file(path: &Path) {
    use std::io::Write;
    let line = b"{\"prompt\": \"My puppy chewed ->\", \"completion\": \" my shoes.\\n\"}\n";
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("a temp file"));
    let mut written = 0;
    while written + line.len() as u64 <= UPLOAD_BYTES {
        file.write_all(line).expect("writing the upload file");
        written += line.len() as u64;
    }
    file.flush().expect("writing the upload file");
}

/// Run in a child process of its own: uploads `path` to the mock at
/// `base_url` through `files().create(path)` and prints the process's
/// resident memory before and its peak after, in KiB.
pub async fn upload_in_this_process(base_url: String, path: &Path) {
    let client = client(base_url);
    // Warm up: the runtime, the connection pool, the first request.
    client.models().list().await.expect("the mock answers");
    let (before, _) = crate::load::memory_kib(std::process::id()).expect("/proc");
    let file = client
        .files()
        .create(Upload::path(path), "fine-tune")
        .await
        .expect("the upload");
    assert_eq!(
        file.bytes,
        Some(std::fs::metadata(path).expect("the file").len())
    );
    let (_, peak) = crate::load::memory_kib(std::process::id()).expect("/proc");
    println!("{before} {peak}");
}
