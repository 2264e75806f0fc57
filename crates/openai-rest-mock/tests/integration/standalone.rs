//! The standalone server: real streaming, graceful shutdown, the body
//! limit, and the `openai-mock serve` and `record` command lines.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{KEY, Server, client, fixture, send};
use openai_rest_mock::{FAULT_HEADER, MockOptions};
use serde_json::json;

/// Sends a raw HTTP/1.1 request and reads the answer until the server
/// closes: the head, and the body's chunks as sent.
fn raw_chunks(address: &str, request: &str) -> (String, Vec<Vec<u8>>) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(bytes[..split].to_vec()).unwrap();
    let mut rest = &bytes[split + 4..];
    let mut chunks = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap(), 16).unwrap();
        rest = &rest[line_end + 2..];
        if size == 0 {
            break;
        }
        chunks.push(rest[..size].to_vec());
        rest = &rest[size + 2..];
    }
    (head, chunks)
}

#[tokio::test]
async fn each_event_is_sent_as_its_own_chunk() {
    let server = Server::standalone(MockOptions::default()).await;
    let address = server
        .openai
        .trim_start_matches("http://")
        .trim_end_matches("/v1")
        .to_owned();
    let body = json!({"model": "gpt-3.5-turbo-0301", "messages": [{"role": "user", "content": "Hi"}], "stream": true})
        .to_string();
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {KEY}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let (head, chunks) = tokio::task::spawn_blocking(move || raw_chunks(&address, &request))
        .await
        .unwrap();
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");

    let documented = String::from_utf8(fixture("createChatCompletion/stream.sse")).unwrap();
    let documented: Vec<&str> = documented.split_inclusive("\n\n").collect();
    let chunks: Vec<String> = chunks
        .into_iter()
        .map(|c| String::from_utf8(c).unwrap())
        .collect();
    assert_eq!(chunks, documented);
}

#[tokio::test]
async fn shutdown_lets_the_answers_under_way_finish() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(openai_rest_mock::serve(
        listener,
        MockOptions::default().stateless(true),
        async {
            let _ = stopped.await;
        },
    ));
    let slow = tokio::spawn(send(
        client()
            .get(format!("http://{address}/v1/models"))
            .bearer_auth(KEY)
            .header(FAULT_HEADER, "delay=300"),
    ));
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();

    let answer = slow.await.unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, fixture("listModels/response.json"));
    tokio::time::timeout(Duration::from_secs(5), serving)
        .await
        .expect("serve returns after the shutdown")
        .unwrap();
    assert!(
        client()
            .get(format!("http://{address}/v1/models"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_body_over_the_limit_gets_a_413() {
    let server = Server::standalone(MockOptions::default()).await;
    let body = vec![b' '; 64 * 1024 * 1024 + 1];
    let answer = send(
        server
            .request("POST", "/completions")
            .bearer_auth(KEY)
            .body(body),
    )
    .await;
    answer.assert_error(413, None);
}

/// `openai-mock serve` (or another command) as a child process, with its
/// log lines.
struct Cli {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Cli {
    fn start(args: &[&str]) -> Cli {
        Cli::run("serve", args)
    }

    fn run(command: &str, args: &[&str]) -> Cli {
        let mut child = Command::new(env!("CARGO_BIN_EXE_openai-mock"))
            .arg(command)
            .args(args)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Cli { child, lines }
    }

    /// The next log line containing `text`.
    fn line_with(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no log line with {text:?}"));
            if line.contains(text) {
                return line;
            }
        }
    }

    /// The OpenAI base URL from the "listening on" line.
    fn base_url(&self) -> String {
        let line = self.line_with("listening on http://");
        let start = line.find("http://").unwrap();
        line[start..].split_whitespace().next().unwrap().to_owned()
    }

    /// Sends the signal `name` (`INT`, `TERM`) to the server.
    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn wait(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "openai-rest-mock did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(unix)]
#[tokio::test]
async fn serve_logs_one_line_per_request_without_the_key_and_stops_on_ctrl_c() {
    let secret = "sk-cli-secret-0123456789abcdefghijklmnop";
    let mut cli = Cli::start(&[
        "--addr",
        "127.0.0.1:0",
        "--api-key",
        secret,
        "--latency",
        "20",
    ]);
    let base = cli.base_url();

    let started = Instant::now();
    let answer = send(client().get(format!("{base}/models")).bearer_auth(secret)).await;
    assert_eq!(answer.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(20), "--latency");
    let answer = send(client().get(format!("{base}/models/ada")).bearer_auth(KEY)).await;
    answer.assert_error(401, None);

    let ok = cli.line_with("/v1/models ");
    assert!(
        ok.contains("GET /v1/models 200 ") && ok.ends_with("ms"),
        "{ok}"
    );
    let refused = cli.line_with("/v1/models/ada");
    assert!(refused.contains("GET /v1/models/ada 401 "), "{refused}");
    for line in [&ok, &refused] {
        assert!(!line.contains("secret") && !line.contains(KEY), "{line}");
    }

    cli.signal("INT");
    cli.line_with("shutting down");
    assert!(cli.wait().success());
}

/// Container runtimes and service managers stop a process with SIGTERM: the
/// answer under way still arrives, then the server exits cleanly.
#[cfg(unix)]
#[tokio::test]
async fn serve_drains_the_answers_under_way_on_sigterm() {
    let mut cli = Cli::start(&["--addr", "127.0.0.1:0", "--latency", "600"]);
    let base = cli.base_url();
    let in_flight = tokio::spawn(send(
        client().get(format!("{base}/models")).bearer_auth(KEY),
    ));
    // The request is under way (waiting out its latency) when the signal comes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    cli.signal("TERM");
    cli.line_with("SIGTERM");
    assert_eq!(in_flight.await.unwrap().status, 200);
    assert!(cli.wait().success());
}

#[test]
fn serve_takes_a_fixtures_directory_and_refuses_a_bad_one() {
    let dir = std::env::temp_dir().join(format!("openai-rest-mock-cli-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("retrieveEngine")).unwrap();
    std::fs::write(dir.join("retrieveEngine/response.txt"), "an engine\n").unwrap();
    let cli = Cli::start(&["--addr", "127.0.0.1:0", "--fixtures", dir.to_str().unwrap()]);
    let base = cli.base_url();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let request = client()
        .get(format!("{base}/engines/davinci"))
        .bearer_auth(KEY);
    let answer = runtime.block_on(send(request));
    assert_eq!(
        answer.content_type.as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(answer.text(), "an engine\n");
    drop(cli);

    std::fs::write(dir.join("retrieveEngine/response.gif"), "GIF89a").unwrap();
    let mut cli = Cli::start(&["--addr", "127.0.0.1:0", "--fixtures", dir.to_str().unwrap()]);
    let error = cli.line_with("ERROR");
    assert!(error.contains("retrieveEngine/response.gif"), "{error}");
    assert!(!cli.wait().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `openai-mock record`: a recorded answer and a failed write each log a
/// line, neither with the key, and the answer arrives either way.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn record_logs_what_it_recorded_and_what_it_could_not_write() {
    let upstream = Server::standalone(MockOptions::default().stateless(true)).await;
    let dir = std::env::temp_dir().join(format!(
        "openai-rest-mock-cli-record-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // A file where listModels' directory would go: its write fails.
    std::fs::write(dir.join("listModels"), "in the way").unwrap();
    let mut cli = Cli::run(
        "record",
        &[
            "--upstream",
            &upstream.openai,
            "--out",
            dir.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
        ],
    );
    let base = cli.base_url();

    let engines = send(client().get(format!("{base}/engines")).bearer_auth(KEY)).await;
    assert_eq!(engines.status, 200);
    let recorded = cli.line_with("/v1/engines");
    assert!(
        recorded.contains("GET /v1/engines 200 recorded listEngines/response.json"),
        "{recorded}"
    );
    assert_eq!(
        std::fs::read(dir.join("listEngines/response.json")).unwrap(),
        engines.body
    );

    let models = send(client().get(format!("{base}/models")).bearer_auth(KEY)).await;
    assert_eq!(
        (models.status, models.body),
        (200, fixture("listModels/response.json"))
    );
    let failed = cli.line_with("/v1/models");
    assert!(
        failed.contains("ERROR") && failed.contains("the write failed"),
        "{failed}"
    );
    for line in [&recorded, &failed] {
        assert!(!line.contains(KEY), "{line}");
    }

    cli.signal("INT");
    cli.line_with("shutting down");
    assert!(cli.wait().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn record_refuses_an_upstream_that_is_not_a_base_url() {
    let dir = std::env::temp_dir().join("openai-rest-mock-cli-record-refused");
    let mut cli = Cli::run(
        "record",
        &[
            "--upstream",
            "api.openai.com",
            "--out",
            dir.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
        ],
    );
    let error = cli.line_with("ERROR");
    assert!(
        error.contains("api.openai.com") && error.contains("https://api.openai.com/v1"),
        "{error}"
    );
    assert!(!cli.wait().success());
    assert!(!dir.exists());
}

#[tokio::test]
async fn faults_are_scheduled_over_http_for_other_processes() {
    let server = Server::standalone(MockOptions::default()).await;
    let root = server.openai.trim_end_matches("/v1").to_owned();
    let schedule =
        |body: serde_json::Value| send(client().post(format!("{root}/__mock/faults")).json(&body));
    let answer =
        schedule(json!({"operation": "listModels", "fault": "rate_limit", "calls": 2})).await;
    assert_eq!(answer.status, 204);
    for _ in 0..2 {
        let answer = server.get("/models").await;
        assert_eq!(answer.status, 429);
        assert_eq!(answer.headers["retry-after"], "1");
    }
    assert_eq!(server.get("/models").await.status, 200);
    // Another operation is untouched; `calls` is 1 unless given.
    let answer =
        schedule(json!({"operation": "retrieveModel", "fault": "service_unavailable"})).await;
    assert_eq!(answer.status, 204);
    assert_eq!(server.get("/models").await.status, 200);
    assert_eq!(server.get("/models/text-davinci-003").await.status, 503);
    assert_eq!(server.get("/models/text-davinci-003").await.status, 200);

    for (body, names) in [
        (
            json!({"operation": "nope", "fault": "rate_limit"}),
            "`nope`",
        ),
        (
            json!({"operation": "listModels", "fault": "boom"}),
            "`boom`",
        ),
        (json!({"operation": "listModels"}), "fault"),
    ] {
        let answer = schedule(body).await;
        assert_eq!(answer.status, 400);
        let message = answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(names), "{message}");
    }
    let answer = send(client().get(format!("{root}/__mock/faults"))).await;
    assert_eq!(
        (answer.status, &answer.headers["allow"]),
        (405, &"POST".parse().unwrap())
    );
}
