//! The mock's knobs, [`MockOptions`]: shared by the test library and the
//! standalone server, read by the modules below them, so kept apart from
//! `lib.rs`, which only declares and re-exports.

use std::fmt;
use std::time::Duration;

#[cfg(feature = "server")]
use crate::connection;
use crate::fixtures::Fixtures;
use crate::rate_limit::RateLimits;

/// The mock's knobs, for [`OpenAiMock::start_with`](crate::OpenAiMock::start_with) and `serve`: any key,
/// no latency, a 1 s `Retry-After` and the embedded fixtures unless set.
///
/// ```
/// use std::time::Duration;
/// use openai_rest_mock::MockOptions;
///
/// let options = MockOptions::default()
///     .api_key("sk-only-this-key")
///     .latency(Duration::from_millis(20));
/// # let _ = options;
/// ```
#[derive(Clone)]
pub struct MockOptions {
    pub(crate) api_key: Option<String>,
    pub(crate) latency: Duration,
    pub(crate) retry_after: Duration,
    pub(crate) fixtures: Fixtures,
    pub(crate) stateless: bool,
    pub(crate) clock_speed: f64,
    pub(crate) rate_limits: RateLimits,
    #[cfg(feature = "server")]
    pub(crate) limits: connection::Limits,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            api_key: None,
            latency: Duration::ZERO,
            retry_after: Duration::from_secs(1),
            fixtures: Fixtures::default(),
            stateless: false,
            clock_speed: 1.0,
            rate_limits: RateLimits::default(),
            #[cfg(feature = "server")]
            limits: connection::Limits::default(),
        }
    }
}

impl MockOptions {
    /// The only API key let in (by default any key is); another gets the
    /// API's 401. Never shown in `Debug` output or logs.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// How long every answer waits; none by default.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// The `Retry-After` of 429 answers, sent in whole seconds (rounded up);
    /// 1 s by default.
    pub fn retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// The responses replayed; the embedded fixtures by default (see
    /// [`Fixtures::load`] and [`Fixtures::set`]).
    pub fn fixtures(mut self, fixtures: Fixtures) -> Self {
        self.fixtures = fixtures;
        self
    }

    /// Answers every call from its fixture and remembers nothing: an upload
    /// never shows up in the list, any id is found. Off by default. This is
    /// the mode that scales across several mock processes behind a load
    /// balancer, since no process holds state the others lack.
    pub fn stateless(mut self, stateless: bool) -> Self {
        self.stateless = stateless;
        self
    }

    /// How fast the mock's clock runs against wall time: 1.0 by default (a
    /// fine-tune runs through its states in about 10 s, a deployment in
    /// about 3 s); 0.0 stops it, so that only
    /// [`OpenAiMock::advance_clock`](crate::OpenAiMock::advance_clock) moves it. Negative or not-a-number
    /// speeds count as 0, and speeds above a million as a million.
    pub fn clock_speed(mut self, speed: f64) -> Self {
        self.clock_speed = if speed.is_nan() {
            0.0
        } else {
            speed.clamp(0.0, 1e6)
        };
        self
    }

    /// Requests per minute each organization (its `OpenAI-Organization`,
    /// else its key) may send to one model, on the mock's clock, as the
    /// API's rate limits were: one more answers the API's 429 (`type`
    /// `requests`) with a `Retry-After` for when it would fit. Off by
    /// default.
    ///
    /// ```
    /// use openai_rest_mock::MockOptions;
    ///
    /// let options = MockOptions::default().requests_per_minute(3).tokens_per_minute(1000);
    /// # let _ = options;
    /// ```
    pub fn requests_per_minute(mut self, rpm: u32) -> Self {
        self.rate_limits.rpm = Some(rpm.max(1));
        self
    }

    /// Tokens per minute each organization may use of one model, counted
    /// as the API's rate-limit guide says: the prompt's tokens plus its
    /// `max_tokens` (type `tokens` in the 429). Off by default.
    pub fn tokens_per_minute(mut self, tpm: u32) -> Self {
        self.rate_limits.tpm = Some(tpm.max(1));
        self
    }

    /// The standalone server's wait for a request's head, from the
    /// connection's opening or the head's first byte: past it the connection
    /// is closed. 30 s by default.
    ///
    /// ```
    /// use std::time::Duration;
    /// use openai_rest_mock::MockOptions;
    ///
    /// let options = MockOptions::default()
    ///     .header_timeout(Duration::from_secs(5))
    ///     .idle_timeout(Duration::from_secs(10))
    ///     .body_timeout(Duration::from_secs(5))
    ///     .max_connections(256);
    /// # let _ = options;
    /// ```
    #[cfg(feature = "server")]
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_timeout = timeout;
        self
    }

    /// The standalone server's wait for the next request on a kept-alive
    /// connection: past it the connection is closed. 60 s by default.
    #[cfg(feature = "server")]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.idle_timeout = timeout;
        self
    }

    /// The longest a request body may send nothing to the standalone
    /// server: past it the answer is 408 and the connection is closed.
    /// 30 s by default.
    #[cfg(feature = "server")]
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.limits.body_timeout = timeout;
        self
    }

    /// The most connections the standalone server serves at once; more
    /// wait to be accepted until one closes, and a warning is logged. 1024
    /// by default.
    #[cfg(feature = "server")]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.limits.max_connections = connections.max(1);
        self
    }
}

impl fmt::Debug for MockOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("MockOptions");
        debug
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("latency", &self.latency)
            .field("retry_after", &self.retry_after)
            .field("fixtures", &self.fixtures)
            .field("stateless", &self.stateless)
            .field("clock_speed", &self.clock_speed)
            .field("rate_limits", &self.rate_limits);
        #[cfg(feature = "server")]
        debug.field("limits", &self.limits);
        debug.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_api_key() {
        let options = MockOptions::default().api_key("sk-secret-key-1234");
        let debug = format!("{options:?}");
        assert!(!debug.contains("sk-secret"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
    }
}
