//! Error answers, in the API's shape:
//! `{"error": {"message", "type", "param", "code"}}`.

use bytes::Bytes;

use crate::json::Json;

/// Why a request is refused: a 400 `invalid_request_error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    /// The parameter at fault, e.g. `n`, `stop` or `messages[0].role`.
    pub(crate) param: Option<String>,
    pub(crate) message: String,
}

impl Invalid {
    pub(crate) fn new(param: Option<&str>, message: impl Into<String>) -> Self {
        Invalid {
            param: param.map(str::to_owned),
            message: message.into(),
        }
    }
}

impl From<openai_rest_spec::Violation> for Invalid {
    /// The API's words, and the `param` after them where the API named it
    /// (`0 is less than the minimum of 1 - 'n'`).
    fn from(violation: openai_rest_spec::Violation) -> Self {
        use openai_rest_spec::Problem;
        let param = violation.param();
        let message = match (&violation.problem, &param) {
            (
                Problem::Unknown
                | Problem::File(_)
                | Problem::NotLessThan { .. }
                | Problem::MaximumWhen { .. },
                _,
            )
            | (_, None) => violation.to_string(),
            (_, Some(param)) => format!("{violation} - '{param}'"),
        };
        Invalid { param, message }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) message: String,
    pub(crate) kind: &'static str,
    pub(crate) param: Option<String>,
    /// A machine-readable reason, e.g. `model_not_found`.
    pub(crate) code: Option<&'static str>,
}

impl ApiError {
    pub(crate) fn invalid_request(status: u16, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            kind: "invalid_request_error",
            param: None,
            code: None,
        }
    }

    /// The mock's own disk failed, storing an upload: the API's 500.
    pub(crate) fn storage(reason: impl std::fmt::Display) -> Self {
        tracing::error!("storing a file: {reason}");
        ApiError {
            kind: "server_error",
            ..ApiError::invalid_request(
                500,
                format!("openai-rest-mock could not store the file: {reason}"),
            )
        }
    }

    pub(crate) fn body(&self) -> Bytes {
        let text = |s: &str| Json::String(s.to_owned());
        let error = Json::Object(vec![
            ("message".into(), text(&self.message)),
            ("type".into(), text(self.kind)),
            (
                "param".into(),
                self.param.as_deref().map_or(Json::Null, text),
            ),
            ("code".into(), self.code.map_or(Json::Null, text)),
        ]);
        Json::Object(vec![("error".into(), error)])
            .to_bytes(true)
            .into()
    }
}

impl From<Invalid> for ApiError {
    /// A request the spec or the docs refuse: 400.
    fn from(invalid: Invalid) -> Self {
        ApiError {
            param: invalid.param,
            ..ApiError::invalid_request(400, invalid.message)
        }
    }
}
