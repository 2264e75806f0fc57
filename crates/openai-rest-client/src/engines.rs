//! Engines, deprecated by the API in favour of [models](crate::models).

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

// The raw methods are deprecated as the API is; this module exists to call them.
#[allow(deprecated)]
impl Engines<'_> {
    /// The engines (non-fine-tuned models) available. OpenAI only.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an Azure client, before sending; otherwise the
    /// API's error by status, or a transport error, once the retries are spent
    /// (see [`Error`](crate::Error)).
    pub async fn list(&self) -> Result<ListEnginesResponse> {
        let raw = self.client.openai("listEngines")?;
        self.client
            .send("listEngines", || raw.list_engines().send())
            .await
    }

    /// The engine `id`. OpenAI only.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an Azure client, before sending; otherwise the
    /// API's error by status, or a transport error, once the retries are spent
    /// (see [`Error`](crate::Error)).
    pub async fn retrieve(&self, id: &str) -> Result<Engine> {
        let raw = self.client.openai("retrieveEngine")?;
        self.client
            .send("retrieveEngine", || {
                raw.retrieve_engine().engine_id(id).send()
            })
            .await
    }
}
