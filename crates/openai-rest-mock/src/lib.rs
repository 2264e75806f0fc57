#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod error;
mod fake_api;
mod faults;
mod fixtures;
mod input;
mod json;
mod mock;
mod replies;
mod routes;
mod server;
mod validate;

use std::fmt;
use std::time::Duration;

pub use faults::{FAULT_HEADER, Fault};
pub use fixtures::{FixtureError, Fixtures};
pub use mock::{OpenAiMock, OperationMatcher, Times, operation};
pub use openai_rest_raw::operations::OperationId;
pub use server::serve;

/// The mock's knobs, for [`OpenAiMock::start_with`] and [`serve`].
#[derive(Clone)]
pub struct MockOptions {
    /// The only API key let in; by default any key is. Never shown in
    /// `Debug` output or logs.
    pub api_key: Option<String>,
    /// How long every answer waits; none by default.
    pub latency: Duration,
    /// The `Retry-After` of 429 answers, sent in whole seconds (rounded
    /// up); 1 s by default.
    pub retry_after: Duration,
    /// The responses replayed; the embedded fixtures by default.
    pub fixtures: Fixtures,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            api_key: None,
            latency: Duration::ZERO,
            retry_after: Duration::from_secs(1),
            fixtures: Fixtures::default(),
        }
    }
}

impl fmt::Debug for MockOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockOptions")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("latency", &self.latency)
            .field("retry_after", &self.retry_after)
            .field("fixtures", &self.fixtures)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_api_key() {
        let options = MockOptions {
            api_key: Some("sk-secret-key-1234".into()),
            ..MockOptions::default()
        };
        let debug = format!("{options:?}");
        assert!(!debug.contains("sk-secret"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
    }
}
