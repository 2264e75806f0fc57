//! What the commands print on stdout: the API's JSON, pretty, or text as it
//! arrives (flushed at once, so that a stream shows up word by word).

use std::io::Write;

use serde::Serialize;

use crate::failure::Failure;

/// `value` as indented JSON and a newline.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::new(format!("cannot print the answer as JSON: {e}")))?;
    text_line(&text)
}

/// `value` as JSON on one line (JSON Lines, for a stream's events).
pub fn json_line<T: Serialize + ?Sized>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string(value)
        .map_err(|e| Failure::new(format!("cannot print the answer as JSON: {e}")))?;
    text_line(&text)
}

/// `text` and a newline.
pub fn text_line(text: &str) -> Result<(), Failure> {
    text_part(text)?;
    text_part("\n")
}

/// `text` as it is, flushed.
pub fn text_part(text: &str) -> Result<(), Failure> {
    bytes(text.as_bytes())
}

/// Raw bytes (a downloaded file), flushed.
pub fn bytes(bytes: &[u8]) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::new(format!("cannot write to stdout: {e}")))
}
