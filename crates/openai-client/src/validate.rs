//! Checks a request body against the bounds its schema in the spec gives
//! (minimum, maximum, lengths, item counts, enums), so that a value the API
//! would refuse is an [`Error::InvalidArgument`] before anything is sent.

use std::sync::OnceLock;

use openai_raw::operations::{Api, spec_json};
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// Checks `body` against the component schema `schema` of the specs.
pub(crate) fn check<T: Serialize>(schema: &str, body: &T) -> Result<()> {
    let value = serde_json::to_value(body)
        .map_err(|e| Error::InvalidArgument(format!("the {schema} cannot be encoded: {e}")))?;
    let schema = lookup(schema).unwrap_or(&Value::Null);
    matches(schema, &value, "").map_err(Error::InvalidArgument)
}

fn specs() -> &'static [Value; 2] {
    static SPECS: OnceLock<[Value; 2]> = OnceLock::new();
    SPECS.get_or_init(|| {
        [Api::OpenAi, Api::Azure].map(|api| {
            serde_json::from_str(spec_json(api)).expect("openai-raw's spec_json is JSON")
        })
    })
}

fn lookup(name: &str) -> Option<&'static Value> {
    specs()
        .iter()
        .find_map(|spec| spec["components"]["schemas"].get(name))
}

/// `schema` itself, or what its `$ref` points to.
fn resolve(schema: &Value) -> &Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .rsplit('/')
            .next()
            .and_then(lookup)
            .map(resolve)
            .unwrap_or(&Value::Null),
        None => schema,
    }
}

/// Whether `value` fits `schema`; otherwise what is wrong, naming `at`.
fn matches(schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(schema);
    if value.is_null() {
        return Ok(());
    }
    if !type_fits(schema, value) {
        return Err(format!("{} has the wrong type", name(at)));
    }
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        matches(part, value, at)?;
    }
    if let Some(choices) = schema.get("oneOf").and_then(Value::as_array) {
        // The choices of the value's type say what is wrong with it.
        let results: Vec<_> = choices
            .iter()
            .filter(|choice| type_fits(resolve(choice), value))
            .map(|choice| matches(choice, value, at))
            .collect();
        if !results.iter().any(Result::is_ok) {
            return Err(results
                .into_iter()
                .find_map(Result::err)
                .unwrap_or_else(|| format!("{} has the wrong type", name(at))));
        }
    }
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    match value {
        Value::Number(number) => {
            let number = number.as_f64().unwrap_or_default();
            let exclusive = schema.get("exclusiveMinimum") == Some(&Value::Bool(true));
            let below = |min: &f64| number < *min || (exclusive && number == *min);
            if let Some(min) = bound("minimum").filter(below) {
                let relation = if exclusive { "more than" } else { "at least" };
                return Err(format!(
                    "{} must be {relation} {min}, not {number}",
                    name(at)
                ));
            }
            if let Some(max) = bound("maximum").filter(|max| number > *max) {
                return Err(format!("{} must be at most {max}, not {number}", name(at)));
            }
        }
        Value::String(text) => {
            let length = text.chars().count();
            count(schema, length, ["minLength", "maxLength"], "characters", at)?;
            let allowed = schema.get("enum").and_then(Value::as_array);
            if let Some(allowed) = allowed.filter(|allowed| !allowed.contains(value)) {
                let allowed: Vec<_> = allowed.iter().filter_map(Value::as_str).collect();
                return Err(format!(
                    "{} must be one of {}, not `{text}`",
                    name(at),
                    allowed.join(", ")
                ));
            }
        }
        Value::Array(items) => {
            count(schema, items.len(), ["minItems", "maxItems"], "items", at)?;
            if let Some(item) = schema.get("items") {
                for (index, value) in items.iter().enumerate() {
                    matches(item, value, &format!("{at}[{index}]"))?;
                }
            }
        }
        Value::Object(fields) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            for required in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let required = required.as_str().unwrap_or_default();
                // File parts travel beside the body, not in it.
                let is_file = properties
                    .and_then(|p| p.get(required))
                    .is_some_and(|p| p.get("format") == Some(&Value::from("binary")));
                if !fields.contains_key(required) && !is_file {
                    return Err(format!("{} is required", name(&join(at, required))));
                }
            }
            for (key, value) in fields {
                let field = properties
                    .and_then(|p| p.get(key))
                    .or_else(|| schema.get("additionalProperties").filter(|s| s.is_object()));
                if let Some(field) = field {
                    matches(field, value, &join(at, key))?;
                }
            }
        }
        Value::Bool(_) | Value::Null => {}
    }
    Ok(())
}

/// Whether `count` `unit` are within the schema's `[min, max]` keywords.
fn count(
    schema: &Value,
    count: usize,
    [min, max]: [&str; 2],
    unit: &str,
    at: &str,
) -> Result<(), String> {
    let bound = |key: &str| schema.get(key).and_then(Value::as_u64);
    if let Some(min) = bound(min).filter(|min| (count as u64) < *min) {
        return Err(format!(
            "{} must have at least {min} {unit}, not {count}",
            name(at)
        ));
    }
    if let Some(max) = bound(max).filter(|max| count as u64 > *max) {
        return Err(format!(
            "{} must have at most {max} {unit}, not {count}",
            name(at)
        ));
    }
    Ok(())
}

/// Whether `value` has the JSON type `schema` names (any, when it names none).
fn type_fits(schema: &Value, value: &Value) -> bool {
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("array") => value.is_array(),
        Some("object") => value.is_object(),
        _ => true,
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

fn name(at: &str) -> String {
    if at.is_empty() {
        "the request".to_string()
    } else {
        format!("`{at}`")
    }
}
