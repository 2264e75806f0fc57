//! Error answers, in the API's shape:
//! `{"error": {"message", "type", "param", "code"}}`, and in Azure's
//! authoring API's, `{"error": {"code", "message", "target"}}`.

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

/// The codes of Azure's authoring API (api-version 2022-12-01).
const AZURE_CODES: &[&str] = &[
    "conflict",
    "invalidPayload",
    "forbidden",
    "notFound",
    "unexpectedEntityState",
    "itemDoesAlreadyExist",
    "serviceUnavailable",
    "internalFailure",
    "quotaExceeded",
    "jsonlValidationFailed",
    "fileImportFailed",
];

/// What the gateway in front of an Azure resource answered for a missing
/// or wrong key.
const AZURE_ACCESS_DENIED: &str = "Access denied due to invalid subscription key or wrong API \
    endpoint. Make sure to provide a valid key for an active subscription and use a correct \
    regional API endpoint for your resource.";

/// An error body of OpenAI's shape, said as Azure's authoring API said it:
/// `{"error": {"code", "message", "target"}}`, the code one of Azure's (or
/// the gateway's `401` and `429`), the `param` as `target`. `None` when
/// `openai_body` is not an error body.
pub(crate) fn azure_authoring_body(status: u16, openai_body: &[u8]) -> Option<Bytes> {
    let doc: Json = serde_json::from_slice(openai_body).ok()?;
    let error = doc.get("error")?;
    let field = |name: &str| match error.get(name) {
        Some(Json::String(text)) => Some(text.as_str()),
        _ => None,
    };
    let by_status = match status {
        400 => "invalidPayload",
        401 => "401",
        403 => "forbidden",
        404 => "notFound",
        409 => "conflict",
        429 => "429",
        503 => "serviceUnavailable",
        _ => "internalFailure",
    };
    let code = field("code")
        .filter(|code| AZURE_CODES.contains(code))
        .unwrap_or(by_status);
    let message = match status {
        401 => AZURE_ACCESS_DENIED,
        _ => field("message")?,
    };
    let text = |s: &str| Json::String(s.to_owned());
    let mut fields = vec![
        ("code".into(), text(code)),
        ("message".into(), text(message)),
    ];
    if let Some(target) = field("param") {
        fields.push(("target".into(), text(target)));
    }
    Some(
        Json::Object(vec![("error".into(), Json::Object(fields))])
            .to_bytes(true)
            .into(),
    )
}

/// An error answer of Azure's inference (a deployment's completions and
/// embeddings) as its gateway said it: a 401 as `{"error": {"code": "401",
/// "message": "Access denied ..."}}`, a rate limit as code `429` with the
/// gateway's message naming `operation` and the wait; `None` for the other
/// errors, which Azure's inference answered in OpenAI's body.
pub(crate) fn azure_inference_body(
    status: u16,
    openai_body: &[u8],
    operation: &str,
    retry_after: Option<&str>,
) -> Option<Bytes> {
    let message = match status {
        401 => AZURE_ACCESS_DENIED.to_owned(),
        429 => {
            let doc: Json = serde_json::from_slice(openai_body).ok()?;
            let code = doc.get("error")?.get("code")?;
            if *code != "rate_limit_exceeded" {
                return None;
            }
            format!(
                "Requests to the {operation} Operation under Azure OpenAI API version 2022-12-01 \
                 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please \
                 retry after {} seconds. Please go here: https://aka.ms/oai/quotaincrease if you \
                 would like to further increase the default rate limit.",
                retry_after.unwrap_or("1")
            )
        }
        _ => return None,
    };
    let fields = vec![
        ("code".into(), Json::String(status.to_string())),
        ("message".into(), Json::String(message)),
    ];
    Some(
        Json::Object(vec![("error".into(), Json::Object(fields))])
            .to_bytes(true)
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn azure(status: u16, error: &ApiError) -> serde_json::Value {
        let body = azure_authoring_body(status, &error.body()).expect("an error body");
        serde_json::from_slice(&body).unwrap()
    }

    #[test]
    fn azure_says_an_error_with_its_own_code_and_the_param_as_target() {
        let invalid = ApiError {
            param: Some("training_file".into()),
            ..ApiError::invalid_request(400, "No such File object: file-x")
        };
        assert_eq!(
            azure(400, &invalid),
            serde_json::json!({"error": {
                "code": "invalidPayload",
                "message": "No such File object: file-x",
                "target": "training_file",
            }})
        );
        let missing = ApiError {
            code: Some("notFound"),
            ..ApiError::invalid_request(404, "The specified deployment 'd' does not exist.")
        };
        assert_eq!(azure(404, &missing)["error"]["code"], "notFound");
        let model = ApiError {
            code: Some("model_not_found"),
            ..ApiError::invalid_request(404, "The model `m` does not exist")
        };
        assert_eq!(azure(404, &model)["error"]["code"], "notFound");
        let denied = azure(
            401,
            &ApiError::invalid_request(401, "Incorrect API key provided"),
        );
        assert_eq!(denied["error"]["code"], "401");
        assert_eq!(denied["error"]["message"], AZURE_ACCESS_DENIED);
        assert_eq!(azure_authoring_body(500, b"not json"), None);
    }
}
