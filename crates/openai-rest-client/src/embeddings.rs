//! Embeddings: vectors that represent text.

use std::fmt::Display;

use openai_rest_raw::operations::OperationId;

use crate::types::{CreateEmbeddingRequest, CreateEmbeddingResponse, EmbeddingVector};
use crate::{Client, Error, Result};

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
    /// [`Error::InvalidArgument`] before sending for a request the spec
    /// refuses; otherwise the API's error by status, or a transport error, once
    /// the retries are spent (see [`Error`]).
    pub async fn create<R>(&self, request: R) -> Result<CreateEmbeddingResponse>
    where
        R: TryInto<CreateEmbeddingRequest>,
        R::Error: Display,
    {
        let request: CreateEmbeddingRequest = crate::arguments::convert(request)?;
        let call = self.client.call(OperationId::CreateEmbedding)?;
        call.json(&request)?.send().await
    }
}

/// The numbers of an embedding however it was answered: as numbers, or
/// (with `encoding_format` `base64`, what the official Python library asks
/// for) as the base64 of little-endian float32s.
///
/// ```
/// use openai_rest_client::embeddings::EmbeddingVectorExt;
/// use openai_rest_client::types::EmbeddingVector;
///
/// // 0.5 and -2.0 as little-endian float32s, in base64.
/// let vector = EmbeddingVector::Base64("AAAAPwAAAMA=".into());
/// assert_eq!(vector.to_floats().unwrap(), [0.5, -2.0]);
/// let vector = EmbeddingVector::Floats(vec![0.25]);
/// assert_eq!(vector.to_floats().unwrap(), [0.25]);
/// assert!(EmbeddingVector::Base64("AAAA".into()).to_floats().is_err());
/// ```
pub trait EmbeddingVectorExt {
    /// The numbers.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidResponse`] when a
    /// base64 vector is not the base64 of whole float32s.
    fn to_floats(&self) -> Result<Vec<f64>>;
}

impl EmbeddingVectorExt for EmbeddingVector {
    fn to_floats(&self) -> Result<Vec<f64>> {
        use base64::Engine as _;
        let text = match self {
            EmbeddingVector::Floats(numbers) => return Ok(numbers.clone()),
            EmbeddingVector::Base64(text) => text,
        };
        let invalid = |reason: String| Error::InvalidResponse {
            status: reqwest::StatusCode::OK,
            body: crate::error::shorten(text).to_owned(),
            source: serde::de::Error::custom(reason),
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| invalid(format!("the embedding is not base64: {e}")))?;
        if bytes.len() % 4 != 0 {
            return Err(invalid(format!(
                "the embedding is {} bytes, not whole float32s",
                bytes.len()
            )));
        }
        Ok(bytes
            .chunks_exact(4)
            .map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
            .collect())
    }
}
