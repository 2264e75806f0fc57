//! The recording proxy (`record`): answers relayed unchanged and as they
//! arrive, recorded in the fixtures layout with secrets masked, and what a
//! broken upstream or a failed write does.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{KEY, Server, client, file, send};
use openai_rest_mock::{
    Exchange, FAULT_HEADER, Fixtures, MockOptions, OperationId, RecordOptions, Recorded,
};
use reqwest::multipart::Form;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A recording proxy on a free port, and what it saw.
struct Recorder {
    /// `http://127.0.0.1:<port>`: OpenAI under `/v1`, Azure under `/openai`.
    base: String,
    dir: PathBuf,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
    stop: Option<oneshot::Sender<()>>,
}

impl Recorder {
    async fn start(upstream: &str, dir: &Path) -> Recorder {
        Recorder::start_with(RecordOptions::new(upstream, dir), dir).await
    }

    async fn start_with(options: RecordOptions, dir: &Path) -> Recorder {
        let exchanges = Arc::new(Mutex::new(Vec::new()));
        let seen = exchanges.clone();
        let options =
            options.on_exchange(move |exchange| seen.lock().unwrap().push(exchange.clone()));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            openai_rest_mock::record(listener, options, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Recorder {
            base,
            dir: dir.to_owned(),
            exchanges,
            stop: Some(stop),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The exchanges so far, once `count` have been seen.
    async fn exchanges(&self, count: usize) -> Vec<Exchange> {
        for _ in 0..200 {
            let exchanges = self.exchanges.lock().unwrap().clone();
            if exchanges.len() >= count {
                return exchanges;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("fewer than {count} exchanges")
    }

    fn read(&self, file: &str) -> Vec<u8> {
        let path = self.dir.join(file);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A fresh directory path under the temporary directory, not created.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "openai-rest-mock-record-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Every file under `dir`, as paths relative to it, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            out.extend(
                files_under(&path)
                    .into_iter()
                    .map(|file| format!("{name}/{file}")),
            );
        } else {
            out.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn answers_come_back_unchanged_and_are_recorded_in_the_fixtures_layout() {
    let upstream = Server::standalone(MockOptions::default().stateless(true)).await;
    let origin = upstream.openai.trim_end_matches("/v1").to_owned();
    let dir = temp_dir("layout");
    let recorder = Recorder::start(&origin, &dir).await;

    let completion =
        json!({"model": "text-davinci-003", "prompt": "Say this is a test", "stream": true});
    let image = json!({"prompt": "A cute baby sea otter", "n": 2, "response_format": "b64_json"});
    let transcription = || {
        Form::new()
            .part("file", file(b"ID3 audio".to_vec(), "hello.mp3"))
            .text("model", "whisper-1")
            .text("response_format", "srt")
    };
    // (what is asked, where it goes, the file it is recorded as)
    let requests = [
        ("GET", "/v1/models", None, None, "listModels/response.json"),
        (
            "POST",
            "/v1/completions",
            Some(completion.clone()),
            None,
            "createCompletion/stream.sse",
        ),
        (
            "POST",
            "/v1/images/generations",
            Some(image),
            None,
            "createImage/b64_json.json",
        ),
        (
            "POST",
            "/v1/audio/transcriptions",
            None,
            Some(()),
            "createTranscription/srt.srt",
        ),
        (
            "GET",
            "/openai/deployments?api-version=2022-12-01",
            None,
            None,
            "listDeployments/response.json",
        ),
        (
            "DELETE",
            "/openai/deployments/d-1?api-version=2022-12-01",
            None,
            None,
            "deleteDeployment/response.empty",
        ),
        (
            "GET",
            "/v1/files/file-1/content",
            None,
            None,
            "downloadFile/response.jsonl",
        ),
    ];
    for (method, path, json, form, _) in &requests {
        let build = |base: &str| {
            let mut request = client()
                .request(method.parse().unwrap(), format!("{base}{path}"))
                .bearer_auth(KEY)
                .header("api-key", KEY);
            if let Some(json) = json {
                request = request.json(json);
            }
            if form.is_some() {
                request = request.multipart(transcription());
            }
            request
        };
        let direct = send(build(&origin)).await;
        let proxied = send(build(&recorder.base)).await;
        assert_eq!(proxied.status, direct.status, "{path}");
        assert_eq!(proxied.content_type, direct.content_type, "{path}");
        assert_eq!(proxied.body, direct.body, "{path}");
    }

    let exchanges = recorder.exchanges(requests.len()).await;
    let recorded: Vec<&Recorded> = exchanges
        .iter()
        .map(|exchange| &exchange.recorded)
        .collect();
    let expected: Vec<Recorded> = requests
        .iter()
        .map(|(.., file)| Recorded::File((*file).to_owned()))
        .collect();
    assert_eq!(recorded, expected.iter().collect::<Vec<_>>());
    let mut files: Vec<&str> = requests.iter().map(|(.., file)| *file).collect();
    files.sort();
    assert_eq!(files_under(&dir), files);

    // `serve --fixtures` reads what was recorded, and it is what was answered.
    let fixtures = Fixtures::load(&dir).unwrap();
    for exchange in &exchanges {
        let Recorded::File(file) = &exchange.recorded else {
            unreachable!()
        };
        let (operation, name) = file.split_once('/').unwrap();
        let case = name.split('.').next().unwrap();
        assert_eq!(
            fixtures.get(operation.parse::<OperationId>().unwrap(), case),
            Some(&exchange.body[..]),
            "{file}"
        );
        assert_eq!(recorder.read(file), exchange.body, "{file}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Reads one HTTP/1.1 request head and its `content-length` body.
async fn read_request(stream: &mut TcpStream) {
    let mut bytes = Vec::new();
    let mut buffer = [0; 4096];
    loop {
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(read > 0, "the request ended early");
        bytes.extend_from_slice(&buffer[..read]);
        let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .map_or(0, |value| value.trim().parse().unwrap());
        if bytes.len() >= end + 4 + length {
            return;
        }
    }
}

/// A chunk of a chunked HTTP body.
fn chunk(bytes: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", bytes.len()).into_bytes();
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
    out
}

const STREAM_HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
const FIRST_EVENT: &[u8] = b"data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"choices\":[{\"text\":\"Hi\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}],\"model\":\"m\"}\n\n";
const LAST_EVENT: &[u8] = b"data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"choices\":[{\"text\":\"!\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"stop\"}],\"model\":\"m\"}\n\n";

/// A server on a free port that handles one connection with `serve`.
async fn one_connection<F, Fut>(serve: F) -> String
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        serve(stream).await;
    });
    origin
}

fn completion_request(recorder: &Recorder) -> reqwest::RequestBuilder {
    client()
        .post(recorder.url("/v1/completions"))
        .bearer_auth(KEY)
        .json(&json!({"model": "m", "prompt": "Hi", "stream": true}))
}

#[tokio::test]
async fn a_stream_is_relayed_event_by_event_as_the_upstream_sends_it() {
    let (go_on, may_go_on) = oneshot::channel::<()>();
    let origin = one_connection(|mut stream| async move {
        read_request(&mut stream).await;
        stream.write_all(STREAM_HEAD).await.unwrap();
        stream.write_all(&chunk(FIRST_EVENT)).await.unwrap();
        // The rest only once the caller has the first event.
        may_go_on.await.unwrap();
        stream.write_all(&chunk(LAST_EVENT)).await.unwrap();
        stream.write_all(&chunk(b"data: [DONE]\n\n")).await.unwrap();
        stream.write_all(b"0\r\n\r\n").await.unwrap();
    })
    .await;
    let dir = temp_dir("relay");
    let recorder = Recorder::start(&origin, &dir).await;

    let mut response = completion_request(&recorder).send().await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), response.chunk())
        .await
        .expect("the first event before the upstream sends the rest")
        .unwrap()
        .unwrap();
    assert_eq!(&first[..], FIRST_EVENT);
    go_on.send(()).unwrap();
    let mut rest = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        rest.extend_from_slice(&chunk);
    }
    assert_eq!(rest, [LAST_EVENT, b"data: [DONE]\n\n"].concat());

    // Once the caller has the whole answer, it is recorded.
    assert_eq!(
        recorder.read("createCompletion/stream.sse"),
        [FIRST_EVENT, LAST_EVENT, b"data: [DONE]\n\n"].concat()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_stream_that_breaks_off_is_relayed_as_far_as_it_went_and_not_recorded() {
    let origin = one_connection(|mut stream| async move {
        read_request(&mut stream).await;
        stream.write_all(STREAM_HEAD).await.unwrap();
        stream.write_all(&chunk(FIRST_EVENT)).await.unwrap();
        // Closed without the last chunk.
    })
    .await;
    let dir = temp_dir("broken-stream");
    let recorder = Recorder::start(&origin, &dir).await;

    let mut response = completion_request(&recorder).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let mut got = Vec::new();
    let ended = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => got.extend_from_slice(&chunk),
            Ok(None) => break "cleanly",
            Err(_) => break "with an error",
        }
    };
    assert_eq!(got, FIRST_EVENT);
    assert_eq!(ended, "with an error", "the caller must see the break");
    let exchanges = recorder.exchanges(1).await;
    assert!(
        matches!(&exchanges[0].recorded, Recorded::UpstreamFailed(why) if why.contains("broke off")),
        "{:?}",
        exchanges[0].recorded
    );
    assert!(!dir.exists());
}

/// Checks a 502 or 504 from the proxy: the API's error shape, a message
/// that says what happened, nothing recorded.
async fn assert_gateway_error(recorder: &Recorder, status: u16, says: &str) {
    let answer = send(client().get(recorder.url("/v1/models")).bearer_auth(KEY)).await;
    let error = answer.assert_error(status, None);
    assert_eq!(error["type"], "server_error");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains(says), "{message}");
    assert!(!message.contains(KEY), "{message}");
    let exchanges = recorder.exchanges(1).await;
    assert_eq!(exchanges[0].status, status);
    assert!(
        matches!(&exchanges[0].recorded, Recorded::UpstreamFailed(_)),
        "{:?}",
        exchanges[0].recorded
    );
    assert!(!recorder.dir.exists(), "nothing may be written");
}

#[tokio::test]
async fn an_upstream_that_cannot_be_reached_gets_the_caller_a_502() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let recorder = Recorder::start(&origin, &temp_dir("unreachable")).await;
    assert_gateway_error(&recorder, 502, "could not be reached").await;
}

#[tokio::test]
async fn an_upstream_that_answers_garbage_gets_the_caller_a_502() {
    let origin = one_connection(|mut stream| async move {
        read_request(&mut stream).await;
        stream.write_all(b"this is not HTTP\r\n\r\n").await.unwrap();
    })
    .await;
    let recorder = Recorder::start(&origin, &temp_dir("garbage")).await;
    assert_gateway_error(&recorder, 502, "did not answer HTTP").await;
}

#[tokio::test]
async fn an_upstream_that_does_not_answer_in_time_gets_the_caller_a_504() {
    let origin = one_connection(|mut stream| async move {
        read_request(&mut stream).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let dir = temp_dir("slow");
    let options = RecordOptions::new(&origin, &dir).timeout(Duration::from_millis(200));
    let recorder = Recorder::start_with(options, &dir).await;
    assert_gateway_error(&recorder, 504, "did not answer in time").await;
}

#[tokio::test]
async fn a_failed_write_does_not_change_the_answer() {
    let upstream = Server::standalone(MockOptions::default().stateless(true)).await;
    let dir = temp_dir("unwritable");
    std::fs::create_dir_all(&dir).unwrap();
    // A file where the operation's directory would go.
    std::fs::write(dir.join("listModels"), "in the way").unwrap();
    let recorder = Recorder::start(&upstream.openai, &dir).await;
    let direct = upstream.get("/models").await;
    let proxied = send(client().get(recorder.url("/v1/models")).bearer_auth(KEY)).await;
    assert_eq!(proxied.status, 200);
    assert_eq!(proxied.body, direct.body);
    let exchanges = recorder.exchanges(1).await;
    assert!(
        matches!(&exchanges[0].recorded, Recorded::WriteFailed(why) if why.contains("listModels")),
        "{:?}",
        exchanges[0].recorded
    );
    assert_eq!(files_under(&dir), ["listModels"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn secrets_never_reach_the_disk() {
    let good_key = "sk-record-good-key-0123456789abcdefGOOD";
    let bad_key = "sk-record-bad-key-0123456789abcdefQZ9X";
    let organization = "org-RecordTestOrganization42";
    let azure_key = "azure-record-key-0123456789abcdefAZ7K";
    let upstream = Server::library(MockOptions::default().stateless(true).api_key(good_key)).await;
    // An answer that holds secrets, as an API might echo them.
    let mut model = common::fixture_json("retrieveModel/response.json");
    model["owned_by"] = json!(organization);
    model["root"] = json!(format!("made for {good_key}"));
    model["parent"] = json!("org-SomeoneElsesOrganization7");
    upstream
        .mock()
        .set_fixture(
            OperationId::RetrieveModel,
            "response.json",
            model.to_string(),
        )
        .unwrap();
    let origin = upstream.openai.trim_end_matches("/v1").to_owned();
    let dir = temp_dir("secrets");
    let recorder = Recorder::start(&origin, &dir).await;

    let model = send(
        client()
            .get(recorder.url("/v1/models/text-davinci-003"))
            .bearer_auth(good_key)
            .header("openai-organization", organization),
    )
    .await;
    assert_eq!(model.status, 200);
    // The caller gets the answer unchanged, secrets and all.
    assert!(model.text().contains(organization));
    // The 401s echo the end of the key, as the API does.
    let refused = send(
        client()
            .get(recorder.url("/v1/models"))
            .bearer_auth(bad_key),
    )
    .await;
    refused.assert_error(401, None);
    assert!(refused.text().contains("QZ9X"), "{}", refused.text());
    let azure = send(
        client()
            .get(recorder.url("/openai/deployments?api-version=2022-12-01"))
            .header("api-key", azure_key),
    )
    .await;
    // Azure's gateway names no key in its 401.
    azure.assert_azure_error(401, None);

    let exchanges = recorder.exchanges(3).await;
    assert_eq!(
        files_under(&dir),
        [
            // Azure's gateway's 401: its code is the status, so it is
            // named by what it says.
            "errors/401_azure_access_denied.json",
            "errors/401_invalid_api_key.json",
            "retrieveModel/response.json"
        ]
    );
    let secrets = [
        good_key,
        bad_key,
        "QZ9X",
        organization,
        azure_key,
        "AZ7K",
        "org-SomeoneElses",
    ];
    let recorded = files_under(&dir).into_iter().map(|file| {
        let text = String::from_utf8(recorder.read(&file)).unwrap();
        (file, text)
    });
    let seen = exchanges.iter().map(|exchange| {
        (
            exchange.path.clone(),
            String::from_utf8(exchange.body.to_vec()).unwrap(),
        )
    });
    for (name, text) in recorded.chain(seen) {
        for secret in secrets {
            assert!(!text.contains(secret), "{name} holds {secret}: {text}");
        }
        // Azure's gateway echoes no key: nothing there to redact.
        let echoed_no_key = text.contains("Access denied due to invalid subscription key");
        assert!(
            echoed_no_key || text.contains("[redacted]"),
            "{name}: {text}"
        );
        serde_json::from_str::<serde_json::Value>(&text).unwrap();
    }
    // Still fixtures the mock replays.
    Fixtures::load(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn recording_again_keeps_the_latest_answer_unless_told_to_keep_the_existing_one() {
    let upstream = Server::library(MockOptions::default().stateless(true)).await;
    let models = |owner: &str| {
        let mut models = common::fixture_json("listModels/response.json");
        models["data"][0]["owned_by"] = json!(owner);
        models.to_string()
    };
    let dir = temp_dir("again");
    let list =
        |recorder: &Recorder| send(client().get(recorder.url("/v1/models")).bearer_auth(KEY));
    let recorded =
        |dir: &Path| std::fs::read_to_string(dir.join("listModels/response.json")).unwrap();

    let recorder = Recorder::start(&upstream.openai, &dir).await;
    for owner in ["first", "latest"] {
        upstream
            .mock()
            .set_fixture(OperationId::ListModels, "response.json", models(owner))
            .unwrap();
        list(&recorder).await;
        // Once the caller has the whole answer, it is recorded.
        assert_eq!(recorded(&dir), models(owner));
    }
    drop(recorder);

    let options = RecordOptions::new(&upstream.openai, &dir).keep_existing(true);
    let recorder = Recorder::start_with(options, &dir).await;
    upstream
        .mock()
        .set_fixture(OperationId::ListModels, "response.json", models("ignored"))
        .unwrap();
    list(&recorder).await;
    let exchanges = recorder.exchanges(1).await;
    assert_eq!(
        exchanges[0].recorded,
        Recorded::Skipped("kept listModels/response.json".into())
    );
    assert_eq!(recorded(&dir), models("latest"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn errors_are_recorded_by_status_and_code_and_relayed_with_their_headers() {
    let upstream = Server::library(MockOptions::default().stateless(true)).await;
    let dir = temp_dir("errors");
    let recorder = Recorder::start(&upstream.openai, &dir).await;
    let limited = send(
        client()
            .get(recorder.url("/v1/models"))
            .bearer_auth(KEY)
            .header(FAULT_HEADER, "rate_limit"),
    )
    .await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.headers["retry-after"], "1");
    recorder.exchanges(1).await;
    assert_eq!(
        recorder.read("errors/429_rate_limit_exceeded.json"),
        limited.body
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A recording seeds the default, stateful mock: the replay answers the
/// account that was recorded, not the docs' models, and goes on from there.
#[tokio::test]
async fn a_recording_replayed_by_the_stateful_mock_answers_what_was_recorded() {
    // The "account": two models of its own and one of the API's.
    let account = json!({"object": "list", "data": [
        {"id": "ada", "object": "model", "created": 1649357491, "owned_by": "openai", "permission": [], "root": "ada", "parent": null},
        {"id": "ada:ft-personal-2023-03-01-10-00-00", "object": "model", "created": 1677664800, "owned_by": "user-abc", "permission": [], "root": "ada", "parent": "ada"},
    ]});
    let mut fixtures = Fixtures::default();
    fixtures
        .set(
            OperationId::ListModels,
            "response.json",
            account.to_string(),
        )
        .unwrap();
    let upstream =
        Server::standalone(MockOptions::default().stateless(true).fixtures(fixtures)).await;
    let dir = temp_dir("replay");
    let recorder = Recorder::start(upstream.openai.trim_end_matches("/v1"), &dir).await;
    let recorded = send(client().get(recorder.url("/v1/models")).bearer_auth(KEY)).await;
    assert_eq!(recorded.status, 200);
    recorder.exchanges(1).await;

    for replay in
        Server::modes(MockOptions::default().fixtures(Fixtures::load(&dir).unwrap())).await
    {
        let mode = replay.mode;
        let models = replay.get("/models").await;
        assert_eq!(models.json(), recorded.json(), "{mode}");
        assert_eq!(models.json(), account, "{mode}");
        // Stateful from there: the account's own model can be deleted, a
        // model of the API's cannot, and a model it lacks is unknown.
        let own = "ada:ft-personal-2023-03-01-10-00-00";
        let deleted = send(
            replay
                .request("DELETE", &format!("/models/{own}"))
                .bearer_auth(KEY),
        )
        .await;
        assert_eq!(deleted.status, 200, "{mode}");
        let refused = send(replay.request("DELETE", "/models/ada").bearer_auth(KEY)).await;
        assert_eq!(refused.status, 403, "{mode}");
        let unknown = replay
            .post_json(
                "/completions",
                json!({"model": "text-davinci-003", "prompt": "x"}),
            )
            .await;
        assert_eq!(unknown.status, 404, "{mode}");
        assert_eq!(unknown.json()["error"]["code"], "model_not_found", "{mode}");
        // Files were not recorded: the docs' are still there.
        assert_eq!(
            replay
                .get("/files/file-XjGxS3KTG0uNmNOK362iJua3")
                .await
                .status,
            200,
            "{mode}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
