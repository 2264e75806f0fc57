//! Server-sent events: [`SseDecoder`] splits bytes into events, and
//! [`EventStream`] turns a response's events into typed items.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use openai_rest_raw::types::ErrorResponse;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use tokio::time::Sleep;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::transport::{ApiKey, api_error_from_body, deadline, invalid_response};

/// Splits a `text/event-stream` body into the data of its events, however
/// the bytes arrive in chunks.
///
/// It follows the event stream format of the HTML standard for what the
/// OpenAI API sends: `data:` lines (several make one multi-line event),
/// comment lines starting with `:`, and lines ending in `\n`, `\r\n` or `\r`.
/// The `event`, `id` and `retry` fields are read and ignored.
#[derive(Debug, Default)]
pub(crate) struct SseDecoder {
    // Bytes fed and not yet read; `read` is where the next line starts.
    buffer: Vec<u8>,
    read: usize,
    // The data of the event being read, and whether it had a `data` field.
    data: Vec<u8>,
    has_data: bool,
    // The data was handed out by `next_event` and is cleared on the next call.
    dispatched: bool,
    // The last line ended in `\r`: a `\n` right after it belongs to it.
    after_cr: bool,
}

impl SseDecoder {
    /// An empty decoder.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds the next bytes of the body.
    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        if self.read > 0 {
            self.buffer.drain(..self.read);
            self.read = 0;
        }
        self.buffer.extend_from_slice(chunk);
    }

    /// The data of the next complete event, or `None` until more bytes are
    /// fed. An event without a `data` field is skipped.
    pub(crate) fn next_event(&mut self) -> Option<&[u8]> {
        if self.dispatched {
            self.data.clear();
            self.has_data = false;
            self.dispatched = false;
        }
        loop {
            let rest = &self.buffer[self.read..];
            if self.after_cr && !rest.is_empty() {
                self.after_cr = false;
                if rest[0] == b'\n' {
                    self.read += 1;
                    continue;
                }
            }
            let end = memchr::memchr2(b'\n', b'\r', rest)?;
            let line = &rest[..end];
            self.after_cr = rest[end] == b'\r';
            self.read += end + 1;
            if line.is_empty() {
                if self.has_data {
                    self.dispatched = true;
                    return Some(&self.data);
                }
                continue;
            }
            let (field, value) = match memchr::memchr(b':', line) {
                Some(0) => continue,
                Some(colon) => {
                    let value = &line[colon + 1..];
                    (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
                }
                None => (line, &[][..]),
            };
            if field == b"data" {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
        }
    }
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>;

/// The typed events of a streamed response, ending at `data: [DONE]`.
///
/// An `{"error": ...}` event is an [`Error::StreamEvent`] item, a body that
/// ends before `[DONE]` an [`Error::StreamEnded`] item, and no bytes for the
/// client's timeout an [`Error::Timeout`] item; the stream ends after its
/// first error.
#[must_use = "a stream does nothing unless polled"]
pub struct EventStream<T> {
    body: ByteStream,
    decoder: SseDecoder,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
    secret: ApiKey,
    done: bool,
    item: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("idle", &self.idle)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<T> EventStream<T> {
    /// The typed events of any `text/event-stream` body, e.g. one relayed by
    /// a proxy or saved to a file: decoded as a response's are, with no
    /// timeout.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use openai_rest_client::EventStream;
    /// use openai_rest_client::fine_tunes::Event;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let body = "data: {\"object\": \"fine-tune-event\", \"created_at\": 1614807352, \
    ///             \"level\": \"info\", \"message\": \"Job started.\"}\n\ndata: [DONE]\n\n";
    /// let chunks = futures::stream::iter([Ok(bytes::Bytes::from(body))]);
    /// let events: Vec<_> = EventStream::<Event>::from_bytes(chunks).collect().await;
    /// assert_eq!(events.len(), 1);
    /// assert_eq!(events[0].as_ref().unwrap().message, "Job started.");
    /// # }
    /// ```
    pub fn from_bytes<S>(body: S) -> Self
    where
        S: Stream<Item = reqwest::Result<Bytes>> + Send + Sync + 'static,
    {
        EventStream {
            body: Box::pin(body),
            decoder: SseDecoder::new(),
            idle: Duration::MAX,
            timer: Box::pin(tokio::time::sleep_until(deadline(Duration::MAX))),
            // No key to keep out of error messages.
            secret: ApiKey::new(""),
            done: false,
            item: PhantomData,
        }
    }
}

impl Client {
    /// The events of a streamed response's `body`.
    pub(crate) fn event_stream<T>(&self, response: reqwest::Response) -> EventStream<T> {
        EventStream {
            body: Box::pin(response.bytes_stream()),
            decoder: SseDecoder::new(),
            idle: self.transport.timeout,
            timer: Box::pin(tokio::time::sleep_until(deadline(self.transport.timeout))),
            secret: self.transport.secret.clone(),
            done: false,
            item: PhantomData,
        }
    }
}

impl<T: DeserializeOwned> Stream for EventStream<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if let Some(data) = this.decoder.next_event() {
                if data == b"[DONE]" {
                    this.done = true;
                    return Poll::Ready(None);
                }
                let item = decode(data, &this.secret);
                this.done = item.is_err();
                return Poll::Ready(Some(item));
            }
            let error = match this.body.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    this.decoder.feed(&chunk);
                    this.timer.as_mut().reset(deadline(this.idle));
                    continue;
                }
                Poll::Ready(Some(Err(e))) if e.is_timeout() => Error::Timeout { after: this.idle },
                Poll::Ready(Some(Err(e))) => Error::StreamEnded { source: Some(e) },
                Poll::Ready(None) => Error::StreamEnded { source: None },
                Poll::Pending => match this.timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Error::Timeout { after: this.idle },
                    Poll::Pending => return Poll::Pending,
                },
            };
            this.done = true;
            return Poll::Ready(Some(Err(error)));
        }
    }
}

/// One event's data as a `T`, or the error it carries.
fn decode<T: DeserializeOwned>(data: &[u8], secret: &ApiKey) -> Result<T> {
    serde_json::from_slice(data).map_err(|source| {
        match serde_json::from_slice::<ErrorResponse>(data) {
            Ok(body) => Error::StreamEvent(Box::new(api_error_from_body(
                StatusCode::OK,
                &Default::default(),
                body.error,
                secret,
            ))),
            Err(_) => invalid_response(
                StatusCode::OK,
                String::from_utf8_lossy(data).into_owned(),
                source,
                secret,
            ),
        }
    })
}

/// The decoder: the event stream format's cases, and the same events
/// however the bytes are split into chunks.
#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::SseDecoder;

    /// The data of every event in `chunks`, fed one after the other.
    fn decode<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<Vec<u8>> {
        let mut decoder = SseDecoder::new();
        let mut events = Vec::new();
        for chunk in chunks {
            decoder.feed(chunk);
            while let Some(data) = decoder.next_event() {
                events.push(data.to_vec());
            }
        }
        events
    }

    fn decode_whole(body: &str) -> Vec<String> {
        decode([body.as_bytes()])
            .into_iter()
            .map(|data| String::from_utf8(data).unwrap())
            .collect()
    }

    #[test]
    fn data_only_events_as_openai_sends_them() {
        let body = "data: {\"a\": 1}\n\ndata: {\"b\": 2}\n\ndata: [DONE]\n\n";
        assert_eq!(decode_whole(body), ["{\"a\": 1}", "{\"b\": 2}", "[DONE]"]);
    }

    #[test]
    fn several_data_lines_make_one_event_joined_by_newlines() {
        assert_eq!(
            decode_whole("data: first\ndata: second\ndata:third\n\n"),
            ["first\nsecond\nthird"]
        );
    }

    #[test]
    fn comments_other_fields_and_events_without_data_are_skipped() {
        let body = ": keep-alive\n\nevent: ping\nid: 7\nretry: 100\n\nevent: message\ndata: x\n\n";
        assert_eq!(decode_whole(body), ["x"]);
    }

    #[test]
    fn crlf_and_cr_line_endings() {
        assert_eq!(
            decode_whole("data: a\r\n\r\ndata: b\r\rdata: c\n\n"),
            ["a", "b", "c"]
        );
    }

    #[test]
    fn only_one_space_after_the_colon_is_dropped() {
        assert_eq!(
            decode_whole("data:  two spaces\n\ndata:none\n\n"),
            [" two spaces", "none"]
        );
    }

    #[test]
    fn an_empty_data_field_is_an_empty_event() {
        assert_eq!(decode_whole("data:\n\ndata\n\n"), ["", ""]);
    }

    #[test]
    fn an_event_without_its_blank_line_is_not_complete() {
        let mut decoder = SseDecoder::new();
        decoder.feed(b"data: a\n");
        assert_eq!(decoder.next_event(), None);
        decoder.feed(b"\n");
        assert_eq!(decoder.next_event(), Some(&b"a"[..]));
    }

    #[test]
    fn a_crlf_split_between_chunks_is_one_line_end() {
        let events = decode([&b"data: a\r"[..], b"\n", b"\r", b"\n", b"data: b\r\n\r\n"]);
        assert_eq!(events, [b"a".to_vec(), b"b".to_vec()]);
    }

    /// A stream of events whose data lines are `events`, with `ending` after
    /// each line, comments and ignored fields in between.
    fn encode(events: &[Vec<String>], ending: &str, noise: bool) -> Vec<u8> {
        let mut body = String::new();
        for (number, lines) in events.iter().enumerate() {
            if noise {
                body += &format!(": comment {number}{ending}id: {number}{ending}");
            }
            for line in lines {
                body += &format!("data: {line}{ending}");
            }
            body += ending;
        }
        body.into_bytes()
    }

    fn events() -> impl Strategy<Value = Vec<Vec<String>>> {
        let line = "[^\r\n]{0,12}";
        prop::collection::vec(prop::collection::vec(line, 1..4), 0..8)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn the_same_events_however_the_bytes_are_chunked(
            events in events(),
            ending in prop::sample::select(vec!["\n", "\r\n", "\r"]),
            noise in any::<bool>(),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        ) {
            let body = encode(&events, ending, noise);
            let mut cuts: Vec<usize> = cuts.iter().map(|cut| cut.index(body.len() + 1)).collect();
            cuts.sort();
            let mut chunks = Vec::new();
            let mut start = 0;
            for cut in cuts.into_iter().chain([body.len()]) {
                chunks.push(&body[start..cut]);
                start = cut;
            }
            let expected: Vec<Vec<u8>> = events.iter().map(|lines| lines.join("\n").into_bytes()).collect();
            prop_assert_eq!(decode([&body[..]]), expected.clone());
            prop_assert_eq!(decode(chunks), expected);
        }

        #[test]
        fn one_byte_at_a_time(events in events()) {
            let body = encode(&events, "\r\n", true);
            let expected: Vec<Vec<u8>> = events.iter().map(|lines| lines.join("\n").into_bytes()).collect();
            prop_assert_eq!(decode(body.chunks(1)), expected);
        }
    }
}
