//! Every operation of the specs is reachable: each raw method that
//! `openai_rest_raw::operations` lists is called somewhere in this crate, and the
//! client, its futures and its streams can cross threads.

use std::path::Path;

use openai_rest_client::fine_tunes::Event;
use openai_rest_client::types::CreateCompletionRequest;
use openai_rest_client::{Client, EventStream, Upload};
use openai_rest_raw::operations::OPERATIONS;

#[test]
fn every_raw_method_of_every_operation_is_called() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut source = String::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        source += &std::fs::read_to_string(entry.unwrap().path()).unwrap();
    }
    // A call is `.method()`, or `method` as the on_backend! macro takes it.
    let called = |method: &str| {
        source.match_indices(method).any(|(at, _)| {
            let before = source[..at].chars().next_back();
            let after = source[at + method.len()..].chars().next();
            !matches!(before, Some(c) if c.is_alphanumeric() || c == '_')
                && matches!(after, Some('(' | '.' | ')' | '\n'))
        })
    };
    let missing: Vec<String> = OPERATIONS
        .iter()
        .flat_map(|op| {
            op.raw_methods
                .iter()
                .map(move |m| format!("{:?} {:?}: {m}", op.api, op.id))
        })
        .filter(|line| !called(line.rsplit(' ').next().unwrap()))
        .collect();
    assert!(
        missing.is_empty(),
        "not reachable from the client: {missing:#?}"
    );
    assert!(OPERATIONS.len() >= 42, "{} operations", OPERATIONS.len());
}

fn send_and_sync<T: Send + Sync>(_: &T) {}
fn send<T: Send>(_: &T) {}

#[test]
fn clients_futures_and_streams_cross_threads() {
    let client = Client::builder().api_key("sk").build().unwrap();
    send_and_sync(&client);
    let request = CreateCompletionRequest::builder().model("m");
    send(&client.completions().create(request.clone()));
    send(&client.completions().create_stream(request));
    send(
        &client
            .files()
            .create(Upload::bytes(&b"x"[..], "x.jsonl"), "fine-tune"),
    );
    send(&client.fine_tunes().follow("ft", |_| {}));
    fn stream_is_send(stream: EventStream<Event>) {
        send_and_sync(&stream);
    }
    let _ = stream_is_send;
}
