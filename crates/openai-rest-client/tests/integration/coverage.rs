//! Every operation of the specs is reachable: each operation that
//! `openai_rest_raw::operations` lists is called (`call(OperationId::...)`)
//! somewhere in this crate, and the client, its futures and its streams can
//! cross threads.

use std::path::Path;

use openai_rest_client::fine_tunes::Event;
use openai_rest_client::types::CreateCompletionRequest;
use openai_rest_client::{Client, EventStream, Upload};
use openai_rest_raw::operations::OPERATIONS;

#[test]
fn every_operation_is_called() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut source = String::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        source += &std::fs::read_to_string(entry.unwrap().path()).unwrap();
    }
    // A call names its operation, and answers on whichever API the client's
    // backend has it: a name followed by anything but more of a name.
    let called = |id: &str| {
        let name = format!("OperationId::{id}");
        source.match_indices(&name).any(|(at, _)| {
            let after = source[at + name.len()..].chars().next();
            !matches!(after, Some(c) if c.is_alphanumeric() || c == '_')
        })
    };
    let missing: Vec<String> = OPERATIONS
        .iter()
        .map(|op| format!("{:?}", op.id))
        .filter(|id| !called(id))
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
