//! The client's server-sent events decoder: any bytes, cut into pieces of
//! any size (the first byte sets it), decode to the same events and errors
//! as the same bytes in one piece, without a panic.
#![no_main]

use std::sync::OnceLock;

use bytes::Bytes;
use futures::StreamExt;
use libfuzzer_sys::fuzz_target;
use openai_rest_client::EventStream;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime")
    })
}

fn decode(body: &[u8], piece: usize) -> Vec<Result<serde_json::Value, String>> {
    let pieces: Vec<Result<Bytes, reqwest::Error>> = body
        .chunks(piece)
        .map(|piece| Ok(Bytes::copy_from_slice(piece)))
        .collect();
    runtime().block_on(async {
        EventStream::<serde_json::Value>::from_bytes(futures::stream::iter(pieces))
            .map(|event| event.map_err(|error| error.to_string()))
            .collect()
            .await
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&piece, body)) = data.split_first() else {
        return;
    };
    let whole = decode(body, body.len().max(1));
    let pieces = usize::from(piece % 64) + 1;
    assert_eq!(whole, decode(body, pieces), "in pieces of {pieces}");
});
