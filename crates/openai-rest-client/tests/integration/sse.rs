//! The SSE decoder: the event stream format's cases, and the same events
//! however the bytes are split into chunks.

use openai_rest_client::sse::SseDecoder;
use proptest::prelude::*;

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
