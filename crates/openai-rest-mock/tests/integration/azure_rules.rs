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
