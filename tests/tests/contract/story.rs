//! The whole story of a stateful mock, end to end with the client, in both
//! transports: upload → list → retrieve → content → fine-tune → follow every
//! event through `succeeded` → complete with the fine-tuned model → delete
//! the model → 404.

use std::time::{Duration, Instant};

use openai_rest_client::types::{CreateCompletionRequest, CreateFineTuneRequest, Prompt};
use openai_rest_client::{Client, Error, Upload};
use openai_rest_mock::{MockOptions, OpenAiMock};

const TRAINING: &[u8] = b"{\"prompt\": \"Say hi ->\", \"completion\": \" hi\\n\"}\n";

fn client(base_url: String) -> Client {
    Client::builder()
        .api_key("sk-story-key-abcdefghijklmnop")
        .base_url(base_url)
        .max_retries(0)
        .poll_interval(Duration::from_millis(2))
        .build()
        .expect("a client")
}

/// The story against the mock at `base_url`; `tick` moves its clock while
/// `follow` waits (the library's clock), or does nothing (the server's runs).
async fn story(base_url: String, tick: impl Fn() + Send + Sync + 'static) {
    let client = client(base_url);
    let files = client.files();
    let uploaded = files
        .create(Upload::bytes(TRAINING.to_vec(), "story.jsonl"), "fine-tune")
        .await
        .unwrap();
    let listed = files.list().await.unwrap();
    assert_eq!(listed.data.last(), Some(&uploaded));
    assert_eq!(files.retrieve(&uploaded.id).await.unwrap(), uploaded);
    assert_eq!(&files.content(&uploaded.id).await.unwrap()[..], TRAINING);

    let request = CreateFineTuneRequest::builder()
        .training_file(uploaded.id.clone())
        .model(Some("curie".to_owned()));
    let job = client.fine_tunes().create(request).await.unwrap();
    assert_eq!(job.status, "pending");

    let ticking = tokio::spawn(async move {
        loop {
            tick();
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let mut messages = Vec::new();
    let done = tokio::time::timeout(
        Duration::from_secs(20),
        client
            .fine_tunes()
            .follow(&job.id, |event| messages.push(event.message.clone())),
    )
    .await
    .expect("the job ends")
    .unwrap();
    ticking.abort();
    assert_eq!(done.status, "succeeded");
    let model = done.fine_tuned_model.clone().expect("a fine-tuned model");
    let expected = [
        format!("Created fine-tune: {}", job.id),
        "Job enqueued. Waiting for jobs ahead to complete. Queue number: 0.".to_owned(),
        "Job started.".to_owned(),
        "Completed epoch 1/4".to_owned(),
        "Completed epoch 2/4".to_owned(),
        "Completed epoch 3/4".to_owned(),
        "Completed epoch 4/4".to_owned(),
        format!("Uploaded model: {model}"),
        format!("Uploaded result file: {}", done.result_files[0].id),
        "Fine-tune succeeded".to_owned(),
    ];
    assert_eq!(messages, expected);

    let completion = client
        .completions()
        .create(
            CreateCompletionRequest::builder()
                .model(model.clone())
                .prompt(Prompt::Text("Say hi ->".into())),
        )
        .await
        .unwrap();
    assert_eq!(completion.model, model);

    let deleted = client.models().delete(&model).await.unwrap();
    assert!(deleted.deleted);
    let error = client.models().retrieve(&model).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404), "{error:?}");
    let api = error.api_error().expect("the API's error body");
    assert_eq!(api.code.as_deref(), Some("model_not_found"), "{error:?}");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
}

#[tokio::test]
async fn the_story_against_the_test_library_with_its_clock_moved_by_the_test() {
    let started = Instant::now();
    let mock =
        std::sync::Arc::new(OpenAiMock::start_with(MockOptions::default().clock_speed(0.0)).await);
    let clock = mock.clone();
    story(mock.base_url(), move || {
        clock.advance_clock(Duration::from_millis(500))
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn the_story_against_the_standalone_server_with_a_fast_clock() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // 100 times faster: the fine-tune takes about 100 ms.
    let options = MockOptions::default().clock_speed(100.0);
    tokio::spawn(openai_rest_mock::serve(listener, options, async {
        let _ = stopped.await;
    }));
    story(format!("http://{address}/v1"), || {}).await;
    let _ = stop.send(());
}
