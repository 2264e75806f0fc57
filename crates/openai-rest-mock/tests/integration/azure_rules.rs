//! Azure's own request rules (api-version 2022-12-01), where they differ
//! from OpenAI's: the mock refuses what Azure refused, in Azure's error
//! body on the authoring API, and takes what Azure took.

use crate::common::{self, KEY, Server, file, send};
use openai_rest_mock::MockOptions;
use reqwest::multipart::Form;
use serde_json::{Value, json};

fn post_azure(server: &Server, path: &str, body: Value) -> reqwest::RequestBuilder {
    server
        .azure_request("POST", path)
        .header("api-key", KEY)
        .json(&body)
}

#[tokio::test]
async fn a_fine_tune_needs_a_model_on_azure_not_on_openai() {
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        let answer = send(post_azure(
            &server,
            "/fine-tunes",
            json!({"training_file": "file-1"}),
        ))
        .await;
        let error = answer.assert_azure_error(400, Some("model"));
        assert_eq!(error["code"], "invalidPayload");
        let answer = send(post_azure(
            &server,
            "/fine-tunes",
            json!({"training_file": "file-1", "model": ""}),
        ))
        .await;
        answer.assert_azure_error(400, Some("model"));
        let answer = send(post_azure(
            &server,
            "/fine-tunes",
            json!({"training_file": "file-1", "model": "curie"}),
        ))
        .await;
        assert_eq!(answer.status, 201, "{}", answer.text());
        // OpenAI defaults the model to curie.
        let answer = server
            .post_json("/fine-tunes", json!({"training_file": "file-1"}))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text());
    }
}

#[tokio::test]
async fn an_azure_file_is_for_fine_tune_or_its_results() {
    let jsonl = common::fixture("downloadFile/response.jsonl");
    for server in Server::modes(MockOptions::default()).await {
        let upload = |purpose: &str| {
            let form = Form::new()
                .text("purpose", purpose.to_owned())
                .part("file", file(jsonl.clone(), "data.jsonl"));
            server
                .azure_request("POST", "/files")
                .header("api-key", KEY)
                .multipart(form)
        };
        let answer = send(upload("answers")).await;
        let error = answer.assert_azure_error(400, Some("purpose"));
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("fine-tune-results"),
            "{error}"
        );
        for purpose in ["fine-tune", "fine-tune-results"] {
            let answer = send(upload(purpose)).await;
            assert_eq!(answer.status, 201, "{purpose}: {}", answer.text());
            assert_eq!(answer.json()["purpose"], purpose);
        }
        // OpenAI takes any purpose.
        let form = Form::new()
            .text("purpose", "answers")
            .part("file", file(jsonl.clone(), "data.jsonl"));
        let answer = server.post_form("/files", form).await;
        assert_eq!(answer.status, 200, "{}", answer.text());
    }
}

#[tokio::test]
async fn azure_completions_take_text_prompts_and_completion_config() {
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        let completions = "/deployments/dep-1/completions";
        let answer = send(post_azure(
            &server,
            completions,
            json!({"prompt": [[1, 2, 3]], "max_tokens": 5}),
        ))
        .await;
        // Inference errors are OpenAI's body.
        answer.assert_error(400, Some("prompt[0]"));
        let answer = send(post_azure(&server, completions, json!({"prompt": []}))).await;
        answer.assert_error(400, Some("prompt"));
        // No `model` (the deployment's), Azure's `completion_config`, and a
        // `best_of` above OpenAI's 20.
        let answer = send(post_azure(
            &server,
            completions,
            json!({"prompt": ["a", "b"], "completion_config": "x", "best_of": 30}),
        ))
        .await;
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert_eq!(answer.json()["choices"].as_array().unwrap().len(), 2);
        // OpenAI has no `completion_config`.
        let answer = server
            .post_json(
                "/completions",
                json!({"model": "text-davinci-003", "completion_config": "x"}),
            )
            .await;
        answer.assert_error(400, Some("completion_config"));
    }
}

#[tokio::test]
async fn azure_embeddings_take_text_and_fields_azure_does_not_know() {
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        let embeddings = "/deployments/dep-1/embeddings";
        let answer = send(post_azure(
            &server,
            embeddings,
            json!({"input": ["a", "b"], "input_type": "query", "anything": [1]}),
        ))
        .await;
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert_eq!(answer.json()["data"].as_array().unwrap().len(), 2);
        // What the Python library sends: base64 is answered as on OpenAI.
        let answer = send(post_azure(
            &server,
            embeddings,
            json!({"input": "a", "encoding_format": "base64"}),
        ))
        .await;
        assert!(answer.json()["data"][0]["embedding"].is_string());
        for (input, param) in [
            (json!([[1, 2]]), "input[0]"),
            (json!([""]), "input[0]"),
            (json!([]), "input"),
            (json!(null), "input"),
        ] {
            let answer = send(post_azure(&server, embeddings, json!({ "input": input }))).await;
            answer.assert_error(400, Some(param));
        }
    }
}

/// `bytes` as a `data:` URL, base64.
fn data_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!("data:application/jsonl;base64,{data}")
}

fn import(server: &Server, url: &str) -> reqwest::RequestBuilder {
    let body = json!({"purpose": "fine-tune", "filename": "train.jsonl", "content_url": url});
    post_azure(server, "/files/import", body)
}

#[tokio::test]
async fn a_data_url_is_imported_and_any_other_url_fails_the_file() {
    let jsonl = common::fixture("downloadFile/response.jsonl");
    let server = Server::standalone(MockOptions::default()).await;
    let answer = send(import(&server, &data_url(&jsonl))).await;
    assert_eq!(answer.status, 201, "{}", answer.text());
    let file = answer.json();
    let id = file["id"].as_str().unwrap();
    // Checked as an upload is: no size until then.
    assert_eq!(
        (&file["filename"], &file["purpose"], &file["status"]),
        (
            &json!("train.jsonl"),
            &json!("fine-tune"),
            &json!("notRunning")
        )
    );
    assert!(file.get("bytes").is_none(), "{file}");
    let location = answer.headers["location"].to_str().unwrap();
    assert!(
        location.ends_with(&format!("/openai/files/{id}?api-version=2022-12-01")),
        "{location}"
    );
    // Its bytes, and a fine-tune can train on it.
    let content = send(
        server
            .azure_request("GET", &format!("/files/{id}/content"))
            .header("api-key", KEY),
    )
    .await;
    assert_eq!(content.body, jsonl);
    let job = json!({"training_file": id, "model": "curie"});
    assert_eq!(
        send(post_azure(&server, "/fine-tunes", job)).await.status,
        201
    );

    // A URL the mock would have to fetch, a broken data: URL, and content
    // that is not training data: created, and failed, with Azure's error.
    let percent_encoded = "data:,not%20json";
    for (url, code) in [
        (
            "https://example.blob.core.windows.net/c/train.jsonl?sig=x",
            "fileImportFailed",
        ),
        ("data:;base64,%%%", "fileImportFailed"),
        ("data:text/plain,no comma is fine", "jsonlValidationFailed"),
        (percent_encoded, "jsonlValidationFailed"),
    ] {
        let answer = send(import(&server, url)).await;
        assert_eq!(answer.status, 201, "{url}: {}", answer.text());
        let file = answer.json();
        assert_eq!(file["status"], "failed", "{url}");
        assert_eq!(file["error"]["code"], code, "{url}");
        assert!(file["error"]["message"].as_str().unwrap().len() > 10);
        let id = file["id"].as_str().unwrap();
        let retrieved = send(
            server
                .azure_request("GET", &format!("/files/{id}"))
                .header("api-key", KEY),
        )
        .await;
        assert_eq!(retrieved.json(), file);
        let job = json!({"training_file": id, "model": "curie"});
        let refused = send(post_azure(&server, "/fine-tunes", job)).await;
        refused.assert_azure_error(400, Some("training_file"));
    }
    let answer = send(import(&server, "https://example.com/x")).await;
    let message = answer.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.starts_with("openai-rest-mock does not fetch URLs, so it cannot import this https: URL; it imports only the content of a data: URL"),
        "{message}"
    );

    // The request itself is checked: all three fields, Azure's purposes.
    let answer = send(post_azure(
        &server,
        "/files/import",
        json!({"purpose": "answers", "filename": "a", "content_url": "data:,"}),
    ))
    .await;
    answer.assert_azure_error(400, Some("purpose"));
    let answer = send(post_azure(
        &server,
        "/files/import",
        json!({"purpose": "fine-tune", "filename": "a"}),
    ))
    .await;
    answer.assert_azure_error(400, Some("content_url"));
}

#[tokio::test]
async fn a_stateless_import_answers_the_fixture_with_its_name_and_purpose() {
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        let body = json!({
            "purpose": "fine-tune-results",
            "filename": "results.csv",
            "content_url": "https://example.com/results.csv",
        });
        let answer = send(post_azure(&server, "/files/import", body)).await;
        assert_eq!(answer.status, 201, "{}", answer.text());
        let mut expected = common::fixture_json("importFile/response.json");
        expected["filename"] = json!("results.csv");
        expected["purpose"] = json!("fine-tune-results");
        assert_eq!(answer.json(), expected);
        assert!(answer.headers.contains_key("location"));
    }
}

fn patch_azure(server: &Server, path: &str, body: Value) -> reqwest::RequestBuilder {
    server
        .azure_request("PATCH", path)
        .header("api-key", KEY)
        .header("content-type", "application/merge-patch+json")
        .body(body.to_string())
}

#[tokio::test]
async fn a_deployment_is_updated_by_merge_patch_once_it_is_final() {
    let server = Server::library(MockOptions::default()).await;
    let created = send(post_azure(
        &server,
        "/deployments",
        json!({"model": "curie", "scale_settings": {"scale_type": "manual", "capacity": 2}}),
    ))
    .await
    .json();
    let path = format!("/deployments/{}", created["id"].as_str().unwrap());
    // Not yet final: Azure's 409.
    let patch = json!({"scale_settings": {"capacity": 1}});
    let answer = send(patch_azure(&server, &path, patch.clone())).await;
    let error = answer.assert_azure_error(409, None);
    assert_eq!(error["code"], "unexpectedEntityState");
    assert_eq!(
        error["message"],
        "The specified deployment cannot be updated because it's in a non-terminal state."
    );

    server
        .mock()
        .advance_clock(std::time::Duration::from_secs(5));
    let answer = send(patch_azure(&server, &path, patch)).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let updated = answer.json();
    assert_eq!(
        updated["scale_settings"],
        json!({"scale_type": "manual", "capacity": 1})
    );
    assert_eq!(
        (&updated["model"], &updated["status"]),
        (&json!("curie"), &json!("notRunning"))
    );
    let retrieved = send(server.azure_request("GET", &path).header("api-key", KEY)).await;
    assert_eq!(retrieved.json(), updated);

    // Provisioned again; then `null` removes a member, the rest stays.
    server
        .mock()
        .advance_clock(std::time::Duration::from_secs(5));
    let patch =
        json!({"model": "davinci", "scale_settings": {"scale_type": "standard", "capacity": null}});
    let answer = send(patch_azure(&server, &path, patch)).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let updated = answer.json();
    assert_eq!(updated["scale_settings"], json!({"scale_type": "standard"}));
    assert_eq!(updated["model"], "davinci");
    assert_eq!(updated["owner"], created["owner"]);

    // The patch is checked, and only a deployment that exists is updated.
    server
        .mock()
        .advance_clock(std::time::Duration::from_secs(5));
    for (patch, target) in [
        (json!({"model": ""}), "model"),
        (
            json!({"scale_settings": {"capacity": 0}}),
            "scale_settings.capacity",
        ),
        (json!({"owner": "me"}), "owner"),
    ] {
        let answer = send(patch_azure(&server, &path, patch)).await;
        answer.assert_azure_error(400, Some(target));
    }
    let answer = send(patch_azure(
        &server,
        "/deployments/deployment-none",
        json!({}),
    ))
    .await;
    assert_eq!(answer.assert_azure_error(404, None)["code"], "notFound");
}

#[tokio::test]
async fn a_stateless_update_answers_the_fixture_patched() {
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        let path = "/deployments/deployment-1";
        let patch =
            json!({"model": "curie", "scale_settings": {"scale_type": "manual", "capacity": 3}});
        let answer = send(patch_azure(&server, path, patch)).await;
        assert_eq!(answer.status, 200, "{}", answer.text());
        let mut expected = common::fixture_json("updateDeployment/response.json");
        expected["id"] = json!("deployment-1");
        expected["model"] = json!("curie");
        expected["scale_settings"] = json!({"scale_type": "manual", "capacity": 3});
        assert_eq!(answer.json(), expected);
    }
}

#[tokio::test]
async fn azure_inference_says_401_and_rate_limits_as_its_gateway_did() {
    for server in Server::modes(MockOptions::default().stateless(true)).await {
        let completions = "/deployments/dep-1/completions";
        let body = json!({"prompt": "Hello"});
        let answer = send(
            post_azure(&server, completions, body.clone()).header("x-mock-fault", "rate_limit"),
        )
        .await;
        assert_eq!(answer.status, 429);
        let retry_after = answer.headers["retry-after"].to_str().unwrap().to_owned();
        assert_eq!(
            answer.json(),
            json!({"error": {
                "code": "429",
                "message": format!(
                    "Requests to the Completions_Create Operation under Azure OpenAI API version \
                     2022-12-01 have exceeded call rate limit of your current OpenAI S0 pricing \
                     tier. Please retry after {retry_after} seconds. Please go here: \
                     https://aka.ms/oai/quotaincrease if you would like to further increase the \
                     default rate limit."
                ),
            }})
        );
        let answer = send(
            post_azure(
                &server,
                "/deployments/dep-1/embeddings",
                json!({"input": "a"}),
            )
            .header("x-mock-fault", "rate_limit"),
        )
        .await;
        let message = answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            message.starts_with("Requests to the Embeddings_Create Operation"),
            "{message}"
        );

        let answer = send(
            server
                .azure_request("POST", completions)
                .header("api-key", KEY)
                .header("x-mock-fault", "invalid_api_key")
                .json(&body),
        )
        .await;
        assert_eq!(answer.status, 401);
        let error = answer.json()["error"].clone();
        assert_eq!(error["code"], "401");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .starts_with("Access denied due to invalid subscription key")
        );
        assert_eq!(error.as_object().unwrap().len(), 2, "{error}");
        // Without a key at all, the same.
        let answer = send(server.azure_request("POST", completions).json(&body)).await;
        assert_eq!(answer.status, 401);
        assert_eq!(answer.json()["error"]["code"], "401");

        // Other errors keep OpenAI's body, as Azure's inference did.
        let answer = send(
            post_azure(&server, completions, body.clone())
                .header("x-mock-fault", "insufficient_quota"),
        )
        .await;
        answer.assert_error(429, None);
        // OpenAI's own rate limit is OpenAI's.
        let answer = send(
            server
                .request("POST", "/completions")
                .bearer_auth(KEY)
                .header("x-mock-fault", "rate_limit")
                .json(&json!({"model": "text-davinci-003"})),
        )
        .await;
        assert_eq!(
            answer.assert_error(429, None)["code"],
            "rate_limit_exceeded"
        );
    }
}
