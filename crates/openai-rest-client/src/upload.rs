//! Files to upload: from a path, bytes or a reader.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bytes::Bytes;
use reqwest::multipart::Part;
use tokio::io::AsyncRead;
use tokio_util::io::ReaderStream;

use crate::error::{Error, Result};

/// A file to upload, with the file name and MIME type the multipart part
/// carries.
///
/// A path is streamed from disk, never read whole into memory, and opened
/// again for each retry. Bytes are sent (and retried) as they are. A reader
/// can only be read once, so a call with a reader upload is not retried.
///
/// ```
/// use openai_rest_client::Upload;
///
/// let from_disk = Upload::path("training.jsonl");
/// let in_memory = Upload::bytes(&b"{\"prompt\": \"a\", \"completion\": \"b\"}\n"[..], "train.jsonl");
/// let image = Upload::bytes(vec![0x89, b'P', b'N', b'G'], "otter.png").mime_type("image/png");
/// # let _ = (from_disk, in_memory, image);
/// ```
pub struct Upload {
    source: Source,
    file_name: Option<String>,
    mime_type: Option<String>,
}

enum Source {
    Path(PathBuf),
    Bytes(Bytes),
    Reader(Mutex<Option<Box<dyn AsyncRead + Send + Unpin>>>),
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Path(path) => format!("path {}", path.display()),
            Source::Bytes(bytes) => format!("{} bytes", bytes.len()),
            Source::Reader(_) => "a reader".to_string(),
        };
        f.debug_struct("Upload")
            .field("source", &source)
            .field("file_name", &self.file_name)
            .field("mime_type", &self.mime_type)
            .finish()
    }
}

impl Upload {
    /// The file at `path`, named as its last component.
    pub fn path(path: impl AsRef<Path>) -> Self {
        Self {
            source: Source::Path(path.as_ref().to_path_buf()),
            file_name: None,
            mime_type: None,
        }
    }

    /// `bytes`, named `file_name`.
    pub fn bytes(bytes: impl Into<Bytes>, file_name: impl Into<String>) -> Self {
        Self {
            source: Source::Bytes(bytes.into()),
            file_name: Some(file_name.into()),
            mime_type: None,
        }
    }

    /// What `reader` gives until its end, named `file_name`. Sent once: the
    /// call is not retried.
    pub fn reader(
        reader: impl AsyncRead + Send + Unpin + 'static,
        file_name: impl Into<String>,
    ) -> Self {
        Self {
            source: Source::Reader(Mutex::new(Some(Box::new(reader)))),
            file_name: Some(file_name.into()),
            mime_type: None,
        }
    }

    /// Another file name for the part.
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// The part's MIME type; guessed from the file name's extension unless
    /// set (`application/octet-stream` when unknown).
    pub fn mime_type(mut self, mime: impl Into<String>) -> Self {
        self.mime_type = Some(mime.into());
        self
    }

    /// Whether the upload can be sent again for a retry.
    pub(crate) fn replayable(&self) -> bool {
        !matches!(self.source, Source::Reader(_))
    }

    /// Checks what can be checked before sending: that a path is a readable
    /// file.
    pub(crate) fn check(&self) -> Result<()> {
        if let Source::Path(path) = &self.source {
            let metadata = std::fs::metadata(path).map_err(|e| unreadable(path, e))?;
            if !metadata.is_file() {
                return Err(Error::InvalidArgument(format!(
                    "the upload `{}` is not a file",
                    path.display()
                )));
            }
        }
        Ok(())
    }

    /// A fresh multipart part for one attempt.
    pub(crate) fn part(&self) -> Result<Part> {
        let part = match &self.source {
            Source::Path(path) => {
                let file = std::fs::File::open(path).map_err(|e| unreadable(path, e))?;
                let length = file.metadata().map_err(|e| unreadable(path, e))?.len();
                let stream = ReaderStream::new(tokio::fs::File::from_std(file));
                Part::stream_with_length(reqwest::Body::wrap_stream(stream), length)
            }
            Source::Bytes(bytes) => {
                Part::stream_with_length(reqwest::Body::from(bytes.clone()), bytes.len() as u64)
            }
            Source::Reader(reader) => {
                let reader = reader
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .take()
                    .ok_or_else(|| {
                        Error::InvalidArgument("a reader upload can only be sent once".into())
                    })?;
                Part::stream(reqwest::Body::wrap_stream(ReaderStream::new(reader)))
            }
        };
        let file_name = match (&self.file_name, &self.source) {
            (Some(name), _) => name.clone(),
            (None, Source::Path(path)) => path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_else(|| "file".to_string()),
            (None, _) => "file".to_string(),
        };
        let mime_type = match &self.mime_type {
            Some(mime) => mime.clone(),
            None => mime_guess::from_path(&file_name)
                .first_or_octet_stream()
                .to_string(),
        };
        part.file_name(file_name)
            .mime_str(&mime_type)
            .map_err(|_| Error::InvalidArgument(format!("`{mime_type}` is not a MIME type")))
    }
}

fn unreadable(path: &Path, error: std::io::Error) -> Error {
    Error::InvalidArgument(format!(
        "cannot read the upload `{}`: {error}",
        path.display()
    ))
}
