//! The files resource: what was uploaded, imported, documented or made by a
//! fine-tune, as typed records with their bytes (in memory or on disk), and
//! the one step of their lifecycle, the check that takes an upload from
//! `uploaded` to `processed` [`FILE_CHECK`] after it arrived.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;

use crate::clock::Clock;
use crate::error::ApiError;
use crate::json::Json;

/// How long the API takes to check an upload: it is `uploaded` (Azure:
/// `notRunning`, without its size) until then, and `processed` (Azure:
/// `succeeded`) after.
pub(crate) const FILE_CHECK: Duration = Duration::from_secs(1);

/// A file's `status`, in OpenAI's words (Azure's are made at the edge).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FileStatus {
    Uploaded,
    Processed,
    /// A failed import: OpenAI's word for a file that failed its check.
    Error,
    /// Any other word a recording or an example used, kept as it was.
    Other(String),
}

impl FileStatus {
    pub(crate) fn parse(status: &str) -> FileStatus {
        match status {
            "uploaded" => FileStatus::Uploaded,
            "processed" => FileStatus::Processed,
            "error" => FileStatus::Error,
            other => FileStatus::Other(other.to_owned()),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            FileStatus::Uploaded => "uploaded",
            FileStatus::Processed => "processed",
            FileStatus::Error => "error",
            FileStatus::Other(other) => other,
        }
    }
}

/// A stored file.
#[derive(Debug)]
pub(crate) struct File {
    pub(crate) id: String,
    pub(crate) bytes: Option<u64>,
    /// Unix seconds.
    pub(crate) created_at: u64,
    pub(crate) filename: Option<String>,
    pub(crate) purpose: Option<String>,
    pub(crate) status: FileStatus,
    /// Unix seconds of its last change, which Azure shows.
    pub(crate) updated_at: u64,
    /// Mock time when its check is done and it is `processed`; `None` once
    /// it is, or for a file that needs no check.
    pub(crate) checked_at: Option<Duration>,
    pub(crate) content: FileContent,
    /// The rest of the object as the fixture or recording gave it (its
    /// fields' order, and fields the mock does not read, such as
    /// `status_details` or a failed import's `error`): a recording's file
    /// comes back as it was recorded.
    pub(crate) shape: Json,
}

#[derive(Debug)]
pub(crate) enum FileContent {
    /// A documented file (the content fixture's bytes) or one the mock made
    /// (a fine-tune's small results CSV, an import).
    Memory(Bytes),
    /// An upload, `size` bytes on disk.
    Disk { path: PathBuf, size: u64 },
}

fn text(doc: &Json, key: &str) -> Option<String> {
    match doc.get(key)? {
        Json::String(text) => Some(text.clone()),
        _ => None,
    }
}

impl File {
    /// A file as an object in OpenAI's shape describes it (documented,
    /// recorded, or the `createFile` fixture filled in), checked: it needs
    /// no check. `None` for an object without an id.
    pub(crate) fn from_object(object: Json, content: FileContent) -> Option<File> {
        let created_at = object
            .get("created_at")
            .and_then(Json::as_u64)
            .unwrap_or_default();
        Some(File {
            id: text(&object, "id")?,
            bytes: object.get("bytes").and_then(Json::as_u64),
            created_at,
            filename: text(&object, "filename"),
            purpose: text(&object, "purpose"),
            status: FileStatus::parse(&text(&object, "status").unwrap_or_default()),
            updated_at: created_at,
            checked_at: None,
            content,
            shape: object,
        })
    }

    /// The file in OpenAI's shape: its fields written into its shape.
    pub(crate) fn to_openai(&self) -> Json {
        let mut object = self.shape.clone();
        object.replace("id", self.id.as_str().into());
        if let Some(bytes) = self.bytes {
            object.replace("bytes", bytes.into());
        }
        object.replace("created_at", self.created_at.into());
        if let Some(filename) = &self.filename {
            object.replace("filename", filename.as_str().into());
        }
        if let Some(purpose) = &self.purpose {
            object.replace("purpose", purpose.as_str().into());
        }
        object.replace("status", self.status.as_str().into());
        object
    }
}

/// The files, in the order created, as the API lists them.
#[derive(Debug, Default)]
pub(crate) struct Files {
    files: Vec<File>,
}

impl Files {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &File> {
        self.files.iter()
    }

    pub(crate) fn get(&self, id: &str) -> Result<&File, ApiError> {
        (self.files.iter())
            .find(|file| file.id == id)
            .ok_or_else(|| no_such_file(id))
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.files.iter().any(|file| file.id == id)
    }

    /// Adds `file`, or replaces the one of its id (a later example wins).
    pub(crate) fn put(&mut self, file: File) {
        self.files.retain(|known| known.id != file.id);
        self.files.push(file);
    }

    pub(crate) fn push(&mut self, file: File) {
        self.files.push(file);
    }

    /// Removes file `id`, handing it back so that its bytes can go.
    pub(crate) fn remove(&mut self, id: &str) -> Result<File, ApiError> {
        let at = (self.files.iter())
            .position(|file| file.id == id)
            .ok_or_else(|| no_such_file(id))?;
        Ok(self.files.remove(at))
    }

    pub(crate) fn drain(&mut self) -> impl Iterator<Item = File> + '_ {
        self.files.drain(..)
    }

    /// The checks due by `now` are done: those files are `processed`.
    pub(crate) fn advance(&mut self, now: Duration, clock: &Clock) {
        for file in &mut self.files {
            if let Some(at) = file.checked_at.filter(|at| *at <= now) {
                file.checked_at = None;
                file.updated_at = clock.unix_at(at);
                file.status = FileStatus::Processed;
            }
        }
    }
}

/// What the API of early 2023 answered for an unknown file id.
pub(crate) fn no_such_file(id: &str) -> ApiError {
    ApiError {
        param: Some("id".into()),
        ..ApiError::invalid_request(404, format!("No such File object: {id}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(clock: &Clock) -> File {
        let object: Json = serde_json::from_str(
            r#"{"id":"file-1","object":"file","bytes":0,"created_at":0,"filename":"","purpose":"","status":"uploaded","status_details":null}"#,
        )
        .unwrap();
        let mut file = File::from_object(object, FileContent::Memory(Bytes::new())).unwrap();
        file.bytes = Some(140);
        file.filename = Some("a.jsonl".into());
        file.purpose = Some("fine-tune".into());
        file.created_at = clock.unix();
        file.checked_at = Some(clock.elapsed() + FILE_CHECK);
        file
    }

    #[test]
    fn an_upload_is_processed_once_its_check_is_due() {
        let clock = Clock::new(0.0);
        let mut files = Files::default();
        files.push(upload(&clock));
        files.advance(clock.elapsed(), &clock);
        assert_eq!(files.get("file-1").unwrap().status, FileStatus::Uploaded);
        clock.advance(FILE_CHECK);
        files.advance(clock.elapsed(), &clock);
        let file = files.get("file-1").unwrap();
        assert_eq!(file.status, FileStatus::Processed);
        assert_eq!(file.updated_at, clock.unix());
        assert_eq!(file.checked_at, None);
    }

    #[test]
    fn a_file_shows_as_its_object_with_its_fields() {
        let clock = Clock::new(0.0);
        let shown = upload(&clock).to_openai();
        assert_eq!(shown.get("bytes"), Some(&Json::from(140u64)));
        assert_eq!(shown.get("filename"), Some(&Json::from("a.jsonl")));
        assert_eq!(shown.get("status_details"), Some(&Json::Null));
        // Fields keep the fixture's order.
        let Json::Object(fields) = shown else {
            panic!()
        };
        let keys: Vec<_> = fields.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(keys[..3], ["id", "object", "bytes"]);
    }

    #[test]
    fn a_missing_file_is_the_apis_404() {
        let mut files = Files::default();
        assert_eq!(files.get("file-x").unwrap_err().status, 404);
        assert_eq!(files.remove("file-x").unwrap_err().status, 404);
    }
}
