//! The mock keeps state: files and models live through their lifecycle, in
//! both transports, and every unknown id gets the API's error body.

use crate::common;

use common::{KEY, Server, file, fixture, fixture_json};
use openai_rest_mock::MockOptions;
use reqwest::multipart::Form;
use serde_json::{Value, json};

const LINE: &[u8] = b"{\"prompt\": \"a\", \"completion\": \"b\"}\n";

const DOCUMENTED_FILE: &str = "file-XjGxS3KTG0uNmNOK362iJua3";

fn upload(bytes: &[u8], name: &str) -> Form {
    Form::new()
        .text("purpose", "fine-tune")
        .part("file", file(bytes.to_vec(), name))
}

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_upload_lives_until_deleted_then_is_404_everywhere() {
    for server in Server::modes(MockOptions::default()).await {
        let mode = server.mode;
        let content = b"{\"prompt\": \"a\", \"completion\": \"b\"}\n";
        let created = server
            .post_form("/files", upload(content, "train.jsonl"))
            .await;
        assert_eq!(created.status, 200, "{mode}: {}", created.text());
        let created = created.json();
        let id = created["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("file-") && id.len() == 29, "{mode}: {id}");
        assert_eq!(created["bytes"], content.len(), "{mode}");
        assert_eq!(created["filename"], "train.jsonl", "{mode}");
        assert_eq!(created["purpose"], "fine-tune", "{mode}");

        // Listed after the documented files, and described the same way.
        let listed = server.get("/files").await.json();
        let listed_ids = ids(&listed);
        assert_eq!(listed_ids.last(), Some(&id), "{mode}");
        assert!(listed_ids.contains(&DOCUMENTED_FILE.to_owned()), "{mode}");
        assert_eq!(listed["data"].as_array().unwrap().last(), Some(&created));
        assert_eq!(server.get(&format!("/files/{id}")).await.json(), created);

        let downloaded = server.get(&format!("/files/{id}/content")).await;
        assert_eq!(downloaded.status, 200, "{mode}");
        assert_eq!(downloaded.body, content, "{mode}");

        let deleted = common::send(
            server
                .request("DELETE", &format!("/files/{id}"))
                .bearer_auth(KEY),
        )
        .await;
        assert_eq!(
            deleted.json(),
            json!({"id": id, "object": "file", "deleted": true}),
            "{mode}"
        );
        assert!(!ids(&server.get("/files").await.json()).contains(&id));

        let message = format!("No such File object: {id}");
        for answer in [
            server.get(&format!("/files/{id}")).await,
            server.get(&format!("/files/{id}/content")).await,
            common::send(
                server
                    .request("DELETE", &format!("/files/{id}"))
                    .bearer_auth(KEY),
            )
            .await,
        ] {
            let error = answer.assert_error(404, Some("id"));
            assert_eq!(error["message"], message, "{mode}");
            assert_eq!(error["type"], "invalid_request_error", "{mode}");
        }
    }
}

#[tokio::test]
async fn the_documented_file_answers_its_documented_object_and_content() {
    for server in Server::modes(MockOptions::default()).await {
        let path = format!("/files/{DOCUMENTED_FILE}");
        assert_eq!(
            server.get(&path).await.json(),
            fixture_json("retrieveFile/response.json")
        );
        assert_eq!(
            server.get(&format!("{path}/content")).await.body,
            fixture("downloadFile/response.jsonl")
        );
        let error = server
            .get("/files/file-nothing")
            .await
            .assert_error(404, Some("id"));
        assert_eq!(error["message"], "No such File object: file-nothing");
    }
}

#[tokio::test]
async fn models_are_the_known_ones_and_unknown_ids_are_model_not_found() {
    for server in Server::modes(MockOptions::default()).await {
        let mode = server.mode;
        let listed = ids(&server.get("/models").await.json());
        for known in [
            "text-davinci-003",
            "gpt-3.5-turbo",
            "gpt-4",
            "text-embedding-ada-002",
            "whisper-1",
            "text-moderation-latest",
            "davinci",
            "model-id-0",
            "curie:ft-acmeco-2021-03-03-21-44-20",
        ] {
            assert!(listed.iter().any(|id| id == known), "{mode}: {known}");
        }
        assert_eq!(
            server.get("/models/text-davinci-003").await.json(),
            fixture_json("retrieveModel/response.json")
        );
        // A base model is its own root; a fine-tuned one has its base as
        // root and parent.
        let lineage = |model: Value| (model["root"].clone(), model["parent"].clone());
        let base = server.get("/models/gpt-4").await.json();
        assert_eq!(lineage(base), (json!("gpt-4"), Value::Null), "{mode}");
        let tuned = server
            .get("/models/curie:ft-acmeco-2021-03-03-21-44-20")
            .await
            .json();
        assert_eq!(lineage(tuned), (json!("curie"), json!("curie")), "{mode}");

        let error = server
            .get("/models/no-such-model")
            .await
            .assert_error(404, Some("model"));
        assert_eq!(error["code"], "model_not_found", "{mode}");
        assert_eq!(error["message"], "The model `no-such-model` does not exist");

        for (path, body) in [
            ("/completions", json!({"model": "nope-1", "prompt": "x"})),
            (
                "/chat/completions",
                json!({"model": "nope-1", "messages": [{"role": "user", "content": "x"}]}),
            ),
            ("/edits", json!({"model": "nope-1", "instruction": "x"})),
            ("/embeddings", json!({"model": "nope-1", "input": "x"})),
        ] {
            let error = server.post_json(path, body).await.assert_error(404, None);
            assert_eq!(error["code"], "model_not_found", "{mode} {path}");
            assert_eq!(error["message"], "The model `nope-1` does not exist");
        }
        let completion = server
            .post_json(
                "/completions",
                json!({"model": "text-davinci-003", "prompt": "x"}),
            )
            .await;
        assert_eq!(completion.status, 200, "{mode}");
    }
}

#[tokio::test]
async fn a_base_model_cannot_be_deleted_and_a_fine_tuned_one_can_once() {
    for server in Server::modes(MockOptions::default()).await {
        let mode = server.mode;
        let delete = |id: &str| {
            common::send(
                server
                    .request("DELETE", &format!("/models/{id}"))
                    .bearer_auth(KEY),
            )
        };
        let refused = delete("curie").await.assert_error(403, Some("model"));
        assert!(refused["message"].as_str().unwrap().contains("curie"));
        assert_eq!(server.get("/models/curie").await.status, 200, "{mode}");

        let documented = "curie:ft-acmeco-2021-03-03-21-44-20";
        assert_eq!(
            delete(documented).await.json(),
            fixture_json("deleteModel/response.json"),
            "{mode}"
        );
        delete(documented).await.assert_error(404, Some("model"));
        server
            .get(&format!("/models/{documented}"))
            .await
            .assert_error(404, Some("model"));
    }
}

#[tokio::test]
async fn stateless_mode_replays_the_fixtures_for_any_id() {
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        let mode = server.mode;
        let created = server.post_form("/files", upload(LINE, "a.jsonl")).await;
        assert_eq!(created.status, 200, "{mode}");
        assert_eq!(
            server.get("/files").await.json(),
            fixture_json("listFiles/response.json"),
            "{mode}"
        );
        assert_eq!(
            server.get("/files/file-anything").await.status,
            200,
            "{mode}"
        );
        assert_eq!(
            server.get("/models/no-such-model").await.status,
            200,
            "{mode}"
        );
    }
}

#[tokio::test]
async fn each_mock_owns_its_state() {
    let first = Server::library(MockOptions::default()).await;
    let second = Server::library(MockOptions::default()).await;
    let created = first
        .post_form("/files", upload(LINE, "a.jsonl"))
        .await
        .json();
    let id = created["id"].as_str().unwrap();
    assert_eq!(first.get(&format!("/files/{id}")).await.status, 200);
    second
        .get(&format!("/files/{id}"))
        .await
        .assert_error(404, Some("id"));
}

/// The mock with its clock stopped: only `advance_clock` moves it.
async fn stopped_clock() -> Server {
    Server::library(MockOptions::default().clock_speed(0.0)).await
}

async fn upload_training_file(server: &Server) -> String {
    let created = server
        .post_form("/files", upload(LINE, "train.jsonl"))
        .await;
    assert_eq!(created.status, 200, "{}", created.text());
    created.json()["id"].as_str().unwrap().to_owned()
}

fn messages(events: &Value) -> Vec<String> {
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["message"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_fine_tune_runs_through_its_states_with_the_clock_and_makes_a_usable_model() {
    let server = stopped_clock().await;
    let training = upload_training_file(&server).await;
    let job = server
        .post_json(
            "/fine-tunes",
            json!({"training_file": training, "model": "curie", "n_epochs": 2}),
        )
        .await;
    assert_eq!(job.status, 200, "{}", job.text());
    let job = job.json();
    let id = job["id"].as_str().unwrap().to_owned();
    assert_eq!(job["status"], "pending");
    assert_eq!(job["fine_tuned_model"], Value::Null);
    assert_eq!(job["training_files"][0]["id"], training.as_str());
    assert_eq!(job["hyperparams"]["n_epochs"], 2);
    assert_eq!(
        messages(&job["events"]),
        [
            format!("Created fine-tune: {id}"),
            "Job enqueued. Waiting for jobs ahead to complete. Queue number: 0.".to_owned()
        ]
    );
    let path = format!("/fine-tunes/{id}");

    server
        .mock()
        .advance_clock(std::time::Duration::from_secs(1));
    let running = server.get(&path).await.json();
    assert_eq!(running["status"], "running");
    assert_eq!(messages(&running["events"]).last().unwrap(), "Job started.");

    server
        .mock()
        .advance_clock(std::time::Duration::from_secs(9));
    let done = server.get(&path).await.json();
    assert_eq!(done["status"], "succeeded");
    let model = done["fine_tuned_model"].as_str().unwrap().to_owned();
    assert!(model.starts_with("curie:ft-acmeco-20"), "{model}");
    let result = done["result_files"][0]["id"].as_str().unwrap().to_owned();
    let all = messages(&done["events"]);
    assert_eq!(
        all[2..],
        [
            "Job started.".to_owned(),
            "Completed epoch 1/2".to_owned(),
            "Completed epoch 2/2".to_owned(),
            format!("Uploaded model: {model}"),
            format!("Uploaded result file: {result}"),
            "Fine-tune succeeded".to_owned(),
        ]
    );
    assert!(done["updated_at"].as_u64() > job["updated_at"].as_u64());
    // The events endpoint has the same events; a stream of a finished job
    // sends them all, then [DONE].
    let events = server.get(&format!("{path}/events")).await.json();
    assert_eq!(events["data"], done["events"]);
    let stream = server.get(&format!("{path}/events?stream=true")).await;
    assert_eq!(stream.content_type.as_deref(), Some("text/event-stream"));
    assert_eq!(Value::Array(common::events(&stream.text())), done["events"]);

    // The results file is a real file.
    let results = server.get(&format!("/files/{result}")).await.json();
    assert_eq!(results["purpose"], "fine-tune-results");
    let csv = server.get(&format!("/files/{result}/content")).await;
    assert!(csv.text().starts_with("step,"), "{}", csv.text());
    assert_eq!(results["bytes"], csv.body.len());

    // The model is listed, answers, completes, and can be deleted once.
    assert!(ids(&server.get("/models").await.json()).contains(&model));
    assert_eq!(
        server.get(&format!("/models/{model}")).await.json()["id"],
        model.as_str()
    );
    let completion = server
        .post_json("/completions", json!({"model": model, "prompt": "x"}))
        .await;
    assert_eq!(completion.status, 200, "{}", completion.text());
    assert_eq!(completion.json()["model"], model.as_str());
    let delete = || {
        common::send(
            server
                .request("DELETE", &format!("/models/{model}"))
                .bearer_auth(KEY),
        )
    };
    assert_eq!(delete().await.json()["deleted"], true);
    delete().await.assert_error(404, Some("model"));
    let error = server
        .post_json("/completions", json!({"model": model, "prompt": "x"}))
        .await
        .assert_error(404, None);
    assert_eq!(error["code"], "model_not_found");
}

#[tokio::test]
async fn a_pending_or_running_fine_tune_can_be_cancelled_once() {
    let server = stopped_clock().await;
    let training = upload_training_file(&server).await;
    for advance in [0, 2] {
        let job = server
            .post_json("/fine-tunes", json!({"training_file": training}))
            .await
            .json();
        let id = job["id"].as_str().unwrap();
        server
            .mock()
            .advance_clock(std::time::Duration::from_secs(advance));
        let cancel = format!("/fine-tunes/{id}/cancel");
        let cancelled = server.post_json(&cancel, json!({})).await;
        assert_eq!(cancelled.status, 200, "{}", cancelled.text());
        let cancelled = cancelled.json();
        assert_eq!(cancelled["status"], "cancelled");
        assert_eq!(
            messages(&cancelled["events"]).last().unwrap(),
            "Fine-tune cancelled"
        );
        // It stays cancelled, makes no model, and cannot be cancelled again.
        server
            .mock()
            .advance_clock(std::time::Duration::from_secs(60));
        let later = server.get(&format!("/fine-tunes/{id}")).await.json();
        assert_eq!(later, cancelled);
        let error = server
            .post_json(&cancel, json!({}))
            .await
            .assert_error(400, None);
        assert!(
            error["message"].as_str().unwrap().contains("cancelled"),
            "{error}"
        );
    }
    // The documented job has succeeded: the API refuses to cancel it.
    server
        .post_json("/fine-tunes/ft-AF1WoRqd3aJAHsqc9NY7iL8F/cancel", json!({}))
        .await
        .assert_error(400, None);
}

#[tokio::test]
async fn fine_tunes_refuse_missing_or_unfit_files_models_and_ids() {
    for server in Server::modes(MockOptions::default()).await {
        let mode = server.mode;
        let training = upload_training_file(&server).await;
        let cases = [
            (
                json!({"training_file": "file-missing"}),
                "training_file",
                "No such File object: file-missing",
            ),
            (
                json!({"training_file": training, "validation_file": "file-missing"}),
                "validation_file",
                "No such File object: file-missing",
            ),
            // A documented file uploaded for search.
            (
                json!({"training_file": "file-ccdDZrC3iZVNiQVeEA6Z66wf"}),
                "training_file",
                "File file-ccdDZrC3iZVNiQVeEA6Z66wf has purpose 'search'; a fine-tune needs a file uploaded with purpose 'fine-tune'",
            ),
            (
                json!({"training_file": training, "model": "gpt-4"}),
                "model",
                "Invalid base model: gpt-4 (model must be one of ada, babbage, curie, davinci) or a fine-tuned model created by your organization",
            ),
        ];
        for (body, param, message) in cases {
            let error = server
                .post_json("/fine-tunes", body)
                .await
                .assert_error(400, Some(param));
            assert_eq!(error["message"], message, "{mode}");
        }
        for path in [
            "/fine-tunes/ft-nothing",
            "/fine-tunes/ft-nothing/events",
            "/fine-tunes/ft-nothing/events?stream=true",
        ] {
            let error = server.get(path).await.assert_error(404, Some("id"));
            assert_eq!(
                error["message"], "No such FineTune object: ft-nothing",
                "{mode} {path}"
            );
        }
        server
            .post_json("/fine-tunes/ft-nothing/cancel", json!({}))
            .await
            .assert_error(404, Some("id"));
    }
}

/// The docs' jobs: the documented one answers its documented object and
/// events, every job shows its events (the list leaves them out), and every
/// file a job names exists with content of its size.
#[tokio::test]
async fn the_documented_fine_tunes_are_whole_and_consistent() {
    for server in Server::modes(MockOptions::default()).await {
        let mode = server.mode;
        let path = "/fine-tunes/ft-AF1WoRqd3aJAHsqc9NY7iL8F";
        assert_eq!(
            server.get(path).await.json(),
            fixture_json("retrieveFineTune/response.json")
        );
        assert_eq!(
            server.get(&format!("{path}/events")).await.json(),
            fixture_json("listFineTuneEvents/response.json")
        );
        let stream = server.get(&format!("{path}/events?stream=true")).await;
        assert_eq!(
            common::events(&stream.text()),
            common::events(&String::from_utf8(fixture("listFineTuneEvents/stream.sse")).unwrap())
        );

        let listed = server.get("/fine-tunes").await.json();
        assert!(
            listed["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|job| job.get("events").is_none()),
            "{mode}: the list leaves events out, as the docs' list does"
        );
        for job in listed["data"].as_array().unwrap() {
            let job = server
                .get(&format!("/fine-tunes/{}", job["id"].as_str().unwrap()))
                .await
                .json();
            assert!(
                !job["events"].as_array().unwrap().is_empty(),
                "{mode}: {job}"
            );
            for key in ["training_files", "validation_files", "result_files"] {
                for file in job[key].as_array().unwrap() {
                    let id = file["id"].as_str().unwrap();
                    let stored = server.get(&format!("/files/{id}")).await;
                    assert_eq!(stored.status, 200, "{mode}: {id}");
                    // The file's own size (Azure's job example names its
                    // training file as its results file too).
                    let content = server.get(&format!("/files/{id}/content")).await;
                    assert_eq!(
                        content.body.len() as u64,
                        stored.json()["bytes"].as_u64().unwrap(),
                        "{mode}: {id}"
                    );
                }
            }
        }

        let succeeded = server
            .get("/fine-tunes/ft-Wk7tHcQ2mZr9LbYxN4aPvE6s")
            .await
            .json();
        assert_eq!(succeeded["status"], "succeeded", "{mode}");
        let model = succeeded["fine_tuned_model"].as_str().unwrap();
        let events = messages(&succeeded["events"]);
        assert_eq!(events.last().unwrap(), "Fine-tune succeeded", "{mode}");
        assert!(
            events.iter().any(|m| m.contains(model)),
            "{mode}: {events:?}"
        );
        assert_eq!(
            server.get(&format!("/models/{model}")).await.status,
            200,
            "{mode}"
        );

        // The training file every documented job names is a training file:
        // the docs' create example starts a job from it.
        let content = server
            .get("/files/file-XGinujblHPwGLSztz8cPS8XY/content")
            .await;
        for line in String::from_utf8(content.body).unwrap().lines() {
            let record: Value = serde_json::from_str(line).unwrap();
            assert!(
                record["prompt"].is_string() && record["completion"].is_string(),
                "{line}"
            );
        }
        let created = server
            .post_json(
                "/fine-tunes",
                json!({"training_file": "file-XGinujblHPwGLSztz8cPS8XY"}),
            )
            .await;
        assert_eq!(created.status, 200, "{mode}: {}", created.text());
    }
}

#[tokio::test]
async fn the_standalone_server_streams_fine_tune_events_live_until_done() {
    // 100 times faster: the whole job takes about 100 ms.
    let server = Server::standalone(MockOptions::default().clock_speed(100.0)).await;
    let training = upload_training_file(&server).await;
    let job = server
        .post_json("/fine-tunes", json!({"training_file": training}))
        .await
        .json();
    let id = job["id"].as_str().unwrap();
    // Opened while the job is pending: the events after the first two can
    // only come live.
    let stream = server
        .get(&format!("/fine-tunes/{id}/events?stream=true"))
        .await;
    let events = common::events(&stream.text());
    let messages = messages(&Value::Array(events));
    assert_eq!(messages.len(), 2 + 1 + 4 + 3, "{messages:?}");
    assert_eq!(messages.last().unwrap(), "Fine-tune succeeded");
    assert_eq!(
        server.get(&format!("/fine-tunes/{id}")).await.json()["status"],
        "succeeded"
    );
}

#[tokio::test]
async fn the_library_streams_the_events_so_far_of_a_running_job_without_done() {
    let server = stopped_clock().await;
    let training = upload_training_file(&server).await;
    let job = server
        .post_json("/fine-tunes", json!({"training_file": training}))
        .await
        .json();
    let id = job["id"].as_str().unwrap();
    let stream = server
        .get(&format!("/fine-tunes/{id}/events?stream=true"))
        .await;
    let text = stream.text();
    assert!(!text.contains("[DONE]"), "{text}");
    assert_eq!(text.matches("data: ").count(), 2, "{text}");
}

#[tokio::test]
async fn an_azure_deployment_runs_then_succeeds_serves_and_is_404_once_deleted() {
    let server = stopped_clock().await;
    let azure =
        |method: &str, path: &str| server.azure_request(method, path).header("api-key", "key");
    let body = json!({"model": "text-davinci-003", "scale_settings": {"scale_type": "standard"}});
    let created = common::send(azure("POST", "/deployments").json(&body)).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let location = created.headers["location"].to_str().unwrap().to_owned();
    let created = created.json();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        location,
        format!("/openai/deployments/{id}?api-version=2022-12-01")
    );
    assert_eq!(created["status"], "notRunning");
    assert_eq!(created["model"], "text-davinci-003");
    let path = format!("/deployments/{id}");
    let completion = json!({"prompt": "x"});
    let not_found = |answer: common::Answer| {
        let error = answer.assert_error(404, None);
        assert_eq!(error["code"], "DeploymentNotFound", "{error}");
    };
    // Not usable until it has succeeded.
    not_found(common::send(azure("POST", &format!("{path}/completions")).json(&completion)).await);

    let status = |answer: common::Answer| answer.json()["status"].as_str().unwrap().to_owned();
    server
        .mock()
        .advance_clock(std::time::Duration::from_secs(1));
    assert_eq!(status(common::send(azure("GET", &path)).await), "running");
    server
        .mock()
        .advance_clock(std::time::Duration::from_secs(2));
    let succeeded = common::send(azure("GET", &path)).await.json();
    assert_eq!(succeeded["status"], "succeeded");
    assert!(succeeded["updated_at"].as_u64() > created["updated_at"].as_u64());
    let listed = common::send(azure("GET", "/deployments")).await.json();
    assert!(ids(&listed).contains(&id));
    assert!(ids(&listed).contains(&"deployment-8f3c2a1e9d7b4c6a9e5f0b2d4c6e8a1f".to_owned()));

    let answer =
        common::send(azure("POST", &format!("{path}/completions")).json(&completion)).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let embedding =
        common::send(azure("POST", &format!("{path}/embeddings")).json(&json!({"input": "x"})))
            .await;
    assert_eq!(embedding.status, 200, "{}", embedding.text());

    let deleted = common::send(azure("DELETE", &path)).await;
    assert_eq!((deleted.status, deleted.body.len()), (204, 0));
    let error = common::send(azure("GET", &path))
        .await
        .assert_azure_error(404, None);
    assert_eq!(error["code"], "notFound");
    assert_eq!(
        error["message"],
        format!("The specified deployment '{id}' does not exist.")
    );
    common::send(azure("DELETE", &path))
        .await
        .assert_azure_error(404, None);
    not_found(common::send(azure("POST", &format!("{path}/completions")).json(&completion)).await);
    not_found(
        common::send(
            azure("POST", "/deployments/no-such-deployment/embeddings")
                .json(&json!({"input": "x"})),
        )
        .await,
    );
}

#[tokio::test]
async fn azure_files_and_fine_tunes_answer_201_with_a_location_and_204_once_deleted() {
    for server in Server::modes(MockOptions::default().clock_speed(0.0)).await {
        let mode = server.mode;
        let azure =
            |method: &str, path: &str| server.azure_request(method, path).header("api-key", KEY);
        let location = |answer: &common::Answer, collection: &str| {
            let id = answer.json()["id"].as_str().unwrap().to_owned();
            assert_eq!(
                answer.headers["location"],
                format!("/openai/{collection}/{id}?api-version=2022-12-01"),
                "{mode}"
            );
            id
        };
        let uploaded =
            common::send(azure("POST", "/files").multipart(upload(LINE, "train.jsonl"))).await;
        assert_eq!(uploaded.status, 201, "{mode}: {}", uploaded.text());
        let file = location(&uploaded, "files");
        let body = json!({"training_file": file, "model": "curie"});
        let created = common::send(azure("POST", "/fine-tunes").json(&body)).await;
        assert_eq!(created.status, 201, "{mode}: {}", created.text());
        let job = location(&created, "fine-tunes");

        for path in [format!("/fine-tunes/{job}"), format!("/files/{file}")] {
            let deleted = common::send(azure("DELETE", &path)).await;
            assert_eq!(
                (deleted.status, deleted.body.len()),
                (204, 0),
                "{mode} {path}"
            );
            assert_eq!(deleted.content_type, None, "{mode} {path}");
            let error = common::send(azure("GET", &path))
                .await
                .assert_azure_error(404, Some("id"));
            assert_eq!(error["code"], "notFound", "{mode} {path}");
            common::send(azure("DELETE", &path))
                .await
                .assert_azure_error(404, Some("id"));
        }
        // The same ids are gone from OpenAI's side of the one store too.
        server
            .get(&format!("/fine-tunes/{job}"))
            .await
            .assert_error(404, Some("id"));

        // A training file that is not there: Azure's invalidPayload naming it.
        let body = json!({"training_file": "file-none", "model": "curie"});
        let error = common::send(azure("POST", "/fine-tunes").json(&body))
            .await
            .assert_azure_error(400, Some("training_file"));
        assert_eq!(error["code"], "invalidPayload", "{mode}");
        assert_eq!(error["message"], "No such File object: file-none", "{mode}");
    }
}

#[tokio::test]
async fn the_admin_api_resets_advances_and_lists_the_last_requests() {
    let server = Server::standalone(MockOptions::default().clock_speed(0.0)).await;
    let admin = |method: &str, path: &str| {
        let url = server.openai.replace("/v1", &format!("/__mock/{path}"));
        common::client().request(method.parse().unwrap(), url)
    };
    let training = upload_training_file(&server).await;
    let job = server
        .post_json("/fine-tunes", json!({"training_file": training}))
        .await
        .json();
    let id = job["id"].as_str().unwrap();

    let advanced = common::send(admin("POST", "clock/advance?seconds=10")).await;
    assert_eq!(advanced.json(), json!({"advanced_seconds": 10.0}));
    let done = server.get(&format!("/fine-tunes/{id}")).await.json();
    assert_eq!(done["status"], "succeeded");

    // The last requests, oldest first, without the admin's own.
    let last = common::send(admin("GET", "requests?limit=2")).await.json();
    let seen: Vec<(&str, &str, u64)> = last["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap(),
                r["path"].as_str().unwrap(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("POST", "/v1/fine-tunes", 200),
            ("GET", &*format!("/v1/fine-tunes/{id}"), 200)
        ]
    );

    let reset = common::send(admin("POST", "reset")).await;
    assert_eq!(reset.json(), json!({"reset": true}));
    server
        .get(&format!("/fine-tunes/{id}"))
        .await
        .assert_error(404, Some("id"));
    server
        .get(&format!("/files/{training}"))
        .await
        .assert_error(404, Some("id"));
    assert_eq!(
        server
            .get(&format!("/files/{DOCUMENTED_FILE}"))
            .await
            .json(),
        fixture_json("retrieveFile/response.json")
    );

    common::send(admin("POST", "clock/advance?seconds=-1"))
        .await
        .assert_error(400, Some("seconds"));
    common::send(admin("GET", "nothing"))
        .await
        .assert_error(404, None);
    // A stateless mock has no state to reset.
    let stateless = Server::standalone(MockOptions::default().stateless(true)).await;
    let url = stateless.openai.replace("/v1", "/__mock/reset");
    common::send(common::client().post(url))
        .await
        .assert_error(400, None);
}

/// The documented files, sorted: what the list holds when every upload is
/// deleted again.
async fn documented_files(server: &Server) -> Vec<String> {
    let mut files = ids(&server.get("/files").await.json());
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_clients_create_list_and_delete_without_losing_an_update() {
    for server in Server::modes(MockOptions::default()).await {
        let mode = server.mode;
        let server = std::sync::Arc::new(server);
        let before = documented_files(&server).await;
        let tasks: Vec<_> = (0..32)
            .map(|task| {
                let server = server.clone();
                tokio::spawn(async move {
                    let mut mine = Vec::new();
                    for i in 0..8 {
                        let name = format!("task-{task}-{i}.jsonl");
                        let created = server.post_form("/files", upload(LINE, &name)).await;
                        assert_eq!(created.status, 200, "{}", created.text());
                        let created = created.json();
                        // Whole objects only, and never one that is not there yet.
                        assert_eq!(created["filename"], name.as_str());
                        let id = created["id"].as_str().unwrap().to_owned();
                        let listed = ids(&server.get("/files").await.json());
                        assert!(mine.iter().chain([&id]).all(|id| listed.contains(id)));
                        mine.push(id);
                    }
                    for id in &mine[..4] {
                        let deleted = common::send(
                            server
                                .request("DELETE", &format!("/files/{id}"))
                                .bearer_auth(KEY),
                        )
                        .await;
                        assert_eq!(deleted.status, 200, "{}", deleted.text());
                    }
                    mine.split_off(4)
                })
            })
            .collect();
        let mut kept = Vec::new();
        for task in tasks {
            kept.extend(task.await.unwrap());
        }
        let listed = ids(&server.get("/files").await.json());
        assert_eq!(listed.len(), before.len() + 32 * 4, "{mode}");
        assert!(kept.iter().all(|id| listed.contains(id)), "{mode}");
        let unique: std::collections::HashSet<_> = listed.iter().collect();
        assert_eq!(unique.len(), listed.len(), "{mode}: an id twice");
    }
}

/// Today's SDKs page a list with `?after=<last id>` until a page is empty
/// or says `has_more: false`: the cursor moves, so the paging ends, and a
/// plain list request is answered as in 2023, without `has_more`.
#[tokio::test]
async fn lists_are_paged_by_the_cursor_todays_sdks_send() {
    for stateless in [false, true] {
        for server in Server::modes(MockOptions::default().stateless(stateless)).await {
            let mode = format!("{} stateless={stateless}", server.mode);
            if !stateless {
                for name in ["a.jsonl", "b.jsonl"] {
                    let created = server.post_form("/files", upload(LINE, name)).await;
                    assert_eq!(created.status, 200, "{mode}");
                }
            }
            let whole = server.get("/files").await.json();
            assert!(whole.get("has_more").is_none(), "{mode}: {whole}");
            let every = ids(&whole);
            assert!(every.len() >= 2, "{mode}");

            // As the SDKs page: two at a time, after the last id seen.
            let (mut paged, mut after, mut pages) = (Vec::new(), None::<String>, 0);
            loop {
                let query = after
                    .as_ref()
                    .map_or(String::new(), |id| format!("&after={id}"));
                let page = server.get(&format!("/files?limit=2{query}")).await.json();
                pages += 1;
                assert!(pages <= every.len(), "{mode}: the paging does not end");
                let ids = ids(&page);
                paged.extend(ids.iter().cloned());
                if page["has_more"] == false || ids.is_empty() {
                    break;
                }
                after = ids.last().cloned();
            }
            assert_eq!(paged, every, "{mode}");

            let past_end = server
                .get(&format!("/files?after={}", every.last().unwrap()))
                .await;
            assert_eq!(past_end.json()["data"], json!([]), "{mode}");

            let refused = server.get("/files?limit=0").await;
            assert_eq!(refused.status, 400, "{mode}");
            assert_eq!(refused.json()["error"]["param"], "limit", "{mode}");
        }
    }
}
