//! What a request asks for, read and checked: its query, and its JSON or
//! multipart body against the operation's schema in the spec, with the
//! rules the spec states beyond JSON Schema (`best_of`, PNG images, audio
//! formats, JSON Lines training files), all by `openai-rest-spec`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::OnceLock;

use bytes::Bytes;
use http::HeaderMap;
use openai_rest_raw::operations::{Api, OPERATIONS, OperationId};
use openai_rest_spec::{File, Problem, Schema, Step};
use serde_json::{Map, Value};

use crate::error::Invalid;
use crate::routes::Route;

/// A checked request.
#[derive(Debug, Default)]
pub(crate) struct Input {
    /// The JSON body, or the text fields of a multipart body; `Null` for an
    /// operation without a body.
    pub(crate) body: Value,
    /// The files of a multipart body.
    pub(crate) files: Vec<FilePart>,
    pub(crate) query: Vec<(String, String)>,
}

#[derive(Debug)]
pub(crate) struct FilePart {
    pub(crate) name: String,
    pub(crate) file_name: Option<String>,
    pub(crate) bytes: Bytes,
}

impl Input {
    /// A string field of the body.
    pub(crate) fn text(&self, field: &str) -> Option<&str> {
        self.body.get(field)?.as_str()
    }

    /// A query parameter.
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// A boolean query parameter; `false` when absent.
    pub(crate) fn query_flag(&self, name: &str) -> bool {
        self.query(name).and_then(flag) == Some(true)
    }

    pub(crate) fn file(&self, name: &str) -> Option<&FilePart> {
        self.files.iter().find(|file| file.name == name)
    }
}

/// The compiled schema of each operation's request body, by
/// `(api, operation)`; compiled once, when the first mock starts.
fn request_schemas() -> &'static HashMap<(Api, OperationId), &'static Schema> {
    static SCHEMAS: OnceLock<HashMap<(Api, OperationId), &'static Schema>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        (OPERATIONS.iter())
            .filter_map(|operation| {
                let name = operation.request?.schema?;
                // A spec the mock was built from and cannot read is a bug of
                // the build, which every test of the mock shows at once.
                let schema = openai_rest_spec::schema(name)
                    .unwrap_or_else(|e| panic!("{} {}: {e}", operation.method, operation.path));
                Some(((operation.api, operation.id), schema))
            })
            .collect()
    })
}

/// Compiles the request schemas now rather than on the first request.
pub(crate) fn compile_schemas() {
    request_schemas();
}

/// Reads and checks the query and body of a request to `route`.
pub(crate) fn read(
    route: &Route,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Input, Invalid> {
    let operation = route.operation;
    let mut input = Input {
        query: form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect(),
        ..Input::default()
    };
    if operation.api == Api::Azure && input.query("api-version").is_none_or(str::is_empty) {
        return Err(Invalid::new(
            Some("api-version"),
            "Missing required query parameter: 'api-version', e.g. api-version=2022-12-01",
        ));
    }
    if operation.id == OperationId::ListFineTuneEvents
        && let Some(stream) = input.query("stream")
        && flag(stream).is_none()
    {
        return Err(Invalid::new(
            Some("stream"),
            format!("'{stream}' is not of type 'boolean' - 'stream'"),
        ));
    }
    let Some(request) = operation.request else {
        return Ok(input);
    };
    let schema = request_schemas()
        .get(&(operation.api, operation.id))
        .copied();
    if request.media_type == "multipart/form-data" {
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        read_form(schema, content_type, body, &mut input)?;
    } else {
        input.body = serde_json::from_slice(body).map_err(|e| {
            Invalid::new(
                None,
                format!(
                    "We could not parse the JSON body of your request ({e}). The API expects a \
                     JSON object with the operation's parameters."
                ),
            )
        })?;
    }
    let Some(schema) = schema else {
        return Ok(input);
    };
    // Azure's deployment, not the body, chooses the model.
    let by_deployment = route
        .params
        .iter()
        .any(|(name, _)| *name == "deployment-id");
    if !schema.is_valid(&input.body) {
        let model = [Step::Field("model".into())];
        let violation = (schema.violations(&input.body).into_iter())
            .find(|v| !(by_deployment && v.problem == Problem::Required && v.path == model));
        if let Some(violation) = violation {
            return Err(violation.into());
        }
    }
    let files: Vec<File> = (input.files.iter())
        .map(|file| File {
            name: &file.name,
            file_name: file.file_name.as_deref(),
            bytes: &file.bytes,
        })
        .collect();
    schema.check_files(&input.body, &files)?;
    Ok(input)
}

/// A boolean query value: `true` or `false` in any case, as the API took
/// them (the Python library sends a Python bool as `True` or `False`).
fn flag(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Parses a multipart body into `input`: its files, and its text fields
/// typed as the schema declares them, so that the schema check applies.
fn read_form(
    schema: Option<&Schema>,
    content_type: Option<&str>,
    body: &[u8],
    input: &mut Input,
) -> Result<(), Invalid> {
    let content_type = content_type
        .filter(|value| {
            value
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
        .ok_or_else(|| {
            Invalid::new(
                None,
                format!(
                    "Invalid Content-Type header ({}), expected multipart/form-data",
                    content_type.unwrap_or("none")
                ),
            )
        })?;
    let bad_form = |e: multer::Error| Invalid::new(None, format!("Invalid multipart body: {e}"));
    let boundary = multer::parse_boundary(content_type).map_err(bad_form)?;
    let body = Bytes::copy_from_slice(body);
    let mut form = multer::Multipart::new(
        futures::stream::once(async move { Ok::<_, Infallible>(body) }),
        boundary,
    );
    let mut fields = Map::new();
    // The whole body is already in memory, so nothing here ever waits.
    futures::executor::block_on(async {
        while let Some(field) = form.next_field().await.map_err(bad_form)? {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(bad_form)?;
            if schema.is_some_and(|schema| schema.is_file(&name)) {
                input.files.push(FilePart {
                    name,
                    file_name,
                    bytes,
                });
                continue;
            }
            let text = String::from_utf8(bytes.to_vec())
                .map_err(|_| Invalid::new(Some(&name), format!("'{name}' is not UTF-8 text")))?;
            let value = match schema {
                Some(schema) => schema.form_value(&name, text),
                None => Value::String(text),
            };
            fields.insert(name, value);
        }
        Ok::<_, Invalid>(())
    })?;
    input.body = Value::Object(fields);
    Ok(())
}
