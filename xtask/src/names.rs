//! How the generators name things: Rust names from the specs' names
//! (progenitor's rules, so that the xtask's own methods and builders match
//! progenitor's), and the component name a schema refers to. A leaf module:
//! every generator uses it and it uses none of them.

use serde_json::Value;

/// `createImageEdit` and `api-version` to `create_image_edit` and `api_version`.
pub fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '-' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

/// `create_image_edit` to `CreateImageEdit`.
pub fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The component name a schema refers to, through `$ref` or a one-element `allOf`.
pub fn schema_name(schema: &Value) -> Option<&str> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return reference.strip_prefix("#/components/schemas/");
    }
    match schema.get("allOf") {
        Some(Value::Array(all)) if all.len() == 1 => schema_name(&all[0]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_progenitor() {
        assert_eq!(snake_case("createImageEdit"), "create_image_edit");
        assert_eq!(snake_case("api-version"), "api_version");
        assert_eq!(snake_case("deployment-id"), "deployment_id");
        assert_eq!(
            pascal_case("create_completion_stream"),
            "CreateCompletionStream"
        );
    }

    #[test]
    fn schema_name_follows_a_ref_or_a_one_element_all_of() {
        let reference = serde_json::json!({"$ref": "#/components/schemas/Model"});
        assert_eq!(schema_name(&reference), Some("Model"));
        let wrapped = serde_json::json!({"allOf": [reference], "description": "the model"});
        assert_eq!(schema_name(&wrapped), Some("Model"));
        let inline = serde_json::json!({"type": "object"});
        assert_eq!(schema_name(&inline), None);
    }
}
