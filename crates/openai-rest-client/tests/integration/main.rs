//! The client's integration tests, one binary: a test binary per file would
//! link the client, the mock and their dependencies once per file, which is
//! most of a clean `cargo test`'s build time. `from_env.rs` keeps a
//! binary of its own because it changes the process's environment.

mod arguments;
mod azure;
mod common;
mod config;
mod coverage;
mod faults;
mod openai_endpoints;
mod secrets;
