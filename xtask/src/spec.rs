//! Reading the specs in `openapi/`: YAML to JSON values, Azure's external
//! `$ref`s into openai.yaml resolved, what the generators read of an
//! operation (its bodies, its success response), and the checks that name an
//! operation the generator cannot handle before progenitor gets to panic on
//! it. It uses no generator: the generators use it.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Value};

use crate::names::schema_name;

/// The HTTP methods an OpenAPI path item can hold.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The media type progenitor cannot generate: the xtask generates these
/// operations itself (see `methods.rs`).
pub const MULTIPART: &str = "multipart/form-data";

/// A JSON merge patch (RFC 7396), which the xtask generates as a JSON body.
pub const MERGE_PATCH: &str = "application/merge-patch+json";

/// Reads a YAML spec into a JSON value.
pub fn load(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_norway::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Makes `spec` self-contained: every `$ref` into `external_file` (e.g.
/// `openai.yaml#/components/schemas/Model`) becomes local. Referenced schemas
/// are copied under the same name and returned, so that the generator can
/// replace them with the types generated from the other spec instead of
/// generating them twice; referenced parameters and responses are inlined.
pub fn bundle(spec: &mut Value, external_file: &str, external: &Value) -> Result<BTreeSet<String>> {
    let mut shared = BTreeSet::new();
    let prefix = format!("{external_file}#");
    rewrite_refs(spec, &prefix, external, &mut shared)?;

    // Copy the shared schemas, following their own (local to the external
    // spec) references transitively.
    let mut pending: Vec<String> = shared.iter().cloned().collect();
    let schemas = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| anyhow!("spec has no components.schemas"))?;
    while let Some(name) = pending.pop() {
        if schemas.contains_key(&name) {
            bail!("schema `{name}` is defined in both specs: reference it instead of copying it");
        }
        let schema = external
            .pointer(&format!("/components/schemas/{name}"))
            .ok_or_else(|| anyhow!("{external_file} has no schema `{name}`"))?
            .clone();
        let mut local = BTreeSet::new();
        collect_local_schema_refs(&schema, &mut local);
        for dep in local {
            if shared.insert(dep.clone()) {
                pending.push(dep);
            }
        }
        schemas.insert(name, schema);
    }
    Ok(shared)
}

fn rewrite_refs(
    value: &mut Value,
    prefix: &str,
    external: &Value,
    shared: &mut BTreeSet<String>,
) -> Result<()> {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref")
                && let Some(pointer) = reference.strip_prefix(prefix)
            {
                if let Some(name) = pointer.strip_prefix("/components/schemas/") {
                    shared.insert(name.to_owned());
                    map.insert("$ref".into(), format!("#{pointer}").into());
                } else {
                    // A parameter or a response: inline it, and keep the
                    // schemas it refers to.
                    let target = external
                        .pointer(pointer)
                        .ok_or_else(|| anyhow!("unresolved $ref `{reference}`"))?;
                    let mut inlined = target.clone();
                    collect_local_schema_refs(&inlined, shared);
                    inline_local_non_schema_refs(&mut inlined, external)?;
                    *value = inlined;
                }
                return Ok(());
            }
            for child in map.values_mut() {
                rewrite_refs(child, prefix, external, shared)?;
            }
        }
        Value::Array(items) => {
            for child in items {
                rewrite_refs(child, prefix, external, shared)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Inside a value copied out of the external spec, inlines its local
/// references to parameters and responses (schemas stay references).
fn inline_local_non_schema_refs(value: &mut Value, external: &Value) -> Result<()> {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref")
                && let Some(pointer) = reference.strip_prefix('#')
                && !pointer.starts_with("/components/schemas/")
            {
                let mut inlined = external
                    .pointer(pointer)
                    .ok_or_else(|| anyhow!("unresolved $ref `{reference}`"))?
                    .clone();
                inline_local_non_schema_refs(&mut inlined, external)?;
                *value = inlined;
                return Ok(());
            }
            for child in map.values_mut() {
                inline_local_non_schema_refs(child, external)?;
            }
        }
        Value::Array(items) => {
            for child in items {
                inline_local_non_schema_refs(child, external)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Collects the names of the schemas `value` refers to with local `$ref`s.
pub fn collect_local_schema_refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref")
                && let Some(name) = reference.strip_prefix("#/components/schemas/")
            {
                out.insert(name.to_owned());
            }
            map.values()
                .for_each(|child| collect_local_schema_refs(child, out));
        }
        Value::Array(items) => items
            .iter()
            .for_each(|child| collect_local_schema_refs(child, out)),
        _ => {}
    }
}

/// Follows local `$ref`s (to any component) until a value that is not one.
pub use openai_rest_spec::resolve;

/// One operation of a spec, as the generators see it.
pub struct Operation<'a> {
    pub id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    /// The path item's parameters followed by the operation's own.
    pub parameters: Vec<&'a Value>,
    pub operation: &'a Value,
}

impl<'a> Operation<'a> {
    /// The media type of the request body, if it has one.
    pub fn request_media_type(&self, spec: &Value) -> Result<Option<String>> {
        let Some(body) = self.operation.get("requestBody") else {
            return Ok(None);
        };
        let content = resolve(spec, body)?
            .get("content")
            .and_then(Value::as_object)
            .ok_or_else(|| anyhow!("{}: requestBody has no content", self.id))?;
        match content.keys().collect::<Vec<_>>().as_slice() {
            [one] => Ok(Some((*one).clone())),
            many => bail!(
                "{}: a request body with several media types ({}) cannot be generated; \
                 describe one",
                self.id,
                many.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    pub fn is_multipart(&self, spec: &Value) -> Result<bool> {
        Ok(self.request_media_type(spec)?.as_deref() == Some(MULTIPART))
    }

    /// The schema of the request body.
    pub fn request_schema(&self, spec: &'a Value, media_type: &str) -> Option<&'a Value> {
        let body = resolve(spec, self.operation.get("requestBody")?).ok()?;
        body.get("content")?.get(media_type)?.get("schema")
    }
}

/// The success response of an operation: its status and its media types.
pub struct Success<'a> {
    pub status: u16,
    pub content: Vec<(&'a str, Option<&'a Value>)>,
}

/// The one success (2xx) response of `op`.
pub fn success<'a>(spec: &'a Value, op: &Operation<'a>) -> Result<Success<'a>> {
    let responses = op
        .operation
        .get("responses")
        .and_then(Value::as_object)
        .ok_or_else(|| anyhow!("{}: no responses", op.id))?;
    let mut found = None;
    for (code, response) in responses {
        if !code.starts_with('2') {
            continue;
        }
        if found.is_some() {
            bail!("{}: more than one success response", op.id);
        }
        let status: u16 = code
            .parse()
            .map_err(|_| anyhow!("{}: success status `{code}` is not a number", op.id))?;
        let response = resolve(spec, response)?;
        let content = response
            .get("content")
            .and_then(Value::as_object)
            .map(|content| {
                content
                    .iter()
                    .map(|(media, body)| (media.as_str(), body.get("schema")))
                    .collect()
            })
            .unwrap_or_default();
        found = Some(Success { status, content });
    }
    found.ok_or_else(|| anyhow!("{}: no success response", op.id))
}

/// The component name of a multipart operation's body schema.
pub fn body_schema_name(spec: &Value, op: &Operation) -> Result<Option<String>> {
    if !op.is_multipart(spec)? {
        return Ok(None);
    }
    let schema = op
        .request_schema(spec, MULTIPART)
        .ok_or_else(|| anyhow!("a multipart body without a schema"))?;
    schema_name(schema)
        .map(|name| Some(name.to_owned()))
        .ok_or_else(|| {
            anyhow!(
                "a multipart body schema must be a `$ref` to components.schemas, so that its \
                 text parts get a generated type"
            )
        })
}

/// Whether a property of a multipart body is a file part.
pub fn is_file(property: &Value) -> bool {
    property.get("format").and_then(Value::as_str) == Some("binary")
}

/// Checks that a multipart body is an object of file parts and scalar text parts.
fn check_multipart_body(spec: &Value, op: &Operation) -> Result<()> {
    let name = body_schema_name(spec, op)?.expect("only called for multipart operations");
    let schema = resolve(spec, op.request_schema(spec, MULTIPART).expect("checked"))?;
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        bail!("multipart body `{name}` is not an object");
    }
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .ok_or_else(|| anyhow!("multipart body `{name}` has no properties"))?;
    if !properties.values().any(is_file) {
        bail!("multipart body `{name}` has no file (`format: binary`) property");
    }
    for (property_name, property) in properties {
        if is_file(property) {
            continue;
        }
        let mut resolved = resolve(spec, property)?;
        if let Some(Value::Array(all)) = resolved.get("allOf")
            && all.len() == 1
        {
            resolved = resolve(spec, &all[0])?;
        }
        let scalar = matches!(
            resolved.get("type").and_then(Value::as_str),
            Some("string" | "number" | "integer" | "boolean")
        );
        if !scalar {
            bail!(
                "multipart body `{name}`: property `{property_name}` is neither a file nor a \
                 scalar, so it cannot be sent as a text part"
            );
        }
    }
    Ok(())
}

/// Every operation of `spec`, in the order of its `paths`.
pub fn operations(spec: &Value) -> Result<Vec<Operation<'_>>> {
    let paths = spec
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| anyhow!("spec has no paths"))?;
    let mut out = Vec::new();
    for (path, item) in paths {
        let item = resolve(spec, item)?;
        let shared: Vec<&Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .map(|list| list.iter().collect())
            .unwrap_or_default();
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let id = operation
                .get("operationId")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("{} {path} has no operationId", method.to_uppercase()))?;
            let mut parameters = shared.clone();
            if let Some(own) = operation.get("parameters").and_then(Value::as_array) {
                parameters.extend(own);
            }
            out.push(Operation {
                id,
                method,
                path,
                parameters,
                operation,
            });
        }
    }
    Ok(out)
}

/// Checks what progenitor and our multipart generator cannot express, so that
/// the xtask names the operation and the reason instead of a generator panic.
pub fn check_generatable(spec: &Value, file: &str) -> Result<()> {
    let mut problems = Vec::new();
    let mut ids = BTreeSet::new();
    for op in operations(spec)? {
        let name = format!(
            "{file}: {} ({} {})",
            op.id,
            op.method.to_uppercase(),
            op.path
        );
        if !ids.insert(op.id) {
            problems.push(format!("{name}: operationId used twice"));
        }
        let responses = op
            .operation
            .get("responses")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if responses.contains_key("default") {
            problems.push(format!(
                "{name}: a `default` response makes progenitor 0.15 panic; declare `4XX` and `5XX`"
            ));
        }
        if !responses.keys().any(|code| code.starts_with('2')) {
            problems.push(format!("{name}: no success (2xx) response"));
        }
        for code in ["4XX", "5XX"] {
            if !responses.contains_key(code) {
                problems.push(format!("{name}: no `{code}` error response"));
            }
        }
        match op.request_media_type(spec) {
            Ok(None) => {}
            Ok(Some(media)) if media == "application/json" || media == MERGE_PATCH => {}
            Ok(Some(media)) if media == MULTIPART => {
                if let Err(error) = check_multipart_body(spec, &op) {
                    problems.push(format!("{name}: {error}"));
                }
            }
            Ok(Some(media)) => problems.push(format!(
                "{name}: request body `{media}` is neither JSON (or a JSON merge patch) nor multipart"
            )),
            Err(error) => problems.push(format!("{name}: {error}")),
        }
    }
    if !problems.is_empty() {
        bail!(
            "the spec has what the generator cannot handle:\n  {}",
            problems.join("\n  ")
        );
    }
    Ok(())
}

/// Removes one operation from a spec (and its path item once empty).
pub fn remove_operation(spec: &mut Value, path: &str, method: &str) {
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(Value::Object(item)) = paths.get_mut(path) {
        item.remove(method);
        if !METHODS.iter().any(|m| item.contains_key(*m)) {
            paths.remove(path);
        }
    }
}

/// The object at `pointer`, created empty if missing.
pub fn object_at<'a>(spec: &'a mut Value, pointer: &str) -> Result<&'a mut Map<String, Value>> {
    spec.pointer_mut(pointer)
        .and_then(Value::as_object_mut)
        .ok_or_else(|| anyhow!("spec has no object at {pointer}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn bundle_copies_shared_schemas_transitively_and_inlines_responses() {
        let external = json!({
            "components": {
                "schemas": {
                    "Outer": {"type": "object", "properties": {"inner": {"$ref": "#/components/schemas/Inner"}}},
                    "Inner": {"type": "string"},
                    "Unused": {"type": "string"}
                },
                "responses": {
                    "Error": {"description": "e", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Inner"}}}}
                }
            }
        });
        let mut spec = json!({
            "paths": {"/x": {"get": {
                "operationId": "getX",
                "responses": {
                    "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "other.yaml#/components/schemas/Outer"}}}},
                    "4XX": {"$ref": "other.yaml#/components/responses/Error"}
                }
            }}},
            "components": {"schemas": {"Own": {"type": "integer"}}}
        });
        let shared = bundle(&mut spec, "other.yaml", &external).unwrap();
        assert_eq!(shared.into_iter().collect::<Vec<_>>(), ["Inner", "Outer"]);
        assert_eq!(
            spec.pointer("/paths/~1x/get/responses/200/content/application~1json/schema/$ref"),
            Some(&json!("#/components/schemas/Outer"))
        );
        assert_eq!(
            spec.pointer("/paths/~1x/get/responses/4XX/description"),
            Some(&json!("e"))
        );
        let schemas = spec.pointer("/components/schemas").unwrap();
        assert!(schemas.get("Inner").is_some() && schemas.get("Own").is_some());
        assert!(schemas.get("Unused").is_none());
    }

    #[test]
    fn bundle_refuses_a_schema_defined_in_both_specs() {
        let external = json!({"components": {"schemas": {"Same": {"type": "string"}}}});
        let mut spec = json!({
            "paths": {"/x": {"get": {"$ref": "other.yaml#/components/schemas/Same"}}},
            "components": {"schemas": {"Same": {"type": "string"}}}
        });
        let error = bundle(&mut spec, "other.yaml", &external).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("`Same` is defined in both specs"),
            "{error}"
        );
    }

    #[test]
    fn check_generatable_names_each_operation_it_cannot_handle() {
        let spec = json!({"paths": {
            "/a": {"get": {"operationId": "getA", "responses": {"default": {"description": "d"}}}},
            "/b": {"post": {
                "operationId": "postB",
                "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}},
                "responses": {"200": {"description": "ok"}, "4XX": {"description": "e"}, "5XX": {"description": "e"}}
            }}
        }});
        let error = check_generatable(&spec, "x.yaml").unwrap_err().to_string();
        assert!(
            error.contains("getA (GET /a): a `default` response"),
            "{error}"
        );
        assert!(
            error.contains("getA (GET /a): no success (2xx) response"),
            "{error}"
        );
        assert!(
            error.contains("postB (POST /b): request body `text/csv`"),
            "{error}"
        );
    }
}
