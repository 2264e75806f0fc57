//! Completions: text that continues a prompt, whole, streamed or for a batch
//! of prompts, and the probabilities behind it.

use std::collections::HashMap;
use std::fmt::Display;

use openai_rest_raw::operations::OperationId;

use crate::transport::invalid_response;
use crate::types::{
    CompletionChoice, CompletionLogprobs, CreateCompletionRequest, CreateCompletionResponse, Prompt,
};
use crate::{Client, Error, EventStream, Result};

/// The completions API, from [`Client::completions`].
#[derive(Clone, Copy, Debug)]
pub struct Completions<'c> {
    client: &'c Client,
}

impl Client {
    /// Complete prompts. Works on OpenAI and on an Azure deployment alike.
    pub fn completions(&self) -> Completions<'_> {
        Completions { client: self }
    }
}

impl Completions<'_> {
    /// The completion of the request's prompt(s).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] before sending for a request the spec
    /// refuses; otherwise the API's error by status, or a transport error, once
    /// the retries are spent (see [`Error`]).
    pub async fn create<R>(&self, request: R) -> Result<CreateCompletionResponse>
    where
        R: TryInto<CreateCompletionRequest>,
        R::Error: Display,
    {
        let request = with_stream(request, false)?;
        self.send(&request).await
    }

    /// The completion as it is generated: one event per token, without
    /// `usage`, until `data: [DONE]`. Sets `stream`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] before sending for a request the spec
    /// refuses; otherwise the API's error by status, or a transport error, once
    /// the retries are spent (see [`Error`]).
    pub async fn create_stream<R>(
        &self,
        request: R,
    ) -> Result<EventStream<CreateCompletionResponse>>
    where
        R: TryInto<CreateCompletionRequest>,
        R::Error: Display,
    {
        let request = with_stream(request, true)?;
        let call = self.client.call(OperationId::CreateCompletion)?;
        Ok(self
            .client
            .event_stream(call.json(&request)?.stream().await?))
    }

    /// Several prompts in one request (`Prompt::Texts` or
    /// `Prompt::TokenArrays`), with the choices matched back to their prompts
    /// by `index`: the API may answer them in any order.
    ///
    /// This is the rate-limit guide's batching: one request instead of one
    /// per prompt.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] before sending for a request the spec refuses
    /// or a batch without prompts; [`Error::InvalidResponse`] when the choices
    /// do not match the prompts back by `index`; otherwise the API's error by
    /// status, or a transport error, once the retries are spent (see
    /// [`Error`]).
    pub async fn create_batch<R>(&self, request: R) -> Result<CompletionBatch>
    where
        R: TryInto<CreateCompletionRequest>,
        R::Error: Display,
    {
        let request = with_stream(request, false)?;
        let prompts = match &request.prompt {
            Some(Prompt::Texts(prompts)) => prompts.len(),
            Some(Prompt::TokenArrays(prompts)) => prompts.len(),
            _ => 1,
        };
        if prompts == 0 {
            return Err(Error::InvalidArgument("the batch has no prompts".into()));
        }
        let per_prompt = request.n.unwrap_or(1) as usize;
        let mut response = self.send(&request).await?;
        response.choices.sort_by_key(|choice| choice.index);
        let complete = response.choices.len() == prompts * per_prompt
            && (response.choices.iter())
                .enumerate()
                .all(|(i, choice)| choice.index == i as i64);
        if !complete {
            return Err(invalid_response(
                reqwest::StatusCode::OK,
                serde_json::to_string(&response).unwrap_or_default(),
                serde::de::Error::custom(format!(
                    "expected the choices 0..{} for {prompts} prompts times n = {per_prompt}",
                    prompts * per_prompt
                )),
                &self.client.transport.secret,
            ));
        }
        Ok(CompletionBatch {
            response,
            per_prompt,
        })
    }

    /// Sends the request, checked against the rules of the client's API
    /// (Azure's prompts are text only).
    async fn send(&self, request: &CreateCompletionRequest) -> Result<CreateCompletionResponse> {
        let call = self.client.call(OperationId::CreateCompletion)?;
        call.json(request)?.send().await
    }
}

/// The request, with `stream` set for a stream call; the spec's rules (those
/// between `best_of`, `n` and `stream` too) are checked when it is encoded.
fn with_stream<R>(request: R, stream: bool) -> Result<CreateCompletionRequest>
where
    R: TryInto<CreateCompletionRequest>,
    R::Error: Display,
{
    let mut request: CreateCompletionRequest = crate::arguments::convert(request)?;
    if stream {
        request.stream = Some(true);
    } else if request.stream == Some(true) {
        return Err(Error::InvalidArgument(
            "`stream` is set: use completions().create_stream".into(),
        ));
    }
    Ok(request)
}

/// The completion of a batch of prompts, its choices in prompt order.
#[derive(Clone, Debug, PartialEq)]
pub struct CompletionBatch {
    response: CreateCompletionResponse,
    per_prompt: usize,
}

impl CompletionBatch {
    /// The response, its choices sorted by `index`: the `n` choices of the
    /// first prompt, then those of the second, ...
    pub fn response(&self) -> &CreateCompletionResponse {
        &self.response
    }

    /// The `n` choices of each prompt, in the order of the prompts.
    pub fn per_prompt(&self) -> std::slice::Chunks<'_, CompletionChoice> {
        self.response.choices.chunks(self.per_prompt)
    }

    /// The response, its choices sorted by `index`.
    pub fn into_response(self) -> CreateCompletionResponse {
        self.response
    }
}

/// Probabilities from the log probabilities a completion has when asked for
/// `logprobs`: probability = e^logprob, as the fine-tuning guide says.
///
/// ```
/// use openai_rest_client::completions::LogprobsExt;
/// use openai_rest_client::types::CompletionLogprobs;
///
/// let logprobs: CompletionLogprobs = serde_json::from_str(
///     r#"{"tokens": [" yes"], "token_logprobs": [-0.105], "top_logprobs": [{" yes": -0.105, " no": -2.3}]}"#,
/// ).unwrap();
/// let p = logprobs.token_probabilities()[0].unwrap();
/// assert!((p - 0.9).abs() < 0.001);
/// let top = logprobs.top_probabilities().remove(0).unwrap();
/// assert!((top[" no"] - 0.1).abs() < 0.001);
/// ```
pub trait LogprobsExt {
    /// The probability of each chosen token; `None` where the API gives no
    /// log probability (the first token of an echoed prompt).
    fn token_probabilities(&self) -> Vec<Option<f64>>;

    /// For each token, the most likely tokens and their probabilities.
    fn top_probabilities(&self) -> Vec<Option<HashMap<String, f64>>>;
}

impl LogprobsExt for CompletionLogprobs {
    fn token_probabilities(&self) -> Vec<Option<f64>> {
        (self.token_logprobs.iter())
            .map(|logprob| logprob.map(f64::exp))
            .collect()
    }

    fn top_probabilities(&self) -> Vec<Option<HashMap<String, f64>>> {
        (self.top_logprobs.iter())
            .map(|top| {
                let top = top.as_ref()?;
                Some(
                    top.iter()
                        .map(|(token, logprob)| (token.clone(), logprob.exp()))
                        .collect(),
                )
            })
            .collect()
    }
}
