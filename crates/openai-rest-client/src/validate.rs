//! Checks a request body against the bounds its schema in the spec gives
//! (minimum, maximum, lengths, item counts, enums), so that a value the API
//! would refuse is an [`Error::InvalidArgument`] before anything is sent.
//!
//! The schemas are compiled once, `$ref`s to indices and keywords to fields,
//! because looking keywords and references up in the spec's JSON on every
//! call cost more than the rest of the client together.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::OnceLock;

use openai_rest_raw::operations::{Api, spec_json};
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// Checks `body` against the component schema `schema` of the specs.
pub(crate) fn check<T: Serialize>(schema: &str, body: &T) -> Result<()> {
    let value = serde_json::to_value(body)
        .map_err(|e| Error::InvalidArgument(format!("the {schema} cannot be encoded: {e}")))?;
    let schemas = schemas();
    let node = Node::Ref(schemas.names.get(schema).copied());
    matches(schemas, &node, &value, At::Root).map_err(Error::InvalidArgument)
}

/// The component schemas of both specs, compiled; a name both have is
/// OpenAI's.
struct Schemas {
    names: HashMap<String, usize>,
    compiled: Vec<Node>,
}

fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let specs = [Api::OpenAi, Api::Azure].map(|api| {
            serde_json::from_str::<Value>(spec_json(api))
                .expect("openai-rest-raw's spec_json is JSON")
        });
        let mut names = HashMap::new();
        let mut sources = Vec::new();
        for spec in &specs {
            let Some(components) = spec["components"]["schemas"].as_object() else {
                continue;
            };
            for (name, schema) in components {
                if !names.contains_key(name) {
                    names.insert(name.clone(), sources.len());
                    sources.push(schema);
                }
            }
        }
        let compiled = sources.iter().map(|s| compile(s, &names)).collect();
        Schemas { names, compiled }
    })
}

/// A schema, or a reference to a component schema (`None`: one the specs
/// do not have, which allows anything).
enum Node {
    Inline(Box<Schema>),
    Ref(Option<usize>),
}

/// The keywords of a schema that [`matches`] checks.
#[derive(Default)]
struct Schema {
    type_: Option<Type>,
    all_of: Vec<Node>,
    one_of: Option<Vec<Node>>,
    minimum: Option<f64>,
    exclusive_minimum: bool,
    maximum: Option<f64>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    enum_: Option<Vec<Value>>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    items: Option<Node>,
    properties: BTreeMap<String, Node>,
    /// Each required field, and whether it is a file part (which travels
    /// beside the body, not in it).
    required: Vec<(String, bool)>,
    additional_properties: Option<Node>,
}

#[derive(Clone, Copy)]
enum Type {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
}

fn compile(schema: &Value, names: &HashMap<String, usize>) -> Node {
    // A `$ref` stands for what it points to; its siblings do not count.
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return Node::Ref(names.get(name).copied());
    }
    let nodes = |key: &str| {
        (schema.get(key).and_then(Value::as_array))
            .map(|parts| parts.iter().map(|s| compile(s, names)).collect::<Vec<_>>())
    };
    let f64_ = |key: &str| schema.get(key).and_then(Value::as_f64);
    let u64_ = |key: &str| schema.get(key).and_then(Value::as_u64);
    let properties = schema.get("properties").and_then(Value::as_object);
    let required = (schema.get("required").and_then(Value::as_array))
        .into_iter()
        .flatten()
        .map(|required| {
            let required = required.as_str().unwrap_or_default();
            let is_file = properties
                .and_then(|p| p.get(required))
                .is_some_and(|p| p.get("format") == Some(&Value::from("binary")));
            (required.to_string(), is_file)
        })
        .collect();
    Node::Inline(Box::new(Schema {
        type_: match schema.get("type").and_then(Value::as_str) {
            Some("string") => Some(Type::String),
            Some("integer") => Some(Type::Integer),
            Some("number") => Some(Type::Number),
            Some("boolean") => Some(Type::Boolean),
            Some("array") => Some(Type::Array),
            Some("object") => Some(Type::Object),
            _ => None,
        },
        all_of: nodes("allOf").unwrap_or_default(),
        one_of: nodes("oneOf"),
        minimum: f64_("minimum"),
        exclusive_minimum: schema.get("exclusiveMinimum") == Some(&Value::Bool(true)),
        maximum: f64_("maximum"),
        min_length: u64_("minLength"),
        max_length: u64_("maxLength"),
        enum_: schema.get("enum").and_then(Value::as_array).cloned(),
        min_items: u64_("minItems"),
        max_items: u64_("maxItems"),
        items: schema.get("items").map(|s| compile(s, names)),
        properties: (properties.into_iter().flatten())
            .map(|(key, s)| (key.clone(), compile(s, names)))
            .collect(),
        required,
        additional_properties: (schema.get("additionalProperties"))
            .filter(|s| s.is_object())
            .map(|s| compile(s, names)),
    }))
}

/// The schema `node` is, following references.
fn resolve<'s>(schemas: &'s Schemas, mut node: &'s Node) -> &'s Schema {
    static ANY: OnceLock<Schema> = OnceLock::new();
    loop {
        match node {
            Node::Inline(schema) => return schema,
            Node::Ref(Some(index)) => node = &schemas.compiled[*index],
            Node::Ref(None) => return ANY.get_or_init(Schema::default),
        }
    }
}

/// Where a value is in the request, written out only for an error.
#[derive(Clone, Copy)]
enum At<'a> {
    Root,
    Field(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Root => Ok(()),
            At::Field(At::Root, key) => f.write_str(key),
            At::Field(parent, key) => write!(f, "{parent}.{key}"),
            At::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// Whether `value` fits `node`; otherwise what is wrong, naming `at`.
fn matches(schemas: &Schemas, node: &Node, value: &Value, at: At<'_>) -> Result<(), String> {
    let schema = resolve(schemas, node);
    if value.is_null() {
        return Ok(());
    }
    if !type_fits(schema, value) {
        return Err(format!("{} has the wrong type", name(at)));
    }
    for part in &schema.all_of {
        matches(schemas, part, value, at)?;
    }
    if let Some(choices) = &schema.one_of {
        // The choices of the value's type say what is wrong with it.
        let mut first_error = None;
        let mut any_ok = false;
        for choice in choices {
            if !type_fits(resolve(schemas, choice), value) {
                continue;
            }
            match matches(schemas, choice, value, at) {
                Ok(()) => {
                    any_ok = true;
                    break;
                }
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        if !any_ok {
            return Err(first_error.unwrap_or_else(|| format!("{} has the wrong type", name(at))));
        }
    }
    match value {
        Value::Number(number) => {
            let number = number.as_f64().unwrap_or_default();
            let exclusive = schema.exclusive_minimum;
            let below = |min: &f64| number < *min || (exclusive && number == *min);
            if let Some(min) = schema.minimum.filter(below) {
                let relation = if exclusive { "more than" } else { "at least" };
                return Err(format!(
                    "{} must be {relation} {min}, not {number}",
                    name(at)
                ));
            }
            if let Some(max) = schema.maximum.filter(|max| number > *max) {
                return Err(format!("{} must be at most {max}, not {number}", name(at)));
            }
        }
        Value::String(text) => {
            if schema.min_length.is_some() || schema.max_length.is_some() {
                let length = text.chars().count();
                let bounds = (schema.min_length, schema.max_length);
                count(bounds, length, "characters", at)?;
            }
            let allowed = schema.enum_.as_ref();
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
            let bounds = (schema.min_items, schema.max_items);
            count(bounds, items.len(), "items", at)?;
            if let Some(item) = &schema.items {
                for (index, value) in items.iter().enumerate() {
                    matches(schemas, item, value, At::Index(&at, index))?;
                }
            }
        }
        Value::Object(fields) => {
            for (required, is_file) in &schema.required {
                if !fields.contains_key(required) && !is_file {
                    return Err(format!("{} is required", name(At::Field(&at, required))));
                }
            }
            for (key, value) in fields {
                let field = (schema.properties.get(key)).or(schema.additional_properties.as_ref());
                if let Some(field) = field {
                    matches(schemas, field, value, At::Field(&at, key))?;
                }
            }
        }
        Value::Bool(_) | Value::Null => {}
    }
    Ok(())
}

/// Whether `count` `unit` are within `[min, max]`.
fn count(
    (min, max): (Option<u64>, Option<u64>),
    count: usize,
    unit: &str,
    at: At<'_>,
) -> Result<(), String> {
    if let Some(min) = min.filter(|min| (count as u64) < *min) {
        return Err(format!(
            "{} must have at least {min} {unit}, not {count}",
            name(at)
        ));
    }
    if let Some(max) = max.filter(|max| count as u64 > *max) {
        return Err(format!(
            "{} must have at most {max} {unit}, not {count}",
            name(at)
        ));
    }
    Ok(())
}

/// Whether `value` has the JSON type `schema` names (any, when it names none).
fn type_fits(schema: &Schema, value: &Value) -> bool {
    match schema.type_ {
        Some(Type::String) => value.is_string(),
        Some(Type::Integer) => value.is_i64() || value.is_u64(),
        Some(Type::Number) => value.is_number(),
        Some(Type::Boolean) => value.is_boolean(),
        Some(Type::Array) => value.is_array(),
        Some(Type::Object) => value.is_object(),
        None => true,
    }
}

fn name(at: At<'_>) -> String {
    match at {
        At::Root => "the request".to_string(),
        at => format!("`{at}`"),
    }
}
