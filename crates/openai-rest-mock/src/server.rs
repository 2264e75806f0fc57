//! The standalone server: the fake API over a plain multi-threaded hyper
//! server that records nothing, so its memory stays flat however long it
//! runs, and that streams server-sent events one frame per event.

use std::borrow::Cow;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::HeaderValue;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::MockOptions;
use crate::error::ApiError;
use crate::fake_api::{FakeApi, Outcome, Request, Response};
use crate::replies::Body;

/// The largest request body read; a larger one is answered 413.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The largest upload (a multipart body) read: the docs allow an
/// organization 1 GB of files. A body is held in memory while it is
/// answered, and let go after.
const MAX_UPLOAD_BYTES: usize = 1024 * 1024 * 1024;

/// How long a shutdown waits for the answers under way.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves the fake API on `listener` until `shutdown` completes, then stops
/// accepting connections and lets the answers under way finish (for up to
/// 10 s).
///
/// Each request is logged at `info` level with [`tracing`]: method, path,
/// status and latency, never a header. A connection that cannot be accepted
/// (reset, or out of file descriptors for a moment) is logged and skipped:
/// nothing stops the server but `shutdown`.
///
/// ```no_run
/// # #[tokio::main]
/// # async fn main() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let ctrl_c = async {
///     let _ = tokio::signal::ctrl_c().await;
/// };
/// openai_rest_mock::serve(listener, openai_rest_mock::MockOptions::default(), ctrl_c).await;
/// # Ok(())
/// # }
/// ```
pub async fn serve(
    listener: TcpListener,
    options: MockOptions,
    shutdown: impl Future<Output = ()>,
) {
    let api = Arc::new(FakeApi::new(options));
    run(listener, shutdown, move |request| {
        answer(api.clone(), request)
    })
    .await;
}

/// Serves `handler` on `listener` over HTTP/1.1 until `shutdown` completes,
/// then drains the answers under way: the loop of `serve` and `record`.
pub(crate) async fn run<H, F, B, E>(
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    handler: H,
) where
    H: Fn(hyper::Request<Incoming>) -> F + Clone + Send + 'static,
    F: Future<Output = Result<hyper::Response<B>, E>> + Send + 'static,
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // A connection that failed before it was accepted (reset,
                // or out of file descriptors for a moment).
                Err(error) => {
                    tracing::warn!("accepting a connection: {error}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = service_fn(handler.clone());
        let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A dropped connection or a client that went away: nothing to do.
            let _ = connection.await;
        });
    }
    tracing::info!("shutting down");
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("answers still under way after {SHUTDOWN_GRACE:?}, closing them");
    }
}

/// The most of a request body read: an upload (a multipart body) may be
/// larger than other requests.
pub(crate) fn body_limit(headers: &hyper::HeaderMap) -> usize {
    let upload = headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"));
    if upload {
        MAX_UPLOAD_BYTES
    } else {
        MAX_BODY_BYTES
    }
}

/// The error that makes hyper close the connection without an answer.
#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dropped on purpose")
    }
}

impl std::error::Error for ConnectionDropped {}

type ResponseBody = BoxBody<Bytes, Infallible>;

async fn answer(
    api: Arc<FakeApi>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<ResponseBody>, ConnectionDropped> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let limit = body_limit(&parts.headers);
    let outcome = match Limited::new(body, limit).collect().await {
        Ok(body) => api.handle(&Request {
            method,
            path,
            query: parts.uri.query(),
            headers: &parts.headers,
            body: &body.to_bytes(),
        }),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => {
            let error = ApiError::invalid_request(
                413,
                format!("The request body is larger than {limit} bytes"),
            );
            Outcome::Respond(Response::error(&error))
        }
        // The client went away while sending.
        Err(_) => return Err(ConnectionDropped),
    };
    let response = match outcome {
        Outcome::Respond(response) => response,
        Outcome::Drop { delay } => {
            wait(delay).await;
            log(method, path, &"dropped", started);
            return Err(ConnectionDropped);
        }
    };
    wait(response.delay).await;
    let mut builder = hyper::Response::builder().status(response.status);
    for (name, value) in response.headers {
        builder = match value {
            Cow::Borrowed(value) => builder.header(name, HeaderValue::from_static(value)),
            Cow::Owned(value) => builder.header(name, value),
        };
    }
    let body = match response.body {
        Body::Full(bytes) if bytes.is_empty() => Empty::new().boxed(),
        Body::Full(bytes) => Full::new(bytes).boxed(),
        // One frame, so one HTTP chunk, per event.
        Body::Events(events) => StreamBody::new(futures::stream::iter(
            events.into_iter().map(|event| Ok(Frame::data(event))),
        ))
        .boxed(),
        Body::Live(live) => {
            use futures::StreamExt as _;
            let now = futures::stream::iter(live.now);
            let rest = futures::stream::iter(live.rest).flatten();
            let events = now.chain(rest).map(|event| Ok(Frame::data(event)));
            BodyExt::boxed(StreamBody::new(events))
        }
    };
    log(method, path, &response.status, started);
    // The names and values come from the fake API and are valid.
    builder.body(body).map_err(|_| ConnectionDropped)
}

/// Sleeps for `delay`; not at all for none, where tokio's timer would still
/// wait for its next tick (a millisecond).
async fn wait(delay: Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

/// `status` is formatted only when the line is logged.
fn log(method: &str, path: &str, status: &dyn std::fmt::Display, started: Instant) {
    let latency = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!("{method} {path} {status} {latency:.1}ms");
}
