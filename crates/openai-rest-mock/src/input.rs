//! What a request asks for, read and checked: its query, and its JSON or
//! multipart body against the operation's schema in the spec, with the
//! rules the spec states beyond JSON Schema (`best_of`, PNG images, audio
//! formats, JSON Lines training files), all by `openai-rest-spec`.

use std::collections::HashMap;
use std::sync::OnceLock;

use bytes::Bytes;
use futures::Stream;
use http::HeaderMap;
use openai_rest_raw::operations::{Api, OPERATIONS, OperationId};
use openai_rest_spec::{ReadFile, Schema};
use serde_json::{Map, Value};

use crate::error::Invalid;
use crate::page::Page;
use crate::routes::Route;
use crate::uploads::{Destination, Full, Stored, WriteError};

/// The most parts a multipart body may have: the API's forms have a few.
const MAX_PARTS: usize = 64;

/// The most bytes of all the text fields of a multipart body together.
const MAX_TEXT_BYTES: usize = 1024 * 1024;

/// A checked request.
#[derive(Debug, Default)]
pub(crate) struct Input {
    /// The JSON body, or the text fields of a multipart body; `Null` for an
    /// operation without a body.
    pub(crate) body: Value,
    /// The files of a multipart body.
    pub(crate) files: Vec<FilePart>,
    pub(crate) query: Vec<(String, String)>,
    /// The page of a list the query asks for (see [`Page`]).
    pub(crate) page: Option<Page>,
}

#[derive(Debug)]
pub(crate) struct FilePart {
    pub(crate) name: String,
    pub(crate) file_name: Option<String>,
    /// Its size in bytes.
    pub(crate) size: u64,
    /// Where it was written, if its destination keeps files.
    pub(crate) stored: Option<Stored>,
}

/// A request body, read: its bytes, or a multipart body read as it
/// arrived by [`read_form`].
pub(crate) enum RequestBody<'a> {
    Bytes(&'a [u8]),
    Form(Form),
}

/// A multipart body read: its text fields, and its files checked (by their
/// rules that do not depend on the text fields) and written to their
/// destination.
#[derive(Debug, Default)]
pub(crate) struct Form {
    fields: Map<String, Value>,
    files: Vec<(ReadFile, Option<Stored>)>,
}

/// Why a multipart body was not read.
#[derive(Debug)]
pub(crate) enum FormError<E> {
    /// It is not a valid form, or not one the operation takes.
    Invalid(Invalid),
    /// The body could not be read (too large, stalled, broken off).
    Body(E),
    /// A file part could not be written to its destination.
    Store(std::io::Error),
}

/// What the API answered an upload past the docs' limit: "the size of all
/// the files uploaded by one organization can be up to 1 GB".
fn storage_full(Full(limit): Full) -> Invalid {
    Invalid::new(
        Some("file"),
        format!(
            "Uploading this file would exceed your organization's storage limit of {} GB of \
             files; delete files you no longer need",
            limit >> 30
        ),
    )
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

/// The compiled schema of `operation`'s request body in `api`'s spec.
pub(crate) fn request_schema(api: Api, operation: OperationId) -> Option<&'static Schema> {
    request_schemas().get(&(api, operation)).copied()
}

/// Compiles the request schemas now rather than on the first request.
pub(crate) fn compile_schemas() {
    request_schemas();
}

/// Whether requests to `route` send a multipart body: an upload, read as it
/// arrives by [`read_form`].
pub(crate) fn takes_form(route: &Route) -> bool {
    (route.operation.request).is_some_and(|request| request.media_type == "multipart/form-data")
}

/// Reads and checks the query and body of a request to `route`.
pub(crate) fn read(
    route: &Route,
    query: Option<&str>,
    body: RequestBody<'_>,
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
    input.page = Page::from_query(operation.id, &input.query)?;
    if operation.request.is_none() {
        return Ok(input);
    }
    let schema = request_schema(operation.api, operation.id);
    let mut files = Vec::new();
    let is_form = matches!(body, RequestBody::Form(_));
    match body {
        RequestBody::Form(form) => {
            input.body = Value::Object(form.fields);
            files = form.files;
        }
        RequestBody::Bytes(bytes) => {
            // Checked as UTF-8 once, not string by string as `from_slice`
            // does; bytes that are not get `from_slice`'s own error.
            let parsed = match std::str::from_utf8(bytes) {
                Ok(text) => serde_json::from_str(text),
                Err(_) => serde_json::from_slice(bytes),
            };
            input.body = parsed.map_err(|e| {
                Invalid::new(
                    None,
                    format!(
                        "We could not parse the JSON body of your request ({e}). The API \
                         expects a JSON object with the operation's parameters."
                    ),
                )
            })?;
        }
    }
    let Some(schema) = schema else {
        return Ok(input);
    };
    schema.check(&input.body)?;
    // A JSON body has no file parts: its operation's schema has no rules
    // for them.
    if !is_form {
        return Ok(input);
    }
    let read: Vec<ReadFile> = files.iter().map(|(file, _)| file.clone()).collect();
    schema.check_read_files(&input.body, &read)?;
    input.files = (files.into_iter())
        .map(|(file, stored)| FilePart {
            name: file.name().to_owned(),
            file_name: file.file_name().map(str::to_owned),
            size: file.len(),
            stored,
        })
        .collect();
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

/// Reads the multipart body of a request to `route` as it arrives: its text
/// fields typed as the schema declares them (so that the schema check
/// applies), and each file part checked piece by piece and written to
/// `destination`, never held whole. A body that fails to arrive fails
/// with its own error.
pub(crate) async fn read_form<S, E>(
    route: &Route,
    headers: &HeaderMap,
    body: S,
    destination: &Destination,
) -> Result<Form, FormError<E>>
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    let schema = request_schema(route.operation.api, route.operation.id);
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    let invalid = |message: String| FormError::Invalid(Invalid::new(None, message));
    let content_type = content_type
        .filter(|value| {
            value
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
        .ok_or_else(|| {
            invalid(format!(
                "Invalid Content-Type header ({}), expected multipart/form-data",
                content_type.unwrap_or("none")
            ))
        })?;
    let bad_form = |error: multer::Error| match error {
        multer::Error::StreamReadFailed(error) => match error.downcast::<E>() {
            Ok(error) => FormError::Body(*error),
            Err(error) => invalid(format!("Invalid multipart body: {error}")),
        },
        error => invalid(format!("Invalid multipart body: {error}")),
    };
    let boundary = multer::parse_boundary(content_type).map_err(bad_form)?;
    let mut multipart = multer::Multipart::new(body, boundary);
    let mut form = Form::default();
    let (mut parts, mut text_bytes) = (0, 0);
    while let Some(mut field) = multipart.next_field().await.map_err(bad_form)? {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(invalid(format!(
                "Invalid multipart body: more than {MAX_PARTS} parts"
            )));
        }
        let name = field.name().unwrap_or_default().to_owned();
        if let Some(schema) = schema.filter(|schema| schema.is_file(&name)) {
            let mut check = schema.file_check(&name, field.file_name());
            let mut sink = destination.open().await.map_err(FormError::Store)?;
            while let Some(piece) = field.chunk().await.map_err(bad_form)? {
                check.update(&piece);
                sink.write(&piece).await.map_err(|error| match error {
                    WriteError::Full(full) => FormError::Invalid(storage_full(full)),
                    WriteError::Io(error) => FormError::Store(error),
                })?;
            }
            let stored = sink.finish().await.map_err(FormError::Store)?;
            form.files.push((check.finish(), stored));
            continue;
        }
        let mut text = Vec::new();
        while let Some(piece) = field.chunk().await.map_err(bad_form)? {
            text_bytes += piece.len();
            if text_bytes > MAX_TEXT_BYTES {
                return Err(FormError::Invalid(Invalid::new(
                    Some(&name),
                    format!("The text fields are larger than {MAX_TEXT_BYTES} bytes"),
                )));
            }
            text.extend_from_slice(&piece);
        }
        let text = String::from_utf8(text).map_err(|_| {
            FormError::Invalid(Invalid::new(
                Some(&name),
                format!("'{name}' is not UTF-8 text"),
            ))
        })?;
        let value = match schema {
            Some(schema) => schema.form_value(&name, text),
            None => Value::String(text),
        };
        form.fields.insert(name, value);
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use crate::routes;
    use crate::uploads::{Destination, Shelf};

    #[derive(Debug)]
    struct Broken;

    impl std::fmt::Display for Broken {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("broken off")
        }
    }

    impl std::error::Error for Broken {}

    fn form_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = "multipart/form-data; boundary=XyZ".parse().unwrap();
        headers.insert(http::header::CONTENT_TYPE, value);
        headers
    }

    /// A training file upload, its file part in `pieces` pieces of
    /// `piece_bytes` bytes of JSON Lines each.
    fn upload(pieces: usize, piece_bytes: usize) -> Vec<Result<Bytes, Broken>> {
        let line = b"{\"prompt\": \"a\", \"completion\": \"b\"}\n";
        let head = "--XyZ\r\ncontent-disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n\
                    --XyZ\r\ncontent-disposition: form-data; name=\"file\"; filename=\"t.jsonl\"\r\n\r\n";
        let mut out = vec![Ok(Bytes::from(head))];
        let lines: Vec<u8> = line.iter().copied().cycle().take(piece_bytes).collect();
        out.extend((0..pieces).map(|_| Ok(Bytes::from(lines.clone()))));
        out.push(Ok(Bytes::from_static(b"\r\n--XyZ--\r\n")));
        out
    }

    fn files_in(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).unwrap().count()
    }

    #[tokio::test]
    async fn a_form_is_read_piece_by_piece_and_an_upload_broken_off_leaves_no_file() {
        let shelf = Arc::new(Shelf::new(1 << 20));
        let destination = Destination::Directory(shelf.clone());
        let route = routes::find("POST", "/v1/files").unwrap();
        let line_bytes = 37;

        let whole = futures::stream::iter(upload(40, 10 * line_bytes));
        let form = read_form(&route, &form_headers(), whole, &destination)
            .await
            .unwrap();
        let (file, stored) = &form.files[0];
        assert_eq!(file.len(), 40 * 10 * line_bytes as u64);
        assert_eq!(form.fields["purpose"], "fine-tune");
        let stored = stored.as_ref().unwrap();
        assert_eq!(stored.size(), file.len());
        assert_eq!(std::fs::metadata(stored.path()).unwrap().len(), file.len());
        let dir = stored.path().parent().unwrap().to_owned();
        drop(form);

        let mut broken = upload(40, 10 * line_bytes);
        broken.truncate(20);
        broken.push(Err(Broken));
        let error = read_form(
            &route,
            &form_headers(),
            futures::stream::iter(broken),
            &destination,
        )
        .await
        .unwrap_err();
        assert!(matches!(error, FormError::Body(Broken)), "{error:?}");
        // Removal runs on the blocking pool.
        for _ in 0..200 {
            if files_in(&dir) == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(files_in(&dir), 0, "a partial file is left");
    }

    #[tokio::test]
    async fn an_upload_past_the_limit_is_refused_as_it_arrives() {
        let destination = Destination::Directory(Arc::new(Shelf::new(1000)));
        let route = routes::find("POST", "/v1/files").unwrap();
        let body = futures::stream::iter(upload(40, 370));
        let error = read_form(&route, &form_headers(), body, &destination)
            .await
            .unwrap_err();
        let FormError::Invalid(invalid) = error else {
            panic!("{error:?}");
        };
        assert_eq!(invalid.param.as_deref(), Some("file"));
        assert!(invalid.message.contains("storage limit"), "{invalid:?}");
    }

    #[test]
    fn a_body_that_is_not_json_or_not_utf8_gets_serdes_words() {
        let route = routes::find("POST", "/v1/completions").unwrap();
        let message = |body: &[u8]| {
            read(&route, None, RequestBody::Bytes(body))
                .unwrap_err()
                .message
        };
        let not_utf8 = message(b"{\"model\": \"\xff\"}");
        assert!(
            not_utf8.contains("invalid unicode code point at line 1 column 12"),
            "{not_utf8}"
        );
        let cut = message(b"{\"model\": ");
        assert!(
            cut.contains("EOF while parsing a value at line 1 column 10"),
            "{cut}"
        );
        assert!(cut.starts_with("We could not parse the JSON body"), "{cut}");
        let ok = read(&route, None, RequestBody::Bytes(br#"{"model": "ada"}"#)).unwrap();
        assert_eq!(ok.text("model"), Some("ada"));
    }

    #[test]
    fn a_form_of_too_many_parts_is_refused() {
        let route = routes::find("POST", "/v1/files").unwrap();
        let mut body = String::new();
        for _ in 0..=MAX_PARTS {
            body.push_str("--XyZ\r\ncontent-disposition: form-data; name=\"purpose\"\r\n\r\nx\r\n");
        }
        body.push_str("--XyZ--\r\n");
        let body = futures::stream::once(async move { Ok::<_, Broken>(Bytes::from(body)) });
        let headers = form_headers();
        let read = read_form(&route, &headers, body, &Destination::Discard);
        let Err(FormError::Invalid(invalid)) = futures::executor::block_on(read) else {
            panic!("read");
        };
        assert!(
            invalid.message.contains("more than 64 parts"),
            "{invalid:?}"
        );
    }
}
