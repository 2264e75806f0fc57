//! Every operation through a plain reqwest client, in both modes: the
//! documented request gets the documented answer, answers reflect the
//! request, and streams are framed as the API frames them. These check the
//! replay itself, so the mock runs stateless: any id and model will do (the
//! `state` tests cover what the stateful mock remembers).

use crate::common;

use std::collections::BTreeSet;

use common::{Answer, KEY, PNG, Server, events, file, fixture, fixture_json, send};
use openai_rest_mock::{MockOptions, OperationId};
use openai_rest_raw::operations::{Api, OPERATIONS};
use reqwest::multipart::Form;
use serde_json::{Value, json};

#[derive(Clone)]
enum Body {
    None,
    Json(Value),
    Form(fn() -> Form),
}

/// A documented request and the fixture that answers it.
#[derive(Clone)]
struct Documented {
    api: Api,
    operation: OperationId,
    method: &'static str,
    /// Under the API's base URL.
    path: String,
    body: Body,
    /// Under fixtures/.
    fixture: &'static str,
    status: u16,
    /// Where the answer differs from the fixture because the request says
    /// so: JSON pointer and value.
    reflected: Vec<(&'static str, Value)>,
}

impl Documented {
    fn new(
        api: Api,
        operation: OperationId,
        (method, path): (&'static str, &str),
        body: Body,
        fixture: &'static str,
    ) -> Documented {
        Documented {
            api,
            operation,
            method,
            path: path.to_owned(),
            body,
            fixture,
            status: 200,
            reflected: Vec::new(),
        }
    }

    fn content_type(&self) -> Option<&'static str> {
        if self.status == 204 {
            return None;
        }
        match self.fixture.rsplit_once('.').map(|(_, ext)| ext) {
            Some("json") => Some("application/json"),
            Some("jsonl") => Some("application/octet-stream"),
            _ => None,
        }
    }

    async fn send(&self, server: &Server) -> Answer {
        let request = match self.api {
            Api::OpenAi => server.request(self.method, &self.path).bearer_auth(KEY),
            Api::Azure => server
                .azure_request(self.method, &self.path)
                .header("api-key", KEY),
        };
        let request = match &self.body {
            Body::None => request,
            Body::Json(json) => request.json(json),
            Body::Form(form) => request.multipart(form()),
        };
        send(request).await
    }
}

fn training_file() -> Form {
    Form::new().text("purpose", "fine-tune").part(
        "file",
        file(fixture("downloadFile/response.jsonl"), "mydata.jsonl"),
    )
}

fn whisper(file_name: &'static str) -> Form {
    Form::new()
        .part("file", file(b"audio".to_vec(), file_name))
        .text("model", "whisper-1")
}

/// The requests of the API reference (its `curl` examples) and, for what they
/// show no request for (chat, audio, Azure), the guides' requests.
fn documented_requests() -> Vec<Documented> {
    use Api::{Azure, OpenAi};
    use OperationId::*;
    let file_path = "/files/file-XjGxS3KTG0uNmNOK362iJua3";
    let job_path = "/fine-tunes/ft-AF1WoRqd3aJAHsqc9NY7iL8F";
    let deployment_path = "/deployments/deployment-8f3c2a1e9d7b4c6a9e5f0b2d4c6e8a1f";
    let get = |path: &str| ("GET", path.to_owned());
    let openai = |operation, (method, path): (&'static str, String), body, fixture| {
        Documented::new(OpenAi, operation, (method, &path), body, fixture)
    };
    let json = Body::Json;
    let mut all = vec![
        openai(
            ListModels,
            get("/models"),
            Body::None,
            "listModels/response.json",
        ),
        openai(
            RetrieveModel,
            get("/models/text-davinci-003"),
            Body::None,
            "retrieveModel/response.json",
        ),
        openai(
            DeleteModel,
            (
                "DELETE",
                "/models/curie:ft-acmeco-2021-03-03-21-44-20".into(),
            ),
            Body::None,
            "deleteModel/response.json",
        ),
        openai(
            CreateCompletion,
            ("POST", "/completions".into()),
            json(
                json!({"model": "text-davinci-003", "prompt": "Say this is a test", "max_tokens": 7, "temperature": 0}),
            ),
            "createCompletion/response.json",
        ),
        openai(
            CreateChatCompletion,
            ("POST", "/chat/completions".into()),
            json(
                json!({"model": "gpt-3.5-turbo-0301", "messages": [{"role": "user", "content": "Hello!"}]}),
            ),
            "createChatCompletion/response.json",
        ),
        openai(
            CreateEdit,
            ("POST", "/edits".into()),
            json(
                json!({"model": "text-davinci-edit-001", "input": "What day of the wek is it?", "instruction": "Fix the spelling mistakes"}),
            ),
            "createEdit/response.json",
        ),
        openai(
            CreateImage,
            ("POST", "/images/generations".into()),
            json(json!({"prompt": "A cute baby sea otter", "n": 2, "size": "1024x1024"})),
            "createImage/response.json",
        ),
        openai(
            CreateImageEdit,
            ("POST", "/images/edits".into()),
            Body::Form(|| {
                Form::new()
                    .part("image", file(PNG, "otter.png"))
                    .part("mask", file(PNG, "mask.png"))
                    .text("prompt", "A cute baby sea otter wearing a beret")
                    .text("n", "2")
                    .text("size", "1024x1024")
            }),
            "createImageEdit/response.json",
        ),
        openai(
            CreateImageVariation,
            ("POST", "/images/variations".into()),
            Body::Form(|| {
                Form::new()
                    .part("image", file(PNG, "otter.png"))
                    .text("n", "2")
                    .text("size", "1024x1024")
            }),
            "createImageVariation/response.json",
        ),
        openai(
            CreateEmbedding,
            ("POST", "/embeddings".into()),
            json(
                json!({"input": "The food was delicious and the waiter...", "model": "text-embedding-ada-002"}),
            ),
            "createEmbedding/response.json",
        ),
        openai(
            ListFiles,
            get("/files"),
            Body::None,
            "listFiles/response.json",
        ),
        openai(
            CreateFile,
            ("POST", "/files".into()),
            Body::Form(training_file),
            "createFile/response.json",
        ),
        openai(
            DeleteFile,
            ("DELETE", file_path.into()),
            Body::None,
            "deleteFile/response.json",
        ),
        openai(
            RetrieveFile,
            get(file_path),
            Body::None,
            "retrieveFile/response.json",
        ),
        openai(
            DownloadFile,
            get(&format!("{file_path}/content")),
            Body::None,
            "downloadFile/response.jsonl",
        ),
        openai(
            CreateFineTune,
            ("POST", "/fine-tunes".into()),
            json(json!({"training_file": "file-XGinujblHPwGLSztz8cPS8XY"})),
            "createFineTune/response.json",
        ),
        openai(
            ListFineTunes,
            get("/fine-tunes"),
            Body::None,
            "listFineTunes/response.json",
        ),
        openai(
            RetrieveFineTune,
            get(job_path),
            Body::None,
            "retrieveFineTune/response.json",
        ),
        Documented {
            // The docs cancel one job and print another's answer.
            reflected: vec![("/id", json!("ft-AF1WoRqd3aJAHsqc9NY7iL8F"))],
            ..openai(
                CancelFineTune,
                ("POST", format!("{job_path}/cancel")),
                Body::None,
                "cancelFineTune/response.json",
            )
        },
        openai(
            ListFineTuneEvents,
            get(&format!("{job_path}/events")),
            Body::None,
            "listFineTuneEvents/response.json",
        ),
        openai(
            CreateModeration,
            ("POST", "/moderations".into()),
            json(json!({"input": "I want to kill them."})),
            "createModeration/response.json",
        ),
        openai(
            ListEngines,
            get("/engines"),
            Body::None,
            "listEngines/response.json",
        ),
        openai(
            RetrieveEngine,
            get("/engines/text-davinci-003"),
            Body::None,
            "retrieveEngine/response.json",
        ),
        openai(
            CreateTranscription,
            ("POST", "/audio/transcriptions".into()),
            Body::Form(|| whisper("audio.mp3")),
            "createTranscription/response.json",
        ),
        openai(
            CreateTranslation,
            ("POST", "/audio/translations".into()),
            Body::Form(|| whisper("german.m4a")),
            "createTranslation/response.json",
        ),
    ];
    // Azure serves files, fine-tunes and models at OpenAI's paths, with its
    // own success statuses (201 for a creation, 204 and no body for a
    // deletion) and its own objects: those answer Azure's examples (the
    // `azure` cases, below); a file's content answers as on OpenAI.
    let own_objects = |operation| {
        openai_rest_mock::Fixtures::default()
            .get(operation, "azure")
            .is_some()
    };
    let operation_of = |api, operation| {
        OPERATIONS
            .iter()
            .find(|op| op.api == api && op.id == operation)
    };
    let shared: Vec<Documented> = all
        .iter()
        .filter_map(|request| {
            let on_azure = operation_of(Azure, request.operation)?;
            let on_openai = operation_of(OpenAi, request.operation)?;
            (on_azure.path == on_openai.path && !own_objects(request.operation)).then(|| {
                Documented {
                    api: Azure,
                    status: on_azure.success,
                    ..request.clone()
                }
            })
        })
        .collect();
    all.extend(shared);
    // The rest of Azure, as the Azure guide uses it.
    let azure = |operation, (method, path): (&'static str, String), body, fixture| {
        Documented::new(Azure, operation, (method, &path), body, fixture)
    };
    // The ids of Azure's examples.
    let azure_file = "/files/file-181a1cbdcdcf4677ada87f63a0928099";
    let azure_job = "/fine-tunes/ft-72a2792ef7d24ba7b82c7fe4a37e379f";
    all.extend([
        azure(ListFiles, get("/files"), Body::None, "listFiles/azure.json"),
        Documented {
            status: 201,
            // The example uploads puppy.jsonl.
            reflected: vec![("/filename", json!("mydata.jsonl"))],
            ..azure(CreateFile, ("POST", "/files".into()), Body::Form(training_file), "createFile/azure.json")
        },
        azure(RetrieveFile, get(azure_file), Body::None, "retrieveFile/azure.json"),
        Documented {
            status: 201,
            ..azure(CreateFineTune, ("POST", "/fine-tunes".into()),
                json(json!({"model": "curie", "training_file": "file-181a1cbdcdcf4677ada87f63a0928099"})),
                "createFineTune/azure.json")
        },
        azure(ListFineTunes, get("/fine-tunes"), Body::None, "listFineTunes/azure.json"),
        azure(RetrieveFineTune, get(azure_job), Body::None, "retrieveFineTune/azure.json"),
        azure(CancelFineTune, ("POST", format!("{azure_job}/cancel")), Body::None, "cancelFineTune/azure.json"),
        azure(ListFineTuneEvents, get(&format!("{azure_job}/events")), Body::None, "listFineTuneEvents/azure.json"),
        azure(ListModels, get("/models"), Body::None, "listModels/azure.json"),
        azure(RetrieveModel, get("/models/curie"), Body::None, "retrieveModel/azure.json"),
        azure(ListDeployments, get("/deployments"), Body::None, "listDeployments/response.json"),
        Documented {
            status: 201,
            ..azure(CreateDeployment, ("POST", "/deployments".into()),
                json(json!({"model": "text-davinci-002", "scale_settings": {"scale_type": "standard"}})),
                "createDeployment/response.json")
        },
        azure(RetrieveDeployment, get(deployment_path), Body::None, "retrieveDeployment/response.json"),
        azure(UpdateDeployment, ("PATCH", deployment_path.into()),
            json(json!({"scale_settings": {"scale_type": "standard"}})),
            "updateDeployment/response.json"),
        Documented {
            status: 204,
            ..azure(DeleteDeployment, ("DELETE", deployment_path.into()), Body::None, "deleteDeployment/response.empty")
        },
        Documented {
            status: 201,
            ..azure(ImportFile, ("POST", "/files/import".into()),
                json(json!({"purpose": "fine-tune", "filename": "puppy.jsonl",
                    "content_url": "https://aoairesource.blob.core.windows.net/data/puppy.jsonl"})),
                "importFile/response.json")
        },
        Documented {
            status: 204,
            ..azure(DeleteFineTune, ("DELETE", job_path.into()), Body::None, "deleteFineTune/response.empty")
        },
        // The deployment chooses the model: the guide sends none.
        azure(CreateCompletion, ("POST", format!("{deployment_path}/completions")),
            json(json!({"prompt": "Say this is a test", "max_tokens": 7, "temperature": 0})),
            "createCompletion/response.json"),
        azure(CreateEmbedding, ("POST", format!("{deployment_path}/embeddings")),
            json(json!({"input": "The food was delicious and the waiter..."})),
            "createEmbedding/response.json"),
    ]);
    all
}

#[test]
fn the_documented_requests_cover_every_operation() {
    let covered: BTreeSet<(bool, OperationId)> = documented_requests()
        .iter()
        .map(|d| (d.api == Api::Azure, d.operation))
        .collect();
    let all: BTreeSet<(bool, OperationId)> = OPERATIONS
        .iter()
        .map(|op| (op.api == Api::Azure, op.id))
        .collect();
    assert_eq!(covered, all);
}

#[tokio::test]
async fn every_documented_request_gets_the_documented_answer() {
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        for request in documented_requests() {
            let context = format!("{} {:?} {}", server.mode, request.api, request.operation);
            let answer = request.send(&server).await;
            assert_eq!(
                answer.status,
                request.status,
                "{context}: {}",
                answer.text()
            );
            assert_eq!(
                answer.content_type.as_deref(),
                request.content_type(),
                "{context}"
            );
            if request.status == 204 {
                assert!(answer.body.is_empty(), "{context}");
            } else if request.reflected.is_empty() {
                assert_eq!(answer.body, fixture(request.fixture), "{context}");
            } else {
                let mut expected = fixture_json(request.fixture);
                for (pointer, value) in &request.reflected {
                    *expected.pointer_mut(pointer).unwrap() = value.clone();
                }
                assert_eq!(answer.json(), expected, "{context}");
            }
        }
    }
}

#[tokio::test]
async fn ids_in_the_path_come_back() {
    let cases = [
        ("GET", "/models/curie:ft-acmeco-2021-03-03-21-44-20"),
        ("DELETE", "/models/curie:ft-acmeco-2021-03-03-22-00-00"),
        ("GET", "/engines/davinci"),
        ("GET", "/files/file-abc123"),
        ("DELETE", "/files/file-def456"),
        ("GET", "/fine-tunes/ft-xyz"),
        ("POST", "/fine-tunes/ft-uvw/cancel"),
    ];
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        for (method, path) in cases {
            let answer = send(server.request(method, path).bearer_auth(KEY)).await;
            let id = path.split('/').nth(2).unwrap();
            assert_eq!(answer.json()["id"], id, "{} {method} {path}", server.mode);
        }
        let request = server.azure_request("GET", "/deployments/my-deployment");
        let answer = send(request.header("api-key", KEY)).await;
        assert_eq!(answer.json()["id"], "my-deployment", "{}", server.mode);
        assert_eq!(answer.json()["status"], "succeeded", "{}", server.mode);
    }
}

#[tokio::test]
async fn the_model_is_echoed() {
    let messages = json!([{"role": "user", "content": "Hello!"}]);
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        let cases = [
            (
                "/completions",
                json!({"model": "text-curie-001", "prompt": "x"}),
            ),
            (
                "/chat/completions",
                json!({"model": "gpt-4", "messages": messages}),
            ),
            (
                "/embeddings",
                json!({"model": "text-similarity-ada-001", "input": "x"}),
            ),
            (
                "/moderations",
                json!({"model": "text-moderation-stable", "input": "x"}),
            ),
            (
                "/fine-tunes",
                json!({"model": "ada", "training_file": "file-1"}),
            ),
        ];
        for (path, body) in cases {
            let model = body["model"].clone();
            let answer = server.post_json(path, body).await;
            assert_eq!(answer.json()["model"], model, "{} {path}", server.mode);
        }
    }
}

#[tokio::test]
async fn n_gives_that_many_choices_or_images() {
    let messages = json!([{"role": "user", "content": "Hello!"}]);
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        let cases = [
            (
                "/completions",
                json!({"model": "m", "prompt": "x", "n": 3}),
                "choices",
                3,
            ),
            // n completions for each prompt.
            (
                "/completions",
                json!({"model": "m", "prompt": ["a", "b"], "n": 2}),
                "choices",
                4,
            ),
            (
                "/completions",
                json!({"model": "m", "prompt": [[1, 2], [3]]}),
                "choices",
                2,
            ),
            (
                "/chat/completions",
                json!({"model": "m", "messages": messages, "n": 2}),
                "choices",
                2,
            ),
            (
                "/edits",
                json!({"model": "m", "instruction": "i", "n": 5}),
                "choices",
                5,
            ),
            (
                "/images/generations",
                json!({"prompt": "otter", "n": 3}),
                "data",
                3,
            ),
            // The docs' default is one image.
            ("/images/generations", json!({"prompt": "otter"}), "data", 1),
        ];
        for (path, body, field, count) in cases {
            let answer = server.post_json(path, body.clone()).await.json();
            let items = answer[field].as_array().unwrap();
            assert_eq!(items.len(), count, "{} {path} {body}", server.mode);
            for (i, item) in items.iter().enumerate() {
                if field == "choices" {
                    assert_eq!(item["index"], i, "{} {path}", server.mode);
                }
            }
        }
        let form = Form::new()
            .part("image", file(PNG, "otter.png"))
            .text("n", "4");
        let answer = server.post_form("/images/variations", form).await.json();
        assert_eq!(
            answer["data"].as_array().unwrap().len(),
            4,
            "{}",
            server.mode
        );
    }
}

#[tokio::test]
async fn b64_json_gives_base64_images() {
    let expected = fixture_json("createImage/b64_json.json")["data"].clone();
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        let body = json!({"prompt": "otter", "n": 2, "response_format": "b64_json"});
        let answer = server.post_json("/images/generations", body).await.json();
        assert_eq!(answer["data"], expected, "{}", server.mode);

        let variation = || {
            Form::new()
                .part("image", file(PNG, "otter.png"))
                .text("response_format", "b64_json")
        };
        for (path, form) in [
            ("/images/edits", variation().text("prompt", "otter")),
            ("/images/variations", variation()),
        ] {
            let answer = server.post_form(path, form).await.json();
            assert_eq!(answer["data"][0], expected[0], "{} {path}", server.mode);
            assert!(answer["data"][0].get("url").is_none());
        }
    }
}

#[tokio::test]
async fn audio_formats_answer_their_content_type() {
    let formats = [
        ("json", "response.json", "application/json"),
        ("verbose_json", "verbose_json.json", "application/json"),
        ("text", "text.txt", "text/plain; charset=utf-8"),
        ("srt", "srt.srt", "text/plain; charset=utf-8"),
        ("vtt", "vtt.vtt", "text/plain; charset=utf-8"),
    ];
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        for (path, dir) in [
            ("/audio/transcriptions", "createTranscription"),
            ("/audio/translations", "createTranslation"),
        ] {
            for (format, name, content_type) in formats {
                let form = Form::new()
                    .part("file", file(b"fLaC".to_vec(), "speech.wav"))
                    .text("model", "whisper-1")
                    .text("response_format", format);
                let answer = server.post_form(path, form).await;
                let context = format!("{} {path} {format}", server.mode);
                assert_eq!(answer.status, 200, "{context}: {}", answer.text());
                assert_eq!(
                    answer.content_type.as_deref(),
                    Some(content_type),
                    "{context}"
                );
                assert_eq!(answer.body, fixture(&format!("{dir}/{name}")), "{context}");
            }
        }
    }
}

#[tokio::test]
async fn one_embedding_or_moderation_result_per_input() {
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        let cases = [
            ("/embeddings", json!(["a", "b", "c"]), "data", 3),
            ("/embeddings", json!([[1, 2], [3, 4]]), "data", 2),
            // One input as tokens.
            ("/embeddings", json!([1, 2, 3]), "data", 1),
            ("/moderations", json!(["a", "b"]), "results", 2),
        ];
        for (path, input, field, count) in cases {
            let answer = server
                .post_json(path, json!({"model": "m", "input": input}))
                .await
                .json();
            let items = answer[field].as_array().unwrap();
            assert_eq!(items.len(), count, "{} {path} {input}", server.mode);
            if field == "data" {
                for (i, item) in items.iter().enumerate() {
                    assert_eq!(item["index"], i, "{} {path}", server.mode);
                }
            }
        }
    }
}

#[tokio::test]
async fn echo_puts_the_prompt_before_the_completion() {
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        let body = json!({"model": "m", "prompt": ["Say this is a test", "Or not"], "echo": true});
        let answer = server.post_json("/completions", body).await.json();
        assert_eq!(
            answer["choices"][0]["text"],
            "Say this is a test\n\nThis is indeed a test"
        );
        assert_eq!(
            answer["choices"][1]["text"],
            "Or not\n\nThis is indeed a test"
        );
    }
}

#[tokio::test]
async fn uploads_and_jobs_reflect_what_they_were_created_with() {
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        let content = "{\"prompt\": \"a\", \"completion\": \"b\"}\n";
        let form = Form::new()
            .text("purpose", "fine-tune")
            .part("file", file(content, "train.jsonl"));
        let answer = server.post_form("/files", form).await.json();
        assert_eq!(answer["filename"], "train.jsonl", "{}", server.mode);
        assert_eq!(answer["bytes"], content.len());
        assert_eq!(answer["purpose"], "fine-tune");

        let body =
            json!({"training_file": "file-train", "model": "ada", "n_epochs": 2, "batch_size": 8});
        let answer = server.post_json("/fine-tunes", body).await.json();
        assert_eq!(
            answer["training_files"][0]["id"], "file-train",
            "{}",
            server.mode
        );
        assert_eq!(answer["model"], "ada");
        assert_eq!(answer["hyperparams"]["n_epochs"], 2);
        assert_eq!(answer["hyperparams"]["batch_size"], 8);
        assert_eq!(answer["status"], "pending");

        let body = json!({"model": "text-curie-001", "scale_settings": {"scale_type": "manual", "capacity": 2}});
        let request = server.azure_request("POST", "/deployments");
        let answer = send(request.header("api-key", KEY).json(&body)).await;
        assert_eq!(answer.status, 201, "{}", server.mode);
        let deployment = answer.json();
        assert_eq!(deployment["model"], "text-curie-001");
        assert_eq!(
            deployment["scale_settings"],
            json!({"scale_type": "manual", "capacity": 2})
        );
        // Created, not yet running: the guide polls until it succeeds.
        assert_eq!(deployment["status"], "notRunning");
    }
}

#[tokio::test]
async fn file_content_is_the_raw_bytes() {
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        let answer = server.get("/files/file-anything/content").await;
        assert_eq!(
            answer.content_type.as_deref(),
            Some("application/octet-stream")
        );
        assert_eq!(
            answer.body,
            fixture("downloadFile/response.jsonl"),
            "{}",
            server.mode
        );
    }
}

#[tokio::test]
async fn answers_keep_the_fields_in_the_order_of_the_docs() {
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        let answer = server
            .post_json(
                "/completions",
                json!({"model": "other-model", "prompt": "x"}),
            )
            .await
            .text();
        let expected = String::from_utf8(fixture("createCompletion/response.json"))
            .unwrap()
            .replace("text-davinci-003", "other-model");
        assert_eq!(answer, expected, "{}", server.mode);
    }
}

#[tokio::test]
async fn streams_replay_the_documented_events_then_done() {
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        // The docs' request, whose 7 tokens fill its max_tokens.
        let body = json!({"model": "text-davinci-003", "prompt": "Say this is a test", "max_tokens": 7, "stream": true});
        let answer = server.post_json("/completions", body).await;
        assert_eq!(answer.content_type.as_deref(), Some("text/event-stream"));
        assert_eq!(
            answer.body,
            fixture("createCompletion/stream.sse"),
            "{}",
            server.mode
        );

        let answer = server
            .get("/fine-tunes/ft-AF1WoRqd3aJAHsqc9NY7iL8F/events?stream=true")
            .await;
        assert_eq!(answer.content_type.as_deref(), Some("text/event-stream"));
        assert_eq!(
            answer.body,
            fixture("listFineTuneEvents/stream.sse"),
            "{}",
            server.mode
        );

        let answer = server
            .get("/fine-tunes/ft-AF1WoRqd3aJAHsqc9NY7iL8F/events?stream=false")
            .await;
        assert_eq!(answer.content_type.as_deref(), Some("application/json"));

        let request = server.azure_request("POST", "/deployments/dep/completions");
        let answer = send(
            request
                .header("api-key", KEY)
                .json(&json!({"prompt": "x", "stream": true})),
        )
        .await;
        assert_eq!(
            answer.body,
            fixture("createCompletion/stream.sse"),
            "{}",
            server.mode
        );
    }
}

#[tokio::test]
async fn a_chat_stream_carries_every_choice_and_the_model() {
    let documented =
        events(&String::from_utf8(fixture("createChatCompletion/stream.sse")).unwrap());
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        let body = json!({
            "model": "gpt-3.5-turbo",
            "messages": [{"role": "user", "content": "Hello!"}],
            "stream": true,
            "n": 2
        });
        let answer = server.post_json("/chat/completions", body).await;
        assert_eq!(answer.content_type.as_deref(), Some("text/event-stream"));
        let streamed = events(&answer.text());
        assert_eq!(streamed.len(), documented.len() * 2, "{}", server.mode);
        for (i, event) in streamed.iter().enumerate() {
            let mut expected = documented[i / 2].clone();
            expected["model"] = json!("gpt-3.5-turbo");
            expected["choices"][0]["index"] = json!(i % 2);
            assert_eq!(event, &expected, "{} event {i}", server.mode);
        }
    }
}

#[tokio::test]
async fn a_fixture_can_be_replaced_for_one_mock() {
    let server = Server::library(MockOptions::default().stateless(true)).await;
    server
        .mock()
        .set_fixture(
            OperationId::CreateEdit,
            "response.json",
            r#"{"object": "edit", "created": 1, "choices": [{"text": "Replaced.", "index": 0}], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}"#,
        )
        .unwrap();
    let answer = server
        .post_json("/edits", json!({"model": "m", "instruction": "i", "n": 2}))
        .await
        .json();
    assert_eq!(answer["choices"][1]["text"], "Replaced.");
    assert_eq!(answer["choices"][1]["index"], 1);

    let error = server
        .mock()
        .set_fixture(OperationId::CreateEdit, "response.json", "{not json")
        .unwrap_err();
    assert!(
        error.to_string().contains("createEdit/response.json"),
        "{error}"
    );

    // Another mock still has the documented answer.
    let other = Server::library(MockOptions::default().stateless(true)).await;
    let answer = other
        .post_json("/edits", json!({"model": "m", "instruction": "i"}))
        .await;
    assert_eq!(answer.body, fixture("createEdit/response.json"));
}

#[tokio::test]
async fn fixtures_load_from_a_directory_over_the_embedded_ones() {
    let dir =
        std::env::temp_dir().join(format!("openai-rest-mock-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("listEngines")).unwrap();
    std::fs::write(
        dir.join("listEngines/response.json"),
        r#"{"data": [], "object": "list"}"#,
    )
    .unwrap();
    let fixtures = openai_rest_mock::Fixtures::load(&dir).unwrap();
    let options = MockOptions::default().stateless(true).fixtures(fixtures);
    for server in Server::modes(options).await {
        assert_eq!(
            server.get("/engines").await.json(),
            json!({"data": [], "object": "list"})
        );
        // The others are the embedded ones.
        assert_eq!(
            server.get("/models").await.body,
            fixture("listModels/response.json")
        );
    }

    std::fs::create_dir_all(dir.join("notAnOperation")).unwrap();
    let error = openai_rest_mock::Fixtures::load(&dir)
        .unwrap_err()
        .to_string();
    assert!(error.contains("notAnOperation"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(openai_rest_mock::Fixtures::load(&dir).is_err());
}

/// What the official Python library (openai 0.27) sends, as the API took it.
#[tokio::test]
async fn embeddings_answer_base64_of_little_endian_float32s_when_asked() {
    use base64::Engine as _;
    let floats: Vec<f32> = fixture_json("createEmbedding/response.json")["data"][0]["embedding"]
        .as_array()
        .unwrap()
        .iter()
        .map(|value| value.as_f64().unwrap() as f32)
        .collect();
    for server in Server::modes(MockOptions::default()).await {
        let body = json!({"model": "text-embedding-ada-002", "input": ["a", "b"], "encoding_format": "base64"});
        let answer = server.post_json("/embeddings", body).await.json();
        for item in answer["data"].as_array().unwrap() {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(item["embedding"].as_str().unwrap())
                .unwrap();
            let decoded: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            assert_eq!(decoded, floats, "{}", server.mode);
        }
        for format in [json!("float"), json!(null)] {
            let body =
                json!({"model": "text-embedding-ada-002", "input": "a", "encoding_format": format});
            let answer = server.post_json("/embeddings", body).await.json();
            assert_eq!(
                answer["data"][0]["embedding"].as_array().unwrap().len(),
                1536
            );
        }
        let body =
            json!({"model": "text-embedding-ada-002", "input": "a", "encoding_format": "md5"});
        let answer = server.post_json("/embeddings", body).await;
        assert_eq!(answer.status, 400, "{}", server.mode);
        assert_eq!(answer.json()["error"]["param"], "encoding_format");
    }
}

#[tokio::test]
async fn null_is_an_optional_field_not_given() {
    // What the Python library's CLI sends for the options left out.
    for server in Server::modes(MockOptions::default()).await {
        let body = json!({"model": "text-davinci-003", "prompt": "p", "n": null, "max_tokens": null,
            "logprobs": null, "temperature": null, "top_p": null, "stop": null,
            "stream": null, "user": null});
        let answer = server.post_json("/completions", body).await;
        assert_eq!(answer.status, 200, "{} {}", server.mode, answer.text());
        assert_eq!(answer.json()["choices"].as_array().unwrap().len(), 1);
        let body = json!({"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "c", "name": null}],
            "user": null});
        let answer = server.post_json("/chat/completions", body).await;
        assert_eq!(answer.status, 200, "{} {}", server.mode, answer.text());
        let answer = server
            .post_json("/moderations", json!({"input": "i", "model": null}))
            .await;
        assert_eq!(answer.status, 200, "{} {}", server.mode, answer.text());
    }
}

#[tokio::test]
async fn boolean_queries_take_python_bools() {
    for server in Server::modes(MockOptions::default()).await {
        let events = "/fine-tunes/ft-AF1WoRqd3aJAHsqc9NY7iL8F/events";
        let answer = server.get(&format!("{events}?stream=False")).await;
        assert_eq!(answer.status, 200, "{}", server.mode);
        assert_eq!(answer.content_type.as_deref(), Some("application/json"));
        let answer = server.get(&format!("{events}?stream=True")).await;
        assert_eq!(
            answer.content_type.as_deref(),
            Some("text/event-stream"),
            "{}",
            server.mode
        );
        let answer = server.get(&format!("{events}?stream=yes")).await;
        assert_eq!(answer.status, 400, "{}", server.mode);
        assert_eq!(answer.json()["error"]["param"], "stream");
    }
}

#[tokio::test]
async fn runs_of_slashes_in_a_path_count_as_one() {
    for server in Server::modes(MockOptions::default()).await {
        // An Azure endpoint that ends with `/`, joined by the Python library.
        let root = server.azure.trim_end_matches("/openai");
        let url = format!("{root}//openai/deployments?{}", common::API_VERSION);
        let answer = send(common::client().get(url).header("api-key", KEY)).await;
        assert_eq!(answer.status, 200, "{} {}", server.mode, answer.text());
        assert_eq!(answer.json(), fixture_json("listDeployments/response.json"));
        let answer = server.get("//models").await;
        assert_eq!(answer.status, 200, "{}", server.mode);
    }
}
