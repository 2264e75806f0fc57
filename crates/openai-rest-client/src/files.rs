//! Files: upload JSON Lines documents (for fine-tuning), list, describe,
//! delete and download them.

use std::fmt::Display;

use bytes::Bytes;
use openai_rest_raw::azure::types::AzureCreateFileRequest;
use tokio::io::AsyncWrite;

use crate::client::Backend;
use crate::transport::{copy, read_all};
use crate::types::{
    CreateFileRequest, DeleteFileResponse, ImportFileRequest, ListFilesResponse, OpenAiFile,
};
use crate::{Client, Result, Upload};

/// The files API, from [`Client::files`].
#[derive(Clone, Copy, Debug)]
pub struct Files<'c> {
    client: &'c Client,
}

impl Client {
    /// Upload, list, describe, delete and download files.
    pub fn files(&self) -> Files<'_> {
        Files { client: self }
    }
}

impl Files<'_> {
    /// The organization's files.
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`](crate::Error)).
    pub async fn list(&self) -> Result<ListFilesResponse> {
        on_backend!(self.client, "listFiles", list_files)
    }

    /// Uploads `file` for `purpose` (`fine-tune` checks that it is JSON Lines
    /// of prompt/completion records). All of an organization's files may
    /// take up to 1 GB. On Azure, `purpose` is `fine-tune` or
    /// `fine-tune-results`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the upload cannot be read, or
    /// on Azure for another `purpose`, before sending; otherwise the API's
    /// error by status, or a transport error, once the retries are spent (see
    /// [`Error`](crate::Error)).
    pub async fn create(&self, file: Upload, purpose: impl Into<String>) -> Result<OpenAiFile> {
        const OPERATION: &str = "createFile";
        let body = CreateFileRequest {
            purpose: purpose.into(),
        };
        let client = self.client;
        match &client.shared.backend {
            Backend::OpenAi(raw) => {
                client
                    .send_upload(OPERATION, &[&file], || {
                        Ok(raw
                            .create_file()
                            .body(body.clone())
                            .file(file.part()?)
                            .send())
                    })
                    .await
            }
            Backend::Azure { raw, api_version } => {
                let body: AzureCreateFileRequest =
                    crate::arguments::form_fields(serde_json::json!({"purpose": body.purpose}))?;
                client
                    .send_upload(OPERATION, &[&file], || {
                        Ok(raw
                            .create_file()
                            .api_version(api_version.as_str())
                            .body(body.clone())
                            .file(file.part()?)
                            .send())
                    })
                    .await
            }
        }
    }

    /// Azure only: creates a file from the content at `content_url` (a
    /// blob's SAS URL, for one), which Azure downloads. The answer is the
    /// file as [`create`](Self::create) answers it; when the import fails,
    /// its `status` is `failed` and it carries Azure's `error`.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an OpenAI client
    /// and [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a
    /// request the spec refuses, both before sending; otherwise the API's
    /// error by status, or a transport error, once the retries are spent
    /// (see [`Error`](crate::Error)).
    pub async fn import<R>(&self, request: R) -> Result<OpenAiFile>
    where
        R: TryInto<ImportFileRequest>,
        R::Error: Display,
    {
        let (raw, version) = self.client.azure("importFile")?;
        let request: ImportFileRequest = crate::arguments::convert(request)?;
        let body = crate::arguments::encode(&request)?;
        self.client
            .send("importFile", || {
                raw.import_file()
                    .api_version(version)
                    .body_json(body.clone())
                    .send()
            })
            .await
    }

    /// The file `id`.
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`](crate::Error)).
    pub async fn retrieve(&self, id: &str) -> Result<OpenAiFile> {
        on_backend!(self.client, "retrieveFile", retrieve_file.file_id(id))
    }

    /// Deletes the file `id`. Azure answers 204 with no body; the answer is
    /// then the one OpenAI gives (`id`, `object` `file`, `deleted` true), so
    /// that the call reads the same on both backends.
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`](crate::Error)).
    pub async fn delete(&self, id: &str) -> Result<DeleteFileResponse> {
        let client = self.client;
        match &client.shared.backend {
            Backend::OpenAi(raw) => {
                client
                    .send("deleteFile", || raw.delete_file().file_id(id).send())
                    .await
            }
            Backend::Azure { raw, api_version } => {
                client
                    .send("deleteFile", || {
                        raw.delete_file()
                            .file_id(id)
                            .api_version(api_version.as_str())
                            .send()
                    })
                    .await?;
                Ok(DeleteFileResponse {
                    id: id.to_owned(),
                    object: "file".to_owned(),
                    deleted: true,
                })
            }
        }
    }

    /// The content of the file `id`, as uploaded. Retried as a whole; for a
    /// big file, [`content_to`](Self::content_to) does not hold it in memory.
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`](crate::Error)).
    pub async fn content(&self, id: &str) -> Result<Bytes> {
        match &self.client.shared.backend {
            Backend::OpenAi(raw) => {
                self.client
                    .send("downloadFile", || {
                        read_all(raw.download_file().file_id(id).send())
                    })
                    .await
            }
            Backend::Azure { raw, api_version } => {
                self.client
                    .send("downloadFile", || {
                        read_all(
                            raw.download_file()
                                .file_id(id)
                                .api_version(api_version.as_str())
                                .send(),
                        )
                    })
                    .await
            }
        }
    }

    /// Writes the content of the file `id` to `writer` as it arrives, and
    /// answers how many bytes that was. Retried until the content starts.
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`](crate::Error)); [`Error::Io`](crate::Error::Io) when writing to `writer` fails.
    pub async fn content_to<W>(&self, id: &str, writer: &mut W) -> Result<u64>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let body = on_backend!(self.client, "downloadFile", download_file.file_id(id))?;
        copy(body, self.client.transport.timeout, writer).await
    }
}
