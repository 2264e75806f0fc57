//! Audio: speech to text (whisper-1), in the spoken language or in English.

use std::fmt::Display;

use openai_rest_raw::operations::OperationId;
use reqwest::header::HeaderValue;

use crate::types::{
    AudioResponse, AudioResponseFormat, CreateTranscriptionRequest, CreateTranslationRequest,
};
use crate::{Client, Error, Result, Upload};

/// The audio API, from [`Client::audio`].
#[derive(Clone, Copy, Debug)]
pub struct Audio<'c> {
    client: &'c Client,
}

impl Client {
    /// Transcribe and translate audio.
    pub fn audio(&self) -> Audio<'_> {
        Audio { client: self }
    }
}

impl Audio<'_> {
    /// The text spoken in `file` (mp3, mp4, mpeg, mpga, m4a, wav or webm), as
    /// `json` or `verbose_json` (with segments). OpenAI only.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on an Azure client, and
    /// [`Error::InvalidArgument`] for a request the spec refuses or an upload
    /// that cannot be read, both before sending; otherwise the API's error by
    /// status, or a transport error, once the retries are spent (see
    /// [`Error`]).
    pub async fn transcribe<R>(&self, file: Upload, request: R) -> Result<AudioResponse>
    where
        R: TryInto<CreateTranscriptionRequest>,
        R::Error: Display,
    {
        let request: CreateTranscriptionRequest = crate::arguments::convert(request)?;
        json_format(request.response_format, "transcribe_text")?;
        let call = self.client.call(OperationId::CreateTranscription)?;
        call.form(&request, [("file", &file)])?.send().await
    }

    /// The text spoken in `file` as `text` (the default here), `srt` or `vtt`.
    /// OpenAI only.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on an Azure client, and
    /// [`Error::InvalidArgument`] for a request the spec refuses or an upload
    /// that cannot be read, both before sending; otherwise the API's error by
    /// status, or a transport error, once the retries are spent (see
    /// [`Error`]).
    pub async fn transcribe_text<R>(&self, file: Upload, request: R) -> Result<String>
    where
        R: TryInto<CreateTranscriptionRequest>,
        R::Error: Display,
    {
        let mut request: CreateTranscriptionRequest = crate::arguments::convert(request)?;
        request.response_format = Some(text_format(request.response_format, "transcribe")?);
        let call = self.client.call(OperationId::CreateTranscription)?;
        let call = call.form(&request, [("file", &file)])?;
        let text = call
            .bytes(Some(HeaderValue::from_static("text/plain")))
            .await?;
        Ok(String::from_utf8_lossy(&text).into_owned())
    }

    /// The speech in `file` translated into English, as `json` or
    /// `verbose_json`. OpenAI only.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on an Azure client, and
    /// [`Error::InvalidArgument`] for a request the spec refuses or an upload
    /// that cannot be read, both before sending; otherwise the API's error by
    /// status, or a transport error, once the retries are spent (see
    /// [`Error`]).
    pub async fn translate<R>(&self, file: Upload, request: R) -> Result<AudioResponse>
    where
        R: TryInto<CreateTranslationRequest>,
        R::Error: Display,
    {
        let request: CreateTranslationRequest = crate::arguments::convert(request)?;
        json_format(request.response_format, "translate_text")?;
        let call = self.client.call(OperationId::CreateTranslation)?;
        call.form(&request, [("file", &file)])?.send().await
    }

    /// The speech in `file` translated into English, as `text` (the default
    /// here), `srt` or `vtt`. OpenAI only.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on an Azure client, and
    /// [`Error::InvalidArgument`] for a request the spec refuses or an upload
    /// that cannot be read, both before sending; otherwise the API's error by
    /// status, or a transport error, once the retries are spent (see
    /// [`Error`]).
    pub async fn translate_text<R>(&self, file: Upload, request: R) -> Result<String>
    where
        R: TryInto<CreateTranslationRequest>,
        R::Error: Display,
    {
        let mut request: CreateTranslationRequest = crate::arguments::convert(request)?;
        request.response_format = Some(text_format(request.response_format, "translate")?);
        let call = self.client.call(OperationId::CreateTranslation)?;
        let call = call.form(&request, [("file", &file)])?;
        let text = call
            .bytes(Some(HeaderValue::from_static("text/plain")))
            .await?;
        Ok(String::from_utf8_lossy(&text).into_owned())
    }
}

/// Checks that `format` answers JSON; the text ones belong to `instead`.
fn json_format(format: Option<AudioResponseFormat>, instead: &str) -> Result<()> {
    match format {
        None | Some(AudioResponseFormat::Json | AudioResponseFormat::VerboseJson) => Ok(()),
        Some(format) => Err(Error::InvalidArgument(format!(
            "`response_format` {format} answers text: use audio().{instead}"
        ))),
    }
}

/// `format`, `text` when unset, if it answers text; the JSON ones belong to
/// `instead`.
fn text_format(format: Option<AudioResponseFormat>, instead: &str) -> Result<AudioResponseFormat> {
    match format {
        None => Ok(AudioResponseFormat::Text),
        Some(
            format @ (AudioResponseFormat::Text
            | AudioResponseFormat::Srt
            | AudioResponseFormat::Vtt),
        ) => Ok(format),
        Some(format) => Err(Error::InvalidArgument(format!(
            "`response_format` {format} answers JSON: use audio().{instead}"
        ))),
    }
}
