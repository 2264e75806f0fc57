//! The API key never shows in Debug or Display output, error messages or
//! logs, even when a server echoes it.

use crate::common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use futures::StreamExt;
use openai_rest_client::types::*;
use openai_rest_client::{ApiKey, AzureAuth, AzureConfig, Client, Error};
use openai_rest_mock::wiremock::{Mock, ResponseTemplate};
use openai_rest_mock::{OpenAiMock, OperationId, operation};

fn completion() -> builder::CreateCompletionRequest {
    CreateCompletionRequest::builder()
        .model("text-davinci-003")
        .prompt(Prompt::Text("x".into()))
}

fn assert_hidden(text: &str) {
    assert!(!text.contains(KEY), "the key leaked: {text}");
    assert!(
        !text.contains(&KEY[10..30]),
        "part of the key leaked: {text}"
    );
}

#[tokio::test]
async fn debug_and_display_hide_the_key() {
    let mock = OpenAiMock::start().await;
    let options = options(&mock).default_header("x-secret-header", KEY);
    assert_hidden(&format!("{options:?}"));
    let client = options.build().unwrap();
    assert_hidden(&format!("{client:?}"));
    assert!(
        format!("{client:?}").contains(&mock.base_url()),
        "Debug still shows the base URL"
    );

    let key = ApiKey::new(KEY);
    assert_eq!(format!("{key:?}"), "ApiKey([redacted])");
    assert_eq!(key.to_string(), "[redacted]");

    let azure = AzureConfig::new("https://x.openai.azure.com", AzureAuth::api_key(KEY));
    assert_hidden(&format!("{azure:?}"));
    assert_hidden(&format!("{:?}", AzureAuth::ad_token(KEY)));
}

#[tokio::test]
async fn errors_hide_a_key_the_server_echoes() {
    let echo = format!(
        r#"{{"error": {{"message": "Incorrect API key provided: {KEY}.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}}}"#
    );

    // Raw answers but the last: the mock never echoes a key, nor sends HTML.
    let mock = OpenAiMock::start().await;
    Mock::given(operation(OperationId::CreateCompletion))
        .respond_with(ResponseTemplate::new(401).set_body_raw(echo.clone(), "application/json"))
        .mount(mock.server())
        .await;
    let error = openai(&mock)
        .completions()
        .create(completion())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Authentication(_)), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("Incorrect API key provided: [redacted]."),
        "{error}"
    );
    assert_hidden(&error.to_string());
    assert_hidden(&format!("{error:?}"));

    // Not JSON: the body becomes the message.
    let mock = OpenAiMock::start().await;
    let html = format!("<html>bad key {KEY}</html>");
    Mock::given(operation(OperationId::CreateCompletion))
        .respond_with(ResponseTemplate::new(403).set_body_raw(html, "text/html"))
        .mount(mock.server())
        .await;
    let error = openai(&mock)
        .completions()
        .create(completion())
        .await
        .unwrap_err();
    assert_hidden(&format!("{error} {error:?}"));

    // A success that is not the documented shape keeps its body, hidden.
    let mock = OpenAiMock::start().await;
    let echoed = format!("[\"{KEY}\"]");
    Mock::given(operation(OperationId::CreateCompletion))
        .respond_with(ResponseTemplate::new(200).set_body_raw(echoed, "application/json"))
        .mount(mock.server())
        .await;
    let error = openai(&mock)
        .completions()
        .create(completion())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidResponse { .. }), "{error:?}");
    assert_hidden(&format!("{error} {error:?}"));

    // An error event in a stream.
    let mock = OpenAiMock::start().await;
    let event = format!("data: {}\n\ndata: [DONE]\n\n", echo.replace('\n', ""));
    mock.set_fixture(OperationId::CreateCompletion, "stream.sse", event)
        .unwrap();
    let mut stream = openai(&mock)
        .completions()
        .create_stream(completion())
        .await
        .unwrap();
    let error = stream.next().await.unwrap().unwrap_err();
    assert!(matches!(error, Error::StreamEvent(_)), "{error:?}");
    assert_hidden(&format!("{error} {error:?}"));
}

#[test]
fn configuration_errors_do_not_echo_the_key() {
    let bad = format!("{KEY}\n");
    let error = Client::builder().api_key(bad.as_str()).build().unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    assert_hidden(&format!("{error} {error:?}"));
    let error = Client::builder()
        .azure(AzureConfig::new(
            "http://127.0.0.1:1",
            AzureAuth::api_key(bad.as_str()),
        ))
        .build()
        .unwrap_err();
    assert_hidden(&format!("{error} {error:?}"));
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn retries_are_logged_without_the_key() {
    // Read before logging starts: only the client's calls are logged.
    let echo = String::from_utf8(error_body("server_error").await)
        .unwrap()
        .replace("Sorry about that!", KEY);
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mock = OpenAiMock::start().await;
    // Raw: the mock's 500 does not echo the key.
    Mock::given(operation(OperationId::CreateCompletion))
        .respond_with(ResponseTemplate::new(500).set_body_raw(echo, "application/json"))
        .mount(mock.server())
        .await;
    let error = openai(&mock)
        .completions()
        .create(completion())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Server(_)));

    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert_eq!(log.matches("retrying").count(), 2, "{log}");
    assert!(log.contains("operation=\"createCompletion\""), "{log}");
    assert!(log.contains("retry=1") && log.contains("retry=2"), "{log}");
    assert_hidden(&log);
}
