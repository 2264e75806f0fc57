//! The API key never shows in Debug or Display output, error messages or
//! logs, even when a server echoes it.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use futures::StreamExt;
use openai_rest_client::types::*;
use openai_rest_client::{ApiKey, AzureAuth, AzureConfig, Client, Error};
use wiremock::MockServer;

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
    let server = MockServer::start().await;
    let options = options(&server).default_header("x-secret-header", KEY);
    assert_hidden(&format!("{options:?}"));
    let client = options.build().unwrap();
    assert_hidden(&format!("{client:?}"));
    assert!(
        format!("{client:?}").contains(&server.uri()),
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

    let server = MockServer::start().await;
    answer(
        &server,
        "POST",
        "/v1/completions",
        401,
        echo.clone().into_bytes(),
        "application/json",
    )
    .await;
    let error = openai(&server)
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
    let server = MockServer::start().await;
    let html = format!("<html>bad key {KEY}</html>");
    answer(
        &server,
        "POST",
        "/v1/completions",
        403,
        html.into_bytes(),
        "text/html",
    )
    .await;
    let error = openai(&server)
        .completions()
        .create(completion())
        .await
        .unwrap_err();
    assert_hidden(&format!("{error} {error:?}"));

    // A success that is not the documented shape keeps its body, hidden.
    let server = MockServer::start().await;
    answer(
        &server,
        "POST",
        "/v1/completions",
        200,
        format!("[\"{KEY}\"]").into_bytes(),
        "application/json",
    )
    .await;
    let error = openai(&server)
        .completions()
        .create(completion())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidResponse { .. }), "{error:?}");
    assert_hidden(&format!("{error} {error:?}"));

    // An error event in a stream.
    let server = MockServer::start().await;
    let event = format!("data: {}\n\n", echo.replace('\n', ""));
    answer(
        &server,
        "POST",
        "/v1/completions",
        200,
        event.into_bytes(),
        "text/event-stream",
    )
    .await;
    let mut stream = openai(&server)
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
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    let echo = String::from_utf8(fixture("errors", "500_server_error.json"))
        .unwrap()
        .replace("Sorry about that!", KEY);
    answer(
        &server,
        "POST",
        "/v1/completions",
        500,
        echo.into_bytes(),
        "application/json",
    )
    .await;
    let error = openai(&server)
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
