//! The standalone server lets slow and idle clients go: half-open
//! connections, idle kept-alive ones and stalled uploads are closed after
//! their timeouts while other clients keep being served. The timeouts are
//! short here so that the tests take a few seconds.

use crate::common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{KEY, client, send};
use openai_rest_mock::MockOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const HALF_OPEN: usize = 300;

/// The standalone server with `options`, on a free port.
async fn serve(options: MockOptions) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(openai_rest_mock::serve(
        listener,
        options,
        std::future::pending(),
    ));
    addr
}

/// Reads until the server closes the connection (or resets it), and says
/// what it read; fails after `within`.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Vec<u8> {
    let mut read = Vec::new();
    let closed = tokio::time::timeout(within, async {
        let mut buffer = [0; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => read.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "still open after {within:?}");
    read
}

async fn models_answer_200(addr: SocketAddr) {
    let answer = send(
        client()
            .get(format!("http://{addr}/v1/models"))
            .bearer_auth(KEY),
    )
    .await;
    assert_eq!(answer.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_are_closed_after_the_header_timeout_while_others_are_served() {
    let header_timeout = Duration::from_secs(2);
    let addr = serve(
        MockOptions::default()
            .header_timeout(header_timeout)
            .idle_timeout(Duration::from_secs(30)),
    )
    .await;
    let mut half_open = Vec::new();
    for i in 0..HALF_OPEN {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // Every other one sends half a head; the rest send nothing at all.
        if i % 2 == 0 {
            stream
                .write_all(b"POST /v1/completions HTTP/1.1\r\nhost: mock\r\ncontent-le")
                .await
                .unwrap();
        }
        half_open.push((Instant::now(), stream));
    }
    // Served while they hang.
    for _ in 0..5 {
        models_answer_200(addr).await;
    }
    let served = Instant::now();
    let closed = futures::future::join_all(half_open.into_iter().map(
        |(opened, mut stream)| async move {
            let read =
                read_until_closed(&mut stream, header_timeout + Duration::from_secs(5)).await;
            assert!(
                read.is_empty(),
                "answered: {}",
                String::from_utf8_lossy(&read)
            );
            (opened, Instant::now())
        },
    ))
    .await;
    for (opened, closed) in &closed {
        let waited = *closed - *opened;
        // The server's clock starts a little after the test's.
        assert!(
            waited + Duration::from_millis(50) >= header_timeout,
            "closed after {waited:?}"
        );
        assert!(*closed > served, "closed before the others were served");
    }
    models_answer_200(addr).await;
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout_not_the_header_timeout() {
    let (header_timeout, idle_timeout) = (Duration::from_millis(300), Duration::from_millis(1200));
    let addr = serve(
        MockOptions::default()
            .header_timeout(header_timeout)
            .idle_timeout(idle_timeout),
    )
    .await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request =
        format!("GET /v1/models HTTP/1.1\r\nhost: mock\r\nauthorization: Bearer {KEY}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    assert!(read_answer(&mut stream).await.starts_with("HTTP/1.1 200"));

    // Past the header timeout, the idle connection still serves a request.
    tokio::time::sleep(header_timeout * 2).await;
    stream.write_all(request.as_bytes()).await.unwrap();
    assert!(read_answer(&mut stream).await.starts_with("HTTP/1.1 200"));
    let answered = Instant::now();

    read_until_closed(&mut stream, idle_timeout * 3).await;
    let waited = answered.elapsed();
    // The server's wait starts as it sends the answer, a little earlier.
    assert!(
        waited + Duration::from_millis(100) >= idle_timeout,
        "closed after {waited:?}"
    );
}

/// Reads one answer with a `Content-Length`: its head and body.
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut read = Vec::new();
    let mut buffer = [0; 4096];
    loop {
        let n = stream.read(&mut buffer).await.unwrap();
        assert!(n > 0, "closed mid-answer");
        read.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&read).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = (text[..end].lines())
                .find_map(|line| {
                    let line = line.to_ascii_lowercase();
                    line.strip_prefix("content-length:")?.trim().parse().ok()
                })
                .expect("a content-length");
            if read.len() >= end + 4 + length {
                return text;
            }
        }
    }
}

#[tokio::test]
async fn a_stalled_upload_is_answered_408_and_closed_after_the_body_timeout() {
    let body_timeout = Duration::from_millis(500);
    let addr = serve(MockOptions::default().body_timeout(body_timeout)).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/files HTTP/1.1\r\nhost: mock\r\nauthorization: Bearer {KEY}\r\n\
         content-type: multipart/form-data; boundary=XyZ\r\ncontent-length: 100000\r\n\r\n\
         --XyZ\r\ncontent-disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut stream, body_timeout * 6).await;
    let waited = started.elapsed();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"invalid_request_error\""), "{answer}");
    assert!(waited >= body_timeout, "answered after {waited:?}");
    models_answer_200(addr).await;
}

#[tokio::test]
async fn connections_over_the_limit_wait_until_one_closes() {
    let addr = serve(MockOptions::default().max_connections(2)).await;
    let first = TcpStream::connect(addr).await.unwrap();
    let _second = TcpStream::connect(addr).await.unwrap();
    // Let the server accept both.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiting = tokio::spawn(models_answer_200(addr));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "a third connection was served");
    drop(first);
    tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("served once a connection closed")
        .unwrap();
}

#[tokio::test]
async fn a_body_declared_over_the_limit_is_refused_before_it_is_sent() {
    let addr = serve(MockOptions::default()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/files HTTP/1.1\r\nhost: mock\r\nauthorization: Bearer {KEY}\r\n\
         content-type: multipart/form-data; boundary=XyZ\r\ncontent-length: 2000000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buffer = vec![0; 4096];
    let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buffer))
        .await
        .expect("an answer before the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&buffer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}
