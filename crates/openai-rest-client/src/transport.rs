//! Sending: the credentials, the timeout and the retry policy
//! ([`Transport`]), and turning what the API answers into [`Error`]s.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use openai_rest_raw::operations::OperationId;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

use crate::error::{ApiError, Error, Result, shorten};

/// An API key or token. It never shows in `Debug` or `Display` output.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(Arc<str>);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(Arc::from(key.into()))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        Self::new(key)
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        Self::new(key)
    }
}

/// How a client's calls are sent: each attempt bounded by `timeout`, a
/// retryable failure tried again up to `max_retries` times after a backoff,
/// and `secret` kept out of every error.
#[derive(Clone)]
pub(crate) struct Transport {
    pub(crate) secret: ApiKey,
    pub(crate) timeout: Duration,
    pub(crate) max_retries: u32,
    /// The first wait and the most any wait can be.
    pub(crate) backoff: (Duration, Duration),
}

pub(crate) const USER_AGENT: &str = concat!("openai-rest-client/", env!("CARGO_PKG_VERSION"));

impl Transport {
    /// Sends with up to `max_retries` retries: `attempt` makes one try each
    /// time it is called (or fails before sending, e.g. an upload file that
    /// cannot be opened), bounded by the timeout.
    pub(crate) async fn send<T, F, Fut>(
        &self,
        operation: OperationId,
        max_retries: u32,
        mut attempt: F,
    ) -> Result<T>
    where
        F: FnMut() -> Result<Fut>,
        Fut: Future<Output = Result<T>>,
    {
        let mut retries = 0;
        loop {
            let error = match tokio::time::timeout(self.timeout, attempt()?).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(error)) => error,
                Err(_) => Error::Timeout {
                    after: self.timeout,
                },
            };
            if retries >= max_retries || !error.is_retryable() {
                return Err(error);
            }
            retries += 1;
            let delay = self.delay(retries, &error);
            tracing::warn!(
                operation = operation.as_str(),
                retry = retries,
                max_retries,
                delay_ms = delay.as_millis() as u64,
                %error,
                "retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// How long to wait before retry number `retry` (1-based): what the API
    /// asked for, else exponential backoff with jitter; at most the cap.
    fn delay(&self, retry: u32, error: &Error) -> Duration {
        let (first, max) = self.backoff;
        let asked = error.api_error().and_then(|e| e.retry_after);
        let delay = asked.unwrap_or_else(|| {
            let exponential = first.saturating_mul(1 << (retry - 1).min(20));
            let jittered = exponential.as_secs_f64() * (1.0 + fastrand::f64());
            Duration::try_from_secs_f64(jittered).unwrap_or(Duration::MAX)
        });
        delay.min(max)
    }
}

/// A reqwest failure as a timeout or a connection error.
pub(crate) fn connection_error(error: reqwest::Error, timeout: Duration) -> Error {
    if error.is_timeout() {
        Error::Timeout { after: timeout }
    } else {
        Error::Connection(error)
    }
}

/// An [`ApiError`] with `message` (or, when it is empty, the status's
/// reason) and what the headers say.
pub(crate) fn api_error(
    status: StatusCode,
    headers: &HeaderMap,
    message: String,
    secret: &ApiKey,
) -> ApiError {
    let message = match message.trim() {
        "" => format!("{status} with no error body"),
        text => shorten(text).to_string(),
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    ApiError {
        status,
        message: redact(message, secret),
        error_type: None,
        param: None,
        code: None,
        request_id: header("x-request-id")
            .or_else(|| header("apim-request-id"))
            .map(str::to_string),
        retry_after: retry_after(headers),
    }
}

/// [`api_error`] with the fields of the API's error object.
pub(crate) fn api_error_from_body(
    status: StatusCode,
    headers: &HeaderMap,
    body: openai_rest_raw::types::Error,
    secret: &ApiKey,
) -> ApiError {
    ApiError {
        error_type: Some(body.type_),
        param: body.param,
        code: body.code,
        ..api_error(status, headers, body.message, secret)
    }
}

/// [`api_error`] for an error body that is not OpenAI's error object: an
/// `{"error": {"message", "code", ...}}` without `type` or `param` (what
/// Azure OpenAI answers, e.g. `{"error": {"code": "DeploymentNotFound",
/// "message": ...}}`, or `{"code": "notFound", "message", "target"}` from
/// its authoring API) gives its message, code and field at fault (`param`),
/// so that an error reads the same on both backends; anything else is its
/// own (shortened) message.
pub(crate) fn api_error_from_text(
    status: StatusCode,
    headers: &HeaderMap,
    text: String,
    secret: &ApiKey,
) -> ApiError {
    #[derive(serde::Deserialize)]
    struct Body {
        error: LooseError,
    }
    #[derive(serde::Deserialize)]
    struct LooseError {
        message: String,
        #[serde(default)]
        code: Option<serde_json::Value>,
        #[serde(default, rename = "type")]
        error_type: Option<String>,
        #[serde(default)]
        param: Option<String>,
        /// Azure's authoring API names the field at fault `target`.
        #[serde(default)]
        target: Option<String>,
    }
    let Ok(Body { error }) = serde_json::from_str::<Body>(&text) else {
        return api_error(status, headers, text, secret);
    };
    let code = match error.code {
        Some(serde_json::Value::String(code)) => Some(code),
        Some(serde_json::Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    ApiError {
        error_type: error.error_type,
        param: error.param.or(error.target),
        code,
        ..api_error(status, headers, error.message, secret)
    }
}

/// The wait that `retry-after-ms` (milliseconds) or `retry-after` (seconds
/// or an HTTP date) asks for.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // A value too big for a Duration waits the most the cap allows.
    let seconds = |text: &str, scale: f64| {
        let value = text.trim().parse::<f64>().ok()? / scale;
        (value >= 0.0).then(|| Duration::try_from_secs_f64(value).unwrap_or(Duration::MAX))
    };
    if let Some(wait) = header("retry-after-ms").and_then(|text| seconds(text, 1000.0)) {
        return Some(wait);
    }
    let text = header("retry-after")?;
    seconds(text, 1.0).or_else(|| {
        let at = httpdate::parse_http_date(text).ok()?;
        Some(at.duration_since(SystemTime::now()).unwrap_or_default())
    })
}

/// An [`Error::InvalidResponse`], without the API key should the body
/// hold it (serde's message may quote the body).
pub(crate) fn invalid_response(
    status: StatusCode,
    body: String,
    source: serde_json::Error,
    secret: &ApiKey,
) -> Error {
    let reason = source.to_string();
    let source = if reason.contains(secret.expose()) {
        serde::de::Error::custom(redact(reason, secret))
    } else {
        source
    };
    Error::InvalidResponse {
        status,
        body: redact(body, secret),
        source,
    }
}

/// `text` without the API key, should a server echo it.
pub(crate) fn redact(text: String, secret: &ApiKey) -> String {
    let key = secret.expose();
    if key.is_empty() || !text.contains(key) {
        return text;
    }
    text.replace(key, "[redacted]")
}

/// Now + `wait`, or far in the future when that does not fit.
pub(crate) fn deadline(wait: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(wait)
        .unwrap_or_else(|| now + Duration::from_secs(60 * 60 * 24 * 365 * 30))
}

/// Copies `body` to `writer`; no chunk for `idle` is a timeout.
pub(crate) async fn copy<W>(body: reqwest::Response, idle: Duration, writer: &mut W) -> Result<u64>
where
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut body = body.bytes_stream();
    let mut written = 0;
    loop {
        let chunk = match tokio::time::timeout_at(deadline(idle), body.next()).await {
            Err(_) => return Err(Error::Timeout { after: idle }),
            Ok(None) => break,
            Ok(Some(chunk)) => chunk.map_err(|e| connection_error(e, idle))?,
        };
        writer.write_all(&chunk).await?;
        written += chunk.len() as u64;
    }
    writer.flush().await?;
    Ok(written)
}
