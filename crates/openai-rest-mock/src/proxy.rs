//! The recording proxy: every request goes to the real API (or any server
//! that speaks it) with the caller's own credentials, the answer goes back
//! unchanged as it arrives, and a copy of it, secrets masked, goes into a
//! directory with the layout of `fixtures/`, which `serve` replays.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use openai_rest_raw::operations::{Api, Operation, OperationId};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::connection::Limits;
use crate::error::ApiError;
use crate::fixture_writer::{self, NotWritten};
use crate::input::Input;
use crate::routes;
use crate::server;

/// The most of an answer kept for recording; a larger one (a big file's
/// content) is relayed but not recorded.
const MAX_RECORDED_BYTES: usize = 64 * 1024 * 1024;

/// Request headers not sent on: those of the connection to the proxy, which
/// the upstream connection has its own of, and `accept-encoding`, so that
/// the upstream answers bodies uncompressed and they can be recorded.
const NOT_FORWARDED: &[&str] = &[
    "accept-encoding",
    "connection",
    "content-length",
    "expect",
    "host",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Answer headers not relayed: those of the upstream connection.
const NOT_RELAYED: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The recording proxy's knobs, for [`record`]: where requests go, where
/// answers are written, and what to do with them.
///
/// ```
/// use std::time::Duration;
/// use openai_rest_mock::RecordOptions;
///
/// let options = RecordOptions::new("https://api.openai.com/v1", "recorded")
///     .keep_existing(true)
///     .timeout(Duration::from_secs(120))
///     .on_exchange(|exchange| println!("{} {} {}", exchange.method, exchange.path, exchange.status));
/// # let _ = options;
/// ```
#[derive(Clone)]
pub struct RecordOptions {
    upstream: String,
    out: PathBuf,
    keep_existing: bool,
    timeout: Duration,
    on_exchange: Option<OnExchange>,
}

type OnExchange = Arc<dyn Fn(&Exchange) + Send + Sync>;

impl RecordOptions {
    /// Sends every request to `upstream` and records the answers in `out`.
    ///
    /// `upstream` is the base URL of the API: OpenAI's
    /// `https://api.openai.com/v1`, or an Azure resource's endpoint
    /// `https://{resource}.openai.azure.com`. The proxy serves the mock's
    /// paths, OpenAI's under `/v1` and Azure's under `/openai`: a request to
    /// `/v1/models` goes to `{upstream}/models` when `upstream` has a path,
    /// and to `{upstream}/v1/models` when it has none.
    pub fn new(upstream: impl Into<String>, out: impl Into<PathBuf>) -> RecordOptions {
        RecordOptions {
            upstream: upstream.into(),
            out: out.into(),
            keep_existing: false,
            timeout: Duration::from_secs(600),
            on_exchange: None,
        }
    }

    /// Keep a file already recorded (or written by hand) instead of
    /// replacing it with the latest answer; off by default.
    pub fn keep_existing(mut self, keep: bool) -> Self {
        self.keep_existing = keep;
        self
    }

    /// How long the upstream may take to start answering, and then to send
    /// each next part of its answer; 600 s by default, the API's own limit.
    /// The caller gets a 504 when it runs out before the answer started.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Calls `f` once for every request answered, after its answer is
    /// recorded (or not): to follow a recording from a program.
    pub fn on_exchange(mut self, f: impl Fn(&Exchange) + Send + Sync + 'static) -> Self {
        self.on_exchange = Some(Arc::new(f));
        self
    }
}

impl fmt::Debug for RecordOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordOptions")
            .field("upstream", &self.upstream)
            .field("out", &self.out)
            .field("keep_existing", &self.keep_existing)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// One request the recording proxy answered, as [`RecordOptions::on_exchange`]
/// sees it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Exchange {
    /// The request's method, e.g. `POST`.
    pub method: String,
    /// The request's path as the caller sent it, e.g. `/v1/completions`.
    pub path: String,
    /// The operation of the path in the spec, if it has one.
    pub operation: Option<OperationId>,
    /// The status the caller got.
    pub status: u16,
    /// The `Content-Type` the caller got, if any.
    pub content_type: Option<String>,
    /// The body the caller got, with its secrets masked as in the recorded
    /// file: the request's key, token and organization, API keys and
    /// organization ids.
    pub body: Bytes,
    /// What became of the answer.
    pub recorded: Recorded,
}

/// What the recording proxy did with an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recorded {
    /// Written to this file of the directory, e.g.
    /// `createCompletion/stream.sse` or `errors/429_rate_limit_exceeded.json`.
    File(String),
    /// Relayed but not written, and why: a path of no operation, an answer
    /// the fixtures layout has no place for (an HTML page, a stream that
    /// broke off), a file kept by [`RecordOptions::keep_existing`], a caller
    /// that went away.
    Skipped(String),
    /// Relayed, but writing the file failed (no permission, disk full).
    WriteFailed(String),
    /// The upstream could not be reached, timed out or did not answer
    /// HTTP: the caller got a 502 or 504 in the API's error shape, and
    /// nothing was written.
    UpstreamFailed(String),
}

impl fmt::Display for Recorded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recorded::File(file) => write!(f, "recorded {file}"),
            Recorded::Skipped(why) => write!(f, "not recorded: {why}"),
            Recorded::WriteFailed(why) => write!(f, "not recorded, the write failed: {why}"),
            Recorded::UpstreamFailed(why) => write!(f, "upstream failed: {why}"),
        }
    }
}

/// Why [`record`] could not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError(String);

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RecordError {}

/// Runs the recording proxy on `listener` until `shutdown` completes, then
/// lets the answers under way finish (for up to 10 s), as [`serve`](crate::serve)
/// does.
///
/// Each request goes to the upstream with the caller's headers (its key
/// too), but those of the connection, and its answer comes back unchanged,
/// a stream event by event as the upstream sends them. Then the answer is
/// written into the directory in the layout of `fixtures/`, so that
/// `serve` with these fixtures answers the same request the same way:
///
/// - a success to `<operationId>/<case>.<ext>`: the case the mock answers
///   the request with (`response`, `stream`, `b64_json`, `srt`, ...), the
///   extension from the content type (`.json`, `.sse`, `.txt`, `.srt`,
///   `.vtt`, `.jsonl`, `.empty`);
/// - an error to `errors/<status>_<code or type>.json`.
///
/// Secrets never reach the disk: headers are not recorded, and in bodies
/// the request's key, token and `OpenAI-Organization`, API keys (`sk-...`,
/// as a 401 echoes them) and organization ids (`org-...`) become
/// `[redacted]`. Each file is written whole and renamed into place, so a
/// failure leaves the directory as it was; a later answer of the same case
/// replaces it unless [`RecordOptions::keep_existing`]. The end of an
/// answer reaches the caller once it is recorded, so a caller that has read
/// an answer finds it in the directory.
///
/// An upstream that cannot be reached or does not answer HTTP gets the
/// caller a 502, one that does not start answering within the timeout a
/// 504, each in the API's error shape, and nothing is written. Each request
/// logs one line with [`tracing`]: method, path, status, what was recorded
/// and the latency, never a header.
///
/// # Errors
///
/// A [`RecordError`] before serving anything when the upstream is not an
/// `http` or `https` base URL (with no query), or TLS cannot be set up.
///
/// ```no_run
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use openai_rest_mock::RecordOptions;
///
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let options = RecordOptions::new("https://api.openai.com/v1", "recorded");
/// let ctrl_c = async {
///     let _ = tokio::signal::ctrl_c().await;
/// };
/// // Point a client at http://127.0.0.1:8080/v1 with your own key.
/// openai_rest_mock::record(listener, options, ctrl_c).await?;
/// # Ok(())
/// # }
/// ```
pub async fn record(
    listener: TcpListener,
    options: RecordOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), RecordError> {
    let proxy = Arc::new(Proxy::new(options)?);
    server::run(listener, Limits::default(), shutdown, move |request| {
        relay(proxy.clone(), request)
    })
    .await;
    Ok(())
}

struct Proxy {
    upstream: http::Uri,
    client: UpstreamClient,
    options: RecordOptions,
}

type UpstreamClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

type ProxyBody = BoxBody<Bytes, std::io::Error>;

impl Proxy {
    fn new(options: RecordOptions) -> Result<Proxy, RecordError> {
        let invalid = |why: &str| {
            RecordError(format!(
                "the upstream `{}` {why}; e.g. https://api.openai.com/v1",
                options.upstream
            ))
        };
        let upstream = options
            .upstream
            .parse::<http::Uri>()
            .map_err(|e| invalid(&format!("is not a URL ({e})")))?;
        if !matches!(upstream.scheme_str(), Some("http" | "https")) || upstream.host().is_none() {
            return Err(invalid("is not an http or https URL"));
        }
        if upstream.query().is_some() {
            return Err(invalid("is a base URL, without a query"));
        }
        Ok(Proxy {
            upstream,
            client: http_client()?,
            options,
        })
    }

    /// Where a request to `path` goes: the path under the mock's prefix
    /// (`/v1`, `/openai`) under the upstream's path, or the whole path
    /// under an upstream without one.
    fn url(&self, path: &str, query: Option<&str>) -> String {
        let base = self.upstream.to_string();
        let base = base.trim_end_matches('/');
        let rest = match self.upstream.path() {
            "/" | "" => path,
            _ => [Api::OpenAi, Api::Azure]
                .into_iter()
                .find_map(|api| {
                    let rest = path.strip_prefix(routes::prefix(api))?;
                    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
                })
                .unwrap_or(path),
        };
        match query {
            Some(query) => format!("{base}{rest}?{query}"),
            None => format!("{base}{rest}"),
        }
    }

    /// Logs what became of an exchange and hands it to `on_exchange`.
    fn finish(&self, exchange: &Exchange, started: Instant) {
        let latency = started.elapsed().as_secs_f64() * 1000.0;
        let Exchange {
            method,
            path,
            status,
            recorded,
            ..
        } = exchange;
        match recorded {
            Recorded::File(_) => {
                tracing::info!("{method} {path} {status} {recorded} {latency:.1}ms")
            }
            Recorded::Skipped(_) => {
                tracing::warn!("{method} {path} {status} {recorded} {latency:.1}ms")
            }
            Recorded::WriteFailed(_) => {
                tracing::error!("{method} {path} {status} relayed, {recorded} {latency:.1}ms")
            }
            Recorded::UpstreamFailed(why) => tracing::error!(
                "{method} {path} answered {status}: the upstream failed: {why} {latency:.1}ms"
            ),
        }
        if let Some(on_exchange) = &self.options.on_exchange {
            on_exchange(exchange);
        }
    }
}

/// An HTTP/1.1 client for the upstream: https with rustls on ring and the
/// platform's certificates, or plain http. It follows no redirects (one
/// goes back to the caller like any answer) and has no timeout of its own
/// (streams take long; the proxy times each wait).
fn http_client() -> Result<UpstreamClient, RecordError> {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_platform_verifier(rustls::crypto::ring::default_provider())
        .map_err(|e| RecordError(format!("setting up TLS: {e}")))?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

/// Answers one request: sends it on, relays the answer as it comes, then
/// records it.
async fn relay(
    proxy: Arc<Proxy>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<ProxyBody>, Infallible> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let operation = routes::find(parts.method.as_str(), parts.uri.path())
        .ok()
        .map(|route| route.operation);
    let mut exchange = Exchange {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        operation: operation.map(|operation| operation.id),
        status: 0,
        content_type: None,
        body: Bytes::new(),
        recorded: Recorded::Skipped(String::new()),
    };
    let (upstream, request) = match forward(&proxy, parts, body, operation).await {
        Ok(sent) => sent,
        Err((error, recorded)) => {
            return Ok(answer_error(&proxy, exchange, &error, recorded, started));
        }
    };

    let (mut head, upstream) = upstream.into_parts();
    exchange.status = head.status.as_u16();
    exchange.content_type = head
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    for name in NOT_RELAYED {
        head.headers.remove(*name);
    }
    // One frame per part the upstream sends, as it sends it; a small
    // channel, so that a slow caller slows the upstream down.
    let (frames, receiver) = mpsc::channel(4);
    let body = StreamBody::new(futures::stream::unfold(receiver, |mut receiver| async {
        receiver.recv().await.map(|frame| (frame, receiver))
    }));
    tokio::spawn(async move {
        let timeout = proxy.options.timeout;
        let (recorded, last) = match relay_body(upstream, &frames, timeout).await {
            Ok(Relayed { kept, last }) => (save(&proxy, &request, &mut exchange, kept).await, last),
            Err(recorded) => (recorded, None),
        };
        exchange.recorded = recorded;
        proxy.finish(&exchange, started);
        // The caller gets the end of the answer only now, so that once it
        // has the answer, the answer is recorded.
        if let Some(last) = last {
            let _ = frames.send(Ok(Frame::data(last))).await;
        }
    });
    Ok(hyper::Response::from_parts(head, BodyExt::boxed(body)))
}

/// Reads the request and sends it to the upstream: the head of its answer
/// and what recording that answer needs; or the error the proxy answers
/// itself, and why.
async fn forward(
    proxy: &Proxy,
    parts: http::request::Parts,
    body: Incoming,
    operation: Option<&'static Operation>,
) -> Result<(hyper::Response<Incoming>, Recording), (ApiError, Recorded)> {
    let limit = server::body_limit(&parts.headers);
    let body = match Limited::new(body, limit).collect().await {
        Ok(body) => body.to_bytes(),
        Err(error) => {
            let (status, why) = if error.is::<http_body_util::LengthLimitError>() {
                (
                    413,
                    format!("The request body is larger than {limit} bytes"),
                )
            } else {
                (400, format!("The request body could not be read: {error}"))
            };
            return Err((
                ApiError::invalid_request(status, why.clone()),
                Recorded::Skipped(why),
            ));
        }
    };
    let recording = Recording {
        operation,
        input: fixture_writer::request_input(parts.uri.query(), &parts.headers, &body),
        secrets: fixture_writer::secrets(&parts.headers),
    };
    let url = proxy.url(parts.uri.path(), parts.uri.query());
    let mut request = hyper::Request::new(Full::new(body));
    *request.method_mut() = parts.method;
    *request.headers_mut() = parts.headers;
    for name in NOT_FORWARDED {
        request.headers_mut().remove(*name);
    }
    *request.uri_mut() = url.parse().map_err(|error| {
        let why = format!("{url}: {error}");
        let error = ApiError::invalid_request(400, format!("Invalid URL ({why})"));
        (error, Recorded::Skipped(why))
    })?;
    let timeout = proxy.options.timeout;
    match tokio::time::timeout(timeout, proxy.client.request(request)).await {
        Ok(Ok(answer)) => Ok((answer, recording)),
        Ok(Err(error)) => {
            let why = format!("{url}: {}", chain(&error));
            let message =
                format!("The upstream could not be reached or did not answer HTTP ({why})");
            Err((gateway_error(502, message), Recorded::UpstreamFailed(why)))
        }
        Err(_) => {
            let why = format!("{url}: no answer within {timeout:?}");
            let message = format!("The upstream did not answer in time ({why})");
            Err((gateway_error(504, message), Recorded::UpstreamFailed(why)))
        }
    }
}

/// What recording an answer needs of its request.
struct Recording {
    operation: Option<&'static Operation>,
    input: Input,
    secrets: Vec<String>,
}

/// An answer relayed to its end.
struct Relayed {
    /// Its bytes, for recording; `None` when too large to keep.
    kept: Option<Vec<u8>>,
    /// Its last part, not relayed yet, when its length was known: the
    /// caller would have the whole answer with it, before its end.
    last: Option<Bytes>,
}

/// Relays the upstream's body frame by frame, keeping a copy; `Err` when
/// it could not be relayed to its end.
async fn relay_body(
    mut upstream: Incoming,
    frames: &mpsc::Sender<Result<Frame<Bytes>, std::io::Error>>,
    timeout: Duration,
) -> Result<Relayed, Recorded> {
    let mut kept = Some(Vec::new());
    loop {
        let broken = match tokio::time::timeout(timeout, upstream.frame()).await {
            // Trailers: the API sends none, and the layout has no place.
            Ok(Some(Ok(frame))) if !frame.is_data() => continue,
            Ok(Some(Ok(frame))) => {
                let chunk = frame.into_data().unwrap_or_default();
                if let Some(copy) = &mut kept {
                    if copy.len() + chunk.len() <= MAX_RECORDED_BYTES {
                        copy.extend_from_slice(&chunk);
                    } else {
                        kept = None;
                    }
                }
                // The last part of a body of known length.
                if hyper::body::Body::is_end_stream(&upstream) {
                    let last = Some(chunk);
                    return Ok(Relayed { kept, last });
                }
                if frames.send(Ok(Frame::data(chunk))).await.is_err() {
                    return Err(Recorded::Skipped(
                        "the caller went away before the end of the answer".into(),
                    ));
                }
                continue;
            }
            Ok(None) => return Ok(Relayed { kept, last: None }),
            Ok(Some(Err(error))) => {
                format!("the upstream broke off its answer: {}", chain(&error))
            }
            Err(_) => format!("the upstream sent nothing for {timeout:?} in its answer"),
        };
        // An error frame makes the caller's connection close early.
        let _ = frames
            .send(Err(std::io::Error::other(broken.clone())))
            .await;
        return Err(Recorded::UpstreamFailed(broken));
    }
}

/// Masks and writes a relayed answer; what became of it.
async fn save(
    proxy: &Proxy,
    request: &Recording,
    exchange: &mut Exchange,
    answer: Option<Vec<u8>>,
) -> Recorded {
    let Some(answer) = answer else {
        return Recorded::Skipped(format!(
            "an answer larger than {} MiB",
            MAX_RECORDED_BYTES / 1024 / 1024
        ));
    };
    exchange.body = fixture_writer::mask(&answer, &request.secrets).into();
    let file = match fixture_writer::file_for(
        request.operation,
        &request.input,
        exchange.status,
        exchange.content_type.as_deref(),
        &exchange.body,
    ) {
        Ok(file) => file,
        Err(why) => return Recorded::Skipped(why),
    };
    let (out, keep) = (proxy.options.out.clone(), proxy.options.keep_existing);
    let (target, bytes) = (file.clone(), exchange.body.clone());
    let written =
        tokio::task::spawn_blocking(move || fixture_writer::write(&out, &target, &bytes, keep))
            .await;
    match written {
        Ok(Ok(())) => Recorded::File(file),
        Ok(Err(NotWritten::Unusable(why))) => Recorded::Skipped(why),
        Ok(Err(NotWritten::Kept(file))) => Recorded::Skipped(format!("kept {file}")),
        Ok(Err(NotWritten::Failed(why))) => Recorded::WriteFailed(why),
        Err(error) => Recorded::WriteFailed(format!("{file}: {error}")),
    }
}

/// The caller's answer when the proxy answers itself.
fn answer_error(
    proxy: &Proxy,
    mut exchange: Exchange,
    error: &ApiError,
    recorded: Recorded,
    started: Instant,
) -> hyper::Response<ProxyBody> {
    let body = error.body();
    exchange.status = error.status;
    exchange.content_type = Some("application/json".into());
    exchange.body = body.clone();
    exchange.recorded = recorded;
    proxy.finish(&exchange, started);
    let mut response = hyper::Response::new(
        Full::new(body)
            .map_err(|never: Infallible| match never {})
            .boxed(),
    );
    *response.status_mut() =
        http::StatusCode::from_u16(error.status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

fn gateway_error(status: u16, message: String) -> ApiError {
    ApiError {
        status,
        message,
        kind: "server_error",
        param: None,
        code: None,
    }
}

/// An error and its causes, `: `-separated.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(upstream: &str) -> Proxy {
        Proxy::new(RecordOptions::new(upstream, "unused")).unwrap()
    }

    #[test]
    fn paths_go_under_the_upstream_base_url() {
        let openai = proxy("https://api.openai.com/v1");
        assert_eq!(
            openai.url("/v1/models", None),
            "https://api.openai.com/v1/models"
        );
        assert_eq!(
            openai.url("/v1/files/file-1/content", Some("a=b")),
            "https://api.openai.com/v1/files/file-1/content?a=b"
        );
        let azure = proxy("https://example.openai.azure.com/");
        assert_eq!(
            azure.url(
                "/openai/deployments/d/completions",
                Some("api-version=2022-12-01")
            ),
            "https://example.openai.azure.com/openai/deployments/d/completions?api-version=2022-12-01"
        );
        let azure_base = proxy("https://example.openai.azure.com/openai");
        assert_eq!(
            azure_base.url("/openai/deployments", None),
            "https://example.openai.azure.com/openai/deployments"
        );
        // A path of neither API goes as it is.
        assert_eq!(
            openai.url("/v1models", None),
            "https://api.openai.com/v1/v1models"
        );
    }

    #[test]
    fn an_upstream_must_be_an_http_base_url() {
        for bad in [
            "api.openai.com",
            "ftp://example.com",
            "https://api.openai.com/v1?key=1",
            "http://",
        ] {
            let error = Proxy::new(RecordOptions::new(bad, "unused")).err().unwrap();
            assert!(error.to_string().contains(bad), "{error}");
        }
    }
}
