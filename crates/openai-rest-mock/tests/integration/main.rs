//! The mock's integration tests, one binary: a test binary per file would
//! link the mock and its dependencies once per file, which is most of a
//! clean `cargo test`'s build time.

mod api;
mod azure_rules;
mod common;
mod errors;
mod record;
mod slow_clients;
mod standalone;
mod state;
mod tokens;
