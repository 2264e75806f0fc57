//! Chat: the next message of a conversation (gpt-3.5-turbo, gpt-4), whole or
//! streamed.

use std::fmt::Display;

use openai_rest_raw::operations::OperationId;

use crate::types::{
    ChatCompletionRequestMessage, ChatRole, CreateChatCompletionRequest,
    CreateChatCompletionResponse, CreateChatCompletionStreamResponse,
};
use crate::{Client, Error, EventStream, Result};

/// The chat completions API, from [`Client::chat`].
#[derive(Clone, Copy, Debug)]
pub struct Chat<'c> {
    client: &'c Client,
}

impl Client {
    /// Chat completions.
    pub fn chat(&self) -> Chat<'_> {
        Chat { client: self }
    }
}

impl Chat<'_> {
    /// The next message of the conversation. OpenAI only.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on an Azure client, and
    /// [`Error::InvalidArgument`] for a request the spec refuses, both before
    /// sending; otherwise the API's error by status, or a transport error, once
    /// the retries are spent (see [`Error`]).
    pub async fn create<R>(&self, request: R) -> Result<CreateChatCompletionResponse>
    where
        R: TryInto<CreateChatCompletionRequest>,
        R::Error: Display,
    {
        let request: CreateChatCompletionRequest = crate::arguments::convert(request)?;
        if request.stream == Some(true) {
            return Err(Error::InvalidArgument(
                "`stream` is set: use chat().create_stream".into(),
            ));
        }
        let call = self.client.call(OperationId::CreateChatCompletion)?;
        call.json(&request)?.send().await
    }

    /// The next message as it is generated: a first event with the `role`,
    /// then one per piece of `content`, until `data: [DONE]`. Sets `stream`.
    /// OpenAI only.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on an Azure client, and
    /// [`Error::InvalidArgument`] for a request the spec refuses, both before
    /// sending; otherwise the API's error by status, or a transport error, once
    /// the retries are spent (see [`Error`]).
    pub async fn create_stream<R>(
        &self,
        request: R,
    ) -> Result<EventStream<CreateChatCompletionStreamResponse>>
    where
        R: TryInto<CreateChatCompletionRequest>,
        R::Error: Display,
    {
        let mut request: CreateChatCompletionRequest = crate::arguments::convert(request)?;
        request.stream = Some(true);
        let call = self.client.call(OperationId::CreateChatCompletion)?;
        Ok(self
            .client
            .event_stream(call.json(&request)?.stream().await?))
    }
}

/// Constructors for the messages of a conversation.
///
/// ```
/// use openai_rest_client::chat::MessageExt;
/// use openai_rest_client::types::{ChatCompletionRequestMessage, ChatRole};
///
/// let message = ChatCompletionRequestMessage::user("Hello!");
/// assert_eq!(message.role, ChatRole::User);
/// assert_eq!(message.content, "Hello!");
/// ```
pub trait MessageExt {
    /// A message from `role`.
    fn new(role: ChatRole, content: impl Into<String>) -> Self;

    /// A system message, which sets the assistant's behaviour.
    fn system(content: impl Into<String>) -> Self
    where
        Self: Sized,
    {
        Self::new(ChatRole::System, content)
    }

    /// A message of the user.
    fn user(content: impl Into<String>) -> Self
    where
        Self: Sized,
    {
        Self::new(ChatRole::User, content)
    }

    /// A message the assistant wrote earlier.
    fn assistant(content: impl Into<String>) -> Self
    where
        Self: Sized,
    {
        Self::new(ChatRole::Assistant, content)
    }
}

impl MessageExt for ChatCompletionRequestMessage {
    fn new(role: ChatRole, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            name: None,
        }
    }
}
