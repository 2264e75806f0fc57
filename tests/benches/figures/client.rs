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

/// The cost of one call, on our side and on the plain side.
pub struct Overhead {
    /// CPU seconds per call of this process (every thread: the runtime's
    /// workers do the sending), ours and plain.
    pub cpu: (f64, f64),
    /// Wall seconds per call, ours and plain: information only, as they
    /// include the bare server's time and whatever else the machine runs.
    pub wall: (f64, f64),
}

/// The cost per call of `client.completions().create(..)` and of the same
/// request made with plain reqwest + serde_json into the same type, against
/// the server at `addr` (another process, so that this process's CPU time
/// is the client's alone), in alternating rounds so that both see the same
/// machine.
pub async fn overhead(addr: SocketAddr) -> Overhead {
    let calls = Calls::new(addr);
    for _ in 0..500 {
        calls.ours().await;
        calls.plain().await;
    }
    // Short rounds, so that both sides see the same load on a shared
    // machine, each side first in every other one.
    const ROUNDS: usize = 100;
    let (mut ours, mut plain) = (Spent::default(), Spent::default());
    for round in 0..ROUNDS {
        for side in [round % 2, 1 - round % 2] {
            let start = Spent::now();
            for _ in 0..OVERHEAD_CALLS / ROUNDS {
                if side == 0 {
                    calls.ours().await;
                } else {
                    calls.plain().await;
                }
            }
            if side == 0 {
                ours.add(start);
            } else {
                plain.add(start);
            }
        }
    }
    let per_call = |time: Duration| time.as_secs_f64() / OVERHEAD_CALLS as f64;
    Overhead {
        cpu: (per_call(ours.cpu), per_call(plain.cpu)),
        wall: (per_call(ours.wall), per_call(plain.wall)),
    }
}

/// Run in a process of its own under `valgrind --tool=callgrind`: `count`
/// calls of one side (`ours` or `plain`) against the server at `addr`, so
/// that the instructions of two counts, subtracted, are those of the calls.
pub async fn calls_in_this_process(addr: SocketAddr, side: &str, count: usize) {
    let calls = Calls::new(addr);
    for _ in 0..count {
        match side {
            "ours" => calls.ours().await,
            "plain" => calls.plain().await,
            other => panic!("`{other}` is neither `ours` nor `plain`"),
        }
    }
}

/// The two ways of making the same completion call.
struct Calls {
    url: String,
    ours: Client,
    plain: reqwest::Client,
    request: CreateCompletionRequest,
}

impl Calls {
    fn new(addr: SocketAddr) -> Self {
        let url = format!("http://{addr}/v1");
        Self {
            ours: client(url.clone()),
            plain: openai_contract_tests::http(),
            url,
            request: completion_request(),
        }
    }

    async fn ours(&self) {
        self.ours
            .completions()
            .create(self.request.clone())
            .await
            .expect("a completion");
    }

    /// What a user would write: a client built once, the JSON posted with
    /// bearer auth, the answer decoded into the same generated type.
    async fn plain(&self) {
        let body = self
            .plain
            .post(format!("{}/completions", self.url))
            .bearer_auth("sk-bench")
            .json(&self.request)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("an answer")
            .bytes()
            .await
            .expect("a body");
        serde_json::from_slice::<CreateCompletionResponse>(&body).expect("a completion");
    }
}

/// CPU and wall time spent.
#[derive(Default)]
struct Spent {
    cpu: Duration,
    wall: Duration,
}

impl Spent {
    /// The CPU time this process has used so far, and the wall time since
    /// an arbitrary start.
    fn now() -> (Duration, Instant) {
        (cpu_time(), Instant::now())
    }

    fn add(&mut self, (cpu, wall): (Duration, Instant)) {
        self.cpu += cpu_time().saturating_sub(cpu);
        self.wall += wall.elapsed();
    }
}

/// User and system CPU time of this process, all its threads.
fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is valid.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
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
