//! What a request asks for, read and checked: its query, its JSON or
//! multipart body against the operation's schema, and the rules the docs
//! state beyond the schema (PNG images, audio formats, JSONL training files,
//! `best_of`).

use std::convert::Infallible;

use bytes::Bytes;
use http::HeaderMap;
use openai_rest_raw::operations::{Api, OperationId};
use serde_json::{Map, Value};

use crate::routes::Route;
use crate::validate::{self, Invalid};

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

    pub(crate) fn file(&self, name: &str) -> Option<&FilePart> {
        self.files.iter().find(|file| file.name == name)
    }
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
        && stream != "true"
        && stream != "false"
    {
        return Err(Invalid::new(
            Some("stream"),
            format!("'{stream}' is not of type 'boolean' - 'stream'"),
        ));
    }
    let Some(request) = operation.request else {
        return Ok(input);
    };
    let spec = validate::spec(operation.api);
    let schema = request
        .schema
        .and_then(|name| validate::schema(spec, name))
        .unwrap_or(&Value::Null);
    if request.media_type == "multipart/form-data" {
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        read_form(spec, schema, content_type, body, &mut input)?;
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
    // Azure's deployment, not the body, chooses the model.
    let by_deployment = route
        .params
        .iter()
        .any(|(name, _)| *name == "deployment-id");
    let optional: &[&str] = if by_deployment { &["model"] } else { &[] };
    validate::check(spec, schema, &input.body, optional)?;
    check_rules(operation.id, &input)?;
    Ok(input)
}

/// Parses a multipart body into `input`: its files, and its text fields
/// typed as the schema declares them, so that the schema check applies.
fn read_form(
    spec: &Value,
    schema: &Value,
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
    let properties = schema.get("properties").and_then(Value::as_object);
    let mut fields = Map::new();
    // The whole body is already in memory, so nothing here ever waits.
    futures::executor::block_on(async {
        while let Some(field) = form.next_field().await.map_err(bad_form)? {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(bad_form)?;
            let property = properties.and_then(|p| p.get(&name));
            if property.is_some_and(|property| validate::is_binary(spec, property)) {
                // Present for the `required` check; the bytes are checked below.
                fields.insert(name.clone(), Value::String(String::new()));
                input.files.push(FilePart {
                    name,
                    file_name,
                    bytes,
                });
                continue;
            }
            let text = String::from_utf8(bytes.to_vec())
                .map_err(|_| Invalid::new(Some(&name), format!("'{name}' is not UTF-8 text")))?;
            let kind = property.and_then(|property| validate::property_type(spec, property));
            fields.insert(name, typed(kind, text));
        }
        Ok::<_, Invalid>(())
    })?;
    input.body = Value::Object(fields);
    Ok(())
}

/// A form field's text as the JSON type its property has; left a string
/// when it does not parse, so that the schema check names the field.
fn typed(kind: Option<&str>, text: String) -> Value {
    let parsed = match kind {
        Some("integer") => text.trim().parse::<i64>().ok().map(Value::from),
        Some("number") => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        Some("boolean") => text.trim().parse::<bool>().ok().map(Value::Bool),
        _ => None,
    };
    parsed.unwrap_or(Value::String(text))
}

/// The audio formats of the docs.
const AUDIO_FORMATS: [&str; 7] = ["mp3", "mp4", "mpeg", "mpga", "m4a", "wav", "webm"];

/// The docs' limit for an image: "less than 4MB".
const MAX_IMAGE_BYTES: usize = 4 * 1024 * 1024;

/// What the docs say beyond the schema.
fn check_rules(operation: OperationId, input: &Input) -> Result<(), Invalid> {
    match operation {
        OperationId::CreateCompletion => check_best_of(input),
        OperationId::CreateImageEdit | OperationId::CreateImageVariation => {
            let image = check_image(input, "image")?;
            match check_image(input, "mask")? {
                Some(mask) if Some(mask) != image => Err(Invalid::new(
                    Some("mask"),
                    "The mask must have the same dimensions as the image",
                )),
                _ => Ok(()),
            }
        }
        OperationId::CreateTranscription | OperationId::CreateTranslation => {
            let extension = input
                .file("file")
                .and_then(|file| file.file_name.as_deref())
                .and_then(|name| name.rsplit_once('.'))
                .map(|(_, extension)| extension.to_ascii_lowercase());
            match extension {
                Some(extension) if !AUDIO_FORMATS.contains(&extension.as_str()) => {
                    Err(Invalid::new(
                        Some("file"),
                        format!(
                            "Invalid file format. Supported formats: {}",
                            AUDIO_FORMATS.join(", ")
                        ),
                    ))
                }
                _ => Ok(()),
            }
        }
        OperationId::CreateFile if input.text("purpose") == Some("fine-tune") => {
            check_training_file(input.file("file").map_or(&[][..], |file| &file.bytes))
        }
        _ => Ok(()),
    }
}

/// "best_of must be greater than n" and "cannot be streamed".
fn check_best_of(input: &Input) -> Result<(), Invalid> {
    let Some(best_of) = input.body.get("best_of").and_then(Value::as_i64) else {
        return Ok(());
    };
    let n = input.body.get("n").and_then(Value::as_i64).unwrap_or(1);
    if best_of < n {
        return Err(Invalid::new(
            Some("best_of"),
            format!("best_of ({best_of}) must be greater than or equal to n ({n})"),
        ));
    }
    if best_of > 1 && input.body.get("stream") == Some(&Value::Bool(true)) {
        return Err(Invalid::new(
            Some("best_of"),
            "best_of cannot be greater than 1 when streaming",
        ));
    }
    Ok(())
}

/// A PNG image "less than 4MB, and square": its dimensions.
fn check_image(input: &Input, name: &str) -> Result<Option<(u32, u32)>, Invalid> {
    let Some(file) = input.file(name) else {
        return Ok(None);
    };
    let invalid = |message: &str| Err(Invalid::new(Some(name), format!("'{name}': {message}")));
    if file.bytes.len() >= MAX_IMAGE_BYTES {
        return invalid("the image must be less than 4 MB");
    }
    match png_dimensions(&file.bytes) {
        None => invalid("the image must be a valid PNG file"),
        Some((width, height)) if width != height => {
            invalid(&format!("the image must be square, it is {width}x{height}"))
        }
        Some(dimensions) => Ok(Some(dimensions)),
    }
}

/// The width and height in a PNG's header chunk; `None` if the bytes do not
/// start like a PNG.
fn png_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    let header = bytes.strip_prefix(SIGNATURE)?.get(..16)?;
    if &header[4..8] != b"IHDR" {
        return None;
    }
    let number = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    Some((number(8), number(12)))
}

/// A `fine-tune` file: JSON Lines, each a record with "prompt" and
/// "completion" strings.
fn check_training_file(bytes: &[u8]) -> Result<(), Invalid> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Invalid::new(Some("file"), "The file is not UTF-8 JSON Lines"))?;
    let mut records = 0;
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: Value = serde_json::from_str(line).unwrap_or(Value::Null);
        let has = |key| record.get(key).is_some_and(Value::is_string);
        if !(has("prompt") && has("completion")) {
            return Err(Invalid::new(
                Some("file"),
                format!(
                    "Line {} of the file is not a JSON object with \"prompt\" and \"completion\" strings",
                    number + 1
                ),
            ));
        }
        records += 1;
    }
    if records == 0 {
        return Err(Invalid::new(
            Some("file"),
            "The file has no training examples",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_dimensions_come_from_the_header_chunk() {
        // A 2x2 RGB PNG's first 24 bytes.
        let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x02\x00\x00\x00\x02";
        assert_eq!(png_dimensions(png), Some((2, 2)));
        assert_eq!(png_dimensions(b"GIF89a"), None);
        assert_eq!(png_dimensions(&png[..20]), None);
    }

    #[test]
    fn training_files_need_prompt_and_completion_on_every_line() {
        assert!(check_training_file(b"{\"prompt\": \"a\", \"completion\": \"b\"}\n\n").is_ok());
        let error =
            check_training_file(b"{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": 1}\n")
                .unwrap_err();
        assert_eq!(error.param.as_deref(), Some("file"));
        assert!(error.message.starts_with("Line 2 "), "{}", error.message);
        assert!(check_training_file(b"").is_err());
    }
}
