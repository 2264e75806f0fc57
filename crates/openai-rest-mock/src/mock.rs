//! The test library: the fake API mounted on a `wiremock::MockServer`.

use std::collections::HashMap;
use std::fmt;
use std::ops::{Range, RangeFrom, RangeInclusive, RangeTo, RangeToInclusive};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use wiremock::{Match, Mock, MockServer, Respond, ResponseTemplate};

use crate::error::ApiError;
use crate::fake_api::{FakeApi, Outcome, Request};
use crate::faults::Fault;
use crate::fixtures::FixtureError;
use crate::options::MockOptions;
use crate::routes;
use openai_rest_raw::operations::OperationId;

/// The fake OpenAI and Azure OpenAI APIs on a local
/// [`wiremock::MockServer`], for tests.
///
/// Every operation answers its documented response. Your own
/// [`wiremock::Mock`]s, mounted on [`server`](OpenAiMock::server), take
/// precedence over the fixtures (their priority is always higher); faults
/// ([`fail_next`](OpenAiMock::fail_next) and the [`FAULT_HEADER`](crate::FAULT_HEADER))
/// come before both. Unmet [`expect`](OpenAiMock::expect)ations panic when
/// the mock is dropped.
pub struct OpenAiMock {
    server: MockServer,
    api: Arc<FakeApi>,
    calls: Arc<Calls>,
    expectations: Mutex<Vec<(OperationId, ExpectedCalls)>>,
}

impl OpenAiMock {
    /// Starts a mock with the default [`MockOptions`]: any key, the embedded
    /// fixtures, no latency.
    pub async fn start() -> OpenAiMock {
        OpenAiMock::start_with(MockOptions::default()).await
    }

    /// Starts a mock with `options`.
    pub async fn start_with(options: MockOptions) -> OpenAiMock {
        let server = MockServer::start().await;
        let api = Arc::new(FakeApi::new(options));
        let calls = Arc::new(Calls::default());
        // wiremock tries mocks by priority (1 first), then in mount order.
        Mock::given(CountsCalls(calls.clone()))
            .respond_with(Answers(api.clone()))
            .with_priority(1)
            .named("openai-rest-mock: counts the calls to each operation")
            .mount(&server)
            .await;
        let dropping = api.clone();
        Mock::given(DropsConnection(api.clone()))
            // An error instead of an answer makes wiremock's hyper close the
            // connection.
            .respond_with_err(move |request: &wiremock::Request| {
                // Uses up the scheduled fault, if that is where the drop came from.
                let _ = dropping.handle_whole(&view(request), &request.body);
                std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "openai-rest-mock dropped the connection (fault drop_connection)",
                )
            })
            .with_priority(1)
            .named("openai-rest-mock: drops connections")
            .mount(&server)
            .await;
        Mock::given(HasFaults(api.clone()))
            .respond_with(Answers(api.clone()))
            .with_priority(1)
            .named("openai-rest-mock: faults")
            .mount(&server)
            .await;
        Mock::given(AnyRequest)
            .respond_with(Answers(api.clone()))
            .with_priority(u8::MAX)
            .named("openai-rest-mock: fixtures")
            .mount(&server)
            .await;
        OpenAiMock {
            server,
            api,
            calls,
            expectations: Mutex::new(Vec::new()),
        }
    }

    /// The OpenAI base URL, `http://127.0.0.1:<port>/v1`.
    pub fn base_url(&self) -> String {
        format!(
            "{}{}",
            self.server.uri(),
            routes::prefix(openai_rest_raw::operations::Api::OpenAi)
        )
    }

    /// The Azure OpenAI endpoint, `http://127.0.0.1:<port>`, as the portal
    /// shows a resource's ("Keys and Endpoint"). The API is under
    /// `{endpoint}/openai`, the base URL of `openai_rest_raw::azure::Client`.
    pub fn azure_endpoint(&self) -> String {
        self.server.uri()
    }

    /// The wiremock server: mount your own [`Mock`]s on it (see
    /// [`operation`]), or read its `received_requests()`. Do not `reset()`
    /// it: that unmounts the fake API too.
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// Replaces the fixture `file_name` of `operation` for this mock only,
    /// e.g. `"response.json"` or `"stream.sse"`. Answers still reflect the
    /// request (the `model`, `n`, ...), as with the embedded fixtures.
    ///
    /// # Errors
    ///
    /// A [`FixtureError`] when the bytes do not parse as the extension says,
    /// as for [`Fixtures::set`](crate::Fixtures::set); the mock keeps its
    /// fixture then.
    pub fn set_fixture(
        &self,
        operation: OperationId,
        file_name: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<(), FixtureError> {
        self.api.set_fixture(operation, file_name, bytes.into())
    }

    /// Answers the next `calls` calls to `operation` (on either API) with
    /// `fault`, after the faults already waiting for it.
    ///
    /// wiremock cannot wait before closing a connection: here
    /// [`Fault::DropConnection`] drops it at once, whatever the delays.
    pub fn fail_next(&self, operation: OperationId, calls: u64, fault: Fault) {
        self.api.fail_next(operation, calls, fault);
    }

    /// Moves the mock's clock forward by `by`: fine-tunes and deployments
    /// move through their states as if that much time had passed. With
    /// [`MockOptions::clock_speed`]`(0.0)` this is the only thing that moves
    /// the clock, so a lifecycle test is fast and deterministic.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use openai_rest_mock::{MockOptions, OpenAiMock};
    ///
    /// let mock = OpenAiMock::start_with(MockOptions::default().clock_speed(0.0)).await;
    /// mock.advance_clock(Duration::from_secs(60));
    /// # }
    /// ```
    pub fn advance_clock(&self, by: std::time::Duration) {
        self.api.advance_clock(by);
    }

    /// Expects `operation` to be called `times` (e.g. `1`, `1..`, `2..=3`)
    /// over the mock's life, counting every call: answered, failed or
    /// dropped. Checked by [`verify`](OpenAiMock::verify) and on drop.
    pub fn expect(&self, operation: OperationId, times: impl Into<ExpectedCalls>) {
        lock(&self.expectations).push((operation, times.into()));
    }

    /// Panics, listing them, if expectations are not met.
    pub fn verify(&self) {
        let unmet: Vec<String> = lock(&self.expectations)
            .iter()
            .filter_map(|(operation, times)| {
                let calls = self.calls.of(*operation);
                (!times.contains(calls))
                    .then(|| format!("{operation}: called {calls} times, expected {times}"))
            })
            .collect();
        if !unmet.is_empty() {
            panic!(
                "openai-rest-mock expectations not met:\n- {}",
                unmet.join("\n- ")
            );
        }
    }
}

impl Drop for OpenAiMock {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.verify();
        }
    }
}

impl fmt::Debug for OpenAiMock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiMock")
            .field("uri", &self.server.uri())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How many calls an expectation wants: a number or a range of them,
/// `From` `3`, `1..`, `..=2`, `2..4`, `2..=4`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpectedCalls {
    min: u64,
    /// Inclusive; `None` for no bound.
    max: Option<u64>,
}

impl ExpectedCalls {
    fn contains(&self, calls: u64) -> bool {
        calls >= self.min && self.max.is_none_or(|max| calls <= max)
    }
}

impl fmt::Display for ExpectedCalls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.min, self.max) {
            (min, Some(max)) if min == max => write!(f, "exactly {min}"),
            (0, Some(max)) => write!(f, "at most {max}"),
            (min, Some(max)) => write!(f, "between {min} and {max}"),
            (min, None) => write!(f, "at least {min}"),
        }
    }
}

impl From<u64> for ExpectedCalls {
    fn from(calls: u64) -> Self {
        ExpectedCalls {
            min: calls,
            max: Some(calls),
        }
    }
}

impl From<Range<u64>> for ExpectedCalls {
    fn from(range: Range<u64>) -> Self {
        ExpectedCalls {
            min: range.start,
            max: Some(range.end.saturating_sub(1)),
        }
    }
}

impl From<RangeInclusive<u64>> for ExpectedCalls {
    fn from(range: RangeInclusive<u64>) -> Self {
        ExpectedCalls {
            min: *range.start(),
            max: Some(*range.end()),
        }
    }
}

impl From<RangeFrom<u64>> for ExpectedCalls {
    fn from(range: RangeFrom<u64>) -> Self {
        ExpectedCalls {
            min: range.start,
            max: None,
        }
    }
}

impl From<RangeTo<u64>> for ExpectedCalls {
    fn from(range: RangeTo<u64>) -> Self {
        ExpectedCalls {
            min: 0,
            max: Some(range.end.saturating_sub(1)),
        }
    }
}

impl From<RangeToInclusive<u64>> for ExpectedCalls {
    fn from(range: RangeToInclusive<u64>) -> Self {
        ExpectedCalls {
            min: 0,
            max: Some(range.end),
        }
    }
}

/// Matches the requests of one operation, on either API: for mounting your
/// own [`Mock`]s, e.g. an exact answer for one test.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use openai_rest_mock::{OpenAiMock, OperationId, operation};
/// use wiremock::{Mock, ResponseTemplate};
///
/// let mock = OpenAiMock::start().await;
/// Mock::given(operation(OperationId::ListModels))
///     .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
///         "object": "list",
///         "data": []
///     })))
///     .mount(mock.server())
///     .await;
/// # }
/// ```
pub fn operation(id: OperationId) -> OperationMatcher {
    OperationMatcher(id)
}

/// See [`operation`].
#[derive(Clone, Copy, Debug)]
pub struct OperationMatcher(OperationId);

impl Match for OperationMatcher {
    fn matches(&self, request: &wiremock::Request) -> bool {
        operation_of(request) == Some(self.0)
    }
}

fn operation_of(request: &wiremock::Request) -> Option<OperationId> {
    let route = routes::find(request.method.as_str(), request.url.path()).ok()?;
    Some(route.operation.id)
}

fn view(request: &wiremock::Request) -> Request<'_> {
    Request {
        method: request.method.as_str(),
        path: request.url.path(),
        query: request.url.query(),
        headers: &request.headers,
    }
}

/// The calls to each operation so far.
#[derive(Default)]
struct Calls(Mutex<HashMap<OperationId, u64>>);

impl Calls {
    fn of(&self, operation: OperationId) -> u64 {
        lock(&self.0).get(&operation).copied().unwrap_or(0)
    }
}

/// Counts the request's operation and never matches: it sees every request
/// before the mocks that answer.
struct CountsCalls(Arc<Calls>);

impl Match for CountsCalls {
    fn matches(&self, request: &wiremock::Request) -> bool {
        if let Some(operation) = operation_of(request) {
            *lock(&self.0.0).entry(operation).or_default() += 1;
        }
        false
    }
}

struct AnyRequest;

impl Match for AnyRequest {
    fn matches(&self, _: &wiremock::Request) -> bool {
        true
    }
}

/// Requests with a fault waiting: a delay or an error.
struct HasFaults(Arc<FakeApi>);

impl Match for HasFaults {
    fn matches(&self, request: &wiremock::Request) -> bool {
        !self.0.pending_faults(&view(request)).is_empty()
    }
}

/// Requests whose connection is to be dropped.
struct DropsConnection(Arc<FakeApi>);

impl Match for DropsConnection {
    fn matches(&self, request: &wiremock::Request) -> bool {
        self.0.pending_faults(&view(request)).failure == Some(Fault::DropConnection)
    }
}

/// Answers with the fake API.
struct Answers(Arc<FakeApi>);

impl Respond for Answers {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let response = match self.0.handle_whole(&view(request), &request.body) {
            Outcome::Answer(response) => response,
            // The `DropsConnection` mock sees these first, under the same
            // server lock, so they do not get here.
            Outcome::Drop { .. } => {
                return ResponseTemplate::new(400).set_body_string("drop_connection missed");
            }
        };
        let body = match response.body.whole() {
            Ok(body) => body,
            Err(error) => {
                let error = ApiError::storage(error);
                return ResponseTemplate::new(error.status).set_body_bytes(error.body().to_vec());
            }
        };
        let mut template = ResponseTemplate::new(response.status).set_body_bytes(body);
        // A zero delay would still wait for the timer's next tick.
        if !response.delay.is_zero() {
            template = template.set_delay(response.delay);
        }
        for (name, value) in response.headers {
            template = template.insert_header(name, value.as_ref());
        }
        template
    }
}

#[cfg(test)]
mod tests {
    use super::ExpectedCalls;

    #[test]
    fn times_from_numbers_and_ranges() {
        let cases: [(ExpectedCalls, &[u64], &[u64], &str); 6] = [
            (2.into(), &[2], &[1, 3], "exactly 2"),
            ((1..).into(), &[1, 9], &[0], "at least 1"),
            ((..3).into(), &[0, 2], &[3], "at most 2"),
            ((..=3).into(), &[3], &[4], "at most 3"),
            ((2..4).into(), &[2, 3], &[1, 4], "between 2 and 3"),
            ((2..=4).into(), &[2, 4], &[5], "between 2 and 4"),
        ];
        for (times, inside, outside, shown) in cases {
            assert!(inside.iter().all(|&n| times.contains(n)), "{times}");
            assert!(!outside.iter().any(|&n| times.contains(n)), "{times}");
            assert_eq!(times.to_string(), shown);
        }
    }
}
