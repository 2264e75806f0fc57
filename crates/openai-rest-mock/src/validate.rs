//! Request bodies checked against the spec itself
//! (`openai_rest_raw::operations::spec_json`): types, `required`, `enum`,
//! numeric bounds, string lengths, item counts, `oneOf`, `allOf`,
//! `nullable` and `additionalProperties` maps. A field the schema does not
//! declare is refused, as the API did ("Unrecognized request argument").

use std::sync::OnceLock;

use openai_rest_raw::operations::{Api, spec_json};
use serde_json::Value;

/// Why a request is refused: a 400 `invalid_request_error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    /// The parameter at fault, e.g. `n`, `stop` or `messages[0].role`.
    pub(crate) param: Option<String>,
    pub(crate) message: String,
}

impl Invalid {
    pub(crate) fn new(param: Option<&str>, message: impl Into<String>) -> Self {
        Invalid {
            param: param.map(str::to_owned),
            message: message.into(),
        }
    }
}

/// The spec of `api`, parsed once.
pub(crate) fn spec(api: Api) -> &'static Value {
    static OPENAI: OnceLock<Value> = OnceLock::new();
    static AZURE: OnceLock<Value> = OnceLock::new();
    let cell = match api {
        Api::OpenAi => &OPENAI,
        Api::Azure => &AZURE,
    };
    // The spec is generated from openapi/ and is valid JSON by construction.
    cell.get_or_init(|| serde_json::from_str(spec_json(api)).unwrap_or(Value::Null))
}

/// The component schema `name` of `spec`.
pub(crate) fn schema<'a>(spec: &'a Value, name: &str) -> Option<&'a Value> {
    spec.get("components")?.get("schemas")?.get(name)
}

/// Follows `$ref`s to the schema they name.
fn resolve<'a>(spec: &'a Value, mut schema: &'a Value) -> &'a Value {
    // A bound on the hops, so that a reference cycle cannot hang a request.
    for _ in 0..16 {
        let Some(target) = schema.get("$ref").and_then(Value::as_str) else {
            break;
        };
        match target
            .strip_prefix("#/components/schemas/")
            .and_then(|name| self::schema(spec, name))
        {
            Some(next) => schema = next,
            None => break,
        }
    }
    schema
}

/// The JSON type a property holds, looking through `$ref` and `allOf`.
pub(crate) fn property_type<'a>(spec: &'a Value, property: &'a Value) -> Option<&'a str> {
    let property = resolve(spec, property);
    match property.get("type").and_then(Value::as_str) {
        Some(kind) => Some(kind),
        None => property_type(spec, property.get("allOf")?.get(0)?),
    }
}

/// Whether a property is a file of a multipart body (`format: binary`).
pub(crate) fn is_binary(spec: &Value, property: &Value) -> bool {
    resolve(spec, property)
        .get("format")
        .and_then(Value::as_str)
        == Some("binary")
}

/// Checks `value` against `schema`. `optional` lists top-level required
/// fields to let through (Azure's deployment chooses the `model`).
pub(crate) fn check(
    spec: &Value,
    schema: &Value,
    value: &Value,
    optional: &[&str],
) -> Result<(), Invalid> {
    Checker { spec, optional }.check(schema, value, &mut Vec::new())
}

enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The `param` of a path: `messages[0].role`.
fn param(path: &[Step]) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) if out.is_empty() => out.push_str(key),
            Step::Key(key) => {
                out.push('.');
                out.push_str(key);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    Some(out)
}

/// A value for a message: its JSON, cut short.
fn shown(value: &Value) -> String {
    const MAX: usize = 60;
    let text = value.to_string();
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text,
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn has_type(value: &Value, kind: &str) -> bool {
    match kind {
        "integer" => {
            value.as_i64().is_some()
                || value.as_u64().is_some()
                || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        kind => json_type(value) == kind,
    }
}

struct Checker<'s> {
    spec: &'s Value,
    optional: &'s [&'s str],
}

impl<'s> Checker<'s> {
    fn fail(&self, path: &[Step], problem: String) -> Invalid {
        let param = param(path);
        let message = match &param {
            Some(param) => format!("{problem} - '{param}'"),
            None => problem,
        };
        Invalid { param, message }
    }

    fn check<'v>(
        &self,
        schema: &'s Value,
        value: &'v Value,
        path: &mut Vec<Step<'v>>,
    ) -> Result<(), Invalid> {
        let schema = resolve(self.spec, schema);
        if value.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
            return Ok(());
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for part in all {
                self.check(part, value, path)?;
            }
        }
        if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
            self.check_one_of(branches, value, path)?;
        }
        if let Some(kind) = schema.get("type").and_then(Value::as_str)
            && !has_type(value, kind)
        {
            return Err(self.fail(path, format!("{} is not of type '{kind}'", shown(value))));
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            let allowed: Vec<String> = allowed.iter().map(shown).collect();
            return Err(self.fail(
                path,
                format!("{} is not one of [{}]", shown(value), allowed.join(", ")),
            ));
        }
        match value {
            Value::String(text) => self.check_length(schema, text, path),
            Value::Number(number) => self.check_bounds(schema, number.as_f64(), value, path),
            Value::Array(items) => self.check_items(schema, items, path),
            Value::Object(fields) => self.check_fields(schema, fields, path),
            Value::Null | Value::Bool(_) => Ok(()),
        }
    }

    /// The first branch that holds the value wins, as serde's untagged enums
    /// decode it (so `[]` is a valid `Prompt`). When no branch holds it and
    /// only one branch has the value's JSON type, its error is the clearer one.
    fn check_one_of<'v>(
        &self,
        branches: &'s [Value],
        value: &'v Value,
        path: &mut Vec<Step<'v>>,
    ) -> Result<(), Invalid> {
        let mut errors = Vec::new();
        let depth = path.len();
        for branch in branches {
            match self.check(branch, value, path) {
                Ok(()) => return Ok(()),
                Err(error) => {
                    path.truncate(depth);
                    let kind = resolve(self.spec, branch)
                        .get("type")
                        .and_then(Value::as_str);
                    if kind.is_some_and(|kind| has_type(value, kind)) {
                        errors.push(error);
                    }
                }
            }
        }
        match errors.len() {
            1 => Err(errors.remove(0)),
            _ => Err(self.fail(
                path,
                format!(
                    "{} is not valid under any of the given schemas",
                    shown(value)
                ),
            )),
        }
    }

    fn check_length(&self, schema: &Value, text: &str, path: &[Step]) -> Result<(), Invalid> {
        let length = text.chars().count() as u64;
        if schema
            .get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|min| length < min)
        {
            return Err(self.fail(path, format!("{} is too short", shown(&text.into()))));
        }
        if schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .is_some_and(|max| length > max)
        {
            return Err(self.fail(path, format!("{} is too long", shown(&text.into()))));
        }
        Ok(())
    }

    fn check_bounds(
        &self,
        schema: &Value,
        number: Option<f64>,
        value: &Value,
        path: &[Step],
    ) -> Result<(), Invalid> {
        let Some(number) = number else {
            return Ok(());
        };
        let exclusive = |key| schema.get(key) == Some(&Value::Bool(true));
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
            if exclusive("exclusiveMinimum") && number <= min {
                return Err(self.fail(
                    path,
                    format!(
                        "{} is less than or equal to the minimum of {min}",
                        shown(value)
                    ),
                ));
            }
            if number < min {
                return Err(self.fail(
                    path,
                    format!("{} is less than the minimum of {min}", shown(value)),
                ));
            }
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
            if exclusive("exclusiveMaximum") && number >= max {
                return Err(self.fail(
                    path,
                    format!(
                        "{} is greater than or equal to the maximum of {max}",
                        shown(value)
                    ),
                ));
            }
            if number > max {
                return Err(self.fail(
                    path,
                    format!("{} is greater than the maximum of {max}", shown(value)),
                ));
            }
        }
        Ok(())
    }

    fn check_items<'v>(
        &self,
        schema: &'s Value,
        items: &'v [Value],
        path: &mut Vec<Step<'v>>,
    ) -> Result<(), Invalid> {
        let count = items.len() as u64;
        let whole = || shown(&Value::Array(items.to_vec()));
        if schema
            .get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|min| count < min)
        {
            return Err(self.fail(path, format!("{} is too short", whole())));
        }
        if schema
            .get("maxItems")
            .and_then(Value::as_u64)
            .is_some_and(|max| count > max)
        {
            return Err(self.fail(path, format!("{} is too long", whole())));
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                self.check(item_schema, item, path)?;
                path.pop();
            }
        }
        Ok(())
    }

    fn check_fields<'v>(
        &self,
        schema: &'s Value,
        fields: &'v serde_json::Map<String, Value>,
        path: &mut Vec<Step<'v>>,
    ) -> Result<(), Invalid> {
        let properties = schema.get("properties").and_then(Value::as_object);
        let top_level = path.is_empty();
        for required in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let optional = top_level && self.optional.contains(&required);
            if !fields.contains_key(required) && !optional {
                let mut at = param(path).map(|p| format!("{p}.")).unwrap_or_default();
                at.push_str(required);
                return Err(Invalid {
                    message: format!("'{required}' is a required property - '{at}'"),
                    param: Some(at),
                });
            }
        }
        let additional = schema.get("additionalProperties");
        for (key, value) in fields {
            path.push(Step::Key(key));
            match (properties.and_then(|p| p.get(key)), additional) {
                (Some(property), _) => self.check(property, value, path)?,
                (None, Some(additional)) if additional.is_object() => {
                    self.check(additional, value, path)?
                }
                (None, Some(Value::Bool(true))) => {}
                (None, _) if properties.is_none() => {}
                (None, _) => {
                    return Err(Invalid {
                        param: param(path),
                        message: format!("Unrecognized request argument supplied: {key}"),
                    });
                }
            }
            path.pop();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check_request(api: Api, name: &str, body: Value) -> Result<(), Invalid> {
        let spec = spec(api);
        check(spec, schema(spec, name).unwrap(), &body, &[])
    }

    fn param_of(name: &str, body: Value) -> Option<String> {
        check_request(Api::OpenAi, name, body)
            .expect_err("expected the body to be refused")
            .param
    }

    #[test]
    fn the_documented_requests_pass() {
        let ok = [
            (
                "CreateCompletionRequest",
                json!({"model": "text-davinci-003", "prompt": "Say this is a test", "max_tokens": 7,
                       "temperature": 0, "top_p": 1, "n": 1, "stream": false, "logprobs": null, "stop": "\n"}),
            ),
            (
                "CreateEditRequest",
                json!({"model": "text-davinci-edit-001", "input": "What day of the wek is it?",
                       "instruction": "Fix the spelling mistakes"}),
            ),
            (
                "CreateImageRequest",
                json!({"prompt": "A cute baby sea otter", "n": 2, "size": "1024x1024"}),
            ),
            (
                "CreateEmbeddingRequest",
                json!({"model": "text-embedding-ada-002", "input": "The food"}),
            ),
            (
                "CreateFineTuneRequest",
                json!({"training_file": "file-XGinujblHPwGLSztz8cPS8XY"}),
            ),
            (
                "CreateModerationRequest",
                json!({"input": "I want to kill them."}),
            ),
            (
                "CreateChatCompletionRequest",
                json!({"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Hello!"}],
                       "logit_bias": {"50256": -100}, "stop": ["a", "b"]}),
            ),
            (
                "CreateCompletionRequest",
                json!({"model": "m", "prompt": []}),
            ),
            (
                "CreateCompletionRequest",
                json!({"model": "m", "prompt": [[1, 2], [3]]}),
            ),
        ];
        for (name, body) in ok {
            assert_eq!(
                check_request(Api::OpenAi, name, body.clone()),
                Ok(()),
                "{body}"
            );
        }
    }

    #[test]
    fn each_broken_rule_names_its_param() {
        let cases = [
            ("CreateCompletionRequest", json!({"prompt": "x"}), "model"),
            ("CreateCompletionRequest", json!({"model": 3}), "model"),
            (
                "CreateCompletionRequest",
                json!({"model": "m", "n": 0}),
                "n",
            ),
            (
                "CreateCompletionRequest",
                json!({"model": "m", "n": "2"}),
                "n",
            ),
            (
                "CreateCompletionRequest",
                json!({"model": "m", "n": 1.5}),
                "n",
            ),
            (
                "CreateCompletionRequest",
                json!({"model": "m", "temperature": 2.5}),
                "temperature",
            ),
            (
                "CreateCompletionRequest",
                json!({"model": "m", "logprobs": 6}),
                "logprobs",
            ),
            (
                "CreateCompletionRequest",
                json!({"model": "m", "stop": ["a", "b", "c", "d", "e"]}),
                "stop",
            ),
            (
                "CreateCompletionRequest",
                json!({"model": "m", "stop": 5}),
                "stop",
            ),
            (
                "CreateCompletionRequest",
                json!({"model": "m", "logit_bias": {"1": 101}}),
                "logit_bias.1",
            ),
            (
                "CreateCompletionRequest",
                json!({"model": "m", "prompt": [1.5]}),
                "prompt",
            ),
            (
                "CreateCompletionRequest",
                json!({"model": "m", "bogus": 1}),
                "bogus",
            ),
            (
                "CreateCompletionRequest",
                json!({"model": "m", "user": null}),
                "user",
            ),
            (
                "CreateChatCompletionRequest",
                json!({"model": "m", "messages": []}),
                "messages",
            ),
            (
                "CreateChatCompletionRequest",
                json!({"model": "m", "messages": [{"role": "robot", "content": "x"}]}),
                "messages[0].role",
            ),
            (
                "CreateChatCompletionRequest",
                json!({"model": "m", "messages": [{"role": "user"}]}),
                "messages[0].content",
            ),
            (
                "CreateImageRequest",
                json!({"prompt": "otter", "size": "100x100"}),
                "size",
            ),
            ("CreateImageRequest", json!({"prompt": ""}), "prompt"),
            (
                "CreateImageRequest",
                json!({"prompt": "x".repeat(1001)}),
                "prompt",
            ),
            ("CreateImageRequest", json!({"prompt": "x", "n": 11}), "n"),
            (
                "CreateFineTuneRequest",
                json!({"training_file": "f", "learning_rate_multiplier": 0}),
                "learning_rate_multiplier",
            ),
        ];
        for (name, body, expected) in cases {
            assert_eq!(
                param_of(name, body.clone()).as_deref(),
                Some(expected),
                "{body}"
            );
        }
    }

    #[test]
    fn messages_say_what_is_wrong() {
        let error = check_request(
            Api::OpenAi,
            "CreateCompletionRequest",
            json!({"model": "m", "stop": ["a", "b", "c", "d", "e"]}),
        )
        .unwrap_err();
        assert_eq!(
            error.message,
            r#"["a","b","c","d","e"] is too long - 'stop'"#
        );
        let error = check_request(
            Api::OpenAi,
            "CreateCompletionRequest",
            json!({"model": "m", "n": 0}),
        )
        .unwrap_err();
        assert_eq!(error.message, "0 is less than the minimum of 1 - 'n'");
        let error = check_request(Api::OpenAi, "CreateCompletionRequest", json!([])).unwrap_err();
        assert_eq!(
            (error.param, error.message),
            (None, "[] is not of type 'object'".into())
        );
    }

    #[test]
    fn optional_lets_a_required_top_level_field_through() {
        let spec = spec(Api::Azure);
        let schema = schema(spec, "CreateCompletionRequest").unwrap();
        let body = json!({"prompt": "x"});
        assert!(check(spec, schema, &body, &[]).is_err());
        assert_eq!(check(spec, schema, &body, &["model"]), Ok(()));
    }
}
