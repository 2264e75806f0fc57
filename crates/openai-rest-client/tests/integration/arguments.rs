//! Arguments the API would refuse are refused before anything is sent, with
//! a message that names the problem.

use crate::common;

use std::collections::HashMap;

use common::*;
use openai_rest_client::chat::MessageExt;
use openai_rest_client::types::*;
use openai_rest_client::{Error, Upload};
use openai_rest_mock::OpenAiMock;

/// The message of the `InvalidArgument` that `error` must be.
fn message(error: Error) -> String {
    match error {
        Error::InvalidArgument(message) => message,
        other => panic!("not an invalid argument: {other:?}"),
    }
}

fn completion() -> builder::CreateCompletionRequest {
    CreateCompletionRequest::builder()
        .model("text-davinci-003")
        .prompt(Prompt::Text("Say this is a test".into()))
}

#[tokio::test]
async fn completion_arguments_out_of_their_documented_range() {
    let mock = OpenAiMock::start().await;
    let completions = || openai(&mock);
    let refused = |request: builder::CreateCompletionRequest| {
        let client = completions();
        async move { message(client.completions().create(request).await.unwrap_err()) }
    };

    assert_eq!(
        refused(completion().n(0)).await,
        "`n` must be at least 1, not 0"
    );
    assert_eq!(
        refused(completion().n(129)).await,
        "`n` must be at most 128, not 129"
    );
    assert_eq!(
        refused(completion().temperature(2.5)).await,
        "`temperature` must be at most 2, not 2.5"
    );
    assert_eq!(
        refused(completion().logprobs(6)).await,
        "`logprobs` must be at most 5, not 6"
    );
    assert_eq!(
        refused(completion().presence_penalty(-3.0)).await,
        "`presence_penalty` must be at least -2, not -3"
    );
    let five = StopSequences::List((1..=5).map(|i| i.to_string()).collect());
    assert_eq!(
        refused(completion().stop(five)).await,
        "`stop` must have at most 4 items, not 5"
    );
    let bias = LogitBias::from(HashMap::from([("50256".to_string(), -101)]));
    assert_eq!(
        refused(completion().logit_bias(bias)).await,
        "`logit_bias.50256` must be at least -100, not -101"
    );
    assert_eq!(
        refused(completion().n(3).best_of(2)).await,
        "`best_of` (2) must not be less than `n` (3)"
    );
    assert!(
        refused(CreateCompletionRequest::builder())
            .await
            .contains("model")
    );

    let client = completions();
    let error = client
        .completions()
        .create_stream(completion().best_of(2))
        .await
        .unwrap_err();
    assert_eq!(
        message(error),
        "`best_of` must be at most 1 when `stream` is true, not 2"
    );

    assert!(received(&mock).await.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_request_within_its_range_goes_through() {
    let mock = OpenAiMock::start().await;
    let stop = StopSequences::List((1..=4).map(|i| i.to_string()).collect());
    let request = completion()
        .n(20)
        .temperature(2.0)
        .logprobs(5)
        .stop(stop)
        .best_of(20);
    openai(&mock).completions().create(request).await.unwrap();
    assert_eq!(received(&mock).await.len(), 1);
}

#[tokio::test]
async fn best_of_one_can_be_streamed() {
    // The API refused only best_of above 1 with stream, as the spec says.
    let mock = OpenAiMock::start().await;
    let events = openai(&mock)
        .completions()
        .create_stream(completion().best_of(1))
        .await;
    assert!(events.is_ok(), "{:?}", events.err());
    assert_eq!(received(&mock).await.len(), 1);
}

#[tokio::test]
async fn other_operations_are_checked_too() {
    let mock = OpenAiMock::start().await;
    let client = openai(&mock);

    let chat = CreateChatCompletionRequest::builder()
        .model("gpt-3.5-turbo")
        .messages(vec![]);
    let error = client.chat().create(chat).await.unwrap_err();
    assert_eq!(
        message(error),
        "`messages` must have at least 1 items, not 0"
    );

    let chat = CreateChatCompletionRequest::builder()
        .model("gpt-3.5-turbo")
        .messages(vec![ChatCompletionRequestMessage::user("hi")])
        .top_p(1.5);
    assert_eq!(
        message(client.chat().create(chat).await.unwrap_err()),
        "`top_p` must be at most 1, not 1.5"
    );

    let image = CreateImageRequest::builder()
        .prompt(ImagePrompt::try_from("an otter").unwrap())
        .n(11);
    assert_eq!(
        message(client.images().create(image).await.unwrap_err()),
        "`n` must be at most 10, not 11"
    );

    let edit = CreateEditRequest::builder()
        .model("text-davinci-edit-001")
        .instruction("Fix it")
        .n(21);
    assert_eq!(
        message(client.edits().create(edit).await.unwrap_err()),
        "`n` must be at most 20, not 21"
    );

    let fine_tune = CreateFineTuneRequest::builder()
        .training_file("file-1")
        .learning_rate_multiplier(0.0);
    assert_eq!(
        message(client.fine_tunes().create(fine_tune).await.unwrap_err()),
        "`learning_rate_multiplier` must be more than 0, not 0"
    );

    let audio = Upload::bytes(&b"x"[..], "a.mp3");
    let transcription = CreateTranscriptionRequest::builder()
        .model("whisper-1")
        .temperature(1.5);
    assert_eq!(
        message(
            client
                .audio()
                .transcribe(audio, transcription)
                .await
                .unwrap_err()
        ),
        "`temperature` must be at most 1, not 1.5"
    );

    // A text format asks for the text method.
    let audio = Upload::bytes(&b"x"[..], "a.mp3");
    let transcription = CreateTranscriptionRequest::builder()
        .model("whisper-1")
        .response_format(AudioResponseFormat::Vtt);
    let error = message(
        client
            .audio()
            .transcribe(audio, transcription)
            .await
            .unwrap_err(),
    );
    assert!(error.contains("transcribe_text"), "{error}");

    // stream is for create_stream.
    let error = client
        .completions()
        .create(completion().stream(true))
        .await
        .unwrap_err();
    assert!(message(error).contains("create_stream"));

    assert!(received(&mock).await.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn an_upload_that_is_not_a_file_is_refused() {
    let mock = OpenAiMock::start().await;
    let client = openai(&mock);
    let image = Upload::path(std::env::temp_dir());
    let error = client
        .images()
        .create_variation(image, CreateImageVariationRequest::builder())
        .await
        .unwrap_err();
    assert!(message(error).contains("is not a file"));

    let missing = Upload::path("/nonexistent/otter.png");
    let error = client
        .images()
        .create_edit(
            Upload::bytes(&b"png"[..], "otter.png"),
            Some(missing),
            CreateImageEditRequest::builder().prompt(ImagePrompt::try_from("otter").unwrap()),
        )
        .await
        .unwrap_err();
    let error = message(error);
    assert!(
        error.contains("/nonexistent/otter.png") && error.contains("cannot read"),
        "{error}"
    );
    assert!(received(&mock).await.is_empty());
}
