//! Faults for testing clients: the documented errors, a delay and a dropped
//! connection, per request (the `x-mock-fault` header) or for the next calls
//! to an operation.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use foldhash::HashMap;
use http::{HeaderMap, HeaderName};
use openai_rest_raw::operations::OperationId;

/// The request header that asks for faults: a comma-separated list of
/// [`Fault`] names, e.g. `x-mock-fault: rate_limit` or
/// `x-mock-fault: delay=200, server_error`.
pub const FAULT_HEADER: &str = "x-mock-fault";

/// Something going wrong, on purpose.
///
/// Each error answers its body from `fixtures/errors/` with its status;
/// 429s carry `Retry-After`. In a header, a fault is written as its
/// [`Display`](fmt::Display) form: `invalid_api_key`, `missing_api_key`,
/// `rate_limit`, `insufficient_quota`, `engine_overloaded`, `server_error`,
/// `service_unavailable`, `delay=<milliseconds>`, `drop_connection`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// 401, `invalid_api_key`.
    InvalidApiKey,
    /// 401, no API key.
    MissingApiKey,
    /// 429, `rate_limit_exceeded`.
    RateLimit,
    /// 429, `insufficient_quota`.
    InsufficientQuota,
    /// 429, the engine is overloaded.
    EngineOverloaded,
    /// 500, `server_error`.
    ServerError,
    /// 503, the server is overloaded or not ready.
    ServiceUnavailable,
    /// The usual answer, this much later.
    Delay(Duration),
    /// The connection is closed without an answer.
    DropConnection,
}

/// An error answer: its status and its fixture, `fixtures/errors/<name>.json`.
pub(crate) type ErrorFixture = (u16, &'static str);

/// The answer to a request without a key.
pub(crate) const MISSING_API_KEY: ErrorFixture = (401, "401_missing_api_key");

/// The answer to a request with a key other than the one let in.
pub(crate) const INVALID_API_KEY: ErrorFixture = (401, "401_invalid_api_key");

impl Fault {
    /// The answer of an error; `None` for a delay or a dropped connection.
    pub(crate) fn error(self) -> Option<ErrorFixture> {
        Some(match self {
            Fault::InvalidApiKey => INVALID_API_KEY,
            Fault::MissingApiKey => MISSING_API_KEY,
            Fault::RateLimit => (429, "429_rate_limit"),
            Fault::InsufficientQuota => (429, "429_insufficient_quota"),
            Fault::EngineOverloaded => (429, "429_engine_overloaded"),
            Fault::ServerError => (500, "500_server_error"),
            Fault::ServiceUnavailable => (503, "503_service_unavailable"),
            Fault::Delay(_) | Fault::DropConnection => return None,
        })
    }

    const NAMED: [(&'static str, Fault); 8] = [
        ("invalid_api_key", Fault::InvalidApiKey),
        ("missing_api_key", Fault::MissingApiKey),
        ("rate_limit", Fault::RateLimit),
        ("insufficient_quota", Fault::InsufficientQuota),
        ("engine_overloaded", Fault::EngineOverloaded),
        ("server_error", Fault::ServerError),
        ("service_unavailable", Fault::ServiceUnavailable),
        ("drop_connection", Fault::DropConnection),
    ];
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Delay(delay) => write!(f, "delay={}", delay.as_millis()),
            fault => {
                let (name, _) = Fault::NAMED
                    .iter()
                    .find(|(_, named)| named == fault)
                    .ok_or(fmt::Error)?;
                f.write_str(name)
            }
        }
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(name: &str) -> Result<Fault, String> {
        let name = name.trim();
        if let Some(ms) = name.strip_prefix("delay=") {
            let ms = ms.parse().map_err(|_| {
                format!("`{name}`: the delay is whole milliseconds, e.g. delay=250")
            })?;
            return Ok(Fault::Delay(Duration::from_millis(ms)));
        }
        Fault::NAMED
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, fault)| *fault)
            .ok_or_else(|| {
                let names: Vec<&str> = Fault::NAMED.iter().map(|(name, _)| *name).collect();
                format!(
                    "unknown fault `{name}`; the faults are {} and delay=<ms>",
                    names.join(", ")
                )
            })
    }
}

/// What a request's faults add up to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Faults {
    pub(crate) delay: Duration,
    /// An error or a dropped connection.
    pub(crate) failure: Option<Fault>,
}

impl Faults {
    pub(crate) fn add(&mut self, fault: Fault) {
        match fault {
            Fault::Delay(delay) => self.delay += delay,
            failure => self.failure = Some(failure),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        *self == Faults::default()
    }
}

/// The faults a request asks for in its `x-mock-fault` headers.
pub(crate) fn from_headers(headers: &HeaderMap) -> Result<Faults, String> {
    let mut faults = Faults::default();
    // A name, not a string: a string name is parsed on every lookup.
    const FAULT: HeaderName = HeaderName::from_static(FAULT_HEADER);
    for value in headers.get_all(&FAULT) {
        let value = value
            .to_str()
            .map_err(|_| format!("the {FAULT_HEADER} header is not text"))?;
        for name in value.split(',').filter(|name| !name.trim().is_empty()) {
            faults.add(name.parse()?);
        }
    }
    Ok(faults)
}

/// Faults waiting for the next calls to an operation, in order.
#[derive(Debug, Default)]
pub(crate) struct Schedule {
    /// Per operation: each fault and how many more calls it is for.
    queues: Mutex<HashMap<OperationId, VecDeque<(Fault, u64)>>>,
    /// How many faults the queues hold, changed under their lock: most
    /// requests meet none, and need not take the lock to learn it.
    queued: AtomicUsize,
}

impl Schedule {
    pub(crate) fn push(&self, operation: OperationId, calls: u64, fault: Fault) {
        if calls > 0 {
            let mut queues = self.lock();
            queues
                .entry(operation)
                .or_default()
                .push_back((fault, calls));
            self.queued.fetch_add(1, Ordering::Release);
        }
    }

    /// Whether no fault waits, for any operation.
    fn is_empty(&self) -> bool {
        self.queued.load(Ordering::Acquire) == 0
    }

    /// The fault of the next call to `operation`, without using it up.
    pub(crate) fn peek(&self, operation: OperationId) -> Option<Fault> {
        if self.is_empty() {
            return None;
        }
        Some(self.lock().get(&operation)?.front()?.0)
    }

    /// The fault of this call to `operation`.
    pub(crate) fn take(&self, operation: OperationId) -> Option<Fault> {
        if self.is_empty() {
            return None;
        }
        let mut queues = self.lock();
        let queue = queues.get_mut(&operation)?;
        let (fault, calls) = queue.front_mut()?;
        let fault = *fault;
        *calls -= 1;
        if *calls == 0 {
            queue.pop_front();
            self.queued.fetch_sub(1, Ordering::Release);
        }
        Some(fault)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<OperationId, VecDeque<(Fault, u64)>>> {
        // The map stays consistent even if a holder panicked.
        self.queues
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_parses_from_its_display_form() {
        let all = Fault::NAMED
            .iter()
            .map(|(_, fault)| *fault)
            .chain([Fault::Delay(Duration::from_millis(250))]);
        for fault in all {
            assert_eq!(fault.to_string().parse::<Fault>(), Ok(fault));
        }
    }

    #[test]
    fn unknown_names_and_bad_delays_are_refused_with_the_list() {
        let error = "slow".parse::<Fault>().unwrap_err();
        assert!(
            error.contains("rate_limit") && error.contains("delay=<ms>"),
            "{error}"
        );
        assert!("delay=fast".parse::<Fault>().is_err());
    }

    #[test]
    fn a_header_adds_delays_and_keeps_one_failure() {
        let mut headers = HeaderMap::new();
        headers.append(FAULT_HEADER, "delay=100, rate_limit".parse().unwrap());
        headers.append(FAULT_HEADER, "delay=50".parse().unwrap());
        assert_eq!(
            from_headers(&headers),
            Ok(Faults {
                delay: Duration::from_millis(150),
                failure: Some(Fault::RateLimit)
            })
        );
    }

    #[test]
    fn scheduled_faults_are_used_in_order_and_counted() {
        let schedule = Schedule::default();
        let op = OperationId::CreateCompletion;
        schedule.push(op, 2, Fault::RateLimit);
        schedule.push(op, 1, Fault::DropConnection);
        schedule.push(op, 0, Fault::ServerError);
        assert_eq!(schedule.peek(op), Some(Fault::RateLimit));
        assert_eq!(schedule.take(op), Some(Fault::RateLimit));
        assert_eq!(schedule.take(op), Some(Fault::RateLimit));
        assert_eq!(schedule.peek(op), Some(Fault::DropConnection));
        assert_eq!(schedule.take(op), Some(Fault::DropConnection));
        assert_eq!(schedule.take(op), None);
        assert_eq!(schedule.take(OperationId::ListModels), None);
    }
}
