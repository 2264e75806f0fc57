//! For every JSON request type, arbitrary valid values (generated from the
//! spec) are accepted by openai-rest-mock: the spec, the generator and the mock's
//! validation agree. (That they decode back to equal values, without nulls
//! they did not have, is tests/tests/roundtrip.rs.)

use openai_contract_tests::arbitrary;
use openai_rest_mock::OpenAiMock;
use openai_rest_raw::operations::{Api, OPERATIONS, spec_json};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::Value;

/// Requests tried per operation.
const CASES: usize = 32;

/// The rules the docs state across fields, which a schema cannot: for a
/// completion, "best_of must be greater than n" and its results "cannot be
/// streamed".
fn documented_cross_field_rules(schema: &str, mut request: Value) -> Value {
    if schema == "CreateCompletionRequest"
        && let Some(best_of) = request.get("best_of").and_then(Value::as_i64)
    {
        let best_of = best_of.max(1);
        let n = request
            .get("n")
            .and_then(Value::as_i64)
            .unwrap_or(1)
            .min(best_of);
        let streamed = request.get("stream") == Some(&Value::Bool(true));
        request["best_of"] = Value::from(if streamed { 1 } else { best_of });
        request["n"] = Value::from(if streamed { 1 } else { n });
    }
    request
}

#[tokio::test]
async fn the_mock_accepts_arbitrary_valid_requests_of_every_json_operation() {
    let mock = OpenAiMock::start().await;
    let http = reqwest::Client::new();
    let mut runner = TestRunner::deterministic();
    let mut tried = 0;
    for op in OPERATIONS {
        let Some(body) = op.request.filter(|b| b.media_type == "application/json") else {
            continue;
        };
        let schema = body.schema.expect("JSON bodies are components");
        let spec: Value = serde_json::from_str(spec_json(op.api)).unwrap();
        let reference = serde_json::json!({ "$ref": format!("#/components/schemas/{schema}") });
        let strategy = arbitrary::value(&spec, &reference);
        let path = op.path.replace("{deployment-id}", "deployment-1");
        let url = match op.api {
            Api::OpenAi => format!("{}{path}", mock.base_url()),
            Api::Azure => format!(
                "{}/openai{path}?api-version=2022-12-01",
                mock.azure_endpoint()
            ),
        };
        for _ in 0..CASES {
            let request = strategy.new_tree(&mut runner).unwrap().current();
            let request = documented_cross_field_rules(schema, request);
            let response = http
                .request(op.method.parse().unwrap(), &url)
                .bearer_auth("sk-requests-test")
                .json(&request)
                .send()
                .await
                .expect("the mock answers");
            let status = response.status().as_u16();
            let answer = response.text().await.unwrap_or_default();
            assert_eq!(
                status, op.success,
                "{:?} {} refused {request}: {answer}",
                op.api, op.id
            );
            tried += 1;
        }
    }
    assert!(tried >= 9 * CASES, "only {tried} requests tried");
}
