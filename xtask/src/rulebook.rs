//! The request rules of the specs as Rust: one function per schema a request
//! body uses (and per schema those refer to), generated from the same JSON
//! Schema document openai-rest-spec's `jsonschema` validator compiles, into
//! `crates/openai-rest-spec/src/rulebook.rs`. The client checks its requests
//! with them and so needs no JSON Schema engine; the contract suite's
//! verdicts test holds them to the validator's answers.
//!
//! A keyword the generator does not know is an error, not a rule skipped:
//! the two forms of the rulebook cannot silently differ.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, anyhow, bail};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::names;

/// Keywords that state no rule a JSON body is checked against: annotations,
/// and the rules of multipart file parts, which the client does not check.
const ANNOTATIONS: &[&str] = &[
    "default",
    "description",
    "format",
    "title",
    "example",
    "deprecated",
    "x-files",
];

/// The rulebook for the request schemas `requests` of `document`
/// (`{"$defs": {name: schema}}`).
pub fn generate(document: &Value, requests: &BTreeSet<String>) -> Result<TokenStream> {
    let defs = document
        .get("$defs")
        .and_then(Value::as_object)
        .ok_or_else(|| anyhow!("the schema document has no $defs"))?;
    // The request schemas and everything they refer to.
    let mut needed: BTreeSet<String> = BTreeSet::new();
    let mut queue: Vec<String> = requests.iter().cloned().collect();
    while let Some(name) = queue.pop() {
        if !needed.insert(name.clone()) {
            continue;
        }
        let schema = defs
            .get(&name)
            .ok_or_else(|| anyhow!("no schema `{name}` in the document"))?;
        let mut refs = BTreeSet::new();
        collect_refs(schema, &mut refs);
        queue.extend(refs);
    }
    let mut functions = Vec::new();
    for name in &needed {
        let body = check(&defs[name]).map_err(|e| anyhow!("schema `{name}`: {e}"))?;
        let function = function_name(name);
        let doc = format!(" The rules of `{name}`.");
        functions.push(quote! {
            #[doc = #doc]
            fn #function(value: &Value) -> Result<(), Violation> {
                #body
            }
        });
    }
    let arms = requests.iter().map(|name| {
        let function = function_name(name);
        quote!(#name => Some(#function),)
    });
    Ok(quote! {
        //! The request rules of the specs, generated from their schemas: what
        //! the client checks a request with before sending it. The keywords
        //! they are made of are `keywords.rs`.
        // Each field is checked in a closure, so that `?` stops at it and its
        // name goes on the path of what it breaks.
        #![allow(clippy::redundant_closure_call)]

        use serde_json::Value;

        use crate::keywords::*;
        use crate::{Step, Violation};

        /// The check of the request schema `name` (a request body of an
        /// operation of either spec), or `None` when no operation sends it.
        ///
        /// ```
        /// use serde_json::json;
        ///
        /// let check = openai_rest_spec::request_check("CreateImageRequest").unwrap();
        /// assert!(check(&json!({"prompt": "An otter", "n": 2})).is_ok());
        /// let violation = check(&json!({"prompt": "An otter", "n": 11})).unwrap_err();
        /// assert_eq!(violation.param().as_deref(), Some("n"));
        /// assert!(openai_rest_spec::request_check("ImageCount").is_none());
        /// ```
        pub fn request_check(name: &str) -> Option<RequestCheck> {
            match name {
                #(#arms)*
                _ => None,
            }
        }

        /// A generated check: the first rule a value breaks.
        pub type RequestCheck = fn(&Value) -> Result<(), Violation>;

        #(#functions)*
    })
}

fn function_name(schema: &str) -> proc_macro2::Ident {
    format_ident!("{}", names::snake_case(schema))
}

fn collect_refs(schema: &Value, out: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => {
                        if let Some(name) = reference.strip_prefix("#/$defs/") {
                            out.insert(name.to_owned());
                        }
                    }
                    // Not rules of the JSON body.
                    ("x-files", _) => {}
                    _ => collect_refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, out)),
        _ => {}
    }
}

/// The statements that check `value` against `schema`, ending in `Ok(())`.
fn check(schema: &Value) -> Result<TokenStream> {
    let Value::Object(map) = schema else {
        bail!("a schema that is not an object: {schema}");
    };
    let number = |key: &str| -> Result<Option<f64>> {
        match map.get(key) {
            None => Ok(None),
            Some(value) => value
                .as_f64()
                .map(Some)
                .ok_or_else(|| anyhow!("`{key}` is not a number")),
        }
    };
    let count = |key: &str| -> Result<Option<u64>> {
        match map.get(key) {
            None => Ok(None),
            Some(value) => value
                .as_u64()
                .map(Some)
                .ok_or_else(|| anyhow!("`{key}` is not a count")),
        }
    };
    let mut out = TokenStream::new();
    for key in map.keys() {
        let known = matches!(
            key.as_str(),
            "type"
                | "$ref"
                | "anyOf"
                | "properties"
                | "required"
                | "additionalProperties"
                | "items"
                | "minimum"
                | "maximum"
                | "exclusiveMinimum"
                | "exclusiveMaximum"
                | "minLength"
                | "maxLength"
                | "minItems"
                | "maxItems"
                | "enum"
                | "x-rules"
        );
        if !known && !ANNOTATIONS.contains(&key.as_str()) {
            bail!("the keyword `{key}` has no generated check: teach xtask/src/rulebook.rs it");
        }
    }
    if let Some(kinds) = map.get("type") {
        let kinds: Vec<&str> = match kinds {
            Value::String(kind) => vec![kind.as_str()],
            Value::Array(kinds) => kinds
                .iter()
                .map(|kind| {
                    kind.as_str()
                        .ok_or_else(|| anyhow!("a type that is not a name"))
                })
                .collect::<Result<_>>()?,
            other => bail!("`type` {other}"),
        };
        out.extend(quote!(of_type(value, &[#(#kinds),*])?;));
    }
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        let name = reference
            .strip_prefix("#/$defs/")
            .ok_or_else(|| anyhow!("a $ref outside the document: {reference}"))?;
        let function = function_name(name);
        out.extend(quote!(#function(value)?;));
    }
    if let Some(forms) = map.get("anyOf") {
        let forms = forms
            .as_array()
            .ok_or_else(|| anyhow!("`anyOf` is not a list"))?
            .iter()
            .map(|form| {
                let body = check(form)?;
                Ok(quote!((|value: &Value| -> Result<(), Violation> { #body }) as RequestCheck))
            })
            .collect::<Result<Vec<_>>>()?;
        // Whether each form is `{"type": "null"}`: a nullable field's other
        // form is the one whose rule a value breaks.
        let nulls = map["anyOf"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|form| form.get("type") == Some(&Value::from("null")));
        out.extend(quote!(any_of(value, &[#((#forms, #nulls)),*])?;));
    }
    let bounds = [
        ("minimum", quote!(minimum), false),
        ("exclusiveMinimum", quote!(minimum), true),
        ("maximum", quote!(maximum), false),
        ("exclusiveMaximum", quote!(maximum), true),
    ];
    for (key, function, exclusive) in bounds {
        if let Some(limit) = number(key)? {
            out.extend(quote!(#function(value, #limit, #exclusive)?;));
        }
    }
    for (key, function) in [
        ("minLength", quote!(min_length)),
        ("maxLength", quote!(max_length)),
        ("minItems", quote!(min_items)),
        ("maxItems", quote!(max_items)),
    ] {
        if let Some(limit) = count(key)? {
            out.extend(quote!(#function(value, #limit)?;));
        }
    }
    if let Some(allowed) = map.get("enum") {
        let allowed = serde_json::to_string(allowed)?;
        out.extend(quote!(one_of(value, #allowed)?;));
    }
    if let Some(items) = map.get("items") {
        let body = check(items)?;
        out.extend(quote! {
            if let Some(items) = value.as_array() {
                for (index, value) in items.iter().enumerate() {
                    (|| -> Result<(), Violation> { #body })()
                        .map_err(|violation| violation.under(Step::Index(index)))?;
                }
            }
        });
    }
    let has_object_rules = ["properties", "required", "additionalProperties", "x-rules"]
        .iter()
        .any(|key| map.contains_key(*key));
    if has_object_rules {
        out.extend(object(map)?);
    }
    out.extend(quote!(Ok(())));
    Ok(out)
}

/// The rules of an object's fields: each declared one, the others, the
/// required ones and `x-rules`.
fn object(map: &serde_json::Map<String, Value>) -> Result<TokenStream> {
    let empty = serde_json::Map::new();
    let properties = match map.get("properties") {
        None => &empty,
        Some(Value::Object(properties)) => properties,
        Some(other) => bail!("`properties` {other}"),
    };
    let mut arms = Vec::new();
    for (name, property) in properties {
        let body = check(property).map_err(|e| anyhow!("property `{name}`: {e}"))?;
        arms.push(quote!(#name => (|| -> Result<(), Violation> { #body })(),));
    }
    let other = match map.get("additionalProperties") {
        None | Some(Value::Bool(true)) => quote!(Ok(())),
        Some(Value::Bool(false)) => quote!(Err(Violation::at(
            Vec::new(),
            value.clone(),
            crate::Problem::Unknown
        ))),
        Some(schema) => {
            let body = check(schema)?;
            quote!((|| -> Result<(), Violation> { #body })())
        }
    };
    let required: Vec<&str> = match map.get("required") {
        None => Vec::new(),
        Some(Value::Array(names)) => names
            .iter()
            .map(|name| {
                name.as_str()
                    .ok_or_else(|| anyhow!("a required name that is not text"))
            })
            .collect::<Result<_>>()?,
        Some(other) => bail!("`required` {other}"),
    };
    let rules = x_rules(map)?;
    let open = matches!(
        map.get("additionalProperties"),
        None | Some(Value::Bool(true))
    );
    let fields = match (arms.is_empty(), open) {
        (true, true) => TokenStream::new(),
        (true, false) => quote! {
            for (field, value) in object {
                #other.map_err(|violation| violation.under(Step::Field(field.clone())))?;
            }
        },
        (false, _) => quote! {
            for (field, value) in object {
                match field.as_str() {
                    #(#arms)*
                    _ => #other,
                }
                .map_err(|violation| violation.under(Step::Field(field.clone())))?;
            }
        },
    };
    Ok(quote! {
        if let Some(object) = value.as_object() {
            #fields
            required(value, object, &[#(#required),*])?;
            #rules
        }
    })
}

/// The `x-rules` between the fields of an object (see openai-rest-spec's
/// `rules.rs`, which reads the same ones).
fn x_rules(map: &serde_json::Map<String, Value>) -> Result<TokenStream> {
    let Some(rules) = map.get("x-rules") else {
        return Ok(TokenStream::new());
    };
    let defaults: BTreeMap<&str, &Value> = map
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(name, property)| Some((name.as_str(), property.get("default")?)))
        .collect();
    let mut out = TokenStream::new();
    for rule in rules
        .as_array()
        .ok_or_else(|| anyhow!("`x-rules` is not a list"))?
    {
        let text = |key: &str| rule.get(key).and_then(Value::as_str);
        let field = text("field").ok_or_else(|| anyhow!("an x-rule without a field: {rule}"))?;
        let when = match rule.get("when").and_then(Value::as_object) {
            None => quote!(None),
            Some(when) if when.len() == 1 => {
                let (name, is) = when.iter().next().expect("one");
                let is = scalar(is)?;
                quote!(Some((#name, &#is)))
            }
            Some(_) => bail!("`when` of an x-rule names one field: {rule}"),
        };
        match (
            text("notLessThan"),
            rule.get("maximum").and_then(Value::as_f64),
        ) {
            (Some(_), None) if rule.get("when").is_some() => {
                bail!("`when` on a `notLessThan` x-rule has no generated check: {rule}")
            }
            (Some(other), None) => {
                let default = scalar(defaults.get(other).copied().unwrap_or(&Value::Null))?;
                out.extend(quote!(not_less_than(object, #field, #other, &#default)?;));
            }
            (None, Some(limit)) => {
                out.extend(quote!(maximum_when(object, #field, #limit, #when)?;));
            }
            _ => bail!("an x-rule has one of `notLessThan` or `maximum`: {rule}"),
        }
    }
    Ok(out)
}

/// A JSON scalar as a `Value` expression that allocates nothing (the rules
/// compare against booleans and numbers).
fn scalar(value: &Value) -> Result<TokenStream> {
    Ok(match value {
        Value::Null => quote!(Value::Null),
        Value::Bool(b) => quote!(Value::Bool(#b)),
        Value::Number(n) if n.is_i64() => {
            let n = n.as_i64().expect("i64");
            quote!(Value::from(#n))
        }
        Value::Number(n) => {
            let n = n.as_f64().expect("f64");
            quote!(Value::from(#n))
        }
        other => bail!("an x-rule compares with {other}, not a boolean or a number"),
    })
}
