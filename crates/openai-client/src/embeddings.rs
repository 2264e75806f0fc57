//! Embeddings: vectors that represent text.

use std::fmt::Display;

use crate::client::Backend;
use crate::types::{CreateEmbeddingRequest, CreateEmbeddingResponse};
use crate::{Client, Result};

/// The embeddings API, from [`Client::embeddings`].
#[derive(Clone, Copy, Debug)]
pub struct Embeddings<'c> {
    client: &'c Client,
}

impl Client {
    /// Turn text into vectors.
    pub fn embeddings(&self) -> Embeddings<'_> {
        Embeddings { client: self }
    }
}

impl Embeddings<'_> {
    /// The embedding of each input. On Azure, the deployment's model makes it.
    pub async fn create<R>(&self, request: R) -> Result<CreateEmbeddingResponse>
    where
        R: TryInto<CreateEmbeddingRequest>,
        R::Error: Display,
    {
        const OPERATION: &str = "createEmbedding";
        let request = crate::request("CreateEmbeddingRequest", request)?;
        let client = self.client;
        match &client.shared.backend {
            Backend::OpenAi(raw) => {
                client
                    .send(OPERATION, || {
                        raw.create_embedding().body(request.clone()).send()
                    })
                    .await
            }
            Backend::Azure { raw, api_version } => {
                let deployment = client.deployment()?;
                client
                    .send(OPERATION, || {
                        raw.create_embedding()
                            .deployment_id(deployment)
                            .api_version(api_version.as_str())
                            .body(request.clone())
                            .send()
                    })
                    .await
            }
        }
    }
}
