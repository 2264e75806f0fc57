//! The parameters of a checked request body that shape its answer (the
//! `model`, the prompts, `n`, `echo`, `logprobs`, `stop`, `max_tokens`,
//! `stream`, the formats asked for), read in one pass over the body: the
//! replies and the token budget ask for them many times per request, and a
//! lookup in the body's map costs more than the pass.

use serde_json::Value;

/// What a request's body asks of its answer; borrowed from the body.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params<'a> {
    pub(crate) model: Option<&'a str>,
    /// A completion's `prompt`.
    pub(crate) prompt: Option<&'a Value>,
    /// An embedding's or moderation's `input`.
    pub(crate) input: Option<&'a Value>,
    /// A chat's `messages`.
    pub(crate) messages: Option<&'a [Value]>,
    /// `n`, when it is a count.
    pub(crate) n: Option<u64>,
    pub(crate) echo: bool,
    /// `logprobs`, when not null: how many alternatives (`0` for one that
    /// is not a count, which the schema refuses).
    pub(crate) logprobs: Option<u64>,
    /// The `stop` sequences, one or a list.
    pub(crate) stop: Vec<&'a str>,
    pub(crate) max_tokens: Option<u64>,
    pub(crate) stream: bool,
    pub(crate) response_format: Option<&'a str>,
    pub(crate) encoding_format: Option<&'a str>,
}

impl<'a> Params<'a> {
    /// Reads `body`; an operation without a JSON object body asks nothing.
    pub(crate) fn read(body: &'a Value) -> Params<'a> {
        let mut params = Params::default();
        let Value::Object(fields) = body else {
            return params;
        };
        for (key, value) in fields {
            match key.as_str() {
                "model" => params.model = value.as_str(),
                "prompt" => params.prompt = Some(value),
                "input" => params.input = Some(value),
                "messages" => params.messages = value.as_array().map(Vec::as_slice),
                "n" => params.n = value.as_u64(),
                "echo" => params.echo = *value == Value::Bool(true),
                "logprobs" if !value.is_null() => {
                    params.logprobs = Some(value.as_u64().unwrap_or(0));
                }
                "stop" => {
                    params.stop = match value {
                        Value::String(stop) => vec![stop.as_str()],
                        Value::Array(stops) => stops.iter().filter_map(Value::as_str).collect(),
                        _ => Vec::new(),
                    }
                }
                "max_tokens" => params.max_tokens = value.as_u64(),
                "stream" => params.stream = *value == Value::Bool(true),
                "response_format" => params.response_format = value.as_str(),
                "encoding_format" => params.encoding_format = value.as_str(),
                _ => {}
            }
        }
        params
    }

    /// `n`: how many choices or images per prompt; 1 when not given.
    pub(crate) fn count(&self) -> usize {
        self.n.map_or(1, |n| n as usize)
    }

    /// A completion's prompts, with their text where it has one (not
    /// tokens): one without text when the prompt is tokens or absent.
    pub(crate) fn prompts(&self) -> Prompts<'a> {
        match self.prompt {
            Some(Value::Array(items))
                if !items.is_empty() && !items.iter().all(Value::is_number) =>
            {
                Prompts::Each(items)
            }
            Some(Value::String(text)) => Prompts::One(Some(text)),
            _ => Prompts::One(None),
        }
    }

    /// How many inputs an embedding or moderation request has: a string or
    /// an array of tokens is one, an array of strings or of token arrays is
    /// one per item.
    pub(crate) fn inputs(&self) -> usize {
        match self.input {
            Some(Value::Array(items)) if !items.iter().all(Value::is_number) => items.len().max(1),
            _ => 1,
        }
    }
}

/// A completion's prompts (see [`Params::prompts`]), without a copy.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Prompts<'a> {
    One(Option<&'a str>),
    /// A list of prompts, each text or tokens.
    Each(&'a [Value]),
}

impl<'a> Prompts<'a> {
    pub(crate) fn len(self) -> usize {
        match self {
            Prompts::One(_) => 1,
            Prompts::Each(items) => items.len(),
        }
    }

    /// Prompt `index`'s text; `None` for tokens, or past the last.
    pub(crate) fn text(self, index: usize) -> Option<&'a str> {
        match self {
            Prompts::One(text) => text.filter(|_| index == 0),
            Prompts::Each(items) => items.get(index)?.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_completion_is_read_in_one_pass() {
        let body = json!({
            "model": "text-davinci-003", "prompt": ["Say this", [1, 2]], "n": 2,
            "echo": true, "logprobs": 3, "stop": ["\n", 7], "max_tokens": 7, "stream": false,
            "temperature": 0,
        });
        let params = Params::read(&body);
        assert_eq!(params.model, Some("text-davinci-003"));
        assert_eq!(
            (params.count(), params.echo, params.stream),
            (2, true, false)
        );
        assert_eq!((params.logprobs, params.max_tokens), (Some(3), Some(7)));
        assert_eq!(params.stop, ["\n"]);
        let prompts = params.prompts();
        assert_eq!(prompts.len(), 2);
        assert_eq!(
            (prompts.text(0), prompts.text(1), prompts.text(2)),
            (Some("Say this"), None, None)
        );
    }

    #[test]
    fn what_is_absent_or_null_asks_for_the_default() {
        let body = json!({"logprobs": null, "n": null, "stop": "END", "prompt": [1, 2, 3]});
        let params = Params::read(&body);
        assert_eq!((params.logprobs, params.count()), (None, 1));
        assert_eq!(params.stop, ["END"]);
        assert_eq!(params.prompts().len(), 1);
        assert_eq!(params.prompts().text(0), None);
        let none = Params::read(&Value::Null);
        assert_eq!(
            (none.model, none.count(), none.prompts().len()),
            (None, 1, 1)
        );
    }

    #[test]
    fn inputs_count_strings_and_token_lists_but_not_tokens() {
        let count = |input: Value| Params::read(&json!({ "input": input })).inputs();
        assert_eq!(count(json!("one")), 1);
        assert_eq!(count(json!([1, 2, 3])), 1);
        assert_eq!(count(json!(["a", "b"])), 2);
        assert_eq!(count(json!([[1], [2], [3]])), 3);
        assert_eq!(count(json!([])), 1);
    }
}
