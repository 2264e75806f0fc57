//! The standalone server: the fake API over a plain multi-threaded hyper
//! server that records nothing, so its memory stays flat however long it
//! runs, and that streams server-sent events one frame per event.

use std::borrow::Cow;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::Stream;
use futures::task::AtomicWaker;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::StatusCode;
use hyper::body::{Body as _, Frame, Incoming};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulConnection;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::answer::Body;
use crate::connection::{Activity, Limits, Watched};
use crate::fake_api::{BodyError, FakeApi, MAX_BODY_BYTES, MAX_UPLOAD_BYTES, Outcome, Request};
use crate::options::MockOptions;

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
/// Slow and idle clients are let go (see [`MockOptions::header_timeout`]
/// and the options after it): a connection is closed when its request's
/// head takes too long or when it stays idle too long between requests, a
/// request body that stalls is answered 408, and at most
/// [`max_connections`](MockOptions::max_connections) are served at once
/// (the others wait to be accepted; a warning says so).
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
    let limits = options.limits;
    let api = Arc::new(FakeApi::new(options));
    run(listener, limits, shutdown, move |request| {
        answer(api.clone(), limits.body_timeout, request)
    })
    .await;
}

/// Serves `handler` on `listener` over HTTP/1.1 until `shutdown` completes,
/// then drains the answers under way: the loop of `serve` and `record`.
pub(crate) async fn run<H, F, B, E>(
    listener: TcpListener,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
    handler: H,
) where
    H: Fn(hyper::Request<Incoming>) -> F + Clone + Send + 'static,
    F: Future<Output = Result<hyper::Response<B>, E>> + Send + 'static,
    B: hyper::body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    // hyper-util's `GracefulShutdown`, less its cost per request: a
    // connection polls its shutdown signal only when the signal wakes it.
    let (drain, _) = watch::channel(());
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut at_limit = false;
    tokio::pin!(shutdown);
    loop {
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                at_limit = false;
                slot
            }
            Err(_) => {
                // Once each time the limit is reached, not per connection.
                if !at_limit {
                    tracing::warn!(
                        "{} connections open, the most allowed (--max-connections): new \
                         connections wait until one closes",
                        limits.max_connections
                    );
                    at_limit = true;
                }
                tokio::select! {
                    slot = slots.clone().acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
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
        let activity = Activity::new();
        let service = {
            let (handler, activity) = (handler.clone(), activity.clone());
            service_fn(move |request| {
                activity.busy();
                let sent = AnswerSent(activity.clone());
                let answer = handler(request);
                async move {
                    let response = answer.await?;
                    Ok::<_, E>(response.map(|body| Sending { body, _sent: sent }))
                }
            })
        };
        let io = TokioIo::new(Watched::new(stream, activity.clone()));
        let connection = http1::Builder::new().serve_connection(io, service);
        let draining = drain.subscribe();
        tokio::spawn(async move {
            let _slot = slot;
            let watchdog = activity.overstayed(&limits);
            if let Some(why) = guarded(connection, watchdog, draining).await {
                tracing::debug!("closing a connection: {why}");
            }
        });
    }
    tracing::info!("shutting down");
    drop(listener);
    let _ = drain.send(());
    // Each connection holds a receiver until it ends.
    if tokio::time::timeout(SHUTDOWN_GRACE, drain.closed())
        .await
        .is_err()
    {
        tracing::warn!("answers still under way after {SHUTDOWN_GRACE:?}, closing them");
    }
}

/// Serves `connection` until it ends, or until `watchdog` says why it is
/// to be closed (then `Some(why)`); once `draining` changes (or its sender
/// is gone), the connection finishes the answer under way and closes. The
/// receiver is held until the connection ends: the server's shutdown waits
/// for them all.
///
/// Not a `select!`: that would poll the watchdog's timer and the shutdown
/// signal on every wake of the connection, twice or more per request. They
/// are polled with a waker of their own, and only once it has been woken.
async fn guarded<C, W>(
    connection: C,
    watchdog: W,
    mut draining: watch::Receiver<()>,
) -> Option<&'static str>
where
    C: GracefulConnection,
    W: Future<Output = &'static str>,
{
    let side = Arc::new(SideWaker {
        // Polled at first, to arm them.
        woken: AtomicBool::new(true),
        task: AtomicWaker::new(),
    });
    let side_waker = Waker::from(side.clone());
    let shutdown = draining.changed();
    let mut shutting_down = false;
    tokio::pin!(connection, watchdog, shutdown);
    std::future::poll_fn(move |cx| {
        // Before the flag is read, so that no wake between the two is lost.
        side.task.register(cx.waker());
        if side.woken.swap(false, Ordering::AcqRel) {
            let mut side_cx = Context::from_waker(&side_waker);
            if let Poll::Ready(why) = watchdog.as_mut().poll(&mut side_cx) {
                return Poll::Ready(Some(why));
            }
            if !shutting_down && shutdown.as_mut().poll(&mut side_cx).is_ready() {
                shutting_down = true;
                connection.as_mut().graceful_shutdown();
            }
        }
        connection.as_mut().poll(cx).map(|_| None)
    })
    .await
}

/// The waker of a connection's watchdog and shutdown signal: it notes that
/// they are to be polled, and wakes the connection's task.
struct SideWaker {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for SideWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

/// The most of a request body read: an upload (a multipart body) may be
/// larger than other requests.
pub(crate) fn body_limit(headers: &hyper::HeaderMap) -> usize {
    let upload = headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"));
    let limit = if upload {
        MAX_UPLOAD_BYTES
    } else {
        MAX_BODY_BYTES
    };
    limit as usize
}

/// Marks its connection idle when dropped: with the answer's body, once
/// hyper has sent it.
struct AnswerSent(Arc<Activity>);

impl Drop for AnswerSent {
    fn drop(&mut self) {
        self.0.idle();
    }
}

/// An answer's body with its [`AnswerSent`]; otherwise the body itself,
/// its size (and so its `Content-Length`) included.
struct Sending<B> {
    body: B,
    _sent: AnswerSent,
}

impl<B: hyper::body::Body + Unpin> hyper::body::Body for Sending<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// A request body's data, piece by piece as it arrives: an error when it
/// sends nothing for `timeout` or breaks off; nothing after an error. (The
/// fake API sets the limits on its size.)
fn body_pieces(body: Incoming, timeout: Duration) -> BodyPieces {
    BodyPieces {
        body: Some(Unread(Some(body))),
        timeout,
        stall: None,
    }
}

/// The stream of [`body_pieces`]. A plain state machine rather than
/// `unfold`: every request with a body is read through it.
struct BodyPieces {
    /// `None` once the body has ended or failed.
    body: Option<Unread>,
    timeout: Duration,
    /// The timer of the wait for the next piece, only once the body makes
    /// us wait: most bodies arrive with their head.
    stall: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Stream for BodyPieces {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            let Some(body) = this.body.as_mut().and_then(|unread| unread.0.as_mut()) else {
                return Poll::Ready(None);
            };
            match Pin::new(body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    this.stall = None;
                    // Trailers carry nothing the API reads.
                    if let Ok(data) = frame.into_data() {
                        return Poll::Ready(Some(Ok(data)));
                    }
                }
                Poll::Ready(Some(Err(_))) => {
                    this.body = None;
                    return Poll::Ready(Some(Err(BodyError::Broken)));
                }
                Poll::Ready(None) => {
                    this.body = None;
                    return Poll::Ready(None);
                }
                Poll::Pending => {
                    let timeout = this.timeout;
                    let stall =
                        (this.stall).get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                    if stall.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    // The client is stalled: nothing to linger for.
                    if let Some(mut unread) = this.body.take() {
                        unread.0 = None;
                    }
                    return Poll::Ready(Some(Err(BodyError::Stalled(timeout))));
                }
            }
        }
    }

    /// None left once hyper says the body has ended: its last piece
    /// counted down the `Content-Length`. A whole body is then taken
    /// without a look for what follows it.
    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.body.as_ref().and_then(|unread| unread.0.as_ref()) {
            Some(body) if !body.is_end_stream() => (0, None),
            _ => (0, Some(0)),
        }
    }
}

/// How long the rest of a body left unread is read and thrown away while
/// its answer goes out.
const LINGER: Duration = Duration::from_secs(2);

/// A request body that, dropped before its end (answered from the head, or
/// too large), is read and thrown away for a while: closing a connection
/// with unread data resets it, and the client would lose the answer it has
/// not read yet (nginx's lingering close).
struct Unread(Option<Incoming>);

impl Drop for Unread {
    fn drop(&mut self) {
        if let Some(mut body) = self.0.take()
            && !body.is_end_stream()
        {
            tokio::spawn(async move {
                let _ = tokio::time::timeout(LINGER, async {
                    while let Some(Ok(_)) = body.frame().await {}
                })
                .await;
            });
        }
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

/// An answer's body as hyper sends it: a whole one (most answers) as it
/// is, without a box to allocate; the others boxed. Only a stored file's
/// bytes can fail to be read as they are sent; hyper then breaks the
/// connection off, since their `Content-Length` has gone out.
enum ResponseBody {
    Full(Full<Bytes>),
    Streamed(BoxBody<Bytes, std::io::Error>),
}

impl hyper::body::Body for ResponseBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            ResponseBody::Full(full) => Pin::new(full)
                .poll_frame(cx)
                .map_err(|never| match never {}),
            ResponseBody::Streamed(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseBody::Full(full) => full.is_end_stream(),
            ResponseBody::Streamed(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        match self {
            ResponseBody::Full(full) => full.size_hint(),
            ResponseBody::Streamed(body) => body.size_hint(),
        }
    }
}

fn streamed<B>(body: B) -> ResponseBody
where
    B: hyper::body::Body<Data = Bytes, Error = Infallible> + Send + Sync + 'static,
{
    ResponseBody::Streamed(body.map_err(|never| match never {}).boxed())
}

async fn answer(
    api: Arc<FakeApi>,
    body_timeout: Duration,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<ResponseBody>, ConnectionDropped> {
    // No clock read for a line that is not logged.
    let started = tracing::enabled!(tracing::Level::INFO).then(Instant::now);
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let head = Request {
        method,
        path,
        query: parts.uri.query(),
        headers: &parts.headers,
    };
    let outcome = api.handle(&head, body_pieces(body, body_timeout)).await;
    let response = match outcome {
        Outcome::Answer(response) => response,
        Outcome::Drop { delay } => {
            wait(delay).await;
            log(method, path, &"dropped", started);
            return Err(ConnectionDropped);
        }
    };
    wait(response.delay).await;
    // Not hyper's `Builder`, which moves the whole response along at each
    // step. The names and values come from the fake API and are valid; one
    // that is not drops the connection, as the builder's error did.
    let status = StatusCode::from_u16(response.status);
    let mut valid = true;
    let mut headers = HeaderMap::with_capacity(response.headers.len());
    for (name, value) in response.headers {
        if let Some((name, value)) = header(name, value) {
            headers.append(name, value);
        } else {
            valid = false;
        }
    }
    let body = match response.body {
        // An empty `Full` is what hyper's `Empty` is: no frame, a length of 0.
        Body::Full(bytes) => ResponseBody::Full(Full::new(bytes)),
        // One frame, so one HTTP chunk, per event.
        Body::Events(events) => streamed(StreamBody::new(futures::stream::iter(
            events.into_iter().map(|event| Ok(Frame::data(event))),
        ))),
        Body::Live(live) => {
            use futures::StreamExt as _;
            let now = futures::stream::iter(live.now);
            let rest = futures::stream::iter(live.rest).flatten();
            let events = now.chain(rest).map(|event| Ok(Frame::data(event)));
            streamed(StreamBody::new(events))
        }
        // Read on the blocking pool, piece by piece as it is sent.
        Body::File { file, size } => {
            use futures::StreamExt as _;
            headers.append(hyper::header::CONTENT_LENGTH, size.into());
            let file = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
            ResponseBody::Streamed(BodyExt::boxed(StreamBody::new(
                file.map(|piece| piece.map(Frame::data)),
            )))
        }
    };
    log(method, path, &response.status, started);
    let status = match status {
        Ok(status) if valid => status,
        _ => return Err(ConnectionDropped),
    };
    let mut built = hyper::Response::new(body);
    *built.status_mut() = status;
    *built.headers_mut() = headers;
    Ok(built)
}

/// An answer's header in hyper's types; `None` when invalid. The usual
/// names and values are constants rather than parsed, and checked, anew
/// for every answer.
fn header(name: &str, value: Cow<'static, str>) -> Option<(HeaderName, HeaderValue)> {
    use hyper::header;
    const JSON: HeaderValue = HeaderValue::from_static("application/json");
    const EVENTS: HeaderValue = HeaderValue::from_static("text/event-stream");
    let name = match name {
        "content-type" => header::CONTENT_TYPE,
        "retry-after" => header::RETRY_AFTER,
        "allow" => header::ALLOW,
        "location" => header::LOCATION,
        name => HeaderName::from_bytes(name.as_bytes()).ok()?,
    };
    let value = match value {
        Cow::Borrowed("application/json") => JSON,
        Cow::Borrowed("text/event-stream") => EVENTS,
        Cow::Borrowed(value) => HeaderValue::from_static(value),
        Cow::Owned(value) => HeaderValue::try_from(value).ok()?,
    };
    Some((name, value))
}

/// Sleeps for `delay`; not at all for none, where tokio's timer would still
/// wait for its next tick (a millisecond).
async fn wait(delay: Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

/// `status` is formatted only when the line is logged, which is when the
/// answer `started`.
fn log(method: &str, path: &str, status: &dyn std::fmt::Display, started: Option<Instant>) {
    if let Some(started) = started {
        let latency = started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!("{method} {path} {status} {latency:.1}ms");
    }
}
