//! The mock's upload rows: large multipart bodies sent as streams, so that
//! what is measured is the mock's memory, not the sender's.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

const BOUNDARY: &str = "bench-upload-boundary";

/// One training example of about 1 KiB: a valid line, so that the mock
/// checks every line of the file as it would a real one.
fn line() -> Vec<u8> {
    let prompt = "My puppy chewed my shoes, then the couch, then the remote. ".repeat(15);
    format!("{{\"prompt\": \"{prompt}->\", \"completion\": \" A tired dog is a good dog.\\n\"}}\n")
        .into_bytes()
}

/// Uploads a JSON Lines file of about `size` bytes (whole lines) to
/// `POST /v1/files` in pieces of 64 KiB; answers the size sent and the
/// `bytes` the mock answered.
pub async fn upload(addr: SocketAddr, size: u64) -> Result<(u64, u64), String> {
    let line = line();
    let piece: Bytes = line
        .iter()
        .copied()
        .cycle()
        .take(line.len() * (64 * 1024 / line.len()))
        .collect::<Vec<u8>>()
        .into();
    let pieces = size / piece.len() as u64;
    let sent = pieces * piece.len() as u64;
    let head = Bytes::from(format!(
        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n\
         --{BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"train.jsonl\"\r\n\
         content-type: application/jsonl\r\n\r\n"
    ));
    let tail = Bytes::from(format!("\r\n--{BOUNDARY}--\r\n"));
    let length = head.len() as u64 + sent + tail.len() as u64;
    let frames = std::iter::once(head)
        .chain((0..pieces).map(move |_| piece.clone()))
        .chain(std::iter::once(tail))
        .map(|bytes| Ok::<_, std::convert::Infallible>(Frame::data(bytes)));
    let body: BoxBody<Bytes, std::convert::Infallible> =
        StreamBody::new(futures::stream::iter(frames)).boxed();
    let request = hyper::Request::post("/v1/files")
        .header(hyper::header::HOST, addr.to_string())
        .header(hyper::header::AUTHORIZATION, "Bearer sk-bench")
        .header(
            hyper::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(hyper::header::CONTENT_LENGTH, length)
        .body(body)
        .map_err(|e| e.to_string())?;
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let answer = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    if !status.is_success() {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&answer)));
    }
    let answer: serde_json::Value = serde_json::from_slice(&answer).map_err(|e| e.to_string())?;
    let bytes = answer["bytes"].as_u64().ok_or("no `bytes` in the answer")?;
    Ok((sent, bytes))
}

/// A small upload as one body: a training file of `lines` lines of about
/// 1 KiB; its content type and body.
pub fn small_form(lines: usize) -> (String, Bytes) {
    let lines = line().repeat(lines);
    let mut body = format!(
        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n\
         --{BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"train.jsonl\"\r\n\r\n"
    )
    .into_bytes();
    body.extend(lines);
    body.extend(format!("\r\n--{BOUNDARY}--\r\n").bytes());
    (
        format!("multipart/form-data; boundary={BOUNDARY}"),
        body.into(),
    )
}
