//! What a completion, chat or embedding request costs in tokens, as the API
//! counted it with the model's encoding (`openai-rest-tokens`), and the
//! API's 400 for one over the model's context window, in its words.

use openai_rest_raw::operations::OperationId;
use openai_rest_tokens::{ChatMessage, Encoding, context_window, count_chat_tokens};
use serde_json::Value;

use crate::error::ApiError;
use crate::params::Params;

/// The `max_tokens` of a completion that does not say: the docs' default.
pub(crate) const DEFAULT_COMPLETION_MAX_TOKENS: u32 = 16;

/// The prompt tokens of a request to `model`, whose encoding is
/// `encoding`: one count per prompt of a completion (a string, a list of
/// strings, a list of tokens or of token lists), per input of an embedding,
/// or one for a chat's messages; `None` for a chat model the cookbook's
/// counting does not know.
fn count_prompts(
    kind: Kind,
    model: &str,
    encoding: Encoding,
    params: &Params<'_>,
) -> Option<Vec<u64>> {
    let count = |value: &Value| -> u64 {
        match value {
            Value::String(text) => crate::generation::count(encoding, text) as u64,
            // Tokens given as numbers are their own count.
            Value::Array(tokens) => tokens.len() as u64,
            _ => 0,
        }
    };
    // `absent`: the count of the default (a completion's prompt defaults to
    // the one special token <|endoftext|>).
    let each = |value: Option<&Value>, absent: u64| -> Vec<u64> {
        match value {
            None | Some(Value::Null) => vec![absent],
            Some(Value::Array(items)) if items.first().is_some_and(|item| !item.is_number()) => {
                items.iter().map(count).collect()
            }
            Some(Value::Array(items)) if items.is_empty() => vec![0],
            Some(value) => vec![count(value)],
        }
    };
    match kind {
        Kind::Completion => Some(each(params.prompt, 1)),
        Kind::Embedding => Some(each(params.input, 0)),
        Kind::Chat => {
            let messages: Vec<ChatMessage<'_>> = (params.messages?)
                .iter()
                .map(|message| ChatMessage {
                    role: message
                        .get("role")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    content: message
                        .get("content")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    name: message.get("name").and_then(Value::as_str),
                })
                .collect();
            Some(vec![count_chat_tokens(model, &messages).ok()? as u64])
        }
    }
}

/// The operations that count tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Completion,
    Chat,
    Embedding,
}

impl Kind {
    pub(crate) fn of(operation: OperationId) -> Option<Kind> {
        match operation {
            OperationId::CreateCompletion => Some(Kind::Completion),
            OperationId::CreateChatCompletion => Some(Kind::Chat),
            OperationId::CreateEmbedding => Some(Kind::Embedding),
            _ => None,
        }
    }
}

/// What a request costs, counted once when it comes in, for its answer:
/// `usage`, and the text its choices may hold.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Budget {
    pub(crate) encoding: Encoding,
    /// Per prompt of a completion, per input of an embedding, one for a
    /// chat's messages.
    pub(crate) prompts: Vec<u64>,
    /// The most tokens a choice may have.
    pub(crate) max_tokens: u64,
}

impl Budget {
    /// The request's `usage.prompt_tokens`.
    pub(crate) fn prompt_tokens(&self) -> u64 {
        self.prompts.iter().sum()
    }

    /// What a request weighs against a tokens-per-minute limit, as the
    /// rate-limit guide counts it: its prompts, and the most each choice
    /// may write (`max_tokens`, or a completion's default; a chat that
    /// names none counts its messages alone).
    pub(crate) fn weight(&self, kind: Kind, params: &Params<'_>, choices: u64) -> u64 {
        let asked = match kind {
            Kind::Chat => params.max_tokens.unwrap_or(0),
            _ => self.max_tokens,
        };
        self.prompt_tokens()
            .saturating_add(asked.saturating_mul(choices))
    }
}

/// Counts a request to `model` and checks it against the model's window:
/// its budget, or the API's 400; `None` for a model whose tokens the tables
/// do not know (the mock then answers its fixture's counts). The model is
/// looked up once for its encoding and once for its window.
pub(crate) fn budget(
    kind: Kind,
    model: &str,
    params: &Params<'_>,
) -> Result<Option<Budget>, ApiError> {
    let Some(encoding) = Encoding::for_model(model) else {
        return Ok(None);
    };
    let Some(prompts) = count_prompts(kind, model, encoding, params) else {
        return Ok(None);
    };
    let window = context_window(model);
    check_window(kind, window, params, &prompts)?;
    let longest = prompts.iter().copied().max().unwrap_or(0);
    Ok(Some(Budget {
        encoding,
        max_tokens: max_tokens(kind, window, params, longest),
        prompts,
    }))
}

/// The most tokens a choice may have: the request's `max_tokens`, else the
/// docs' default (16 for a completion; the rest of the model's `window`
/// for a chat).
fn max_tokens(kind: Kind, window: Option<u32>, params: &Params<'_>, prompt: u64) -> u64 {
    match params.max_tokens {
        Some(max) => max,
        None => match kind {
            Kind::Completion => u64::from(DEFAULT_COMPLETION_MAX_TOKENS),
            Kind::Chat => {
                window.map_or(u64::MAX, |window| u64::from(window).saturating_sub(prompt))
            }
            Kind::Embedding => 0,
        },
    }
}

/// The API's 400 when a prompt and the completion asked for do not fit
/// the model's `window`; `Ok` for a model without a known window.
fn check_window(
    kind: Kind,
    window: Option<u32>,
    params: &Params<'_>,
    prompts: &[u64],
) -> Result<(), ApiError> {
    let Some(tokens) = window else {
        return Ok(());
    };
    let window = u64::from(tokens);
    let asked = params.max_tokens;
    for &prompt in prompts {
        let completion = match kind {
            Kind::Embedding => 0,
            _ => max_tokens(kind, Some(tokens), params, prompt),
        };
        let message = match (kind, asked) {
            (Kind::Chat, None) if prompt > window => format!(
                "This model's maximum context length is {window} tokens. However, your messages \
                 resulted in {prompt} tokens. Please reduce the length of the messages."
            ),
            (Kind::Chat, Some(asked)) if prompt + asked > window => format!(
                "This model's maximum context length is {window} tokens. However, you requested \
                 {} tokens ({prompt} in the messages, {asked} in the completion). Please reduce \
                 the length of the messages or completion.",
                prompt + asked
            ),
            (Kind::Completion | Kind::Embedding, _) if prompt + completion > window => format!(
                "This model's maximum context length is {window} tokens, however you requested {} \
                 tokens ({prompt} in your prompt; {completion} for the completion). Please reduce \
                 your prompt; or completion length.",
                prompt + completion
            ),
            _ => continue,
        };
        let error = ApiError::invalid_request(400, message);
        return Err(match kind {
            Kind::Chat => ApiError {
                param: Some("messages".into()),
                code: Some("context_length_exceeded"),
                ..error
            },
            _ => error,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn prompt_tokens(kind: Kind, model: &str, body: &Value) -> Option<Vec<u64>> {
        count_prompts(
            kind,
            model,
            Encoding::for_model(model)?,
            &Params::read(body),
        )
    }

    fn check_window(
        kind: Kind,
        model: &str,
        body: &Value,
        prompts: &[u64],
    ) -> Result<(), ApiError> {
        super::check_window(kind, context_window(model), &Params::read(body), prompts)
    }

    #[test]
    fn prompts_count_with_the_models_encoding() {
        let word = json!({"prompt": "antidisestablishmentarianism", "input": "antidisestablishmentarianism"});
        assert_eq!(
            prompt_tokens(Kind::Completion, "text-davinci-003", &word),
            Some(vec![5])
        );
        assert_eq!(
            prompt_tokens(Kind::Embedding, "text-embedding-ada-002", &word),
            Some(vec![6])
        );
        let batch = json!({"prompt": ["Say this is a test", [1, 2, 3]], "input": [[1, 2], [3]]});
        assert_eq!(
            prompt_tokens(Kind::Completion, "davinci", &batch),
            Some(vec![5, 3])
        );
        assert_eq!(
            prompt_tokens(Kind::Embedding, "text-embedding-ada-002", &batch),
            Some(vec![2, 1])
        );
        let tokens = json!({"prompt": [1, 2, 3, 4]});
        assert_eq!(
            prompt_tokens(Kind::Completion, "davinci", &tokens),
            Some(vec![4])
        );
        assert_eq!(
            prompt_tokens(Kind::Completion, "davinci", &json!({})),
            Some(vec![1])
        );
        assert_eq!(
            prompt_tokens(Kind::Completion, "no-such-model", &word),
            None
        );
    }

    #[test]
    fn a_chat_counts_its_messages_as_the_cookbook_says() {
        let chat = json!({"messages": [{"role": "user", "content": "Hello!"}]});
        // The docs' example: prompt_tokens 9.
        assert_eq!(
            prompt_tokens(Kind::Chat, "gpt-3.5-turbo", &chat),
            Some(vec![9])
        );
    }

    #[test]
    fn a_completion_over_the_window_gets_the_apis_words() {
        let body = json!({"max_tokens": 4000});
        let error = check_window(Kind::Completion, "text-davinci-003", &body, &[1360]).unwrap_err();
        assert_eq!(error.status, 400);
        assert_eq!(
            error.message,
            "This model's maximum context length is 4097 tokens, however you requested 5360 \
             tokens (1360 in your prompt; 4000 for the completion). Please reduce your prompt; or \
             completion length."
        );
        // Just under: fine; the default max_tokens is 16.
        assert!(
            check_window(
                Kind::Completion,
                "text-davinci-003",
                &json!({"max_tokens": 2737}),
                &[1360]
            )
            .is_ok()
        );
        assert!(check_window(Kind::Completion, "text-davinci-003", &json!({}), &[4081]).is_ok());
        assert!(check_window(Kind::Completion, "text-davinci-003", &json!({}), &[4082]).is_err());
    }

    #[test]
    fn a_chat_over_the_window_says_so_with_or_without_max_tokens() {
        let error = check_window(Kind::Chat, "gpt-3.5-turbo", &json!({}), &[4290]).unwrap_err();
        assert_eq!(
            error.message,
            "This model's maximum context length is 4097 tokens. However, your messages resulted \
             in 4290 tokens. Please reduce the length of the messages."
        );
        assert_eq!(
            (error.param.as_deref(), error.code),
            (Some("messages"), Some("context_length_exceeded"))
        );
        assert!(check_window(Kind::Chat, "gpt-3.5-turbo", &json!({}), &[4097]).is_ok());
        let error =
            check_window(Kind::Chat, "gpt-4", &json!({"max_tokens": 100}), &[8100]).unwrap_err();
        assert_eq!(
            error.message,
            "This model's maximum context length is 8192 tokens. However, you requested 8200 \
             tokens (8100 in the messages, 100 in the completion). Please reduce the length of \
             the messages or completion."
        );
    }

    #[test]
    fn an_embedding_over_the_window_asks_for_no_completion() {
        let error = check_window(
            Kind::Embedding,
            "text-embedding-ada-002",
            &json!({}),
            &[10, 8192],
        )
        .unwrap_err();
        assert!(
            error
                .message
                .contains("you requested 8192 tokens (8192 in your prompt; 0 for the completion)"),
            "{}",
            error.message
        );
        assert!(
            check_window(
                Kind::Embedding,
                "text-embedding-ada-002",
                &json!({}),
                &[8191]
            )
            .is_ok()
        );
    }
}
