//! Errors end to end: every fault openai-rest-mock can inject reaches
//! openai-rest-client as the documented typed error, and the retry policy does
//! what it says, counted in the requests the mock received.

use std::time::Duration;

use openai_rest_client::types::{CreateCompletionRequest, Prompt};
use openai_rest_client::{Client, Error};
use openai_rest_mock::{Fault, MockOptions, OpenAiMock, OperationId};

/// A mock whose 429s ask to retry at once, so retries do not wait.
async fn start_mock() -> OpenAiMock {
    OpenAiMock::start_with(
        MockOptions::default()
            .stateless(true)
            .retry_after(Duration::ZERO),
    )
    .await
}

fn client(mock: &OpenAiMock, retries: u32) -> Client {
    Client::builder()
        .api_key("sk-errors-test")
        .base_url(mock.base_url())
        .max_retries(retries)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .build()
        .expect("a client")
}

fn completion() -> openai_rest_client::types::builder::CreateCompletionRequest {
    CreateCompletionRequest::builder()
        .model("text-davinci-003")
        .prompt(Prompt::Text("Say this is a test".into()))
}

async fn completions_received(mock: &OpenAiMock) -> usize {
    let requests = mock.server().received_requests().await.unwrap_or_default();
    requests
        .iter()
        .filter(|r| r.url.path() == "/v1/completions")
        .count()
}

/// The variant name of an error, for messages.
fn kind(error: &Error) -> String {
    format!("{error:?}")
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn every_fault_arrives_as_its_typed_error_without_retries() {
    type IsExpected = fn(&Error) -> bool;
    let cases: [(Fault, IsExpected, u16); 7] = [
        (
            Fault::InvalidApiKey,
            |e| matches!(e, Error::Authentication(_)),
            401,
        ),
        (
            Fault::MissingApiKey,
            |e| matches!(e, Error::Authentication(_)),
            401,
        ),
        (Fault::RateLimit, |e| matches!(e, Error::RateLimit(_)), 429),
        (
            Fault::InsufficientQuota,
            |e| matches!(e, Error::QuotaExceeded(_)),
            429,
        ),
        (
            Fault::EngineOverloaded,
            |e| matches!(e, Error::EngineOverloaded(_)),
            429,
        ),
        (Fault::ServerError, |e| matches!(e, Error::Server(_)), 500),
        (
            Fault::ServiceUnavailable,
            |e| matches!(e, Error::ServiceUnavailable(_)),
            503,
        ),
    ];
    let mock = start_mock().await;
    let client = client(&mock, 0);
    for (fault, expected, status) in cases {
        mock.fail_next(OperationId::CreateCompletion, 1, fault);
        let error = client.completions().create(completion()).await.unwrap_err();
        assert!(expected(&error), "{fault}: got {} ({error})", kind(&error));
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status), "{fault}");
        let api = error.api_error().expect("an API error carries the body");
        assert!(!api.message.is_empty(), "{fault}: the documented message");
    }
    // One request per fault: nothing was retried.
    assert_eq!(completions_received(&mock).await, cases.len());
}

#[tokio::test]
async fn a_dropped_connection_and_a_timeout_are_typed_too() {
    let mock = start_mock().await;
    mock.fail_next(OperationId::CreateCompletion, 1, Fault::DropConnection);
    let error = client(&mock, 0)
        .completions()
        .create(completion())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Connection(_)),
        "got {} ({error})",
        kind(&error)
    );

    mock.fail_next(
        OperationId::CreateCompletion,
        1,
        Fault::Delay(Duration::from_millis(500)),
    );
    let error = client(&mock, 0)
        .with_timeout(Duration::from_millis(50))
        .completions()
        .create(completion())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Timeout { .. }),
        "got {} ({error})",
        kind(&error)
    );
}

#[tokio::test]
async fn retryable_faults_are_retried_until_success() {
    for fault in [
        Fault::RateLimit,
        Fault::EngineOverloaded,
        Fault::ServerError,
        Fault::ServiceUnavailable,
        Fault::DropConnection,
    ] {
        let mock = start_mock().await;
        mock.fail_next(OperationId::CreateCompletion, 2, fault);
        let completion = client(&mock, 2).completions().create(completion()).await;
        assert!(completion.is_ok(), "{fault}: {completion:?}");
        assert_eq!(
            completions_received(&mock).await,
            3,
            "{fault}: two failures, then the answer"
        );
    }
}

/// A completion with 2 retries allowed, whose next `failures` calls fail with
/// `fault`: its error, and how many requests the mock received.
async fn failing(fault: Fault, failures: u64) -> (Error, usize) {
    let mock = start_mock().await;
    mock.fail_next(OperationId::CreateCompletion, failures, fault);
    let error = client(&mock, 2)
        .completions()
        .create(completion())
        .await
        .unwrap_err();
    (error, completions_received(&mock).await)
}

#[tokio::test]
async fn retries_stop_at_the_limit_and_quota_is_never_retried() {
    let (error, sent) = failing(Fault::ServiceUnavailable, 3).await;
    assert!(
        matches!(error, Error::ServiceUnavailable(_)),
        "got {}",
        kind(&error)
    );
    assert_eq!(sent, 3, "the first try and 2 retries");

    let (error, sent) = failing(Fault::InsufficientQuota, 1).await;
    assert!(
        matches!(error, Error::QuotaExceeded(_)),
        "got {}",
        kind(&error)
    );
    assert_eq!(sent, 1, "a quota error is final");

    let (error, sent) = failing(Fault::InvalidApiKey, 1).await;
    assert!(
        matches!(error, Error::Authentication(_)),
        "got {}",
        kind(&error)
    );
    assert_eq!(sent, 1, "a bad key is final");
}

#[tokio::test]
async fn an_upload_is_retried_with_its_body_rebuilt() {
    let mock = start_mock().await;
    mock.fail_next(OperationId::CreateFile, 1, Fault::ServerError);
    let path = openai_contract_tests::cases::fixtures_dir().join("downloadFile/response.jsonl");
    let file = client(&mock, 1)
        .files()
        .create(
            openai_rest_client::Upload::path(&path).file_name("mydata.jsonl"),
            "fine-tune",
        )
        .await
        .expect("the retry succeeds");
    assert_eq!(
        file.bytes,
        Some(140),
        "the retried upload carried the whole file"
    );
    let uploads = mock.server().received_requests().await.unwrap_or_default();
    let uploads: Vec<_> = uploads
        .iter()
        .filter(|r| r.url.path() == "/v1/files")
        .collect();
    assert_eq!(uploads.len(), 2);
    let content = std::fs::read(&path).expect("the fixture");
    for upload in uploads {
        let whole = upload
            .body
            .windows(content.len())
            .any(|w| w == content.as_slice());
        assert!(whole, "each try sent the whole file");
    }
}
