//! The route table: every operation of `openai_rest_raw::operations::OPERATIONS`,
//! OpenAI's under `/v1` and Azure's under `/openai`.

use std::borrow::Cow;
use std::sync::OnceLock;

use foldhash::HashMap;
use openai_rest_raw::operations::{Api, OPERATIONS, Operation};
use percent_encoding::percent_decode_str;

/// A request's operation and the values of its path parameters.
#[derive(Debug)]
pub(crate) struct Route {
    pub(crate) operation: &'static Operation,
    /// `(name, decoded value)` in the order of the path.
    pub(crate) params: Vec<(&'static str, String)>,
}

impl Route {
    /// The value of the path's only (or first) parameter.
    pub(crate) fn param(&self) -> Option<&str> {
        self.params.first().map(|(_, value)| value.as_str())
    }

    /// Whether this is Azure's authoring API (deployments, files,
    /// fine-tunes, models), which answers in its own shapes; Azure's
    /// inference (a deployment's completions and embeddings) answers in
    /// OpenAI's.
    pub(crate) fn is_azure_authoring(&self) -> bool {
        is_azure_authoring(self.operation)
    }
}

/// Whether `operation` is of Azure's authoring API (see
/// [`Route::is_azure_authoring`]).
pub(crate) fn is_azure_authoring(operation: &Operation) -> bool {
    operation.api == Api::Azure && !operation.path.starts_with("/deployments/{deployment-id}/")
}

/// Why a request has no route.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NoRoute {
    /// No operation has this path.
    NotFound,
    /// Operations have this path, with other methods.
    MethodNotAllowed { allowed: Vec<&'static str> },
}

/// The path prefix of an API: the path of its base URL.
pub(crate) fn prefix(api: Api) -> &'static str {
    match api {
        Api::OpenAi => "/v1",
        Api::Azure => "/openai",
    }
}

enum Segment {
    Literal(&'static str),
    Param(&'static str),
}

struct Template {
    operation: &'static Operation,
    segments: Vec<Segment>,
    /// How many of the segments are literal: the most wins.
    literals: usize,
}

fn templates() -> &'static [Template] {
    static TEMPLATES: OnceLock<Vec<Template>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        OPERATIONS
            .iter()
            .map(|operation| {
                let segments: Vec<Segment> = operation
                    .path
                    .trim_start_matches('/')
                    .split('/')
                    .map(|segment| match segment.strip_prefix('{') {
                        Some(param) => Segment::Param(param.trim_end_matches('}')),
                        None => Segment::Literal(segment),
                    })
                    .collect();
                let literals = (segments.iter())
                    .filter(|s| matches!(s, Segment::Literal(_)))
                    .count();
                Template {
                    operation,
                    segments,
                    literals,
                }
            })
            .collect()
    })
}

/// The operations whose path has no parameter, by their API and path
/// (without its leading `/`): a path only they match, since a literal
/// segment wins over a parameter.
fn literal_paths() -> &'static HashMap<(Api, &'static str), Vec<&'static Operation>> {
    static LITERAL: OnceLock<HashMap<(Api, &'static str), Vec<&'static Operation>>> =
        OnceLock::new();
    LITERAL.get_or_init(|| {
        let mut paths: HashMap<(Api, &'static str), Vec<&'static Operation>> = HashMap::default();
        for operation in OPERATIONS.iter().filter(|op| !op.path.contains('{')) {
            let path = operation.path.trim_start_matches('/');
            paths
                .entry((operation.api, path))
                .or_default()
                .push(operation);
        }
        paths
    })
}

/// The route of `method` on `path` (the URL's path, still percent-encoded).
/// A parameter matches one whole non-empty segment, so ids with `:` (a
/// fine-tuned model) match and `/models/{model}` does not swallow a longer
/// path.
///
/// A run of slashes counts as one, as the API took it: the Python library
/// joins an Azure endpoint that ends with `/` and `/openai/...` into
/// `//openai/...`.
pub(crate) fn find(method: &str, path: &str) -> Result<Route, NoRoute> {
    let path = collapse_slashes(path);
    let (api, rest) = [Api::OpenAi, Api::Azure]
        .into_iter()
        .find_map(|api| Some((api, path.strip_prefix(prefix(api))?.strip_prefix('/')?)))
        .ok_or(NoRoute::NotFound)?;
    // Most requests are of an operation whose path has no parameter: found
    // by a lookup. Anything else (a parameter, another method) scans.
    if let Some(operation) = (literal_paths().get(&(api, rest)))
        .and_then(|operations| operations.iter().find(|op| op.method == method))
    {
        return Ok(Route {
            operation,
            params: Vec::new(),
        });
    }
    let segments: Vec<&str> = rest.split('/').collect();

    let mut allowed = Vec::new();
    // When literal and parameter segments both match, the literal wins.
    let mut best: Option<(usize, &Template)> = None;
    for template in templates() {
        if template.operation.api != api || !matches(template, &segments) {
            continue;
        }
        if template.operation.method != method {
            allowed.push(template.operation.method);
            continue;
        }
        if best.is_none_or(|(most, _)| template.literals > most) {
            best = Some((template.literals, template));
        }
    }
    match best {
        Some((_, template)) => Ok(Route {
            operation: template.operation,
            params: template
                .segments
                .iter()
                .zip(&segments)
                .filter_map(|(segment, value)| match segment {
                    Segment::Param(name) => Some((*name, decode(value))),
                    Segment::Literal(_) => None,
                })
                .collect(),
        }),
        None if allowed.is_empty() => Err(NoRoute::NotFound),
        None => Err(NoRoute::MethodNotAllowed { allowed }),
    }
}

/// `path` with each run of slashes made one; borrowed when it has none.
fn collapse_slashes(path: &str) -> Cow<'_, str> {
    // Byte pairs, not a substring search, whose setup costs more than
    // the scan of a short path.
    if !path.as_bytes().windows(2).any(|pair| pair == b"//") {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn matches(template: &Template, segments: &[&str]) -> bool {
    template.segments.len() == segments.len()
        && template
            .segments
            .iter()
            .zip(segments)
            .all(|(template, segment)| match template {
                Segment::Literal(literal) => literal == segment,
                Segment::Param(_) => !segment.is_empty(),
            })
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use openai_rest_raw::operations::OperationId;

    fn id(method: &str, path: &str) -> (Api, OperationId, Vec<String>) {
        let route = find(method, path).unwrap();
        let params = route.params.into_iter().map(|(_, v)| v).collect();
        (route.operation.api, route.operation.id, params)
    }

    #[test]
    fn every_operation_is_found_under_its_prefix() {
        for operation in OPERATIONS {
            let path = format!(
                "{}{}",
                prefix(operation.api),
                operation.path.replace('{', "x").replace('}', "")
            );
            let route = find(operation.method, &path).unwrap();
            assert_eq!(
                (route.operation.api, route.operation.id),
                (operation.api, operation.id),
                "{path}"
            );
        }
    }

    #[test]
    fn a_model_id_with_a_colon_is_one_parameter() {
        let path = "/v1/models/curie:ft-acmeco-2021-03-03-21-44-20";
        assert_eq!(
            id("DELETE", path),
            (
                Api::OpenAi,
                OperationId::DeleteModel,
                vec!["curie:ft-acmeco-2021-03-03-21-44-20".to_owned()]
            )
        );
        // Percent-encoded, as some clients send it.
        let (_, _, params) = id("GET", "/v1/models/curie%3Aft-acmeco");
        assert_eq!(params, ["curie:ft-acmeco"]);
    }

    #[test]
    fn parameters_do_not_swallow_longer_or_empty_paths() {
        assert_eq!(
            find("GET", "/v1/models/a/b").unwrap_err(),
            NoRoute::NotFound
        );
        assert_eq!(find("GET", "/v1/models/").unwrap_err(), NoRoute::NotFound);
        assert_eq!(
            id("GET", "/v1/files/file-1/content").1,
            OperationId::DownloadFile
        );
        assert_eq!(
            id("POST", "/v1/fine-tunes/ft-1/cancel").1,
            OperationId::CancelFineTune
        );
    }

    #[test]
    fn a_known_path_with_another_method_lists_the_allowed_ones() {
        assert_eq!(
            find("GET", "/v1/completions").unwrap_err(),
            NoRoute::MethodNotAllowed {
                allowed: vec!["POST"]
            }
        );
        let Err(NoRoute::MethodNotAllowed { mut allowed }) = find("PUT", "/v1/models/m") else {
            panic!("expected 405");
        };
        allowed.sort();
        assert_eq!(allowed, ["DELETE", "GET"]);
    }

    #[test]
    fn unknown_prefixes_and_paths_are_not_found() {
        for path in [
            "/",
            "",
            "/v1",
            "/v2/models",
            "/v1models",
            "/openai/completions",
            "/v1/nope",
        ] {
            assert_eq!(find("GET", path).unwrap_err(), NoRoute::NotFound, "{path}");
        }
    }

    #[test]
    fn runs_of_slashes_count_as_one() {
        // An Azure endpoint with a trailing slash, joined by the Python library.
        assert_eq!(
            id("GET", "//openai/deployments").1,
            OperationId::ListDeployments
        );
        assert_eq!(
            id("GET", "/v1//models///curie:ft-x"),
            (
                Api::OpenAi,
                OperationId::RetrieveModel,
                vec!["curie:ft-x".to_owned()]
            )
        );
        // A trailing slash is still not a parameter.
        assert_eq!(find("GET", "/v1/models//").unwrap_err(), NoRoute::NotFound);
        assert_eq!(collapse_slashes("/v1/models"), Cow::Borrowed("/v1/models"));
    }

    #[test]
    fn azure_operations_are_under_openai() {
        assert_eq!(
            id("POST", "/openai/deployments/dep-1/completions"),
            (
                Api::Azure,
                OperationId::CreateCompletion,
                vec!["dep-1".to_owned()]
            )
        );
        assert_eq!(
            id("GET", "/openai/deployments").1,
            OperationId::ListDeployments
        );
    }
}
