//! What the tests share: fixtures, clients pointed at a wiremock server, and
//! the request that reached it.

#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use openai_rest_client::{AzureAuth, AzureConfig, Client, ClientBuilder};
use serde::de::DeserializeOwned;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const KEY: &str = "sk-test-0123456789abcdefghijklmnopqrstuvwxyz";
pub const ORG: &str = "org-test123";

/// The bytes of `fixtures/<operation>/<file>`.
pub fn fixture(operation: &str, file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(operation)
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fixture decoded as `T`.
pub fn decoded<T: DeserializeOwned>(operation: &str, file: &str) -> T {
    serde_json::from_slice(&fixture(operation, file)).unwrap()
}

/// Options for a client of `server`'s `/v1` with fast retries.
pub fn options(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .api_key(KEY)
        .organization(ORG)
        .base_url(format!("{}/v1", server.uri()))
        .timeout(Duration::from_secs(5))
        .backoff(Duration::from_millis(1), Duration::from_millis(20))
        .poll_interval(Duration::from_millis(1))
}

/// An OpenAI client of `server`.
pub fn openai(server: &MockServer) -> Client {
    options(server).build().unwrap()
}

/// An Azure client of `server` with deployment `my-deployment`.
pub fn azure(server: &MockServer, auth: AzureAuth) -> Client {
    Client::builder()
        .azure(AzureConfig::new(server.uri(), auth).deployment("my-deployment"))
        .timeout(Duration::from_secs(5))
        .backoff(Duration::from_millis(1), Duration::from_millis(20))
        .poll_interval(Duration::from_millis(1))
        .build()
        .unwrap()
}

/// Answers `method` `route` with `status` and `body` of `content_type`.
pub async fn answer(
    server: &MockServer,
    verb: &str,
    route: &str,
    status: u16,
    body: Vec<u8>,
    content_type: &str,
) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(ResponseTemplate::new(status).set_body_raw(body, content_type))
        .mount(server)
        .await;
}

/// Answers `method` `route` with the JSON fixture of `operation`.
pub async fn answer_fixture(server: &MockServer, verb: &str, route: &str, operation: &str) {
    let body = fixture(operation, "response.json");
    answer(server, verb, route, 200, body, "application/json").await;
}

/// The requests `server` received.
pub async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

/// The one request `server` received, checked for the method, the path, the
/// `User-Agent` and the absence of progenitor's `api-version` header.
pub async fn one_request(server: &MockServer, verb: &str, route: &str) -> Request {
    let mut requests = received(server).await;
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
pub async fn sent(server: &MockServer, verb: &str, route: &str) -> Request {
    let request = one_request(server, verb, route).await;
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

/// Whether the multipart body has the text field `name` = `value`.
pub fn has_field(request: &Request, name: &str, value: &str) -> bool {
    let body = String::from_utf8_lossy(&request.body);
    body.contains(&format!("name=\"{name}\"\r\n\r\n{value}\r\n"))
}

/// Whether the multipart body has the file part `name` with `file_name`,
/// `mime` and `content`.
pub fn has_file(
    request: &Request,
    name: &str,
    file_name: &str,
    mime: &str,
    content: &[u8],
) -> bool {
    let body = String::from_utf8_lossy(&request.body);
    let head = format!(
        "name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {mime}\r\n\r\n{}\r\n",
        String::from_utf8_lossy(content)
    );
    body.contains(&head)
}
