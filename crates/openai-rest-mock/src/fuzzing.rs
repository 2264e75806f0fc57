//! The way in for the fuzz target `mock_request` of `fuzz/` (cargo-fuzz
//! builds every crate with `--cfg fuzzing`), and its regression tests; not
//! part of the crate's API.

use std::convert::Infallible;
use std::sync::OnceLock;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::MockOptions;
use crate::fake_api::{FakeApi, Outcome, Request};
use crate::input::{self, FormError, RequestBody};
use crate::replies::Body;
use crate::uploads::Destination;

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
/// Checked: no panic; no 5xx unless a fault header asks for one; every
/// error in the API's shape; and a multipart body read as it arrives (as
/// the standalone server reads it) answered as when read whole (as the test
/// library reads it).
///
/// # Panics
///
/// When the answer breaks one of these.
pub fn check_request(data: &[u8]) {
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
    let whole = answer(method, path, query, &headers, body, None);
    let pieces = usize::from(piece) + 1;
    let streamed = answer(method, path, query, &headers, body, Some(pieces));
    let faulty = headers.contains_key(crate::FAULT_HEADER);
    if let Some((status, body)) = &whole {
        let text = String::from_utf8_lossy(body);
        assert!(faulty || *status < 500, "{status}: {text}");
        if *status >= 400 {
            let error: serde_json::Value =
                serde_json::from_slice(body).unwrap_or_else(|e| panic!("{e}: {text}"));
            assert!(error["error"]["message"].is_string(), "{error}");
            assert!(error["error"]["type"].is_string(), "{error}");
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

fn api() -> &'static FakeApi {
    static API: OnceLock<FakeApi> = OnceLock::new();
    API.get_or_init(|| FakeApi::new(MockOptions::default()))
}

/// The answer to a request: with its body in memory, as the test library
/// reads it (`pieces: None`), or with a multipart body read as the
/// standalone server reads it, as it arrives in pieces of `pieces` bytes.
fn answer(
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
    pieces: Option<usize>,
) -> Answer {
    let request = Request {
        method,
        path,
        query,
        headers,
        body,
    };
    let api = api();
    let outcome = match (pieces, api.accept(&request)) {
        (_, Err(outcome)) => outcome,
        (Some(size), Ok(accepted)) if input::takes_form(&accepted.route) => {
            let pieces: Vec<Result<Bytes, Infallible>> = body
                .chunks(size.max(1))
                .map(|piece| Ok(Bytes::copy_from_slice(piece)))
                .collect();
            let form = futures::executor::block_on(input::read_form(
                &accepted.route,
                headers,
                futures::stream::iter(pieces),
                &Destination::Discard,
            ));
            let form = form.map_err(|error| match error {
                FormError::Invalid(invalid) => invalid,
                FormError::Body(never) => match never {},
                FormError::Store(error) => panic!("discarding failed: {error}"),
            });
            api.respond(&request, accepted, RequestBody::Form(form))
        }
        (_, Ok(accepted)) => api.respond(&request, accepted, RequestBody::Bytes(body)),
    };
    match outcome {
        Outcome::Drop { .. } => None,
        Outcome::Respond(response) => {
            let body = match response.body {
                Body::Full(bytes) => bytes.to_vec(),
                Body::Events(events) => events.concat(),
            };
            Some((response.status, body))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_request;

    fn request(pieces: u8, text: &str) -> Vec<u8> {
        let mut data = vec![pieces];
        data.extend(text.bytes());
        data
    }

    #[test]
    fn requests_read_whole_and_in_pieces_agree() {
        let upload = "POST /v1/files\nauthorization: Bearer sk-x\n\
                      content-type: multipart/form-data; boundary=b\n\n\
                      --b\r\ncontent-disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n\
                      --b\r\ncontent-disposition: form-data; name=\"file\"; filename=\"t.jsonl\"\r\n\r\n\
                      {\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": 1}\n\r\n--b--\r\n";
        for pieces in [0, 1, 2, 6, 255] {
            check_request(&request(pieces, upload));
            check_request(&request(pieces, &upload.replace("--b--", "--b")));
        }
        check_request(&request(
            0,
            "POST /v1/completions\nauthorization: Bearer sk-x\n\n{\"model\": 1}",
        ));
        check_request(&request(3, "GET /v1/models\n\n"));
        check_request(b"");
        check_request(b"\x00\xff\xfe");
    }
}
