//! Azure OpenAI: the URLs, the `api-version` query, both kinds of
//! authentication, every Azure operation, and the OpenAI-only ones refused.

use crate::common;

use common::*;
use futures::StreamExt;
use openai_rest_client::types::*;
use openai_rest_client::{
    AzureAuth, AzureConfig, Client, Error, List, Status, Upload, files, fine_tunes, models,
};
use openai_rest_mock::wiremock::{Mock, Request, ResponseTemplate};
use openai_rest_mock::{MockOptions, OpenAiMock, OperationId, operation};
use openai_rest_raw::azure::types::{
    AzureEventList, AzureFile, AzureFileList, AzureFineTune, AzureFineTuneList, AzureModel,
    AzureModelList,
};
use serde_json::json;

const AZURE_KEY: &str = "azure-key-0123456789abcdef";

fn key_client(mock: &OpenAiMock) -> Client {
    azure(mock, AzureAuth::api_key(AZURE_KEY))
}

/// The one request, checked for Azure's query and `api-key` header.
async fn sent_azure(mock: &OpenAiMock, verb: &str, route: &str) -> Request {
    let request = one_request(mock, verb, route).await;
    assert_eq!(request.url.query(), Some("api-version=2022-12-01"));
    assert_eq!(header(&request, "api-key").as_deref(), Some(AZURE_KEY));
    assert_eq!(header(&request, "authorization"), None);
    assert_eq!(header(&request, "openai-organization"), None);
    request
}

fn completion_request() -> builder::CreateCompletionRequest {
    CreateCompletionRequest::builder()
        .model("text-davinci-002")
        .prompt(Prompt::Text("The food was delicious and the waiter".into()))
        .stop(StopSequences::Single(".".into()))
        .temperature(0.0)
}

#[tokio::test]
async fn completions_go_to_the_deployment_with_the_api_key() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let route = "/openai/deployments/my-deployment/completions";
    // The same call as on OpenAI.
    let completion = key_client(&mock)
        .completions()
        .create(completion_request())
        .await
        .unwrap();
    // The mock answers with the model asked for.
    let expected: CreateCompletionResponse =
        documented_with(OperationId::CreateCompletion, |doc| {
            doc["model"] = json!("text-davinci-002")
        });
    assert_eq!(completion, expected);
    let sent = sent_azure(&mock, "POST", route).await;
    assert_eq!(
        json(&sent),
        json!({
            "model": "text-davinci-002",
            "prompt": "The food was delicious and the waiter",
            "stop": ".",
            "temperature": 0.0
        })
    );
}

#[tokio::test]
async fn an_ad_token_is_a_bearer_token_and_the_api_version_is_configurable() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let route = "/openai/deployments/other/completions";
    let client = Client::builder()
        .azure(
            AzureConfig::new(
                format!("{}/", mock.azure_endpoint()),
                AzureAuth::ad_token("ad-token-xyz"),
            )
            .api_version("2023-03-15-preview")
            .deployment("other"),
        )
        .build()
        .unwrap();
    client
        .completions()
        .create(completion_request())
        .await
        .unwrap();
    let sent = one_request(&mock, "POST", route).await;
    assert_eq!(sent.url.query(), Some("api-version=2023-03-15-preview"));
    assert_eq!(
        header(&sent, "authorization").as_deref(),
        Some("Bearer ad-token-xyz")
    );
    assert_eq!(header(&sent, "api-key"), None);
}

#[tokio::test]
async fn completion_streams_and_embeddings_go_to_the_deployment() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let route = "/openai/deployments/my-deployment/completions";
    let events: Vec<_> = key_client(&mock)
        .completions()
        .create_stream(completion_request())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(events.len(), 7);
    assert!(events.iter().all(Result::is_ok));
    let sent = sent_azure(&mock, "POST", route).await;
    assert_eq!(json(&sent)["stream"], json!(true));

    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let route = "/openai/deployments/embedder/embeddings";
    let request = CreateEmbeddingRequest::builder()
        .model("text-embedding-ada-002")
        .input(Prompt::Texts(vec!["a".into(), "b".into()]));
    let embedding = key_client(&mock)
        .with_deployment("embedder")
        .embeddings()
        .create(request)
        .await
        .unwrap();
    // The mock answers one embedding per input: the documented one, twice.
    let expected: CreateEmbeddingResponse = documented_with(OperationId::CreateEmbedding, |doc| {
        let one = doc["data"][0].clone();
        doc["data"] = json!([one.clone(), one]);
        doc["data"][1]["index"] = json!(1);
    });
    assert_eq!(embedding, expected);
    let sent = sent_azure(&mock, "POST", route).await;
    assert_eq!(json(&sent)["input"], json!(["a", "b"]));
}

#[tokio::test]
async fn completions_without_a_deployment_are_refused_before_sending() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let client = Client::builder()
        .azure(AzureConfig::new(
            mock.azure_endpoint(),
            AzureAuth::api_key(AZURE_KEY),
        ))
        .build()
        .unwrap();
    let error = client
        .completions()
        .create(completion_request())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidArgument(m) if m.contains("deployment")),
        "{error:?}"
    );
    assert!(received(&mock).await.is_empty());
}

#[tokio::test]
async fn azure_request_rules_are_checked_before_sending() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let client = key_client(&mock);
    let refused = |error: Error, field: &str| {
        assert!(
            matches!(&error, Error::InvalidArgument(m) if m.contains(&format!("`{field}"))),
            "{error:?}"
        );
    };
    // Azure has no default base model.
    let request = CreateFineTuneRequest::builder().training_file("file-1");
    refused(
        client.fine_tunes().create(request).await.unwrap_err(),
        "model",
    );
    // A file is for fine-tuning or its results.
    let upload = Upload::bytes(fixture(OperationId::DownloadFile, "response"), "a.jsonl");
    let error = client.files().create(upload, "answers").await.unwrap_err();
    assert!(error.to_string().contains("fine-tune-results"), "{error}");
    refused(error, "purpose");
    // Prompts are text.
    let request = completion_request().prompt(Prompt::Tokens(vec![1, 2]));
    refused(
        client.completions().create(request).await.unwrap_err(),
        "prompt",
    );
    let request = CreateEmbeddingRequest::builder()
        .model("text-embedding-ada-002")
        .input(Prompt::TokenArrays(vec![vec![1, 2]]));
    refused(
        client.embeddings().create(request).await.unwrap_err(),
        "input",
    );
    assert!(received(&mock).await.is_empty());

    // What Azure allows and OpenAI does not is sent: `best_of` up to 128.
    let request = completion_request().best_of(30);
    client.completions().create(request).await.unwrap();
    assert_eq!(
        json(
            &sent_azure(
                &mock,
                "POST",
                "/openai/deployments/my-deployment/completions"
            )
            .await
        )["best_of"],
        30
    );
    let request = completion_request().best_of(30);
    refused(
        openai(&mock)
            .completions()
            .create(request)
            .await
            .unwrap_err(),
        "best_of",
    );
}

#[tokio::test]
async fn a_file_is_imported_from_a_url_on_azure_only() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let url = "https://example.blob.core.windows.net/data/puppy.jsonl?sig=x";
    let request = ImportFileRequest::builder()
        .purpose(AzureFilePurpose::FineTune)
        .filename("puppy.jsonl")
        .content_url(url);
    let file = key_client(&mock)
        .files()
        .import(request.clone())
        .await
        .unwrap();
    // The mock answers the documented import.
    assert_eq!(
        file,
        converted::<AzureFile, _>(OperationId::ImportFile, "response")
    );
    let sent = sent_azure(&mock, "POST", "/openai/files/import").await;
    assert_eq!(
        json(&sent),
        json!({"purpose": "fine-tune", "filename": "puppy.jsonl", "content_url": url})
    );

    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let error = openai(&mock).files().import(request).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Unsupported {
                operation: "importFile",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(received(&mock).await.is_empty());
}

#[tokio::test]
async fn a_deployment_is_updated_with_a_merge_patch_on_azure_only() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let id = "deployment-8f3c2a1e9d7b4c6a9e5f0b2d4c6e8a1f";
    let request = UpdateDeploymentRequest::builder().scale_settings(Some(ScaleSettingsUpdate {
        scale_type: Some(ScaleType::Manual),
        capacity: Some(2),
    }));
    let deployment = key_client(&mock)
        .deployments()
        .update(id, request.clone())
        .await
        .unwrap();
    let expected: Deployment = documented_with(OperationId::UpdateDeployment, |doc| {
        doc["scale_settings"] = json!({"scale_type": "manual", "capacity": 2})
    });
    assert_eq!(deployment, expected);
    let sent = sent_azure(&mock, "PATCH", &format!("/openai/deployments/{id}")).await;
    assert_eq!(
        header(&sent, "content-type").as_deref(),
        Some("application/merge-patch+json")
    );
    assert_eq!(
        json(&sent),
        json!({"scale_settings": {"scale_type": "manual", "capacity": 2}})
    );

    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let error = openai(&mock)
        .deployments()
        .update(id, request)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Unsupported {
                operation: "updateDeployment",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(received(&mock).await.is_empty());
}

#[tokio::test]
async fn azure_inference_gateway_errors_are_the_same_typed_errors() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let client = Client::builder()
        .azure(
            AzureConfig::new(mock.azure_endpoint(), AzureAuth::api_key(AZURE_KEY)).deployment("d"),
        )
        .max_retries(0)
        .build()
        .unwrap();
    mock.fail_next(
        OperationId::CreateCompletion,
        1,
        openai_rest_mock::Fault::RateLimit,
    );
    let error = client
        .completions()
        .create(completion_request())
        .await
        .unwrap_err();
    let Error::RateLimit(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.code.as_deref(), Some("429"));
    assert!(
        api.message.contains("Completions_Create Operation"),
        "{api:?}"
    );
    mock.fail_next(
        OperationId::CreateEmbedding,
        1,
        openai_rest_mock::Fault::InvalidApiKey,
    );
    let request = CreateEmbeddingRequest::builder()
        .model("text-embedding-ada-002")
        .input(Prompt::Text("a".into()));
    let error = client.embeddings().create(request).await.unwrap_err();
    let Error::Authentication(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.code.as_deref(), Some("401"));
    assert!(api.message.starts_with("Access denied"), "{api:?}");
}

#[tokio::test]
async fn deployments_create_wait_list_retrieve_delete() {
    let id = "deployment-8f3c2a1e9d7b4c6a9e5f0b2d4c6e8a1f";

    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let request = CreateDeploymentRequest::builder()
        .model("text-davinci-002")
        .scale_settings(ScaleSettings::builder().scale_type(ScaleType::Standard));
    let deployment = key_client(&mock)
        .deployments()
        .create(request)
        .await
        .unwrap();
    assert_eq!(deployment, documented(OperationId::CreateDeployment));
    assert_eq!(deployment.status, State::NotRunning);
    let sent = sent_azure(&mock, "POST", "/openai/deployments").await;
    assert_eq!(
        json(&sent),
        json!({"model": "text-davinci-002", "scale_settings": {"scale_type": "standard"}})
    );

    // wait: polls until the status is final. Raw for the first two polls:
    // the mock's deployment is `succeeded` from the first.
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let route = format!("/openai/deployments/{id}");
    Mock::given(operation(OperationId::RetrieveDeployment))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture(OperationId::CreateDeployment, "response"),
            "application/json",
        ))
        .up_to_n_times(2)
        .mount(mock.server())
        .await;
    let deployment = key_client(&mock).deployments().wait(id).await.unwrap();
    assert_eq!(deployment.status, State::Succeeded);
    let polls = received(&mock).await;
    assert_eq!(polls.len(), 3);
    assert!(
        polls
            .iter()
            .all(|r| r.url.query() == Some("api-version=2022-12-01"))
    );

    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let list = key_client(&mock).deployments().list().await.unwrap();
    assert_eq!(list, documented(OperationId::ListDeployments));
    sent_azure(&mock, "GET", "/openai/deployments").await;

    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let deployment = key_client(&mock).deployments().retrieve(id).await.unwrap();
    assert_eq!(deployment, documented(OperationId::RetrieveDeployment));
    sent_azure(&mock, "GET", &route).await;

    // The mock answers 204 with no body.
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    key_client(&mock).deployments().delete(id).await.unwrap();
    sent_azure(&mock, "DELETE", &route).await;
}

#[tokio::test]
async fn files_fine_tunes_and_models_live_under_the_same_base() {
    // Azure answers a creation 201 and a deletion 204 with no body, and
    // its own objects: the calls answer the client's types, which hold
    // them.
    let file = "file-XjGxS3KTG0uNmNOK362iJua3";
    let job = "ft-AF1WoRqd3aJAHsqc9NY7iL8F";
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    // The calls below, one each.
    let calls = [
        ("GET", "/openai/files".to_string()),
        ("POST", "/openai/files".to_string()),
        ("GET", format!("/openai/files/{file}")),
        ("DELETE", format!("/openai/files/{file}")),
        ("GET", format!("/openai/files/{file}/content")),
        ("POST", "/openai/fine-tunes".to_string()),
        ("GET", "/openai/fine-tunes".to_string()),
        ("GET", format!("/openai/fine-tunes/{job}")),
        ("POST", format!("/openai/fine-tunes/{job}/cancel")),
        ("GET", format!("/openai/fine-tunes/{job}/events")),
        ("DELETE", format!("/openai/fine-tunes/{job}")),
        ("GET", "/openai/models".to_string()),
        ("GET", "/openai/models/text-davinci-002".to_string()),
    ];
    let content = fixture(OperationId::DownloadFile, "response");

    let client = key_client(&mock);
    let files = client.files();
    let listed: List<files::File> = converted::<AzureFileList, _>(OperationId::ListFiles, "azure");
    assert_eq!(files.list().await.unwrap(), listed);
    let upload = Upload::bytes(content.clone(), "mydata.jsonl");
    // The mock answers the name uploaded.
    let uploaded: files::File =
        converted_with::<AzureFile, _>(OperationId::CreateFile, "azure", |doc| {
            doc["filename"] = json!("mydata.jsonl")
        });
    let created = files.create(upload, "fine-tune").await.unwrap();
    assert_eq!(created, uploaded);
    // Being checked: no size yet.
    assert_eq!((created.status, created.bytes), (Status::Pending, None));
    let retrieved: files::File =
        converted_with::<AzureFile, _>(OperationId::RetrieveFile, "azure", |doc| {
            doc["id"] = json!(file)
        });
    let found = files.retrieve(file).await.unwrap();
    assert_eq!(found, retrieved);
    assert_eq!((found.status, found.bytes), (Status::Succeeded, Some(140)));
    assert!(found.updated_at.is_some());
    assert_eq!(
        files.delete(file).await.unwrap(),
        documented(OperationId::DeleteFile)
    );
    assert_eq!(files.content(file).await.unwrap(), content);
    let fine_tunes = client.fine_tunes();
    let request = CreateFineTuneRequest::builder()
        .training_file(file)
        .model(Some("curie".to_owned()));
    // The mock answers the job with the training file asked for.
    let created: fine_tunes::FineTune =
        converted_with::<AzureFineTune, _>(OperationId::CreateFineTune, "azure", |doc| {
            doc["training_files"][0]["id"] = json!(file)
        });
    let enqueued = fine_tunes.create(request).await.unwrap();
    assert_eq!(enqueued, created);
    assert_eq!(enqueued.status, Status::Pending);
    let listed: List<fine_tunes::FineTune> =
        converted::<AzureFineTuneList, _>(OperationId::ListFineTunes, "azure");
    assert_eq!(fine_tunes.list().await.unwrap(), listed);
    let retrieved: fine_tunes::FineTune =
        converted_with::<AzureFineTune, _>(OperationId::RetrieveFineTune, "azure", |doc| {
            doc["id"] = json!(job)
        });
    assert_eq!(fine_tunes.retrieve(job).await.unwrap(), retrieved);
    // The mock answers the job and the model named in the path.
    let cancelled: fine_tunes::FineTune =
        converted_with::<AzureFineTune, _>(OperationId::CancelFineTune, "azure", |doc| {
            doc["id"] = json!(job)
        });
    let canceled = fine_tunes.cancel(job).await.unwrap();
    assert_eq!(canceled, cancelled);
    // Azure's `canceled`.
    assert_eq!(canceled.status, Status::Cancelled);
    let events: List<fine_tunes::Event> =
        converted::<AzureEventList, _>(OperationId::ListFineTuneEvents, "azure");
    assert_eq!(fine_tunes.events(job).await.unwrap(), events);
    // Azure can delete a job: 204, no body.
    fine_tunes.delete(job).await.unwrap();
    let models: List<models::Model> =
        converted::<AzureModelList, _>(OperationId::ListModels, "azure");
    assert_eq!(client.models().list().await.unwrap(), models);
    let model: models::Model =
        converted_with::<AzureModel, _>(OperationId::RetrieveModel, "azure", |doc| {
            doc["id"] = json!("text-davinci-002")
        });
    let found = client.models().retrieve("text-davinci-002").await.unwrap();
    assert_eq!(found, model);
    assert!(found.capabilities.is_some() && found.owned_by.is_none());

    let requests = received(&mock).await;
    let sent: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.url.path()))
        .collect();
    let expected: Vec<(&str, &str)> = calls.iter().map(|(v, r)| (*v, r.as_str())).collect();
    assert_eq!(sent, expected);
    for request in &requests {
        assert_eq!(
            request.url.query(),
            Some("api-version=2022-12-01"),
            "{}",
            request.url
        );
        assert_eq!(header(request, "api-key").as_deref(), Some(AZURE_KEY));
        assert_eq!(header(request, "api-version"), None);
    }
    let upload = requests
        .iter()
        .find(|r| r.method.as_str() == "POST" && r.url.path() == "/openai/files")
        .unwrap();
    assert!(has_field(upload, "purpose", "fine-tune"));
    assert!(has_file(
        upload,
        "file",
        "mydata.jsonl",
        "application/octet-stream",
        &content
    ));
}

#[tokio::test]
async fn the_fine_tune_event_stream_on_azure() {
    let job = "ft-AF1WoRqd3aJAHsqc9NY7iL8F";
    let route = format!("/openai/fine-tunes/{job}/events");
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let events: Vec<_> = key_client(&mock)
        .fine_tunes()
        .events_stream(job)
        .await
        .unwrap()
        .collect()
        .await;
    // Azure's example: three events.
    assert_eq!(events.len(), 3);
    let sent = one_request(&mock, "GET", &route).await;
    let query: Vec<(String, String)> = sent.url.query_pairs().into_owned().collect();
    assert!(query.contains(&("api-version".into(), "2022-12-01".into())));
    assert!(query.contains(&("stream".into(), "true".into())));
}

#[tokio::test]
#[allow(deprecated)]
async fn openai_only_operations_are_refused_on_azure() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let client = key_client(&mock);
    let chat = CreateChatCompletionRequest::builder()
        .model("gpt-3.5-turbo")
        .messages(vec![
            ChatCompletionRequestMessage::builder()
                .role(ChatRole::User)
                .content("hi")
                .try_into()
                .unwrap(),
        ]);
    let errors = [
        client.chat().create(chat).await.unwrap_err(),
        client.models().delete("curie:ft-x").await.unwrap_err(),
        client.engines().list().await.unwrap_err(),
        client
            .moderations()
            .create(
                CreateModerationRequest::builder()
                    .input(CreateModerationRequestInput::Text("x".into())),
            )
            .await
            .unwrap_err(),
        client
            .audio()
            .transcribe(
                Upload::bytes(&b"x"[..], "a.mp3"),
                CreateTranscriptionRequest::builder().model("whisper-1"),
            )
            .await
            .unwrap_err(),
    ];
    let operations: Vec<_> = errors
        .iter()
        .map(|error| match error {
            Error::Unsupported {
                operation,
                backend: "Azure OpenAI",
            } => *operation,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        operations,
        [
            "createChatCompletion",
            "deleteModel",
            "listEngines",
            "createModeration",
            "createTranscription"
        ]
    );
    assert!(received(&mock).await.is_empty());
}

#[tokio::test]
async fn azure_error_bodies_give_the_same_errors_as_openai_ones() {
    // Azure's bodies carry `code` and `message`, without `type` or `param`:
    // the inference gateway's and the authoring API's.
    let cases = [
        (
            401,
            json!({"error": {"code": "401", "message": "Access denied due to invalid subscription key or wrong API endpoint."}}),
            "401",
        ),
        (
            404,
            json!({"error": {"code": "DeploymentNotFound", "message": "The API deployment for this resource does not exist."}}),
            "DeploymentNotFound",
        ),
    ];
    for (status, body, code) in cases {
        let mock = OpenAiMock::start().await;
        Mock::given(operation(OperationId::CreateCompletion))
            .respond_with(ResponseTemplate::new(status).set_body_json(&body))
            .mount(mock.server())
            .await;
        let error = key_client(&mock)
            .completions()
            .create(completion_request())
            .await
            .unwrap_err();
        let matches_status = match status {
            404 => matches!(error, Error::InvalidRequest(_)),
            401 => matches!(error, Error::Authentication(_)),
            _ => unreachable!(),
        };
        assert!(matches_status, "{status}: {error:?}");
        let api = error.api_error().unwrap();
        assert_eq!(api.code.as_deref(), Some(code));
        assert_eq!(api.message, body["error"]["message"]);
        assert_eq!(
            (api.error_type.as_deref(), api.param.as_deref()),
            (None, None)
        );
    }
    // The authoring API's: Azure's `target` names the field at fault, as
    // OpenAI's `param`.
    let body = json!({"error": {"code": "invalidPayload", "message": "The specified model is not supported.", "target": "model"}});
    let mock = OpenAiMock::start().await;
    Mock::given(operation(OperationId::CreateFineTune))
        .respond_with(ResponseTemplate::new(400).set_body_json(&body))
        .mount(mock.server())
        .await;
    let request = CreateFineTuneRequest::builder()
        .training_file("file-1")
        .model(Some("curie".to_owned()));
    let error = key_client(&mock)
        .fine_tunes()
        .create(request)
        .await
        .unwrap_err();
    let Error::InvalidRequest(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        (
            api.code.as_deref(),
            api.param.as_deref(),
            api.error_type.as_deref()
        ),
        (Some("invalidPayload"), Some("model"), None)
    );
    assert_eq!(api.message, body["error"]["message"]);
}
