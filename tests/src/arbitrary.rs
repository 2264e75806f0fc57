//! Arbitrary valid JSON for any schema of the spec, for property tests: the
//! spec itself says what is valid (types, required fields, enums, bounds,
//! lengths, `null`, forms, maps), so one generator covers every request and
//! response type, and a schema change changes what is generated. It reads
//! the schemas as openai-rest-spec compiles them ([`openai_rest_spec::document`])
//! and follows their references with [`openai_rest_spec::resolve`]; the rules
//! between fields (`x-rules`) are kept by the spec's own validator.

use openai_rest_spec::{document, resolve};
use proptest::prelude::*;
use proptest::strategy::Union;
use serde_json::{Map, Value, json};

/// A strategy for valid values of the spec's schema `name`. File parts of a
/// multipart body are not part of its value (they travel beside it).
///
/// # Panics
///
/// When the spec has no schema `name`.
pub fn valid(name: &str) -> BoxedStrategy<Value> {
    let schema = openai_rest_spec::schema(name).unwrap_or_else(|e| panic!("{e}"));
    let strategy = value(document(), &json!({ "$ref": format!("#/$defs/{name}") }));
    if schema.json().get("x-rules").is_none() {
        return strategy;
    }
    strategy
        .prop_filter("the rules between fields", move |value| {
            schema.is_valid(value)
        })
        .boxed()
}

/// A strategy for values of `schema` (which may be a `$ref`) in `document`.
pub fn value(document: &Value, schema: &Value) -> BoxedStrategy<Value> {
    let schema = resolve(document, schema).unwrap_or_else(|e| panic!("{e}"));
    if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
        return proptest::sample::select(choices.clone()).boxed();
    }
    if let Some(forms) = schema.get("anyOf").and_then(Value::as_array) {
        return Union::new_weighted(
            forms
                .iter()
                .map(|form| (weight(form), value(document, form)))
                .collect(),
        )
        .boxed();
    }
    if schema.get("allOf").is_some() {
        panic!("allOf is not used by the spec's schemas");
    }
    match schema.get("type") {
        Some(Value::Array(kinds)) => Union::new_weighted(
            kinds
                .iter()
                .map(|kind| {
                    let mut one = schema.clone();
                    one["type"] = kind.clone();
                    (weight(&one), of_type(document, &one))
                })
                .collect(),
        )
        .boxed(),
        _ => of_type(document, schema),
    }
}

/// `null` now and then; mostly the value.
fn weight(schema: &Value) -> u32 {
    if schema.get("type") == Some(&json!("null")) {
        1
    } else {
        4
    }
}

fn of_type(document: &Value, schema: &Value) -> BoxedStrategy<Value> {
    let number = |key: &str| schema.get(key).and_then(Value::as_f64);
    match schema.get("type").and_then(Value::as_str) {
        Some("null") => Just(Value::Null).boxed(),
        Some("boolean") => any::<bool>().prop_map(Value::from).boxed(),
        Some("integer") => {
            let min = number("minimum").map_or(-1_000_000, |m| m as i64);
            let max = number("maximum").map_or(1_000_000, |m| m as i64);
            (min..=max).prop_map(Value::from).boxed()
        }
        Some("number") => {
            let exclusive = number("exclusiveMinimum");
            let min = number("minimum").or(exclusive).unwrap_or(-1e6);
            let max = number("maximum").unwrap_or(1e6);
            (min..=max)
                .prop_filter("exclusive minimum", move |x| {
                    exclusive.is_none_or(|m| *x > m)
                })
                .prop_map(|x| json!(x))
                .boxed()
        }
        Some("string") => {
            let min = number("minLength").map_or(0, |m| m as usize);
            let max = number("maxLength").map_or(24, |m| (m as usize).min(64));
            // Printable text, spaces, newlines and some non-ASCII.
            proptest::collection::vec(
                prop_oneof![
                    8 => proptest::char::range('a', 'z'),
                    2 => Just(' '),
                    1 => Just('\n'),
                    1 => proptest::char::range('\u{e0}', '\u{ff}'),
                ],
                min..=max.max(min),
            )
            .prop_map(|chars| Value::from(chars.into_iter().collect::<String>()))
            .boxed()
        }
        Some("array") => {
            let items = value(document, schema.get("items").expect("array items"));
            let min = number("minItems").map_or(0, |m| m as usize);
            let max = number("maxItems")
                .map_or(4, |m| (m as usize).min(4))
                .max(min);
            proptest::collection::vec(items, min..=max)
                .prop_map(Value::Array)
                .boxed()
        }
        Some("object") | None => object(document, schema),
        Some(other) => panic!("schema type {other} is not used by the spec"),
    }
}

fn object(document: &Value, schema: &Value) -> BoxedStrategy<Value> {
    if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        return proptest::collection::btree_map("[0-9]{1,5}", value(document, values), 0..4)
            .prop_map(|map| Value::Object(map.into_iter().collect()))
            .boxed();
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut fields: Vec<BoxedStrategy<Option<(String, Value)>>> = Vec::new();
    for (name, property) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let is_required = required.contains(&name.as_str());
        let name = name.clone();
        let field = value(document, property).prop_map(move |v| (name.clone(), v));
        fields.push(if is_required {
            field.prop_map(Some).boxed()
        } else {
            proptest::option::of(field).boxed()
        });
    }
    fields
        .prop_map(|fields| Value::Object(fields.into_iter().flatten().collect::<Map<_, _>>()))
        .boxed()
}

#[cfg(test)]
mod tests {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    use super::*;

    fn sample(strategy: BoxedStrategy<Value>, n: usize) -> Vec<Value> {
        let mut runner = TestRunner::deterministic();
        (0..n)
            .map(|_| strategy.new_tree(&mut runner).unwrap().current())
            .collect()
    }

    #[test]
    fn generated_values_keep_to_the_schema() {
        let document = json!({"$defs": {
            "Size": {"type": "string", "enum": ["a", "b"]},
            "Thing": {
                "type": "object",
                "required": ["n", "size"],
                "properties": {
                    "n": {"type": "integer", "minimum": 1, "maximum": 10},
                    "size": {"$ref": "#/$defs/Size"},
                    "stop": {"type": "array", "maxItems": 4, "items": {"type": "string", "maxLength": 3}},
                    "bias": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "maybe": {"type": ["string", "null"]},
                    "rate": {"anyOf": [{"type": "null"}, {"type": "number", "exclusiveMinimum": 0}]}
                }
            }
        }});
        let thing = json!({"$ref": "#/$defs/Thing"});
        let mut nulls = 0;
        for v in sample(value(&document, &thing), 200) {
            let n = v["n"].as_i64().unwrap();
            assert!((1..=10).contains(&n), "{v}");
            assert!(v["size"] == "a" || v["size"] == "b", "{v}");
            if let Some(stop) = v.get("stop").and_then(Value::as_array) {
                assert!(
                    stop.len() <= 4
                        && stop
                            .iter()
                            .all(|s| s.as_str().unwrap().chars().count() <= 3)
                );
            }
            if let Some(bias) = v.get("bias").and_then(Value::as_object) {
                assert!(bias.keys().all(|k| k.parse::<u32>().is_ok()), "{v}");
            }
            if let Some(rate) = v.get("rate").and_then(Value::as_f64) {
                assert!(rate > 0.0, "{v}");
            }
            nulls += usize::from(v.get("maybe") == Some(&Value::Null));
        }
        assert!(nulls > 0, "a nullable field is sometimes null");
    }

    #[test]
    fn valid_values_keep_the_rules_between_fields() {
        let schema = openai_rest_spec::schema("CreateCompletionRequest").unwrap();
        for v in sample(valid("CreateCompletionRequest"), 200) {
            assert_eq!(schema.check(&v), Ok(()), "{v}");
        }
    }
}
