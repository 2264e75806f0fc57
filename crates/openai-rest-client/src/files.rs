//! Files: upload JSON Lines documents (for fine-tuning), list, describe,
//! delete and download them.

use std::fmt::Display;

use bytes::Bytes;
use openai_rest_raw::operations::OperationId;
use tokio::io::AsyncWrite;

use openai_rest_raw::azure::types::{AzureError, AzureFile, AzureFileList, AzureFileStatistics};
use openai_rest_raw::types::{ListFilesResponse, OpenAiFile};

use crate::transport::copy;
use crate::types::{CreateFileRequest, DeleteFileResponse, ImportFileRequest};
use crate::{Client, List, Result, Status, Upload};

/// A file of the organization (OpenAI) or resource (Azure), as either API
/// describes it: what both send, and what only one sends as an `Option`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), openai_rest_client::Error> {
/// # let mock = openai_rest_mock::OpenAiMock::start_with(openai_rest_mock::MockOptions::default().stateless(true)).await;
/// # let (base_url, endpoint) = (mock.base_url(), mock.azure_endpoint());
/// use openai_rest_client::{AzureAuth, AzureConfig, Client, Status};
///
/// let openai = Client::builder().api_key("sk-...").base_url(base_url).build()?;
/// let azure = Client::builder()
///     .azure(AzureConfig::new(endpoint, AzureAuth::api_key("my-azure-key")))
///     .build()?;
/// for client in [openai, azure] {
///     let file = client.files().retrieve("file-XjGxS3KTG0uNmNOK362iJua3").await?;
///     // OpenAI says `processed`, Azure `succeeded`.
///     assert_eq!(file.status, Status::Succeeded);
///     assert_eq!(file.bytes, Some(140));
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct File {
    /// `file-...`.
    pub id: String,
    /// Always `file`.
    pub object: String,
    /// The size in bytes; `None` on Azure until the file has been checked.
    pub bytes: Option<u64>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last change (Azure only).
    pub updated_at: Option<i64>,
    /// The name it was uploaded with.
    pub filename: String,
    /// e.g. `fine-tune`, `fine-tune-results`.
    pub purpose: String,
    /// [`Status::Pending`] until checked (OpenAI `uploaded`, Azure
    /// `notRunning`), then [`Status::Succeeded`] (OpenAI `processed`, Azure
    /// `succeeded`) or [`Status::Failed`].
    pub status: Status,
    /// Why OpenAI could not process it (OpenAI only).
    pub status_details: Option<String>,
    /// The tokens and examples Azure counted in a checked `fine-tune` file
    /// (Azure only).
    pub statistics: Option<AzureFileStatistics>,
    /// Why Azure could not process it (Azure only).
    pub error: Option<AzureError>,
}

impl From<OpenAiFile> for File {
    fn from(file: OpenAiFile) -> File {
        File {
            id: file.id,
            object: file.object,
            bytes: u64::try_from(file.bytes).ok(),
            created_at: file.created_at,
            updated_at: None,
            filename: file.filename,
            purpose: file.purpose,
            status: Status::from_openai(file.status),
            status_details: file.status_details,
            statistics: None,
            error: None,
        }
    }
}

impl From<AzureFile> for File {
    fn from(file: AzureFile) -> File {
        File {
            id: file.id,
            object: file.object,
            bytes: file.bytes.and_then(|bytes| u64::try_from(bytes).ok()),
            created_at: file.created_at,
            updated_at: Some(file.updated_at),
            filename: file.filename,
            purpose: file.purpose,
            status: file.status.into(),
            status_details: None,
            statistics: file.statistics,
            error: file.error,
        }
    }
}

list_from!(File: ListFilesResponse, AzureFileList);

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
    pub async fn list(&self) -> Result<List<File>> {
        let call = self.client.call(OperationId::ListFiles)?;
        call.send_per_api::<ListFilesResponse, AzureFileList, _>()
            .await
    }

    /// Uploads `file` for `purpose` (`fine-tune` checks that it is JSON Lines
    /// of prompt/completion records). All of an organization's files may
    /// take up to 1 GB. On Azure, `purpose` is `fine-tune` or
    /// `fine-tune-results`. The file is answered [`Status::Pending`] until
    /// the API has checked it (poll [`retrieve`](Self::retrieve) for
    /// [`Status::Succeeded`]); Azure tells its `bytes` only then.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the upload cannot be read, or
    /// on Azure for another `purpose`, before sending; otherwise the API's
    /// error by status, or a transport error, once the retries are spent (see
    /// [`Error`](crate::Error)).
    pub async fn create(&self, file: Upload, purpose: impl Into<String>) -> Result<File> {
        let request = CreateFileRequest {
            purpose: purpose.into(),
        };
        // Checked against Azure's rules on Azure: its `purpose` is one of two.
        let call = self.client.call(OperationId::CreateFile)?;
        call.form(&request, [("file", &file)])?
            .send_per_api::<OpenAiFile, AzureFile, _>()
            .await
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
    pub async fn import<R>(&self, request: R) -> Result<File>
    where
        R: TryInto<ImportFileRequest>,
        R::Error: Display,
    {
        let call = self.client.call(OperationId::ImportFile)?;
        let request: ImportFileRequest = crate::arguments::convert(request)?;
        call.json(&request)?
            .send::<AzureFile>()
            .await
            .map(File::from)
    }

    /// The file `id`.
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`](crate::Error)).
    pub async fn retrieve(&self, id: &str) -> Result<File> {
        let call = self.client.call(OperationId::RetrieveFile)?.path(id);
        call.send_per_api::<OpenAiFile, AzureFile, _>().await
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
        let call = self.client.call(OperationId::DeleteFile)?.path(id);
        let answer: Option<DeleteFileResponse> = call.send().await?;
        Ok(answer.unwrap_or_else(|| DeleteFileResponse {
            id: id.to_owned(),
            object: "file".to_owned(),
            deleted: true,
        }))
    }

    /// The content of the file `id`, as uploaded. Retried as a whole; for a
    /// big file, [`content_to`](Self::content_to) does not hold it in memory.
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`](crate::Error)).
    pub async fn content(&self, id: &str) -> Result<Bytes> {
        let call = self.client.call(OperationId::DownloadFile)?;
        call.path(id).bytes(None).await
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
        let call = self.client.call(OperationId::DownloadFile)?.path(id);
        let response = call.response(None).await?;
        copy(response, self.client.transport.timeout, writer).await
    }
}
