//! What the tests share: clients pointed at an `OpenAiMock`, the documented
//! answers the mock embeds, and the requests that reached it. Nothing here
//! reads a file, so the tests run from the published package too.

#![allow(dead_code)]

use std::time::Duration;

use openai_rest_client::{AzureAuth, AzureConfig, Client, ClientBuilder};
use openai_rest_mock::wiremock::Request;
use openai_rest_mock::{FAULT_HEADER, Fixtures, OpenAiMock, OperationId};
use serde::de::DeserializeOwned;

pub const KEY: &str = "sk-test-0123456789abcdefghijklmnopqrstuvwxyz";
pub const ORG: &str = "org-test123";

/// The bytes of the mock's fixture `case` of `operation` (`response`,
/// `stream`, `srt`, ...): what the mock answers to a request that changes
/// nothing in it.
pub fn fixture(operation: OperationId, case: &str) -> Vec<u8> {
    Fixtures::default()
        .get(operation, case)
        .unwrap_or_else(|| panic!("no fixture {operation}/{case}"))
        .to_vec()
}

/// The documented response of `operation`, decoded as `T`.
pub fn documented<T: DeserializeOwned>(operation: OperationId) -> T {
    documented_with(operation, |_| {})
}

/// The documented response of `operation` changed by `edit`, decoded as `T`:
/// for the fields the mock reflects from the request (the `model`, an id
/// from the path, one item per input).
pub fn documented_with<T: DeserializeOwned>(
    operation: OperationId,
    edit: impl FnOnce(&mut serde_json::Value),
) -> T {
    let mut doc = serde_json::from_slice(&fixture(operation, "response")).unwrap();
    edit(&mut doc);
    serde_json::from_value(doc).unwrap()
}

/// The fixture `case` of `operation` changed by `edit`, decoded as the raw
/// type `R` and converted into the client's `T` (a `File` from an
/// `OpenAiFile` or an `AzureFile`, a `List<Model>` from a model list, ...).
pub fn converted_with<R: DeserializeOwned, T: From<R>>(
    operation: OperationId,
    case: &str,
    edit: impl FnOnce(&mut serde_json::Value),
) -> T {
    let mut doc = serde_json::from_slice(&fixture(operation, case)).unwrap();
    edit(&mut doc);
    T::from(serde_json::from_value::<R>(doc).unwrap())
}

/// The fixture `case` of `operation` as the client answers it.
pub fn converted<R: DeserializeOwned, T: From<R>>(operation: OperationId, case: &str) -> T {
    converted_with::<R, T>(operation, case, |_| {})
}

/// The documented error body the mock answers for `fault` (an
/// `x-mock-fault` value such as `server_error`), for answers with a status
/// or headers that no fault gives.
pub async fn error_body(fault: &str) -> Vec<u8> {
    let mock = OpenAiMock::start().await;
    openai_rest_client::install_tls_provider();
    let answer = reqwest::Client::new()
        .get(format!("{}/models", mock.base_url()))
        .bearer_auth(KEY)
        .header(FAULT_HEADER, fault)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_client_error() || answer.status().is_server_error());
    answer.bytes().await.unwrap().to_vec()
}

/// Options for a client of the mock's OpenAI API with fast retries.
pub fn options(mock: &OpenAiMock) -> ClientBuilder {
    Client::builder()
        .api_key(KEY)
        .organization(ORG)
        .base_url(mock.base_url())
        .timeout(Duration::from_secs(5))
        .backoff(Duration::from_millis(1), Duration::from_millis(20))
        .poll_interval(Duration::from_millis(1))
}

/// An OpenAI client of the mock.
pub fn openai(mock: &OpenAiMock) -> Client {
    options(mock).build().unwrap()
}

/// An Azure client of the mock with deployment `my-deployment`.
pub fn azure(mock: &OpenAiMock, auth: AzureAuth) -> Client {
    Client::builder()
        .azure(AzureConfig::new(mock.azure_endpoint(), auth).deployment("my-deployment"))
        .timeout(Duration::from_secs(5))
        .backoff(Duration::from_millis(1), Duration::from_millis(20))
        .poll_interval(Duration::from_millis(1))
        .build()
        .unwrap()
}

/// The requests the mock received.
pub async fn received(mock: &OpenAiMock) -> Vec<Request> {
    mock.server().received_requests().await.unwrap()
}

/// The one request the mock received, checked for the method, the path, the
/// `User-Agent` and the absence of progenitor's `api-version` header.
pub async fn one_request(mock: &OpenAiMock, verb: &str, route: &str) -> Request {
    let mut requests = received(mock).await;
    assert_eq!(requests.len(), 1, "one request");
    let request = requests.remove(0);
    assert_eq!(request.method.as_str(), verb);
    assert_eq!(request.url.path(), route);
    let agent = format!("openai-rest-client/{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(
        header(&request, "user-agent").as_deref(),
        Some(agent.as_str())
    );
    assert_eq!(
        header(&request, "api-version"),
        None,
        "progenitor's api-version header leaked"
    );
    request
}

/// [`one_request`], also checked for OpenAI's headers and for no query.
pub async fn sent(mock: &OpenAiMock, verb: &str, route: &str) -> Request {
    let request = one_request(mock, verb, route).await;
    let bearer = format!("Bearer {KEY}");
    assert_eq!(
        header(&request, "authorization").as_deref(),
        Some(bearer.as_str())
    );
    assert_eq!(
        header(&request, "openai-organization").as_deref(),
        Some(ORG)
    );
    assert_eq!(header(&request, "api-key"), None);
    assert_eq!(request.url.query(), None);
    request
}

/// The value of the header `name`.
pub fn header(request: &Request, name: &str) -> Option<String> {
    (request.headers.get(name)).map(|value| value.to_str().unwrap().to_string())
}

/// The request's body as JSON.
pub fn json(request: &Request) -> serde_json::Value {
    serde_json::from_slice(&request.body).unwrap()
}

/// Whether `bytes` contains `part`, byte for byte.
fn contains(bytes: &[u8], part: &[u8]) -> bool {
    bytes.windows(part.len()).any(|window| window == part)
}

/// Whether the multipart body has the text field `name` = `value`.
pub fn has_field(request: &Request, name: &str, value: &str) -> bool {
    let part = format!("name=\"{name}\"\r\n\r\n{value}\r\n");
    contains(&request.body, part.as_bytes())
}

/// Whether the multipart body has the file part `name` with `file_name`,
/// `mime` and `content`, compared as bytes (an image is not UTF-8).
pub fn has_file(
    request: &Request,
    name: &str,
    file_name: &str,
    mime: &str,
    content: &[u8],
) -> bool {
    let mut part =
        format!("name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {mime}\r\n\r\n")
            .into_bytes();
    part.extend_from_slice(content);
    part.extend_from_slice(b"\r\n");
    contains(&request.body, &part)
}
