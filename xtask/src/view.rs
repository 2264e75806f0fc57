//! The spec as progenitor is given it. The spec in `openapi/` stays the whole
//! truth (defaults, bounds, every operation); this view only reshapes what
//! progenitor 0.15 / typify 0.8 would turn into the wrong Rust:
//!
//! - operations the xtask generates itself (multipart bodies) are left out,
//!   and the file (`format: binary`) properties of their body schemas are
//!   dropped, so that typify generates a struct of their text parts;
//! - `default:` moves into the description: typify would otherwise serialize
//!   every defaulted field on every request (`"best_of": 1`, `"echo": null`),
//!   where the API expects an unset parameter to be left out;
//! - numeric bounds are dropped: typify does not enforce them, it only turns
//!   `minimum: 1` into `NonZeroU64`; the bounds are checked by the mock and
//!   by the client from the spec itself;
//! - a component that only names a primitive (`Temperature`, `User`) is
//!   inlined where it is used, instead of becoming a newtype.
//!
//! String length limits stay: typify generates a checked newtype for them.

use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::{Map, Value};

use crate::spec::{self, Operation};

/// Builds progenitor's view of `spec`, leaving out `handled_by_xtask`.
pub fn for_progenitor(spec: &Value, handled_by_xtask: &[&Operation]) -> Result<Value> {
    let mut view = spec.clone();
    for op in handled_by_xtask {
        spec::remove_operation(&mut view, op.path, op.method);
    }
    for op in handled_by_xtask {
        let name = spec::body_schema_name(spec, op)
            .map_err(|error| anyhow::anyhow!("{}: {error}", op.id))?;
        if let Some(name) = name {
            let schema = spec::object_at(&mut view, &format!("/components/schemas/{name}"))?;
            drop_binary_properties(schema);
        }
    }

    let aliases = primitive_aliases(&view);
    if let Some(schemas) = view
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.retain(|name, _| !aliases.contains_key(name));
    }
    inline_aliases(&mut view, &aliases);
    reshape(&mut view);
    Ok(view)
}

fn drop_binary_properties(schema: &mut Map<String, Value>) {
    let mut files = Vec::new();
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        properties.retain(|name, property| {
            let binary = property.get("format").and_then(Value::as_str) == Some("binary");
            if binary {
                files.push(name.clone());
            }
            !binary
        });
    }
    if let Some(Value::Array(required)) = schema.get_mut("required") {
        required.retain(|name| {
            !files
                .iter()
                .any(|file| Some(file.as_str()) == name.as_str())
        });
    }
    let note = format!(
        "The text parts of the multipart body; its file parts ({}) are set on the request builder.",
        files.join(", ")
    );
    let description = match schema.get("description").and_then(Value::as_str) {
        Some(text) => format!("{text}\n\n{note}"),
        None => note,
    };
    schema.insert("description".into(), description.into());
}

/// Components that are a bare primitive type: no enum, no string limits.
fn primitive_aliases(spec: &Value) -> BTreeMap<String, Value> {
    let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return BTreeMap::new();
    };
    schemas
        .iter()
        .filter(|(_, schema)| {
            let primitive = matches!(
                schema.get("type").and_then(Value::as_str),
                Some("string" | "number" | "integer" | "boolean")
            );
            let constrained = ["enum", "minLength", "maxLength", "pattern"]
                .iter()
                .any(|key| schema.get(key).is_some())
                || schema.get("format").and_then(Value::as_str) == Some("binary");
            primitive && !constrained
        })
        .map(|(name, schema)| (name.clone(), schema.clone()))
        .collect()
}

fn alias_of<'a>(value: &Value, aliases: &'a BTreeMap<String, Value>) -> Option<&'a Value> {
    let name = value
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")?;
    aliases.get(name)
}

fn inline_aliases(value: &mut Value, aliases: &BTreeMap<String, Value>) {
    match value {
        Value::Object(map) => {
            // `{$ref: Alias}` or `{allOf: [{$ref: Alias}], <siblings>}`: the
            // alias's schema, with the siblings (description, nullable, ...)
            // taking precedence.
            let target = match map.get("allOf") {
                Some(Value::Array(all)) if all.len() == 1 => alias_of(&all[0], aliases),
                _ => alias_of(&Value::Object(map.clone()), aliases),
            };
            if let Some(Value::Object(alias)) = target {
                let mut merged = alias.clone();
                for (key, sibling) in map.iter() {
                    if key != "allOf" && key != "$ref" {
                        merged.insert(key.clone(), sibling.clone());
                    }
                }
                *map = merged;
            }
            map.values_mut()
                .for_each(|child| inline_aliases(child, aliases));
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|child| inline_aliases(child, aliases)),
        _ => {}
    }
}

/// Moves `default` into the description and drops numeric bounds, in every
/// schema object of the spec.
fn reshape(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let numeric = matches!(
                map.get("type").and_then(Value::as_str),
                Some("number" | "integer")
            );
            if numeric {
                for key in ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"] {
                    map.remove(key);
                }
            }
            // A schema's `default` (not a parameter's: progenitor handles
            // those as plain optional query parameters).
            let is_schema = map.contains_key("type")
                || map.contains_key("allOf")
                || map.contains_key("oneOf")
                || map.contains_key("$ref");
            // A `null` default is dropped without a note: it is what left out means.
            if is_schema
                && let Some(default) = map.remove("default")
                && !default.is_null()
            {
                let note = format!("Defaults to `{default}` when left out.");
                let description = match map.get("description").and_then(Value::as_str) {
                    Some(text) => format!("{text} {note}"),
                    None => note,
                };
                map.insert("description".into(), description.into());
            }
            map.values_mut().for_each(reshape);
        }
        Value::Array(items) => items.iter_mut().for_each(reshape),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn defaults_move_to_descriptions_and_primitive_aliases_are_inlined() {
        let spec = json!({
            "paths": {},
            "components": {"schemas": {
                "Temperature": {"type": "number", "minimum": 0, "maximum": 2, "description": "Sampling."},
                "Prompt": {"type": "string", "maxLength": 10},
                "Request": {"type": "object", "properties": {
                    "temperature": {"allOf": [{"$ref": "#/components/schemas/Temperature"}], "default": 1, "nullable": true},
                    "prompt": {"$ref": "#/components/schemas/Prompt"},
                    "suffix": {"type": "string", "default": null}
                }}
            }}
        });
        let view = for_progenitor(&spec, &[]).unwrap();
        let schemas = view.pointer("/components/schemas").unwrap();
        assert!(
            schemas.get("Temperature").is_none(),
            "a primitive alias is inlined"
        );
        assert!(
            schemas.get("Prompt").is_some(),
            "a string with limits stays a type"
        );
        assert_eq!(
            schemas.pointer("/Request/properties/temperature"),
            Some(&json!({
                "type": "number",
                "nullable": true,
                "description": "Sampling. Defaults to `1` when left out."
            }))
        );
        assert_eq!(
            schemas.pointer("/Request/properties/suffix"),
            Some(&json!({"type": "string"}))
        );
        // The spec itself keeps everything.
        assert_eq!(
            spec.pointer("/components/schemas/Temperature/maximum"),
            Some(&json!(2))
        );
    }
}
