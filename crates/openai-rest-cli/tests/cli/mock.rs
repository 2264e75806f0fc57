//! The standalone mock served in the test process on 127.0.0.1, and the
//! built `openai` binary run against it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use openai_rest_mock::MockOptions;

/// The key every run is given; no output may show it.
pub const KEY: &str = "sk-cli-test-4c1b7e";

/// A standalone mock on its own thread and runtime, stopped when dropped.
pub struct Mock {
    address: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Mock {
    /// Stateful, with the clock 100 times wall speed: a fine-tune runs its
    /// 10 s of mock time in a tenth of a second.
    pub fn fast() -> Self {
        Self::start(MockOptions::default().clock_speed(100.0))
    }

    /// Stateful, with the clock stopped: jobs stay pending.
    pub fn stopped_clock() -> Self {
        Self::start(MockOptions::default().clock_speed(0.0))
    }

    pub fn start(options: MockOptions) -> Self {
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                address_tx.send(listener.local_addr().unwrap()).unwrap();
                openai_rest_mock::serve(listener, options, async {
                    let _ = stopped.await;
                })
                .await;
            });
        });
        let address = address_rx.recv().unwrap();
        Self {
            address,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}/", self.address)
    }

    /// POSTs `body` to the admin API's `path` (under `/__mock/`) and
    /// answers the status line.
    pub fn admin(&self, path: &str, body: &str) -> String {
        let mut stream = TcpStream::connect(self.address).unwrap();
        write!(
            stream,
            "POST /__mock/{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer.lines().next().unwrap_or_default().to_owned()
    }

    /// `openai` with `args`, against this mock's OpenAI API.
    pub fn openai(&self, args: &[&str]) -> Run {
        run(openai().env("OPENAI_API_BASE", self.base_url()).args(args))
    }

    /// `openai` with `args`, against this mock's Azure API.
    pub fn azure(&self, args: &[&str]) -> Run {
        let mut command = openai();
        command
            .args(["--api-type", "azure", "--api-base", &self.endpoint()])
            .args(args);
        run(&mut command)
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The binary, with an environment of our key only: nothing of the
/// machine's (a real key, a proxy) reaches it.
pub fn openai() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_openai"));
    command
        .env_clear()
        .env("OPENAI_API_KEY", KEY)
        .stdin(Stdio::null());
    command
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: Option<i32>,
}

impl Run {
    /// The run succeeded; its stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, Some(0), "{self:#?}");
        &self.stdout
    }

    /// The run succeeded and printed JSON; that JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("{e}: {self:#?}"))
    }

    /// The run failed with `code`; its stderr.
    #[track_caller]
    pub fn failed(&self, code: i32) -> &str {
        assert_eq!(self.code, Some(code), "{self:#?}");
        &self.stderr
    }
}

pub fn run(command: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap();
    let run = Run {
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
        code: status.code(),
    };
    assert!(
        !run.stdout.contains(KEY) && !run.stderr.contains(KEY),
        "the key was printed: {run:#?}"
    );
    run
}

/// A file of the repository's test data (`tests/data`).
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(name)
}

/// Training examples the mock accepts, written to a new file `name` in `dir`.
pub fn training_file(dir: &std::path::Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let mut text = String::new();
    for i in 0..4 {
        text.push_str(&format!(
            "{{\"prompt\": \"Example {i} ->\", \"completion\": \" answer {i}\\n\"}}\n"
        ));
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// A fine-tune job of `train.jsonl` in `dir`, created without following it:
/// the job's JSON.
pub fn unfollowed_job(mock: &Mock, dir: &std::path::Path) -> serde_json::Value {
    let train = training_file(dir, "train.jsonl");
    let args = [
        "api",
        "fine_tunes.create",
        "-t",
        train.to_str().unwrap(),
        "--no_follow",
    ];
    mock.openai(&args).json()
}

/// The job id a `fine_tunes.create` that follows printed.
pub fn created_job(stdout: &str) -> String {
    stdout
        .split_once("Created fine-tune ")
        .and_then(|(_, rest)| rest.split_once('.'))
        .map(|(id, _)| id.to_owned())
        .unwrap_or_else(|| panic!("no job created in {stdout}"))
}
