//! A request as the generated type or its builder, converted, checked
//! against its schema by the rules `openai-rest-spec` generates from the
//! spec (the mock refuses requests with the same schemas, compiled) and, for
//! a JSON body, encoded once for every attempt.
//!
//! The request types are OpenAI's; where Azure's request schema for the
//! same operation differs (a fine-tune's `model` required, text-only
//! prompts, a file's `purpose`), an Azure client checks against Azure's.

use std::fmt::Display;

use bytes::Bytes;
use openai_rest_raw::Schema;
use openai_rest_spec::{Problem, Violation};
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// The request type from the type itself or its builder.
pub(crate) fn convert<T, R>(request: R) -> Result<T>
where
    T: Schema,
    R: TryInto<T>,
    R::Error: Display,
{
    request
        .try_into()
        .map_err(|e| Error::InvalidArgument(format!("the {} is incomplete: {e}", T::NAME)))
}

/// `request` checked against the rules of `schema`, the request of the
/// operation in the client's spec (on Azure it may not be `T`'s: Azure's
/// prompts are text only, its fine-tunes need a `model`), or else `T`'s,
/// and encoded: the bytes every attempt sends.
pub(crate) fn encode<T: Schema + Serialize>(schema: Option<&str>, request: &T) -> Result<Bytes> {
    let json = checked(schema, request)?;
    serde_json::to_vec(&json)
        .map(Bytes::from)
        .map_err(|e| Error::InvalidArgument(format!("the {} cannot be encoded: {e}", T::NAME)))
}

/// The text fields of a multipart `request`, checked as [`encode`] checks.
pub(crate) fn form_fields<T: Schema + Serialize>(
    schema: Option<&str>,
    request: &T,
) -> Result<Vec<(String, String)>> {
    let json = checked(schema, request)?;
    openai_rest_raw::form_fields(&json)
        .map_err(|e| Error::InvalidArgument(format!("the {} is invalid: {e}", T::NAME)))
}

fn checked<T: Schema + Serialize>(schema: Option<&str>, request: &T) -> Result<Value> {
    let json = serde_json::to_value(request)
        .map_err(|e| Error::InvalidArgument(format!("the {} cannot be encoded: {e}", T::NAME)))?;
    check_json(schema.unwrap_or(T::NAME), &json)?;
    Ok(json)
}

fn check_json(schema: &str, json: &Value) -> Result<()> {
    // Every request type has its generated check (the verdicts test sends
    // each); were one missing, sending unchecked would hide it.
    let check = openai_rest_spec::request_check(schema).ok_or_else(|| {
        Error::InvalidArgument(format!(
            "cannot check the request: the specs have no request `{schema}`"
        ))
    })?;
    check(json).map_err(|violation| Error::InvalidArgument(message(&violation)))
}

/// What is wrong, naming the field: "`n` must be at most 128, not 129".
fn message(violation: &Violation) -> String {
    let name = match violation.param() {
        Some(param) => format!("`{param}`"),
        None => "the request".to_owned(),
    };
    let value = &violation.value;
    let number = value
        .as_f64()
        .map(|n| n.to_string())
        .unwrap_or_else(|| value.to_string());
    let count = |unit: &str, bound: &str, limit: u64| {
        let actual = match value {
            Value::String(text) => text.chars().count(),
            Value::Array(items) => items.len(),
            _ => 0,
        };
        format!("{name} must have {bound} {limit} {unit}, not {actual}")
    };
    match &violation.problem {
        Problem::Type { expected } => {
            format!("{name} has the wrong type: not {}", expected.join(" or "))
        }
        Problem::Required => format!("{name} is required"),
        Problem::Unknown => format!("{name} is not a parameter of the request"),
        Problem::Enum { allowed } => {
            let allowed: Vec<String> = (allowed.iter())
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect();
            format!("{name} must be one of {}, not {value}", allowed.join(", "))
        }
        Problem::Minimum { limit, exclusive } => {
            let relation = if *exclusive { "more than" } else { "at least" };
            format!("{name} must be {relation} {limit}, not {number}")
        }
        Problem::Maximum { limit, exclusive } => {
            let relation = if *exclusive { "less than" } else { "at most" };
            format!("{name} must be {relation} {limit}, not {number}")
        }
        Problem::MinLength { limit } => count("characters", "at least", *limit),
        Problem::MaxLength { limit } => count("characters", "at most", *limit),
        Problem::MinItems { limit } => count("items", "at least", *limit),
        Problem::MaxItems { limit } => count("items", "at most", *limit),
        Problem::NotLessThan { other, other_value } => {
            format!("{name} ({number}) must not be less than `{other}` ({other_value})")
        }
        Problem::MaximumWhen { limit, when, is } => {
            format!("{name} must be at most {limit} when `{when}` is {is}, not {number}")
        }
        _ => format!("{name}: {violation}"),
    }
}
