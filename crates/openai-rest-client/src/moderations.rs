//! Moderations: whether text violates the content policy.

use std::fmt::Display;

use openai_rest_raw::operations::OperationId;

use crate::types::{CreateModerationRequest, CreateModerationResponse};
use crate::{Client, Result};

/// The moderations API, from [`Client::moderations`].
#[derive(Clone, Copy, Debug)]
pub struct Moderations<'c> {
    client: &'c Client,
}

impl Client {
    /// Classify text against the content policy.
    pub fn moderations(&self) -> Moderations<'_> {
        Moderations { client: self }
    }
}

impl Moderations<'_> {
    /// Classifies the request's input. OpenAI only.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an Azure client, and
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a request the spec refuses, both before
    /// sending; otherwise the API's error by status, or a transport error, once
    /// the retries are spent (see [`Error`](crate::Error)).
    pub async fn create<R>(&self, request: R) -> Result<CreateModerationResponse>
    where
        R: TryInto<CreateModerationRequest>,
        R::Error: Display,
    {
        let request: CreateModerationRequest = crate::arguments::convert(request)?;
        let call = self.client.call(OperationId::CreateModeration)?;
        call.json(&request)?.send().await
    }
}
