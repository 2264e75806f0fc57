//! `openai api <resource>.<verb>`: each subcommand's flags become the
//! operation's request, and its answer is printed. The fine-tune commands
//! that upload and follow are in `fine_tune`.

use futures::StreamExt;
use openai_rest_client::{Client, Upload, types};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::cli::{
    Api, AudioArgs, ChatCompletionsCreate, CompletionsCreate, DeploymentsCreate, DeploymentsUpdate,
    ImageOutput, Sampling,
};
use crate::connect::Session;
use crate::failure::Failure;
use crate::fine_tune;
use crate::output;

/// Runs `command` through `session`'s client.
pub async fn run(session: &Session, command: Api) -> Result<(), Failure> {
    let client = &session.client;
    match command {
        Api::ModelsList => output::json(&client.models().list().await?),
        Api::ModelsGet(id) => output::json(&client.models().retrieve(&id.id).await?),
        Api::ModelsDelete(id) | Api::FineTunesDeleteModel(id) => {
            output::json(&client.models().delete(&id.id).await?)
        }
        // The API deprecated engines, and so did the client; the Python
        // CLI still had them.
        #[allow(deprecated)]
        Api::EnginesList => output::json(&client.engines().list().await?),
        #[allow(deprecated)]
        Api::EnginesGet(id) => output::json(&client.engines().retrieve(&id.id).await?),

        Api::CompletionsCreate(args) => completions(session, args).await,
        Api::ChatCompletionsCreate(args) => chat(session, args).await,
        Api::EditsCreate(args) => {
            let request = request(json!({
                "model": args.model,
                "input": args.input,
                "instruction": args.instruction,
                "n": args.n,
                "temperature": args.temperature,
                "top_p": args.top_p,
            }))?;
            let request: types::CreateEditRequest = request;
            output::json(&client.edits().create(request).await?)
        }
        Api::EmbeddingsCreate(args) => {
            session.require_deployment(None)?;
            let request: types::CreateEmbeddingRequest = request(json!({
                "model": args.model,
                "input": args.input,
                "user": args.user,
            }))?;
            output::json(&client.embeddings().create(request).await?)
        }
        Api::ModerationsCreate(args) => {
            let request: types::CreateModerationRequest = request(json!({
                "input": args.input,
                "model": args.model,
            }))?;
            output::json(&client.moderations().create(request).await?)
        }

        Api::ImageCreate(args) => {
            let request: types::CreateImageRequest =
                request(image_request(Some(&args.prompt), &args.output))?;
            output::json(&client.images().create(request).await?)
        }
        Api::ImageCreateEdit(args) => {
            let request: types::CreateImageEditRequest =
                request(image_request(Some(&args.prompt), &args.output))?;
            let mask = args.mask.as_ref().map(Upload::path);
            let answer = client
                .images()
                .create_edit(Upload::path(&args.image), mask, request)
                .await?;
            output::json(&answer)
        }
        Api::ImageCreateVariation(args) => {
            let request: types::CreateImageVariationRequest =
                request(image_request(None, &args.output))?;
            let answer = client
                .images()
                .create_variation(Upload::path(&args.image), request)
                .await?;
            output::json(&answer)
        }

        Api::AudioTranscribe(args) => audio(client, args, Audio::Transcribe).await,
        Api::AudioTranslate(args) => audio(client, args, Audio::Translate).await,

        Api::FilesCreate(args) => {
            let file = client
                .files()
                .create(Upload::path(&args.file), args.purpose)
                .await?;
            output::json(&file)
        }
        Api::FilesList => output::json(&client.files().list().await?),
        Api::FilesGet(id) => output::json(&client.files().retrieve(&id.id).await?),
        Api::FilesDelete(id) => output::json(&client.files().delete(&id.id).await?),
        Api::FilesDownload(args) => match args.output {
            Some(path) => {
                let mut file = tokio::fs::File::create(&path)
                    .await
                    .map_err(|e| Failure::new(format!("cannot create {}: {e}", path.display())))?;
                let written = client.files().content_to(&args.id, &mut file).await?;
                eprintln!("Wrote {written} bytes to {}", path.display());
                Ok(())
            }
            None => {
                let mut stdout = tokio::io::stdout();
                client.files().content_to(&args.id, &mut stdout).await?;
                Ok(())
            }
        },
        Api::FilesImport(args) => {
            let request: types::ImportFileRequest = request(json!({
                "content_url": args.content_url,
                "filename": args.filename,
                "purpose": args.purpose,
            }))?;
            output::json(&client.files().import(request).await?)
        }

        Api::FineTunesList => output::json(&client.fine_tunes().list().await?),
        Api::FineTunesCreate(args) => fine_tune::create(client, *args).await,
        Api::FineTunesGet(id) => output::json(&client.fine_tunes().retrieve(&id.id).await?),
        Api::FineTunesResults(id) => fine_tune::results(client, &id.id).await,
        Api::FineTunesEvents(args) => {
            if args.stream {
                return Err(Failure::usage(format!(
                    "--stream is deprecated, as in the Python CLI: follow the job with \
                     `openai api fine_tunes.follow -i {}`",
                    args.id
                )));
            }
            output::json(&client.fine_tunes().events(&args.id).await?)
        }
        Api::FineTunesFollow(id) => fine_tune::follow(client, &id.id).await,
        Api::FineTunesCancel(id) => output::json(&client.fine_tunes().cancel(&id.id).await?),
        Api::FineTunesDelete(id) => {
            client.fine_tunes().delete(&id.id).await?;
            eprintln!("Deleted fine-tune {}", id.id);
            Ok(())
        }

        Api::DeploymentsList => output::json(&client.deployments().list().await?),
        Api::DeploymentsGet(id) => output::json(&client.deployments().retrieve(&id.id).await?),
        Api::DeploymentsCreate(args) => deployments_create(client, args).await,
        Api::DeploymentsUpdate(args) => deployments_update(client, args).await,
        Api::DeploymentsDelete(id) => {
            client.deployments().delete(&id.id).await?;
            eprintln!("Deleted deployment {}", id.id);
            Ok(())
        }
    }
}

/// The request type `T` from the flags in `value`; unset flags (`null`) are
/// left out, so that the API's defaults apply.
fn request<T: DeserializeOwned>(mut value: Value) -> Result<T, Failure> {
    if let Value::Object(fields) = &mut value {
        fields.retain(|_, field| !field.is_null());
    }
    serde_json::from_value(value).map_err(|e| Failure::usage(format!("invalid arguments: {e}")))
}

/// The fields the three image operations share.
fn image_request(prompt: Option<&str>, output: &ImageOutput) -> Value {
    json!({
        "prompt": prompt,
        "n": output.num_images,
        "size": output.size,
        "response_format": output.response_format,
    })
}

/// The model a completion or chat completion names, and the Azure
/// deployment it goes to: `-e` is the deployment on Azure and, as engines
/// were models, the model on OpenAI.
fn model_and_client(session: &Session, sampling: &Sampling) -> Result<(String, Client), Failure> {
    session.require_deployment(sampling.engine.as_deref())?;
    let client = session.with_deployment(sampling.engine.as_deref());
    let model = sampling
        .model
        .clone()
        .or_else(|| sampling.engine.clone())
        .or_else(|| session.deployment().map(str::to_owned))
        .ok_or_else(|| Failure::usage("give the model with -m MODEL (or the engine with -e)"))?;
    if sampling.stream && sampling.n.is_some_and(|n| n > 1) {
        return Err(Failure::usage(
            "cannot stream more than one completion (-n) at once; drop --stream or -n",
        ));
    }
    Ok((model, client))
}

/// The sampling flags as request fields, over `fields`.
fn with_sampling(mut fields: Value, model: String, sampling: &Sampling) -> Value {
    let extra = json!({
        "model": model,
        "n": sampling.n,
        "max_tokens": sampling.max_tokens,
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "stop": sampling.stop,
    });
    if let (Value::Object(fields), Value::Object(extra)) = (&mut fields, extra) {
        fields.extend(extra);
    }
    fields
}

async fn completions(session: &Session, args: CompletionsCreate) -> Result<(), Failure> {
    let (model, client) = model_and_client(session, &args.sampling)?;
    // The Python CLI asked for `echo`: the prompt is printed before its
    // completion.
    let fields = json!({"prompt": args.prompt, "logprobs": args.logprobs, "echo": true});
    let request: types::CreateCompletionRequest =
        request(with_sampling(fields, model, &args.sampling))?;
    if args.sampling.stream {
        let mut events = client.completions().create_stream(request).await?;
        while let Some(event) = events.next().await {
            print_choices(
                &serde_json::to_value(event?).unwrap_or_default(),
                args.sampling.json,
                Choice::Text,
            )?;
        }
        end_stream(args.sampling.json)
    } else {
        let answer = client.completions().create(request).await?;
        print_answer(&answer, args.sampling.json, Choice::Text)
    }
}

async fn chat(session: &Session, args: ChatCompletionsCreate) -> Result<(), Failure> {
    let (model, client) = model_and_client(session, &args.sampling)?;
    let messages: Vec<Value> = args
        .message
        .chunks(2)
        .map(|pair| json!({"role": pair[0], "content": pair[1]}))
        .collect();
    let request: types::CreateChatCompletionRequest = request(with_sampling(
        json!({"messages": messages}),
        model,
        &args.sampling,
    ))?;
    if args.sampling.stream {
        let mut events = client.chat().create_stream(request).await?;
        while let Some(event) = events.next().await {
            print_choices(
                &serde_json::to_value(event?).unwrap_or_default(),
                args.sampling.json,
                Choice::Delta,
            )?;
        }
        end_stream(args.sampling.json)
    } else {
        let answer = client.chat().create(request).await?;
        print_answer(&answer, args.sampling.json, Choice::Message)
    }
}

/// Where a choice's text is.
#[derive(Clone, Copy)]
enum Choice {
    /// A completion's `text`.
    Text,
    /// A chat completion's `message.content`.
    Message,
    /// A chat stream event's `delta.content`.
    Delta,
}

fn print_answer<T: serde::Serialize>(
    answer: &T,
    json: bool,
    choice: Choice,
) -> Result<(), Failure> {
    if json {
        return output::json(answer);
    }
    let value = serde_json::to_value(answer).unwrap_or_default();
    print_choices(&value, false, choice)?;
    output::text_part("\n")
}

/// The text of each choice of `answer` in `index` order, headed by its
/// number when there are several, as the Python CLI printed them; or the
/// answer as one JSON line.
fn print_choices(answer: &Value, json: bool, choice: Choice) -> Result<(), Failure> {
    if json {
        return output::json_line(answer);
    }
    let mut choices: Vec<&Value> = answer["choices"].as_array().into_iter().flatten().collect();
    choices.sort_by_key(|c| c["index"].as_u64());
    let several = choices.len() > 1;
    for (number, c) in choices.iter().enumerate() {
        if several {
            output::text_line(&format!("===== Completion {number} ====="))?;
        }
        let text = match choice {
            Choice::Text => &c["text"],
            Choice::Message => &c["message"]["content"],
            Choice::Delta => &c["delta"]["content"],
        };
        output::text_part(text.as_str().unwrap_or_default())?;
        if several {
            output::text_part("\n")?;
        }
    }
    Ok(())
}

/// The newline after a streamed text, so that the shell's prompt starts on
/// a line of its own.
fn end_stream(json: bool) -> Result<(), Failure> {
    if json {
        Ok(())
    } else {
        output::text_part("\n")
    }
}

enum Audio {
    Transcribe,
    Translate,
}

async fn audio(client: &Client, args: AudioArgs, which: Audio) -> Result<(), Failure> {
    let text_answer = matches!(
        args.response_format.as_deref(),
        Some("text" | "srt" | "vtt")
    );
    let mut fields = json!({
        "model": args.model,
        "response_format": args.response_format,
        "temperature": args.temperature,
        "prompt": args.prompt,
    });
    if let Audio::Transcribe = which {
        fields["language"] = json!(args.language);
    } else if args.language.is_some() {
        return Err(Failure::usage(
            "--language is for transcriptions: a translation is always into English",
        ));
    }
    let file = Upload::path(&args.file);
    match (which, text_answer) {
        (Audio::Transcribe, false) => {
            let request: types::CreateTranscriptionRequest = request(fields)?;
            output::json(&client.audio().transcribe(file, request).await?)
        }
        (Audio::Transcribe, true) => {
            let request: types::CreateTranscriptionRequest = request(fields)?;
            output::text_part(&client.audio().transcribe_text(file, request).await?)
        }
        (Audio::Translate, false) => {
            let request: types::CreateTranslationRequest = request(fields)?;
            output::json(&client.audio().translate(file, request).await?)
        }
        (Audio::Translate, true) => {
            let request: types::CreateTranslationRequest = request(fields)?;
            output::text_part(&client.audio().translate_text(file, request).await?)
        }
    }
}

fn scale_settings(scale_type: Option<&str>, capacity: Option<i64>) -> Value {
    json!({"scale_type": scale_type, "capacity": capacity})
        .as_object()
        .map(|fields| {
            Value::Object(
                fields
                    .iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        })
        .unwrap_or_default()
}

async fn deployments_create(client: &Client, args: DeploymentsCreate) -> Result<(), Failure> {
    let request: types::CreateDeploymentRequest = request(json!({
        "model": args.model,
        "scale_settings": scale_settings(Some(&args.scale_type), args.capacity),
    }))?;
    output::json(&client.deployments().create(request).await?)
}

async fn deployments_update(client: &Client, args: DeploymentsUpdate) -> Result<(), Failure> {
    let scale = (args.scale_type.is_some() || args.capacity.is_some())
        .then(|| scale_settings(args.scale_type.as_deref(), args.capacity));
    if args.model.is_none() && scale.is_none() {
        return Err(Failure::usage("nothing to update: give -m, -s or -c"));
    }
    let request: types::UpdateDeploymentRequest = request(json!({
        "model": args.model,
        "scale_settings": scale,
    }))?;
    output::json(&client.deployments().update(&args.id, request).await?)
}
