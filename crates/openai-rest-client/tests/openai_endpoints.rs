//! Every OpenAI operation once against wiremock: what went over the wire
//! (method, path, query, headers, body) and what came back decoded.

mod common;

use common::*;
use futures::StreamExt;
use openai_rest_client::chat::MessageExt;
use openai_rest_client::types::*;
use openai_rest_client::{Error, Upload};
use serde_json::json;
use wiremock::MockServer;

#[tokio::test]
async fn models_list_retrieve_delete() {
    let server = MockServer::start().await;
    answer_fixture(&server, "GET", "/v1/models", "listModels").await;
    let models = openai(&server).models().list().await.unwrap();
    assert_eq!(models, decoded("listModels", "response.json"));
    assert!(!models.data.is_empty());
    sent(&server, "GET", "/v1/models").await;

    let server = MockServer::start().await;
    answer_fixture(
        &server,
        "GET",
        "/v1/models/text-davinci-003",
        "retrieveModel",
    )
    .await;
    let model = openai(&server)
        .models()
        .retrieve("text-davinci-003")
        .await
        .unwrap();
    assert_eq!(model, decoded("retrieveModel", "response.json"));
    sent(&server, "GET", "/v1/models/text-davinci-003").await;

    // Fine-tuned model ids contain `:`.
    let server = MockServer::start().await;
    let route = "/v1/models/curie:ft-acmeco-2021-03-03-21-44-20";
    answer_fixture(&server, "DELETE", route, "deleteModel").await;
    let deleted = openai(&server)
        .models()
        .delete("curie:ft-acmeco-2021-03-03-21-44-20")
        .await
        .unwrap();
    assert_eq!(deleted, decoded("deleteModel", "response.json"));
    sent(&server, "DELETE", route).await;
}

#[tokio::test]
async fn completions_create() {
    let server = MockServer::start().await;
    answer_fixture(&server, "POST", "/v1/completions", "createCompletion").await;
    let request = CreateCompletionRequest::builder()
        .model("text-davinci-003")
        .prompt(Prompt::Text("Say this is a test".into()))
        .max_tokens(7)
        .temperature(0.0)
        .stop(StopSequences::List(vec!["\n".into()]));
    let completion = openai(&server).completions().create(request).await.unwrap();
    assert_eq!(completion, decoded("createCompletion", "response.json"));
    assert_eq!(completion.choices[0].text, "\n\nThis is indeed a test");

    let sent = sent(&server, "POST", "/v1/completions").await;
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
            "stop": ["\n"]
        })
    );
}

#[tokio::test]
async fn completions_create_stream() {
    let server = MockServer::start().await;
    let stream = fixture("createCompletion", "stream.sse");
    answer(
        &server,
        "POST",
        "/v1/completions",
        200,
        stream,
        "text/event-stream",
    )
    .await;
    let request = CreateCompletionRequest::builder()
        .model("text-davinci-003")
        .prompt(Prompt::Text("Say this is a test".into()))
        .max_tokens(7);
    let events: Vec<_> = openai(&server)
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

    let sent = sent(&server, "POST", "/v1/completions").await;
    assert_eq!(json(&sent)["stream"], json!(true));
    assert_eq!(
        header(&sent, "accept").as_deref(),
        Some("text/event-stream")
    );
}

#[tokio::test]
async fn completions_batch_matches_choices_to_prompts_by_index() {
    let server = MockServer::start().await;
    // Two prompts, n = 2, answered out of order.
    let choice = |index: i64, text: &str| json!({"text": text, "index": index, "logprobs": null, "finish_reason": "stop"});
    let body = json!({
        "id": "cmpl-batch", "object": "text_completion", "created": 1, "model": "curie",
        "choices": [choice(3, "b2"), choice(0, "a1"), choice(2, "b1"), choice(1, "a2")]
    });
    answer(
        &server,
        "POST",
        "/v1/completions",
        200,
        body.to_string().into_bytes(),
        "application/json",
    )
    .await;
    let request = CreateCompletionRequest::builder()
        .model("curie")
        .prompt(Prompt::Texts(vec![
            "Once upon a time,".into(),
            "In a galaxy".into(),
        ]))
        .n(2);
    let batch = openai(&server)
        .completions()
        .create_batch(request)
        .await
        .unwrap();
    let per_prompt: Vec<Vec<&str>> = batch
        .per_prompt()
        .map(|choices| choices.iter().map(|c| c.text.as_str()).collect())
        .collect();
    assert_eq!(per_prompt, [["a1", "a2"], ["b1", "b2"]]);
    let sent = sent(&server, "POST", "/v1/completions").await;
    assert_eq!(
        json(&sent)["prompt"],
        json!(["Once upon a time,", "In a galaxy"])
    );

    // A choice missing from the answer is not a silent gap.
    let server = MockServer::start().await;
    let body = json!({
        "id": "cmpl-batch", "object": "text_completion", "created": 1, "model": "curie",
        "choices": [choice(0, "a1")]
    });
    answer(
        &server,
        "POST",
        "/v1/completions",
        200,
        body.to_string().into_bytes(),
        "application/json",
    )
    .await;
    let request = CreateCompletionRequest::builder()
        .model("curie")
        .prompt(Prompt::Texts(vec!["a".into(), "b".into()]));
    let error = openai(&server)
        .completions()
        .create_batch(request)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidResponse { .. }), "{error:?}");
}

#[tokio::test]
async fn chat_create_and_stream() {
    let server = MockServer::start().await;
    answer_fixture(
        &server,
        "POST",
        "/v1/chat/completions",
        "createChatCompletion",
    )
    .await;
    let request = CreateChatCompletionRequest::builder()
        .model("gpt-3.5-turbo")
        .messages(vec![
            ChatCompletionRequestMessage::system("You are a helpful assistant."),
            ChatCompletionRequestMessage::user("Hello!"),
        ]);
    let chat = openai(&server)
        .chat()
        .create(request.clone())
        .await
        .unwrap();
    assert_eq!(chat, decoded("createChatCompletion", "response.json"));
    let sent_request = sent(&server, "POST", "/v1/chat/completions").await;
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

    let server = MockServer::start().await;
    let stream = fixture("createChatCompletion", "stream.sse");
    answer(
        &server,
        "POST",
        "/v1/chat/completions",
        200,
        stream,
        "text/event-stream",
    )
    .await;
    let mut events = openai(&server).chat().create_stream(request).await.unwrap();
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
    let sent_request = sent(&server, "POST", "/v1/chat/completions").await;
    assert_eq!(json(&sent_request)["stream"], json!(true));
}

#[tokio::test]
async fn edits_create() {
    let server = MockServer::start().await;
    answer_fixture(&server, "POST", "/v1/edits", "createEdit").await;
    let request = CreateEditRequest::builder()
        .model("text-davinci-edit-001")
        .input("What day of the wek is it?".to_string())
        .instruction("Fix the spelling mistakes");
    let edit = openai(&server).edits().create(request).await.unwrap();
    assert_eq!(edit, decoded("createEdit", "response.json"));
    let sent = sent(&server, "POST", "/v1/edits").await;
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
    let server = MockServer::start().await;
    answer_fixture(&server, "POST", "/v1/images/generations", "createImage").await;
    let request = CreateImageRequest::builder()
        .prompt(ImagePrompt::try_from("A cute baby sea otter").unwrap())
        .n(2)
        .size(ImageSize::X1024x1024);
    let images = openai(&server).images().create(request).await.unwrap();
    assert_eq!(images, decoded("createImage", "response.json"));
    let sent = sent(&server, "POST", "/v1/images/generations").await;
    assert_eq!(
        json(&sent),
        json!({"prompt": "A cute baby sea otter", "n": 2, "size": "1024x1024"})
    );
}

#[tokio::test]
async fn images_edit_and_variation_upload_their_files() {
    let server = MockServer::start().await;
    answer_fixture(&server, "POST", "/v1/images/edits", "createImageEdit").await;
    let image = Upload::bytes(&b"PNG-image"[..], "otter.png");
    let mask = Upload::bytes(&b"PNG-mask"[..], "mask.png");
    let request = CreateImageEditRequest::builder()
        .prompt(ImagePrompt::try_from("A cute baby sea otter wearing a beret").unwrap())
        .n(2)
        .size(ImageSize::X1024x1024);
    let images = openai(&server)
        .images()
        .create_edit(image, Some(mask), request)
        .await
        .unwrap();
    assert_eq!(images, decoded("createImageEdit", "response.json"));
    let sent_request = sent(&server, "POST", "/v1/images/edits").await;
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
        b"PNG-image"
    ));
    assert!(has_file(
        &sent_request,
        "mask",
        "mask.png",
        "image/png",
        b"PNG-mask"
    ));
    assert!(has_field(
        &sent_request,
        "prompt",
        "A cute baby sea otter wearing a beret"
    ));
    assert!(has_field(&sent_request, "n", "2"));
    assert!(has_field(&sent_request, "size", "1024x1024"));

    let server = MockServer::start().await;
    answer_fixture(
        &server,
        "POST",
        "/v1/images/variations",
        "createImageVariation",
    )
    .await;
    let image = Upload::bytes(&b"PNG-image"[..], "otter.png");
    let request = CreateImageVariationRequest::builder().n(2);
    let images = openai(&server)
        .images()
        .create_variation(image, request)
        .await
        .unwrap();
    assert_eq!(images, decoded("createImageVariation", "response.json"));
    let sent_request = sent(&server, "POST", "/v1/images/variations").await;
    assert!(has_file(
        &sent_request,
        "image",
        "otter.png",
        "image/png",
        b"PNG-image"
    ));
    assert!(has_field(&sent_request, "n", "2"));
}

#[tokio::test]
async fn embeddings_create() {
    let server = MockServer::start().await;
    answer_fixture(&server, "POST", "/v1/embeddings", "createEmbedding").await;
    let request = CreateEmbeddingRequest::builder()
        .model("text-embedding-ada-002")
        .input(Prompt::Text(
            "The food was delicious and the waiter...".into(),
        ));
    let embedding = openai(&server).embeddings().create(request).await.unwrap();
    assert_eq!(embedding.data[0].embedding.len(), 1536);
    assert_eq!(embedding, decoded("createEmbedding", "response.json"));
    let sent = sent(&server, "POST", "/v1/embeddings").await;
    assert_eq!(
        json(&sent),
        json!({"model": "text-embedding-ada-002", "input": "The food was delicious and the waiter..."})
    );
}

#[tokio::test]
async fn files_list_upload_retrieve_delete() {
    let server = MockServer::start().await;
    answer_fixture(&server, "GET", "/v1/files", "listFiles").await;
    let files = openai(&server).files().list().await.unwrap();
    assert_eq!(files, decoded("listFiles", "response.json"));
    sent(&server, "GET", "/v1/files").await;

    let server = MockServer::start().await;
    answer_fixture(&server, "POST", "/v1/files", "createFile").await;
    let content = fixture("downloadFile", "response.jsonl");
    let dir = std::env::temp_dir().join(format!("openai-rest-client-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mydata.jsonl");
    std::fs::write(&path, &content).unwrap();
    let file = openai(&server)
        .files()
        .create(Upload::path(&path), "fine-tune")
        .await
        .unwrap();
    assert_eq!(file, decoded("createFile", "response.json"));
    let sent_request = sent(&server, "POST", "/v1/files").await;
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

    let server = MockServer::start().await;
    let id = "file-XjGxS3KTG0uNmNOK362iJua3";
    answer_fixture(&server, "GET", &format!("/v1/files/{id}"), "retrieveFile").await;
    let file = openai(&server).files().retrieve(id).await.unwrap();
    assert_eq!(file, decoded("retrieveFile", "response.json"));
    sent(&server, "GET", &format!("/v1/files/{id}")).await;

    let server = MockServer::start().await;
    answer_fixture(&server, "DELETE", &format!("/v1/files/{id}"), "deleteFile").await;
    let deleted = openai(&server).files().delete(id).await.unwrap();
    assert_eq!(deleted, decoded("deleteFile", "response.json"));
    sent(&server, "DELETE", &format!("/v1/files/{id}")).await;
}

#[tokio::test]
async fn uploads_from_a_reader_with_a_name_and_mime_type() {
    let server = MockServer::start().await;
    answer_fixture(&server, "POST", "/v1/files", "createFile").await;
    let content = fixture("downloadFile", "response.jsonl");
    let upload = Upload::reader(std::io::Cursor::new(content.clone()), "data.txt")
        .file_name("mydata.jsonl")
        .mime_type("application/jsonl");
    openai(&server)
        .files()
        .create(upload, "fine-tune")
        .await
        .unwrap();
    let sent_request = sent(&server, "POST", "/v1/files").await;
    assert!(has_file(
        &sent_request,
        "file",
        "mydata.jsonl",
        "application/jsonl",
        &content
    ));

    let error = openai(&server)
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
    let content = fixture("downloadFile", "response.jsonl");

    let server = MockServer::start().await;
    answer(
        &server,
        "GET",
        &route,
        200,
        content.clone(),
        "application/octet-stream",
    )
    .await;
    let bytes = openai(&server).files().content(id).await.unwrap();
    assert_eq!(bytes, content);
    assert_eq!(bytes.len(), 140);
    sent(&server, "GET", &route).await;

    let server = MockServer::start().await;
    answer(
        &server,
        "GET",
        &route,
        200,
        content.clone(),
        "application/octet-stream",
    )
    .await;
    let mut written = Vec::new();
    let count = openai(&server)
        .files()
        .content_to(id, &mut written)
        .await
        .unwrap();
    assert_eq!((count, written), (140, content));
    sent(&server, "GET", &route).await;
}

#[tokio::test]
async fn fine_tunes_every_operation() {
    let id = "ft-AF1WoRqd3aJAHsqc9NY7iL8F";

    let server = MockServer::start().await;
    answer_fixture(&server, "POST", "/v1/fine-tunes", "createFineTune").await;
    let request = CreateFineTuneRequest::builder()
        .training_file("file-XGinujblHPwGLSztz8cPS8XY")
        .model("curie".to_string())
        .n_epochs(4);
    let job = openai(&server).fine_tunes().create(request).await.unwrap();
    assert_eq!(job, decoded("createFineTune", "response.json"));
    let sent_request = sent(&server, "POST", "/v1/fine-tunes").await;
    assert_eq!(
        json(&sent_request),
        json!({"training_file": "file-XGinujblHPwGLSztz8cPS8XY", "model": "curie", "n_epochs": 4})
    );

    let server = MockServer::start().await;
    answer_fixture(&server, "GET", "/v1/fine-tunes", "listFineTunes").await;
    let jobs = openai(&server).fine_tunes().list().await.unwrap();
    assert_eq!(jobs, decoded("listFineTunes", "response.json"));
    sent(&server, "GET", "/v1/fine-tunes").await;

    let server = MockServer::start().await;
    answer_fixture(
        &server,
        "GET",
        &format!("/v1/fine-tunes/{id}"),
        "retrieveFineTune",
    )
    .await;
    let job = openai(&server).fine_tunes().retrieve(id).await.unwrap();
    assert_eq!(job, decoded("retrieveFineTune", "response.json"));
    sent(&server, "GET", &format!("/v1/fine-tunes/{id}")).await;

    let server = MockServer::start().await;
    answer_fixture(
        &server,
        "POST",
        &format!("/v1/fine-tunes/{id}/cancel"),
        "cancelFineTune",
    )
    .await;
    let job = openai(&server).fine_tunes().cancel(id).await.unwrap();
    assert_eq!(job.status, "cancelled");
    sent(&server, "POST", &format!("/v1/fine-tunes/{id}/cancel")).await;

    let server = MockServer::start().await;
    let route = format!("/v1/fine-tunes/{id}/events");
    answer_fixture(&server, "GET", &route, "listFineTuneEvents").await;
    let events = openai(&server).fine_tunes().events(id).await.unwrap();
    assert_eq!(events, decoded("listFineTuneEvents", "response.json"));
    sent(&server, "GET", &route).await;
}

#[tokio::test]
async fn fine_tunes_events_stream_and_follow() {
    let id = "ft-AF1WoRqd3aJAHsqc9NY7iL8F";
    let route = format!("/v1/fine-tunes/{id}/events");
    let listed: ListFineTuneEventsResponse = decoded("listFineTuneEvents", "response.json");

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
    let events: Vec<FineTuneEvent> = openai(&server)
        .fine_tunes()
        .events_stream(id)
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(events, listed.data);
    let request = one_request(&server, "GET", &route).await;
    assert_eq!(request.url.query(), Some("stream=true"));

    // follow: the stream, then the job in its final status.
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
    answer_fixture(
        &server,
        "GET",
        &format!("/v1/fine-tunes/{id}"),
        "retrieveFineTune",
    )
    .await;
    let mut followed = Vec::new();
    let job = openai(&server)
        .fine_tunes()
        .follow(id, |event| followed.push(event.message.clone()))
        .await
        .unwrap();
    assert_eq!(job.status, "succeeded");
    let messages: Vec<String> = listed.data.iter().map(|e| e.message.clone()).collect();
    assert_eq!(followed, messages);
}

#[tokio::test]
async fn follow_reconnects_after_a_broken_stream_without_repeating_events() {
    use wiremock::{Mock, ResponseTemplate, matchers};
    let id = "ft-AF1WoRqd3aJAHsqc9NY7iL8F";
    let route = format!("/v1/fine-tunes/{id}/events");
    let stream = String::from_utf8(fixture("listFineTuneEvents", "stream.sse")).unwrap();
    // First connection: two events, then the server closes without [DONE].
    let cut: String = stream.split_inclusive("\n\n").take(2).collect();
    let server = MockServer::start().await;
    Mock::given(matchers::path(route.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(cut, "text/event-stream"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(matchers::path(route.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(stream, "text/event-stream"))
        .mount(&server)
        .await;
    // The job is still running after the first stream, done after the second.
    let mut running: serde_json::Value = decoded("retrieveFineTune", "response.json");
    running["status"] = json!("running");
    Mock::given(matchers::path(format!("/v1/fine-tunes/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(running))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    answer_fixture(
        &server,
        "GET",
        &format!("/v1/fine-tunes/{id}"),
        "retrieveFineTune",
    )
    .await;

    let mut followed = Vec::new();
    let job = openai(&server)
        .fine_tunes()
        .follow(id, |event| followed.push(event.created_at))
        .await
        .unwrap();
    assert_eq!(job.status, "succeeded");
    let listed: ListFineTuneEventsResponse = decoded("listFineTuneEvents", "response.json");
    let expected: Vec<i64> = listed.data.iter().map(|e| e.created_at).collect();
    assert_eq!(followed, expected, "each event once, in order");
    assert_eq!(received(&server).await.len(), 4);
}

#[tokio::test]
async fn moderations_create() {
    let server = MockServer::start().await;
    answer_fixture(&server, "POST", "/v1/moderations", "createModeration").await;
    let request = CreateModerationRequest::builder().input(CreateModerationRequestInput::Text(
        "I want to kill them.".into(),
    ));
    let moderation = openai(&server).moderations().create(request).await.unwrap();
    assert_eq!(moderation, decoded("createModeration", "response.json"));
    assert!(moderation.results[0].flagged);
    let sent = sent(&server, "POST", "/v1/moderations").await;
    assert_eq!(json(&sent), json!({"input": "I want to kill them."}));
}

#[tokio::test]
#[allow(deprecated)]
async fn engines_list_and_retrieve() {
    let server = MockServer::start().await;
    answer_fixture(&server, "GET", "/v1/engines", "listEngines").await;
    let engines = openai(&server).engines().list().await.unwrap();
    assert_eq!(engines, decoded("listEngines", "response.json"));
    sent(&server, "GET", "/v1/engines").await;

    let server = MockServer::start().await;
    answer_fixture(
        &server,
        "GET",
        "/v1/engines/text-davinci-003",
        "retrieveEngine",
    )
    .await;
    let engine = openai(&server)
        .engines()
        .retrieve("text-davinci-003")
        .await
        .unwrap();
    assert_eq!(engine, decoded("retrieveEngine", "response.json"));
    sent(&server, "GET", "/v1/engines/text-davinci-003").await;
}

#[tokio::test]
async fn audio_transcriptions_and_translations() {
    let audio = || Upload::bytes(&b"ID3-mp3-bytes"[..], "german.mp3");

    let server = MockServer::start().await;
    answer_fixture(
        &server,
        "POST",
        "/v1/audio/transcriptions",
        "createTranscription",
    )
    .await;
    let request = CreateTranscriptionRequest::builder()
        .model("whisper-1")
        .language("de".to_string());
    let text = openai(&server)
        .audio()
        .transcribe(audio(), request)
        .await
        .unwrap();
    assert_eq!(text, decoded("createTranscription", "response.json"));
    let sent_request = sent(&server, "POST", "/v1/audio/transcriptions").await;
    assert!(has_file(
        &sent_request,
        "file",
        "german.mp3",
        "audio/mpeg",
        b"ID3-mp3-bytes"
    ));
    assert!(has_field(&sent_request, "model", "whisper-1"));
    assert!(has_field(&sent_request, "language", "de"));

    let server = MockServer::start().await;
    let srt = fixture("createTranscription", "srt.srt");
    answer(
        &server,
        "POST",
        "/v1/audio/transcriptions",
        200,
        srt.clone(),
        "text/plain",
    )
    .await;
    let request = CreateTranscriptionRequest::builder()
        .model("whisper-1")
        .response_format(AudioResponseFormat::Srt);
    let text = openai(&server)
        .audio()
        .transcribe_text(audio(), request)
        .await
        .unwrap();
    assert_eq!(text.as_bytes(), srt);
    let sent_request = sent(&server, "POST", "/v1/audio/transcriptions").await;
    assert!(has_field(&sent_request, "response_format", "srt"));
    assert_eq!(
        header(&sent_request, "accept").as_deref(),
        Some("text/plain")
    );

    let server = MockServer::start().await;
    answer_fixture(
        &server,
        "POST",
        "/v1/audio/translations",
        "createTranslation",
    )
    .await;
    let request = CreateTranslationRequest::builder().model("whisper-1");
    let text = openai(&server)
        .audio()
        .translate(audio(), request)
        .await
        .unwrap();
    assert_eq!(text, decoded("createTranslation", "response.json"));
    let sent_request = sent(&server, "POST", "/v1/audio/translations").await;
    assert!(has_file(
        &sent_request,
        "file",
        "german.mp3",
        "audio/mpeg",
        b"ID3-mp3-bytes"
    ));

    // The text methods ask for `text` unless told otherwise.
    let server = MockServer::start().await;
    let plain = fixture("createTranslation", "text.txt");
    answer(
        &server,
        "POST",
        "/v1/audio/translations",
        200,
        plain.clone(),
        "text/plain",
    )
    .await;
    let request = CreateTranslationRequest::builder().model("whisper-1");
    let text = openai(&server)
        .audio()
        .translate_text(audio(), request)
        .await
        .unwrap();
    assert_eq!(text.as_bytes(), plain);
    let sent_request = sent(&server, "POST", "/v1/audio/translations").await;
    assert!(has_field(&sent_request, "response_format", "text"));
}

#[tokio::test]
async fn deployments_are_azure_only() {
    let server = MockServer::start().await;
    let error = openai(&server).deployments().list().await.unwrap_err();
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
    assert!(received(&server).await.is_empty());
}
