//! The admin API under `/__mock/`, a prefix no API path has, for users of
//! the standalone server who do not write Rust: reset the state, advance
//! the clock, list the last requests received (a bounded ring), and arm
//! faults for the next calls to an operation.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::error::ApiError;
use crate::faults::Fault;
use crate::json::Json;
use crate::rate_limit::RateLimits;
use openai_rest_raw::operations::OperationId;

/// The admin API's prefix.
pub(crate) const PREFIX: &str = "/__mock/";

/// How many requests the ring keeps.
pub(crate) const LOG_CAPACITY: usize = 1000;

/// What an admin request asks for.
#[derive(Debug, PartialEq)]
pub(crate) enum Command {
    /// `POST /__mock/reset`: back to the documented objects.
    Reset,
    /// `POST /__mock/clock/advance?seconds=S`.
    Advance(Duration),
    /// `GET /__mock/requests?limit=N`: the last N requests, oldest first.
    Requests(usize),
    /// `POST /__mock/faults` with `{"operation", "fault", "calls"}`: the
    /// next `calls` (1 unless given) calls to the operation meet the fault,
    /// named as in the `x-mock-fault` header. What
    /// [`OpenAiMock::fail_next`](crate::OpenAiMock::fail_next) is to the test
    /// library.
    Faults(OperationId, u64, Fault),
    /// `POST /__mock/rate_limits?rpm=N&tpm=N`: requests and tokens per
    /// minute per organization and model from now on; one left out is off.
    RateLimits(RateLimits),
}

/// The command of an admin request (`rest` is the path after the prefix).
pub(crate) fn command(
    method: &str,
    rest: &str,
    query: Option<&str>,
    body: &[u8],
) -> Result<Command, ApiError> {
    let param = |name: &str| {
        form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    let invalid = |param: &str, message: String| ApiError {
        param: Some(param.into()),
        ..ApiError::invalid_request(400, message)
    };
    match (method, rest) {
        ("POST", "reset") => Ok(Command::Reset),
        ("POST", "clock/advance") => {
            let seconds = param("seconds").unwrap_or_default();
            let by = seconds
                .parse::<f64>()
                .ok()
                .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
                .filter(|by| *by <= Duration::from_secs(100 * 365 * 86_400))
                .ok_or_else(|| {
                    invalid(
                        "seconds",
                        format!("'{seconds}' is not a number of seconds between 0 and 100 years"),
                    )
                })?;
            Ok(Command::Advance(by))
        }
        ("GET", "requests") => {
            let limit = match param("limit") {
                None => 20,
                Some(limit) => limit
                    .parse::<usize>()
                    .ok()
                    .filter(|limit| (1..=LOG_CAPACITY).contains(limit))
                    .ok_or_else(|| {
                        invalid(
                            "limit",
                            format!("'{limit}' is not a number from 1 to {LOG_CAPACITY}"),
                        )
                    })?,
            };
            Ok(Command::Requests(limit))
        }
        ("POST", "rate_limits") => {
            let limit = |name: &str| match param(name) {
                None => Ok(None),
                Some(value) => value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .map(Some)
                    .ok_or_else(|| {
                        invalid(
                            name,
                            format!("'{value}' is not a whole number of at least 1 per minute"),
                        )
                    }),
            };
            Ok(Command::RateLimits(RateLimits {
                rpm: limit("rpm")?,
                tpm: limit("tpm")?,
            }))
        }
        ("POST", "faults") => {
            faults(body).map_err(|message| ApiError::invalid_request(400, message))
        }
        (_, "faults") => Err(ApiError::invalid_request(
            405,
            format!("Invalid method for URL ({method} {PREFIX}faults)"),
        )),
        _ => Err(ApiError::invalid_request(
            404,
            format!(
                "Invalid admin URL ({method} {PREFIX}{rest}); the admin API has POST \
                 {PREFIX}reset, POST {PREFIX}clock/advance?seconds=S, GET \
                 {PREFIX}requests?limit=N, POST {PREFIX}faults and POST \
                 {PREFIX}rate_limits?rpm=N&tpm=N"
            ),
        )),
    }
}

fn faults(body: &[u8]) -> Result<Command, String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Scheduled {
        operation: String,
        fault: String,
        #[serde(default = "one")]
        calls: u64,
    }
    fn one() -> u64 {
        1
    }
    let scheduled = serde_json::from_slice::<Scheduled>(body).map_err(|e| {
        format!("{PREFIX}faults takes {{\"operation\", \"fault\", \"calls\"}}: {e}")
    })?;
    Ok(Command::Faults(
        scheduled.operation.parse()?,
        scheduled.calls,
        scheduled.fault.parse()?,
    ))
}

/// The last requests received: method, path, query and status, never a
/// header or a body (they may hold keys).
#[derive(Default)]
pub(crate) struct RequestLog(Mutex<VecDeque<LoggedRequest>>);

/// One request of the log. Its strings are reused for the request that
/// takes its place, so that a full ring logs without allocating.
#[derive(Debug, Default, PartialEq)]
struct LoggedRequest {
    method: String,
    path: String,
    query: Option<String>,
    /// `None` for a connection dropped on purpose.
    status: Option<u16>,
}

impl LoggedRequest {
    fn set(&mut self, method: &str, path: &str, query: Option<&str>, status: Option<u16>) {
        let refill = |text: &mut String, with: &str| {
            text.clear();
            text.push_str(with);
        };
        refill(&mut self.method, method);
        refill(&mut self.path, path);
        match (&mut self.query, query) {
            (Some(text), Some(query)) => refill(text, query),
            (kept, query) => *kept = query.map(str::to_owned),
        }
        self.status = status;
    }

    fn to_json(&self) -> Json {
        Json::Object(vec![
            ("method".into(), self.method.as_str().into()),
            ("path".into(), self.path.as_str().into()),
            (
                "query".into(),
                self.query.as_deref().map_or(Json::Null, Json::from),
            ),
            (
                "status".into(),
                self.status
                    .map_or(Json::Null, |status| u64::from(status).into()),
            ),
        ])
    }
}

impl RequestLog {
    pub(crate) fn push(&self, method: &str, path: &str, query: Option<&str>, status: Option<u16>) {
        let mut ring = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mut entry = if ring.len() == LOG_CAPACITY {
            ring.pop_front().unwrap_or_default()
        } else {
            LoggedRequest::default()
        };
        entry.set(method, path, query, status);
        ring.push_back(entry);
    }

    /// The last `limit` requests, oldest first, as a list object.
    pub(crate) fn last(&self, limit: usize) -> Json {
        let ring = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let skip = ring.len().saturating_sub(limit);
        Json::Object(vec![
            ("object".into(), "list".into()),
            (
                "data".into(),
                Json::Array(ring.iter().skip(skip).map(LoggedRequest::to_json).collect()),
            ),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_their_errors() {
        assert_eq!(command("POST", "reset", None, b""), Ok(Command::Reset));
        assert_eq!(
            command("POST", "rate_limits", Some("rpm=3"), b""),
            Ok(Command::RateLimits(RateLimits {
                rpm: Some(3),
                tpm: None
            }))
        );
        assert_eq!(
            command("POST", "rate_limits", None, b""),
            Ok(Command::RateLimits(RateLimits::default()))
        );
        for query in ["rpm=0", "tpm=-5", "rpm=many"] {
            let error = command("POST", "rate_limits", Some(query), b"").unwrap_err();
            assert_eq!(error.status, 400, "{query}");
        }
        assert_eq!(
            command("POST", "clock/advance", Some("seconds=2.5"), b""),
            Ok(Command::Advance(Duration::from_millis(2500)))
        );
        assert_eq!(
            command("GET", "requests", None, b""),
            Ok(Command::Requests(20))
        );
        for query in [
            "seconds=-1",
            "seconds=NaN",
            "seconds=abc",
            "seconds=1e300",
            "",
        ] {
            let error = command("POST", "clock/advance", Some(query), b"").unwrap_err();
            assert_eq!(
                (error.status, error.param.as_deref()),
                (400, Some("seconds"))
            );
        }
        let error = command("GET", "requests", Some("limit=0"), b"").unwrap_err();
        assert_eq!(error.param.as_deref(), Some("limit"));
        assert_eq!(command("GET", "reset", None, b"").unwrap_err().status, 404);
        let faults = br#"{"operation": "listModels", "fault": "rate_limit", "calls": 2}"#;
        assert_eq!(
            command("POST", "faults", None, faults),
            Ok(Command::Faults(
                OperationId::ListModels,
                2,
                Fault::RateLimit
            ))
        );
        let error = command(
            "POST",
            "faults",
            None,
            br#"{"operation": "nope", "fault": "rate_limit"}"#,
        )
        .unwrap_err();
        assert!(error.message.contains("nope"), "{}", error.message);
        assert_eq!(command("GET", "faults", None, b"").unwrap_err().status, 405);
    }

    #[test]
    fn the_log_keeps_only_the_last_requests() {
        let log = RequestLog::default();
        for i in 0..LOG_CAPACITY + 5 {
            log.push("GET", &format!("/v1/models/{i}"), None, Some(200));
        }
        let last = log.last(2);
        let data = last.get("data").and_then(Json::as_array).unwrap();
        assert_eq!(data.len(), 2);
        assert_eq!(
            data[1].get("path"),
            Some(&Json::from(
                format!("/v1/models/{}", LOG_CAPACITY + 4).as_str()
            ))
        );
        let all = log.last(LOG_CAPACITY);
        assert_eq!(
            all.get("data").and_then(Json::as_array).unwrap().len(),
            LOG_CAPACITY
        );
    }

    #[test]
    fn a_reused_entry_keeps_nothing_of_the_request_before() {
        let mut entry = LoggedRequest::default();
        entry.set("POST", "/v1/files", Some("a=1"), None);
        entry.set("GET", "/v1/models", None, Some(200));
        assert_eq!(
            entry,
            LoggedRequest {
                method: "GET".into(),
                path: "/v1/models".into(),
                query: None,
                status: Some(200),
            }
        );
        entry.set("GET", "/v1/files", Some("limit=2"), Some(404));
        assert_eq!(entry.query.as_deref(), Some("limit=2"));
        let json = entry.to_json();
        assert_eq!(json.get("status"), Some(&Json::from(404u64)));
        assert_eq!(json.get("method"), Some(&Json::from("GET")));
    }
}
