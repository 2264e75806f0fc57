//! Whether a body decodes into its generated type without losing anything:
//! a field the type does not know is dropped by the decode, so it shows when
//! the decoded value is encoded back.

use serde_json::Value;

use crate::decode::roundtrip;

/// Checks that `json` decodes as the generated type of `schema` without
/// losing anything. A `null`, `[]` or `{}` that comes back absent is not a
/// loss (the types leave out unset optional fields and empty optional
/// collections, which decode the same), nor is `1.0` coming back as `1`.
pub fn check_lossless(schema: &str, json: &[u8]) -> Result<(), String> {
    let original: Value = serde_json::from_slice(json).map_err(|e| format!("not JSON: {e}"))?;
    let decoded = roundtrip(schema, json)
        .ok_or_else(|| format!("no generated type for schema `{schema}`"))?
        .map_err(|e| format!("does not decode as `{schema}`: {e}"))?;
    let losses = losses(&original, &decoded);
    if losses.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "decodes as `{schema}` but loses: {}",
            losses.join("; ")
        ))
    }
}

/// Where `decoded` lost or changed something of `original`, each as a JSON
/// path and what happened there, by the rules of [`check_lossless`]; empty
/// when nothing was lost.
pub fn losses(original: &Value, decoded: &Value) -> Vec<String> {
    let mut out = Vec::new();
    find_losses(original, decoded, "$", &mut out);
    out
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

fn find_losses(original: &Value, decoded: &Value, at: &str, out: &mut Vec<String>) {
    match (original, decoded) {
        (Value::Object(original), Value::Object(decoded)) => {
            for (key, value) in original {
                let here = format!("{at}.{key}");
                match decoded.get(key) {
                    Some(decoded) => find_losses(value, decoded, &here, out),
                    None if is_empty(value) => {}
                    None => out.push(format!("unknown field `{here}`")),
                }
            }
        }
        (Value::Array(original), Value::Array(decoded)) if original.len() == decoded.len() => {
            for (i, (original, decoded)) in original.iter().zip(decoded).enumerate() {
                find_losses(original, decoded, &format!("{at}[{i}]"), out);
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (original, decoded) if original == decoded => {}
        (original, decoded) => out.push(format!("`{at}` was {original}, decodes as {decoded}")),
    }
}
