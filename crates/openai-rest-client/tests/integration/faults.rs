//! The fault matrix: each failure ends in the right typed error or in the
//! right retried success, without a panic.

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use common::*;
use futures::StreamExt;
use openai_rest_client::types::*;
use openai_rest_client::{Client, Error, Upload};
use openai_rest_mock::wiremock::{Mock, ResponseTemplate};
use openai_rest_mock::{Fault, MockOptions, OpenAiMock, OperationId, operation};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// For `fail_next`: a fault for every call.
const EVERY_CALL: u64 = u64::MAX;

/// The docs' request, answered by the documented completion (its 7 tokens
/// fill its `max_tokens`).
fn completion() -> builder::CreateCompletionRequest {
    CreateCompletionRequest::builder()
        .model("text-davinci-003")
        .prompt(Prompt::Text("Say this is a test".into()))
        .max_tokens(7)
}

/// Answers the first `times` completion requests with `first`; the mock
/// answers the rest with the documented completion.
async fn first_then_ok(mock: &OpenAiMock, first: ResponseTemplate, times: u64) {
    Mock::given(operation(OperationId::CreateCompletion))
        .respond_with(first)
        .up_to_n_times(times)
        .mount(mock.server())
        .await;
}

/// An answer of `status` with the mock's error body for `fault`.
async fn json_error(status: u16, fault: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(error_body(fault).await, "application/json")
}

#[tokio::test]
async fn rate_limit_with_retry_after_then_success() {
    let mock = OpenAiMock::start().await;
    // Raw: the mock's 429 asks for whole seconds, with no retry-after-ms.
    let limited = json_error(429, "rate_limit")
        .await
        .insert_header("retry-after-ms", "150");
    first_then_ok(&mock, limited, 1).await;
    // The backoff alone would wait 1-2 ms; the API asked for 150.
    let client = options(&mock)
        .backoff(Duration::from_millis(1), Duration::from_secs(1))
        .build()
        .unwrap();
    let started = Instant::now();
    let completion = client.completions().create(completion()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(completion, documented(OperationId::CreateCompletion));
    assert_eq!(received(&mock).await.len(), 2);
}

#[tokio::test]
async fn retry_after_is_capped_by_the_backoff_maximum() {
    let options = MockOptions::default().retry_after(Duration::from_secs(30));
    let mock = OpenAiMock::start_with(options).await;
    mock.fail_next(OperationId::CreateCompletion, 1, Fault::RateLimit);
    mock.expect(OperationId::CreateCompletion, 2);
    let started = Instant::now();
    openai(&mock)
        .completions()
        .create(completion())
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn absurd_waits_do_not_panic() {
    for wait in ["1e300", "inf", "-5", "soon"] {
        let mock = OpenAiMock::start().await;
        // Raw: Retry-After values that the mock never sends.
        let limited = json_error(429, "rate_limit")
            .await
            .insert_header("retry-after", wait);
        first_then_ok(&mock, limited, 1).await;
        openai(&mock)
            .completions()
            .create(completion())
            .await
            .unwrap();
    }
    // A huge backoff is capped too.
    let mock = OpenAiMock::start().await;
    mock.fail_next(OperationId::CreateCompletion, 1, Fault::ServerError);
    let client = options(&mock)
        .backoff(Duration::MAX, Duration::from_millis(5))
        .build()
        .unwrap();
    client.completions().create(completion()).await.unwrap();
}

#[tokio::test]
async fn quota_exceeded_is_not_retried_and_keeps_the_details() {
    let mock = OpenAiMock::start().await;
    // Raw: an x-request-id and a Retry-After date, which the mock's 429 lacks.
    let in_30s = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
    let quota = json_error(429, "insufficient_quota")
        .await
        .insert_header("x-request-id", "req-quota-1")
        .insert_header("retry-after", in_30s.as_str());
    first_then_ok(&mock, quota, 1).await;
    let error = openai(&mock)
        .completions()
        .create(completion())
        .await
        .unwrap_err();
    let Error::QuotaExceeded(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.status, 429);
    assert_eq!(
        api.message,
        "You exceeded your current quota, please check your plan and billing details."
    );
    assert_eq!(api.error_type.as_deref(), Some("insufficient_quota"));
    assert_eq!(api.code.as_deref(), Some("insufficient_quota"));
    assert_eq!(api.param, None);
    assert_eq!(api.request_id.as_deref(), Some("req-quota-1"));
    let wait = api.retry_after.unwrap();
    assert!(
        wait > Duration::from_secs(27) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
    assert!(!error.is_retryable());
    assert_eq!(error.request_id(), Some("req-quota-1"));
    assert_eq!(received(&mock).await.len(), 1);
}

#[tokio::test]
async fn server_error_then_success() {
    let mock = OpenAiMock::start().await;
    mock.fail_next(OperationId::CreateCompletion, 1, Fault::ServerError);
    let completion = openai(&mock)
        .completions()
        .create(completion())
        .await
        .unwrap();
    assert_eq!(completion, documented(OperationId::CreateCompletion));
    assert_eq!(received(&mock).await.len(), 2);
}

#[tokio::test]
async fn service_unavailable_exhausts_the_retries() {
    let mock = OpenAiMock::start().await;
    let unavailable = Fault::ServiceUnavailable;
    mock.fail_next(OperationId::CreateCompletion, EVERY_CALL, unavailable);
    let error = openai(&mock)
        .completions()
        .create(completion())
        .await
        .unwrap_err();
    let Error::ServiceUnavailable(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.message, "The server is overloaded or not ready yet.");
    assert_eq!(received(&mock).await.len(), 3, "the try and 2 retries");

    // Per call, retries can be turned off.
    let mock = OpenAiMock::start().await;
    mock.fail_next(OperationId::CreateCompletion, EVERY_CALL, unavailable);
    let error = openai(&mock)
        .with_max_retries(0)
        .completions()
        .create(completion())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::ServiceUnavailable(_)), "{error:?}");
    assert_eq!(received(&mock).await.len(), 1);
}

/// How the mock answers a case of the status table.
#[derive(Clone, Copy, Debug)]
enum Answer {
    /// One of its faults, on every call.
    Fault(Fault),
    /// Raw: a status that no fault answers, with the error body of the
    /// fault named.
    Status(&'static str),
}

#[tokio::test]
async fn each_status_is_classified_and_retried_as_documented() {
    use Answer::Status;
    type Check = fn(&Error) -> bool;
    let cases: &[(u16, Answer, Check, bool)] = &[
        (
            400,
            Status("missing_api_key"),
            |e| matches!(e, Error::InvalidRequest(_)),
            false,
        ),
        (
            401,
            Answer::Fault(Fault::InvalidApiKey),
            |e| matches!(e, Error::Authentication(_)),
            false,
        ),
        (
            403,
            Status("server_error"),
            |e| matches!(e, Error::PermissionDenied(_)),
            false,
        ),
        (
            404,
            Status("server_error"),
            |e| matches!(e, Error::InvalidRequest(_)),
            false,
        ),
        (
            409,
            Status("server_error"),
            |e| matches!(e, Error::Conflict(_)),
            true,
        ),
        (
            415,
            Status("server_error"),
            |e| matches!(e, Error::InvalidRequest(_)),
            false,
        ),
        (
            418,
            Status("server_error"),
            |e| matches!(e, Error::OtherStatus(_)),
            false,
        ),
        (
            429,
            Answer::Fault(Fault::RateLimit),
            |e| matches!(e, Error::RateLimit(_)),
            true,
        ),
        (
            429,
            Answer::Fault(Fault::EngineOverloaded),
            |e| matches!(e, Error::EngineOverloaded(_)),
            true,
        ),
        (
            429,
            Answer::Fault(Fault::InsufficientQuota),
            |e| matches!(e, Error::QuotaExceeded(_)),
            false,
        ),
        (
            500,
            Answer::Fault(Fault::ServerError),
            |e| matches!(e, Error::Server(_)),
            true,
        ),
        (
            501,
            Status("server_error"),
            |e| matches!(e, Error::Server(_)),
            false,
        ),
        (
            502,
            Status("server_error"),
            |e| matches!(e, Error::Server(_)),
            true,
        ),
        (
            503,
            Answer::Fault(Fault::ServiceUnavailable),
            |e| matches!(e, Error::ServiceUnavailable(_)),
            true,
        ),
        (
            504,
            Status("server_error"),
            |e| matches!(e, Error::Server(_)),
            true,
        ),
    ];
    for &(status, answer, check, retried) in cases {
        let mock = OpenAiMock::start().await;
        match answer {
            Answer::Fault(fault) => {
                mock.fail_next(OperationId::CreateCompletion, EVERY_CALL, fault)
            }
            Answer::Status(body) => first_then_ok(&mock, json_error(status, body).await, 100).await,
        }
        let client = openai(&mock).with_max_retries(1);
        let error = client.completions().create(completion()).await.unwrap_err();
        assert!(check(&error), "{status} {answer:?}: {error:?}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.is_retryable(), retried, "{status} {answer:?}");
        let expected = if retried { 2 } else { 1 };
        assert_eq!(received(&mock).await.len(), expected, "{status} {answer:?}");
    }
}

#[tokio::test]
async fn an_html_or_empty_5xx_is_a_typed_server_error() {
    // Raw throughout: the mock's errors are always the API's JSON.
    let mock = OpenAiMock::start().await;
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    first_then_ok(
        &mock,
        ResponseTemplate::new(500).set_body_raw(html, "text/html"),
        100,
    )
    .await;
    let error = openai(&mock)
        .completions()
        .create(completion())
        .await
        .unwrap_err();
    let Error::Server(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.status, 500);
    assert_eq!(api.message, html);
    assert_eq!(api.error_type, None);
    assert_eq!(received(&mock).await.len(), 3, "retried like any 500");

    let mock = OpenAiMock::start().await;
    first_then_ok(&mock, ResponseTemplate::new(503), 100).await;
    let error = openai(&mock)
        .with_max_retries(0)
        .completions()
        .create(completion())
        .await
        .unwrap_err();
    let Error::ServiceUnavailable(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.message, "503 Service Unavailable with no error body");

    // The same for a call that answers bytes.
    let mock = OpenAiMock::start().await;
    Mock::given(operation(OperationId::DownloadFile))
        .respond_with(ResponseTemplate::new(502).set_body_raw(html, "text/html"))
        .mount(mock.server())
        .await;
    let error = openai(&mock)
        .with_max_retries(0)
        .files()
        .content("file-1")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Server(api) if api.status == 502),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_malformed_success_keeps_the_raw_body() {
    let mock = OpenAiMock::start().await;
    let body = r#"{"id": "cmpl-1", "choices": "#;
    // Raw: a fixture must be JSON, and this is cut short.
    Mock::given(operation(OperationId::CreateCompletion))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(mock.server())
        .await;
    let error = openai(&mock)
        .completions()
        .create(completion())
        .await
        .unwrap_err();
    let Error::InvalidResponse {
        status, body: kept, ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(*status, 200);
    assert_eq!(kept, body);
    assert!(error.to_string().contains(body), "{error}");
    assert_eq!(received(&mock).await.len(), 1, "not retried");

    // Valid JSON of the wrong shape too.
    let mock = OpenAiMock::start().await;
    let wrong_shape = &br#"{"data": 5}"#[..];
    mock.set_fixture(OperationId::ListModels, "response.json", wrong_shape)
        .unwrap();
    let error = openai(&mock).models().list().await.unwrap_err();
    assert!(matches!(error, Error::InvalidResponse { .. }), "{error:?}");
}

/// A server on 127.0.0.1 that reads each request's head, writes `response`,
/// then keeps the connection open for `hold` and drops it: for what no HTTP
/// mock can send, a body cut short or stalled.
async fn raw_server(response: impl Into<Vec<u8>>, hold: Duration) -> String {
    let response: Arc<[u8]> = response.into().into();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let response = response.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buffer = [0; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                let _ = socket.write_all(&response).await;
                tokio::time::sleep(hold).await;
            });
        }
    });
    format!("http://{address}/v1")
}

fn raw_client(base_url: &str) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(base_url)
        .timeout(Duration::from_millis(300))
        .backoff(Duration::from_millis(1), Duration::from_millis(10))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_connection_reset_is_retried_then_reported() {
    let mock = OpenAiMock::start().await;
    // Closes each connection without an answer.
    mock.fail_next(OperationId::ListModels, EVERY_CALL, Fault::DropConnection);
    let error = raw_client(&mock.base_url())
        .models()
        .list()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Connection(_)), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(received(&mock).await.len(), 3);
}

#[tokio::test]
async fn a_connection_refused_is_a_connection_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let error = raw_client(&format!("http://{address}/v1"))
        .models()
        .list()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Connection(_)), "{error:?}");
}

#[tokio::test]
async fn a_slow_answer_times_out_and_is_retried() {
    let mock = OpenAiMock::start().await;
    let slow = Fault::Delay(Duration::from_secs(2));
    mock.fail_next(OperationId::ListModels, EVERY_CALL, slow);
    let started = Instant::now();
    let error = openai(&mock)
        .with_timeout(Duration::from_millis(100))
        .with_max_retries(1)
        .models()
        .list()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Timeout { after } if after == Duration::from_millis(100)),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(received(&mock).await.len(), 2);
}

#[tokio::test]
async fn a_stream_that_ends_before_done_is_an_error_not_a_silent_end() {
    let mock = OpenAiMock::start().await;
    let stream = String::from_utf8(fixture(OperationId::CreateCompletion, "stream")).unwrap();
    let cut = stream.replace("data: [DONE]\n\n", "");
    // Raw: the mock always ends its streams with [DONE].
    Mock::given(operation(OperationId::CreateCompletion))
        .respond_with(ResponseTemplate::new(200).set_body_raw(cut, "text/event-stream"))
        .mount(mock.server())
        .await;
    let items: Vec<_> = openai(&mock)
        .completions()
        .create_stream(completion())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 8);
    assert!(items[..7].iter().all(Result::is_ok));
    assert!(
        matches!(items[7], Err(Error::StreamEnded { source: None })),
        "{:?}",
        items[7]
    );
}

#[tokio::test]
async fn a_stream_whose_connection_breaks_is_an_error() {
    // Promises 10 000 bytes, sends one event, then closes.
    let response = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: 10000\r\n\r\n\
data: {\"object\": \"fine-tune-event\", \"created_at\": 1, \"level\": \"info\", \"message\": \"Job enqueued.\"}\n\n";
    let base_url = raw_server(*response, Duration::ZERO).await;
    let items: Vec<_> = raw_client(&base_url)
        .fine_tunes()
        .events_stream("ft-1")
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().message, "Job enqueued.");
    assert!(
        matches!(items[1], Err(Error::StreamEnded { source: Some(_) })),
        "{:?}",
        items[1]
    );
}

#[tokio::test]
async fn a_stream_that_stalls_times_out() {
    // One chunk with one event, then nothing.
    let event = r#"data: {"object": "fine-tune-event", "created_at": 1, "level": "info", "message": "Job enqueued."}"#;
    let event = format!("{event}\n\n");
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{event}\r\n",
        event.len()
    );
    let base_url = raw_server(response, Duration::from_secs(5)).await;
    let started = Instant::now();
    let mut events = raw_client(&base_url)
        .fine_tunes()
        .events_stream("ft-1")
        .await
        .unwrap();
    assert_eq!(
        events.next().await.unwrap().unwrap().message,
        "Job enqueued."
    );
    let stalled = events.next().await.unwrap();
    assert!(matches!(stalled, Err(Error::Timeout { .. })), "{stalled:?}");
    assert!(events.next().await.is_none());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_error_event_in_a_stream_is_a_typed_error_item() {
    let mock = OpenAiMock::start().await;
    let stream = String::from_utf8(fixture(OperationId::CreateCompletion, "stream")).unwrap();
    let error = String::from_utf8(error_body("server_error").await)
        .unwrap()
        .replace('\n', "");
    let events: Vec<&str> = stream.split_inclusive("\n\n").collect();
    let body = format!(
        "{}{}data: {error}\n\n{}",
        events[0],
        events[1],
        events[2..].concat()
    );
    mock.set_fixture(OperationId::CreateCompletion, "stream.sse", body)
        .unwrap();
    let items: Vec<_> = openai(&mock)
        .completions()
        .create_stream(completion())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 3, "two events, the error, then the end");
    assert!(items[0].is_ok() && items[1].is_ok());
    let Err(Error::StreamEvent(api)) = &items[2] else {
        panic!("{:?}", items[2])
    };
    assert_eq!(
        api.message,
        "The server had an error while processing your request. Sorry about that!"
    );
    assert_eq!(api.error_type.as_deref(), Some("server_error"));
}

#[tokio::test]
async fn an_error_before_a_stream_starts_is_the_usual_typed_error() {
    let mock = OpenAiMock::start().await;
    let invalid_key = Fault::InvalidApiKey;
    mock.fail_next(OperationId::CreateCompletion, EVERY_CALL, invalid_key);
    let error = openai(&mock)
        .completions()
        .create_stream(completion())
        .await
        .unwrap_err();
    let Error::Authentication(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.code.as_deref(), Some("invalid_api_key"));

    // The 429 is retried; the next answer is the stream.
    let mock = OpenAiMock::start().await;
    mock.fail_next(OperationId::CreateCompletion, 1, Fault::RateLimit);
    let items: Vec<_> = openai(&mock)
        .completions()
        .create_stream(completion())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 7);
    assert_eq!(received(&mock).await.len(), 2);
}

#[tokio::test]
async fn a_path_upload_is_sent_again_on_retry() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    mock.fail_next(OperationId::CreateFile, 1, Fault::ServerError);
    let content = fixture(OperationId::DownloadFile, "response");
    let path = std::env::temp_dir().join(format!(
        "openai-rest-client-retry-{}.jsonl",
        std::process::id()
    ));
    std::fs::write(&path, &content).unwrap();
    let file = openai(&mock)
        .files()
        .create(Upload::path(&path), "fine-tune")
        .await
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(file.id, "file-XjGxS3KTG0uNmNOK362iJua3");
    let requests = received(&mock).await;
    assert_eq!(requests.len(), 2);
    let name = path.file_name().unwrap().to_str().unwrap();
    for request in &requests {
        assert!(has_file(
            request,
            "file",
            name,
            "application/octet-stream",
            &content
        ));
    }
}

#[tokio::test]
async fn a_reader_upload_is_sent_once() {
    let mock = OpenAiMock::start().await;
    mock.fail_next(OperationId::CreateFile, EVERY_CALL, Fault::ServerError);
    let reader = std::io::Cursor::new(fixture(OperationId::DownloadFile, "response"));
    let error = openai(&mock)
        .files()
        .create(Upload::reader(reader, "mydata.jsonl"), "fine-tune")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Server(_)), "{error:?}");
    assert_eq!(received(&mock).await.len(), 1);
}

#[tokio::test]
async fn a_missing_upload_file_is_an_error_before_sending() {
    let mock = OpenAiMock::start().await;
    let error = openai(&mock)
        .files()
        .create(Upload::path("/no/such/dir/train.jsonl"), "fine-tune")
        .await
        .unwrap_err();
    let Error::InvalidArgument(message) = &error else {
        panic!("{error:?}")
    };
    assert!(message.contains("/no/such/dir/train.jsonl"), "{message}");
    assert!(received(&mock).await.is_empty());
}

/// Against the mock's rate limit, the client's defaults (two retries, each
/// after the `Retry-After` the API asked for) finish the work, in the time
/// the limit implies: six completions at two a minute take two minutes of
/// the mock's clock, here two seconds.
#[tokio::test]
async fn the_default_retries_finish_the_work_under_a_rate_limit() {
    let mock = OpenAiMock::start_with(
        MockOptions::default()
            .clock_speed(60.0)
            .requests_per_minute(2),
    )
    .await;
    let client = Client::builder()
        .api_key("sk-test")
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let started = Instant::now();
    for _ in 0..6 {
        let completion = client.completions().create(completion()).await.unwrap();
        assert_eq!(completion.choices[0].text, "\n\nThis is indeed a test");
    }
    let elapsed = started.elapsed();
    assert!(
        (Duration::from_millis(1900)..Duration::from_secs(10)).contains(&elapsed),
        "{elapsed:?}"
    );
    // Two of them were refused once each, and retried.
    assert_eq!(received(&mock).await.len(), 8);
}
