//! The client and the mock give the same verdict on every JSON request: for
//! arbitrary valid values of each request schema, and for those values made
//! invalid one field at a time (out of its bounds, not one of its values, of
//! another type, or a field the API did not know). What the client accepts
//! it sends, and the mock answers it; what the client refuses before
//! sending, the mock refuses when it gets it. Both read one rulebook,
//! openai-rest-spec; this proves that the pipelines around it agree.

use openai_contract_tests::arbitrary;
use openai_rest_client::types::{
    CreateChatCompletionRequest, CreateCompletionRequest, CreateDeploymentRequest,
    CreateEditRequest, CreateEmbeddingRequest, CreateFineTuneRequest, CreateImageRequest,
    CreateModerationRequest, ImportFileRequest,
};
use openai_rest_client::{AzureAuth, AzureConfig, Client, Error};
use openai_rest_mock::{MockOptions, OpenAiMock};
use openai_rest_raw::operations::{Api, OPERATIONS, Operation};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};

/// Valid values per schema, each also made invalid one field at a time.
const CASES: usize = 4;

/// Whether the client accepts `json` (and then the mock answered it with
/// success); `None` when the client's types cannot even hold it (a field of
/// another JSON type).
async fn client_accepts(client: &Client, schema: &str, json: &Value) -> Option<bool> {
    macro_rules! call {
        ($ty:ty, |$request:ident| $call:expr) => {{
            let $request: $ty = serde_json::from_value(json.clone()).ok()?;
            $call.await.map(drop)
        }};
    }
    let result = match schema {
        "CreateCompletionRequest" => call!(CreateCompletionRequest, |request| async {
            match request.stream {
                Some(true) => client.completions().create_stream(request).await.map(drop),
                _ => client.completions().create(request).await.map(drop),
            }
        }),
        "CreateChatCompletionRequest" => call!(CreateChatCompletionRequest, |request| async {
            match request.stream {
                Some(true) => client.chat().create_stream(request).await.map(drop),
                _ => client.chat().create(request).await.map(drop),
            }
        }),
        "CreateEditRequest" => call!(CreateEditRequest, |request| client.edits().create(request)),
        "CreateImageRequest" => {
            call!(CreateImageRequest, |request| client
                .images()
                .create(request))
        }
        "CreateEmbeddingRequest" => call!(CreateEmbeddingRequest, |request| client
            .embeddings()
            .create(request)),
        // Azure's rules for the same call: `model` required.
        "CreateFineTuneRequest" | "AzureCreateFineTuneRequest" => {
            call!(CreateFineTuneRequest, |request| client
                .fine_tunes()
                .create(request))
        }
        "CreateModerationRequest" => call!(CreateModerationRequest, |request| client
            .moderations()
            .create(request)),
        "ImportFileRequest" => call!(ImportFileRequest, |request| client.files().import(request)),
        "CreateDeploymentRequest" => call!(CreateDeploymentRequest, |request| client
            .deployments()
            .create(request)),
        other => panic!("no client call for {other}: add one to this test"),
    };
    match result {
        Ok(()) => Some(true),
        Err(Error::InvalidArgument(_)) => Some(false),
        Err(error) => panic!("{schema}: the client sent {json} and got {error}"),
    }
}

/// Whether the mock accepts `json` sent as it is.
async fn mock_accepts(mock: &OpenAiMock, op: &Operation, json: &Value) -> bool {
    let url = match op.api {
        Api::OpenAi => format!("{}{}", mock.base_url(), op.path),
        Api::Azure => format!(
            "{}/openai{}?api-version=2022-12-01",
            mock.azure_endpoint(),
            op.path.replace("{deployment-id}", "deployment-1")
        ),
    };
    let response = openai_contract_tests::http()
        .request(op.method.parse().unwrap(), url)
        .bearer_auth("sk-verdicts")
        .json(json)
        .send()
        .await
        .expect("the mock answers");
    match response.status().as_u16() {
        400 => false,
        status if status == op.success => true,
        status => panic!("{} answered {status} to {json}", op.id),
    }
}

/// The schema a property holds: through `$ref`s, and past a nullable
/// field's `null` form.
fn property_schema(property: &Value) -> Value {
    let document = openai_rest_spec::document();
    let schema = openai_rest_spec::resolve(document, property).unwrap();
    match schema.get("anyOf").and_then(Value::as_array) {
        Some(forms) => forms
            .iter()
            .find(|form| form.get("type") != Some(&json!("null")))
            .map(property_schema)
            .unwrap_or_else(|| schema.clone()),
        None => schema.clone(),
    }
}

/// `valid` made invalid at one field at a time, in each way its schema
/// allows.
fn invalid_variants(schema: &Value, valid: &Value) -> Vec<Value> {
    let mut out = vec![];
    let mut with = |field: &str, value: Value| {
        let mut variant = valid.clone();
        variant[field] = value;
        out.push(variant);
    };
    with("not_a_parameter", json!(1));
    for (field, property) in schema["properties"].as_object().into_iter().flatten() {
        let property = property_schema(property);
        let number = |key: &str| property.get(key).and_then(Value::as_f64);
        if let Some(max) = number("maximum") {
            with(field, json!(max + 1.0));
        }
        if let Some(min) = number("minimum") {
            with(field, json!(min - 1.0));
        }
        if let Some(min) = number("exclusiveMinimum") {
            with(field, json!(min));
        }
        if let Some(max) = number("maxLength") {
            with(field, json!("x".repeat(max as usize + 1)));
        }
        if number("minLength").is_some_and(|min| min > 0.0) {
            with(field, json!(""));
        }
        if let Some(max) = number("maxItems") {
            with(field, json!(vec!["x"; max as usize + 1]));
        }
        if number("minItems").is_some_and(|min| min > 0.0) {
            with(field, json!([]));
        }
        if property.get("enum").is_some() {
            with(field, json!("not-one-of-them"));
        }
        with(field, json!({"of": "another type"}));
    }
    out
}

#[tokio::test]
async fn the_client_and_the_mock_agree_on_every_json_request() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let openai = Client::builder()
        .api_key("sk-verdicts")
        .base_url(mock.base_url())
        .max_retries(0)
        .build()
        .unwrap();
    let azure = Client::builder()
        .azure(AzureConfig::new(
            mock.azure_endpoint(),
            AzureAuth::api_key("key"),
        ))
        .max_retries(0)
        .build()
        .unwrap();
    let mut runner = TestRunner::deterministic();
    let (mut agreed, mut refused) = (0, 0);
    for op in OPERATIONS {
        let Some(schema) = op
            .request
            .filter(|body| body.media_type == "application/json")
            .and_then(|body| body.schema)
        else {
            continue;
        };
        // Azure's completions and embeddings are OpenAI's, by deployment.
        if op.api == Api::Azure && op.path.starts_with("/deployments/{") {
            continue;
        }
        let client = if op.api == Api::Azure {
            &azure
        } else {
            &openai
        };
        let strategy = arbitrary::valid(schema);
        let schema_json = openai_rest_spec::schema(schema).unwrap().json();
        for _ in 0..CASES {
            let valid = strategy.new_tree(&mut runner).unwrap().current();
            for (json, is_valid) in std::iter::once((valid.clone(), true)).chain(
                invalid_variants(schema_json, &valid)
                    .into_iter()
                    .map(|v| (v, false)),
            ) {
                let by_mock = mock_accepts(&mock, op, &json).await;
                if is_valid {
                    assert!(by_mock, "{} refused the valid {json}", op.id);
                }
                let Some(by_client) = client_accepts(client, schema, &json).await else {
                    // Only a value of another JSON type cannot be typed.
                    assert!(
                        !by_mock,
                        "{}: the mock accepts {json}, the types cannot hold it",
                        op.id
                    );
                    continue;
                };
                assert_eq!(
                    by_client,
                    by_mock,
                    "{}: the client {} {json}, the mock {}",
                    op.id,
                    if by_client { "accepts" } else { "refuses" },
                    if by_mock { "accepts it" } else { "refuses it" },
                );
                agreed += 1;
                refused += usize::from(!by_mock);
            }
        }
    }
    assert!(
        agreed >= 100 && refused >= 50,
        "{agreed} verdicts, {refused} refusals"
    );
}
