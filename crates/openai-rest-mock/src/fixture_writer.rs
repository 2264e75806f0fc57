//! What the recording proxy (`proxy.rs`) writes, apart from the proxying: which file of
//! the fixtures layout an answer goes to, the answer with its secrets
//! masked, and the write itself, atomic so that a failure leaves the
//! directory as it was.

use std::convert::Infallible;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::HeaderMap;
use openai_rest_raw::operations::Operation;
use serde_json::{Map, Value};

use crate::fixtures::Fixture;
use crate::input::Input;
use crate::params::Params;
use crate::replies;

/// A masked secret, in place of its value.
const REDACTED: &str = "[redacted]";

/// Secrets shorter than this are not looked for in bodies: replacing every
/// occurrence of a few characters would mangle answers, and no real key or
/// organization id is that short.
const MIN_SECRET_LEN: usize = 8;

/// Key-like tokens masked wherever they appear: API keys (`sk-...`, also as
/// the API echoes them in a 401, `sk-abc***...wxyz`) and organization ids
/// (`org-...`), each with the characters it may hold after the prefix.
const TOKENS: [(&str, IsTokenByte); 2] = [
    ("sk-", |b| b.is_ascii_alphanumeric() || b"_-*".contains(&b)),
    ("org-", |b| b.is_ascii_alphanumeric() || b"_-".contains(&b)),
];

type IsTokenByte = fn(u8) -> bool;

/// How many characters after the prefix make a token a key or an id: real
/// ones have 24 or more, words like `org-chart` far fewer.
const MIN_TOKEN_LEN: usize = 16;

/// How many `*` in a row, between letters or digits, make a key as an API
/// echoes it (`sk-abc***...***wxyz`, `azu****cdef`): the ends of a key are
/// a secret too.
const MIN_ECHO_STARS: usize = 4;

/// What a request asks for that names its case (`stream`, a
/// `response_format`): its JSON body, or the text fields of its form, and
/// its query. Nothing is checked: the upstream judges the request.
pub(crate) fn request_input(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Input {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let body = if content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        form_fields(content_type, body)
    } else {
        serde_json::from_slice(body).unwrap_or(Value::Null)
    };
    Input {
        body,
        files: Vec::new(),
        query: form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect(),
        page: None,
    }
}

/// The text fields of a multipart body; its files are skipped.
fn form_fields(content_type: &str, body: &[u8]) -> Value {
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return Value::Null;
    };
    let body = Bytes::copy_from_slice(body);
    let mut form = multer::Multipart::new(
        futures::stream::once(async move { Ok::<_, Infallible>(body) }),
        boundary,
    );
    let mut fields = Map::new();
    // The whole body is in memory, so nothing here ever waits.
    futures::executor::block_on(async {
        while let Ok(Some(field)) = form.next_field().await {
            if field.file_name().is_some() {
                continue;
            }
            let name = field.name().unwrap_or_default().to_owned();
            if let Ok(text) = field.text().await {
                fields.insert(name, Value::String(text));
            }
        }
    });
    Value::Object(fields)
}

/// The file of the fixtures layout an answer goes to, relative to the
/// directory: `<operationId>/<case>.<ext>` for a success, with the case the
/// mock answers the same request with and the extension of its content
/// type; `errors/<status>_<code or type>.json` for an error. `Err` says why
/// the answer has no place in the layout.
pub(crate) fn file_for(
    operation: Option<&Operation>,
    input: &Input,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<String, String> {
    let media = content_type.map(|value| {
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    });
    match status {
        200..=299 => {
            let operation = operation.ok_or("no operation of the spec has this path")?;
            let case = replies::fixture_case(operation, input, &Params::read(&input.body));
            let extension = extension(case, media.as_deref(), body.is_empty())?;
            Ok(format!("{}/{case}.{extension}", operation.id))
        }
        400..=599 => {
            let error = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|body| body.get("error").cloned())
                .filter(Value::is_object)
                .ok_or("an error answer without the API's error body")?;
            let code = match &error["code"] {
                Value::String(code) => code.clone(),
                Value::Number(code) => code.to_string(),
                _ => String::new(),
            };
            let name = match &error["type"] {
                // Azure's gateway gives the status as the code ("401",
                // "429"): named by what it says instead.
                _ if code == status.to_string() => gateway_error(status),
                _ if !code.is_empty() => code,
                Value::String(kind) if !kind.is_empty() => kind.clone(),
                _ => return Err("an error body with neither `code` nor `type`".into()),
            };
            Ok(format!("errors/{status}_{}.json", file_name(&name)))
        }
        _ => Err(format!("a {status} answer is not a fixture")),
    }
}

fn extension(case: &str, media: Option<&str>, empty: bool) -> Result<&'static str, String> {
    if empty {
        return Ok("empty");
    }
    Ok(match media {
        Some("application/json") => "json",
        Some(media) if media.ends_with("+json") => "json",
        Some("text/event-stream") => "sse",
        Some("text/plain") => match case {
            "srt" => "srt",
            "vtt" => "vtt",
            _ => "txt",
        },
        Some("application/octet-stream" | "application/jsonl" | "application/x-ndjson") => "jsonl",
        Some(other) => {
            return Err(format!(
                "a `{other}` answer, which the fixtures layout has no file type for"
            ));
        }
        None => return Err("a body without a content type".into()),
    })
}

/// The name of an error that Azure's gateway answered with its status as
/// the code.
fn gateway_error(status: u16) -> String {
    match status {
        401 => "azure_access_denied".into(),
        429 => "azure_rate_limit".into(),
        _ => format!("azure_{status}"),
    }
}

/// An error's code or type as a fixture name: snake case, as OpenAI's codes
/// and the fixtures' names are (Azure's `DeploymentNotFound` and
/// `invalidPayload` become `deployment_not_found` and `invalid_payload`),
/// with anything but letters, digits and `-` made `_` (a `.` would end the
/// case).
fn file_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut previous: Option<char> = None;
    for c in name.chars() {
        if c.is_ascii_uppercase()
            && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
        {
            out.push('_');
        }
        let c = if c.is_ascii_alphanumeric() || c == '-' {
            c.to_ascii_lowercase()
        } else {
            '_'
        };
        out.push(c);
        previous = Some(c);
    }
    out
}

/// The secrets a request carries: the token of its `Authorization` header
/// and the values of `api-key` and `OpenAI-Organization`.
pub(crate) fn secrets(headers: &HeaderMap) -> Vec<String> {
    let mut secrets = Vec::new();
    for name in ["authorization", "api-key", "openai-organization"] {
        for value in headers.get_all(name) {
            let Ok(value) = value.to_str() else { continue };
            // `Bearer <token>`: the token is the secret.
            let value = match value.split_once(' ') {
                Some((_, token)) if name == "authorization" => token,
                _ => value,
            };
            let value = value.trim();
            if value.len() >= MIN_SECRET_LEN {
                secrets.push(value.to_owned());
            }
        }
    }
    secrets
}

/// `body` with every secret of the request, every API key (`sk-...`),
/// every organization id (`org-...`) and every key as an API echoes it
/// (`abc****wxyz`) replaced by `[redacted]` (keeping the prefix of a key or
/// id). Only ASCII without quotes or backslashes goes in, so a JSON body
/// stays JSON and an event stream keeps its lines.
pub(crate) fn mask(body: &[u8], secrets: &[String]) -> Vec<u8> {
    let mut out = body.to_vec();
    for secret in secrets {
        out = replace_all(&out, secret.as_bytes(), REDACTED.as_bytes());
    }
    for (prefix, is_token_byte) in TOKENS {
        out = mask_tokens(&out, prefix.as_bytes(), is_token_byte);
    }
    mask_echoes(&out)
}

fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut start = 0;
    for at in memchr::memmem::find_iter(haystack, needle) {
        // Overlapping matches of a repeated pattern: the first one wins.
        if at < start {
            continue;
        }
        out.extend_from_slice(&haystack[start..at]);
        out.extend_from_slice(with);
        start = at + needle.len();
    }
    out.extend_from_slice(&haystack[start..]);
    out
}

/// Replaces each `prefix` + at least [`MIN_TOKEN_LEN`] token bytes, at the
/// start of a word, by `prefix[redacted]`.
fn mask_tokens(haystack: &[u8], prefix: &[u8], is_token_byte: IsTokenByte) -> Vec<u8> {
    let is_word_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let mut out = Vec::with_capacity(haystack.len());
    let mut start = 0;
    for at in memchr::memmem::find_iter(haystack, prefix) {
        if at < start || (at > 0 && is_word_byte(haystack[at - 1])) {
            continue;
        }
        let token = at + prefix.len();
        let len = haystack[token..]
            .iter()
            .take_while(|&&b| is_token_byte(b))
            .count();
        if len < MIN_TOKEN_LEN {
            continue;
        }
        out.extend_from_slice(&haystack[start..token]);
        out.extend_from_slice(REDACTED.as_bytes());
        start = token + len;
    }
    out.extend_from_slice(&haystack[start..]);
    out
}

/// Replaces each word of letters and digits around [`MIN_ECHO_STARS`] or
/// more `*` (with letters or digits on both sides) by `[redacted]`.
fn mask_echoes(haystack: &[u8]) -> Vec<u8> {
    let is_word_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let stars = [b'*'; MIN_ECHO_STARS];
    let mut out = Vec::with_capacity(haystack.len());
    let mut start = 0;
    for at in memchr::memmem::find_iter(haystack, &stars) {
        if at < start {
            continue;
        }
        let first = haystack[..at]
            .iter()
            .rposition(|&b| !is_word_byte(b))
            .map_or(0, |before| before + 1)
            .max(start);
        let after_stars = at + haystack[at..].iter().take_while(|&&b| b == b'*').count();
        let end = after_stars
            + haystack[after_stars..]
                .iter()
                .take_while(|&&b| is_word_byte(b) || b == b'*')
                .count();
        if first == at || end == after_stars {
            continue;
        }
        out.extend_from_slice(&haystack[start..first]);
        out.extend_from_slice(REDACTED.as_bytes());
        start = end;
    }
    out.extend_from_slice(&haystack[start..]);
    out
}

/// Why a recording was not written.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NotWritten {
    /// The bytes do not parse as the file's extension says (a stream that
    /// broke off, a JSON answer that is not JSON): the mock could not
    /// replay them.
    Unusable(String),
    /// A file of the case is there and is to be kept: its name.
    Kept(String),
    /// The file system refused.
    Failed(String),
}

/// Writes `bytes` to `dir/file` (`file` as [`file_for`] names it) through a
/// hidden temporary file renamed into place, so that a reader never sees
/// half a file and a failure leaves the directory as it was. A file of the
/// same case with another extension (`text.json` for `text.txt`) is the
/// same fixture to the mock, so it goes; with `keep_existing` any file of
/// the case is kept instead.
pub(crate) fn write(
    dir: &Path,
    file: &str,
    bytes: &[u8],
    keep_existing: bool,
) -> Result<(), NotWritten> {
    let (sub, name) = file.split_once('/').unwrap_or(("", file));
    Fixture::parse(name, Bytes::copy_from_slice(bytes))
        .map_err(|reason| NotWritten::Unusable(format!("{file}: {reason}")))?;
    let case = name.split('.').next().unwrap_or_default();
    let sub_dir = dir.join(sub);
    let same_case: Vec<_> = std::fs::read_dir(&sub_dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let entry_name = entry.ok()?.file_name().to_string_lossy().into_owned();
            let entry_case = entry_name.split('.').next().unwrap_or_default();
            (!entry_name.starts_with('.') && entry_case == case).then_some(entry_name)
        })
        .collect();
    if keep_existing && let Some(existing) = same_case.first() {
        return Err(NotWritten::Kept(format!("{sub}/{existing}")));
    }

    let failed = |what: &str, error: std::io::Error| {
        NotWritten::Failed(format!("{what} {}: {error}", sub_dir.join(name).display()))
    };
    let created = !sub_dir.is_dir();
    std::fs::create_dir_all(&sub_dir).map_err(|e| failed("creating the directory of", e))?;
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let temporary = sub_dir.join(format!(
        ".{name}.{}-{}.tmp",
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    let written = write_synced(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, sub_dir.join(name)));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        if created {
            // Only succeeds if empty: nothing else was there.
            let _ = std::fs::remove_dir(&sub_dir);
        }
        return Err(failed("writing", error));
    }
    for other in same_case.iter().filter(|other| *other != name) {
        // A failure leaves two files of the case, the mock reads the last
        // in name order; the new file is in place either way.
        let _ = std::fs::remove_file(sub_dir.join(other));
    }
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use openai_rest_raw::operations::{OPERATIONS, OperationId};

    fn operation(id: OperationId) -> &'static Operation {
        OPERATIONS.iter().find(|op| op.id == id).unwrap()
    }

    fn json_input(body: &str) -> Input {
        request_input(None, &HeaderMap::new(), body.as_bytes())
    }

    #[test]
    fn a_success_goes_to_its_case_with_the_extension_of_its_content_type() {
        let completion = Some(operation(OperationId::CreateCompletion));
        let name = |input: &Input, content_type: &str| {
            file_for(completion, input, 200, Some(content_type), b"x")
        };
        assert_eq!(
            name(&json_input("{}"), "application/json"),
            Ok("createCompletion/response.json".into())
        );
        assert_eq!(
            name(&json_input(r#"{"stream": true}"#), "text/event-stream"),
            Ok("createCompletion/stream.sse".into())
        );
        let error = name(&json_input("{}"), "text/html; charset=utf-8").unwrap_err();
        assert!(error.contains("text/html"), "{error}");

        let download = Some(operation(OperationId::DownloadFile));
        assert_eq!(
            file_for(
                download,
                &json_input(""),
                200,
                Some("application/octet-stream"),
                b"{}\n"
            ),
            Ok("downloadFile/response.jsonl".into())
        );
        let delete = Some(operation(OperationId::DeleteDeployment));
        assert_eq!(
            file_for(delete, &json_input(""), 204, None, b""),
            Ok("deleteDeployment/response.empty".into())
        );
        assert!(
            file_for(
                None,
                &json_input("{}"),
                200,
                Some("application/json"),
                b"{}"
            )
            .is_err()
        );
        assert!(file_for(completion, &json_input("{}"), 302, None, b"").is_err());
    }

    #[test]
    fn a_form_names_its_case_by_its_text_fields() {
        let body = b"--XyZ\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a.mp3\"\r\n\r\nID3\r\n\
--XyZ\r\ncontent-disposition: form-data; name=\"response_format\"\r\n\r\nsrt\r\n--XyZ--\r\n";
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            "multipart/form-data; boundary=XyZ".parse().unwrap(),
        );
        let input = request_input(None, &headers, body);
        let transcription = Some(operation(OperationId::CreateTranscription));
        assert_eq!(
            file_for(
                transcription,
                &input,
                200,
                Some("text/plain; charset=utf-8"),
                b"1\n"
            ),
            Ok("createTranscription/srt.srt".into())
        );
        let events = request_input(Some("stream=true"), &HeaderMap::new(), b"");
        assert_eq!(
            file_for(
                Some(operation(OperationId::ListFineTuneEvents)),
                &events,
                200,
                Some("text/event-stream"),
                b"x"
            ),
            Ok("listFineTuneEvents/stream.sse".into())
        );
    }

    #[test]
    fn an_error_goes_to_its_status_and_code_or_type() {
        let name =
            |status, body: &str| file_for(None, &json_input(""), status, None, body.as_bytes());
        assert_eq!(
            name(
                401,
                r#"{"error": {"message": "m", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}"#
            ),
            Ok("errors/401_invalid_api_key.json".into())
        );
        assert_eq!(
            name(
                500,
                r#"{"error": {"message": "m", "type": "server_error", "param": null, "code": null}}"#
            ),
            Ok("errors/500_server_error.json".into())
        );
        // Azure's shape, its codes in snake case as OpenAI's are; a name
        // cannot hold a `.`, which would end the case.
        assert_eq!(
            name(
                404,
                r#"{"error": {"code": "DeploymentNotFound", "message": "m"}}"#
            ),
            Ok("errors/404_deployment_not_found.json".into())
        );
        assert_eq!(
            name(
                409,
                r#"{"error": {"code": "unexpectedEntityState", "message": "m"}}"#
            ),
            Ok("errors/409_unexpected_entity_state.json".into())
        );
        assert_eq!(
            name(
                404,
                r#"{"error": {"code": "Deployment.NotFound", "message": "m"}}"#
            ),
            Ok("errors/404_deployment_not_found.json".into())
        );
        // Azure's gateway: the status as the code.
        assert_eq!(
            name(
                401,
                r#"{"error": {"code": "401", "message": "Access denied"}}"#
            ),
            Ok("errors/401_azure_access_denied.json".into())
        );
        assert_eq!(
            name(
                429,
                r#"{"error": {"code": "429", "message": "Requests to the"}}"#
            ),
            Ok("errors/429_azure_rate_limit.json".into())
        );
        assert!(name(502, "<html>Bad gateway</html>").is_err());
        assert!(name(400, r#"{"error": "nope"}"#).is_err());
    }

    #[test]
    fn the_request_secrets_are_its_key_token_and_organization() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            "Bearer sk-0123456789abcdef".parse().unwrap(),
        );
        headers.insert(
            "api-key",
            "0123456789abcdef0123456789abcdef".parse().unwrap(),
        );
        headers.insert(
            "openai-organization",
            "org-AbCdEf0123456789".parse().unwrap(),
        );
        headers.insert("x-other", "not-a-secret-at-all".parse().unwrap());
        assert_eq!(
            secrets(&headers),
            [
                "sk-0123456789abcdef",
                "0123456789abcdef0123456789abcdef",
                "org-AbCdEf0123456789"
            ]
        );
    }

    #[test]
    fn masking_removes_secrets_keys_and_organization_ids_and_nothing_else() {
        let azure_key = "0123456789abcdef0123456789abcdef".to_owned();
        let body = format!(
            r#"{{"message": "Incorrect API key provided: sk-abc123*************************wxyz. See org-xpMoAv99i8jdZvhGXPfiRXug.", "key": "{azure_key}", "echo": "Key 012*************************cdef is wrong", "text": "task-1234567890123456789 risk-free org-chart sk-short org-... org-{{id}} **bold** ****"}}"#
        );
        let masked =
            String::from_utf8(mask(body.as_bytes(), std::slice::from_ref(&azure_key))).unwrap();
        assert_eq!(
            masked,
            r#"{"message": "Incorrect API key provided: sk-[redacted]. See org-[redacted].", "key": "[redacted]", "echo": "Key [redacted] is wrong", "text": "task-1234567890123456789 risk-free org-chart sk-short org-... org-{id} **bold** ****"}"#
        );
        serde_json::from_str::<Value>(&masked).unwrap();
        // Masking what is masked changes nothing.
        assert_eq!(mask(masked.as_bytes(), &[azure_key]), masked.as_bytes());
    }

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "openai-rest-mock-recording-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writing_replaces_the_case_whatever_its_extension_unless_kept() {
        let dir = temp_dir("replace");
        write(
            &dir,
            "createTranscription/text.json",
            b"{\"text\": \"a\"}",
            false,
        )
        .unwrap();
        write(&dir, "createTranscription/text.txt", b"b\n", false).unwrap();
        assert_eq!(listing(&dir.join("createTranscription")), ["text.txt"]);
        assert_eq!(
            write(&dir, "createTranscription/text.txt", b"c\n", true),
            Err(NotWritten::Kept("createTranscription/text.txt".into()))
        );
        assert_eq!(
            std::fs::read(dir.join("createTranscription/text.txt")).unwrap(),
            b"b\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn what_the_mock_could_not_replay_is_not_written() {
        let dir = temp_dir("unusable");
        let broken = write(&dir, "createCompletion/stream.sse", b"data: {}\n\n", false);
        assert!(
            matches!(&broken, Err(NotWritten::Unusable(reason)) if reason.contains("[DONE]")),
            "{broken:?}"
        );
        assert!(!dir.exists());
    }

    #[test]
    fn a_failed_write_leaves_the_directory_as_it_was() {
        let dir = temp_dir("failed");
        std::fs::create_dir_all(&dir).unwrap();
        // A file where the operation's directory would go.
        std::fs::write(dir.join("listModels"), "in the way").unwrap();
        let failed = write(&dir, "listModels/response.json", b"{}", false);
        assert!(matches!(failed, Err(NotWritten::Failed(_))), "{failed:?}");
        assert_eq!(listing(&dir), ["listModels"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
