//! The load side of the benchmark: a closed-loop HTTP/1.1 load generator with
//! keep-alive connections, the bare server that is the limit the mock is
//! measured against, and the resident memory of a process.
//!
//! The generator uses hyper's connection-level client, one connection per
//! task: the least a load generator can do per request, so that it measures
//! the server rather than itself.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Collected, Either, Full, StreamBody};
use hyper::body::Frame;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// One request the generator sends, again and again.
#[derive(Clone, Debug)]
pub struct Shot {
    pub method: hyper::Method,
    pub path: &'static str,
    pub content_type: String,
    pub body: Bytes,
}

impl Shot {
    pub fn get(path: &'static str) -> Self {
        Self {
            method: hyper::Method::GET,
            path,
            content_type: String::new(),
            body: Bytes::new(),
        }
    }

    pub fn post(path: &'static str, json: &'static str) -> Self {
        Self::post_as(
            path,
            "application/json".into(),
            Bytes::from_static(json.as_bytes()),
        )
    }

    pub fn post_as(path: &'static str, content_type: String, body: Bytes) -> Self {
        Self {
            method: hyper::Method::POST,
            path,
            content_type,
            body,
        }
    }

    fn request(&self, addr: SocketAddr) -> Request<Full<Bytes>> {
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(self.path)
            .header(hyper::header::HOST, addr.to_string())
            .header(hyper::header::AUTHORIZATION, "Bearer sk-bench");
        if !self.body.is_empty() {
            builder = builder.header(hyper::header::CONTENT_TYPE, &self.content_type);
        }
        builder
            .body(Full::new(self.body.clone()))
            .expect("a valid request")
    }
}

/// When a load run stops.
#[derive(Clone, Copy, Debug)]
pub enum Until {
    /// After this long.
    Elapsed(Duration),
}

/// What a load run measured.
#[derive(Debug, Default)]
pub struct Load {
    pub requests: u64,
    pub failures: u64,
    pub elapsed: Duration,
    /// Latency of each successful request, in microseconds, sorted.
    pub latencies_us: Vec<u32>,
}

impl Load {
    /// Adds another run's figures to these (latencies left unsorted).
    pub fn add(&mut self, other: Load) {
        self.requests += other.requests;
        self.failures += other.failures;
        self.elapsed += other.elapsed;
        self.latencies_us.extend(other.latencies_us);
    }

    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency at quantile `q` (0..=1), in milliseconds.
    pub fn latency_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let index = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        f64::from(self.latencies_us[index]) / 1000.0
    }
}

/// Sends `shots` round-robin over `connections` keep-alive connections, each
/// waiting for its answer (body and all) before sending the next.
pub async fn closed_loop(
    addr: SocketAddr,
    shots: Arc<Vec<Shot>>,
    connections: usize,
    until: Until,
    record_latency: bool,
) -> Load {
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let (shots, sent, stop) = (shots.clone(), sent.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut load = Load::default();
            let Ok(mut sender) = connect(addr).await else {
                load.failures += 1;
                return load;
            };
            while !stop.load(Ordering::Relaxed) {
                let n = sent.fetch_add(1, Ordering::Relaxed);
                let shot = &shots[n as usize % shots.len()];
                let began = Instant::now();
                match exchange(&mut sender, shot.request(addr)).await {
                    Ok(_) => {
                        load.requests += 1;
                        if record_latency {
                            let micros = began.elapsed().as_micros();
                            load.latencies_us
                                .push(u32::try_from(micros).unwrap_or(u32::MAX));
                        }
                    }
                    Err(_) => {
                        load.failures += 1;
                        match connect(addr).await {
                            Ok(fresh) => sender = fresh,
                            Err(_) => break,
                        }
                    }
                }
            }
            load
        }));
    }
    let Until::Elapsed(duration) = until;
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut total = Load::default();
    for task in tasks {
        let load = task.await.expect("a load task panicked");
        total.requests += load.requests;
        total.failures += load.failures;
        total.latencies_us.extend(load.latencies_us);
    }
    total.elapsed = start.elapsed();
    total.latencies_us.sort_unstable();
    total
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> std::io::Result<Sender> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(connection);
    Ok(sender)
}

/// What the server at `addr` answers `shot`, once: its content type and
/// whole body, which must be a 2xx.
pub async fn answer(addr: SocketAddr, shot: &Shot) -> Result<(String, Bytes), String> {
    let mut sender = connect(addr).await.map_err(|e| e.to_string())?;
    let (head, body) = exchange(&mut sender, shot.request(addr)).await?;
    let content_type = (head.headers.get(hyper::header::CONTENT_TYPE))
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Ok((content_type, body.to_bytes()))
}

/// One request and its whole answer, which must be a 2xx: the answer's
/// head and its body as it came.
async fn exchange(
    sender: &mut Sender,
    request: Request<Full<Bytes>>,
) -> Result<(hyper::http::response::Parts, Collected<Bytes>), String> {
    sender.ready().await.map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let (head, body) = response.into_parts();
    let body = body.collect().await.map_err(|e| e.to_string())?;
    if head.status.is_success() {
        Ok((head, body))
    } else {
        Err(format!("status {}", head.status))
    }
}

/// The limit: a hyper server on a multi-threaded runtime that answers each
/// path with fixed bytes, without routing beyond a lookup, auth, validation
/// or logging. A `text/event-stream` answer goes out one frame (one HTTP
/// chunk) per event, as the API and the mock send it, so that the limit
/// frames a stream the way the mock must.
pub async fn serve_bare(listener: TcpListener, answers: Vec<(Shot, String, Bytes)>) {
    // Split streams into their frames once, not on every request: the limit
    // must not do work the mock does not.
    let answers: Arc<Vec<(Shot, String, Reply)>> = Arc::new(
        answers
            .into_iter()
            .map(|(shot, content_type, bytes)| {
                let reply = if content_type == "text/event-stream" {
                    Reply::Events(event_frames(&bytes))
                } else {
                    Reply::Whole(bytes)
                };
                (shot, content_type, reply)
            })
            .collect(),
    );
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let answers = answers.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                    let answers = answers.clone();
                    async move {
                        let path = request.uri().path().to_owned();
                        let body = request.into_body().collect().await?.to_bytes();
                        // POST /v1/completions answers JSON or a stream depending
                        // on the body: the bare server tells them apart by bytes.
                        let answer = answers
                            .iter()
                            .find(|(shot, _, _)| shot.path == path && shot.body == body)
                            .or_else(|| answers.iter().find(|(shot, _, _)| shot.path == path));
                        let response = match answer {
                            Some((_, content_type, reply)) => {
                                let body = match reply {
                                    Reply::Whole(bytes) => Either::Left(Full::new(bytes.clone())),
                                    Reply::Events(frames) => Either::Right(events_body(frames)),
                                };
                                Response::builder()
                                    .header(hyper::header::CONTENT_TYPE, content_type.as_str())
                                    .body(body)
                            }
                            None => Response::builder()
                                .status(404)
                                .body(Either::Left(Full::new(Bytes::new()))),
                        };
                        Ok::<_, hyper::Error>(response.expect("a valid response"))
                    }
                });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

type EventsBody = StreamBody<
    futures::stream::Iter<std::vec::IntoIter<Result<Frame<Bytes>, std::convert::Infallible>>>,
>;

/// What the bare server answers: a whole body, or a stream's events.
enum Reply {
    Whole(Bytes),
    Events(Vec<Bytes>),
}

/// The events of a `text/event-stream` body, each with its blank line.
fn event_frames(bytes: &Bytes) -> Vec<Bytes> {
    let mut frames = Vec::new();
    let mut start = 0;
    while let Some(end) = bytes[start..].windows(2).position(|w| w == b"\n\n") {
        frames.push(bytes.slice(start..start + end + 2));
        start += end + 2;
    }
    frames
}

/// One frame (one HTTP chunk) per event; cloning `Bytes` copies no data.
fn events_body(frames: &[Bytes]) -> EventsBody {
    let frames: Vec<_> = frames.iter().map(|f| Ok(Frame::data(f.clone()))).collect();
    StreamBody::new(futures::stream::iter(frames))
}

/// The resident set (VmRSS) and its peak (VmHWM) of a process, in KiB, from
/// /proc (Linux).
pub fn memory_kib(pid: u32) -> std::io::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("no {name} in /proc/{pid}/status")))
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// Waits until something accepts connections on `addr`.
pub async fn wait_for_listener(addr: SocketAddr, within: Duration) -> Result<(), String> {
    let deadline = Instant::now() + within;
    loop {
        if TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("nothing listens on {addr} after {within:?}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
