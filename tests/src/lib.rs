//! Helpers of the contract tests in `tests/tests/contract/`, and [`verify`], which
//! runs the same cases against a live server (`cargo xtask verify`).

pub mod arbitrary;
pub mod cases;
pub mod decode;
pub mod lossless;
pub mod verify;
pub mod wire;

/// The root README's Rust examples, compiled and run as doc tests so that
/// the first thing a user copies cannot rot.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct RootReadme;
