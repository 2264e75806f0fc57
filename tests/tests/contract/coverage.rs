//! The coverage gate: every operation of the spec files, read at run time,
//! has a fixture, a raw method, an ergonomic call with an end-to-end case
//! (the table in tests/src/cases.rs), and a mock route. Adding an operation
//! to the spec without the rest turns this red, with a list of the gaps.

use std::collections::HashSet;
use std::path::Path;

use openai_contract_tests::cases::{CASES, fixtures_dir};
use openai_rest_mock::{MockOptions, OpenAiMock};
use openai_rest_raw::operations::{Api, OPERATIONS};
use serde_json::Value;

/// (api, operationId, method, path) of every operation in one spec file.
fn spec_operations(file: &str, api: Api) -> Vec<(Api, String, String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../openapi")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("the spec file");
    let spec: Value = serde_norway::from_str(&text).expect("YAML");
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
                out.push((api, id.to_owned(), method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// Whether the mock routes `method path`: anything but 404 and 405 (a 400
/// for the empty body is a routed request).
async fn mock_routes(mock: &OpenAiMock, api: Api, method: &str, path: &str) -> bool {
    let path: String = path
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "probe-id"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let url = match api {
        Api::OpenAi => format!("{}{path}", mock.base_url()),
        Api::Azure => format!(
            "{}/openai{path}?api-version=2022-12-01",
            mock.azure_endpoint()
        ),
    };
    let response = openai_contract_tests::http()
        .request(method.parse().expect("a method"), url)
        .bearer_auth("sk-probe")
        .header("api-key", "probe")
        .send()
        .await
        .expect("the mock answers");
    !matches!(response.status().as_u16(), 404 | 405)
}

#[tokio::test]
async fn every_operation_has_a_fixture_raw_method_ergonomic_call_mock_route_and_test() {
    let mut operations = spec_operations("openai.yaml", Api::OpenAi);
    operations.extend(spec_operations("azure.yaml", Api::Azure));
    assert!(
        operations.len() >= 43,
        "the spec files list {} operations",
        operations.len()
    );

    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let mut gaps = Vec::new();
    for (api, id, method, path) in &operations {
        let mut missing = Vec::new();
        let fixtures = std::fs::read_dir(fixtures_dir().join(id))
            .map(|d| d.count())
            .unwrap_or(0);
        if fixtures == 0 {
            missing.push("a fixture");
        }
        let raw = OPERATIONS
            .iter()
            .find(|op| op.api == *api && op.id.as_str() == id && !op.raw_methods.is_empty());
        if raw.is_none() {
            missing.push("a raw method (run `cargo xtask codegen`)");
        }
        if !CASES
            .iter()
            .any(|case| case.api == *api && case.operation.as_str() == id)
        {
            missing.push("an ergonomic call with an end-to-end case (tests/src/cases.rs)");
        }
        if !mock_routes(&mock, *api, method, path).await {
            missing.push("a mock route");
        }
        if !missing.is_empty() {
            gaps.push(format!(
                "{api:?} {id} ({method} {path}) lacks {}",
                missing.join(", ")
            ));
        }
    }

    // And the other way: no case for an operation the spec does not have.
    let known: HashSet<(Api, &str)> = operations
        .iter()
        .map(|(api, id, ..)| (*api, id.as_str()))
        .collect();
    for case in CASES {
        if !known.contains(&(case.api, case.operation.as_str())) {
            gaps.push(format!(
                "case {} covers {:?} {}, which the spec does not have",
                case.name, case.api, case.operation
            ));
        }
    }
    assert!(gaps.is_empty(), "{} gaps:\n{}", gaps.len(), gaps.join("\n"));
}

#[tokio::test]
async fn the_route_probe_sees_a_missing_route() {
    // Guards the gate itself: a path no operation has is not routed.
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    assert!(!mock_routes(&mock, Api::OpenAi, "GET", "/no-such-operation").await);
    assert!(!mock_routes(&mock, Api::OpenAi, "PUT", "/models").await);
    assert!(mock_routes(&mock, Api::OpenAi, "GET", "/models/{model}").await);
    assert!(mock_routes(&mock, Api::Azure, "DELETE", "/deployments/{deployment-id}").await);
}
