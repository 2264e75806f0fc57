//! Helpers of the contract tests in `tests/tests/`.

pub mod arbitrary;
pub mod cases;
pub mod decode;
pub mod lossless;
pub mod wire;
