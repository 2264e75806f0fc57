//! Token counting, with the feature `tokens`: how many tokens a prompt or a
//! chat is for a model of early 2023, and the model's context window, to
//! check a request before sending it. The same tables as the mock's
//! (`openai-rest-tokens`), which answers `usage` and refuses requests over
//! the window with them.
//!
//! ```
//! use openai_rest_client::tokens::{ChatMessage, context_window, count_chat_tokens, count_tokens};
//!
//! let prompt = "Say this is a test";
//! let max_tokens = 7;
//! let needed = count_tokens("text-davinci-003", prompt).unwrap() + max_tokens;
//! assert!(needed <= context_window("text-davinci-003").unwrap() as usize);
//!
//! let chat = [ChatMessage::new("user", "Hello!")];
//! assert_eq!(count_chat_tokens("gpt-4", &chat), Ok(9));
//! ```

pub use openai_rest_tokens::{
    ChatMessage, Encoding, UnknownModel, context_window, count_chat_tokens, count_tokens,
};
