//! Fine-tunes: train a model on your own examples and follow the job.

use std::fmt::Display;

use futures::StreamExt;
use openai_rest_raw::operations::OperationId;

use openai_rest_raw::azure::types::{
    AzureError, AzureEvent, AzureEventList, AzureFineTune, AzureFineTuneList,
};
use openai_rest_raw::types::{FineTuneEvent, ListFineTuneEventsResponse, ListFineTunesResponse};
use serde::{Deserialize, Serialize};

use crate::files::File;
use crate::types::{CreateFineTuneRequest, FineTuneHyperparams};
use crate::{Client, Error, EventStream, List, Result, Status};

/// A fine-tune job, as either API describes it: what both send, and what
/// only one sends as an `Option`.
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
///     let job = client.fine_tunes().retrieve("ft-AF1WoRqd3aJAHsqc9NY7iL8F").await?;
///     assert_eq!(job.status, Status::Succeeded);
///     assert!(job.fine_tuned_model.is_some());
///     // Whole file objects on both APIs.
///     assert_eq!(job.training_files[0].status, Status::Succeeded);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct FineTune {
    /// `ft-...`.
    pub id: String,
    /// Always `fine-tune`.
    pub object: String,
    /// The base model.
    pub model: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last change.
    pub updated_at: i64,
    /// [`Status::Pending`] (OpenAI `pending`, Azure `notRunning`), then
    /// `Running`, and at the end `Succeeded`, `Failed` or `Cancelled`
    /// (OpenAI `cancelled`, Azure `canceled`).
    pub status: Status,
    /// The model made, once the job has succeeded (OpenAI sends `null`
    /// before; Azure leaves it out).
    pub fine_tuned_model: Option<String>,
    /// The training settings.
    pub hyperparams: FineTuneHyperparams,
    /// The training files.
    pub training_files: Vec<File>,
    /// The validation files, if any.
    pub validation_files: Vec<File>,
    /// The results (a CSV), once the job has succeeded.
    pub result_files: Vec<File>,
    /// What happened so far; lists may leave them out.
    pub events: Vec<Event>,
    /// The organization: OpenAI's `organization_id`, Azure's
    /// `organisation_id` (which Azure leaves unused).
    pub organization_id: Option<String>,
    /// The user (Azure only, unused there).
    pub user_id: Option<String>,
    /// The suffix asked for in the model's name (Azure only).
    pub suffix: Option<String>,
    /// Why the job failed (Azure only).
    pub error: Option<AzureError>,
}

impl From<openai_rest_raw::types::FineTune> for FineTune {
    fn from(job: openai_rest_raw::types::FineTune) -> FineTune {
        let files = |files: Vec<_>| files.into_iter().map(File::from).collect();
        FineTune {
            id: job.id,
            object: job.object,
            model: job.model,
            created_at: job.created_at,
            updated_at: job.updated_at,
            status: Status::from_openai(job.status),
            fine_tuned_model: job.fine_tuned_model,
            hyperparams: job.hyperparams,
            training_files: files(job.training_files),
            validation_files: files(job.validation_files),
            result_files: files(job.result_files),
            events: job.events.into_iter().map(Event::from).collect(),
            organization_id: Some(job.organization_id),
            user_id: None,
            suffix: None,
            error: None,
        }
    }
}

impl From<AzureFineTune> for FineTune {
    fn from(job: AzureFineTune) -> FineTune {
        let files = |files: Vec<_>| files.into_iter().map(File::from).collect();
        FineTune {
            id: job.id,
            object: job.object,
            model: job.model,
            created_at: job.created_at,
            updated_at: job.updated_at,
            status: job.status.into(),
            fine_tuned_model: job.fine_tuned_model,
            hyperparams: job.hyperparams,
            training_files: files(job.training_files),
            validation_files: files(job.validation_files),
            result_files: files(job.result_files),
            events: job.events.into_iter().map(Event::from).collect(),
            organization_id: job.organisation_id,
            user_id: job.user_id,
            suffix: job.suffix,
            error: job.error,
        }
    }
}

list_from!(FineTune: ListFineTunesResponse, AzureFineTuneList);

/// An event of a fine-tune job; the same fields on both APIs.
///
/// ```
/// use openai_rest_client::fine_tunes::Event;
///
/// let event: Event = serde_json::from_str(
///     r#"{"object": "fine-tune-event", "created_at": 1614807352, "level": "info", "message": "Job started."}"#,
/// )
/// .unwrap();
/// assert_eq!(event.message, "Job started.");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Event {
    /// Always `fine-tune-event`.
    pub object: String,
    /// Unix seconds.
    pub created_at: i64,
    /// `info`, `warn` or `error` (OpenAI); `info`, `warning` or `error`
    /// (Azure).
    pub level: String,
    /// What happened, e.g. `Job started.`.
    pub message: String,
}

impl From<FineTuneEvent> for Event {
    fn from(event: FineTuneEvent) -> Event {
        Event {
            object: event.object,
            created_at: event.created_at,
            level: event.level,
            message: event.message,
        }
    }
}

impl From<AzureEvent> for Event {
    fn from(event: AzureEvent) -> Event {
        Event {
            object: event.object,
            created_at: event.created_at,
            level: event.level.to_string(),
            message: event.message,
        }
    }
}

list_from!(Event: ListFineTuneEventsResponse, AzureEventList);

/// The fine-tunes API, from [`Client::fine_tunes`].
#[derive(Clone, Copy, Debug)]
pub struct FineTunes<'c> {
    client: &'c Client,
}

impl Client {
    /// Create, list, follow and cancel fine-tuning jobs (and, on Azure,
    /// delete them).
    pub fn fine_tunes(&self) -> FineTunes<'_> {
        FineTunes { client: self }
    }
}

impl FineTunes<'_> {
    /// Starts a job that fine-tunes a model on an uploaded training file.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] before sending for a request the spec
    /// refuses; otherwise the API's error by status, or a transport error, once
    /// the retries are spent (see [`Error`]).
    pub async fn create<R>(&self, request: R) -> Result<FineTune>
    where
        R: TryInto<CreateFineTuneRequest>,
        R::Error: Display,
    {
        let request: CreateFineTuneRequest = crate::arguments::convert(request)?;
        // Azure requires `model`, which OpenAI defaults to curie.
        let call = self
            .client
            .call(OperationId::CreateFineTune)?
            .json(&request)?;
        call.send_per_api::<openai_rest_raw::types::FineTune, AzureFineTune, _>()
            .await
    }

    /// The organization's jobs.
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`]).
    pub async fn list(&self) -> Result<List<FineTune>> {
        let call = self.client.call(OperationId::ListFineTunes)?;
        call.send_per_api::<ListFineTunesResponse, AzureFineTuneList, _>()
            .await
    }

    /// The job `id`, with its events.
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`]).
    pub async fn retrieve(&self, id: &str) -> Result<FineTune> {
        self.fine_tune(OperationId::RetrieveFineTune, id).await
    }

    /// Cancels the job `id`.
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`]).
    pub async fn cancel(&self, id: &str) -> Result<FineTune> {
        self.fine_tune(OperationId::CancelFineTune, id).await
    }

    /// Deletes the job `id`. Azure only: OpenAI cannot delete a job (on an
    /// OpenAI client this is an [`Error::Unsupported`], sent to no one).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on an OpenAI client, before sending; otherwise
    /// the API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`]).
    pub async fn delete(&self, id: &str) -> Result<()> {
        let call = self.client.call(OperationId::DeleteFineTune)?;
        call.path(id).send().await
    }

    /// The events of the job `id` so far.
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`]).
    pub async fn events(&self, id: &str) -> Result<List<Event>> {
        let call = self.client.call(OperationId::ListFineTuneEvents)?.path(id);
        call.send_per_api::<ListFineTuneEventsResponse, AzureEventList, _>()
            .await
    }

    /// The events of the job `id`, from the first, as they happen, until the
    /// job ends (`data: [DONE]`).
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`]).
    pub async fn events_stream(&self, id: &str) -> Result<EventStream<Event>> {
        let call = self.client.call(OperationId::ListFineTuneEvents)?;
        let response = call.path(id).query("stream=true").stream().await?;
        Ok(self.client.event_stream(response))
    }

    /// The job `id` as `operation` (retrieve or cancel) answers it.
    async fn fine_tune(&self, operation: OperationId, id: &str) -> Result<FineTune> {
        let call = self.client.call(operation)?.path(id);
        call.send_per_api::<openai_rest_raw::types::FineTune, AzureFineTune, _>()
            .await
    }

    /// Follows the job `id` until it ends, like the CLI's `fine_tunes.follow`:
    /// `on_event` sees each event once, in order, and the answer is the job
    /// in its final status ([`Status::is_final`]: succeeded, failed or
    /// cancelled, in either API's words).
    ///
    /// When the event stream breaks or times out before the job ends, it
    /// reconnects after the poll interval and skips the events already seen.
    /// It has no limit of its own: wrap it in `tokio::time::timeout` to
    /// bound the wait.
    ///
    /// # Errors
    ///
    /// What [`events_stream`](Self::events_stream) and
    /// [`retrieve`](Self::retrieve) give, except that a stream that breaks or
    /// times out is reconnected; an error event in the stream ends the follow.
    pub async fn follow(&self, id: &str, mut on_event: impl FnMut(&Event)) -> Result<FineTune> {
        let mut seen = 0;
        loop {
            let mut events = self.events_stream(id).await?;
            let mut index = 0;
            while let Some(event) = events.next().await {
                match event {
                    Ok(event) => {
                        if index == seen {
                            on_event(&event);
                            seen += 1;
                        }
                        index += 1;
                    }
                    Err(Error::StreamEnded { .. } | Error::Timeout { .. }) => break,
                    Err(error) => return Err(error),
                }
            }
            let job = self.retrieve(id).await?;
            if job.status.is_final() {
                // Events that came after the stream broke: the job lists
                // them all.
                for event in job.events.iter().skip(seen) {
                    on_event(event);
                }
                return Ok(job);
            }
            tokio::time::sleep(self.client.shared.poll_interval).await;
        }
    }
}
