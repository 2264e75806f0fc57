//! Fine-tunes: train a model on your own examples and follow the job.

use std::fmt::Display;

use futures::StreamExt;
use openai_rest_raw::operations::OperationId;

use crate::types::{
    CreateFineTuneRequest, FineTune, FineTuneEvent, ListFineTuneEventsResponse,
    ListFineTunesResponse,
};
use crate::{Client, Error, EventStream, Result};

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
        let body =
            crate::arguments::encode_for(self.client.api(), OperationId::CreateFineTune, &request)?;
        on_backend!(
            self.client,
            "createFineTune",
            create_fine_tune.body_json(body.clone())
        )
    }

    /// The organization's jobs.
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`]).
    pub async fn list(&self) -> Result<ListFineTunesResponse> {
        on_backend!(self.client, "listFineTunes", list_fine_tunes)
    }

    /// The job `id`, with its events.
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`]).
    pub async fn retrieve(&self, id: &str) -> Result<FineTune> {
        on_backend!(
            self.client,
            "retrieveFineTune",
            retrieve_fine_tune.fine_tune_id(id)
        )
    }

    /// Cancels the job `id`.
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`]).
    pub async fn cancel(&self, id: &str) -> Result<FineTune> {
        on_backend!(
            self.client,
            "cancelFineTune",
            cancel_fine_tune.fine_tune_id(id)
        )
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
        let (raw, version) = self.client.azure("deleteFineTune")?;
        self.client
            .send("deleteFineTune", || {
                raw.delete_fine_tune()
                    .fine_tune_id(id)
                    .api_version(version)
                    .send()
            })
            .await
    }

    /// The events of the job `id` so far.
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`]).
    pub async fn events(&self, id: &str) -> Result<ListFineTuneEventsResponse> {
        on_backend!(
            self.client,
            "listFineTuneEvents",
            list_fine_tune_events.fine_tune_id(id)
        )
    }

    /// The events of the job `id`, from the first, as they happen, until the
    /// job ends (`data: [DONE]`).
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`]).
    pub async fn events_stream(&self, id: &str) -> Result<EventStream<FineTuneEvent>> {
        let body = on_backend!(
            self.client,
            "listFineTuneEvents",
            list_fine_tune_events_stream.fine_tune_id(id).stream(true)
        )?;
        Ok(self.client.event_stream(body))
    }

    /// Follows the job `id` until it ends, like the CLI's `fine_tunes.follow`:
    /// `on_event` sees each event once, in order, and the answer is the job
    /// in its final status (`succeeded`, `failed` or `cancelled`).
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
    pub async fn follow(
        &self,
        id: &str,
        mut on_event: impl FnMut(&FineTuneEvent),
    ) -> Result<FineTune> {
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
            if matches!(job.status.as_str(), "succeeded" | "failed" | "cancelled") {
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
