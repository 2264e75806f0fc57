//! For every JSON request type, arbitrary valid values (generated from the
//! spec) are accepted by openai-rest-mock: the spec, the generator and the mock's
//! validation agree. (That they decode back to equal values, without nulls
//! they did not have, is tests/tests/contract/roundtrip.rs.)

use openai_contract_tests::arbitrary;
use openai_rest_mock::{MockOptions, OpenAiMock};
use openai_rest_raw::operations::{Api, OPERATIONS};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

/// Requests tried per operation.
const CASES: usize = 32;

#[tokio::test]
async fn the_mock_accepts_arbitrary_valid_requests_of_every_json_operation() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let http = openai_contract_tests::http();
    let mut runner = TestRunner::deterministic();
    let mut tried = 0;
    for op in OPERATIONS {
        let Some(body) = op.request.filter(|b| b.media_type == "application/json") else {
            continue;
        };
        let schema = body.schema.expect("JSON bodies are components");
        let strategy = arbitrary::valid(schema);
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
