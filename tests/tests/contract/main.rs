//! The contract suite, one binary: a test binary per file would link the
//! client, the mock and their dependencies once per file, which is most of
//! a clean `cargo test`'s build time. `examples.rs` keeps a binary of its
//! own, with its own harness.

mod coverage;
mod docs_examples;
mod end_to_end;
mod errors;
mod fixtures;
mod record;
mod requests;
mod roundtrip;
mod story;
mod verdicts;
mod verify;
