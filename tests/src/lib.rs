//! Helpers of the contract tests in `tests/tests/contract/`, and [`verify`], which
//! runs the same cases against a live server (`cargo xtask verify`).

pub mod arbitrary;
pub mod cases;
pub mod decode;
pub mod lossless;
pub mod verify;
pub mod wire;

/// A plain HTTP client, for what the tests send around the client. reqwest
/// has the client's rustls without a provider here, and panics unless one is
/// installed.
pub fn http() -> openai_rest_client::reqwest::Client {
    openai_rest_client::install_tls_provider();
    openai_rest_client::reqwest::Client::new()
}

/// The root README's Rust examples, compiled and run as doc tests so that
/// the first thing a user copies cannot rot.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct RootReadme;
