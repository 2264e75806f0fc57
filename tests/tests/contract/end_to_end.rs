//! Every operation of both specs, end to end: openai-rest-client calls openai-rest-mock,
//! gets the documented response decoded into the generated type, and that
//! is compared field by field with the fixture; streams are read to the end.
//! Azure's cases run with both kinds of auth. What each call sent is a
//! reviewed insta snapshot (tests/tests/contract/snapshots/).

use openai_contract_tests::cases::{CASES, Case, Ids, Output, fixtures_dir};
use openai_contract_tests::lossless::losses;
use openai_contract_tests::wire;
use openai_rest_client::{AzureAuth, AzureConfig, Client};
use openai_rest_mock::{MockOptions, OpenAiMock};
use openai_rest_raw::operations::Api;
use serde_json::Value;

fn openai(mock: &OpenAiMock) -> Client {
    Client::builder()
        .api_key("sk-contract-test-key")
        .organization("org-xpMoAv99i8jdZvhGXPfiRXug")
        .base_url(mock.base_url())
        .max_retries(0)
        .build()
        .expect("a client")
}

fn azure(mock: &OpenAiMock, auth: AzureAuth) -> Client {
    let config = AzureConfig::new(mock.azure_endpoint(), auth)
        .deployment("deployment-8f3c2a1e9d7b4c6a9e5f0b2d4c6e8a1f");
    Client::builder()
        .azure(config)
        .max_retries(0)
        .build()
        .expect("an Azure client")
}

/// Compares what a case got with its fixture; the differences, if any.
fn compare(case: &Case, output: &Output) -> Vec<String> {
    let Some(fixture) = case.fixture else {
        return match output {
            Output::Empty => vec![],
            other => vec![format!("expected no body, got {other:?}")],
        };
    };
    let bytes = std::fs::read(fixtures_dir().join(fixture)).expect("the fixture exists");
    let both_ways = |expected: &Value, got: &Value| {
        let mut out = losses(expected, got);
        out.extend(
            losses(got, expected)
                .into_iter()
                .map(|l| format!("extra: {l}")),
        );
        out
    };
    match output {
        Output::Json(got) => {
            let expected: Value = serde_json::from_slice(&bytes).expect("a JSON fixture");
            both_ways(&expected, got)
        }
        Output::Events(got) => {
            let text = String::from_utf8(bytes).expect("an SSE fixture");
            let expected: Vec<Value> = text
                .split("\n\n")
                .filter_map(|event| event.strip_prefix("data: "))
                .filter(|data| *data != "[DONE]")
                .map(|data| serde_json::from_str(data).expect("JSON events"))
                .collect();
            if expected.len() != got.len() {
                return vec![format!("{} events, expected {}", got.len(), expected.len())];
            }
            expected
                .iter()
                .zip(got)
                .enumerate()
                .flat_map(|(i, (e, g))| {
                    both_ways(e, g)
                        .into_iter()
                        .map(move |l| format!("event {i}: {l}"))
                })
                .collect()
        }
        Output::Text(got) => {
            let expected = String::from_utf8(bytes).expect("a text fixture");
            if *got == expected {
                vec![]
            } else {
                vec![format!("text {got:?}, expected {expected:?}")]
            }
        }
        Output::Bytes(got) => {
            if *got == bytes {
                vec![]
            } else {
                vec![format!(
                    "{} bytes differ from the fixture's {}",
                    got.len(),
                    bytes.len()
                )]
            }
        }
        Output::Empty => vec!["no body, expected the fixture".into()],
    }
}

#[tokio::test]
async fn every_operation_end_to_end_with_its_wire_snapshot() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let clients = [
        ("openai", Api::OpenAi, openai(&mock)),
        (
            "azure_api_key",
            Api::Azure,
            azure(&mock, AzureAuth::api_key("azure-contract-key")),
        ),
        (
            "azure_ad_token",
            Api::Azure,
            azure(&mock, AzureAuth::ad_token("azure-ad-contract-token")),
        ),
    ];
    let ids = Ids::documented();
    let mut problems = Vec::new();
    let mut runs = 0;
    for case in CASES {
        for (kind, api, client) in &clients {
            if *api != case.api {
                continue;
            }
            runs += 1;
            let before = mock
                .server()
                .received_requests()
                .await
                .unwrap_or_default()
                .len();
            let result = (case.run)(client, &ids).await;
            let sent = mock.server().received_requests().await.unwrap_or_default();
            match &result {
                Ok(output) => problems.extend(
                    compare(case, output)
                        .into_iter()
                        .map(|p| format!("{kind} {} ({}): {p}", case.name, case.call)),
                ),
                Err(error) => {
                    problems.push(format!("{kind} {} ({}): {error}", case.name, case.call))
                }
            }
            let wire: Vec<String> = sent[before..].iter().map(wire::describe).collect();
            insta::with_settings!({
                snapshot_path => "snapshots",
                prepend_module_to_snapshot => false,
                description => case.call,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(format!("{kind}__{}", case.name), wire.join("\n"));
            });
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        runs > CASES.len(),
        "the Azure cases run twice, once per kind of auth"
    );
}
