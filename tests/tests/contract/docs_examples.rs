//! The docs' own examples, in the docs' order, against a fresh default
//! (stateful) mock, as the test library and as the standalone server: each
//! request as the docs print it, each answer with the documented status and
//! the documented response's fields (by path, as `cargo xtask verify`
//! compares them). Then `verify` itself against fresh default and stateless
//! mocks, which must find nothing broken.
//!
//! The order is the API reference's (models, completions, edits, images,
//! embeddings, files, fine-tunes, moderations, engines), then the guides'
//! chat and audio examples. Where the examples contradict each other under
//! state, `fixtures/README.md` ("Under state") says what the mock does.

use std::path::Path;

use openai_contract_tests::verify::{Options, Target, shape_difference, verify};
use openai_rest_mock::{Fixtures, MockOptions, OpenAiMock, OperationId};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const KEY: &str = "sk-docs-examples-test-0123456789";

/// What an example sends.
enum Body {
    None,
    Json(Value),
    /// Text fields and files (`name`, file under `tests/data` or bytes).
    Form(
        &'static [(&'static str, &'static str)],
        &'static [(&'static str, File)],
    ),
}

#[derive(Clone, Copy)]
enum File {
    Data(&'static str),
    Bytes(&'static [u8]),
}

/// What the answer must be.
enum Expect {
    /// The documented status and the fields of the operation's `response`
    /// fixture.
    Documented(OperationId),
    /// The API's 404: the object was deleted by an earlier example.
    Deleted,
    /// The API's 400: the job has ended and cannot be cancelled.
    Ended,
}

struct Example {
    method: &'static str,
    path: &'static str,
    body: Body,
    expect: Expect,
}

const fn example(
    method: &'static str,
    path: &'static str,
    body: Body,
    expect: OperationId,
) -> Example {
    Example {
        method,
        path,
        body,
        expect: Expect::Documented(expect),
    }
}

const TRAINING: &[u8] =
    b"{\"prompt\": \"<prompt text>\", \"completion\": \"<ideal generated text>\"}\n";

fn examples() -> Vec<Example> {
    use OperationId::*;
    vec![
        example("GET", "/models", Body::None, ListModels),
        example(
            "POST",
            "/completions",
            Body::Json(
                json!({"model": "text-davinci-003", "prompt": "Say this is a test", "temperature": 0, "max_tokens": 7}),
            ),
            CreateCompletion,
        ),
        example("GET", "/models/text-davinci-003", Body::None, RetrieveModel),
        example(
            "POST",
            "/edits",
            Body::Json(
                json!({"model": "text-davinci-edit-001", "input": "What day of the wek is it?", "instruction": "Fix the spelling mistakes"}),
            ),
            CreateEdit,
        ),
        example(
            "POST",
            "/images/generations",
            Body::Json(json!({"prompt": "A cute baby sea otter", "n": 2, "size": "1024x1024"})),
            CreateImage,
        ),
        example(
            "POST",
            "/images/edits",
            Body::Form(
                &[
                    ("prompt", "A cute baby sea otter wearing a beret"),
                    ("n", "2"),
                    ("size", "1024x1024"),
                ],
                &[
                    ("image", File::Data("otter.png")),
                    ("mask", File::Data("otter.png")),
                ],
            ),
            CreateImageEdit,
        ),
        example(
            "POST",
            "/images/variations",
            Body::Form(
                &[("n", "2"), ("size", "1024x1024")],
                &[("image", File::Data("otter.png"))],
            ),
            CreateImageVariation,
        ),
        example(
            "POST",
            "/embeddings",
            Body::Json(
                json!({"input": "The food was delicious and the waiter...", "model": "text-embedding-ada-002"}),
            ),
            CreateEmbedding,
        ),
        example("GET", "/files", Body::None, ListFiles),
        example(
            "POST",
            "/files",
            Body::Form(
                &[("purpose", "fine-tune")],
                &[("file", File::Bytes(TRAINING))],
            ),
            CreateFile,
        ),
        example(
            "DELETE",
            "/files/file-XjGxS3KTG0uNmNOK362iJua3",
            Body::None,
            DeleteFile,
        ),
        // The reference reads the file it has just deleted.
        Example {
            method: "GET",
            path: "/files/file-XjGxS3KTG0uNmNOK362iJua3",
            body: Body::None,
            expect: Expect::Deleted,
        },
        Example {
            method: "GET",
            path: "/files/file-XjGxS3KTG0uNmNOK362iJua3/content",
            body: Body::None,
            expect: Expect::Deleted,
        },
        example(
            "POST",
            "/fine-tunes",
            Body::Json(json!({"training_file": "file-XGinujblHPwGLSztz8cPS8XY"})),
            CreateFineTune,
        ),
        example("GET", "/fine-tunes", Body::None, ListFineTunes),
        example(
            "GET",
            "/fine-tunes/ft-AF1WoRqd3aJAHsqc9NY7iL8F",
            Body::None,
            RetrieveFineTune,
        ),
        // The reference cancels the job it has just shown `succeeded`.
        Example {
            method: "POST",
            path: "/fine-tunes/ft-AF1WoRqd3aJAHsqc9NY7iL8F/cancel",
            body: Body::None,
            expect: Expect::Ended,
        },
        example(
            "GET",
            "/fine-tunes/ft-AF1WoRqd3aJAHsqc9NY7iL8F/events",
            Body::None,
            ListFineTuneEvents,
        ),
        example(
            "DELETE",
            "/models/curie:ft-acmeco-2021-03-03-21-44-20",
            Body::None,
            DeleteModel,
        ),
        example(
            "POST",
            "/moderations",
            Body::Json(json!({"input": "I want to kill them."})),
            CreateModeration,
        ),
        example("GET", "/engines", Body::None, ListEngines),
        example(
            "GET",
            "/engines/text-davinci-003",
            Body::None,
            RetrieveEngine,
        ),
        // The guides'.
        example(
            "POST",
            "/chat/completions",
            Body::Json(
                json!({"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Hello!"}]}),
            ),
            CreateChatCompletion,
        ),
        example(
            "POST",
            "/audio/transcriptions",
            Body::Form(
                &[("model", "whisper-1")],
                &[("file", File::Data("hello.mp3"))],
            ),
            CreateTranscription,
        ),
        example(
            "POST",
            "/audio/translations",
            Body::Form(
                &[("model", "whisper-1")],
                &[("file", File::Data("hello.mp3"))],
            ),
            CreateTranslation,
        ),
    ]
}

fn part(file: File) -> Part {
    let bytes = match file {
        File::Data(data) => {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("data")
                .join(data);
            std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        }
        File::Bytes(bytes) => bytes.to_vec(),
    };
    let file_name = match file {
        File::Data(data) => data,
        File::Bytes(_) => "mydata.jsonl",
    };
    Part::bytes(bytes).file_name(file_name)
}

/// `request` with an example's body: JSON, or a multipart form.
fn with_body(request: reqwest::RequestBuilder, body: Body) -> reqwest::RequestBuilder {
    match body {
        Body::None => request,
        Body::Json(body) => request.json(&body),
        Body::Form(fields, files) => {
            let mut form = Form::new();
            for (name, value) in fields {
                form = form.text(*name, *value);
            }
            for (name, file) in files {
                form = form.part(*name, part(*file));
            }
            request.multipart(form)
        }
    }
}

/// Sends the docs' examples in order to the OpenAI API at `base_url`; the
/// first that is not answered as documented fails the test.
async fn run_in_order(base_url: &str, mode: &str) {
    let client = openai_contract_tests::http();
    let fixtures = Fixtures::default();
    for example in examples() {
        let what = format!("{mode}: {} {}", example.method, example.path);
        let method = example.method.parse().unwrap();
        let request = client
            .request(method, format!("{base_url}{}", example.path))
            .bearer_auth(KEY);
        let request = with_body(request, example.body);
        let answer = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = answer.status().as_u16();
        let bytes = answer.bytes().await.unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        match example.expect {
            Expect::Deleted | Expect::Ended => {
                let expected = if matches!(example.expect, Expect::Deleted) {
                    404
                } else {
                    400
                };
                assert_eq!(status, expected, "{what}: {text}");
                let error: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(error["error"]["type"], "invalid_request_error", "{what}");
            }
            Expect::Documented(operation) => {
                assert_eq!(status, 200, "{what}: {text}");
                let documented = fixtures.get(operation, "response").unwrap();
                let documented = String::from_utf8_lossy(documented).into_owned();
                // The JSON answers by their fields; a file's content by
                // being the docs' JSON Lines kind of file.
                if documented.starts_with('{') {
                    let difference = shape_difference(&[documented], std::slice::from_ref(&text));
                    assert_eq!(difference, None, "{what}: {text}");
                } else {
                    assert!(!bytes.is_empty(), "{what}");
                }
            }
        }
    }
}

#[tokio::test]
async fn the_docs_examples_run_in_order_on_a_fresh_default_mock() {
    let mock = OpenAiMock::start_with(MockOptions::default().api_key(KEY)).await;
    run_in_order(&mock.base_url(), "library").await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(openai_rest_mock::serve(
        listener,
        MockOptions::default().api_key(KEY),
        async {
            let _ = stopped.await;
        },
    ));
    run_in_order(&format!("http://{address}/v1"), "standalone").await;
    let _ = stop.send(());
    let _ = server.await;
}

/// `cargo xtask verify` (no costly cases) against a fresh mock of either
/// mode reports nothing broken.
#[tokio::test]
async fn verify_is_clean_against_fresh_default_and_stateless_mocks() {
    for stateless in [false, true] {
        let mock = OpenAiMock::start_with(MockOptions::default().stateless(stateless)).await;
        let target = Target::OpenAi {
            base_url: mock.base_url(),
            api_key: KEY.into(),
            organization: None,
        };
        let report = verify(&target, &Options::default()).await.unwrap();
        assert!(report.passed(), "stateless={stateless}\n{report}");
    }
}

/// One of Azure's examples (api-version 2022-12-01): what it sends, the
/// status it answers and the fixture case whose fields the answer has
/// (`None`: no body, or a body other than JSON).
struct AzureExample {
    method: &'static str,
    path: &'static str,
    body: Body,
    status: u16,
    fields: Option<(OperationId, &'static str)>,
}

const AZURE_FILE: &str = "file-181a1cbdcdcf4677ada87f63a0928099";
const AZURE_JOB: &str = "ft-72a2792ef7d24ba7b82c7fe4a37e379f";
const DEPLOYMENT: &str = "deployment-8f3c2a1e9d7b4c6a9e5f0b2d4c6e8a1f";

/// Azure's examples, resource by resource (models, files, fine-tunes,
/// deployments and the inference they serve), each resource's creates and
/// reads before its deletes, as `fixtures/README.md` explains.
fn azure_examples() -> Vec<AzureExample> {
    use OperationId::*;
    let get = |path: &'static str, operation, case| AzureExample {
        method: "GET",
        path,
        body: Body::None,
        status: 200,
        fields: Some((operation, case)),
    };
    let job = format!("/fine-tunes/{AZURE_JOB}").leak();
    let file = format!("/files/{AZURE_FILE}").leak();
    let deployment = format!("/deployments/{DEPLOYMENT}").leak();
    vec![
        get("/models", ListModels, "azure"),
        get("/models/curie", RetrieveModel, "azure"),
        // The list example's fine-tuned model (the retrieve example is a
        // base model, with other fields).
        AzureExample {
            method: "GET",
            path: format!("/models/curie.{AZURE_JOB}").leak(),
            body: Body::None,
            status: 200,
            fields: None,
        },
        get("/files", ListFiles, "azure"),
        AzureExample {
            method: "POST",
            path: "/files",
            body: Body::Form(
                &[("purpose", "fine-tune")],
                &[("file", File::Bytes(TRAINING))],
            ),
            status: 201,
            fields: Some((CreateFile, "azure")),
        },
        get(file, RetrieveFile, "azure"),
        AzureExample {
            method: "GET",
            path: format!("{file}/content").leak(),
            body: Body::None,
            status: 200,
            fields: None,
        },
        AzureExample {
            method: "POST",
            path: "/files/import",
            body: Body::Json(json!({
                "purpose": "fine-tune",
                "filename": "puppy.jsonl",
                "content_url": "data:application/jsonl;base64,eyJwcm9tcHQiOiAiYSIsICJjb21wbGV0aW9uIjogIiBiIn0K"
            })),
            status: 201,
            fields: Some((ImportFile, "response")),
        },
        get("/fine-tunes", ListFineTunes, "azure"),
        AzureExample {
            method: "POST",
            path: "/fine-tunes",
            body: Body::Json(json!({"model": "curie", "training_file": AZURE_FILE})),
            status: 201,
            fields: Some((CreateFineTune, "azure")),
        },
        get(job, RetrieveFineTune, "azure"),
        get(format!("{job}/events").leak(), ListFineTuneEvents, "azure"),
        // The example cancels the job the others show succeeded: the API's
        // 400, in Azure's body.
        AzureExample {
            method: "POST",
            path: format!("{job}/cancel").leak(),
            body: Body::None,
            status: 400,
            fields: None,
        },
        AzureExample {
            method: "DELETE",
            path: job,
            body: Body::None,
            status: 204,
            fields: None,
        },
        AzureExample {
            method: "DELETE",
            path: file,
            body: Body::None,
            status: 204,
            fields: None,
        },
        get("/deployments", ListDeployments, "response"),
        AzureExample {
            method: "POST",
            path: "/deployments",
            body: Body::Json(
                json!({"model": "curie", "scale_settings": {"scale_type": "standard"}}),
            ),
            status: 201,
            fields: Some((CreateDeployment, "response")),
        },
        get(deployment, RetrieveDeployment, "response"),
        AzureExample {
            method: "POST",
            path: format!("{deployment}/completions").leak(),
            body: Body::Json(json!({"prompt": "Say this is a test", "max_tokens": 7})),
            status: 200,
            fields: Some((CreateCompletion, "response")),
        },
        AzureExample {
            method: "POST",
            path: format!("{deployment}/embeddings").leak(),
            body: Body::Json(json!({"input": "The food was delicious and the waiter..."})),
            status: 200,
            fields: Some((CreateEmbedding, "response")),
        },
        AzureExample {
            method: "PATCH",
            path: deployment,
            body: Body::Json(json!({"scale_settings": {"scale_type": "standard"}})),
            status: 200,
            fields: Some((UpdateDeployment, "response")),
        },
        AzureExample {
            method: "DELETE",
            path: deployment,
            body: Body::None,
            status: 204,
            fields: None,
        },
    ]
}

#[tokio::test]
async fn azures_examples_run_in_order_on_a_fresh_default_mock() {
    let mock = OpenAiMock::start_with(MockOptions::default().api_key(KEY)).await;
    let client = openai_contract_tests::http();
    let fixtures = Fixtures::default();
    for example in azure_examples() {
        let what = format!("{} {}", example.method, example.path);
        let url = format!(
            "{}/openai{}?api-version=2022-12-01",
            mock.azure_endpoint(),
            example.path
        );
        let mut request = client
            .request(example.method.parse().unwrap(), url)
            .header("api-key", KEY);
        request = match example.body {
            Body::Json(body) if example.method == "PATCH" => request
                .header("content-type", "application/merge-patch+json")
                .body(body.to_string()),
            body => with_body(request, body),
        };
        let answer = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = answer.status().as_u16();
        let text = answer.text().await.unwrap();
        assert_eq!(status, example.status, "{what}: {text}");
        if let Some((operation, case)) = example.fields {
            let documented = fixtures.get(operation, case).unwrap();
            let documented = String::from_utf8_lossy(documented).into_owned();
            let difference = shape_difference(&[documented], std::slice::from_ref(&text));
            assert_eq!(difference, None, "{what}: {text}");
        }
    }
}
