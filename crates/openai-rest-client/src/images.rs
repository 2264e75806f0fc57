//! Images: generate images from a prompt, edit an image, or vary one.

use std::fmt::Display;

use openai_rest_raw::operations::OperationId;

use crate::types::{
    CreateImageEditRequest, CreateImageRequest, CreateImageVariationRequest, ImagesResponse,
};
use crate::{Client, Result, Upload};

/// The images API, from [`Client::images`].
#[derive(Clone, Copy, Debug)]
pub struct Images<'c> {
    client: &'c Client,
}

impl Client {
    /// Generate, edit and vary images (DALL-E).
    pub fn images(&self) -> Images<'_> {
        Images { client: self }
    }
}

impl Images<'_> {
    /// Images generated from the request's prompt. OpenAI only.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an Azure client, and
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a request the spec refuses, both before
    /// sending; otherwise the API's error by status, or a transport error, once
    /// the retries are spent (see [`Error`](crate::Error)).
    pub async fn create<R>(&self, request: R) -> Result<ImagesResponse>
    where
        R: TryInto<CreateImageRequest>,
        R::Error: Display,
    {
        let request: CreateImageRequest = crate::arguments::convert(request)?;
        let call = self.client.call(OperationId::CreateImage)?;
        call.json(&request)?.send().await
    }

    /// `image` (a square PNG under 4 MB) edited as the prompt says, where
    /// `mask` (or else the image itself) is transparent. OpenAI only.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an Azure client, and
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a request the spec refuses or an upload
    /// that cannot be read, both before sending; otherwise the API's error by
    /// status, or a transport error, once the retries are spent (see
    /// [`Error`](crate::Error)).
    pub async fn create_edit<R>(
        &self,
        image: Upload,
        mask: Option<Upload>,
        request: R,
    ) -> Result<ImagesResponse>
    where
        R: TryInto<CreateImageEditRequest>,
        R::Error: Display,
    {
        let request: CreateImageEditRequest = crate::arguments::convert(request)?;
        let files: Vec<_> = std::iter::once(("image", &image))
            .chain(mask.as_ref().map(|mask| ("mask", mask)))
            .collect();
        let call = self.client.call(OperationId::CreateImageEdit)?;
        call.form(&request, files)?.send().await
    }

    /// Variations of `image` (a square PNG under 4 MB). OpenAI only.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an Azure client, and
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a request the spec refuses or an upload
    /// that cannot be read, both before sending; otherwise the API's error by
    /// status, or a transport error, once the retries are spent (see
    /// [`Error`](crate::Error)).
    pub async fn create_variation<R>(&self, image: Upload, request: R) -> Result<ImagesResponse>
    where
        R: TryInto<CreateImageVariationRequest>,
        R::Error: Display,
    {
        let request: CreateImageVariationRequest = crate::arguments::convert(request)?;
        let call = self.client.call(OperationId::CreateImageVariation)?;
        call.form(&request, [("image", &image)])?.send().await
    }
}
