//! Round trips, for every schema of both specs: arbitrary valid values
//! (generated from the spec itself) decode into the generated type and encode
//! back without a loss, and no field left unset is sent as `null`.

use openai_contract_tests::arbitrary;
use openai_contract_tests::decode::roundtrip;
use openai_contract_tests::lossless::check_lossless;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

/// Values tried per schema: enough to reach every optional field and branch
/// of the small schemas of this API, few enough for a quick suite.
const CASES: u32 = 64;

/// Schemas the generated code inlines (a bare primitive, or one that may be
/// null) have no type.
fn is_primitive_alias(schema: &Value) -> bool {
    let kind = match schema.get("type") {
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|kind| *kind != "null"),
        kind => kind.and_then(Value::as_str),
    };
    matches!(kind, Some("string" | "number" | "integer" | "boolean"))
        && schema.get("enum").is_none()
        && schema.get("maxLength").is_none()
}

#[test]
fn every_schema_round_trips_arbitrary_valid_values() {
    let mut checked = 0;
    for name in openai_rest_spec::names() {
        let schema = &openai_rest_spec::document()["$defs"][name];
        if roundtrip(name, b"null").is_none() {
            assert!(
                is_primitive_alias(schema),
                "schema `{name}` has no generated type"
            );
            continue;
        }
        let strategy = arbitrary::valid(name);
        let mut runner = TestRunner::new(Config {
            cases: CASES,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&strategy, |value| {
            let json = serde_json::to_vec(&value).unwrap();
            check_lossless(name, &json).map_err(proptest::test_runner::TestCaseError::fail)?;
            // What the type encodes never holds a null the value did not have.
            let encoded = roundtrip(name, &json).unwrap().unwrap();
            proptest::prop_assert!(
                nulls(&encoded) <= nulls(&value),
                "`{name}` encodes {encoded} from {value}"
            );
            Ok(())
        });
        if let Err(error) = result {
            panic!("schema `{name}`: {error}");
        }
        checked += 1;
    }
    assert!(checked > 60, "only {checked} schemas checked");
}

fn nulls(value: &Value) -> usize {
    match value {
        Value::Null => 1,
        Value::Array(items) => items.iter().map(nulls).sum(),
        Value::Object(map) => map.values().map(nulls).sum(),
        _ => 0,
    }
}

/// The generator itself is exercised on a real request type.
#[test]
fn generated_completion_requests_respect_the_documented_bounds() {
    let strategy = arbitrary::valid("CreateCompletionRequest");
    let mut runner = TestRunner::deterministic();
    for _ in 0..200 {
        let value = strategy.new_tree(&mut runner).unwrap().current();
        assert!(value["model"].is_string());
        if let Some(n) = value.get("logprobs").and_then(Value::as_i64) {
            assert!((0..=5).contains(&n), "{value}");
        }
        if let Some(stop) = value.get("stop").and_then(Value::as_array) {
            assert!((1..=4).contains(&stop.len()), "{value}");
        }
        if let Some(t) = value.get("temperature").and_then(Value::as_f64) {
            assert!((0.0..=2.0).contains(&t), "{value}");
        }
    }
}
