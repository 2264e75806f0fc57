//! The end-to-end cases: which ergonomic call covers which operation of
//! which spec, and which fixture it must give back. One table, as data: the
//! end-to-end test runs it, the coverage gate checks it against the spec.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use futures::StreamExt;
use openai_rest_client::types::{
    AudioResponseFormat, ChatCompletionRequestMessage, ChatRole, CreateChatCompletionRequest,
    CreateCompletionRequest, CreateDeploymentRequest, CreateEditRequest, CreateEmbeddingRequest,
    CreateFineTuneRequest, CreateImageEditRequest, CreateImageRequest, CreateImageVariationRequest,
    CreateModerationRequest, CreateModerationRequestInput, CreateTranscriptionRequest,
    CreateTranslationRequest, ImageResponseFormat, ImageSize, Prompt, ScaleSettings, ScaleType,
};
use openai_rest_client::types::{
    AzureFilePurpose, ImportFileRequest, ScaleSettingsUpdate, UpdateDeploymentRequest,
};
use openai_rest_client::{Client, Upload};
use openai_rest_raw::operations::{Api, OperationId};
use serde::Serialize;
use serde_json::Value;

/// What a call gave back, as the client decoded it.
#[derive(Debug)]
pub enum Output {
    /// A JSON body, encoded back from the generated type.
    Json(Value),
    /// The events of a stream, each encoded back from its generated type.
    Events(Vec<Value>),
    Text(String),
    Bytes(Vec<u8>),
    /// No body (204).
    Empty,
}

type Call = for<'a> fn(
    &'a Client,
    &'a Ids,
) -> Pin<Box<dyn Future<Output = openai_rest_client::Result<Output>> + 'a>>;

/// One end-to-end case.
pub struct Case {
    pub api: Api,
    pub operation: OperationId,
    /// Unique among the cases of an API: the snapshot's name.
    pub name: &'static str,
    /// The ergonomic call, as a user writes it.
    pub call: &'static str,
    /// What it must give back: a file under fixtures/ (`None`: no body).
    pub fixture: Option<&'static str>,
    pub run: Call,
}

/// A case; `ids` after the call's function when it takes the [`Ids`].
macro_rules! case {
    ($api:ident, $op:ident, $name:literal, $call:literal, $fixture:expr, $run:ident) => {
        Case {
            api: Api::$api,
            operation: OperationId::$op,
            name: $name,
            call: $call,
            fixture: $fixture,
            run: |client, _| Box::pin($run(client)),
        }
    };
    ($api:ident, $op:ident, $name:literal, $call:literal, $fixture:expr, $run:ident, ids) => {
        Case {
            api: Api::$api,
            operation: OperationId::$op,
            name: $name,
            call: $call,
            fixture: $fixture,
            run: |client, ids| Box::pin($run(client, ids)),
        }
    };
}

/// Every case, OpenAI's then Azure's. Azure's reuse the same calls on a
/// client configured for Azure.
#[rustfmt::skip]
pub const CASES: &[Case] = &[
    case!(OpenAi, ListModels, "listModels", "client.models().list()", Some("listModels/response.json"), list_models),
    case!(OpenAi, RetrieveModel, "retrieveModel", "client.models().retrieve(id)", Some("retrieveModel/response.json"), retrieve_model, ids),
    case!(OpenAi, DeleteModel, "deleteModel", "client.models().delete(id)", Some("deleteModel/response.json"), delete_model, ids),
    case!(OpenAi, CreateCompletion, "createCompletion", "client.completions().create(request)", Some("createCompletion/response.json"), create_completion),
    case!(OpenAi, CreateCompletion, "createCompletion_stream", "client.completions().create_stream(request)", Some("createCompletion/stream.sse"), create_completion_stream),
    case!(OpenAi, CreateChatCompletion, "createChatCompletion", "client.chat().create(request)", Some("createChatCompletion/response.json"), create_chat_completion),
    case!(OpenAi, CreateChatCompletion, "createChatCompletion_stream", "client.chat().create_stream(request)", Some("createChatCompletion/stream.sse"), create_chat_completion_stream),
    case!(OpenAi, CreateEdit, "createEdit", "client.edits().create(request)", Some("createEdit/response.json"), create_edit),
    case!(OpenAi, CreateImage, "createImage", "client.images().create(request)", Some("createImage/response.json"), create_image),
    case!(OpenAi, CreateImage, "createImage_b64_json", "client.images().create(request) with b64_json", Some("createImage/b64_json.json"), create_image_b64),
    case!(OpenAi, CreateImageEdit, "createImageEdit", "client.images().create_edit(image, mask, request)", Some("createImageEdit/response.json"), create_image_edit),
    case!(OpenAi, CreateImageVariation, "createImageVariation", "client.images().create_variation(image, request)", Some("createImageVariation/response.json"), create_image_variation),
    case!(OpenAi, CreateEmbedding, "createEmbedding", "client.embeddings().create(request)", Some("createEmbedding/response.json"), create_embedding),
    case!(OpenAi, ListFiles, "listFiles", "client.files().list()", Some("listFiles/response.json"), list_files),
    case!(OpenAi, CreateFile, "createFile", "client.files().create(upload, purpose)", Some("createFile/response.json"), create_file),
    case!(OpenAi, RetrieveFile, "retrieveFile", "client.files().retrieve(id)", Some("retrieveFile/response.json"), retrieve_file, ids),
    case!(OpenAi, DeleteFile, "deleteFile", "client.files().delete(id)", Some("deleteFile/response.json"), delete_file, ids),
    case!(OpenAi, DownloadFile, "downloadFile", "client.files().content(id)", Some("downloadFile/response.jsonl"), download_file, ids),
    case!(OpenAi, CreateFineTune, "createFineTune", "client.fine_tunes().create(request)", Some("createFineTune/response.json"), create_fine_tune, ids),
    case!(OpenAi, ListFineTunes, "listFineTunes", "client.fine_tunes().list()", Some("listFineTunes/response.json"), list_fine_tunes),
    case!(OpenAi, RetrieveFineTune, "retrieveFineTune", "client.fine_tunes().retrieve(id)", Some("retrieveFineTune/response.json"), retrieve_fine_tune, ids),
    case!(OpenAi, CancelFineTune, "cancelFineTune", "client.fine_tunes().cancel(id)", Some("cancelFineTune/response.json"), cancel_fine_tune, ids),
    case!(OpenAi, ListFineTuneEvents, "listFineTuneEvents", "client.fine_tunes().events(id)", Some("listFineTuneEvents/response.json"), list_fine_tune_events, ids),
    case!(OpenAi, ListFineTuneEvents, "listFineTuneEvents_stream", "client.fine_tunes().events_stream(id)", Some("listFineTuneEvents/stream.sse"), list_fine_tune_events_stream, ids),
    case!(OpenAi, CreateModeration, "createModeration", "client.moderations().create(request)", Some("createModeration/response.json"), create_moderation),
    case!(OpenAi, ListEngines, "listEngines", "client.engines().list()", Some("listEngines/response.json"), list_engines),
    case!(OpenAi, RetrieveEngine, "retrieveEngine", "client.engines().retrieve(id)", Some("retrieveEngine/response.json"), retrieve_engine),
    case!(OpenAi, CreateTranscription, "createTranscription", "client.audio().transcribe(file, request)", Some("createTranscription/response.json"), transcribe),
    case!(OpenAi, CreateTranscription, "createTranscription_verbose_json", "client.audio().transcribe(file, request) with verbose_json", Some("createTranscription/verbose_json.json"), transcribe_verbose),
    case!(OpenAi, CreateTranscription, "createTranscription_text", "client.audio().transcribe_text(file, request) with text", Some("createTranscription/text.txt"), transcribe_text),
    case!(OpenAi, CreateTranscription, "createTranscription_srt", "client.audio().transcribe_text(file, request) with srt", Some("createTranscription/srt.srt"), transcribe_srt),
    case!(OpenAi, CreateTranscription, "createTranscription_vtt", "client.audio().transcribe_text(file, request) with vtt", Some("createTranscription/vtt.vtt"), transcribe_vtt),
    case!(OpenAi, CreateTranslation, "createTranslation", "client.audio().translate(file, request)", Some("createTranslation/response.json"), translate),
    case!(OpenAi, CreateTranslation, "createTranslation_verbose_json", "client.audio().translate(file, request) with verbose_json", Some("createTranslation/verbose_json.json"), translate_verbose),
    case!(OpenAi, CreateTranslation, "createTranslation_text", "client.audio().translate_text(file, request) with text", Some("createTranslation/text.txt"), translate_text),
    case!(OpenAi, CreateTranslation, "createTranslation_srt", "client.audio().translate_text(file, request) with srt", Some("createTranslation/srt.srt"), translate_srt),
    case!(OpenAi, CreateTranslation, "createTranslation_vtt", "client.audio().translate_text(file, request) with vtt", Some("createTranslation/vtt.vtt"), translate_vtt),
    // Azure.
    case!(Azure, ListDeployments, "listDeployments", "client.deployments().list()", Some("listDeployments/response.json"), list_deployments),
    case!(Azure, CreateDeployment, "createDeployment", "client.deployments().create(request)", Some("createDeployment/response.json"), create_deployment),
    case!(Azure, RetrieveDeployment, "retrieveDeployment", "client.deployments().retrieve(id)", Some("retrieveDeployment/response.json"), retrieve_deployment, ids),
    case!(Azure, UpdateDeployment, "updateDeployment", "client.deployments().update(id, request)", Some("updateDeployment/response.json"), update_deployment, ids),
    case!(Azure, DeleteDeployment, "deleteDeployment", "client.deployments().delete(id)", None, delete_deployment, ids),
    case!(Azure, CreateCompletion, "createCompletion", "client.completions().create(request)", Some("createCompletion/response.json"), create_completion),
    case!(Azure, CreateCompletion, "createCompletion_stream", "client.completions().create_stream(request)", Some("createCompletion/stream.sse"), create_completion_stream),
    case!(Azure, CreateEmbedding, "createEmbedding", "client.embeddings().create(request)", Some("createEmbedding/response.json"), create_embedding),
    case!(Azure, ListFiles, "listFiles", "client.files().list()", Some("listFiles/azure.json"), list_files),
    case!(Azure, CreateFile, "createFile", "client.files().create(upload, purpose)", Some("createFile/azure.json"), create_file),
    case!(Azure, RetrieveFile, "retrieveFile", "client.files().retrieve(id)", Some("retrieveFile/azure.json"), retrieve_file, ids),
    case!(Azure, ImportFile, "importFile", "client.files().import(request)", Some("importFile/response.json"), import_file),
    case!(Azure, DeleteFile, "deleteFile", "client.files().delete(id)", None, delete_file_on_azure, ids),
    case!(Azure, DownloadFile, "downloadFile", "client.files().content(id)", Some("downloadFile/response.jsonl"), download_file, ids),
    case!(Azure, CreateFineTune, "createFineTune", "client.fine_tunes().create(request)", Some("createFineTune/azure.json"), create_fine_tune_on_azure, ids),
    case!(Azure, ListFineTunes, "listFineTunes", "client.fine_tunes().list()", Some("listFineTunes/azure.json"), list_fine_tunes),
    case!(Azure, RetrieveFineTune, "retrieveFineTune", "client.fine_tunes().retrieve(id)", Some("retrieveFineTune/azure.json"), retrieve_fine_tune, ids),
    case!(Azure, CancelFineTune, "cancelFineTune", "client.fine_tunes().cancel(id)", Some("cancelFineTune/azure.json"), cancel_fine_tune, ids),
    case!(Azure, ListFineTuneEvents, "listFineTuneEvents", "client.fine_tunes().events(id)", Some("listFineTuneEvents/azure.json"), list_fine_tune_events, ids),
    case!(Azure, ListFineTuneEvents, "listFineTuneEvents_stream", "client.fine_tunes().events_stream(id)", Some("listFineTuneEvents/azure_stream.sse"), list_fine_tune_events_stream, ids),
    case!(Azure, DeleteFineTune, "deleteFineTune", "client.fine_tunes().delete(id)", None, delete_fine_tune, ids),
    case!(Azure, ListModels, "listModels", "client.models().list()", Some("listModels/azure.json"), list_models),
    case!(Azure, RetrieveModel, "retrieveModel", "client.models().retrieve(id)", Some("retrieveModel/azure.json"), retrieve_model, ids),
];

/// The workspace's fixtures directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// A file of tests/data.
fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

fn json(value: impl Serialize) -> Output {
    Output::Json(serde_json::to_value(value).expect("generated types serialize"))
}

async fn events<T: Serialize + serde::de::DeserializeOwned>(
    stream: openai_rest_client::Result<openai_rest_client::EventStream<T>>,
) -> openai_rest_client::Result<Output> {
    let mut stream = stream?;
    let mut out = Vec::new();
    while let Some(event) = stream.next().await {
        out.push(serde_json::to_value(event?).expect("generated types serialize"));
    }
    Ok(Output::Events(out))
}

/// The objects the cases read, cancel or delete, by what they are for.
/// Against the mock any id will do, and [`Ids::documented`] are the
/// fixtures' own, so that what the mock reflects from the path is what the
/// fixture holds; against a live server they are objects of the account.
#[derive(Clone, Debug, Default)]
pub struct Ids {
    /// retrieveFile and downloadFile.
    pub file: String,
    /// deleteFile.
    pub file_to_delete: String,
    /// createFineTune's training file.
    pub training_file: String,
    /// retrieveFineTune and listFineTuneEvents.
    pub fine_tune: String,
    /// cancelFineTune.
    pub fine_tune_to_cancel: String,
    /// deleteModel: a fine-tuned model.
    pub model_to_delete: String,
    /// retrieveModel.
    pub model: String,
    /// retrieveDeployment.
    pub deployment: String,
    /// deleteDeployment.
    pub deployment_to_delete: String,
}

impl Ids {
    /// The ids the fixtures of `api` print: Azure's authoring fixtures are
    /// Azure's examples, with their own ids.
    pub fn documented(api: Api) -> Ids {
        let deployment = "deployment-8f3c2a1e9d7b4c6a9e5f0b2d4c6e8a1f";
        let (file, training_file, fine_tune, fine_tune_to_cancel, model) = match api {
            Api::OpenAi => (
                "file-XjGxS3KTG0uNmNOK362iJua3",
                "file-XGinujblHPwGLSztz8cPS8XY",
                "ft-AF1WoRqd3aJAHsqc9NY7iL8F",
                "ft-xhrpBbvVUzYGo8oUO1FY4nI7",
                "text-davinci-003",
            ),
            Api::Azure => (
                "file-181a1cbdcdcf4677ada87f63a0928099",
                "file-181a1cbdcdcf4677ada87f63a0928099",
                "ft-72a2792ef7d24ba7b82c7fe4a37e379f",
                "ft-72a2792ef7d24ba7b82c7fe4a37e379f",
                "curie",
            ),
        };
        Ids {
            file: file.into(),
            file_to_delete: file.into(),
            training_file: training_file.into(),
            fine_tune: fine_tune.into(),
            fine_tune_to_cancel: fine_tune_to_cancel.into(),
            model_to_delete: "curie:ft-acmeco-2021-03-03-21-44-20".into(),
            model: model.into(),
            deployment: deployment.into(),
            deployment_to_delete: deployment.into(),
        }
    }
}

fn completion_request() -> openai_rest_client::types::builder::CreateCompletionRequest {
    CreateCompletionRequest::builder()
        .model("text-davinci-003")
        .prompt(Prompt::Text("Say this is a test".into()))
        .max_tokens(7)
        .temperature(0.0)
}

fn chat_request() -> openai_rest_client::types::builder::CreateChatCompletionRequest {
    CreateChatCompletionRequest::builder()
        .model("gpt-3.5-turbo-0301")
        .messages(vec![ChatCompletionRequestMessage {
            role: ChatRole::User,
            content: "Hello!".into(),
            name: None,
        }])
}

async fn list_models(client: &Client) -> openai_rest_client::Result<Output> {
    Ok(json(client.models().list().await?))
}

async fn retrieve_model(client: &Client, ids: &Ids) -> openai_rest_client::Result<Output> {
    Ok(json(client.models().retrieve(&ids.model).await?))
}

async fn delete_model(client: &Client, ids: &Ids) -> openai_rest_client::Result<Output> {
    Ok(json(client.models().delete(&ids.model_to_delete).await?))
}

async fn create_completion(client: &Client) -> openai_rest_client::Result<Output> {
    Ok(json(
        client.completions().create(completion_request()).await?,
    ))
}

async fn create_completion_stream(client: &Client) -> openai_rest_client::Result<Output> {
    events(
        client
            .completions()
            .create_stream(completion_request())
            .await,
    )
    .await
}

async fn create_chat_completion(client: &Client) -> openai_rest_client::Result<Output> {
    Ok(json(client.chat().create(chat_request()).await?))
}

async fn create_chat_completion_stream(client: &Client) -> openai_rest_client::Result<Output> {
    events(client.chat().create_stream(chat_request()).await).await
}

async fn create_edit(client: &Client) -> openai_rest_client::Result<Output> {
    let request = CreateEditRequest::builder()
        .model("text-davinci-edit-001")
        .input(Some("What day of the wek is it?".into()))
        .instruction("Fix the spelling mistakes");
    Ok(json(client.edits().create(request).await?))
}

fn image_request() -> openai_rest_client::types::builder::CreateImageRequest {
    CreateImageRequest::builder()
        .prompt("A cute baby sea otter")
        .n(2)
        .size(ImageSize::X1024x1024)
}

async fn create_image(client: &Client) -> openai_rest_client::Result<Output> {
    Ok(json(client.images().create(image_request()).await?))
}

async fn create_image_b64(client: &Client) -> openai_rest_client::Result<Output> {
    let request = image_request().response_format(ImageResponseFormat::B64Json);
    Ok(json(client.images().create(request).await?))
}

async fn create_image_edit(client: &Client) -> openai_rest_client::Result<Output> {
    let request = CreateImageEditRequest::builder()
        .prompt("A cute baby sea otter wearing a beret")
        .n(2)
        .size(ImageSize::X1024x1024);
    let mask = Upload::bytes(
        std::fs::read(data("otter.png")).expect("tests/data"),
        "mask.png",
    );
    let image = Upload::path(data("otter.png"));
    Ok(json(
        client
            .images()
            .create_edit(image, Some(mask), request)
            .await?,
    ))
}

async fn create_image_variation(client: &Client) -> openai_rest_client::Result<Output> {
    let request = CreateImageVariationRequest::builder()
        .n(2)
        .size(ImageSize::X1024x1024);
    let image = Upload::path(data("otter.png"));
    Ok(json(
        client.images().create_variation(image, request).await?,
    ))
}

async fn create_embedding(client: &Client) -> openai_rest_client::Result<Output> {
    let request = CreateEmbeddingRequest::builder()
        .model("text-embedding-ada-002")
        .input(Prompt::Text(
            "The food was delicious and the waiter...".into(),
        ));
    Ok(json(client.embeddings().create(request).await?))
}

async fn list_files(client: &Client) -> openai_rest_client::Result<Output> {
    Ok(json(client.files().list().await?))
}

async fn create_file(client: &Client) -> openai_rest_client::Result<Output> {
    // The documented upload: mydata.jsonl, 140 bytes (the content fixture).
    let upload =
        Upload::path(fixtures_dir().join("downloadFile/response.jsonl")).file_name("mydata.jsonl");
    Ok(json(client.files().create(upload, "fine-tune").await?))
}

async fn retrieve_file(client: &Client, ids: &Ids) -> openai_rest_client::Result<Output> {
    Ok(json(client.files().retrieve(&ids.file).await?))
}

async fn delete_file(client: &Client, ids: &Ids) -> openai_rest_client::Result<Output> {
    Ok(json(client.files().delete(&ids.file_to_delete).await?))
}

/// The documented training file's content, as a `data:` URL: the one kind
/// of URL the mock imports without reaching the network.
async fn import_file(client: &Client) -> openai_rest_client::Result<Output> {
    use base64::Engine as _;
    let content = std::fs::read(fixtures_dir().join("downloadFile/response.jsonl"))
        .expect("the training file fixture");
    let url = format!(
        "data:application/jsonl;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(content)
    );
    let request = ImportFileRequest::builder()
        .purpose(AzureFilePurpose::FineTune)
        .filename("puppy.jsonl")
        .content_url(url);
    Ok(json(client.files().import(request).await?))
}

/// Azure answers 204 and no body; the call still answers OpenAI's object,
/// made from the id. Anything else is an answer where none was expected.
async fn delete_file_on_azure(client: &Client, ids: &Ids) -> openai_rest_client::Result<Output> {
    let deleted = client.files().delete(&ids.file_to_delete).await?;
    Ok(
        match (
            deleted.id == ids.file_to_delete,
            deleted.deleted,
            deleted.object.as_str(),
        ) {
            (true, true, "file") => Output::Empty,
            _ => json(deleted),
        },
    )
}

async fn download_file(client: &Client, ids: &Ids) -> openai_rest_client::Result<Output> {
    Ok(Output::Bytes(
        client.files().content(&ids.file).await?.to_vec(),
    ))
}

async fn create_fine_tune(client: &Client, ids: &Ids) -> openai_rest_client::Result<Output> {
    let request = CreateFineTuneRequest::builder().training_file(&ids.training_file);
    Ok(json(client.fine_tunes().create(request).await?))
}

/// Azure has no default base model: its example names curie.
async fn create_fine_tune_on_azure(
    client: &Client,
    ids: &Ids,
) -> openai_rest_client::Result<Output> {
    let request = CreateFineTuneRequest::builder()
        .training_file(&ids.training_file)
        .model(Some("curie".to_owned()));
    Ok(json(client.fine_tunes().create(request).await?))
}

async fn list_fine_tunes(client: &Client) -> openai_rest_client::Result<Output> {
    Ok(json(client.fine_tunes().list().await?))
}

async fn retrieve_fine_tune(client: &Client, ids: &Ids) -> openai_rest_client::Result<Output> {
    Ok(json(client.fine_tunes().retrieve(&ids.fine_tune).await?))
}

async fn cancel_fine_tune(client: &Client, ids: &Ids) -> openai_rest_client::Result<Output> {
    Ok(json(
        client.fine_tunes().cancel(&ids.fine_tune_to_cancel).await?,
    ))
}

/// Azure only: the job cancelled before, which the run started.
async fn delete_fine_tune(client: &Client, ids: &Ids) -> openai_rest_client::Result<Output> {
    client.fine_tunes().delete(&ids.fine_tune_to_cancel).await?;
    Ok(Output::Empty)
}

async fn list_fine_tune_events(client: &Client, ids: &Ids) -> openai_rest_client::Result<Output> {
    Ok(json(client.fine_tunes().events(&ids.fine_tune).await?))
}

async fn list_fine_tune_events_stream(
    client: &Client,
    ids: &Ids,
) -> openai_rest_client::Result<Output> {
    events(client.fine_tunes().events_stream(&ids.fine_tune).await).await
}

async fn create_moderation(client: &Client) -> openai_rest_client::Result<Output> {
    let request = CreateModerationRequest::builder().input(CreateModerationRequestInput::Text(
        "I want to kill them.".into(),
    ));
    Ok(json(client.moderations().create(request).await?))
}

#[allow(deprecated)]
async fn list_engines(client: &Client) -> openai_rest_client::Result<Output> {
    Ok(json(client.engines().list().await?))
}

#[allow(deprecated)]
async fn retrieve_engine(client: &Client) -> openai_rest_client::Result<Output> {
    Ok(json(client.engines().retrieve("text-davinci-003").await?))
}

fn audio() -> Upload {
    Upload::path(data("hello.mp3"))
}

fn transcription(
    format: AudioResponseFormat,
) -> openai_rest_client::types::builder::CreateTranscriptionRequest {
    CreateTranscriptionRequest::builder()
        .model("whisper-1")
        .response_format(format)
}

fn translation(
    format: AudioResponseFormat,
) -> openai_rest_client::types::builder::CreateTranslationRequest {
    CreateTranslationRequest::builder()
        .model("whisper-1")
        .response_format(format)
}

async fn transcribe(client: &Client) -> openai_rest_client::Result<Output> {
    let request = CreateTranscriptionRequest::builder().model("whisper-1");
    Ok(json(client.audio().transcribe(audio(), request).await?))
}

async fn transcribe_verbose(client: &Client) -> openai_rest_client::Result<Output> {
    let request = transcription(AudioResponseFormat::VerboseJson);
    Ok(json(client.audio().transcribe(audio(), request).await?))
}

async fn transcribe_text(client: &Client) -> openai_rest_client::Result<Output> {
    let request = transcription(AudioResponseFormat::Text);
    Ok(Output::Text(
        client.audio().transcribe_text(audio(), request).await?,
    ))
}

async fn transcribe_srt(client: &Client) -> openai_rest_client::Result<Output> {
    let request = transcription(AudioResponseFormat::Srt);
    Ok(Output::Text(
        client.audio().transcribe_text(audio(), request).await?,
    ))
}

async fn transcribe_vtt(client: &Client) -> openai_rest_client::Result<Output> {
    let request = transcription(AudioResponseFormat::Vtt);
    Ok(Output::Text(
        client.audio().transcribe_text(audio(), request).await?,
    ))
}

async fn translate(client: &Client) -> openai_rest_client::Result<Output> {
    let request = CreateTranslationRequest::builder().model("whisper-1");
    Ok(json(client.audio().translate(audio(), request).await?))
}

async fn translate_verbose(client: &Client) -> openai_rest_client::Result<Output> {
    let request = translation(AudioResponseFormat::VerboseJson);
    Ok(json(client.audio().translate(audio(), request).await?))
}

async fn translate_text(client: &Client) -> openai_rest_client::Result<Output> {
    let request = translation(AudioResponseFormat::Text);
    Ok(Output::Text(
        client.audio().translate_text(audio(), request).await?,
    ))
}

async fn translate_srt(client: &Client) -> openai_rest_client::Result<Output> {
    let request = translation(AudioResponseFormat::Srt);
    Ok(Output::Text(
        client.audio().translate_text(audio(), request).await?,
    ))
}

async fn translate_vtt(client: &Client) -> openai_rest_client::Result<Output> {
    let request = translation(AudioResponseFormat::Vtt);
    Ok(Output::Text(
        client.audio().translate_text(audio(), request).await?,
    ))
}

async fn list_deployments(client: &Client) -> openai_rest_client::Result<Output> {
    Ok(json(client.deployments().list().await?))
}

async fn create_deployment(client: &Client) -> openai_rest_client::Result<Output> {
    let request = CreateDeploymentRequest {
        model: "text-davinci-002".into(),
        scale_settings: ScaleSettings {
            scale_type: ScaleType::Standard,
            capacity: None,
        },
    };
    Ok(json(client.deployments().create(request).await?))
}

async fn retrieve_deployment(client: &Client, ids: &Ids) -> openai_rest_client::Result<Output> {
    Ok(json(client.deployments().retrieve(&ids.deployment).await?))
}

async fn update_deployment(client: &Client, ids: &Ids) -> openai_rest_client::Result<Output> {
    let request = UpdateDeploymentRequest::builder().scale_settings(Some(ScaleSettingsUpdate {
        scale_type: Some(ScaleType::Standard),
        capacity: None,
    }));
    Ok(json(
        client
            .deployments()
            .update(&ids.deployment_to_delete, request)
            .await?,
    ))
}

async fn delete_deployment(client: &Client, ids: &Ids) -> openai_rest_client::Result<Output> {
    client
        .deployments()
        .delete(&ids.deployment_to_delete)
        .await?;
    Ok(Output::Empty)
}
