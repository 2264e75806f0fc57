//! Engines, deprecated by the API in favour of [models](crate::models).

use openai_rest_raw::operations::OperationId;

use crate::types::{Engine, ListEnginesResponse};
use crate::{Client, Result};

/// The engines API, from [`Client::engines`].
#[derive(Clone, Copy, Debug)]
pub struct Engines<'c> {
    client: &'c Client,
}

impl Client {
    /// The deprecated engines.
    #[deprecated = "the API deprecated engines: use models()"]
    pub fn engines(&self) -> Engines<'_> {
        Engines { client: self }
    }
}

impl Engines<'_> {
    /// The engines (non-fine-tuned models) available. OpenAI only.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an Azure client, before sending; otherwise the
    /// API's error by status, or a transport error, once the retries are spent
    /// (see [`Error`](crate::Error)).
    pub async fn list(&self) -> Result<ListEnginesResponse> {
        self.client.call(OperationId::ListEngines)?.send().await
    }

    /// The engine `id`. OpenAI only.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an Azure client, before sending; otherwise the
    /// API's error by status, or a transport error, once the retries are spent
    /// (see [`Error`](crate::Error)).
    pub async fn retrieve(&self, id: &str) -> Result<Engine> {
        let call = self.client.call(OperationId::RetrieveEngine)?;
        call.path(id).send().await
    }
}
