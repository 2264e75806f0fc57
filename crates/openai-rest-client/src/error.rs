//! The one error type of the crate.

use std::time::Duration;

use reqwest::StatusCode;

/// What a call answers: its value or an [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, keyed by HTTP status for API errors.
///
/// The API error variants follow the docs' error guide and the Python
/// library's error types. [`Error::is_retryable`] says which ones the client
/// retries on its own.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 400, 404 or 415: the request is malformed, names something that does
    /// not exist or has the wrong content type.
    #[error("invalid request: {0}")]
    InvalidRequest(Box<ApiError>),
    /// 401: the API key or token is wrong, revoked or missing.
    #[error("authentication failed: {0}")]
    Authentication(Box<ApiError>),
    /// 403: the key may not do this.
    #[error("permission denied: {0}")]
    PermissionDenied(Box<ApiError>),
    /// 409: a conflict with another request; try again. Retried.
    #[error("conflict, try again: {0}")]
    Conflict(Box<ApiError>),
    /// 429: too many requests or tokens per minute. Retried.
    #[error("rate limit reached: {0}")]
    RateLimit(Box<ApiError>),
    /// 429 with `insufficient_quota`: the monthly quota is spent. Not retried:
    /// waiting does not help.
    #[error("quota exceeded: {0}")]
    QuotaExceeded(Box<ApiError>),
    /// 429 "The engine is currently overloaded". Retried.
    #[error("engine overloaded: {0}")]
    EngineOverloaded(Box<ApiError>),
    /// 500 and the other 5xx statuses but 503. 500, 502 and 504 are retried.
    #[error("server error: {0}")]
    Server(Box<ApiError>),
    /// 503: the service is overloaded or down. Retried.
    #[error("service unavailable: {0}")]
    ServiceUnavailable(Box<ApiError>),
    /// Any other status, also a success status the operation does not
    /// document (a 200 where the spec says 204).
    #[error("unexpected status: {0}")]
    OtherStatus(Box<ApiError>),
    /// An `{"error": ...}` event inside a stream that had started fine; its
    /// `status` is the stream's.
    #[error("error event in the stream: {0}")]
    StreamEvent(Box<ApiError>),
    /// No answer within the timeout. Retried.
    #[error("timed out after {after:?}")]
    Timeout {
        /// The timeout that ran out.
        after: Duration,
    },
    /// The connection failed or broke before the answer was complete. Retried.
    #[error("connection failed: {0}")]
    Connection(#[source] reqwest::Error),
    /// A stream ended (or broke) before its `data: [DONE]`.
    #[error("the stream ended before `data: [DONE]`")]
    StreamEnded {
        /// What broke the connection, if it did not close cleanly.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// A success response (or stream event) that is not the documented shape.
    #[error(
        "the response is not the documented shape ({source}); body: {}",
        shorten(body)
    )]
    InvalidResponse {
        /// The HTTP status of the response.
        status: StatusCode,
        /// The whole body as received (lossy UTF-8).
        body: String,
        /// Why it does not decode.
        #[source]
        source: serde_json::Error,
    },
    /// An argument the API would refuse, caught before sending: a value out of
    /// its documented range, an upload file that cannot be read, ...
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The client's configuration is incomplete or wrong (a missing
    /// `OPENAI_API_KEY`, a bad base URL, ...).
    #[error("configuration: {0}")]
    Config(String),
    /// The operation does not exist on this client's backend: deployments on
    /// OpenAI, or chat, edits, images, moderations, engines and audio on Azure.
    #[error("{operation} is not available on {backend}")]
    Unsupported {
        /// The operationId.
        operation: &'static str,
        /// `OpenAI` or `Azure OpenAI`.
        backend: &'static str,
    },
    /// Reading or writing a local file failed, e.g. the writer of
    /// `files().content_to`.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// An error answer of the API: `{"error": {"message", "type", "param", "code"}}`
/// and what the response said around it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What went wrong, for a human. For a body that is not an error object
    /// (an HTML page from a proxy, nothing at all) a short form of the body.
    pub message: String,
    /// The body's `type`: the kind of error, e.g. `invalid_request_error`,
    /// `server_error`, `insufficient_quota`, `requests`.
    pub error_type: Option<String>,
    /// The request parameter the error is about.
    pub param: Option<String>,
    /// A machine-readable code, e.g. `invalid_api_key`, `rate_limit_exceeded`.
    pub code: Option<String>,
    /// The `x-request-id` header (`apim-request-id` on Azure), for support.
    pub request_id: Option<String>,
    /// How long the API asked to wait (`retry-after-ms` or `retry-after`).
    pub retry_after: Option<Duration>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.status)?;
        if let Some(code) = &self.code {
            write!(f, " code {code}")?;
        }
        if let Some(param) = &self.param {
            write!(f, " param {param}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " request {id}")?;
        }
        Ok(())
    }
}

impl Error {
    /// Sorts an API error by its status and body, as the table in the
    /// crate docs says.
    pub(crate) fn from_api(error: ApiError) -> Self {
        let status = error.status.as_u16();
        let is = |value: &str| {
            error.code.as_deref() == Some(value) || error.error_type.as_deref() == Some(value)
        };
        let kind = match status {
            400 | 404 | 415 => Self::InvalidRequest,
            401 => Self::Authentication,
            403 => Self::PermissionDenied,
            409 => Self::Conflict,
            429 if is("insufficient_quota") => Self::QuotaExceeded,
            429 if is("server_error") || error.message.contains("overloaded") => {
                Self::EngineOverloaded
            }
            429 => Self::RateLimit,
            503 => Self::ServiceUnavailable,
            500..=599 => Self::Server,
            _ => Self::OtherStatus,
        };
        kind(Box::new(error))
    }

    /// The API's error answer, for the variants that carry one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::InvalidRequest(e)
            | Self::Authentication(e)
            | Self::PermissionDenied(e)
            | Self::Conflict(e)
            | Self::RateLimit(e)
            | Self::QuotaExceeded(e)
            | Self::EngineOverloaded(e)
            | Self::Server(e)
            | Self::ServiceUnavailable(e)
            | Self::OtherStatus(e)
            | Self::StreamEvent(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of the response the error came from, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::InvalidResponse { status, .. } => Some(*status),
            _ => self.api_error().map(|e| e.status),
        }
    }

    /// The request id of the response the error came from, if it had one.
    pub fn request_id(&self) -> Option<&str> {
        self.api_error()?.request_id.as_deref()
    }

    /// Whether trying again may succeed, which is when the client retries on
    /// its own: timeouts, connection failures, 409, 429 (but not
    /// `insufficient_quota`), 500, 502, 503 and 504.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout { .. }
            | Self::Connection(_)
            | Self::Conflict(_)
            | Self::RateLimit(_)
            | Self::EngineOverloaded(_)
            | Self::ServiceUnavailable(_) => true,
            Self::Server(e) => matches!(e.status.as_u16(), 500 | 502 | 504),
            _ => false,
        }
    }
}

/// At most 1000 characters of `body`, so that an HTML page does not flood a
/// log line.
pub(crate) fn shorten(body: &str) -> &str {
    match body.char_indices().nth(1000) {
        Some((end, _)) => &body[..end],
        None => body,
    }
}
