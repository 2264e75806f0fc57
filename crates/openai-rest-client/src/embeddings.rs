//! Embeddings: vectors that represent text.

use std::fmt::Display;

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
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) before sending for a request the spec
    /// refuses; otherwise the API's error by status, or a transport error, once
    /// the retries are spent (see [`Error`](crate::Error)).
    pub async fn create<R>(&self, request: R) -> Result<CreateEmbeddingResponse>
    where
        R: TryInto<CreateEmbeddingRequest>,
        R::Error: Display,
    {
        let request: CreateEmbeddingRequest = crate::arguments::convert(request)?;
        let body = crate::arguments::encode(&request)?;
        on_backend!(deployment self.client, "createEmbedding", create_embedding.body_json(body.clone()))
    }
}
