//! Shared helpers for the contract tests in `tests/tests/`.
