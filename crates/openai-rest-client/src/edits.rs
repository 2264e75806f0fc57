//! Edits: an edited version of an input, following an instruction.

use std::fmt::Display;

use openai_rest_raw::operations::OperationId;

use crate::types::{CreateEditRequest, CreateEditResponse};
use crate::{Client, Result};

/// The edits API, from [`Client::edits`].
#[derive(Clone, Copy, Debug)]
pub struct Edits<'c> {
    client: &'c Client,
}

impl Client {
    /// Edit text following an instruction.
    pub fn edits(&self) -> Edits<'_> {
        Edits { client: self }
    }
}

impl Edits<'_> {
    /// Edits the request's input. OpenAI only.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an Azure client, and
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a request the spec refuses, both before
    /// sending; otherwise the API's error by status, or a transport error, once
    /// the retries are spent (see [`Error`](crate::Error)).
    pub async fn create<R>(&self, request: R) -> Result<CreateEditResponse>
    where
        R: TryInto<CreateEditRequest>,
        R::Error: Display,
    {
        let request: CreateEditRequest = crate::arguments::convert(request)?;
        let call = self.client.call(OperationId::CreateEdit)?;
        call.json(&request)?.send().await
    }
}
