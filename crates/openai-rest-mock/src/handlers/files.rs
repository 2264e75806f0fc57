//! The files: uploaded (the bytes already on disk, written as they
//! arrived), imported (Azure, from a `data:` URL), listed, retrieved,
//! downloaded and deleted in the store, shown in OpenAI's or Azure's shape;
//! from the fixtures when stateless.

use bytes::Bytes;
use openai_rest_raw::operations::{Api, OperationId};

use crate::answer::{Answer, Body};
use crate::azure_shapes;
use crate::error::ApiError;
use crate::handlers::Call;
use crate::json::Json;
use crate::replies::set;
use crate::store::Store;
use crate::store::files::{FILE_CHECK, File, FileContent, FileStatus};
use crate::store::ids::new_id;

/// A file in the shape of `api`.
fn shown(file: &File, api: Api) -> Json {
    match api {
        Api::OpenAi => file.to_openai(),
        Api::Azure => azure_shapes::file(&file.to_openai(), Some(file.updated_at)),
    }
}

/// Adopts the uploaded file where it was written as it arrived (its bytes
/// already counted against the 1 GB): no copy, no wait.
pub(crate) fn create(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        let (input, file) = (call.input, call.file("file"));
        return call.fixture_answer(|doc| {
            if let Some(file) = file {
                set(doc, "bytes", file.size);
                if let Some(name) = &file.file_name {
                    set(doc, "filename", name.as_str());
                }
            }
            if let Some(purpose) = input.text("purpose") {
                set(doc, "purpose", purpose);
            }
        });
    };
    // The schema check has made sure of both, and the store's destination
    // of the file's bytes.
    let file = call.take_file("file");
    let (Some(file), Some(purpose)) = (file, call.input.text("purpose")) else {
        return Err(ApiError::invalid_request(
            400,
            "'file' and 'purpose' are required",
        ));
    };
    let Some(stored) = file.stored else {
        return Err(ApiError::storage("the upload was not written"));
    };
    let size = stored.size();
    let content = FileContent::Disk {
        path: stored.keep(),
        size,
    };
    let filename = file.file_name.as_deref().unwrap_or("file");
    keep(call, store, content, |file| {
        file.bytes = Some(size);
        file.filename = Some(filename.into());
        file.purpose = Some(purpose.into());
        file.status = FileStatus::Uploaded;
    })
}

/// Keeps a new file: the `createFile` fixture with the fields `fill` sets,
/// a new id and the time now; an `uploaded` one is checked [`FILE_CHECK`]
/// later. The answer is the file in the shape of the API asked.
fn keep(
    call: &Call<'_>,
    store: &Store,
    content: FileContent,
    fill: impl FnOnce(&mut File),
) -> Result<Answer, ApiError> {
    let mut object = call.fixture_json(OperationId::CreateFile)?;
    object.replace("id", new_id("file-").as_str().into());
    let mut file = File::from_object(object, content)
        .ok_or_else(|| ApiError::storage("the createFile fixture has no id"))?;
    fill(&mut file);
    let created = store.clock().elapsed();
    let unix = store.clock().unix_at(created);
    file.created_at = unix;
    file.updated_at = unix;
    file.checked_at = (file.status == FileStatus::Uploaded).then_some(created + FILE_CHECK);
    let answer = Answer::json(&shown(&file, call.api()));
    store.lock().files.push(file);
    Ok(answer)
}

/// Azure's import of a file from a URL. The mock reaches no network: a
/// `data:` URL imports its bytes, checked as an upload's; any other URL, or
/// content that fails the check, leaves the file `failed` with Azure's
/// `error`, as a failed import was.
pub(crate) fn import(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        let input = call.input;
        return call.fixture_answer(|doc| {
            for field in ["filename", "purpose"] {
                if let Some(value) = input.text(field) {
                    set(doc, field, value);
                }
            }
        });
    };
    // The schema check has made sure of all three.
    let input = call.input;
    let purpose = input.text("purpose").unwrap_or_default();
    let filename = input.text("filename").unwrap_or_default();
    let url = input.text("content_url").unwrap_or_default();
    let imported = match data_url(url) {
        None => Err((
            "fileImportFailed",
            format!(
                "openai-rest-mock does not fetch URLs, so it cannot import this {}: URL; it \
                 imports only the content of a data: URL (RFC 2397), such as \
                 data:application/jsonl;base64,...",
                url.split([':', '/']).next().unwrap_or_default()
            ),
        )),
        Some(Err(problem)) => Err((
            "fileImportFailed",
            format!("The content_url is not a valid data: URL: {problem}"),
        )),
        Some(Ok(bytes)) => check_upload(purpose, filename, &bytes)
            .map(|()| bytes)
            .map_err(|problem| ("jsonlValidationFailed", problem)),
    };
    let bytes = imported.as_ref().map_or(0, |bytes| bytes.len() as u64);
    let content = FileContent::Memory(imported.as_ref().cloned().unwrap_or_default());
    keep(call, store, content, |file| {
        file.filename = Some(filename.into());
        file.purpose = Some(purpose.into());
        file.bytes = Some(bytes);
        match &imported {
            // Checked as an upload is.
            Ok(_) => file.status = FileStatus::Uploaded,
            // OpenAI's `error` (Azure's `failed`), with Azure's `error`
            // saying why.
            Err((code, message)) => {
                file.status = FileStatus::Error;
                file.shape
                    .replace("status_details", message.as_str().into());
                let error = Json::Object(vec![
                    ("code".into(), (*code).into()),
                    ("message".into(), message.as_str().into()),
                ]);
                file.shape
                    .merge_patch(&Json::Object(vec![("error".into(), error)]));
            }
        }
    })
}

pub(crate) fn list(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        return call.fixture_answer(|_| {});
    };
    let api = call.api();
    let items = store
        .lock()
        .files
        .iter()
        .map(|file| shown(file, api))
        .collect();
    call.list_answer(items)
}

pub(crate) fn retrieve(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        return call.fixture_answer(|_| {});
    };
    let state = store.lock();
    Ok(Answer::json(&shown(
        state.files.get(call.id())?,
        call.api(),
    )))
}

/// The file's bytes: opened under the lock, so that a delete cannot remove
/// it first, and read after, as the answer goes out.
pub(crate) fn download(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        return call.fixture_answer(|_| {});
    };
    let state = store.lock();
    let file = state.files.get(call.id())?;
    let body = match &file.content {
        FileContent::Memory(bytes) => Body::Full(bytes.clone()),
        FileContent::Disk { path, size } => Body::File {
            file: std::fs::File::open(path).map_err(ApiError::storage)?,
            size: *size,
        },
    };
    Ok(Answer::ok(Some("application/octet-stream"), body))
}

pub(crate) fn delete(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        return call.fixture_answer(|_| {});
    };
    let mut answer = call.fixture_json(OperationId::DeleteFile)?;
    let id = call.id();
    let file = store.lock().files.remove(id)?;
    store.remove(file);
    answer.replace("id", id.into());
    Ok(Answer::json(&answer))
}

/// The bytes of a `data:` URL (RFC 2397: `data:[<media type>][;base64],<data>`);
/// `None` for a URL of another scheme, the problem for a malformed one.
/// Small enough not to need a crate of its own.
fn data_url(url: &str) -> Option<Result<Bytes, String>> {
    let rest = url
        .get(..5)
        .filter(|scheme| scheme.eq_ignore_ascii_case("data:"))
        .map(|_| &url[5..])?;
    let Some((meta, data)) = rest.split_once(',') else {
        return Some(Err("it has no comma before its data".into()));
    };
    let data: Vec<u8> = percent_encoding::percent_decode_str(data).collect();
    let is_base64 = meta
        .rsplit(';')
        .next()
        .is_some_and(|last| last.eq_ignore_ascii_case("base64"));
    if !is_base64 {
        return Some(Ok(data.into()));
    }
    use base64::Engine as _;
    Some(
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .map(Bytes::from)
            .map_err(|e| format!("its data is not base64: {e}")),
    )
}

/// Checks content as Azure's upload of it would be (JSON Lines of
/// prompt/completion records for `fine-tune`).
fn check_upload(purpose: &str, filename: &str, bytes: &[u8]) -> Result<(), String> {
    let Some(schema) = crate::input::request_schema(Api::Azure, OperationId::CreateFile) else {
        return Ok(());
    };
    let file = openai_rest_spec::File {
        name: "file",
        file_name: Some(filename),
        bytes,
    };
    schema
        .check_files(&serde_json::json!({ "purpose": purpose }), &[file])
        .map_err(|violation| violation.to_string())
}
