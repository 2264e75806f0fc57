//! `x-rules`: what the API required across the fields of a request, which
//! JSON Schema cannot say. A request schema lists them at its top level:
//!
//! ```yaml
//! x-rules:
//!   - field: best_of      # best_of, when set, is not less than n
//!     notLessThan: n      # (n's `default` when n is not set)
//!   - field: best_of      # best_of is at most 1 while stream is true
//!     maximum: 1
//!     when: {stream: true}
//! ```
//!
//! A rule about a field that is absent or `null` holds.

use serde_json::Value;

use crate::keywords;
use crate::violation::Violation;

pub(crate) struct Rule {
    field: String,
    /// The rule applies only while this field has this value.
    when: Option<(String, Value)>,
    check: Check,
}

enum Check {
    /// Not less than the other field, or its default.
    NotLessThan {
        other: String,
        default: Value,
    },
    Maximum(f64),
}

/// The `x-rules` of a schema.
pub(crate) fn parse(schema: &Value) -> Result<Vec<Rule>, String> {
    let Some(rules) = schema.get("x-rules") else {
        return Ok(Vec::new());
    };
    let rules = rules.as_array().ok_or("`x-rules` is not a list")?;
    rules.iter().map(|rule| parse_rule(schema, rule)).collect()
}

fn parse_rule(schema: &Value, rule: &Value) -> Result<Rule, String> {
    let text = |key: &str| rule.get(key).and_then(Value::as_str).map(str::to_owned);
    let field = text("field").ok_or_else(|| format!("an x-rule without a `field`: {rule}"))?;
    let when = match rule.get("when").map(Value::as_object) {
        None => None,
        Some(Some(when)) if when.len() == 1 => {
            when.iter().next().map(|(k, v)| (k.clone(), v.clone()))
        }
        Some(_) => return Err(format!("`when` of an x-rule names one field: {rule}")),
    };
    let check = match (
        text("notLessThan"),
        rule.get("maximum").and_then(Value::as_f64),
    ) {
        (Some(other), None) => {
            let default = schema
                .pointer(&format!("/properties/{other}/default"))
                .cloned()
                .unwrap_or(Value::Null);
            Check::NotLessThan { other, default }
        }
        (None, Some(limit)) => Check::Maximum(limit),
        _ => {
            return Err(format!(
                "an x-rule has one of `notLessThan` or `maximum`: {rule}"
            ));
        }
    };
    Ok(Rule { field, when, check })
}

/// The first rule `value` breaks.
pub(crate) fn broken(rules: &[Rule], value: &Value) -> Option<Violation> {
    rules.iter().find_map(|rule| rule.broken(value))
}

impl Rule {
    fn broken(&self, object: &Value) -> Option<Violation> {
        let object = object.as_object()?;
        if let Some((when, is)) = &self.when
            && object.get(when) != Some(is)
        {
            return None;
        }
        let checked = match &self.check {
            Check::NotLessThan { other, default } => {
                keywords::not_less_than(object, &self.field, other, default)
            }
            Check::Maximum(limit) => keywords::maximum_when(
                object,
                &self.field,
                *limit,
                self.when.as_ref().map(|(name, is)| (name.as_str(), is)),
            ),
        };
        checked.err()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rules() -> Vec<Rule> {
        let schema = json!({
            "properties": {"n": {"default": 1}},
            "x-rules": [
                {"field": "best_of", "notLessThan": "n"},
                {"field": "best_of", "maximum": 1, "when": {"stream": true}}
            ]
        });
        parse(&schema).unwrap()
    }

    #[test]
    fn not_less_than_uses_the_other_field_or_its_default() {
        let rules = rules();
        assert!(broken(&rules, &json!({"best_of": 3, "n": 3})).is_none());
        assert!(broken(&rules, &json!({"best_of": 1})).is_none());
        assert!(broken(&rules, &json!({"best_of": null, "n": 4})).is_none());
        let violation = broken(&rules, &json!({"best_of": 0})).unwrap();
        assert_eq!(
            violation.to_string(),
            "best_of (0) must be greater than or equal to n (1)"
        );
        let violation = broken(&rules, &json!({"best_of": 2, "n": 3})).unwrap();
        assert_eq!(violation.param().as_deref(), Some("best_of"));
    }

    #[test]
    fn maximum_applies_only_when_the_other_field_has_its_value() {
        let rules = rules();
        assert!(broken(&rules, &json!({"best_of": 1, "stream": true})).is_none());
        assert!(broken(&rules, &json!({"best_of": 2, "stream": false})).is_none());
        let violation = broken(&rules, &json!({"best_of": 2, "stream": true})).unwrap();
        assert_eq!(
            violation.to_string(),
            "best_of cannot be greater than 1 when stream is true"
        );
    }

    #[test]
    fn a_malformed_rule_is_an_error() {
        assert!(parse(&json!({"x-rules": [{"notLessThan": "n"}]})).is_err());
        assert!(parse(&json!({"x-rules": [{"field": "a"}]})).is_err());
        assert!(parse(&json!({"x-rules": {"field": "a"}})).is_err());
    }
}
