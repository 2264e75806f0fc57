//! One function per JSON Schema keyword the specs use, as JSON Schema
//! 2020-12 reads it (and per `x-rules` rule, as `rules.rs` reads it): the
//! pieces the generated `rulebook.rs` is made of. Each answers the
//! [`Violation`] the `jsonschema` validator's error would become.

use serde_json::Value;

use crate::rulebook::RequestCheck;
use crate::{Problem, Step, Violation};

type Checked = Result<(), Violation>;

fn broken(value: &Value, problem: Problem) -> Checked {
    Err(Violation::at(Vec::new(), value.clone(), problem))
}

/// `type`: one of `kinds`; an integer is a number without a fraction
/// (`2.0` is one).
pub(crate) fn of_type(value: &Value, kinds: &[&'static str]) -> Checked {
    let is = |kind: &str| match kind {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64()
                || value.is_u64()
                || value
                    .as_f64()
                    .is_some_and(|n| n.fract() == 0.0 && n.is_finite())
        }
        _ => false,
    };
    if kinds.iter().any(|kind| is(kind)) {
        return Ok(());
    }
    let expected = kinds
        .iter()
        .copied()
        .filter(|kind| *kind != "null")
        .collect();
    broken(value, Problem::Type { expected })
}

/// `anyOf`: one of `forms` (each with whether it is `{"type": "null"}`).
/// When none holds, the violation of the form the value was meant for: the
/// only one it has the type of, or else the only one that is not `null`.
pub(crate) fn any_of(value: &Value, forms: &[(RequestCheck, bool)]) -> Checked {
    // Most values hold: find the form they fit without keeping why the
    // others fail. A `null` form never fits a value that is not null, so it
    // is not tried (its violation was a copy of the value). Which violation
    // a value that fits none breaks is worked out below, as it always was.
    let fits = (forms.iter())
        .filter(|(_, is_null)| !is_null || value.is_null())
        .any(|(form, _)| form(value).is_ok());
    if fits {
        return Ok(());
    }
    let mut failures = Vec::with_capacity(forms.len());
    for (form, is_null) in forms {
        match form(value) {
            Ok(()) => return Ok(()),
            Err(violation) => failures.push((violation, *is_null)),
        }
    }
    let not_the_type = |violation: &Violation| {
        !(violation.path.is_empty() && matches!(violation.problem, Problem::Type { .. }))
    };
    let one = |mut meant: Vec<Violation>| (meant.len() == 1).then(|| meant.remove(0));
    let fitting = (failures.iter())
        .filter(|(violation, _)| not_the_type(violation))
        .map(|(violation, _)| violation.clone())
        .collect::<Vec<_>>();
    let meant = if fitting.is_empty() {
        one((failures.into_iter())
            .filter(|(_, is_null)| !is_null)
            .map(|(violation, _)| violation)
            .collect())
    } else {
        one(fitting)
    };
    match meant {
        Some(violation) => Err(violation),
        None => broken(value, Problem::NoForm),
    }
}

/// `minimum` (`exclusive`: `exclusiveMinimum`), for a number.
pub(crate) fn minimum(value: &Value, limit: f64, exclusive: bool) -> Checked {
    match value.as_f64() {
        Some(n) if n < limit || (exclusive && n == limit) => {
            broken(value, Problem::Minimum { limit, exclusive })
        }
        _ => Ok(()),
    }
}

/// `maximum` (`exclusive`: `exclusiveMaximum`), for a number.
pub(crate) fn maximum(value: &Value, limit: f64, exclusive: bool) -> Checked {
    match value.as_f64() {
        Some(n) if n > limit || (exclusive && n == limit) => {
            broken(value, Problem::Maximum { limit, exclusive })
        }
        _ => Ok(()),
    }
}

fn characters(value: &Value) -> Option<u64> {
    value.as_str().map(|text| text.chars().count() as u64)
}

fn items(value: &Value) -> Option<u64> {
    value.as_array().map(|items| items.len() as u64)
}

/// `minLength`, in characters, for a string.
pub(crate) fn min_length(value: &Value, limit: u64) -> Checked {
    match characters(value) {
        Some(length) if length < limit => broken(value, Problem::MinLength { limit }),
        _ => Ok(()),
    }
}

/// `maxLength`, in characters, for a string.
pub(crate) fn max_length(value: &Value, limit: u64) -> Checked {
    match characters(value) {
        Some(length) if length > limit => broken(value, Problem::MaxLength { limit }),
        _ => Ok(()),
    }
}

/// `minItems`, for an array.
pub(crate) fn min_items(value: &Value, limit: u64) -> Checked {
    match items(value) {
        Some(length) if length < limit => broken(value, Problem::MinItems { limit }),
        _ => Ok(()),
    }
}

/// `maxItems`, for an array.
pub(crate) fn max_items(value: &Value, limit: u64) -> Checked {
    match items(value) {
        Some(length) if length > limit => broken(value, Problem::MaxItems { limit }),
        _ => Ok(()),
    }
}

/// `enum`: one of `allowed`, a JSON list.
pub(crate) fn one_of(value: &Value, allowed: &str) -> Checked {
    let allowed: Vec<Value> = serde_json::from_str(allowed).unwrap_or_default();
    if allowed.contains(value) {
        return Ok(());
    }
    broken(value, Problem::Enum { allowed })
}

/// `required`: each of `names` is a field of `object` (which is `value`).
pub(crate) fn required(
    value: &Value,
    object: &serde_json::Map<String, Value>,
    names: &[&str],
) -> Checked {
    match names.iter().find(|name| !object.contains_key(**name)) {
        Some(name) => Err(Violation::at(
            vec![Step::Field((*name).to_owned())],
            value.clone(),
            Problem::Required,
        )),
        None => Ok(()),
    }
}

/// The number in `field`, when it is set (a rule about a field that is
/// absent or `null` holds).
fn number(object: &serde_json::Map<String, Value>, field: &str) -> Option<f64> {
    object.get(field).and_then(Value::as_f64)
}

fn broken_field(object: &serde_json::Map<String, Value>, field: &str, problem: Problem) -> Checked {
    Err(Violation::at(
        vec![Step::Field(field.to_owned())],
        object[field].clone(),
        problem,
    ))
}

/// `x-rules` `notLessThan`: `field` is not less than `other`, or than
/// `other`'s default when it is not set.
pub(crate) fn not_less_than(
    object: &serde_json::Map<String, Value>,
    field: &str,
    other: &str,
    default: &Value,
) -> Checked {
    let Some(value) = number(object, field) else {
        return Ok(());
    };
    let other_value = match object.get(other) {
        Some(Value::Null) | None => default.clone(),
        Some(other) => other.clone(),
    };
    if other_value.as_f64().is_none_or(|other| value >= other) {
        return Ok(());
    }
    let other = other.to_owned();
    broken_field(object, field, Problem::NotLessThan { other, other_value })
}

/// `x-rules` `maximum`: `field` is at most `limit`, while the field `when`
/// names has its value.
pub(crate) fn maximum_when(
    object: &serde_json::Map<String, Value>,
    field: &str,
    limit: f64,
    when: Option<(&str, &Value)>,
) -> Checked {
    let Some(value) = number(object, field) else {
        return Ok(());
    };
    let (when, is) = match when {
        Some((name, is)) => {
            if object.get(name) != Some(is) {
                return Ok(());
            }
            (name.to_owned(), is.clone())
        }
        None => (String::new(), Value::Null),
    };
    if value <= limit {
        return Ok(());
    }
    broken_field(object, field, Problem::MaximumWhen { limit, when, is })
}
