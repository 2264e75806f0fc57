//! One call of an operation: the one way every endpoint method reaches the
//! API. The method names the operation by its generated [`OperationId`] and
//! gives its path's values and its body; the client's backend decides the
//! rest: the operation of its spec (none is [`Error::Unsupported`], before
//! sending), the URL under its base URL, Azure's deployment and
//! `api-version`, and the status that is success. Authentication is the HTTP
//! client's default headers, set when the client is built.

use bytes::Bytes;
use openai_rest_raw::Schema;
use openai_rest_raw::operations::{Api, OPERATIONS, Operation, OperationId};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::arguments;
use crate::error::{Error, Result};
use crate::transport::{api_error_from_text, connection_error, invalid_response};
use crate::{Client, Upload};

/// What a path value may not hold unencoded: what ends or splits a path
/// segment, as progenitor encoded it (a model's `ft:...:` keeps its colons).
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A call being made, from [`Client::call`].
pub(crate) struct Call<'c> {
    client: &'c Client,
    operation: &'static Operation,
    /// Its place in [`OPERATIONS`], where its client keeps its URL.
    index: usize,
    path: Option<&'c str>,
    query: Option<&'static str>,
    body: Body<'c>,
}

/// Where a call goes.
enum Url<'c> {
    /// Parsed once, kept by the client.
    Parsed(&'c reqwest::Url),
    /// Made for this call, parsed by reqwest.
    Text(String),
}

enum Body<'c> {
    Empty,
    /// Encoded once, sent by every attempt.
    Json(Bytes),
    /// Text fields, then file parts, each part made again for each attempt.
    Form {
        fields: Vec<(String, String)>,
        files: Vec<(&'static str, &'c Upload)>,
    },
}

impl Client {
    /// A call of `operation` on this client's API.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] when the API has no such operation.
    pub(crate) fn call(&self, operation: OperationId) -> Result<Call<'_>> {
        let api = self.shared.backend.api;
        let index = (OPERATIONS.iter())
            .position(|op| op.api == api && op.id == operation)
            .ok_or(Error::Unsupported {
                operation: operation.as_str(),
                backend: self.shared.backend.name(),
            })?;
        Ok(Call {
            client: self,
            operation: &OPERATIONS[index],
            index,
            path: None,
            query: None,
            body: Body::Empty,
        })
    }
}

impl<'c> Call<'c> {
    /// The value of the path's parameter (an id). On Azure, a
    /// `{deployment-id}` not given is the client's deployment.
    pub(crate) fn path(mut self, value: &'c str) -> Self {
        self.path = Some(value);
        self
    }

    /// A query parameter (`stream=true`), after Azure's `api-version`.
    pub(crate) fn query(mut self, pair: &'static str) -> Self {
        self.query = Some(pair);
        self
    }

    /// `request` as the JSON body, checked against the rules of the
    /// operation's request in the client's spec and encoded once.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming what the spec refuses.
    pub(crate) fn json<T: Schema + Serialize>(mut self, request: &T) -> Result<Self> {
        self.body = Body::Json(arguments::encode(self.schema(), request)?);
        Ok(self)
    }

    /// A multipart body: the fields of `request` as text parts, checked as
    /// [`json`](Self::json) checks, then `files`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming what the spec refuses.
    pub(crate) fn form<T: Schema + Serialize>(
        mut self,
        request: &T,
        files: impl IntoIterator<Item = (&'static str, &'c Upload)>,
    ) -> Result<Self> {
        let fields = arguments::form_fields(self.schema(), request)?;
        let files = files.into_iter().collect();
        self.body = Body::Form { fields, files };
        Ok(self)
    }

    /// The name of the schema of the operation's request.
    fn schema(&self) -> Option<&'static str> {
        self.operation.request.and_then(|body| body.schema)
    }

    /// The answer decoded as `T`, on either API.
    pub(crate) async fn send<T: DeserializeOwned>(self) -> Result<T> {
        self.send_per_api::<T, T, T>().await
    }

    /// The answer decoded as OpenAI's `O` or Azure's `A`, as a `T`.
    pub(crate) async fn send_per_api<O, A, T>(self) -> Result<T>
    where
        O: DeserializeOwned + Into<T>,
        A: DeserializeOwned + Into<T>,
    {
        let api = self.client.shared.backend.api;
        let (status, body) = self.whole(Some(JSON)).await?;
        // An answer with no body (Azure's 204) is `null`: `()` or `None`.
        let json = if body.is_empty() { &b"null"[..] } else { &body };
        let decoded = match api {
            Api::OpenAi => serde_json::from_slice::<O>(json).map(Into::into),
            Api::Azure => serde_json::from_slice::<A>(json).map(Into::into),
        };
        decoded.map_err(|source| {
            invalid_response(
                status,
                String::from_utf8_lossy(&body).into_owned(),
                source,
                &self.client.transport.secret,
            )
        })
    }

    /// The whole body, asked for as `accept` (reqwest's `*/*` when `None`).
    pub(crate) async fn bytes(self, accept: Option<HeaderValue>) -> Result<Bytes> {
        Ok(self.whole(accept).await?.1)
    }

    /// The response once its status is success, to read as it arrives
    /// (retried until then), asked for as `accept` (reqwest's `*/*` when
    /// `None`).
    pub(crate) async fn response(self, accept: Option<HeaderValue>) -> Result<reqwest::Response> {
        let (url, retries) = self.prepare()?;
        let transport = &self.client.transport;
        transport
            .send(self.operation.id, retries, || {
                let request = self.request(&url, accept.clone())?;
                Ok(self.answer(request))
            })
            .await
    }

    /// The response of a `text/event-stream`, once its status is success.
    pub(crate) async fn stream(self) -> Result<reqwest::Response> {
        self.response(Some(HeaderValue::from_static("text/event-stream")))
            .await
    }

    fn timeout(&self) -> std::time::Duration {
        self.client.transport.timeout
    }

    /// The status and whole body of a success, read in each attempt.
    async fn whole(&self, accept: Option<HeaderValue>) -> Result<(reqwest::StatusCode, Bytes)> {
        let (url, retries) = self.prepare()?;
        let transport = &self.client.transport;
        transport
            .send(self.operation.id, retries, || {
                let request = self.request(&url, accept.clone())?;
                Ok(async move {
                    let response = self.answer(request).await?;
                    let status = response.status();
                    let body = response.bytes().await;
                    Ok((
                        status,
                        body.map_err(|e| connection_error(e, self.timeout()))?,
                    ))
                })
            })
            .await
    }

    /// The URL, and how many retries: the client's, or none when an upload
    /// cannot be sent twice (uploads are checked here, before sending).
    fn prepare(&self) -> Result<(Url<'c>, u32)> {
        let url = self.url()?;
        let mut retries = self.client.transport.max_retries;
        if let Body::Form { files, .. } = &self.body {
            for (_, upload) in files.iter() {
                upload.check()?;
                if !upload.replayable() {
                    retries = 0;
                }
            }
        }
        Ok((url, retries))
    }

    /// The URL. One that is the same for every call of the operation (no
    /// path value, no query) is parsed once per client: parsing it was a
    /// tenth of what the client did per call.
    fn url(&self) -> Result<Url<'c>> {
        let fixed =
            self.path.is_none() && self.query.is_none() && !self.operation.path.contains('{');
        if !fixed {
            return self.text_url().map(Url::Text);
        }
        // Through the client, so that the URL outlives this borrow of the call.
        let client: &'c Client = self.client;
        let cell = &client.shared.urls[self.index];
        if let Some(url) = cell.get() {
            return Ok(Url::Parsed(url));
        }
        let text = self.text_url()?;
        // One that does not parse stays text, for reqwest to refuse as
        // before, on every call.
        Ok(match reqwest::Url::parse(&text) {
            Ok(url) => Url::Parsed(cell.get_or_init(|| url)),
            Err(_) => Url::Text(text),
        })
    }

    /// The URL as text: the base URL, the path with its values, Azure's
    /// `api-version` and the query.
    fn text_url(&self) -> Result<String> {
        let shared = &self.client.shared;
        let template = self.operation.path;
        let parameters = template.matches('{').count();
        let given = usize::from(self.path.is_some());
        let mut values = self.path.into_iter();
        let mut url = String::with_capacity(shared.base_url.len() + template.len() + 64);
        url.push_str(&shared.base_url);
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            let end = start + rest[start..].find('}').unwrap_or(rest.len() - start);
            url.push_str(&rest[..start]);
            let name = rest.get(start + 1..end).unwrap_or_default();
            let value = if name == "deployment-id" && given < parameters {
                self.client.deployment()?
            } else {
                values.next().ok_or_else(|| {
                    Error::InvalidArgument(format!("no `{name}` for {}", self.operation.id))
                })?
            };
            if value.is_empty() {
                return Err(Error::InvalidArgument(format!("`{name}` is empty")));
            }
            url.extend(utf8_percent_encode(value, PATH));
            rest = rest.get(end + 1..).unwrap_or_default();
        }
        url.push_str(rest);
        let mut separator = '?';
        if let Some(version) = &shared.backend.api_version {
            url.push_str("?api-version=");
            url.extend(utf8_percent_encode(version, PATH));
            separator = '&';
        }
        if let Some(pair) = self.query {
            url.push(separator);
            url.push_str(pair);
        }
        Ok(url)
    }

    /// One attempt's request.
    fn request(&self, url: &Url, accept: Option<HeaderValue>) -> Result<reqwest::RequestBuilder> {
        let shared = &self.client.shared;
        let method = reqwest::Method::from_bytes(self.operation.method.as_bytes())
            .unwrap_or(reqwest::Method::POST);
        let mut request = match url {
            Url::Parsed(url) => shared.http.request(method, (*url).clone()),
            Url::Text(url) => shared.http.request(method, url.as_str()),
        };
        if let Some(headers) = &shared.headers {
            request = request.headers(headers.clone());
        }
        if let Some(accept) = accept {
            request = request.header(ACCEPT, accept);
        }
        Ok(match &self.body {
            Body::Empty => request,
            Body::Json(body) => {
                let media_type = self
                    .operation
                    .request
                    .map_or("application/json", |r| r.media_type);
                request
                    .header(CONTENT_TYPE, HeaderValue::from_static(media_type))
                    .body(body.clone())
            }
            Body::Form { fields, files } => {
                let mut form = reqwest::multipart::Form::new();
                for (name, text) in fields {
                    form = form.text(name.clone(), text.clone());
                }
                for (name, upload) in files.iter() {
                    form = form.part(*name, upload.part()?);
                }
                request.multipart(form)
            }
        })
    }

    /// Sends `request`: the response when its status is the operation's
    /// success, else the API's error by status.
    async fn answer(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response> {
        let response = (request.send().await).map_err(|e| connection_error(e, self.timeout()))?;
        if response.status().as_u16() == self.operation.success {
            return Ok(response);
        }
        // Boxed: the reading of an error's body is most of the state this
        // future would hold, moved and carried by every successful call.
        Err(Box::pin(self.failure(response)).await)
    }

    /// The API's error that `response` is.
    async fn failure(&self, response: reqwest::Response) -> Error {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let secret = &self.client.transport.secret;
        Error::from_api(api_error_from_text(status, &headers, text, secret))
    }
}
