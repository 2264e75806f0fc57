//! The stories of a stateful mock, end to end with the client, in both
//! transports, with the mock's clock moved by the test:
//! - OpenAI: upload → list → retrieve → content → fine-tune → follow every
//!   event through `succeeded` → complete with the fine-tuned model → delete
//!   the model → 404;
//! - Azure: create a deployment → `wait` until it has succeeded → complete
//!   on it → delete it → retrieve answers 404; then upload → the file is
//!   checked → fine-tune → follow it through `succeeded` → the fine-tuned
//!   model is listed with its base and job, all in Azure's shapes through
//!   the same calls.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openai_rest_client::types::{
    CreateCompletionRequest, CreateDeploymentRequest, CreateFineTuneRequest, Prompt, ScaleSettings,
    ScaleType, State,
};
use openai_rest_client::{AzureAuth, AzureConfig, Client, Error, Status, Upload};
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

/// Moves a mock's clock on by half a second of mock time.
type Tick = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A stateful mock whose clock stands still until the test moves it, in
/// one of the two transports.
struct Stage {
    /// `http://127.0.0.1:<port>`: the Azure endpoint; OpenAI's base URL is
    /// this + `/v1`.
    origin: String,
    tick: Tick,
    /// Stops the standalone server when dropped.
    _stop: Option<tokio::sync::oneshot::Sender<()>>,
}

const STEP: Duration = Duration::from_millis(500);

impl Stage {
    /// The test library (wiremock), its clock moved through
    /// `OpenAiMock::advance_clock`.
    async fn library() -> Stage {
        let mock = Arc::new(OpenAiMock::start_with(MockOptions::default().clock_speed(0.0)).await);
        let origin = mock.azure_endpoint();
        let tick: Tick = Arc::new(move || {
            mock.advance_clock(STEP);
            Box::pin(async {})
        });
        Stage {
            origin,
            tick,
            _stop: None,
        }
    }

    /// The standalone server, its clock moved through the admin API, as a
    /// user of the server who does not write Rust would.
    async fn server() -> Stage {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let options = MockOptions::default().clock_speed(0.0);
        tokio::spawn(openai_rest_mock::serve(listener, options, async {
            let _ = stopped.await;
        }));
        let http = openai_contract_tests::http();
        let advance = format!(
            "{origin}/__mock/clock/advance?seconds={}",
            STEP.as_secs_f64()
        );
        let tick: Tick = Arc::new(move || {
            let sent = http.post(&advance).send();
            Box::pin(async move {
                let answer = sent.await.expect("the admin API answers");
                assert_eq!(answer.status(), 200, "{answer:?}");
            })
        });
        Stage {
            origin,
            tick,
            _stop: Some(stop),
        }
    }

    /// Moves the clock on every millisecond until aborted.
    fn ticking(&self) -> tokio::task::JoinHandle<()> {
        let tick = self.tick.clone();
        tokio::spawn(async move {
            loop {
                tick().await;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    }
}

/// The OpenAI story on `stage`.
async fn story(stage: &Stage) {
    let client = client(format!("{}/v1", stage.origin));
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
    assert_eq!(job.status, Status::Pending);

    let ticking = stage.ticking();
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
    assert_eq!(done.status, Status::Succeeded);
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

/// The Azure story on `stage`: create a deployment → `wait` → complete on
/// it → delete it → retrieve answers Azure's 404, the same typed error as
/// on OpenAI.
async fn azure_story(stage: &Stage) {
    let config = AzureConfig::new(&stage.origin, AzureAuth::api_key("story-azure-key"));
    let client = Client::builder()
        .azure(config)
        .max_retries(0)
        .poll_interval(Duration::from_millis(2))
        .build()
        .expect("an Azure client");
    let deployments = client.deployments();
    let request = CreateDeploymentRequest::builder()
        .model("text-davinci-002")
        .scale_settings(ScaleSettings::builder().scale_type(ScaleType::Standard));
    let created = deployments.create(request).await.unwrap();
    assert_eq!(created.status, State::NotRunning);
    assert_eq!(created.model, "text-davinci-002");

    // Not ready yet: Azure's 404 for inference on it.
    let on_it = client.with_deployment(&created.id);
    let completion = || {
        CreateCompletionRequest::builder()
            .model("text-davinci-002")
            .prompt(Prompt::Text("Say this is a test".into()))
    };
    let early = on_it.completions().create(completion()).await.unwrap_err();
    assert_eq!(early.status().map(|s| s.as_u16()), Some(404), "{early:?}");
    assert_eq!(
        early.api_error().and_then(|api| api.code.as_deref()),
        Some("DeploymentNotFound"),
        "{early:?}"
    );

    let ticking = stage.ticking();
    let ready = tokio::time::timeout(Duration::from_secs(20), deployments.wait(&created.id))
        .await
        .expect("the deployment ends")
        .unwrap();
    ticking.abort();
    assert_eq!(ready.status, State::Succeeded);
    assert_eq!(ready.id, created.id);
    assert!(ready.updated_at > created.updated_at, "{ready:?}");
    let listed = deployments.list().await.unwrap();
    assert_eq!(listed.data.last(), Some(&ready));

    let answer = on_it.completions().create(completion()).await.unwrap();
    assert!(!answer.choices.is_empty(), "{answer:?}");

    deployments.delete(&created.id).await.unwrap();
    let error = deployments.retrieve(&created.id).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404), "{error:?}");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    let api = error.api_error().expect("Azure's error body");
    assert_eq!(api.code.as_deref(), Some("notFound"), "{error:?}");
    assert_eq!(
        api.message,
        format!("The specified deployment '{}' does not exist.", created.id)
    );

    azure_fine_tune_story(stage, &client).await;
}

/// Files, fine-tunes and models on Azure: the calls of the OpenAI story,
/// answered in Azure's shapes, which the client's types hold.
async fn azure_fine_tune_story(stage: &Stage, client: &Client) {
    let files = client.files();
    let uploaded = files
        .create(Upload::bytes(TRAINING.to_vec(), "story.jsonl"), "fine-tune")
        .await
        .unwrap();
    // Being checked: Azure's `notRunning`, and no size yet.
    assert_eq!((&uploaded.status, uploaded.bytes), (&Status::Pending, None));
    assert_eq!(uploaded.updated_at, Some(uploaded.created_at));
    (stage.tick)().await;
    (stage.tick)().await;
    let checked = files.retrieve(&uploaded.id).await.unwrap();
    assert_eq!(checked.status, Status::Succeeded, "{checked:?}");
    assert_eq!(checked.bytes, Some(TRAINING.len() as u64));
    assert!(checked.updated_at > uploaded.updated_at, "{checked:?}");
    assert_eq!(files.list().await.unwrap().data.last(), Some(&checked));

    let request = CreateFineTuneRequest::builder()
        .training_file(uploaded.id.clone())
        .model(Some("curie".to_owned()));
    let job = client.fine_tunes().create(request).await.unwrap();
    assert_eq!(job.status, Status::Pending);
    assert_eq!(job.fine_tuned_model, None);
    assert_eq!(job.training_files[0].id, uploaded.id);
    assert_eq!(job.organization_id, None);

    let ticking = stage.ticking();
    let mut levels = Vec::new();
    let done = tokio::time::timeout(
        Duration::from_secs(20),
        client
            .fine_tunes()
            .follow(&job.id, |event| levels.push(event.level.clone())),
    )
    .await
    .expect("the job ends")
    .unwrap();
    ticking.abort();
    assert_eq!(done.status, Status::Succeeded);
    assert!(
        levels.len() > 3 && levels.iter().all(|level| level == "info"),
        "{levels:?}"
    );
    assert_eq!(done.result_files[0].status, Status::Succeeded);
    let model = done.fine_tuned_model.clone().expect("a fine-tuned model");

    let tuned = client.models().retrieve(&model).await.unwrap();
    assert_eq!(tuned.model.as_deref(), Some("curie"));
    assert_eq!(tuned.fine_tune.as_deref(), Some(job.id.as_str()));
    let capabilities = tuned.capabilities.as_ref().expect("Azure's capabilities");
    assert!(
        capabilities.inference && !capabilities.fine_tune,
        "{tuned:?}"
    );
    let models = client.models().list().await.unwrap();
    assert_eq!(models.data.last(), Some(&tuned));
    let curie = models.data.iter().find(|m| m.id == "curie").expect("curie");
    assert!(curie.capabilities.as_ref().is_some_and(|can| can.fine_tune));
    assert!(
        curie
            .deprecation
            .as_ref()
            .is_some_and(|when| when.fine_tune.is_some())
    );

    client.fine_tunes().delete(&job.id).await.unwrap();
    files.delete(&uploaded.id).await.unwrap();
    let error = files.retrieve(&uploaded.id).await.unwrap_err();
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
}

#[tokio::test]
async fn the_story_against_the_test_library() {
    let started = Instant::now();
    story(&Stage::library().await).await;
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn the_story_against_the_standalone_server() {
    let started = Instant::now();
    story(&Stage::server().await).await;
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn the_azure_story_against_the_test_library() {
    let started = Instant::now();
    azure_story(&Stage::library().await).await;
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn the_azure_story_against_the_standalone_server() {
    let started = Instant::now();
    azure_story(&Stage::server().await).await;
    assert!(started.elapsed() < Duration::from_secs(5));
}
