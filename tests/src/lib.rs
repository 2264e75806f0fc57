//! Helpers of the contract tests in `tests/tests/`.

pub mod arbitrary;
pub mod cases;
pub mod wire;
