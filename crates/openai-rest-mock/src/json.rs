//! A JSON document that keeps the order of its object keys.
//!
//! The fixtures print their fields in the order of the docs; an answer built
//! from one (an echoed `model`, `n` choices) keeps that order. serde_json
//! keeps it only with its `preserve_order` feature, which would change
//! `serde_json::Map` for every crate of the workspace.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        match self {
            Json::Object(fields) => fields.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Replaces the value of `key` where the document has it; a field the
    /// document does not have is not added.
    pub(crate) fn replace(&mut self, key: &str, value: Json) {
        if let Some(slot) = self.get_mut(key) {
            *slot = value;
        }
    }

    /// Sets `key` to `value`: replaced where the document has it, added
    /// last where it has not.
    pub(crate) fn set(&mut self, key: &str, value: Json) {
        if let Json::Object(fields) = self {
            match fields.iter_mut().find(|(k, _)| k == key) {
                Some((_, slot)) => *slot = value,
                None => fields.push((key.to_owned(), value)),
            }
        }
    }

    /// Removes `key` where the document has it.
    pub(crate) fn remove(&mut self, key: &str) {
        if let Json::Object(fields) = self {
            fields.retain(|(k, _)| k != key);
        }
    }

    pub(crate) fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// Applies a JSON merge patch (RFC 7396): each member of an object
    /// patch is merged into the member of the same name (added if missing),
    /// `null` removes it; a patch that is not an object replaces the whole.
    pub(crate) fn merge_patch(&mut self, patch: &Json) {
        let Json::Object(members) = patch else {
            *self = patch.clone();
            return;
        };
        if !matches!(self, Json::Object(_)) {
            *self = Json::Object(Vec::new());
        }
        let Json::Object(fields) = self else {
            return;
        };
        for (key, value) in members {
            if *value == Json::Null {
                fields.retain(|(k, _)| k != key);
                continue;
            }
            match fields.iter_mut().find(|(k, _)| k == key) {
                Some((_, slot)) => slot.merge_patch(value),
                None => {
                    let mut added = Json::Null;
                    added.merge_patch(value);
                    fields.push((key.clone(), added));
                }
            }
        }
    }

    pub(crate) fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    pub(crate) fn as_array_mut(&mut self) -> Option<&mut Vec<Json>> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    pub(crate) fn to_bytes(&self, pretty: bool) -> Vec<u8> {
        // Serializing an in-memory tree with string keys cannot fail.
        let mut bytes = if pretty {
            serde_json::to_vec_pretty(self)
        } else {
            serde_json::to_vec(self)
        }
        .unwrap_or_default();
        if pretty {
            bytes.push(b'\n');
        }
        bytes
    }
}

impl From<&serde_json::Value> for Json {
    fn from(value: &serde_json::Value) -> Self {
        use serde_json::Value;
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::String(s) => Json::String(s.clone()),
            Value::Array(items) => Json::Array(items.iter().map(Json::from).collect()),
            Value::Object(map) => Json::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Json::from(v)))
                    .collect(),
            ),
        }
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Self {
        Json::String(s.to_owned())
    }
}

impl From<u64> for Json {
    fn from(n: u64) -> Self {
        Json::Number(n.into())
    }
}

/// A comparison with a string that makes no `Json` of it: the answers
/// compare the fixture's fields with the request's before copying.
impl PartialEq<&str> for Json {
    fn eq(&self, other: &&str) -> bool {
        matches!(self, Json::String(s) if s == other)
    }
}

impl PartialEq<u64> for Json {
    fn eq(&self, other: &u64) -> bool {
        self.as_u64() == Some(*other)
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Number(n) => n.serialize(serializer),
            Json::String(s) => serializer.serialize_str(s),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (key, value) in fields {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(n)
            .map(Json::Number)
            .ok_or_else(|| E::custom("a number JSON cannot hold"))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut fields = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            fields.push((key, value));
        }
        Ok(Json::Object(fields))
    }
}

#[cfg(test)]
mod tests {
    use super::Json;

    #[test]
    fn keeps_key_order_through_a_round_trip() {
        let text = r#"{"zeta": 1, "alpha": [true, null, 2.5], "mid": {"b": "x", "a": -3}}"#;
        let json: Json = serde_json::from_str(text).unwrap();
        assert_eq!(
            String::from_utf8(json.to_bytes(false)).unwrap(),
            r#"{"zeta":1,"alpha":[true,null,2.5],"mid":{"b":"x","a":-3}}"#
        );
    }

    #[test]
    fn replace_changes_only_existing_fields() {
        let mut json: Json = serde_json::from_str(r#"{"id": "a", "object": "model"}"#).unwrap();
        json.replace("id", "b".into());
        json.replace("missing", "c".into());
        assert_eq!(json.to_bytes(false), br#"{"id":"b","object":"model"}"#);
    }

    #[test]
    fn a_merge_patch_replaces_adds_and_removes_as_rfc_7396_says() {
        let parse = |text: &str| -> Json { serde_json::from_str(text).unwrap() };
        let mut doc =
            parse(r#"{"model": "a", "scale_settings": {"scale_type": "manual", "capacity": 2}}"#);
        doc.merge_patch(&parse(
            r#"{"scale_settings": {"scale_type": "standard", "capacity": null}, "owner": {"x": null, "y": 1}}"#,
        ));
        assert_eq!(
            doc.to_bytes(false),
            br#"{"model":"a","scale_settings":{"scale_type":"standard"},"owner":{"y":1}}"#
        );
        doc.merge_patch(&parse(r#"{"model": null, "owner": [1]}"#));
        assert_eq!(
            doc.to_bytes(false),
            br#"{"scale_settings":{"scale_type":"standard"},"owner":[1]}"#
        );
        doc.merge_patch(&parse("3"));
        assert_eq!(doc, parse("3"));
    }
}
