//! Every operation of both specs, end to end: openai-rest-client calls openai-rest-mock,
//! gets the documented response decoded into the generated type (or into
//! the client's own type, for files, fine-tunes and models), and that is
//! compared field by field with the fixture read the same way; streams are
//! read to the end.
//! Azure's cases run with both kinds of auth. What each call sent is a
//! reviewed insta snapshot (tests/tests/contract/snapshots/).

use openai_contract_tests::cases::{CASES, Case, Ids, Output, fixtures_dir};
use openai_contract_tests::lossless::losses;
use openai_contract_tests::wire;
use openai_rest_client::files::File;
use openai_rest_client::fine_tunes::FineTune;
use openai_rest_client::models::Model;
use openai_rest_client::{AzureAuth, AzureConfig, Client, List};
use openai_rest_mock::{MockOptions, OpenAiMock};
use openai_rest_raw::azure::types as azure_types;
use openai_rest_raw::operations::{Api, OperationId};
use openai_rest_raw::types as openai_types;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A fixture decoded as the raw type `R`, converted into the client's `T`
/// and encoded back.
fn via<R: DeserializeOwned, T: From<R> + Serialize>(bytes: &[u8]) -> Value {
    let raw: R = serde_json::from_slice(bytes).expect("the fixture decodes");
    serde_json::to_value(T::from(raw)).expect("the client's types serialize")
}

/// The JSON fixture of `case` as the call must answer it: files,
/// fine-tunes and models are the client's own types, which hold either
/// API's shape; the rest are the generated types, encoded as the fixture.
fn expected(case: &Case, bytes: &[u8]) -> Value {
    use OperationId::*;
    let read = match (case.api, case.operation) {
        (Api::OpenAi, ListFiles) => via::<openai_types::ListFilesResponse, List<File>>,
        (Api::OpenAi, CreateFile | RetrieveFile) => via::<openai_types::OpenAiFile, File>,
        (Api::OpenAi, ListFineTunes) => via::<openai_types::ListFineTunesResponse, List<FineTune>>,
        (Api::OpenAi, CreateFineTune | RetrieveFineTune | CancelFineTune) => {
            via::<openai_types::FineTune, FineTune>
        }
        (Api::OpenAi, ListModels) => via::<openai_types::ListModelsResponse, List<Model>>,
        (Api::OpenAi, RetrieveModel) => via::<openai_types::Model, Model>,
        (Api::Azure, ListFiles) => via::<azure_types::AzureFileList, List<File>>,
        (Api::Azure, CreateFile | RetrieveFile | ImportFile) => via::<azure_types::AzureFile, File>,
        (Api::Azure, ListFineTunes) => via::<azure_types::AzureFineTuneList, List<FineTune>>,
        (Api::Azure, CreateFineTune | RetrieveFineTune | CancelFineTune) => {
            via::<azure_types::AzureFineTune, FineTune>
        }
        (Api::Azure, ListModels) => via::<azure_types::AzureModelList, List<Model>>,
        (Api::Azure, RetrieveModel) => via::<azure_types::AzureModel, Model>,
        _ => |bytes: &[u8]| serde_json::from_slice(bytes).expect("a JSON fixture"),
    };
    let mut expected = read(bytes);
    if (case.api, case.operation) == (Api::Azure, CreateFile) {
        // The mock answers the name uploaded (Azure's example uploads
        // puppy.jsonl).
        expected["filename"] = "mydata.jsonl".into();
    }
    expected
}

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
        Output::Json(got) => both_ways(&expected(case, &bytes), got),
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
            let result = (case.run)(client, &Ids::documented(*api)).await;
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
