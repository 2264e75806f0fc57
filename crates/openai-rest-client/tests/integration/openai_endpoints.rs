//! Every OpenAI operation once against the mock: what went over the wire
//! (method, path, query, headers, body) and what came back decoded.

use crate::common;

use common::*;
use futures::StreamExt;
use openai_rest_client::chat::MessageExt;
use openai_rest_client::embeddings::EmbeddingVectorExt;
use openai_rest_client::types::*;
use openai_rest_client::{Error, List, Status, Upload, files, fine_tunes, models};
use openai_rest_mock::wiremock::{Mock, ResponseTemplate};
use openai_rest_mock::{MockOptions, OpenAiMock, OperationId, operation};
use openai_rest_raw::types::{FineTune, Model};
use serde_json::json;

/// The first bytes of a 2x2 PNG: as much as the mock reads of an image,
/// which it wants square.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x02\x00\x00\x00\x02";

#[tokio::test]
async fn models_list_retrieve_delete() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let models = openai(&mock).models().list().await.unwrap();
    let expected: List<models::Model> =
        converted::<ListModelsResponse, _>(OperationId::ListModels, "response");
    assert_eq!(models, expected);
    assert!(!models.data.is_empty());
    sent(&mock, "GET", "/v1/models").await;

    let mock = OpenAiMock::start().await;
    let model = openai(&mock)
        .models()
        .retrieve("text-davinci-003")
        .await
        .unwrap();
    let expected: models::Model = converted::<Model, _>(OperationId::RetrieveModel, "response");
    assert_eq!(model, expected);
    assert_eq!(model.owned_by.as_deref(), Some("openai"));
    assert_eq!(model.capabilities, None);
    sent(&mock, "GET", "/v1/models/text-davinci-003").await;

    // Fine-tuned model ids contain `:`.
    let mock = OpenAiMock::start().await;
    let route = "/v1/models/curie:ft-acmeco-2021-03-03-21-44-20";
    let deleted = openai(&mock)
        .models()
        .delete("curie:ft-acmeco-2021-03-03-21-44-20")
        .await
        .unwrap();
    assert_eq!(deleted, documented(OperationId::DeleteModel));
    sent(&mock, "DELETE", route).await;
}

#[tokio::test]
async fn completions_create() {
    let mock = OpenAiMock::start().await;
    let request = CreateCompletionRequest::builder()
        .model("text-davinci-003")
        .prompt(Prompt::Text("Say this is a test".into()))
        .max_tokens(7)
        .temperature(0.0)
        // Not in the answer: a stop sequence in it would end it there.
        .stop(StopSequences::List(vec!["\n###\n".into()]));
    let completion = openai(&mock).completions().create(request).await.unwrap();
    assert_eq!(completion, documented(OperationId::CreateCompletion));
    assert_eq!(completion.choices[0].text, "\n\nThis is indeed a test");

    let sent = sent(&mock, "POST", "/v1/completions").await;
    assert_eq!(
        header(&sent, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        json(&sent),
        json!({
            "model": "text-davinci-003",
            "prompt": "Say this is a test",
            "max_tokens": 7,
            "temperature": 0.0,
            "stop": ["\n###\n"]
        })
    );
}

#[tokio::test]
async fn completions_create_stream() {
    let mock = OpenAiMock::start().await;
    let request = CreateCompletionRequest::builder()
        .model("text-davinci-003")
        .prompt(Prompt::Text("Say this is a test".into()))
        .max_tokens(7);
    let events: Vec<_> = openai(&mock)
        .completions()
        .create_stream(request)
        .await
        .unwrap()
        .collect()
        .await;
    let texts: Vec<String> = events
        .into_iter()
        .map(|event| event.unwrap().choices[0].text.clone())
        .collect();
    assert_eq!(texts, ["\n", "\n", "This", " is", " indeed", " a", " test"]);

    let sent = sent(&mock, "POST", "/v1/completions").await;
    assert_eq!(json(&sent)["stream"], json!(true));
    assert_eq!(
        header(&sent, "accept").as_deref(),
        Some("text/event-stream")
    );
}

#[tokio::test]
async fn completions_batch_matches_choices_to_prompts_by_index() {
    // Raw answers: the mock numbers the choices in order and answers every
    // one, and this test needs them out of order, then one missing.
    let mock = OpenAiMock::start().await;
    // Two prompts, n = 2, answered out of order.
    let choice = |index: i64, text: &str| json!({"text": text, "index": index, "logprobs": null, "finish_reason": "stop"});
    let body = json!({
        "id": "cmpl-batch", "object": "text_completion", "created": 1, "model": "curie",
        "choices": [choice(3, "b2"), choice(0, "a1"), choice(2, "b1"), choice(1, "a2")]
    });
    Mock::given(operation(OperationId::CreateCompletion))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(mock.server())
        .await;
    let request = CreateCompletionRequest::builder()
        .model("curie")
        .prompt(Prompt::Texts(vec![
            "Once upon a time,".into(),
            "In a galaxy".into(),
        ]))
        .n(2);
    let batch = openai(&mock)
        .completions()
        .create_batch(request)
        .await
        .unwrap();
    let per_prompt: Vec<Vec<&str>> = batch
        .per_prompt()
        .map(|choices| choices.iter().map(|c| c.text.as_str()).collect())
        .collect();
    assert_eq!(per_prompt, [["a1", "a2"], ["b1", "b2"]]);
    let sent = sent(&mock, "POST", "/v1/completions").await;
    assert_eq!(
        json(&sent)["prompt"],
        json!(["Once upon a time,", "In a galaxy"])
    );

    // A choice missing from the answer is not a silent gap.
    let mock = OpenAiMock::start().await;
    let body = json!({
        "id": "cmpl-batch", "object": "text_completion", "created": 1, "model": "curie",
        "choices": [choice(0, "a1")]
    });
    Mock::given(operation(OperationId::CreateCompletion))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(mock.server())
        .await;
    let request = CreateCompletionRequest::builder()
        .model("curie")
        .prompt(Prompt::Texts(vec!["a".into(), "b".into()]));
    let error = openai(&mock)
        .completions()
        .create_batch(request)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidResponse { .. }), "{error:?}");
}

#[tokio::test]
async fn chat_create_and_stream() {
    let mock = OpenAiMock::start().await;
    let request = CreateChatCompletionRequest::builder()
        .model("gpt-3.5-turbo")
        .messages(vec![
            ChatCompletionRequestMessage::system("You are a helpful assistant."),
            ChatCompletionRequestMessage::user("Hello!"),
        ]);
    let chat = openai(&mock).chat().create(request.clone()).await.unwrap();
    // The mock answers with the model asked for, as the API does.
    // The mock counts the prompt as the API did: the cookbook's 20 tokens
    // for these two messages (the docs' example has the user's alone, 9).
    let expected: CreateChatCompletionResponse =
        documented_with(OperationId::CreateChatCompletion, |doc| {
            doc["model"] = json!("gpt-3.5-turbo");
            doc["usage"] =
                json!({"prompt_tokens": 20, "completion_tokens": 12, "total_tokens": 32});
        });
    assert_eq!(chat, expected);
    let sent_request = sent(&mock, "POST", "/v1/chat/completions").await;
    assert_eq!(
        json(&sent_request),
        json!({
            "model": "gpt-3.5-turbo",
            "messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": "Hello!"}
            ]
        })
    );

    let mock = OpenAiMock::start().await;
    let mut events = openai(&mock).chat().create_stream(request).await.unwrap();
    let first = events.next().await.unwrap().unwrap();
    assert_eq!(first.choices[0].delta.role.as_deref(), Some("assistant"));
    let mut content = String::new();
    let mut finish = None;
    while let Some(event) = events.next().await {
        let event = event.unwrap();
        content.extend(event.choices[0].delta.content.clone());
        finish = finish.or(event.choices[0].finish_reason.clone());
    }
    assert_eq!(content, chat.choices[0].message.content);
    assert_eq!(finish.as_deref(), Some("stop"));
    let sent_request = sent(&mock, "POST", "/v1/chat/completions").await;
    assert_eq!(json(&sent_request)["stream"], json!(true));
}

#[tokio::test]
async fn edits_create() {
    let mock = OpenAiMock::start().await;
    let request = CreateEditRequest::builder()
        .model("text-davinci-edit-001")
        .input("What day of the wek is it?".to_string())
        .instruction("Fix the spelling mistakes");
    let edit = openai(&mock).edits().create(request).await.unwrap();
    assert_eq!(edit, documented(OperationId::CreateEdit));
    let sent = sent(&mock, "POST", "/v1/edits").await;
    assert_eq!(
        json(&sent),
        json!({
            "model": "text-davinci-edit-001",
            "input": "What day of the wek is it?",
            "instruction": "Fix the spelling mistakes"
        })
    );
}

#[tokio::test]
async fn images_create() {
    let mock = OpenAiMock::start().await;
    let request = CreateImageRequest::builder()
        .prompt(ImagePrompt::try_from("A cute baby sea otter").unwrap())
        .n(2)
        .size(ImageSize::X1024x1024);
    let images = openai(&mock).images().create(request).await.unwrap();
    assert_eq!(images, documented(OperationId::CreateImage));
    let sent = sent(&mock, "POST", "/v1/images/generations").await;
    assert_eq!(
        json(&sent),
        json!({"prompt": "A cute baby sea otter", "n": 2, "size": "1024x1024"})
    );
}

#[tokio::test]
async fn images_edit_and_variation_upload_their_files() {
    let mock = OpenAiMock::start().await;
    // The mask differs from the image after the header the mock reads.
    let mask_bytes = [PNG, b"mask"].concat();
    let image = Upload::bytes(PNG, "otter.png");
    let mask = Upload::bytes(mask_bytes.clone(), "mask.png");
    let request = CreateImageEditRequest::builder()
        .prompt(ImagePrompt::try_from("A cute baby sea otter wearing a beret").unwrap())
        .n(2)
        .size(ImageSize::X1024x1024);
    let images = openai(&mock)
        .images()
        .create_edit(image, Some(mask), request)
        .await
        .unwrap();
    assert_eq!(images, documented(OperationId::CreateImageEdit));
    let sent_request = sent(&mock, "POST", "/v1/images/edits").await;
    assert!(
        header(&sent_request, "content-type")
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
    assert!(has_file(
        &sent_request,
        "image",
        "otter.png",
        "image/png",
        PNG
    ));
    assert!(has_file(
        &sent_request,
        "mask",
        "mask.png",
        "image/png",
        &mask_bytes
    ));
    assert!(has_field(
        &sent_request,
        "prompt",
        "A cute baby sea otter wearing a beret"
    ));
    assert!(has_field(&sent_request, "n", "2"));
    assert!(has_field(&sent_request, "size", "1024x1024"));

    let mock = OpenAiMock::start().await;
    let image = Upload::bytes(PNG, "otter.png");
    let request = CreateImageVariationRequest::builder().n(2);
    let images = openai(&mock)
        .images()
        .create_variation(image, request)
        .await
        .unwrap();
    assert_eq!(images, documented(OperationId::CreateImageVariation));
    let sent_request = sent(&mock, "POST", "/v1/images/variations").await;
    assert!(has_file(
        &sent_request,
        "image",
        "otter.png",
        "image/png",
        PNG
    ));
    assert!(has_field(&sent_request, "n", "2"));
}

#[tokio::test]
async fn embeddings_create() {
    let mock = OpenAiMock::start().await;
    let request = CreateEmbeddingRequest::builder()
        .model("text-embedding-ada-002")
        .input(Prompt::Text(
            "The food was delicious and the waiter...".into(),
        ));
    let embedding = openai(&mock).embeddings().create(request).await.unwrap();
    let floats = embedding.data[0].embedding.to_floats().unwrap();
    assert_eq!(floats.len(), 1536);
    assert_eq!(embedding, documented(OperationId::CreateEmbedding));
    let sent = sent(&mock, "POST", "/v1/embeddings").await;
    assert_eq!(
        json(&sent),
        json!({"model": "text-embedding-ada-002", "input": "The food was delicious and the waiter..."})
    );

    // As the official Python library asks for it: the same numbers, as
    // float32s.
    let request = CreateEmbeddingRequest::builder()
        .model("text-embedding-ada-002")
        .input(Prompt::Text("The food was delicious".into()))
        .encoding_format(CreateEmbeddingRequestEncodingFormat::Base64);
    let embedding = openai(&mock).embeddings().create(request).await.unwrap();
    assert!(matches!(
        embedding.data[0].embedding,
        EmbeddingVector::Base64(_)
    ));
    let narrowed: Vec<f64> = floats.iter().map(|f| f64::from(*f as f32)).collect();
    assert_eq!(embedding.data[0].embedding.to_floats().unwrap(), narrowed);
}

#[tokio::test]
async fn files_list_upload_retrieve_delete() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let files = openai(&mock).files().list().await.unwrap();
    let expected: List<files::File> =
        converted::<ListFilesResponse, _>(OperationId::ListFiles, "response");
    assert_eq!(files, expected);
    sent(&mock, "GET", "/v1/files").await;

    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let content = fixture(OperationId::DownloadFile, "response");
    let dir = std::env::temp_dir().join(format!("openai-rest-client-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mydata.jsonl");
    std::fs::write(&path, &content).unwrap();
    let file = openai(&mock)
        .files()
        .create(Upload::path(&path), "fine-tune")
        .await
        .unwrap();
    let expected: files::File = converted::<OpenAiFile, _>(OperationId::CreateFile, "response");
    assert_eq!(file, expected);
    assert_eq!((file.status, file.bytes), (Status::Pending, Some(140)));
    let sent_request = sent(&mock, "POST", "/v1/files").await;
    assert!(has_field(&sent_request, "purpose", "fine-tune"));
    // No MIME type is registered for .jsonl.
    let mime = "application/octet-stream";
    assert!(has_file(
        &sent_request,
        "file",
        "mydata.jsonl",
        mime,
        &content
    ));
    // Streamed from disk with its length known: no chunked encoding.
    let length: usize = header(&sent_request, "content-length")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(length, sent_request.body.len());
    assert_eq!(header(&sent_request, "transfer-encoding"), None);
    std::fs::remove_dir_all(&dir).unwrap();

    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let id = "file-XjGxS3KTG0uNmNOK362iJua3";
    let file = openai(&mock).files().retrieve(id).await.unwrap();
    let expected: files::File = converted::<OpenAiFile, _>(OperationId::RetrieveFile, "response");
    assert_eq!(file, expected);
    assert_eq!(file.status, Status::Succeeded);
    sent(&mock, "GET", &format!("/v1/files/{id}")).await;

    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let deleted = openai(&mock).files().delete(id).await.unwrap();
    assert_eq!(deleted, documented(OperationId::DeleteFile));
    sent(&mock, "DELETE", &format!("/v1/files/{id}")).await;
}

#[tokio::test]
async fn uploads_from_a_reader_with_a_name_and_mime_type() {
    let mock = OpenAiMock::start().await;
    let content = fixture(OperationId::DownloadFile, "response");
    let upload = Upload::reader(std::io::Cursor::new(content.clone()), "data.txt")
        .file_name("mydata.jsonl")
        .mime_type("application/jsonl");
    openai(&mock)
        .files()
        .create(upload, "fine-tune")
        .await
        .unwrap();
    let sent_request = sent(&mock, "POST", "/v1/files").await;
    assert!(has_file(
        &sent_request,
        "file",
        "mydata.jsonl",
        "application/jsonl",
        &content
    ));

    let error = openai(&mock)
        .files()
        .create(
            Upload::bytes(&b"x"[..], "x").mime_type("not a mime"),
            "fine-tune",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidArgument(m) if m.contains("not a mime")),
        "{error:?}"
    );
}

#[tokio::test]
async fn files_content_as_bytes_and_to_a_writer() {
    let id = "file-XjGxS3KTG0uNmNOK362iJua3";
    let route = format!("/v1/files/{id}/content");
    let content = fixture(OperationId::DownloadFile, "response");

    let mock = OpenAiMock::start().await;
    let bytes = openai(&mock).files().content(id).await.unwrap();
    assert_eq!(bytes, content);
    assert_eq!(bytes.len(), 140);
    sent(&mock, "GET", &route).await;

    let mock = OpenAiMock::start().await;
    let mut written = Vec::new();
    let count = openai(&mock)
        .files()
        .content_to(id, &mut written)
        .await
        .unwrap();
    assert_eq!((count, written), (140, content));
    sent(&mock, "GET", &route).await;
}

#[tokio::test]
async fn fine_tunes_every_operation() {
    let id = "ft-AF1WoRqd3aJAHsqc9NY7iL8F";

    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let request = CreateFineTuneRequest::builder()
        .training_file("file-XGinujblHPwGLSztz8cPS8XY")
        .model("curie".to_string())
        .n_epochs(4);
    let job = openai(&mock).fine_tunes().create(request).await.unwrap();
    let expected: fine_tunes::FineTune =
        converted::<FineTune, _>(OperationId::CreateFineTune, "response");
    assert_eq!(job, expected);
    assert_eq!(job.status, Status::Pending);
    let sent_request = sent(&mock, "POST", "/v1/fine-tunes").await;
    assert_eq!(
        json(&sent_request),
        json!({"training_file": "file-XGinujblHPwGLSztz8cPS8XY", "model": "curie", "n_epochs": 4})
    );

    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let jobs = openai(&mock).fine_tunes().list().await.unwrap();
    let expected: List<fine_tunes::FineTune> =
        converted::<ListFineTunesResponse, _>(OperationId::ListFineTunes, "response");
    assert_eq!(jobs, expected);
    sent(&mock, "GET", "/v1/fine-tunes").await;

    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let job = openai(&mock).fine_tunes().retrieve(id).await.unwrap();
    let expected: fine_tunes::FineTune =
        converted::<FineTune, _>(OperationId::RetrieveFineTune, "response");
    assert_eq!(job, expected);
    sent(&mock, "GET", &format!("/v1/fine-tunes/{id}")).await;

    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let job = openai(&mock).fine_tunes().cancel(id).await.unwrap();
    assert_eq!(job.status, Status::Cancelled);
    sent(&mock, "POST", &format!("/v1/fine-tunes/{id}/cancel")).await;

    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let route = format!("/v1/fine-tunes/{id}/events");
    let events = openai(&mock).fine_tunes().events(id).await.unwrap();
    let expected: List<fine_tunes::Event> =
        converted::<ListFineTuneEventsResponse, _>(OperationId::ListFineTuneEvents, "response");
    assert_eq!(events, expected);
    sent(&mock, "GET", &route).await;
}

#[tokio::test]
async fn fine_tunes_events_stream_and_follow() {
    let id = "ft-AF1WoRqd3aJAHsqc9NY7iL8F";
    let route = format!("/v1/fine-tunes/{id}/events");
    let listed: List<fine_tunes::Event> =
        converted::<ListFineTuneEventsResponse, _>(OperationId::ListFineTuneEvents, "response");

    let mock = OpenAiMock::start().await;
    let events: Vec<fine_tunes::Event> = openai(&mock)
        .fine_tunes()
        .events_stream(id)
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(events, listed.data);
    let request = one_request(&mock, "GET", &route).await;
    assert_eq!(request.url.query(), Some("stream=true"));

    // follow: the stream, then the job in its final status.
    let mock = OpenAiMock::start().await;
    let mut followed = Vec::new();
    let job = openai(&mock)
        .fine_tunes()
        .follow(id, |event| followed.push(event.message.clone()))
        .await
        .unwrap();
    assert_eq!(job.status, Status::Succeeded);
    let messages: Vec<String> = listed.data.iter().map(|e| e.message.clone()).collect();
    assert_eq!(followed, messages);
}

#[tokio::test]
async fn follow_reconnects_after_a_broken_stream_without_repeating_events() {
    let id = "ft-AF1WoRqd3aJAHsqc9NY7iL8F";
    let stream = String::from_utf8(fixture(OperationId::ListFineTuneEvents, "stream")).unwrap();
    let mock = OpenAiMock::start().await;
    // First connection: two events, then the server closes without [DONE]
    // (raw: the mock always ends its streams with [DONE]). The second is the
    // mock's whole stream.
    let cut: String = stream.split_inclusive("\n\n").take(2).collect();
    Mock::given(operation(OperationId::ListFineTuneEvents))
        .respond_with(ResponseTemplate::new(200).set_body_raw(cut, "text/event-stream"))
        .up_to_n_times(1)
        .mount(mock.server())
        .await;
    // The job is still running after the first stream, done after the second
    // (raw: the mock answers the same job every time).
    let running: serde_json::Value = documented_with(OperationId::RetrieveFineTune, |doc| {
        doc["status"] = json!("running")
    });
    Mock::given(operation(OperationId::RetrieveFineTune))
        .respond_with(ResponseTemplate::new(200).set_body_json(running))
        .up_to_n_times(1)
        .mount(mock.server())
        .await;

    let mut followed = Vec::new();
    let job = openai(&mock)
        .fine_tunes()
        .follow(id, |event| followed.push(event.created_at))
        .await
        .unwrap();
    assert_eq!(job.status, Status::Succeeded);
    let listed: List<fine_tunes::Event> =
        converted::<ListFineTuneEventsResponse, _>(OperationId::ListFineTuneEvents, "response");
    let expected: Vec<i64> = listed.data.iter().map(|e| e.created_at).collect();
    assert_eq!(followed, expected, "each event once, in order");
    assert_eq!(received(&mock).await.len(), 4);
}

#[tokio::test]
async fn moderations_create() {
    let mock = OpenAiMock::start().await;
    let request = CreateModerationRequest::builder().input(CreateModerationRequestInput::Text(
        "I want to kill them.".into(),
    ));
    let moderation = openai(&mock).moderations().create(request).await.unwrap();
    assert_eq!(moderation, documented(OperationId::CreateModeration));
    assert!(moderation.results[0].flagged);
    let sent = sent(&mock, "POST", "/v1/moderations").await;
    assert_eq!(json(&sent), json!({"input": "I want to kill them."}));
}

#[tokio::test]
#[allow(deprecated)]
async fn engines_list_and_retrieve() {
    let mock = OpenAiMock::start().await;
    let engines = openai(&mock).engines().list().await.unwrap();
    assert_eq!(engines, documented(OperationId::ListEngines));
    sent(&mock, "GET", "/v1/engines").await;

    let mock = OpenAiMock::start().await;
    let engine = openai(&mock)
        .engines()
        .retrieve("text-davinci-003")
        .await
        .unwrap();
    assert_eq!(engine, documented(OperationId::RetrieveEngine));
    sent(&mock, "GET", "/v1/engines/text-davinci-003").await;
}

#[tokio::test]
async fn audio_transcriptions_and_translations() {
    let audio = || Upload::bytes(&b"ID3-mp3-bytes"[..], "german.mp3");

    let mock = OpenAiMock::start().await;
    let request = CreateTranscriptionRequest::builder()
        .model("whisper-1")
        .language("de".to_string());
    let text = openai(&mock)
        .audio()
        .transcribe(audio(), request)
        .await
        .unwrap();
    assert_eq!(text, documented(OperationId::CreateTranscription));
    let sent_request = sent(&mock, "POST", "/v1/audio/transcriptions").await;
    assert!(has_file(
        &sent_request,
        "file",
        "german.mp3",
        "audio/mpeg",
        b"ID3-mp3-bytes"
    ));
    assert!(has_field(&sent_request, "model", "whisper-1"));
    assert!(has_field(&sent_request, "language", "de"));

    let mock = OpenAiMock::start().await;
    let srt = fixture(OperationId::CreateTranscription, "srt");
    let request = CreateTranscriptionRequest::builder()
        .model("whisper-1")
        .response_format(AudioResponseFormat::Srt);
    let text = openai(&mock)
        .audio()
        .transcribe_text(audio(), request)
        .await
        .unwrap();
    assert_eq!(text.as_bytes(), srt);
    let sent_request = sent(&mock, "POST", "/v1/audio/transcriptions").await;
    assert!(has_field(&sent_request, "response_format", "srt"));
    assert_eq!(
        header(&sent_request, "accept").as_deref(),
        Some("text/plain")
    );

    let mock = OpenAiMock::start().await;
    let request = CreateTranslationRequest::builder().model("whisper-1");
    let text = openai(&mock)
        .audio()
        .translate(audio(), request)
        .await
        .unwrap();
    assert_eq!(text, documented(OperationId::CreateTranslation));
    let sent_request = sent(&mock, "POST", "/v1/audio/translations").await;
    assert!(has_file(
        &sent_request,
        "file",
        "german.mp3",
        "audio/mpeg",
        b"ID3-mp3-bytes"
    ));

    // The text methods ask for `text` unless told otherwise.
    let mock = OpenAiMock::start().await;
    let plain = fixture(OperationId::CreateTranslation, "text");
    let request = CreateTranslationRequest::builder().model("whisper-1");
    let text = openai(&mock)
        .audio()
        .translate_text(audio(), request)
        .await
        .unwrap();
    assert_eq!(text.as_bytes(), plain);
    let sent_request = sent(&mock, "POST", "/v1/audio/translations").await;
    assert!(has_field(&sent_request, "response_format", "text"));
}

#[tokio::test]
async fn deployments_are_azure_only() {
    let mock = OpenAiMock::start().await;
    let error = openai(&mock).deployments().list().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Unsupported {
                operation: "listDeployments",
                backend: "OpenAI"
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "listDeployments is not available on OpenAI"
    );
    // So is deleting a fine-tune job.
    let error = openai(&mock)
        .fine_tunes()
        .delete("ft-AF1WoRqd3aJAHsqc9NY7iL8F")
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Unsupported {
                operation: "deleteFineTune",
                backend: "OpenAI"
            }
        ),
        "{error:?}"
    );
    assert!(received(&mock).await.is_empty());
}
