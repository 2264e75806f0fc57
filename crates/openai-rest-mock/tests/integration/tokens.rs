//! The mock counts tokens as the API did: `usage` from the model's
//! encoding, the API's 400 over a model's context window, completions cut
//! by `max_tokens` and `stop`, logprobs, and the rate limits in requests
//! and tokens per minute.

use crate::common;

use std::time::Duration;

use common::{KEY, Server, send};
use openai_rest_mock::MockOptions;
use serde_json::{Value, json};

const WORD: &str = "antidisestablishmentarianism";

fn error(answer: &common::Answer) -> Value {
    answer.json()["error"].clone()
}

#[tokio::test]
async fn usage_counts_the_prompt_with_the_models_encoding() {
    for stateless in [false, true] {
        for server in Server::modes(MockOptions::default().stateless(stateless)).await {
            let mode = server.mode;
            let completion = server
                .post_json(
                    "/completions",
                    json!({"model": "text-davinci-003", "prompt": WORD}),
                )
                .await
                .json();
            assert_eq!(completion["usage"]["prompt_tokens"], 5, "{mode}");
            let embedding = server
                .post_json(
                    "/embeddings",
                    json!({"model": "text-embedding-ada-002", "input": WORD}),
                )
                .await
                .json();
            assert_eq!(
                embedding["usage"],
                json!({"prompt_tokens": 6, "total_tokens": 6}),
                "{mode}"
            );
            // The cookbook's formula: 4 a message + role + content + 2.
            let chat = json!({"model": "gpt-3.5-turbo", "messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": WORD},
            ]});
            let chat = server.post_json("/chat/completions", chat).await.json();
            assert_eq!(
                chat["usage"]["prompt_tokens"],
                4 + 1 + 6 + 4 + 1 + 6 + 2,
                "{mode}"
            );
            let usage = &completion["usage"];
            assert_eq!(
                usage["total_tokens"].as_u64(),
                Some(
                    usage["prompt_tokens"].as_u64().unwrap()
                        + usage["completion_tokens"].as_u64().unwrap()
                ),
                "{mode}"
            );
        }
    }
}

#[tokio::test]
async fn over_the_window_is_the_apis_400_and_just_under_is_answered() {
    let server = Server::standalone(MockOptions::default()).await;
    // Each " word" is one token in p50k: 4,000 of them, and 97 for the
    // completion, fill text-davinci-003's 4,097.
    let prompt = " word".repeat(4000);
    let fits = server
        .post_json(
            "/completions",
            json!({"model": "text-davinci-003", "prompt": prompt, "max_tokens": 97}),
        )
        .await;
    assert_eq!(fits.status, 200, "{}", fits.text());
    let over = server
        .post_json(
            "/completions",
            json!({"model": "text-davinci-003", "prompt": prompt, "max_tokens": 98}),
        )
        .await;
    assert_eq!(over.status, 400);
    assert_eq!(
        error(&over),
        json!({
            "message": "This model's maximum context length is 4097 tokens, however you requested 4098 tokens (4000 in your prompt; 98 for the completion). Please reduce your prompt; or completion length.",
            "type": "invalid_request_error",
            "param": null,
            "code": null
        })
    );
    // The default max_tokens is 16.
    let prompt = " word".repeat(4082);
    let over = server
        .post_json(
            "/completions",
            json!({"model": "text-davinci-003", "prompt": prompt}),
        )
        .await;
    assert!(
        error(&over)["message"]
            .as_str()
            .unwrap()
            .contains("(4082 in your prompt; 16 for the completion)")
    );

    // A chat: the messages alone, then with max_tokens.
    let messages = |words: usize| json!([{"role": "user", "content": " word".repeat(words)}]);
    let fits = server
        .post_json(
            "/chat/completions",
            json!({"model": "gpt-3.5-turbo", "messages": messages(4090)}),
        )
        .await;
    assert_eq!(fits.status, 200, "{}", fits.text());
    let over = server
        .post_json(
            "/chat/completions",
            json!({"model": "gpt-3.5-turbo", "messages": messages(4091)}),
        )
        .await;
    assert_eq!(over.status, 400);
    assert_eq!(
        error(&over),
        json!({
            "message": "This model's maximum context length is 4097 tokens. However, your messages resulted in 4098 tokens. Please reduce the length of the messages.",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded"
        })
    );
    let over = server
        .post_json(
            "/chat/completions",
            json!({"model": "gpt-3.5-turbo", "messages": messages(4000), "max_tokens": 100}),
        )
        .await;
    assert_eq!(
        error(&over)["message"],
        "This model's maximum context length is 4097 tokens. However, you requested 4107 tokens (4007 in the messages, 100 in the completion). Please reduce the length of the messages or completion."
    );

    // An embedding: the prompt alone.
    let over = server
        .post_json(
            "/embeddings",
            json!({"model": "text-embedding-ada-002", "input": " word".repeat(8192)}),
        )
        .await;
    assert!(
        error(&over)["message"].as_str().unwrap().contains(
            "however you requested 8192 tokens (8192 in your prompt; 0 for the completion)"
        ),
        "{}",
        over.text()
    );
    let fits = server
        .post_json(
            "/embeddings",
            json!({"model": "text-embedding-ada-002", "input": " word".repeat(8191)}),
        )
        .await;
    assert_eq!(fits.status, 200);
}

#[tokio::test]
async fn max_tokens_stop_and_logprobs_shape_the_completion_the_same_way_each_time() {
    for server in Server::modes(MockOptions::default()).await {
        let mode = server.mode;
        let ask = |body: Value| server.post_json("/completions", body);
        let cut = ask(
            json!({"model": "text-davinci-003", "prompt": "Say this is a test", "max_tokens": 3}),
        )
        .await
        .json();
        assert_eq!(cut["usage"]["completion_tokens"], 3, "{mode}");
        assert_eq!(cut["choices"][0]["finish_reason"], "length", "{mode}");
        assert_eq!(cut["choices"][0]["text"], "\n\nThis", "{mode}");

        let body = json!({"model": "text-davinci-003", "prompt": "Say this is a test", "logprobs": 5, "n": 2});
        let first = ask(body.clone()).await.json();
        let again = ask(body).await.json();
        assert_eq!(
            first["choices"], again["choices"],
            "{mode}: the same request, the same answer"
        );
        let choice = &first["choices"][0];
        let logprobs = &choice["logprobs"];
        let tokens = logprobs["tokens"].as_array().unwrap();
        assert_eq!(
            tokens.len() as u64,
            first["usage"]["completion_tokens"].as_u64().unwrap() / 2
        );
        let text: String = tokens.iter().map(|t| t.as_str().unwrap()).collect();
        assert_eq!(text, choice["text"].as_str().unwrap(), "{mode}");
        for (i, top) in logprobs["top_logprobs"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let top = top.as_object().unwrap();
            assert_eq!(top.len(), 5, "{mode}");
            assert_eq!(
                top[tokens[i].as_str().unwrap()],
                logprobs["token_logprobs"][i],
                "{mode}"
            );
        }
        // Offsets count from the prompt's end, each token after the last.
        let offsets: Vec<u64> = logprobs["text_offset"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_u64().unwrap())
            .collect();
        assert_eq!(offsets[0], "Say this is a test".len() as u64, "{mode}");
        assert_eq!(offsets[1], offsets[0] + 1, "{mode}");
        // The other choice has other log probabilities.
        assert_ne!(
            first["choices"][1]["logprobs"]["token_logprobs"], logprobs["token_logprobs"],
            "{mode}"
        );

        let stopped = ask(json!({"model": "text-davinci-003", "prompt": "x", "stop": [" indeed"]}))
            .await
            .json();
        assert_eq!(stopped["choices"][0]["text"], "\n\nThis is", "{mode}");
        assert_eq!(stopped["choices"][0]["finish_reason"], "stop", "{mode}");

        let echoed = ask(json!({"model": "text-davinci-003", "prompt": "Hi", "echo": true, "logprobs": 1, "max_tokens": 2})).await.json();
        let logprobs = &echoed["choices"][0]["logprobs"];
        assert_eq!(echoed["choices"][0]["text"], "Hi\n\n", "{mode}");
        assert_eq!(logprobs["tokens"][0], "Hi", "{mode}");
        assert_eq!(logprobs["token_logprobs"][0], Value::Null, "{mode}");
        assert_eq!(logprobs["text_offset"], json!([0, 2, 3]), "{mode}");

        // A stream splits the same text into the same tokens.
        let streamed = ask(json!({"model": "text-davinci-003", "prompt": "Say this is a test", "max_tokens": 5, "stream": true})).await;
        let events = common::events(&streamed.text());
        let texts: Vec<&str> = events
            .iter()
            .map(|e| e["choices"][0]["text"].as_str().unwrap())
            .collect();
        assert_eq!(texts, ["\n", "\n", "This", " is", " indeed"], "{mode}");
        assert_eq!(
            events.last().unwrap()["choices"][0]["finish_reason"],
            "length",
            "{mode}"
        );
    }
}

fn completion(prompt: &str, max_tokens: u32) -> Value {
    json!({"model": "text-davinci-003", "prompt": prompt, "max_tokens": max_tokens})
}

#[tokio::test]
async fn rate_limits_answer_the_apis_429_per_organization_and_model() {
    // A stopped clock: the minute never passes unless advanced.
    let options = MockOptions::default()
        .clock_speed(0.0)
        .requests_per_minute(3);
    for server in Server::modes(options).await {
        let mode = server.mode;
        let ask = || {
            send(
                server
                    .request("POST", "/completions")
                    .bearer_auth(KEY)
                    .header("OpenAI-Organization", "org-limited")
                    .json(&completion("x", 1)),
            )
        };
        for _ in 0..3 {
            assert_eq!(ask().await.status, 200, "{mode}");
        }
        let refused = ask().await;
        assert_eq!(refused.status, 429, "{mode}");
        assert_eq!(
            error(&refused),
            json!({
                "message": "Rate limit reached for default-text-davinci-003 in organization org-limited on requests per min. Limit: 3.000000 / min. Current: 4.000000 / min.",
                "type": "requests",
                "param": null,
                "code": "rate_limit_exceeded"
            }),
            "{mode}"
        );
        assert_eq!(refused.headers["retry-after"], "60", "{mode}");
        // Another model, another organization: their own minutes.
        let other_model = server
            .post_json(
                "/completions",
                json!({"model": "davinci", "prompt": "x", "max_tokens": 1}),
            )
            .await;
        assert_eq!(other_model.status, 200, "{mode}");
        let other_org = server.post_json("/completions", completion("x", 1)).await;
        assert_eq!(other_org.status, 200, "{mode}");
        if let Some(mock) = server.mock.as_ref() {
            mock.advance_clock(Duration::from_secs(60));
            assert_eq!(ask().await.status, 200, "{mode}: a minute later");
        }
    }
}

#[tokio::test]
async fn a_token_limit_counts_the_prompt_and_max_tokens() {
    let server = Server::standalone(
        MockOptions::default()
            .clock_speed(0.0)
            .tokens_per_minute(1000),
    )
    .await;
    // 1 prompt token and 600 for the completion: 601, then 1202 > 1000.
    assert_eq!(
        server
            .post_json("/completions", completion("x", 600))
            .await
            .status,
        200
    );
    let refused = server.post_json("/completions", completion("x", 600)).await;
    assert_eq!(refused.status, 429);
    assert_eq!(error(&refused)["type"], "tokens");
    assert!(
        error(&refused)["message"]
            .as_str()
            .unwrap()
            .ends_with("on tokens per min. Limit: 1000.000000 / min. Current: 1202.000000 / min."),
        "{}",
        refused.text()
    );
    // What fits still does.
    assert_eq!(
        server
            .post_json("/completions", completion("x", 300))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn no_limits_unless_asked_and_the_admin_api_sets_them() {
    let server = Server::standalone(MockOptions::default().clock_speed(0.0)).await;
    let complete = || async {
        server
            .post_json("/completions", completion("x", 1))
            .await
            .status
    };
    let set_limits = |query: &'static str| {
        let admin = format!(
            "{}/__mock/rate_limits{query}",
            server.openai.trim_end_matches("/v1")
        );
        async move { send(common::client().post(admin)).await.status }
    };
    for _ in 0..50 {
        assert_eq!(complete().await, 200);
    }
    assert_eq!(set_limits("?rpm=1").await, 204);
    // Counted from when the limits were set (off, nothing is counted).
    assert_eq!(complete().await, 200);
    assert_eq!(complete().await, 429);
    assert_eq!(set_limits("").await, 204);
    assert_eq!(complete().await, 200);
}

#[tokio::test]
async fn azures_inference_answers_its_gateways_429() {
    let server = Server::standalone(
        MockOptions::default()
            .clock_speed(60.0)
            .requests_per_minute(1),
    )
    .await;
    // A deployment of text-davinci-003, ready at once at this speed... after
    // its 3 s of mock time.
    let created = send(
        server
            .azure_request("POST", "/deployments")
            .header("api-key", KEY)
            .json(
                &json!({"model": "text-davinci-003", "scale_settings": {"scale_type": "standard"}}),
            ),
    )
    .await
    .json();
    let id = created["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ask = || {
        send(
            server
                .azure_request("POST", &format!("/deployments/{id}/completions"))
                .header("api-key", KEY)
                .json(&json!({"prompt": "x", "max_tokens": 1})),
        )
    };
    assert_eq!(ask().await.status, 200);
    let refused = ask().await;
    assert_eq!(refused.status, 429);
    assert_eq!(error(&refused)["code"], "429", "{}", refused.text());
    let seconds = refused.headers["retry-after"].to_str().unwrap().to_owned();
    assert!(
        error(&refused)["message"]
            .as_str()
            .unwrap()
            .contains(&format!("Please retry after {seconds} seconds"))
    );
}
