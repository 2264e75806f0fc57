//! Models: list and describe the models, delete fine-tuned ones.

use crate::types::{DeleteModelResponse, ListModelsResponse, Model};
use crate::{Client, Result};

/// The models API, from [`Client::models`].
#[derive(Clone, Copy, Debug)]
pub struct Models<'c> {
    client: &'c Client,
}

impl Client {
    /// List and describe the models, delete fine-tuned ones.
    pub fn models(&self) -> Models<'_> {
        Models { client: self }
    }
}

impl Models<'_> {
    /// The models available, with their owner and permissions.
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`](crate::Error)).
    pub async fn list(&self) -> Result<ListModelsResponse> {
        on_backend!(self.client, "listModels", list_models)
    }

    /// The model `id` (fine-tuned ones contain `:`).
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`](crate::Error)).
    pub async fn retrieve(&self, id: &str) -> Result<Model> {
        on_backend!(self.client, "retrieveModel", retrieve_model.model(id))
    }

    /// Deletes the fine-tuned model `id`; needs the Owner role. OpenAI only.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an Azure client, before sending; otherwise the
    /// API's error by status, or a transport error, once the retries are spent
    /// (see [`Error`](crate::Error)).
    pub async fn delete(&self, id: &str) -> Result<DeleteModelResponse> {
        let raw = self.client.openai("deleteModel")?;
        self.client
            .send("deleteModel", || raw.delete_model().model(id).send())
            .await
    }
}
