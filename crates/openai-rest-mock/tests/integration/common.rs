//! Helpers for the tests: the mock in both modes, plain reqwest calls, and
//! the fixture files to compare with.
#![allow(dead_code)] // Each test binary uses a part.

use std::path::Path;

use openai_rest_mock::{MockOptions, OpenAiMock};
use reqwest::RequestBuilder;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use tokio::sync::oneshot;

/// A key the tests send.
pub const KEY: &str = "sk-test-abcdefghijklmnopqrstuvwxyz";

/// The Azure API version of the docs, as a query.
pub const API_VERSION: &str = "api-version=2022-12-01";

/// A real 2x2 RGB PNG (createImage's first base64 image).
pub const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00\x00\xfd\xd4\x9a\x73\x00\x00\x00\x10\x49\x44\x41\x54\x78\xda\x63\xe8\x8e\xd2\x06\x22\x06\x08\x05\x00\x1f\x4e\x04\x41\xc8\x2b\x5b\xc9\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

/// The start of a PNG of any size: what the mock reads of an image.
pub fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut png = PNG[..16].to_vec();
    png.extend(width.to_be_bytes());
    png.extend(height.to_be_bytes());
    png.extend(&PNG[24..]);
    png
}

/// The mock in one of its modes.
pub struct Server {
    pub mode: &'static str,
    /// The OpenAI base URL, `.../v1`.
    pub openai: String,
    /// The Azure base URL, `.../openai`.
    pub azure: String,
    pub mock: Option<OpenAiMock>,
    stop: Option<oneshot::Sender<()>>,
}

impl Server {
    /// The test library: `OpenAiMock` on wiremock.
    pub async fn library(options: MockOptions) -> Server {
        let mock = OpenAiMock::start_with(options).await;
        Server {
            mode: "library",
            openai: mock.base_url(),
            azure: format!("{}/openai", mock.azure_endpoint()),
            mock: Some(mock),
            stop: None,
        }
    }

    /// The standalone server, in-process on a free port.
    pub async fn standalone(options: MockOptions) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(openai_rest_mock::serve(listener, options, async {
            let _ = stopped.await;
        }));
        Server {
            mode: "standalone",
            openai: format!("http://{address}/v1"),
            azure: format!("http://{address}/openai"),
            mock: None,
            stop: Some(stop),
        }
    }

    /// The mock in each mode, with the same options.
    pub async fn modes(options: MockOptions) -> Vec<Server> {
        vec![
            Server::library(options.clone()).await,
            Server::standalone(options).await,
        ]
    }

    pub fn mock(&self) -> &OpenAiMock {
        self.mock.as_ref().expect("the library mode")
    }

    /// A request to the OpenAI API, without a key.
    pub fn request(&self, method: &str, path: &str) -> RequestBuilder {
        client().request(method.parse().unwrap(), format!("{}{path}", self.openai))
    }

    /// A request to the Azure API with the docs' `api-version`, without a key.
    pub fn azure_request(&self, method: &str, path: &str) -> RequestBuilder {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = format!("{}{path}{separator}{API_VERSION}", self.azure);
        client().request(method.parse().unwrap(), url)
    }

    /// `GET {openai}{path}` with the test key.
    pub async fn get(&self, path: &str) -> Answer {
        send(self.request("GET", path).bearer_auth(KEY)).await
    }

    /// `POST {openai}{path}` with a JSON body and the test key.
    pub async fn post_json(&self, path: &str, body: Value) -> Answer {
        send(self.request("POST", path).bearer_auth(KEY).json(&body)).await
    }

    /// `POST {openai}{path}` with a multipart body and the test key.
    pub async fn post_form(&self, path: &str, form: Form) -> Answer {
        send(self.request("POST", path).bearer_auth(KEY).multipart(form)).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub fn client() -> reqwest::Client {
    // In a workspace build, reqwest has the client's rustls without a
    // provider, and panics unless one is installed.
    #[allow(deprecated)] // in rustls 0.23.48, for want of post-quantum
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

/// Sends `request` and reads the whole answer.
pub async fn send(request: RequestBuilder) -> Answer {
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type = headers
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned());
    let body = response.bytes().await.expect("the whole body").to_vec();
    Answer {
        status,
        content_type,
        headers,
        body,
    }
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    /// Checks an error answer: its status, the OpenAI error shape and
    /// `param`; answers the error object.
    pub fn assert_error(&self, status: u16, param: Option<&str>) -> Value {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.content_type.as_deref(), Some("application/json"));
        let body = self.json();
        let error = &body["error"];
        let keys: Vec<&String> = error.as_object().expect("an error object").keys().collect();
        assert_eq!(keys, ["code", "message", "param", "type"], "{body}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(error["type"].is_string());
        assert_eq!(error["param"].as_str(), param, "{body}");
        error.clone()
    }

    /// Checks an error answer of Azure's authoring API: its status, Azure's
    /// error shape (`code`, `message`, and `target` naming the field at
    /// fault); answers the error object.
    pub fn assert_azure_error(&self, status: u16, target: Option<&str>) -> Value {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.content_type.as_deref(), Some("application/json"));
        let body = self.json();
        let error = &body["error"];
        let keys: Vec<&String> = error.as_object().expect("an error object").keys().collect();
        let expected: &[&str] = match target {
            Some(_) => &["code", "message", "target"],
            None => &["code", "message"],
        };
        assert_eq!(keys, expected, "{body}");
        assert!(error["code"].as_str().is_some_and(|c| !c.is_empty()));
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(error["target"].as_str(), target, "{body}");
        error.clone()
    }
}

/// The bytes of `fixtures/<path>`.
pub fn fixture(path: &str) -> Vec<u8> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path);
    std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

pub fn fixture_json(path: &str) -> Value {
    serde_json::from_slice(&fixture(path)).unwrap()
}

/// A file part named like the upload.
pub fn file(bytes: impl Into<Vec<u8>>, name: &str) -> Part {
    Part::bytes(bytes.into()).file_name(name.to_owned())
}

/// The `data:` payloads of a server-sent event stream, checking its framing:
/// each event one `data: ` line and a blank line, the last `[DONE]`.
pub fn events(body: &str) -> Vec<Value> {
    let done = body
        .strip_suffix("data: [DONE]\n\n")
        .unwrap_or_else(|| panic!("does not end with data: [DONE]: {body:?}"));
    done.split_inclusive("\n\n")
        .map(|event| {
            let json = event
                .strip_prefix("data: ")
                .and_then(|rest| rest.strip_suffix("\n\n"))
                .filter(|json| !json.contains('\n'))
                .unwrap_or_else(|| panic!("not one data line: {event:?}"));
            serde_json::from_str(json).unwrap()
        })
        .collect()
}
