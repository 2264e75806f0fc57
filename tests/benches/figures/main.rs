//! `cargo xtask bench`: the figures we promise, measured side by side in one
//! run and printed as ratios, because the machines are shared and noisy.
//! A benchmark that prints, never a timed test.
//!
//! Each server under load runs in a process of its own (the mock's release
//! binary; this binary re-run as the bare server), so that their memory can be
//! read and neither shares a runtime with the load generator.

mod client;
mod load;
mod uploads;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use load::{Load, Shot, Until};
use openai_contract_tests::cases::fixtures_dir;

/// Set to run this binary as the bare server on the given address.
const BARE_SERVER_ENV: &str = "OPENAI_BENCH_BARE_SERVER";
/// With [`BARE_SERVER_ENV`]: `<case> <file> <content type>`, the one answer
/// the bare server gives the request of [`throughput_cases`]`[case]` (what
/// the mock answered it).
const BARE_ANSWER_ENV: &str = "OPENAI_BENCH_BARE_ANSWER";
/// Set to run this binary as the uploader: `<base url> <path>`.
const UPLOAD_ENV: &str = "OPENAI_BENCH_UPLOAD";
/// Set to run this binary as the caller of the client row, to count its
/// instructions under callgrind: `<bare server address> <ours|plain>
/// <count>`.
const CALLS_ENV: &str = "OPENAI_BENCH_CALLS";
const CONNECTIONS: usize = 64;
const WARM_UP: Duration = Duration::from_secs(1);
/// How long each server is measured, in `ROUNDS` turns.
const MEASURE: Duration = Duration::from_secs(5);
const ROUNDS: u32 = 5;
const SOAK_CONNECTIONS: usize = 256;
const SOAK: Duration = Duration::from_secs(60);

const COMPLETION: &str =
    r#"{"model":"text-davinci-003","prompt":"Say this is a test","max_tokens":7,"temperature":0}"#;
const COMPLETION_STREAM: &str = r#"{"model":"text-davinci-003","prompt":"Say this is a test","max_tokens":7,"temperature":0,"stream":true}"#;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Ok(addr) = std::env::var(BARE_SERVER_ENV) {
        runtime.block_on(bare_server(addr.parse().expect("a socket address")));
        return;
    }
    if let Ok(job) = std::env::var(CALLS_ENV) {
        let [addr, side, count] = job.split(' ').collect::<Vec<_>>()[..] else {
            panic!("{CALLS_ENV} is not `<address> <side> <count>`: {job}");
        };
        // One thread: no worker searching for work, so that a count is
        // the same from one run to the next.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        runtime.block_on(client::calls_in_this_process(
            addr.parse().expect("a socket address"),
            side,
            count.parse().expect("a count"),
        ));
        return;
    }
    if let Ok(job) = std::env::var(UPLOAD_ENV) {
        let (base_url, path) = job.split_once(' ').expect("<base url> <path>");
        runtime.block_on(client::upload_in_this_process(
            base_url.into(),
            Path::new(path),
        ));
        return;
    }
    // `cargo bench` passes `--bench`; other arguments pick rows by name
    // (`throughput`, `soak`, `churn`, `uploads`, `client`, `peer`, `build`,
    // `sse`).
    let picked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let wanted = |row: &str| picked.is_empty() || picked.iter().any(|p| p == row);
    let mut table = Table::default();
    runtime.block_on(async {
        if wanted("throughput") {
            mock_throughput(&mut table).await;
        }
        if wanted("soak") {
            mock_soak(&mut table).await;
        }
        if wanted("churn") {
            store_churn(&mut table).await;
        }
        if wanted("uploads") {
            mock_upload_memory(&mut table).await;
        }
        if wanted("client") {
            client_overhead(&mut table).await;
        }
        if wanted("peer") {
            client_against_peer(&mut table).await;
        }
        if wanted("build") {
            build_cost(&mut table);
        }
        if wanted("sse") {
            sse_decoding(&mut table).await;
        }
        if wanted("client") {
            upload_memory(&mut table).await;
        }
    });
    table.print();
}

fn fixture(path: &str) -> Bytes {
    let path = fixtures_dir().join(path);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
        .into()
}

/// The requests of the throughput rows and the fixtures the bare server
/// answers them with when it is not given the mock's answer (the client
/// rows).
fn throughput_cases() -> Vec<(&'static str, Shot, &'static str, Bytes)> {
    vec![
        (
            "GET /v1/models",
            Shot::get("/v1/models"),
            "application/json",
            fixture("listModels/response.json"),
        ),
        (
            "POST /v1/completions",
            Shot::post("/v1/completions", COMPLETION),
            "application/json",
            fixture("createCompletion/response.json"),
        ),
        (
            "POST /v1/completions stream",
            Shot::post("/v1/completions", COMPLETION_STREAM),
            "text/event-stream",
            fixture("createCompletion/stream.sse"),
        ),
    ]
}

async fn bare_server(addr: SocketAddr) {
    let answers = match std::env::var(BARE_ANSWER_ENV) {
        Ok(answer) => {
            let [case, file, content_type] = answer.splitn(3, ' ').collect::<Vec<_>>()[..] else {
                panic!("{BARE_ANSWER_ENV} is not `<case> <file> <content type>`: {answer}");
            };
            let case: usize = case.parse().expect("a case's index");
            let (_, shot, _, _) = throughput_cases().swap_remove(case);
            let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("reading {file}: {e}"));
            vec![(shot, content_type.to_owned(), bytes.into())]
        }
        Err(_) => throughput_cases()
            .into_iter()
            .map(|(_, shot, content_type, bytes)| (shot, content_type.to_owned(), bytes))
            .collect(),
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .expect("binding the bare server");
    load::serve_bare(listener, answers).await;
}

/// A server process that is killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start(mut command: Command, addr: SocketAddr) -> Server {
        let child = command
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {command:?}: {e}"));
        let server = Server { child, addr };
        load::wait_for_listener(addr, Duration::from_secs(30))
            .await
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
        server
    }

    async fn mock() -> Server {
        Server::mock_with(&[]).await
    }

    /// The mock's binary with the flags `args` besides its address.
    async fn mock_with(args: &[&str]) -> Server {
        let addr = free_addr();
        let mut command = Command::new(mock_binary());
        command.args(["serve", "--addr", &addr.to_string(), "--log-level", "warn"]);
        command.args(args);
        Server::start(command, addr).await
    }

    /// The bare server answering the fixtures of [`throughput_cases`].
    async fn bare() -> Server {
        Server::bare_with(None).await
    }

    /// The bare server answering the request of `throughput_cases()[case]`
    /// with `content_type` and the bytes in `file`.
    async fn bare_answering(case: usize, file: &Path, content_type: &str) -> Server {
        Server::bare_with(Some(format!("{case} {} {content_type}", file.display()))).await
    }

    async fn bare_with(answer: Option<String>) -> Server {
        let addr = free_addr();
        let mut command = Command::new(std::env::current_exe().expect("this binary's path"));
        command.env(BARE_SERVER_ENV, addr.to_string());
        if let Some(answer) = answer {
            command.env(BARE_ANSWER_ENV, answer);
        }
        Server::start(command, addr).await
    }

    /// Resets the process's peak resident memory (VmHWM) to its current
    /// one, so that a peak read later is the peak since now.
    fn reset_peak(&self) {
        // 5: reset the peak RSS (Linux 4.0+; see proc(5), clear_refs).
        if let Err(error) = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5") {
            eprintln!("cannot reset the peak memory ({error}): the peak includes the start-up");
        }
    }

    fn memory_mib(&self) -> (f64, f64) {
        let (rss, peak) = load::memory_kib(self.child.id()).expect("reading /proc");
        (rss as f64 / 1024.0, peak as f64 / 1024.0)
    }
}

/// The release build of `openai-mock`, next to this binary's target directory
/// (`cargo xtask bench` builds it first).
fn mock_binary() -> PathBuf {
    if let Ok(path) = std::env::var("OPENAI_MOCK_BIN") {
        return path.into();
    }
    let exe = std::env::current_exe().expect("this binary's path");
    // target/release/deps/figures-<hash> -> target/release/openai-mock
    let path = exe
        .parent()
        .and_then(Path::parent)
        .expect("a target directory")
        .join("openai-mock");
    assert!(
        path.exists(),
        "{} is missing: run `cargo xtask bench`, which builds it",
        path.display()
    );
    path
}

fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address")
}

/// Warms both servers up, then loads them in turns, `ROUNDS` windows each,
/// so that a burst of load from elsewhere on the machine falls on both.
async fn measure_in_turns(mock: &Server, bare: &Server, shot: &Shot) -> (Load, Load) {
    let shots = Arc::new(vec![shot.clone()]);
    for server in [mock, bare] {
        load::closed_loop(
            server.addr,
            shots.clone(),
            CONNECTIONS,
            Until::Elapsed(WARM_UP),
            false,
        )
        .await;
    }
    let window = Until::Elapsed(MEASURE / ROUNDS);
    let (mut on_mock, mut on_bare) = (Load::default(), Load::default());
    for _ in 0..ROUNDS {
        on_mock.add(load::closed_loop(mock.addr, shots.clone(), CONNECTIONS, window, true).await);
        on_bare.add(load::closed_loop(bare.addr, shots.clone(), CONNECTIONS, window, true).await);
    }
    on_mock.latencies_us.sort_unstable();
    on_bare.latencies_us.sort_unstable();
    (on_mock, on_bare)
}

/// Requests per second of the mock against the bare server sending the same
/// bytes, per request: the mock's first answer, which the bare server then
/// gives every request.
async fn mock_throughput(table: &mut Table) {
    let dir = tempfile::tempdir().expect("a temp dir");
    for (index, (name, shot, _, _)) in throughput_cases().into_iter().enumerate() {
        eprintln!("measuring mock throughput, {name} ...");
        // Both are up, but only the one under load uses the cores; both are
        // killed when dropped at the end of the case.
        let mock_server = Server::mock().await;
        let (content_type, answer) = load::answer(mock_server.addr, &shot)
            .await
            .unwrap_or_else(|e| panic!("the mock's answer to {name}: {e}"));
        let file = dir.path().join(index.to_string());
        std::fs::write(&file, &answer).expect("writing the mock's answer");
        let bare_server = Server::bare_answering(index, &file, &content_type).await;
        let (mock, bare) = measure_in_turns(&mock_server, &bare_server, &shot).await;
        table.row(
            format!("mock throughput, {name}"),
            Figure::Ratio {
                measured: mock.per_second(),
                limit: bare.per_second(),
                target: Bound::AtLeast(0.9),
                unit: "req/s",
            },
            format!(
                "both send the mock's {}-byte {content_type}; p50/p99 {:.2}/{:.2} ms (bare {:.2}/{:.2}); failures {} (bare {})",
                answer.len(),
                mock.latency_ms(0.5),
                mock.latency_ms(0.99),
                bare.latency_ms(0.5),
                bare.latency_ms(0.99),
                mock.failures,
                bare.failures
            ),
        );
    }
}

/// 256 connections of mixed requests (JSON, streams, small uploads)
/// for 60 s: the mock's errors and its resident memory growth.
async fn mock_soak(table: &mut Table) {
    eprintln!(
        "soaking the mock with {SOAK_CONNECTIONS} connections for {} s ...",
        SOAK.as_secs()
    );
    // Stateless: a stateful mock keeps every file uploaded (up to the
    // docs' 1 GB), which is growth by design, not the leak this row looks
    // for.
    let mock = Server::mock_with(&["--stateless"]).await;
    let (form_type, form) = uploads::small_form(4);
    let audio = Shot::post_as(
        "/v1/audio/transcriptions",
        "multipart/form-data; boundary=a".into(),
        Bytes::from_static(
            b"--a\r\ncontent-disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n\
              --a\r\ncontent-disposition: form-data; name=\"file\"; filename=\"hello.mp3\"\r\n\r\n\
              ID3 not really audio\r\n--a--\r\n",
        ),
    );
    let shots: Arc<Vec<Shot>> = Arc::new(vec![
        Shot::get("/v1/models"),
        Shot::post("/v1/completions", COMPLETION),
        Shot::post("/v1/completions", COMPLETION_STREAM),
        Shot::post(
            "/v1/chat/completions",
            r#"{"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"Hello!"}]}"#,
        ),
        Shot::post(
            "/v1/chat/completions",
            r#"{"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"Hello!"}],"stream":true}"#,
        ),
        Shot::post(
            "/v1/embeddings",
            r#"{"model":"text-embedding-ada-002","input":"The food was delicious and the waiter..."}"#,
        ),
        Shot::post_as("/v1/files", form_type, form),
        audio,
        Shot::get("/v1/files/file-XjGxS3KTG0uNmNOK362iJua3"),
        Shot::get("/v1/fine-tunes/ft-AF1WoRqd3aJAHsqc9NY7iL8F/events"),
        Shot::get("/v1/models/curie:ft-acmeco-2021-03-03-21-44-20"),
    ]);
    // Warm up first: allocator pools and the runtime's buffers grow once.
    let warm = load::closed_loop(
        mock.addr,
        shots.clone(),
        SOAK_CONNECTIONS,
        Until::Elapsed(Duration::from_secs(5)),
        false,
    )
    .await;
    let (before, _) = mock.memory_mib();
    let soak = load::closed_loop(
        mock.addr,
        shots,
        SOAK_CONNECTIONS,
        Until::Elapsed(SOAK),
        false,
    )
    .await;
    let (after, peak) = mock.memory_mib();
    table.row(
        format!(
            "mock soak errors, {SOAK_CONNECTIONS} conns x {} s",
            SOAK.as_secs()
        ),
        Figure::AtMost {
            measured: (soak.failures + warm.failures) as f64,
            target: 0.0,
            unit: "errors",
        },
        format!(
            "{} requests ({:.0} req/s) of 11 kinds: JSON, streams, small uploads; an error is a \
             failed exchange or a non-2xx answer",
            soak.requests,
            soak.per_second()
        ),
    );
    table.row(
        format!(
            "mock soak memory growth, {SOAK_CONNECTIONS} conns x {} s",
            SOAK.as_secs()
        ),
        Figure::AtMost {
            measured: after - before,
            target: 20.0,
            unit: "MiB",
        },
        format!("RSS {before:.1} -> {after:.1} MiB (peak {peak:.1}) after a 5 s warm-up"),
    );
}

/// The mock's peak resident memory above its baseline while
/// it reads one 500 MB upload, then 16 concurrent 50 MB uploads, each a
/// fresh process; each answer's `bytes` must be the size sent.
async fn mock_upload_memory(table: &mut Table) {
    for (name, count, size, target) in [
        (
            "mock upload memory, one 500 MB upload",
            1,
            500_000_000,
            32.0,
        ),
        (
            "mock upload memory, 16 x 50 MB at once",
            16,
            50_000_000,
            128.0,
        ),
    ] {
        eprintln!("measuring {name} ...");
        let mock = Server::mock().await;
        // Warm up: the runtime, the schemas, the first upload's buffers.
        uploads::upload(mock.addr, 1_000_000)
            .await
            .unwrap_or_else(|e| panic!("a warm-up upload: {e}"));
        let (before, _) = mock.memory_mib();
        mock.reset_peak();
        let started = std::time::Instant::now();
        let answers =
            futures::future::join_all((0..count).map(|_| uploads::upload(mock.addr, size))).await;
        let elapsed = started.elapsed();
        let (_, peak) = mock.memory_mib();
        let wrong: Vec<String> = answers
            .iter()
            .filter_map(|answer| match answer {
                Ok((sent, bytes)) if sent == bytes => None,
                Ok((sent, bytes)) => Some(format!("bytes {bytes} for {sent} sent")),
                Err(error) => Some(error.clone()),
            })
            .collect();
        let sent: u64 = answers.iter().flatten().map(|(sent, _)| sent).sum();
        table.row(
            name.into(),
            Figure::AtMost {
                // A wrong answer fails the row whatever the memory.
                measured: if wrong.is_empty() {
                    peak - before
                } else {
                    f64::NAN
                },
                target,
                unit: "MiB",
            },
            format!(
                "RSS {before:.1} MiB before, peak {peak:.1} MiB; {:.0} MB in {:.1} s; {}",
                sent as f64 / 1e6,
                elapsed.as_secs_f64(),
                if wrong.is_empty() {
                    format!("all {count} answers' bytes = size sent")
                } else {
                    format!("WRONG: {}", wrong.join("; "))
                }
            ),
        );
    }
}

/// Files created and deleted by [`store_churn`], after as many to warm up.
const CHURN_FILES: usize = 10_000;

/// The stateful mock's memory after 10,000 files of about 10 KiB were uploaded and
/// deleted by 16 clients at once: the store keeps file bytes on disk, not in
/// memory, and lets go of every trace of a deleted file.
async fn store_churn(table: &mut Table) {
    eprintln!("creating and deleting {CHURN_FILES} files ...");
    let mock = Server::mock().await;
    let base_url = format!("http://{}/v1", mock.addr);
    churn(&base_url, CHURN_FILES / 10).await;
    let (before, _) = mock.memory_mib();
    let started = std::time::Instant::now();
    churn(&base_url, CHURN_FILES).await;
    let elapsed = started.elapsed();
    let (after, peak) = mock.memory_mib();
    table.row(
        format!("mock memory growth over {CHURN_FILES} files created and deleted"),
        Figure::AtMost {
            measured: after - before,
            target: 20.0,
            unit: "MiB",
        },
        format!(
            "RSS {before:.1} -> {after:.1} MiB (peak {peak:.1}); about 10 KiB each, 16 clients, {:.1} s",
            elapsed.as_secs_f64()
        ),
    );
}

/// Uploads and deletes `files` training files of about 10 KiB through 16
/// clients at once; panics on any answer but 200.
async fn churn(base_url: &str, files: usize) {
    let (form_type, form) = uploads::small_form(11);
    let http = openai_contract_tests::http();
    let clients = (0..16).map(|_| {
        let (http, form_type, form) = (http.clone(), form_type.clone(), form.clone());
        let base_url = base_url.to_owned();
        tokio::spawn(async move {
            for _ in 0..files / 16 {
                let created: serde_json::Value = http
                    .post(format!("{base_url}/files"))
                    .bearer_auth("sk-bench")
                    .header(reqwest::header::CONTENT_TYPE, &form_type)
                    .body(form.clone())
                    .send()
                    .await
                    .and_then(reqwest::Response::error_for_status)
                    .expect("an upload")
                    .json()
                    .await
                    .expect("the file object");
                let id = created["id"].as_str().expect("the file's id");
                http.delete(format!("{base_url}/files/{id}"))
                    .bearer_auth("sk-bench")
                    .send()
                    .await
                    .and_then(reqwest::Response::error_for_status)
                    .expect("a delete");
            }
        })
    });
    for client in clients.collect::<Vec<_>>() {
        client.await.expect("a churning client");
    }
}

/// Row 3: the time per call of the client against plain reqwest + serde_json.
async fn client_overhead(table: &mut Table) {
    eprintln!(
        "timing {} client calls and as many plain ones ...",
        client::OVERHEAD_CALLS
    );
    let bare = Server::bare().await;
    let overhead = client::overhead(bare.addr).await;
    let (ours, plain) = overhead.cpu;
    let (ours_wall, plain_wall) = overhead.wall;
    table.row(
        format!("client CPU per call, {} completions", client::OVERHEAD_CALLS),
        Figure::Ratio {
            measured: ours * 1e6,
            limit: plain * 1e6,
            // The instructions below carry the target: on a shared machine
            // this swings by +-0.04 from run to run.
            target: Bound::Information,
            unit: "us",
        },
        format!(
            "client.completions().create(..) vs reqwest + serde_json into the same type, \
             this process's CPU time (getrusage) against the bare server; wall {:.1} vs {:.1} us ({:.2}x)",
            ours_wall * 1e6,
            plain_wall * 1e6,
            ours_wall / plain_wall
        ),
    );
    match (instructions_per_call(bare.addr, "ours")).and_then(|ours| {
        instructions_per_call(bare.addr, "plain").map(|plain| (ours, plain))
    }) {
        Ok((ours, plain)) => table.row(
            "client instructions per call, completions".into(),
            Figure::Ratio {
                measured: ours / 1e3,
                limit: plain / 1e3,
                target: Bound::AtMost(1.05),
                unit: "k instr",
            },
            format!(
                "the same calls counted by callgrind, {} minus {} calls of each side in a process of its own",
                COUNTED_CALLS.1, COUNTED_CALLS.0
            ),
        ),
        Err(why) => eprintln!("no instruction row: {why}"),
    }
}

/// How many calls the instruction row counts: the second figure minus the
/// first, so that starting the process and the first calls fall out.
const COUNTED_CALLS: (u64, u64) = (200, 1200);

/// Instructions per call of one `side` (`ours` or `plain`) against the
/// server at `addr`, counted by callgrind in a child process of this binary.
fn instructions_per_call(addr: SocketAddr, side: &str) -> Result<f64, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut totals = Vec::new();
    for calls in [COUNTED_CALLS.0, COUNTED_CALLS.1] {
        let out = dir.path().join(format!("{side}-{calls}"));
        let status = Command::new("valgrind")
            .arg("--tool=callgrind")
            .arg(format!("--callgrind-out-file={}", out.display()))
            .arg(std::env::current_exe().map_err(|e| e.to_string())?)
            .env(CALLS_ENV, format!("{addr} {side} {calls}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("running valgrind: {e}"))?;
        if !status.success() {
            return Err(format!("callgrind of {calls} {side} calls: {status}"));
        }
        let text = std::fs::read_to_string(&out).map_err(|e| e.to_string())?;
        let total = (text.lines())
            .find_map(|line| {
                line.strip_prefix("totals: ")
                    .or(line.strip_prefix("summary: "))
            })
            .and_then(|n| n.trim().parse::<f64>().ok())
            .ok_or_else(|| format!("no total in {}", out.display()))?;
        totals.push(total);
    }
    Ok((totals[1] - totals[0]) / (COUNTED_CALLS.1 - COUNTED_CALLS.0) as f64)
}

/// The peer program (`xtask/peer`, built by `cargo xtask bench`).
const PEER_ENV: &str = "OPENAI_BENCH_PEER";
/// `<ours> <async-openai>`: CPU seconds of the clean release builds `cargo
/// xtask bench` timed.
const BUILD_SECONDS_ENV: &str = "OPENAI_BENCH_BUILD_SECONDS";

/// The time per call of the client against async-openai 0.14.3, the leading
/// Rust client of 2023: the same completions against the bare server, in
/// alternating rounds in one process of their own (xtask/peer).
async fn client_against_peer(table: &mut Table) {
    let Ok(peer) = std::env::var(PEER_ENV) else {
        eprintln!("{PEER_ENV} is not set (`cargo xtask bench` sets it): no peer row");
        return;
    };
    eprintln!(
        "timing {} calls through our client and async-openai 0.14.3 ...",
        client::OVERHEAD_CALLS
    );
    let bare = Server::bare().await;
    let output = Command::new(&peer)
        .args([
            format!("http://{}/v1", bare.addr),
            client::OVERHEAD_CALLS.to_string(),
        ])
        .output()
        .unwrap_or_else(|e| panic!("running {peer}: {e}"));
    assert!(
        output.status.success(),
        "the peer program failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let figures: Vec<f64> = String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .map(|seconds| seconds.parse::<f64>().expect("seconds") * 1e6)
        .collect();
    table.row(
        format!(
            "client vs async-openai 0.14.3, {} completions",
            client::OVERHEAD_CALLS
        ),
        Figure::Ratio {
            measured: figures[0],
            limit: figures[1],
            // reqwest 0.13 alone costs about 1.27x reqwest 0.11 per call,
            // which async-openai 0.14.3 is on: what is ours is the row
            // against plain reqwest.
            target: Bound::Information,
            unit: "us",
        },
        "client.completions().create(..) vs async-openai's, against the bare server, alternating rounds".into(),
    );
}

/// A clean release build of a crate depending on our client against one
/// depending on async-openai 0.14.3, as `cargo xtask bench` timed them.
fn build_cost(table: &mut Table) {
    let Ok(seconds) = std::env::var(BUILD_SECONDS_ENV) else {
        eprintln!("{BUILD_SECONDS_ENV} is not set (`cargo xtask bench` sets it): no build row");
        return;
    };
    let seconds: Vec<f64> = seconds
        .split_whitespace()
        .map(|s| s.parse().expect("seconds"))
        .collect();
    table.row(
        "clean release build, client vs async-openai 0.14.3".into(),
        Figure::Ratio {
            measured: seconds[0],
            limit: seconds[1],
            target: Bound::AtMost(1.0),
            unit: "CPU s",
        },
        "a binary crate depending only on openai-rest-client (default features) vs only on async-openai 0.14.3".into(),
    );
}

/// Events per second of the client's stream type against a plain loop.
async fn sse_decoding(table: &mut Table) {
    eprintln!("decoding {} events ...", client::SSE_EVENTS);
    let (ours, plain) = client::sse(&fixtures_dir()).await;
    table.row(
        format!("SSE decoding, {} events in memory", client::SSE_EVENTS),
        Figure::Ratio {
            measured: ours,
            limit: plain,
            target: Bound::AtLeast(0.9),
            unit: "ev/s",
        },
        "EventStream::from_bytes vs split on blank lines + serde_json, 16 KiB chunks, best of 3"
            .into(),
    );
}

/// The client's peak memory uploading a 200 MB file to the mock.
async fn upload_memory(table: &mut Table) {
    eprintln!("uploading {} MiB ...", client::UPLOAD_BYTES / 1024 / 1024);
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("upload.jsonl");
    client::write_upload_file(&path);
    let mock = Server::mock().await;
    let output = Command::new(std::env::current_exe().expect("this binary's path"))
        .env(
            UPLOAD_ENV,
            format!("http://{}/v1 {}", mock.addr, path.display()),
        )
        .output()
        .expect("running the uploader");
    // The 200 MiB file goes before the figures are read.
    drop(dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the upload failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let figures: Vec<f64> = stdout
        .split_whitespace()
        .map(|kib| kib.parse::<f64>().expect("KiB") / 1024.0)
        .collect();
    let (before, peak) = (figures[0], figures[1]);
    table.row(
        format!(
            "upload memory, {} MiB file",
            client::UPLOAD_BYTES / 1024 / 1024
        ),
        Figure::AtMost {
            measured: peak - before,
            target: 30.0,
            unit: "MiB",
        },
        format!("files().create(Upload::path(..)): RSS {before:.1} MiB before, peak {peak:.1} MiB"),
    );
}

/// What one row measured and what it is held to.
enum Figure {
    /// `measured` against `limit`, in `unit`: their ratio is held to `target`.
    Ratio {
        measured: f64,
        limit: f64,
        target: Bound,
        unit: &'static str,
    },
    /// An absolute figure that should be at most `target`.
    AtMost {
        measured: f64,
        target: f64,
        unit: &'static str,
    },
}

/// Which side of its target a ratio should be on, if it has one.
#[derive(Clone, Copy)]
enum Bound {
    AtLeast(f64),
    AtMost(f64),
    /// Printed for information, held to nothing.
    Information,
}

#[derive(Default)]
struct Table {
    rows: Vec<(String, Figure, String)>,
}

impl Table {
    fn row(&mut self, name: String, figure: Figure, detail: String) {
        self.rows.push((name, figure, detail));
    }

    fn print(&self) {
        println!(
            "\n{:<46} {:>16} {:>16} {:>8} {:>8}  verdict",
            "row", "measured", "limit", "ratio", "target"
        );
        for (name, figure, detail) in &self.rows {
            let (measured, limit, ratio, target, ok) = match figure {
                Figure::Ratio {
                    measured,
                    limit,
                    target,
                    unit,
                } => {
                    let ratio = measured / limit;
                    let (target, ok) = match *target {
                        Bound::AtLeast(t) => (format!(">= {t:.2}x"), Some(ratio >= t)),
                        Bound::AtMost(t) => (format!("<= {t:.2}x"), Some(ratio <= t)),
                        Bound::Information => ("-".to_owned(), None),
                    };
                    (
                        format!("{measured:.1} {unit}"),
                        format!("{limit:.1} {unit}"),
                        format!("{ratio:.2}x"),
                        target,
                        ok,
                    )
                }
                Figure::AtMost {
                    measured,
                    target,
                    unit,
                } => (
                    format!("{measured:.1} {unit}"),
                    "-".to_owned(),
                    "-".to_owned(),
                    format!("<= {target} {unit}"),
                    Some(measured <= target),
                ),
            };
            println!(
                "{name:<46} {measured:>16} {limit:>16} {ratio:>8} {target:>8}  {}",
                match ok {
                    Some(true) => "meets",
                    Some(false) => "MISSES",
                    // A row without a target is held to nothing.
                    None => "info",
                }
            );
            println!("    {detail}");
        }
    }
}
