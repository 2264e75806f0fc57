#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

use std::fmt;

use tiktoken_rs::CoreBPE;

/// A byte-pair encoding of 2023.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// GPT-3: `davinci`, `curie`, `babbage`, `ada` and their `-001` models.
    R50kBase,
    /// `text-davinci-002`/`-003` and Codex.
    P50kBase,
    /// The edit models: p50k with the edit special tokens.
    P50kEdit,
    /// `gpt-3.5-turbo`, `gpt-4` and `text-embedding-ada-002`.
    Cl100kBase,
}

/// A model the tables do not know: neither a model of early 2023 nor a
/// fine-tuned one of such a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownModel(pub String);

impl fmt::Display for UnknownModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no tokenizer is known for the model `{}`", self.0)
    }
}

impl std::error::Error for UnknownModel {}

/// Each model of early 2023: its encoding and its context window in
/// tokens (`None` where the API enforced none of its own, as for edits).
/// A `match`, which compiles to a search by length and bytes: the mock
/// looks a model up on every request.
fn model(name: &str) -> Option<(Encoding, Option<u32>)> {
    use Encoding::*;
    Some(match name {
        "gpt-4" => (Cl100kBase, Some(8192)),
        "gpt-4-0314" => (Cl100kBase, Some(8192)),
        "gpt-4-32k" => (Cl100kBase, Some(32_768)),
        "gpt-4-32k-0314" => (Cl100kBase, Some(32_768)),
        // The models page said 4,096; the API's own error said 4097.
        "gpt-3.5-turbo" => (Cl100kBase, Some(4097)),
        "gpt-3.5-turbo-0301" => (Cl100kBase, Some(4097)),
        "text-embedding-ada-002" => (Cl100kBase, Some(8191)),
        "text-davinci-003" => (P50kBase, Some(4097)),
        "text-davinci-002" => (P50kBase, Some(4097)),
        "code-davinci-002" => (P50kBase, Some(8001)),
        "code-davinci-001" => (P50kBase, Some(8001)),
        "code-cushman-002" => (P50kBase, Some(2048)),
        "code-cushman-001" => (P50kBase, Some(2048)),
        "davinci-codex" => (P50kBase, Some(4096)),
        "cushman-codex" => (P50kBase, Some(2048)),
        "text-davinci-insert-002" => (P50kBase, Some(4097)),
        "text-davinci-insert-001" => (R50kBase, Some(2049)),
        "text-davinci-edit-001" => (P50kEdit, None),
        "code-davinci-edit-001" => (P50kEdit, None),
        "text-davinci-001" => (R50kBase, Some(2049)),
        "text-curie-001" => (R50kBase, Some(2049)),
        "text-babbage-001" => (R50kBase, Some(2049)),
        "text-ada-001" => (R50kBase, Some(2049)),
        "davinci" => (R50kBase, Some(2049)),
        "curie" => (R50kBase, Some(2049)),
        "babbage" => (R50kBase, Some(2049)),
        "ada" => (R50kBase, Some(2049)),
        "davinci-instruct-beta" => (R50kBase, Some(2049)),
        "curie-instruct-beta" => (R50kBase, Some(2049)),
        "text-similarity-davinci-001" => (R50kBase, Some(2046)),
        "text-similarity-curie-001" => (R50kBase, Some(2046)),
        "text-similarity-babbage-001" => (R50kBase, Some(2046)),
        "text-similarity-ada-001" => (R50kBase, Some(2046)),
        "text-search-davinci-doc-001" => (R50kBase, Some(2046)),
        "text-search-curie-doc-001" => (R50kBase, Some(2046)),
        "text-search-babbage-doc-001" => (R50kBase, Some(2046)),
        "text-search-ada-doc-001" => (R50kBase, Some(2046)),
        "text-search-davinci-query-001" => (R50kBase, Some(2046)),
        "text-search-curie-query-001" => (R50kBase, Some(2046)),
        "text-search-babbage-query-001" => (R50kBase, Some(2046)),
        "text-search-ada-query-001" => (R50kBase, Some(2046)),
        "code-search-babbage-code-001" => (R50kBase, Some(2046)),
        "code-search-ada-code-001" => (R50kBase, Some(2046)),
        "code-search-babbage-text-001" => (R50kBase, Some(2046)),
        "code-search-ada-text-001" => (R50kBase, Some(2046)),
        _ => return None,
    })
}

/// The model a name stands for: a fine-tuned model's base (OpenAI's
/// `curie:ft-acmeco-...`, Azure's `curie.ft-...`), else the name.
fn base_model(model: &str) -> &str {
    // The mock asks on every request, and most names have neither a `:`
    // nor a `.`: `contains` (a word at a time) says so before the
    // byte-by-byte search.
    let bytes = model.as_bytes();
    if !bytes.contains(&b':') && !bytes.contains(&b'.') {
        return model;
    }
    let end = (bytes.iter().enumerate())
        .find(|&(at, &byte)| byte == b':' || (byte == b'.' && bytes[at..].starts_with(b".ft-")))
        .map_or(bytes.len(), |(at, _)| at);
    &model[..end]
}

fn entry(name: &str) -> Option<(Encoding, Option<u32>)> {
    model(base_model(name))
}

impl Encoding {
    /// The encoding `model` counted its tokens with; `None` for a model the
    /// tables do not know.
    pub fn for_model(model: &str) -> Option<Encoding> {
        entry(model).map(|(encoding, _)| encoding)
    }

    /// Its name in the `tiktoken` library, e.g. `cl100k_base`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::R50kBase => "r50k_base",
            Encoding::P50kBase => "p50k_base",
            Encoding::P50kEdit => "p50k_edit",
            Encoding::Cl100kBase => "cl100k_base",
        }
    }

    /// The encoder, built on first use and kept for the process.
    fn bpe(self) -> &'static CoreBPE {
        match self {
            Encoding::R50kBase => tiktoken_rs::r50k_base_singleton(),
            Encoding::P50kBase => tiktoken_rs::p50k_base_singleton(),
            Encoding::P50kEdit => tiktoken_rs::p50k_edit_singleton(),
            Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
        }
    }

    /// `text`'s tokens. Special tokens such as `<|endoftext|>` count as
    /// the plain text they are written with, as in a prompt.
    pub fn encode(self, text: &str) -> Vec<u32> {
        self.bpe().encode_ordinary(text)
    }

    /// How many tokens `text` is.
    pub fn count(self, text: &str) -> usize {
        self.bpe().count_ordinary(text)
    }

    /// The bytes of one token; `None` for a token the encoding lacks. A
    /// token may be part of a UTF-8 character, so these are bytes.
    pub fn token_bytes(self, token: u32) -> Option<Vec<u8>> {
        self.bpe().decode_bytes(&[token]).ok()
    }
}

/// How many tokens `text` is for `model`, as the API counted a prompt or
/// an embedding's input.
///
/// # Errors
///
/// [`UnknownModel`] for a model the tables do not know.
pub fn count_tokens(model: &str, text: &str) -> Result<usize, UnknownModel> {
    let encoding = Encoding::for_model(model).ok_or_else(|| UnknownModel(model.to_owned()))?;
    Ok(encoding.count(text))
}

/// The most tokens a request to `model` could use, prompt and completion
/// together, in early 2023; `None` for an unknown model, or one (the edit
/// models) whose window the API did not state.
pub fn context_window(model: &str) -> Option<u32> {
    entry(model).and_then(|(_, window)| window)
}

/// A chat message, as far as its tokens go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChatMessage<'a> {
    /// `system`, `user` or `assistant`.
    pub role: &'a str,
    /// What it says.
    pub content: &'a str,
    /// The author's name, if given.
    pub name: Option<&'a str>,
}

impl<'a> ChatMessage<'a> {
    /// A message without a name.
    pub fn new(role: &'a str, content: &'a str) -> ChatMessage<'a> {
        ChatMessage {
            role,
            content,
            name: None,
        }
    }
}

/// The prompt tokens of a chat request to `model`, as the API counted them:
/// the OpenAI cookbook's `num_tokens_from_messages` of early 2023. For
/// `gpt-3.5-turbo-0301`, which `gpt-3.5-turbo` was then, each message costs
/// 4 tokens besides its fields, a name replaces the role (-1) and the reply
/// is primed with 2 (`<im_start>assistant`): the docs' example, one user
/// message "Hello!", is 9. For `gpt-4` and its snapshots each message costs
/// 3, a name 1 more, and the reply is primed with 3.
///
/// # Errors
///
/// [`UnknownModel`] for a model the tables do not know, or one that is not
/// a chat model.
pub fn count_chat_tokens(model: &str, messages: &[ChatMessage<'_>]) -> Result<usize, UnknownModel> {
    let unknown = || UnknownModel(model.to_owned());
    let base = base_model(model);
    let (per_message, per_name, priming): (i64, i64, i64) = if base.starts_with("gpt-3.5-turbo") {
        (4, -1, 2)
    } else if base.starts_with("gpt-4") {
        (3, 1, 3)
    } else {
        return Err(unknown());
    };
    let encoding = Encoding::for_model(model).ok_or_else(unknown)?;
    let mut tokens = priming;
    for message in messages {
        tokens += per_message;
        tokens += encoding.count(message.role) as i64;
        tokens += encoding.count(message.content) as i64;
        if let Some(name) = message.name {
            tokens += encoding.count(name) as i64 + per_name;
        }
    }
    Ok(usize::try_from(tokens).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_counts_with_its_own_encoding() {
        // tiktoken's counts: GPT-3's vocabulary, then GPT-4's.
        let word = "antidisestablishmentarianism";
        assert_eq!(count_tokens("davinci", word), Ok(5));
        assert_eq!(count_tokens("text-davinci-003", word), Ok(5));
        assert_eq!(count_tokens("gpt-4", word), Ok(6));
        // p50k has tokens for runs of spaces, which code is full of.
        let code = "def f():\n        return 1\n";
        assert!(
            count_tokens("code-davinci-002", code).unwrap()
                < count_tokens("davinci", code).unwrap()
        );
        assert_eq!(
            Encoding::for_model("code-davinci-edit-001"),
            Some(Encoding::P50kEdit)
        );
        assert_eq!(
            Encoding::for_model("text-embedding-ada-002").map(Encoding::name),
            Some("cl100k_base")
        );
    }

    #[test]
    fn fine_tuned_models_count_as_their_base() {
        assert_eq!(
            Encoding::for_model("curie:ft-acmeco-2021-03-03-21-44-20"),
            Some(Encoding::R50kBase)
        );
        assert_eq!(
            Encoding::for_model("curie.ft-72a2792ef7d24ba7b82c7fe4a37e379f"),
            Some(Encoding::R50kBase)
        );
        assert_eq!(
            context_window("ada:ft-personal:my-suffix-2023-03-01-10-00-00"),
            Some(2049)
        );
    }

    #[test]
    fn a_base_model_ends_at_the_first_colon_or_ft() {
        assert_eq!(base_model("gpt-3.5-turbo"), "gpt-3.5-turbo");
        assert_eq!(base_model("curie:ft-acme.ft-x"), "curie");
        assert_eq!(base_model("curie.ft-72a2:x"), "curie");
        assert_eq!(base_model("a.b.ft-"), "a.b");
        assert_eq!(base_model(".ft-"), "");
        assert_eq!(base_model(""), "");
    }

    #[test]
    fn unknown_models_are_named_in_the_error() {
        let error = count_tokens("gpt-5", "x").unwrap_err();
        assert_eq!(
            error.to_string(),
            "no tokenizer is known for the model `gpt-5`"
        );
        assert_eq!(context_window("whisper-1"), None);
        assert!(count_chat_tokens("text-davinci-003", &[]).is_err());
    }

    #[test]
    fn windows_are_those_of_early_2023() {
        for (model, window) in [
            ("text-davinci-003", 4097),
            ("text-davinci-002", 4097),
            ("code-davinci-002", 8001),
            ("curie", 2049),
            ("text-ada-001", 2049),
            ("gpt-3.5-turbo", 4097),
            ("gpt-4", 8192),
            ("gpt-4-32k", 32_768),
            ("text-embedding-ada-002", 8191),
        ] {
            assert_eq!(context_window(model), Some(window), "{model}");
        }
    }

    #[test]
    fn chats_count_as_the_cookbook_says() {
        let messages = [
            ChatMessage::new("system", "You are a helpful assistant."),
            ChatMessage {
                name: Some("alice"),
                ..ChatMessage::new("user", "Hello!")
            },
        ];
        // system: 4 + 1 + 6; user: 4 + 1 + 2 + (1 - 1); priming 2.
        assert_eq!(count_chat_tokens("gpt-3.5-turbo-0301", &messages), Ok(20));
        // The docs' chat example: prompt_tokens 9.
        assert_eq!(
            count_chat_tokens("gpt-3.5-turbo", &[ChatMessage::new("user", "Hello!")]),
            Ok(9)
        );
        // gpt-4: 3 a message, a name 1 more: 10 + (3 + 1 + 2 + 1 + 1) + 3.
        assert_eq!(count_chat_tokens("gpt-4", &messages), Ok(21));
        assert_eq!(count_chat_tokens("gpt-4", &messages[..1]), Ok(13));
        assert_eq!(count_chat_tokens("gpt-3.5-turbo", &[]), Ok(2));
    }

    #[test]
    fn tokens_decode_to_the_text_they_came_from() {
        let encoding = Encoding::P50kBase;
        let text = "Say this is a test";
        let bytes: Vec<u8> = encoding
            .encode(text)
            .into_iter()
            .flat_map(|t| encoding.token_bytes(t).unwrap())
            .collect();
        assert_eq!(bytes, text.as_bytes());
    }
}
