//! Everything that is not a success, in both modes: authentication,
//! validation, unknown paths and methods, and the faults.

use crate::common;

use std::time::{Duration, Instant};

use common::{KEY, PNG, Server, file, fixture, png_header, send};
use openai_rest_mock::{FAULT_HEADER, Fault, MockOptions, OperationId};
use reqwest::multipart::Form;
use serde_json::json;

/// `GET /v1/models` with the test key and the fault header.
fn with_fault(server: &Server, faults: &str) -> reqwest::RequestBuilder {
    server
        .request("GET", "/models")
        .bearer_auth(KEY)
        .header(FAULT_HEADER, faults)
}

fn with_key(key: &str) -> MockOptions {
    MockOptions::default().api_key(key)
}

#[tokio::test]
async fn a_request_without_a_key_gets_the_documented_401() {
    for server in Server::modes(MockOptions::default()).await {
        let without = [
            server.request("GET", "/models"),
            server
                .request("GET", "/models")
                .header("authorization", "Basic dXNlcjpwYXNz"),
            server
                .request("GET", "/models")
                .header("authorization", "Bearer "),
            // OpenAI takes no `api-key` header.
            server.request("GET", "/models").header("api-key", KEY),
        ];
        for request in without {
            let answer = send(request).await;
            answer.assert_error(401, None);
            assert_eq!(
                answer.body,
                fixture("errors/401_missing_api_key.json"),
                "{}",
                server.mode
            );
        }
        // Azure's gateway says it its own way.
        let answer = send(server.azure_request("GET", "/models")).await;
        assert_eq!(answer.assert_azure_error(401, None)["code"], "401");
    }
}

#[tokio::test]
async fn only_the_configured_key_is_let_in() {
    let wrong = "sk-wrong-0123456789abcdefghijklmnopqrstuv";
    for server in Server::modes(with_key(KEY)).await {
        let answer = send(server.request("GET", "/models").bearer_auth(wrong)).await;
        let error = answer.assert_error(401, None);
        assert_eq!(error["code"], "invalid_api_key");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.starts_with("Incorrect API key provided: sk-*"),
            "{message}"
        );
        assert!(message.contains("stuv. "), "{message}");
        assert!(
            !answer.text().contains("wrong-0123"),
            "the key is masked: {message}"
        );

        assert_eq!(server.get("/models").await.status, 200, "{}", server.mode);

        // Azure: an `api-key` header or an Azure AD token as a bearer.
        for (header, value) in [
            ("api-key", KEY.to_owned()),
            ("authorization", format!("Bearer {KEY}")),
        ] {
            let answer = send(server.azure_request("GET", "/models").header(header, value)).await;
            assert_eq!(answer.status, 200, "{} {header}", server.mode);
        }
        let answer = send(
            server
                .azure_request("GET", "/models")
                .header("api-key", wrong),
        )
        .await;
        let error = answer.assert_azure_error(401, None);
        assert_eq!(error["code"], "401");
        assert!(
            !answer.text().contains("wrong-0123"),
            "no key in Azure's answer"
        );
    }
}

#[tokio::test]
async fn json_bodies_that_break_the_spec_get_a_400_naming_the_param() {
    let message = json!({"role": "user", "content": "Hello!"});
    let cases = [
        ("/completions", json!({"prompt": "x"}), Some("model")),
        ("/completions", json!({"model": "m", "n": "2"}), Some("n")),
        (
            "/completions",
            json!({"model": "m", "temperature": 2.5}),
            Some("temperature"),
        ),
        (
            "/completions",
            json!({"model": "m", "logprobs": 6}),
            Some("logprobs"),
        ),
        (
            "/completions",
            json!({"model": "m", "stop": ["1", "2", "3", "4", "5"]}),
            Some("stop"),
        ),
        (
            "/completions",
            json!({"model": "m", "logit_bias": {"50256": -101}}),
            Some("logit_bias.50256"),
        ),
        (
            "/completions",
            json!({"model": "m", "n": 3, "best_of": 2}),
            Some("best_of"),
        ),
        (
            "/completions",
            json!({"model": "m", "best_of": 2, "stream": true}),
            Some("best_of"),
        ),
        (
            "/completions",
            json!({"model": "m", "temprature": 1}),
            Some("temprature"),
        ),
        ("/completions", json!(["not", "an", "object"]), None),
        (
            "/chat/completions",
            json!({"model": "m", "messages": []}),
            Some("messages"),
        ),
        (
            "/chat/completions",
            json!({"model": "m", "messages": [{"role": "robot", "content": "x"}]}),
            Some("messages[0].role"),
        ),
        (
            "/chat/completions",
            json!({"model": "m", "messages": [message], "n": 0}),
            Some("n"),
        ),
        ("/edits", json!({"model": "m"}), Some("instruction")),
        (
            "/images/generations",
            json!({"prompt": "otter", "size": "2048x2048"}),
            Some("size"),
        ),
        (
            "/images/generations",
            json!({"prompt": "otter", "response_format": "png"}),
            Some("response_format"),
        ),
        (
            "/images/generations",
            json!({"prompt": "x".repeat(1001)}),
            Some("prompt"),
        ),
        (
            "/images/generations",
            json!({"prompt": "otter", "n": 11}),
            Some("n"),
        ),
        ("/embeddings", json!({"model": "m"}), Some("input")),
        (
            "/embeddings",
            json!({"model": "m", "input": [1.5]}),
            Some("input"),
        ),
        ("/moderations", json!({"input": 3}), Some("input")),
        (
            "/fine-tunes",
            json!({"training_file": "f", "n_epochs": 0}),
            Some("n_epochs"),
        ),
        (
            "/fine-tunes",
            json!({"training_file": "f", "suffix": "x".repeat(41)}),
            Some("suffix"),
        ),
    ];
    for server in Server::modes(MockOptions::default()).await {
        for (path, body, param) in &cases {
            let answer = server.post_json(path, body.clone()).await;
            let error = answer.assert_error(400, *param);
            assert_eq!(
                error["type"], "invalid_request_error",
                "{} {path} {body}",
                server.mode
            );
        }
        let malformed = send(
            server
                .request("POST", "/completions")
                .bearer_auth(KEY)
                .header("content-type", "application/json")
                .body("{\"model\": \"m\","),
        )
        .await;
        let error = malformed.assert_error(400, None);
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("could not parse the JSON body")
        );
    }
}

/// A path, a form and the `param` of its 400.
type FormCase = (&'static str, fn() -> Form, Option<&'static str>);

#[tokio::test]
async fn multipart_bodies_need_their_files_and_valid_images() {
    let cases: Vec<FormCase> = vec![
        (
            "/images/variations",
            || Form::new().text("n", "2"),
            Some("image"),
        ),
        (
            "/images/edits",
            || Form::new().text("prompt", "otter"),
            Some("image"),
        ),
        (
            "/images/edits",
            || Form::new().part("image", file(PNG, "otter.png")),
            Some("prompt"),
        ),
        (
            "/files",
            || Form::new().text("purpose", "fine-tune"),
            Some("file"),
        ),
        (
            "/audio/transcriptions",
            || Form::new().text("model", "whisper-1"),
            Some("file"),
        ),
        (
            "/audio/translations",
            || Form::new().part("file", file(b"x".to_vec(), "a.mp3")),
            Some("model"),
        ),
        (
            "/images/variations",
            || Form::new().part("image", file(b"GIF89a...".to_vec(), "otter.gif")),
            Some("image"),
        ),
        (
            "/images/variations",
            || Form::new().part("image", file(png_header(4, 3), "wide.png")),
            Some("image"),
        ),
        (
            "/images/variations",
            || {
                Form::new()
                    .part("image", file(PNG, "otter.png"))
                    .text("n", "two")
            },
            Some("n"),
        ),
        (
            "/images/variations",
            || {
                Form::new()
                    .part("image", file(PNG, "otter.png"))
                    .text("size", "10x10")
            },
            Some("size"),
        ),
        (
            "/images/edits",
            || {
                Form::new()
                    .part("image", file(PNG, "otter.png"))
                    .part("mask", file(png_header(4, 4), "mask.png"))
                    .text("prompt", "otter")
            },
            Some("mask"),
        ),
        (
            "/audio/transcriptions",
            || {
                Form::new()
                    .part("file", file(b"x".to_vec(), "notes.txt"))
                    .text("model", "whisper-1")
            },
            Some("file"),
        ),
        (
            "/audio/transcriptions",
            || {
                Form::new()
                    .part("file", file(b"x".to_vec(), "a.mp3"))
                    .text("model", "whisper-1")
                    .text("temperature", "1.5")
            },
            Some("temperature"),
        ),
        (
            "/files",
            || {
                Form::new()
                    .text("purpose", "fine-tune")
                    .part("file", file("{\"prompt\": \"a\"}\n", "train.jsonl"))
            },
            Some("file"),
        ),
    ];
    for server in Server::modes(MockOptions::default()).await {
        for (path, form, param) in &cases {
            let answer = server.post_form(path, form()).await;
            answer.assert_error(400, *param);
        }
        // Over the docs' 4 MB.
        let mut large = PNG.to_vec();
        large.resize(4 * 1024 * 1024, 0);
        let answer = server
            .post_form(
                "/images/variations",
                Form::new().part("image", file(large, "otter.png")),
            )
            .await;
        answer.assert_error(400, Some("image"));

        // A JSON body where a form is expected.
        let answer = server
            .post_json("/images/variations", json!({"n": 1}))
            .await;
        let error = answer.assert_error(400, None);
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("multipart/form-data")
        );
    }
}

#[tokio::test]
async fn query_parameters_are_checked() {
    for server in Server::modes(MockOptions::default()).await {
        let url = format!("{}/deployments", server.azure);
        let answer = send(common::client().get(url).header("api-key", KEY)).await;
        let error = answer.assert_azure_error(400, Some("api-version"));
        assert_eq!(error["code"], "invalidPayload");

        let answer = server.get("/fine-tunes/ft-1/events?stream=yes").await;
        answer.assert_error(400, Some("stream"));
    }
}

#[tokio::test]
async fn unknown_paths_get_404_and_wrong_methods_405() {
    for server in Server::modes(MockOptions::default()).await {
        for path in [
            "/v1/unknown",
            "/v1/models/a/b",
            "/",
            "/v2/models",
            "/openai/completions",
        ] {
            let url = format!("{}{path}", server.openai.trim_end_matches("/v1"));
            let answer = send(common::client().get(url).bearer_auth(KEY)).await;
            let error = answer.assert_error(404, None);
            assert_eq!(
                error["message"],
                format!("Invalid URL (GET {path})"),
                "{}",
                server.mode
            );
        }
        let answer = server.get("/completions").await;
        answer.assert_error(405, None);
        assert_eq!(answer.headers["allow"], "POST", "{}", server.mode);

        let answer = send(
            server
                .request("PUT", "/models/text-davinci-003")
                .bearer_auth(KEY),
        )
        .await;
        answer.assert_error(405, None);
        let mut allowed: Vec<&str> = answer.headers["allow"]
            .to_str()
            .unwrap()
            .split(", ")
            .collect();
        allowed.sort();
        assert_eq!(allowed, ["DELETE", "GET"]);
    }
}

/// Each error fault: its name, status and fixture.
const ERROR_FAULTS: [(Fault, u16, &str); 7] = [
    (Fault::InvalidApiKey, 401, "401_invalid_api_key"),
    (Fault::MissingApiKey, 401, "401_missing_api_key"),
    (Fault::RateLimit, 429, "429_rate_limit"),
    (Fault::InsufficientQuota, 429, "429_insufficient_quota"),
    (Fault::EngineOverloaded, 429, "429_engine_overloaded"),
    (Fault::ServerError, 500, "500_server_error"),
    (Fault::ServiceUnavailable, 503, "503_service_unavailable"),
];

#[tokio::test]
async fn the_fault_header_answers_each_documented_error() {
    for server in Server::modes(MockOptions::default()).await {
        for (fault, status, name) in ERROR_FAULTS {
            let answer = send(
                server
                    .request("POST", "/completions")
                    .bearer_auth(KEY)
                    .header(FAULT_HEADER, fault.to_string())
                    .json(&json!({"model": "m"})),
            )
            .await;
            let context = format!("{} {fault}", server.mode);
            assert_eq!(answer.status, status, "{context}");
            assert_eq!(answer.content_type.as_deref(), Some("application/json"));
            assert_eq!(
                answer.body,
                fixture(&format!("errors/{name}.json")),
                "{context}"
            );
            let retry_after = answer
                .headers
                .get("retry-after")
                .map(|v| v.to_str().unwrap());
            assert_eq!(retry_after, (status == 429).then_some("1"), "{context}");
        }
        let answer = send(with_fault(&server, "slow")).await;
        let error = answer.assert_error(400, Some(FAULT_HEADER));
        assert!(error["message"].as_str().unwrap().contains("rate_limit"));
    }
}

#[tokio::test]
async fn a_delay_fault_answers_later() {
    for server in Server::modes(MockOptions::default()).await {
        let started = Instant::now();
        let answer = send(with_fault(&server, "delay=150")).await;
        assert_eq!(answer.status, 200);
        assert!(
            started.elapsed() >= Duration::from_millis(150),
            "{}",
            server.mode
        );

        // A slow error.
        let started = Instant::now();
        let answer = send(with_fault(&server, "delay=100, service_unavailable")).await;
        assert_eq!(answer.status, 503);
        assert!(
            started.elapsed() >= Duration::from_millis(100),
            "{}",
            server.mode
        );
    }
}

#[tokio::test]
async fn the_latency_option_slows_every_answer() {
    let options = MockOptions::default().latency(Duration::from_millis(100));
    for server in Server::modes(options).await {
        let started = Instant::now();
        assert_eq!(server.get("/models").await.status, 200);
        assert!(
            started.elapsed() >= Duration::from_millis(100),
            "{}",
            server.mode
        );
    }
}

#[tokio::test]
async fn a_dropped_connection_gets_no_answer() {
    for server in Server::modes(MockOptions::default()).await {
        let result = with_fault(&server, "drop_connection").send().await;
        let error = result.expect_err("no answer");
        assert!(
            error.is_request() && !error.is_timeout(),
            "{}: {error:?}",
            server.mode
        );
        // The server goes on.
        assert_eq!(server.get("/models").await.status, 200, "{}", server.mode);
    }
}

#[tokio::test]
async fn fail_next_fails_that_many_calls_then_answers() {
    let server = Server::library(MockOptions::default()).await;
    let mock = server.mock();
    mock.fail_next(OperationId::CreateCompletion, 2, Fault::RateLimit);
    mock.fail_next(OperationId::CreateCompletion, 1, Fault::DropConnection);
    mock.fail_next(OperationId::CreateCompletion, 1, Fault::ServerError);
    // 2 rate limits, a drop, a server error and a success: 5 calls.
    mock.expect(OperationId::CreateCompletion, 5);
    mock.expect(OperationId::ListModels, 1..);

    let completion = json!({"model": "text-davinci-003", "prompt": "x"});
    // Other operations are not affected.
    assert_eq!(server.get("/models").await.status, 200);
    for _ in 0..2 {
        let answer = server.post_json("/completions", completion.clone()).await;
        answer.assert_error(429, None);
        assert_eq!(answer.headers["retry-after"], "1");
    }
    let dropped = server
        .request("POST", "/completions")
        .bearer_auth(KEY)
        .json(&completion)
        .send()
        .await;
    assert!(dropped.is_err());
    server
        .post_json("/completions", completion.clone())
        .await
        .assert_error(500, None);
    let answer = server.post_json("/completions", completion).await;
    assert_eq!(answer.status, 200);
    mock.verify();
}

#[tokio::test]
async fn faults_come_before_your_own_mocks() {
    use wiremock::{Mock, ResponseTemplate};
    let server = Server::library(MockOptions::default()).await;
    let mock = server.mock();
    Mock::given(openai_rest_mock::operation(OperationId::ListModels))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": []})),
        )
        .mount(mock.server())
        .await;
    mock.fail_next(OperationId::ListModels, 1, Fault::EngineOverloaded);
    mock.expect(OperationId::ListModels, 2);
    server.get("/models").await.assert_error(429, None);
    assert_eq!(
        server.get("/models").await.json(),
        json!({"object": "list", "data": []})
    );
    // wiremock saw both.
    assert_eq!(mock.server().received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn retry_after_is_configurable() {
    let options = MockOptions::default().retry_after(Duration::from_millis(1500));
    for server in Server::modes(options).await {
        let answer = send(with_fault(&server, "insufficient_quota")).await;
        // Whole seconds, rounded up.
        assert_eq!(answer.headers["retry-after"], "2", "{}", server.mode);
    }
}

#[tokio::test]
async fn unmet_expectations_panic_with_the_counts() {
    let server = Server::library(MockOptions::default()).await;
    server.mock().expect(OperationId::CreateEdit, 1);
    server.mock().expect(OperationId::ListFiles, ..=1);
    assert_eq!(server.get("/files").await.status, 200);
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.mock().verify()))
        .expect_err("createEdit was not called");
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("createEdit: called 0 times, expected exactly 1"),
        "{message}"
    );
    assert!(!message.contains("listFiles"), "{message}");
    // Met now, so that dropping the mock does not panic.
    server
        .post_json("/edits", json!({"model": "m", "instruction": "i"}))
        .await;
}
