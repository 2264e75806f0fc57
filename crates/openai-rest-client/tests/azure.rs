//! Azure OpenAI: the URLs, the `api-version` query, both kinds of
//! authentication, every Azure operation, and the OpenAI-only ones refused.

mod common;

use common::*;
use futures::StreamExt;
use openai_rest_client::types::*;
use openai_rest_client::{AzureAuth, AzureConfig, Client, Error, Upload};
use serde_json::json;
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers};

const AZURE_KEY: &str = "azure-key-0123456789abcdef";

fn key_client(server: &MockServer) -> Client {
    azure(server, AzureAuth::api_key(AZURE_KEY))
}

/// The one request, checked for Azure's query and `api-key` header.
async fn sent_azure(server: &MockServer, verb: &str, route: &str) -> Request {
    let request = one_request(server, verb, route).await;
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
    let server = MockServer::start().await;
    let route = "/openai/deployments/my-deployment/completions";
    answer_fixture(&server, "POST", route, "createCompletion").await;
    // The same call as on OpenAI.
    let completion = key_client(&server)
        .completions()
        .create(completion_request())
        .await
        .unwrap();
    assert_eq!(completion, decoded("createCompletion", "response.json"));
    let sent = sent_azure(&server, "POST", route).await;
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
    let server = MockServer::start().await;
    let route = "/openai/deployments/other/completions";
    answer_fixture(&server, "POST", route, "createCompletion").await;
    let client = Client::builder()
        .azure(
            AzureConfig::new(
                format!("{}/", server.uri()),
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
    let sent = one_request(&server, "POST", route).await;
    assert_eq!(sent.url.query(), Some("api-version=2023-03-15-preview"));
    assert_eq!(
        header(&sent, "authorization").as_deref(),
        Some("Bearer ad-token-xyz")
    );
    assert_eq!(header(&sent, "api-key"), None);
}

#[tokio::test]
async fn completion_streams_and_embeddings_go_to_the_deployment() {
    let server = MockServer::start().await;
    let route = "/openai/deployments/my-deployment/completions";
    answer(
        &server,
        "POST",
        route,
        200,
        fixture("createCompletion", "stream.sse"),
        "text/event-stream",
    )
    .await;
    let events: Vec<_> = key_client(&server)
        .completions()
        .create_stream(completion_request())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(events.len(), 7);
    assert!(events.iter().all(Result::is_ok));
    let sent = sent_azure(&server, "POST", route).await;
    assert_eq!(json(&sent)["stream"], json!(true));

    let server = MockServer::start().await;
    let route = "/openai/deployments/embedder/embeddings";
    answer_fixture(&server, "POST", route, "createEmbedding").await;
    let request = CreateEmbeddingRequest::builder()
        .model("text-embedding-ada-002")
        .input(Prompt::Texts(vec!["a".into(), "b".into()]));
    let embedding = key_client(&server)
        .with_deployment("embedder")
        .embeddings()
        .create(request)
        .await
        .unwrap();
    assert_eq!(embedding, decoded("createEmbedding", "response.json"));
    let sent = sent_azure(&server, "POST", route).await;
    assert_eq!(json(&sent)["input"], json!(["a", "b"]));
}

#[tokio::test]
async fn completions_without_a_deployment_are_refused_before_sending() {
    let server = MockServer::start().await;
    let client = Client::builder()
        .azure(AzureConfig::new(
            server.uri(),
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
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn deployments_create_wait_list_retrieve_delete() {
    let id = "deployment-8f3c2a1e9d7b4c6a9e5f0b2d4c6e8a1f";

    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/openai/deployments"))
        .respond_with(ResponseTemplate::new(201).set_body_raw(
            fixture("createDeployment", "response.json"),
            "application/json",
        ))
        .mount(&server)
        .await;
    let request = CreateDeploymentRequest::builder()
        .model("text-davinci-002")
        .scale_settings(ScaleSettings::builder().scale_type(ScaleType::Standard));
    let deployment = key_client(&server)
        .deployments()
        .create(request)
        .await
        .unwrap();
    assert_eq!(deployment, decoded("createDeployment", "response.json"));
    assert_eq!(deployment.status, "notRunning");
    let sent = sent_azure(&server, "POST", "/openai/deployments").await;
    assert_eq!(
        json(&sent),
        json!({"model": "text-davinci-002", "scale_settings": {"scale_type": "standard"}})
    );

    // wait: polls until the status is final.
    let server = MockServer::start().await;
    let route = format!("/openai/deployments/{id}");
    Mock::given(matchers::path(route.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("createDeployment", "response.json"),
            "application/json",
        ))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    answer_fixture(&server, "GET", &route, "retrieveDeployment").await;
    let deployment = key_client(&server).deployments().wait(id).await.unwrap();
    assert_eq!(deployment.status, "succeeded");
    let polls = received(&server).await;
    assert_eq!(polls.len(), 3);
    assert!(
        polls
            .iter()
            .all(|r| r.url.query() == Some("api-version=2022-12-01"))
    );

    let server = MockServer::start().await;
    answer_fixture(&server, "GET", "/openai/deployments", "listDeployments").await;
    let list = key_client(&server).deployments().list().await.unwrap();
    assert_eq!(list, decoded("listDeployments", "response.json"));
    sent_azure(&server, "GET", "/openai/deployments").await;

    let server = MockServer::start().await;
    answer_fixture(&server, "GET", &route, "retrieveDeployment").await;
    let deployment = key_client(&server)
        .deployments()
        .retrieve(id)
        .await
        .unwrap();
    assert_eq!(deployment, decoded("retrieveDeployment", "response.json"));
    sent_azure(&server, "GET", &route).await;

    let server = MockServer::start().await;
    answer(
        &server,
        "DELETE",
        &route,
        204,
        Vec::new(),
        "application/json",
    )
    .await;
    key_client(&server).deployments().delete(id).await.unwrap();
    sent_azure(&server, "DELETE", &route).await;
}

#[tokio::test]
async fn files_fine_tunes_and_models_live_under_the_same_base() {
    let file = "file-XjGxS3KTG0uNmNOK362iJua3";
    let job = "ft-AF1WoRqd3aJAHsqc9NY7iL8F";
    let server = MockServer::start().await;
    let fixtures = [
        ("GET", "/openai/files".to_string(), "listFiles"),
        ("POST", "/openai/files".to_string(), "createFile"),
        ("GET", format!("/openai/files/{file}"), "retrieveFile"),
        ("DELETE", format!("/openai/files/{file}"), "deleteFile"),
        ("POST", "/openai/fine-tunes".to_string(), "createFineTune"),
        ("GET", "/openai/fine-tunes".to_string(), "listFineTunes"),
        (
            "GET",
            format!("/openai/fine-tunes/{job}"),
            "retrieveFineTune",
        ),
        (
            "POST",
            format!("/openai/fine-tunes/{job}/cancel"),
            "cancelFineTune",
        ),
        (
            "GET",
            format!("/openai/fine-tunes/{job}/events"),
            "listFineTuneEvents",
        ),
        ("GET", "/openai/models".to_string(), "listModels"),
        (
            "GET",
            "/openai/models/text-davinci-002".to_string(),
            "retrieveModel",
        ),
    ];
    for (verb, route, operation) in &fixtures {
        answer_fixture(&server, verb, route, operation).await;
    }
    let content = fixture("downloadFile", "response.jsonl");
    answer(
        &server,
        "GET",
        &format!("/openai/files/{file}/content"),
        200,
        content.clone(),
        "application/octet-stream",
    )
    .await;

    let client = key_client(&server);
    let files = client.files();
    assert_eq!(
        files.list().await.unwrap(),
        decoded("listFiles", "response.json")
    );
    let upload = Upload::bytes(content.clone(), "mydata.jsonl");
    assert_eq!(
        files.create(upload, "fine-tune").await.unwrap(),
        decoded("createFile", "response.json")
    );
    assert_eq!(
        files.retrieve(file).await.unwrap(),
        decoded("retrieveFile", "response.json")
    );
    assert_eq!(
        files.delete(file).await.unwrap(),
        decoded("deleteFile", "response.json")
    );
    assert_eq!(files.content(file).await.unwrap(), content);
    let fine_tunes = client.fine_tunes();
    let request = CreateFineTuneRequest::builder().training_file(file);
    assert_eq!(
        fine_tunes.create(request).await.unwrap(),
        decoded("createFineTune", "response.json")
    );
    assert_eq!(
        fine_tunes.list().await.unwrap(),
        decoded("listFineTunes", "response.json")
    );
    assert_eq!(
        fine_tunes.retrieve(job).await.unwrap(),
        decoded("retrieveFineTune", "response.json")
    );
    assert_eq!(
        fine_tunes.cancel(job).await.unwrap(),
        decoded("cancelFineTune", "response.json")
    );
    assert_eq!(
        fine_tunes.events(job).await.unwrap(),
        decoded("listFineTuneEvents", "response.json")
    );
    assert_eq!(
        client.models().list().await.unwrap(),
        decoded("listModels", "response.json")
    );
    assert_eq!(
        client.models().retrieve("text-davinci-002").await.unwrap(),
        decoded("retrieveModel", "response.json")
    );

    let requests = received(&server).await;
    assert_eq!(requests.len(), fixtures.len() + 1);
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
    let server = MockServer::start().await;
    answer(
        &server,
        "GET",
        &route,
        200,
        fixture("listFineTuneEvents", "stream.sse"),
        "text/event-stream",
    )
    .await;
    let events: Vec<_> = key_client(&server)
        .fine_tunes()
        .events_stream(job)
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(events.len(), 5);
    let sent = one_request(&server, "GET", &route).await;
    let query: Vec<(String, String)> = sent.url.query_pairs().into_owned().collect();
    assert!(query.contains(&("api-version".into(), "2022-12-01".into())));
    assert!(query.contains(&("stream".into(), "true".into())));
}

#[tokio::test]
#[allow(deprecated)]
async fn openai_only_operations_are_refused_on_azure() {
    let server = MockServer::start().await;
    let client = key_client(&server);
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
    assert!(received(&server).await.is_empty());
}
