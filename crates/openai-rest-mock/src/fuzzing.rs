//! The way in for the fuzz target `mock_request` of `fuzz/` (cargo-fuzz
//! builds every crate with `--cfg fuzzing`), and its regression tests; not
//! part of the crate's API.

use std::sync::OnceLock;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::fake_api::{BodyError, FakeApi, Outcome, Request};
use crate::options::MockOptions;

/// An answer's status and body; `None` for a dropped connection.
type Answer = Option<(u16, Vec<u8>)>;

/// Checks the answer to one request, given as text after one byte that
/// sets the size of the pieces a multipart body arrives in:
///
/// ```text
/// <piece size byte>POST /v1/files?query
/// content-type: multipart/form-data; boundary=b
///
/// <body>
/// ```
///
/// Checked, of a stateless mock and of a stateful one: no panic; no 5xx
/// unless a fault header asks for one; every error in the API's shape; and
/// (stateless) a body read in pieces as it arrives (as the standalone
/// server may read it) answered as when read whole (as the test library
/// reads it).
///
/// # Panics
///
/// When the answer breaks one of these.
pub fn check_request(data: &[u8]) {
    check(mocks(), data);
}

fn check(mocks: &Mocks, data: &[u8]) {
    let Some((&piece, data)) = data.split_first() else {
        return;
    };
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let Ok(head) = std::str::from_utf8(head) else {
        return;
    };
    let mut lines = head.lines();
    let Some((method, target)) = lines.next().and_then(|line| line.split_once(' ')) else {
        return;
    };
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let mut headers = HeaderMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':')
            && let Ok(name) = HeaderName::from_bytes(name.trim().as_bytes())
            && let Ok(value) = HeaderValue::from_str(value.trim())
        {
            headers.append(name, value);
        }
    }
    // Faults armed through the admin API would make the next answers 5xx
    // on purpose, and differ between the two ways of reading.
    if path.starts_with("/__mock/faults") {
        return;
    }
    let request = Request {
        method,
        path,
        query,
        headers: &headers,
    };
    let whole = mocks.answer(&mocks.stateless, &request, body, None);
    let pieces = usize::from(piece) + 1;
    let streamed = mocks.answer(&mocks.stateless, &request, body, Some(pieces));
    let stored = mocks.answer(&mocks.stateful, &request, body, Some(pieces));
    let faulty = headers.contains_key(crate::FAULT_HEADER);
    for (status, body) in [&whole, &stored].into_iter().flatten() {
        let text = String::from_utf8_lossy(body);
        assert!(faulty || *status < 500, "{status}: {text}");
        if *status >= 400 {
            let error: serde_json::Value =
                serde_json::from_slice(body).unwrap_or_else(|e| panic!("{e}: {text}"));
            assert!(error["error"]["message"].is_string(), "{error}");
            // OpenAI's `type`, or the `code` of Azure's authoring body.
            assert!(
                error["error"]["type"].is_string() || error["error"]["code"].is_string(),
                "{error}"
            );
        }
    }
    match (&whole, &streamed) {
        (None, None) => {}
        (Some((whole, whole_body)), Some((streamed, streamed_body))) => {
            assert_eq!(whole, streamed, "read whole, then in pieces of {pieces}");
            if *whole >= 400 {
                assert_eq!(
                    String::from_utf8_lossy(whole_body),
                    String::from_utf8_lossy(streamed_body)
                );
            }
        }
        _ => panic!("dropped one way only: {whole:?} / {streamed:?}"),
    }
}

/// The mocks the requests go to: a stateless one, whose answers do not
/// depend on the requests before; and a stateful one, whose store they
/// fill (its answers are checked for their shape only).
struct Mocks {
    stateless: FakeApi,
    stateful: FakeApi,
    /// The store writes uploads on a runtime's blocking pool.
    runtime: tokio::runtime::Runtime,
}

impl Mocks {
    fn new() -> Self {
        Mocks {
            stateless: FakeApi::new(MockOptions::default().stateless(true)),
            stateful: FakeApi::new(MockOptions::default()),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
        }
    }

    /// The answer of `api` to a request whose body arrives whole
    /// (`pieces: None`, as the test library has it) or in pieces of
    /// `pieces` bytes (as the standalone server may read it).
    fn answer(
        &self,
        api: &FakeApi,
        request: &Request,
        body: &[u8],
        pieces: Option<usize>,
    ) -> Answer {
        let size = pieces.unwrap_or(body.len()).max(1);
        let pieces: Vec<Result<Bytes, BodyError>> = (body.chunks(size))
            .map(|piece| Ok(Bytes::copy_from_slice(piece)))
            .collect();
        let outcome = (self.runtime).block_on(api.handle(request, futures::stream::iter(pieces)));
        match outcome {
            Outcome::Drop { .. } => None,
            Outcome::Answer(response) => {
                let body = response.body.whole().expect("a stored file read");
                Some((response.status, body))
            }
        }
    }
}

/// The fuzz run's mocks, made once: a fuzzer runs millions of requests. The
/// stateful one's temporary directory stays behind when the fuzzer exits.
fn mocks() -> &'static Mocks {
    static MOCKS: OnceLock<Mocks> = OnceLock::new();
    MOCKS.get_or_init(Mocks::new)
}

#[cfg(test)]
mod tests {
    use super::{Mocks, check};

    fn request(pieces: u8, text: &str) -> Vec<u8> {
        let mut data = vec![pieces];
        data.extend(text.bytes());
        data
    }

    #[test]
    fn requests_read_whole_and_in_pieces_agree() {
        // The test's own mocks: their temporary directory goes with them.
        let mocks = Mocks::new();
        let upload = "POST /v1/files\nauthorization: Bearer sk-x\n\
                      content-type: multipart/form-data; boundary=b\n\n\
                      --b\r\ncontent-disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n\
                      --b\r\ncontent-disposition: form-data; name=\"file\"; filename=\"t.jsonl\"\r\n\r\n\
                      {\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": 1}\n\r\n--b--\r\n";
        for pieces in [0, 1, 2, 6, 255] {
            check(&mocks, &request(pieces, upload));
            check(&mocks, &request(pieces, &upload.replace("--b--", "--b")));
        }
        check(
            &mocks,
            &request(
                0,
                "POST /v1/completions\nauthorization: Bearer sk-x\n\n{\"model\": 1}",
            ),
        );
        check(&mocks, &request(3, "GET /v1/models\n\n"));
        // An Azure authoring error, in Azure's shape.
        check(
            &mocks,
            &request(
                0,
                "GET /openai/deployments/none?api-version=2022-12-01\napi-key: k\n\n",
            ),
        );
        check(&mocks, b"");
        check(&mocks, b"\x00\xff\xfe");
    }
}
