//! The transport-independent core: a request in, an answer out. The test
//! library mounts it on a `wiremock::MockServer`; the standalone server
//! serves it with hyper.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::{Stream, TryStreamExt as _};
use http::{HeaderMap, HeaderName, HeaderValue};
use openai_rest_raw::operations::{Api, OperationId};

use crate::admin::{self, Command, RequestLog};
use crate::answer::{Answer, Body};
use crate::clock::Clock;
use crate::error::ApiError;
use crate::faults::{
    self, ErrorFixture, Fault, Faults, INVALID_API_KEY, MISSING_API_KEY, Schedule,
};
use crate::fixtures::{Content, FixtureError, Fixtures};
use crate::handlers::{self, Call};
use crate::input::{self, FormError, RequestBody};
use crate::json::Json;
use crate::options::MockOptions;
use crate::params::Params;
use crate::rate_limit::RateLimiter;
use crate::routes::{self, NoRoute, Route};
use crate::store::Store;
use crate::uploads::Destination;

/// The largest request body read whole (all but uploads); a larger one is
/// answered 413.
pub(crate) const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// The largest upload (a multipart body) read: the docs allow an
/// organization 1 GB of files.
pub(crate) const MAX_UPLOAD_BYTES: u64 = 1024 * 1024 * 1024;

/// A request's head, as any transport hands it over; its body comes
/// apart, as it arrives.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Request<'a> {
    pub(crate) method: &'a str,
    /// The URL's path, still percent-encoded.
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
}

/// What becomes of a request: an answer, or a dropped connection.
#[derive(Debug)]
pub(crate) enum Outcome {
    Answer(Answer),
    /// Close the connection without an answer, after `delay`.
    Drop {
        #[cfg_attr(
            not(feature = "server"),
            expect(
                dead_code,
                reason = "only the standalone server can wait before dropping"
            )
        )]
        delay: Duration,
    },
}

/// A request let in by its head (see [`FakeApi::accept`]).
#[derive(Debug)]
pub(crate) struct Accepted {
    pub(crate) route: Route,
    /// The delay its faults add.
    delay: Duration,
}

pub(crate) struct FakeApi {
    fixtures: RwLock<Fixtures>,
    api_key: Option<String>,
    latency: Duration,
    retry_after: Duration,
    schedule: Schedule,
    /// `None` in stateless mode.
    store: Option<Arc<Store>>,
    /// The mock's time, which the store's lifecycles and the rate limits
    /// follow.
    clock: Arc<Clock>,
    limiter: RateLimiter,
    /// The last requests, for the admin API.
    log: RequestLog,
}

impl FakeApi {
    pub(crate) fn new(options: MockOptions) -> FakeApi {
        input::compile_schemas();
        let clock = Arc::new(Clock::new(options.clock_speed));
        let store =
            (!options.stateless).then(|| Arc::new(Store::new(&options.fixtures, clock.clone())));
        FakeApi {
            store,
            clock,
            limiter: RateLimiter::new(options.rate_limits),
            log: RequestLog::default(),
            fixtures: RwLock::new(options.fixtures),
            api_key: options.api_key,
            latency: options.latency,
            retry_after: options.retry_after,
            schedule: Schedule::default(),
        }
    }

    pub(crate) fn set_fixture(
        &self,
        operation: OperationId,
        file_name: &str,
        bytes: Bytes,
    ) -> Result<(), FixtureError> {
        let mut fixtures = self
            .fixtures
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        fixtures.set(operation, file_name, bytes)?;
        if let Some(store) = &self.store {
            store.fixtures_changed();
        }
        Ok(())
    }

    /// Moves the mock's clock forward; nothing to move in stateless mode.
    pub(crate) fn advance_clock(&self, by: Duration) {
        if let Some(store) = &self.store {
            store.advance_clock(by);
        }
    }

    pub(crate) fn fail_next(&self, operation: OperationId, calls: u64, fault: Fault) {
        self.schedule.push(operation, calls, fault);
    }

    /// The faults `request` will meet, without using up a scheduled one.
    pub(crate) fn pending_faults(&self, request: &Request) -> Faults {
        let route = routes::find(request.method, request.path).ok();
        self.faults(faults::from_headers(request.headers), route.as_ref(), false)
            .unwrap_or_default()
    }

    /// The request's header faults (`in_headers`); unless they name an
    /// error or a dropped connection, the next scheduled fault of its
    /// operation joins them (used up when `take`).
    fn faults(
        &self,
        in_headers: Result<Faults, String>,
        route: Option<&Route>,
        take: bool,
    ) -> Result<Faults, String> {
        let mut faults = in_headers?;
        if let (None, Some(route)) = (faults.failure, route) {
            let id = route.operation.id;
            let scheduled = if take {
                self.schedule.take(id)
            } else {
                self.schedule.peek(id)
            };
            if let Some(fault) = scheduled {
                faults.add(fault);
            }
        }
        Ok(faults)
    }

    /// Answers a request whose body is in memory: the test library's way
    /// in. Nothing in it waits but the writing of an upload to the store,
    /// on the runtime's blocking pool.
    pub(crate) fn handle_whole(&self, request: &Request, body: &[u8]) -> Outcome {
        let body = Bytes::copy_from_slice(body);
        futures::executor::block_on(self.handle(request, futures::stream::iter([Ok(body)])))
    }

    /// The one pipeline every request goes through, whatever reads it: the
    /// admin API; or the API's, by the request's head (route, faults, key),
    /// then its body (read whole, or a form as it arrives), its checks and
    /// the answer, each such request logged for the admin API.
    pub(crate) async fn handle<S>(&self, request: &Request<'_>, body: S) -> Outcome
    where
        S: Stream<Item = Result<Bytes, BodyError>> + Send + Unpin + 'static,
    {
        if let Some(rest) = request.path.strip_prefix(admin::PREFIX) {
            let declared = declared_length(request.headers.get(http::header::CONTENT_LENGTH));
            return match read_whole(body, declared).await {
                Ok(body) => Outcome::Answer(self.admin(request, rest, &body)),
                Err(error) => error.outcome(),
            };
        }
        let head = Head::of(request.headers);
        let outcome = match self.accept(request, &head) {
            Ok(accepted) => {
                let declared = declared_length(head.content_length);
                self.respond(request, declared, accepted, body).await
            }
            // The body is dropped unread.
            Err(refused) => refused,
        };
        let status = match &outcome {
            Outcome::Answer(answer) => Some(answer.status),
            Outcome::Drop { .. } => None,
        };
        self.log
            .push(request.method, request.path, request.query, status);
        outcome
    }

    /// The admin API: see the `admin` module.
    fn admin(&self, request: &Request, rest: &str, body: &[u8]) -> Answer {
        let command = match admin::command(request.method, rest, request.query, body) {
            Ok(command) => command,
            Err(error) if error.status == 405 => {
                let mut answer = Answer::error(&error);
                answer.headers.push(("allow", "POST".into()));
                return answer;
            }
            Err(error) => return Answer::error(&error),
        };
        let body = match (command, &self.store) {
            (Command::Faults(operation, calls, fault), _) => {
                self.fail_next(operation, calls, fault);
                return Answer::no_content();
            }
            (Command::Requests(limit), _) => self.log.last(limit),
            (Command::RateLimits(limits), _) => {
                self.limiter.set_limits(limits);
                return Answer::no_content();
            }
            (Command::Reset | Command::Advance(_), None) => {
                return Answer::error(&ApiError::invalid_request(
                    400,
                    "The mock is stateless (--stateless): it has no state to reset and no clock",
                ));
            }
            (Command::Reset, Some(store)) => {
                let fixtures = self.fixtures.read().unwrap_or_else(PoisonError::into_inner);
                store.reset(&fixtures);
                self.limiter.clear();
                Json::Object(vec![("reset".into(), Json::Bool(true))])
            }
            (Command::Advance(by), Some(store)) => {
                store.advance_clock(by);
                Json::Object(vec![(
                    "advanced_seconds".into(),
                    Json::Number(
                        serde_json::Number::from_f64(by.as_secs_f64()).unwrap_or_else(|| 0.into()),
                    ),
                )])
            }
        };
        Answer {
            status: 200,
            headers: vec![("content-type", "application/json".into())],
            body: Body::Full(body.to_bytes(true).into()),
            delay: Duration::ZERO,
        }
    }

    /// What needs only the request's head: its route, its faults and its
    /// key. Either the request is accepted, and its body is to be read, or
    /// this is the answer, whatever the body.
    fn accept(&self, request: &Request, head: &Head) -> Result<Accepted, Outcome> {
        let route = routes::find(request.method, request.path);
        let azure_authoring = route.as_ref().is_ok_and(Route::is_azure_authoring);
        let azure_inference = (route.as_ref().ok())
            .filter(|route| route.operation.api == Api::Azure && !route.is_azure_authoring())
            .map(|route| route.operation.id);
        // Most requests have no fault header: nothing to parse.
        let in_headers = if head.faults {
            faults::from_headers(request.headers)
        } else {
            Ok(Faults::default())
        };
        let faults = match self.faults(in_headers, route.as_ref().ok(), true) {
            Ok(faults) => faults,
            Err(message) => {
                let error = ApiError {
                    param: Some(faults::FAULT_HEADER.into()),
                    ..ApiError::invalid_request(400, message)
                };
                return Err(self.delayed(Answer::error(&error), Duration::ZERO));
            }
        };
        if faults.failure == Some(Fault::DropConnection) {
            return Err(Outcome::Drop {
                delay: self.latency + faults.delay,
            });
        }
        let refused = match (faults.failure.and_then(Fault::error), route) {
            (Some(error), _) => self.error(error, None),
            (None, Ok(route)) => match self.authenticate(head, route.operation.api) {
                Ok(()) => {
                    return Ok(Accepted {
                        route,
                        delay: faults.delay,
                    });
                }
                Err(answer) => answer,
            },
            (None, Err(NoRoute::NotFound)) => Answer::error(&ApiError::invalid_request(
                404,
                format!("Invalid URL ({} {})", request.method, request.path),
            )),
            (None, Err(NoRoute::MethodNotAllowed { allowed })) => {
                let mut answer = Answer::error(&ApiError::invalid_request(
                    405,
                    format!(
                        "Invalid method for URL ({} {})",
                        request.method, request.path
                    ),
                ));
                answer.headers.push(("allow", allowed.join(", ").into()));
                answer
            }
        };
        let refused = match azure_inference {
            _ if azure_authoring => in_azure_authoring_shape(refused),
            Some(operation) => in_azure_inference_shape(refused, operation),
            None => refused,
        };
        Err(self.delayed(refused, faults.delay))
    }

    /// The answer to an accepted request, from its body (`declared` is its
    /// `Content-Length`).
    async fn respond<S>(
        &self,
        request: &Request<'_>,
        declared: u64,
        accepted: Accepted,
        body: S,
    ) -> Outcome
    where
        S: Stream<Item = Result<Bytes, BodyError>> + Send + Unpin + 'static,
    {
        let route = &accepted.route;
        let shaped = |answer: Answer| match route.operation.api {
            _ if route.is_azure_authoring() => in_azure_authoring_shape(answer),
            // A rate limit is the inference gateway's own 429.
            Api::Azure => in_azure_inference_shape(answer, route.operation.id),
            Api::OpenAi => answer,
        };
        let refused = |error: ApiError| self.delayed(shaped(Answer::error(&error)), accepted.delay);
        let whole;
        let body = if input::takes_form(route) {
            // An upload: read as it arrives, its file parts written to the
            // store (or nowhere), never held whole. Boxed: the other
            // requests' answers need not carry its size.
            let destination = (self.store.as_ref())
                .map_or(Destination::Discard, |store| store.destination(route));
            let body = limited(body, MAX_UPLOAD_BYTES, declared);
            match Box::pin(input::read_form(route, request.headers, body, &destination)).await {
                Ok(form) => RequestBody::Form(form),
                Err(FormError::Invalid(invalid)) => return refused(invalid.into()),
                Err(FormError::Body(error)) => return error.outcome(),
                Err(FormError::Store(error)) => return refused(ApiError::storage(error)),
            }
        } else {
            whole = match read_whole(body, declared).await {
                Ok(whole) => whole,
                Err(error) => return error.outcome(),
            };
            RequestBody::Bytes(&whole)
        };
        let mut input = match input::read(route, request.query, body) {
            Ok(input) => input,
            Err(invalid) => return refused(invalid.into()),
        };
        let files = std::mem::take(&mut input.files);
        let fixtures = self.fixtures.read().unwrap_or_else(PoisonError::into_inner);
        // Named only for the rate limits, when they are on.
        let organization = if self.limiter.is_off() {
            String::new()
        } else {
            organization(request.headers)
        };
        let mut call = Call {
            route,
            input: &input,
            params: Params::read(&input.body),
            files,
            fixtures: &fixtures,
            store: self.store.as_ref(),
            clock: &self.clock,
            limiter: &self.limiter,
            organization: &organization,
            budget: None,
        };
        let answer = handlers::answer(&mut call);
        self.delayed(shaped(answer), accepted.delay)
    }

    fn delayed(&self, mut answer: Answer, delay: Duration) -> Outcome {
        answer.delay = self.latency + delay;
        Outcome::Answer(answer)
    }

    /// OpenAI takes `Authorization: Bearer <key>`; Azure an `api-key`
    /// header or an Azure AD token as a bearer. Any key will do unless the
    /// options name one.
    fn authenticate(&self, head: &Head, api: Api) -> Result<(), Answer> {
        // Text as `to_str` lets through (tabs and visible ASCII) has no
        // whitespace but spaces and tabs, which `trim_ascii` trims as
        // `trim` would, without looking for Unicode's.
        fn text(value: Option<&HeaderValue>) -> Option<&str> {
            value.and_then(|value| value.to_str().ok())
        }
        let bearer = text(head.authorization).and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then_some(token.trim_ascii())
        });
        let azure_key = match api {
            Api::Azure => text(head.api_key).map(str::trim_ascii),
            Api::OpenAi => None,
        };
        let key = azure_key
            .into_iter()
            .chain(bearer)
            .find(|key| !key.is_empty())
            .ok_or_else(|| self.error(MISSING_API_KEY, None))?;
        match &self.api_key {
            Some(expected) if expected != key => Err(self.error(INVALID_API_KEY, Some(&mask(key)))),
            _ => Ok(()),
        }
    }

    /// An error answer from its fixture; an invalid key's answer shows the
    /// request's key, masked.
    fn error(&self, (status, name): ErrorFixture, masked_key: Option<&str>) -> Answer {
        let fixtures = self.fixtures.read().unwrap_or_else(PoisonError::into_inner);
        let body = match (fixtures.error(name), masked_key) {
            (Some(fixture), Some(masked)) => with_key(fixture, masked),
            (Some(fixture), None) => fixture.bytes.clone(),
            // The embedded errors cannot be removed, only replaced.
            (None, _) => ApiError::invalid_request(status, name).body(),
        };
        let mut headers = vec![("content-type", "application/json".into())];
        if status == 429 {
            let seconds =
                self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0);
            headers.push(("retry-after", seconds.to_string().into()));
        }
        Answer {
            status,
            headers,
            body: Body::Full(body),
            delay: Duration::ZERO,
        }
    }
}

/// Why a request body was not read to its end.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// It is larger than this many bytes.
    TooLarge(u64),
    /// It sent nothing for this long.
    #[cfg_attr(
        not(feature = "server"),
        expect(dead_code, reason = "only the standalone server waits for a body")
    )]
    Stalled(Duration),
    /// The client went away.
    #[cfg_attr(
        not(feature = "server"),
        expect(dead_code, reason = "only the standalone server waits for a body")
    )]
    Broken,
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge(limit) => {
                write!(f, "The request body is larger than {limit} bytes")
            }
            BodyError::Stalled(timeout) => write!(
                f,
                "The request body sent nothing for {} s",
                timeout.as_secs_f64()
            ),
            BodyError::Broken => f.write_str("The connection broke while the body was read"),
        }
    }
}

impl std::error::Error for BodyError {}

impl BodyError {
    /// The answer: 413 or 408, after which the connection is closed, the
    /// body unread; none for a broken connection.
    fn outcome(&self) -> Outcome {
        let status = match self {
            BodyError::TooLarge(_) => 413,
            BodyError::Stalled(_) => 408,
            BodyError::Broken => {
                return Outcome::Drop {
                    delay: Duration::ZERO,
                };
            }
        };
        Outcome::Answer(Answer::error(&ApiError::invalid_request(
            status,
            self.to_string(),
        )))
    }
}

/// `body`, cut off with [`BodyError::TooLarge`] as soon as it grows over
/// `limit` bytes, or at once when its `Content-Length` (`declared`) says it
/// will; nothing is read after an error.
fn limited<S>(body: S, limit: u64, declared: u64) -> Limited<S> {
    Limited {
        body,
        limit,
        read: 0,
        state: if declared > limit {
            LimitState::DeclaredTooLarge
        } else {
            LimitState::Reading
        },
    }
}

/// The stream of [`limited`]. A plain state machine rather than stream
/// combinators: every request with a body is read through it.
struct Limited<S> {
    body: S,
    limit: u64,
    /// Bytes read so far.
    read: u64,
    state: LimitState,
}

#[derive(Clone, Copy, PartialEq)]
enum LimitState {
    /// The `Content-Length` is over the limit: the one item is the error.
    DeclaredTooLarge,
    Reading,
    /// Ended, or failed: nothing more is read.
    Done,
}

impl<S> Stream for Limited<S>
where
    S: Stream<Item = Result<Bytes, BodyError>> + Unpin,
{
    type Item = Result<Bytes, BodyError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        let this = &mut *self;
        let too_large = BodyError::TooLarge(this.limit);
        let item = match this.state {
            LimitState::Done => return Poll::Ready(None),
            LimitState::DeclaredTooLarge => Some(Err(too_large)),
            LimitState::Reading => match std::pin::Pin::new(&mut this.body).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(piece))) => {
                    this.read += piece.len() as u64;
                    Some(if this.read > this.limit {
                        Err(too_large)
                    } else {
                        Ok(piece)
                    })
                }
                Poll::Ready(other) => other,
            },
        };
        if !matches!(item, Some(Ok(_))) {
            this.state = LimitState::Done;
        }
        Poll::Ready(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.state {
            LimitState::Done => (0, Some(0)),
            LimitState::DeclaredTooLarge => (1, Some(1)),
            // An error may end it early, never lengthen it.
            LimitState::Reading => (0, self.body.size_hint().1),
        }
    }
}

/// The `Content-Length` a request declares (its first, as
/// `HeaderMap::get` gives it); 0 when it declares none, or one that is not
/// a number.
fn declared_length(value: Option<&HeaderValue>) -> u64 {
    (value.and_then(|value| value.to_str().ok()?.parse().ok())).unwrap_or(0)
}

/// What the pipeline reads of a request's headers, found in one pass over
/// them: most requests carry a handful, fewer than the hashed lookups that
/// would find each.
#[derive(Default)]
struct Head<'a> {
    /// Each the first of its name, as `HeaderMap::get` gives it.
    content_length: Option<&'a HeaderValue>,
    authorization: Option<&'a HeaderValue>,
    api_key: Option<&'a HeaderValue>,
    /// Whether there is an `x-mock-fault` header.
    faults: bool,
}

impl<'a> Head<'a> {
    fn of(headers: &'a HeaderMap) -> Head<'a> {
        // Names, not strings: a string name is parsed on every compare.
        const API_KEY: HeaderName = HeaderName::from_static("api-key");
        const FAULT: HeaderName = HeaderName::from_static(faults::FAULT_HEADER);
        let mut head = Head::default();
        for (name, value) in headers {
            if *name == http::header::CONTENT_LENGTH {
                head.content_length.get_or_insert(value);
            } else if *name == http::header::AUTHORIZATION {
                head.authorization.get_or_insert(value);
            } else if *name == API_KEY {
                head.api_key.get_or_insert(value);
            } else if *name == FAULT {
                head.faults = true;
            }
        }
        head
    }
}

/// A body other than an upload, whole (up to [`MAX_BODY_BYTES`]; `declared`
/// is its `Content-Length`).
async fn read_whole<S>(body: S, declared: u64) -> Result<Bytes, BodyError>
where
    S: Stream<Item = Result<Bytes, BodyError>> + Send + Unpin + 'static,
{
    let mut pieces = limited(body, MAX_BODY_BYTES, declared);
    let Some(first) = pieces.try_next().await? else {
        return Ok(Bytes::new());
    };
    // Most bodies come in one piece: no copy, and no second look when the
    // stream knows it has ended.
    if pieces.size_hint().1 == Some(0) {
        return Ok(first);
    }
    let Some(second) = pieces.try_next().await? else {
        return Ok(first);
    };
    let mut whole = BytesMut::from(&first[..]);
    whole.extend_from_slice(&second);
    while let Some(piece) = pieces.try_next().await? {
        whole.extend_from_slice(&piece);
    }
    Ok(whole.freeze())
}

/// An error answer of Azure's authoring API: its body in Azure's shape.
fn in_azure_authoring_shape(mut answer: Answer) -> Answer {
    if answer.status >= 400
        && let Body::Full(bytes) = &answer.body
        && let Some(body) = crate::error::azure_authoring_body(answer.status, bytes)
    {
        answer.body = Body::Full(body);
    }
    answer
}

/// An error answer of Azure's inference: its gateway's 401 and rate limit
/// in the gateway's body (see `azure_inference_body`).
fn in_azure_inference_shape(mut answer: Answer, operation: OperationId) -> Answer {
    // The names of Azure's inference spec (inference.json, 2022-12-01).
    let name = match operation {
        OperationId::CreateEmbedding => "Embeddings_Create",
        _ => "Completions_Create",
    };
    let retry_after = (answer.headers.iter())
        .find(|(header, _)| *header == "retry-after")
        .map(|(_, value)| value.to_string());
    if let Body::Full(bytes) = &answer.body
        && let Some(body) =
            crate::error::azure_inference_body(answer.status, bytes, name, retry_after.as_deref())
    {
        answer.body = Body::Full(body);
    }
    answer
}

/// Whom a request comes from, for the rate limits: its
/// `OpenAI-Organization`, else an organization named after its key (a hash
/// of it: the key itself never shows in an answer).
fn organization(headers: &HeaderMap) -> String {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(organization) = header("openai-organization").filter(|o| !o.trim().is_empty()) {
        return organization.trim().to_owned();
    }
    let key = header("authorization")
        .or_else(|| header("api-key"))
        .unwrap_or_default();
    let hash = crate::generation::seed(&[key.as_bytes()]);
    format!("org-{hash:016x}")
}

/// A key as the API shows it in its 401: only the first 3 and last 4
/// characters of a long key, nothing of a short one.
fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 16 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// The invalid-key fixture with the masked key the request sent in place of
/// the example's ("Incorrect API key provided: <key>. ...").
fn with_key(fixture: &crate::fixtures::Fixture, masked: &str) -> Bytes {
    let Content::Json(doc) = &fixture.content else {
        return fixture.bytes.clone();
    };
    let mut doc = doc.clone();
    let message = doc
        .get_mut("error")
        .and_then(|error| error.get_mut("message"));
    if let Some(Json::String(message)) = message {
        const BEFORE: &str = "provided: ";
        if let Some(start) = message.find(BEFORE).map(|at| at + BEFORE.len()) {
            let end = message[start..]
                .find(". ")
                .map_or(message.len(), |at| start + at);
            message.replace_range(start..end, masked);
        }
    }
    doc.to_bytes(true).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use openai_rest_raw::operations::OPERATIONS;
    use proptest::prelude::*;

    #[test]
    fn a_limited_body_ends_at_its_first_error() {
        let drain = |pieces: Vec<Result<Bytes, BodyError>>, limit: u64, declared: u64| {
            let body = limited(futures::stream::iter(pieces), limit, declared);
            let items: Vec<_> = futures::executor::block_on(futures::StreamExt::collect(body));
            items
                .into_iter()
                .map(|item| item.map(|piece| piece.len()))
                .collect::<Vec<_>>()
        };
        let piece = |text: &'static str| Ok(Bytes::from_static(text.as_bytes()));
        let broken = drain(vec![piece("ab"), Err(BodyError::Broken), piece("c")], 10, 3);
        assert!(
            matches!(broken[..], [Ok(2), Err(BodyError::Broken)]),
            "{broken:?}"
        );
        let over = drain(vec![piece("ab"), piece("cd"), piece("e")], 3, 0);
        assert!(
            matches!(over[..], [Ok(2), Err(BodyError::TooLarge(3))]),
            "{over:?}"
        );
        let declared = drain(vec![piece("ab")], 3, 4);
        assert!(
            matches!(declared[..], [Err(BodyError::TooLarge(3))]),
            "{declared:?}"
        );
        assert!(matches!(drain(vec![piece("abc")], 3, 3)[..], [Ok(3)]));
    }

    #[test]
    fn a_whole_body_is_its_pieces_joined_up_to_the_limit() {
        let read = |pieces: Vec<Bytes>, declared: Option<u64>| {
            let body = futures::stream::iter(pieces.into_iter().map(Ok));
            futures::executor::block_on(read_whole(body, declared.unwrap_or(0)))
        };
        let piece = |text: &'static str| Bytes::from_static(text.as_bytes());
        assert_eq!(read(vec![], None).unwrap(), Bytes::new());
        assert_eq!(read(vec![piece("{}")], None).unwrap(), piece("{}"));
        let joined = read(
            vec![piece(""), piece("{\"a\""), piece(""), piece(":1}")],
            None,
        );
        assert_eq!(joined.unwrap(), piece("{\"a\":1}"));
        let half = Bytes::from(vec![b' '; MAX_BODY_BYTES as usize / 2 + 1]);
        let over = read(vec![half.clone(), half.clone()], None);
        assert!(matches!(over, Err(BodyError::TooLarge(MAX_BODY_BYTES))));
        assert_eq!(read(vec![half.clone()], None).unwrap(), half);
        let declared = read(vec![piece("{}")], Some(MAX_BODY_BYTES + 1));
        assert!(matches!(declared, Err(BodyError::TooLarge(_))));
    }

    #[test]
    fn one_pass_over_the_headers_finds_what_lookups_would() {
        let mut headers = HeaderMap::new();
        headers.insert("user-agent", "x".parse().unwrap());
        headers.append("authorization", "Bearer first".parse().unwrap());
        headers.append("x-other", "y".parse().unwrap());
        headers.append("authorization", "Bearer second".parse().unwrap());
        headers.insert("content-length", "12".parse().unwrap());
        let head = Head::of(&headers);
        assert_eq!(head.authorization, headers.get("authorization"));
        assert_eq!(head.content_length, headers.get("content-length"));
        assert_eq!((head.api_key, head.faults), (None, false));
        headers.append("api-key", "k".parse().unwrap());
        headers.append(faults::FAULT_HEADER, "".parse().unwrap());
        let head = Head::of(&headers);
        assert_eq!(head.api_key, headers.get("api-key"));
        assert!(head.faults);
    }

    #[test]
    fn a_declared_length_is_a_number_or_none() {
        let declared = |text: &str| declared_length(Some(&text.parse().unwrap()));
        assert_eq!((declared("12"), declared("+7"), declared("0")), (12, 7, 0));
        for not_a_length in ["", "-1", "1e3", "12 ", "abc", "99999999999999999999"] {
            assert_eq!(declared(not_a_length), 0, "{not_a_length:?}");
        }
        assert_eq!(declared_length(None), 0);
    }

    #[test]
    fn masks_keep_at_most_seven_characters_of_a_long_key() {
        assert_eq!(
            mask("sk-abcdefghijklmnopqrstuvwxyz"),
            "sk-**********************wxyz"
        );
        assert_eq!(mask("short-key"), "*********");
    }

    /// Any JSON value, a few levels deep.
    fn any_json() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            (0u64..200).prop_map(Value::from),
            "[a-z0-9:_ -]{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                prop::collection::btree_map("[a-z_]{1,8}", inner, 0..6)
                    .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
            ]
        })
    }

    /// The request fields of the spec, so that bodies reach past the
    /// "unrecognized argument" check into the answers.
    const FIELDS: &[&str] = &[
        "model",
        "prompt",
        "n",
        "stream",
        "echo",
        "best_of",
        "stop",
        "logit_bias",
        "messages",
        "input",
        "instruction",
        "size",
        "response_format",
        "training_file",
        "scale_settings",
        "purpose",
        "max_tokens",
        "temperature",
        "user",
        "suffix",
        "logprobs",
        "n_epochs",
    ];

    /// A JSON object of spec fields with any values.
    fn spec_body() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::btree_map(prop::sample::select(FIELDS), any_json(), 0..6).prop_map(
            |fields| {
                let object: serde_json::Map<String, serde_json::Value> =
                    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
                serde_json::to_vec(&object).unwrap()
            },
        )
    }

    /// A well-formed multipart body of spec fields with any bytes.
    fn form_body() -> impl Strategy<Value = Vec<u8>> {
        let names = prop::sample::select(
            &[
                "image",
                "mask",
                "file",
                "n",
                "size",
                "prompt",
                "model",
                "purpose",
                "response_format",
            ][..],
        );
        prop::collection::vec((names, prop::collection::vec(any::<u8>(), 0..64)), 0..5).prop_map(|parts| {
            let mut body = Vec::new();
            for (name, bytes) in parts {
                body.extend(format!("--XyZ\r\ncontent-disposition: form-data; name=\"{name}\"; filename=\"f.png\"\r\n\r\n").bytes());
                body.extend(bytes);
                body.extend(b"\r\n");
            }
            body.extend(b"--XyZ--\r\n");
            body
        })
    }

    fn runtime() -> &'static tokio::runtime::Runtime {
        static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
        RUNTIME.get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
        })
    }

    fn answer_of(
        api: &FakeApi,
        method: &str,
        path: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Answer {
        let (path, query) = match path.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path, None),
        };
        let request = Request {
            method,
            path,
            query,
            headers,
        };
        // The store writes uploads on a runtime's blocking pool.
        let _runtime = runtime().enter();
        match api.handle_whole(&request, body) {
            Outcome::Answer(answer) => answer,
            Outcome::Drop { .. } => panic!("dropped without a fault: {method} {path}"),
        }
    }

    /// What the mock must never do with what a client sends: answer 5xx, or
    /// an error that is not the API's error shape (OpenAI's or Azure's).
    fn assert_client_error_or_success(answer: &Answer) -> Result<(), TestCaseError> {
        prop_assert!(answer.status < 500, "status {}", answer.status);
        if answer.status >= 400 {
            let Body::Full(body) = &answer.body else {
                return Err(TestCaseError::fail("an error that streams"));
            };
            let body: serde_json::Value = serde_json::from_slice(body).unwrap();
            prop_assert!(body["error"]["message"].is_string(), "{body}");
            // OpenAI's `type`, or the `code` of Azure's authoring body.
            prop_assert!(
                body["error"]["type"].is_string() || body["error"]["code"].is_string(),
                "{body}"
            );
        }
        Ok(())
    }

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer sk-test".parse().unwrap());
        headers.insert("api-key", "key".parse().unwrap());
        headers.insert("content-type", content_type.parse().unwrap());
        headers
    }

    /// Every operation's path, under its API, with the api-version.
    fn path_of(index: usize) -> (&'static str, String) {
        let operation = &OPERATIONS[index];
        let path = operation.path.replace(['{', '}'], "");
        let path = format!(
            "{}{path}?api-version=2022-12-01&stream=true",
            routes::prefix(operation.api)
        );
        (operation.method, path)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn arbitrary_bytes_never_get_a_5xx(index in 0..OPERATIONS.len(), body in prop::collection::vec(any::<u8>(), 0..256), multipart in any::<bool>()) {
            let api = FakeApi::new(MockOptions::default());
            let (method, path) = path_of(index);
            let content_type = if multipart { "multipart/form-data; boundary=XyZ" } else { "application/json" };
            assert_client_error_or_success(&answer_of(&api, method, &path, &headers(content_type), &body))?;
        }

        #[test]
        fn arbitrary_json_never_gets_a_5xx(index in 0..OPERATIONS.len(), body in prop_oneof![spec_body(), any_json().prop_map(|v| serde_json::to_vec(&v).unwrap())]) {
            let api = FakeApi::new(MockOptions::default());
            let (method, path) = path_of(index);
            assert_client_error_or_success(&answer_of(&api, method, &path, &headers("application/json"), &body))?;
        }

        #[test]
        fn arbitrary_forms_never_get_a_5xx(index in 0..OPERATIONS.len(), body in form_body()) {
            let api = FakeApi::new(MockOptions::default());
            let (method, path) = path_of(index);
            let headers = headers("multipart/form-data; boundary=XyZ");
            assert_client_error_or_success(&answer_of(&api, method, &path, &headers, &body))?;
        }

        #[test]
        fn arbitrary_paths_and_methods_never_get_a_5xx(
            method in prop::sample::select(&["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"][..]),
            path in "/(v1|openai|v2|)(/[a-zA-Z0-9:%._{}-]{0,12}){0,4}(\\?[a-z=&-]{0,20})?",
        ) {
            let api = FakeApi::new(MockOptions::default());
            assert_client_error_or_success(&answer_of(&api, method, &path, &headers("application/json"), b"{}"))?;
        }
    }

    proptest! {
        // Few cases: an answer may hold thousands of choices.
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn completions_answer_n_choices_per_prompt(
            n in 1u64..=128,
            prompts in prop::collection::vec("[a-z ]{0,8}", 0..24),
            stream in any::<bool>(),
            echo in any::<bool>(),
        ) {
            let api = FakeApi::new(MockOptions::default());
            let body = serde_json::json!({"model": "text-davinci-003", "prompt": prompts, "n": n, "stream": stream, "echo": echo});
            let answer = answer_of(&api, "POST", "/v1/completions", &headers("application/json"), body.to_string().as_bytes());
            let choices = prompts.len().max(1) * n as usize;
            if choices > 2048 {
                prop_assert_eq!(answer.status, 400);
                return Ok(());
            }
            prop_assert_eq!(answer.status, 200);
            let count = match &answer.body {
                Body::Full(body) => serde_json::from_slice::<serde_json::Value>(body).unwrap()["choices"].as_array().unwrap().len(),
                // 7 events per choice, then [DONE].
                Body::Events(events) => (events.len() - 1) / 7,
                Body::Live(_) | Body::File { .. } => unreachable!("completions are events or JSON"),
            };
            prop_assert_eq!(count, choices);
        }
    }
}
