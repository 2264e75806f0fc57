//! Arbitrary valid JSON for any schema of the spec, for property tests: the
//! spec itself says what is valid (types, required fields, enums, bounds,
//! lengths, `nullable`, `oneOf`, maps), so one generator covers every request
//! and response type, and a schema change changes what is generated.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// A strategy for values of `schema` (which may be a `$ref`) in `spec`.
/// File (`format: binary`) properties are left out: they travel as
/// multipart file parts, not in the generated types.
pub fn value(spec: &Value, schema: &Value) -> BoxedStrategy<Value> {
    let schema = resolve(spec, schema);
    let strategy = match schema.get("allOf").and_then(Value::as_array) {
        // A one-element allOf is a reference with its own siblings.
        Some(all) if all.len() == 1 => {
            let mut merged = resolve(spec, &all[0]).clone();
            for (key, sibling) in schema.as_object().into_iter().flatten() {
                if key != "allOf" {
                    merged[key] = sibling.clone();
                }
            }
            return value(spec, &merged);
        }
        Some(_) => panic!("allOf with several schemas is not used by the spec"),
        None => non_null(spec, schema),
    };
    if schema.get("nullable").and_then(Value::as_bool) == Some(true) {
        prop_oneof![1 => Just(Value::Null), 4 => strategy].boxed()
    } else {
        strategy
    }
}

fn resolve<'a>(spec: &'a Value, mut schema: &'a Value) -> &'a Value {
    while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let pointer = reference.strip_prefix('#').expect("local references only");
        schema = spec
            .pointer(pointer)
            .unwrap_or_else(|| panic!("no {reference}"));
    }
    schema
}

fn non_null(spec: &Value, schema: &Value) -> BoxedStrategy<Value> {
    if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
        return proptest::sample::select(choices.clone()).boxed();
    }
    if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
        let strategies: Vec<_> = branches.iter().map(|b| value(spec, b)).collect();
        return proptest::strategy::Union::new(strategies).boxed();
    }
    let number = |key: &str| schema.get(key).and_then(Value::as_f64);
    match schema.get("type").and_then(Value::as_str) {
        Some("boolean") => any::<bool>().prop_map(Value::from).boxed(),
        Some("integer") => {
            let min = number("minimum").map_or(-1_000_000, |m| m as i64);
            let max = number("maximum").map_or(1_000_000, |m| m as i64);
            (min..=max).prop_map(Value::from).boxed()
        }
        Some("number") => {
            let min = number("minimum").unwrap_or(-1e6);
            let max = number("maximum").unwrap_or(1e6);
            let exclusive = schema.get("exclusiveMinimum").and_then(Value::as_bool) == Some(true);
            (min..=max)
                .prop_filter("exclusive minimum", move |x| !exclusive || *x > min)
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
            let items = value(spec, schema.get("items").expect("array items"));
            let min = number("minItems").map_or(0, |m| m as usize);
            let max = number("maxItems")
                .map_or(4, |m| (m as usize).min(4))
                .max(min);
            proptest::collection::vec(items, min..=max)
                .prop_map(Value::Array)
                .boxed()
        }
        Some("object") | None => object(spec, schema),
        Some(other) => panic!("schema type {other} is not used by the spec"),
    }
}

fn object(spec: &Value, schema: &Value) -> BoxedStrategy<Value> {
    if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        return proptest::collection::btree_map("[0-9]{1,5}", value(spec, values), 0..4)
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
        if resolve(spec, property)
            .get("format")
            .and_then(Value::as_str)
            == Some("binary")
        {
            continue;
        }
        let is_required = required.contains(&name.as_str());
        let name = name.clone();
        let field = value(spec, property).prop_map(move |v| (name.clone(), v));
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

    fn sample(spec: &Value, schema: &Value, n: usize) -> Vec<Value> {
        let strategy = value(spec, schema);
        let mut runner = TestRunner::deterministic();
        (0..n)
            .map(|_| strategy.new_tree(&mut runner).unwrap().current())
            .collect()
    }

    #[test]
    fn generated_values_keep_to_the_schema() {
        let spec = json!({"components": {"schemas": {
            "Size": {"type": "string", "enum": ["a", "b"]},
            "Thing": {
                "type": "object",
                "required": ["n", "size"],
                "properties": {
                    "n": {"type": "integer", "minimum": 1, "maximum": 10},
                    "size": {"$ref": "#/components/schemas/Size"},
                    "stop": {"type": "array", "maxItems": 4, "items": {"type": "string", "maxLength": 3}},
                    "file": {"type": "string", "format": "binary"},
                    "bias": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "maybe": {"type": "string", "nullable": true}
                }
            }
        }}});
        let thing = json!({"$ref": "#/components/schemas/Thing"});
        for v in sample(&spec, &thing, 200) {
            let n = v["n"].as_i64().unwrap();
            assert!((1..=10).contains(&n), "{v}");
            assert!(v["size"] == "a" || v["size"] == "b", "{v}");
            assert!(v.get("file").is_none(), "{v}");
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
        }
    }
}
