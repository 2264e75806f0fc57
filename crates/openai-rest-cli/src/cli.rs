//! The command line itself: every subcommand and flag, as clap parses them.
//! The names and flags are the Python library's `openai` command (0.27) where
//! it had them; what it lacked is named in the same `resource.verb` way.

// The doc comments here are the `--help` text, where a URL in `<...>` would
// show its brackets.
#![allow(rustdoc::bare_urls)]

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

/// The `openai` command line of the 2023 Python library, on openai-rest-client.
///
/// The API key is read from OPENAI_API_KEY (or -k); for Azure, set
/// --api-type azure (or OPENAI_API_TYPE) and the endpoint with --api-base
/// (or OPENAI_API_BASE).
#[derive(Debug, Parser)]
#[command(name = "openai", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub connection: Connection,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the API is and who is calling: flags first, then the environment.
#[derive(Args)]
pub struct Connection {
    /// What API key to use [default: $OPENAI_API_KEY]. An Azure key or
    /// Azure AD token is read from $AZURE_OPENAI_API_KEY or
    /// $AZURE_OPENAI_AD_TOKEN when this is not given.
    #[arg(short = 'k', long, global = true, value_name = "KEY")]
    pub api_key: Option<String>,
    /// What API base URL to use [default: $OPENAI_API_BASE, $OPENAI_BASE_URL,
    /// or https://api.openai.com/v1]. On Azure: the resource's endpoint.
    #[arg(short = 'b', long, global = true, value_name = "URL")]
    pub api_base: Option<String>,
    /// Which organization to run as [default: $OPENAI_ORGANIZATION].
    #[arg(short = 'o', long, global = true, value_name = "ORG")]
    pub organization: Option<String>,
    /// Which API to talk to [default: $OPENAI_API_TYPE, or open_ai].
    #[arg(long, global = true, value_enum)]
    pub api_type: Option<ApiType>,
    /// Azure's api-version query [default: $OPENAI_API_VERSION, or 2022-12-01].
    #[arg(long, global = true, value_name = "VERSION")]
    pub api_version: Option<String>,
    /// The Azure deployment that completions, chat and embeddings go to
    /// (the Python CLI's `-e/--engine` does the same).
    #[arg(long, global = true, value_name = "ID")]
    pub deployment: Option<String>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            // Whether a key was given, never the key.
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("api_base", &self.api_base)
            .field("organization", &self.organization)
            .field("api_type", &self.api_type)
            .field("api_version", &self.api_version)
            .field("deployment", &self.deployment)
            .finish()
    }
}

/// The backends and Azure's two ways to authenticate, in the Python
/// library's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ApiType {
    /// OpenAI, with `Authorization: Bearer <key>`.
    #[value(name = "open_ai", alias = "openai")]
    OpenAi,
    /// Azure OpenAI, with an `api-key` header.
    #[value(name = "azure")]
    Azure,
    /// Azure OpenAI, with an Azure Active Directory token as the bearer.
    #[value(name = "azure_ad", alias = "azuread")]
    AzureAd,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Direct API calls.
    #[command(subcommand)]
    Api(Api),
    /// Client side tools for convenience.
    #[command(subcommand)]
    Tools(Tools),
    /// Prints the shell completion script for SHELL, e.g.
    /// `openai completion bash > /etc/bash_completion.d/openai`.
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `-i/--id`, the object a subcommand is about.
#[derive(Debug, Args)]
pub struct Id {
    /// The id of the object.
    #[arg(short = 'i', long)]
    pub id: String,
}

#[derive(Debug, Subcommand)]
pub enum Api {
    /// Lists the models.
    #[command(name = "models.list")]
    ModelsList,
    /// Retrieves a model.
    #[command(name = "models.get")]
    ModelsGet(Id),
    /// Deletes a fine-tuned model.
    #[command(name = "models.delete")]
    ModelsDelete(Id),

    /// Lists the engines (deprecated by the API for models).
    #[command(name = "engines.list")]
    EnginesList,
    /// Retrieves an engine (deprecated by the API for models).
    #[command(name = "engines.get")]
    EnginesGet(Id),

    /// Completes a prompt; prints the prompt and its completion, as the
    /// Python CLI did (it asks with `echo`).
    #[command(name = "completions.create")]
    CompletionsCreate(CompletionsCreate),
    /// A chat completion of the messages given with -g ROLE CONTENT.
    #[command(name = "chat_completions.create")]
    ChatCompletionsCreate(ChatCompletionsCreate),
    /// Edits the input by the instruction.
    #[command(name = "edits.create")]
    EditsCreate(EditsCreate),
    /// The embeddings of the inputs.
    #[command(name = "embeddings.create")]
    EmbeddingsCreate(EmbeddingsCreate),
    /// Classifies the inputs against the content policy.
    #[command(name = "moderations.create")]
    ModerationsCreate(ModerationsCreate),

    /// Creates images from a prompt.
    #[command(name = "image.create", visible_alias = "images.generate")]
    ImageCreate(ImageCreate),
    /// Edits an image by a prompt, where the mask (or the image's alpha) is
    /// transparent.
    #[command(name = "image.create_edit", visible_alias = "images.edit")]
    ImageCreateEdit(ImageCreateEdit),
    /// Variations of an image.
    #[command(
        name = "image.create_variation",
        visible_alias = "images.create_variation"
    )]
    ImageCreateVariation(ImageCreateVariation),

    /// Transcribes an audio file.
    #[command(name = "audio.transcribe")]
    AudioTranscribe(AudioArgs),
    /// Translates an audio file into English.
    #[command(name = "audio.translate")]
    AudioTranslate(AudioArgs),

    /// Uploads a file.
    #[command(name = "files.create")]
    FilesCreate(FilesCreate),
    /// Lists the files.
    #[command(name = "files.list")]
    FilesList,
    /// Retrieves a file's description.
    #[command(name = "files.get")]
    FilesGet(Id),
    /// Deletes a file.
    #[command(name = "files.delete")]
    FilesDelete(Id),
    /// Writes a file's content to stdout, or to --output FILE.
    #[command(name = "files.download")]
    FilesDownload(FilesDownload),
    /// Azure: imports a file from a URL.
    #[command(name = "files.import")]
    FilesImport(FilesImport),

    /// Lists the fine-tune jobs.
    #[command(name = "fine_tunes.list")]
    FineTunesList,
    /// Creates a fine-tune job, uploading local files first, then follows it.
    #[command(name = "fine_tunes.create")]
    FineTunesCreate(Box<FineTunesCreate>),
    /// Retrieves a fine-tune job.
    #[command(name = "fine_tunes.get")]
    FineTunesGet(Id),
    /// Prints the results file (a CSV) of a fine-tune job that succeeded.
    #[command(name = "fine_tunes.results")]
    FineTunesResults(Id),
    /// Lists a fine-tune job's events so far.
    #[command(name = "fine_tunes.events")]
    FineTunesEvents(FineTunesEvents),
    /// Follows a fine-tune job's events until it ends; exits non-zero if it
    /// failed or was cancelled. Ctrl-C stops following, not the job.
    #[command(name = "fine_tunes.follow")]
    FineTunesFollow(Id),
    /// Cancels a fine-tune job.
    #[command(name = "fine_tunes.cancel")]
    FineTunesCancel(Id),
    /// Azure: deletes a fine-tune job.
    #[command(name = "fine_tunes.delete")]
    FineTunesDelete(Id),
    /// Deletes a fine-tuned model (`-i` is the model's name).
    #[command(name = "fine_tunes.delete_model")]
    FineTunesDeleteModel(Id),

    /// Azure: lists the deployments.
    #[command(name = "deployments.list")]
    DeploymentsList,
    /// Azure: retrieves a deployment.
    #[command(name = "deployments.get")]
    DeploymentsGet(Id),
    /// Azure: deploys a model.
    #[command(name = "deployments.create")]
    DeploymentsCreate(DeploymentsCreate),
    /// Azure: changes a deployment's model or scale.
    #[command(name = "deployments.update")]
    DeploymentsUpdate(DeploymentsUpdate),
    /// Azure: deletes a deployment.
    #[command(name = "deployments.delete")]
    DeploymentsDelete(Id),
}

/// The sampling flags completions and chat completions share.
#[derive(Debug, Args)]
pub struct Sampling {
    /// The engine to use: on Azure, the deployment.
    #[arg(short = 'e', long)]
    pub engine: Option<String>,
    /// The model to use.
    #[arg(short = 'm', long)]
    pub model: Option<String>,
    /// How many completions to generate.
    #[arg(short = 'n', long = "n")]
    pub n: Option<i64>,
    /// The maximum number of tokens to generate.
    #[arg(short = 'M', long)]
    pub max_tokens: Option<i64>,
    /// What sampling temperature to use, 0 to 2; mutually exclusive with top_p.
    #[arg(short = 't', long)]
    pub temperature: Option<f64>,
    /// Nucleus sampling: only the tokens of the top_p probability mass.
    #[arg(short = 'P', long = "top_p", alias = "top-p")]
    pub top_p: Option<f64>,
    /// A sequence at which to stop generating.
    #[arg(long)]
    pub stop: Option<String>,
    /// Prints the text as it is generated.
    #[arg(long)]
    pub stream: bool,
    /// Prints the API's JSON (a stream: one event per line) instead of the text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsCreate {
    /// The prompt to complete from.
    #[arg(short = 'p', long)]
    pub prompt: Option<String>,
    /// Include the log probabilities of this many most likely tokens.
    #[arg(long)]
    pub logprobs: Option<i64>,
    #[command(flatten)]
    pub sampling: Sampling,
}

#[derive(Debug, Args)]
pub struct ChatCompletionsCreate {
    /// A message: its role (system, user or assistant) and content. Give it
    /// once per message, in order.
    #[arg(short = 'g', long = "message", num_args = 2, value_names = ["ROLE", "CONTENT"], action = ArgAction::Append, required = true)]
    pub message: Vec<String>,
    #[command(flatten)]
    pub sampling: Sampling,
}

#[derive(Debug, Args)]
pub struct EditsCreate {
    /// The model to use, e.g. text-davinci-edit-001.
    #[arg(short = 'm', long)]
    pub model: String,
    /// The text to edit.
    #[arg(short = 'i', long)]
    pub input: Option<String>,
    /// How to edit it.
    #[arg(short = 'I', long)]
    pub instruction: String,
    /// How many edits to make.
    #[arg(short = 'n', long = "n")]
    pub n: Option<i64>,
    /// What sampling temperature to use, 0 to 2.
    #[arg(short = 't', long)]
    pub temperature: Option<f64>,
    /// Nucleus sampling: only the tokens of the top_p probability mass.
    #[arg(short = 'P', long = "top_p", alias = "top-p")]
    pub top_p: Option<f64>,
}

#[derive(Debug, Args)]
pub struct EmbeddingsCreate {
    /// The model to use.
    #[arg(short = 'm', long, default_value = "text-embedding-ada-002")]
    pub model: String,
    /// A text to embed; give it once per text.
    #[arg(short = 'i', long, required = true)]
    pub input: Vec<String>,
    /// An id of your end user.
    #[arg(long)]
    pub user: Option<String>,
}

#[derive(Debug, Args)]
pub struct ModerationsCreate {
    /// A text to classify; give it once per text.
    #[arg(short = 'i', long, required = true)]
    pub input: Vec<String>,
    /// text-moderation-stable or text-moderation-latest.
    #[arg(short = 'm', long)]
    pub model: Option<String>,
}

/// The flags every image operation has.
#[derive(Debug, Args)]
pub struct ImageOutput {
    /// How many images.
    #[arg(short = 'n', long, default_value_t = 1)]
    pub num_images: i64,
    /// The size of each image: 256x256, 512x512 or 1024x1024.
    #[arg(short = 's', long, default_value = "1024x1024")]
    pub size: String,
    /// url or b64_json.
    #[arg(long, default_value = "url")]
    pub response_format: String,
}

#[derive(Debug, Args)]
pub struct ImageCreate {
    /// What to draw.
    #[arg(short = 'p', long)]
    pub prompt: String,
    #[command(flatten)]
    pub output: ImageOutput,
}

#[derive(Debug, Args)]
pub struct ImageCreateEdit {
    /// What the edited image should show.
    #[arg(short = 'p', long)]
    pub prompt: String,
    /// The image to edit: a local square PNG.
    #[arg(short = 'I', long)]
    pub image: PathBuf,
    /// A PNG of the image's size whose transparent pixels are what to edit.
    #[arg(short = 'M', long)]
    pub mask: Option<PathBuf>,
    #[command(flatten)]
    pub output: ImageOutput,
}

#[derive(Debug, Args)]
pub struct ImageCreateVariation {
    /// The image to vary: a local square PNG.
    #[arg(short = 'I', long)]
    pub image: PathBuf,
    #[command(flatten)]
    pub output: ImageOutput,
}

#[derive(Debug, Args)]
pub struct AudioArgs {
    /// The model to use.
    #[arg(short = 'm', long, default_value = "whisper-1")]
    pub model: String,
    /// The audio file: mp3, mp4, mpeg, mpga, m4a, wav or webm.
    #[arg(short = 'f', long)]
    pub file: PathBuf,
    /// json, text, srt, verbose_json or vtt; text, srt and vtt are printed
    /// as they come.
    #[arg(long)]
    pub response_format: Option<String>,
    /// The language of the audio (ISO-639-1), for transcriptions.
    #[arg(long)]
    pub language: Option<String>,
    /// What sampling temperature to use, 0 to 1.
    #[arg(short = 't', long)]
    pub temperature: Option<f64>,
    /// A text to guide the style, or the audio before this part.
    #[arg(long)]
    pub prompt: Option<String>,
}

#[derive(Debug, Args)]
pub struct FilesCreate {
    /// The local file to upload.
    #[arg(short = 'f', long)]
    pub file: PathBuf,
    /// Why you upload it, e.g. fine-tune.
    #[arg(short = 'p', long)]
    pub purpose: String,
}

#[derive(Debug, Args)]
pub struct FilesDownload {
    /// The id of the file.
    #[arg(short = 'i', long)]
    pub id: String,
    /// Where to write the content instead of stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FilesImport {
    /// A URL Azure can read the file from.
    #[arg(short = 'u', long)]
    pub content_url: String,
    /// The file's name.
    #[arg(short = 'f', long)]
    pub filename: String,
    /// fine-tune.
    #[arg(short = 'p', long, default_value = "fine-tune")]
    pub purpose: String,
}

#[derive(Debug, Args)]
pub struct FineTunesCreate {
    /// The training examples (JSON Lines of prompt and completion): a local
    /// file, which is uploaded first, or the id of an uploaded file.
    #[arg(short = 't', long = "training_file", alias = "training-file")]
    pub training_file: String,
    /// The validation examples: a local file or the id of an uploaded file.
    #[arg(short = 'v', long = "validation_file", alias = "validation-file")]
    pub validation_file: Option<String>,
    /// Uploads local files without first looking for an uploaded file of the
    /// same name and size.
    #[arg(long = "no_check_if_files_exist", alias = "no-check-if-files-exist")]
    pub no_check_if_files_exist: bool,
    /// The model to start from: ada, babbage, curie (the API's default),
    /// davinci or a fine-tuned model.
    #[arg(short = 'm', long)]
    pub model: Option<String>,
    /// Up to 40 characters added to the fine-tuned model's name.
    #[arg(long)]
    pub suffix: Option<String>,
    /// Prints the job and returns instead of following it.
    #[arg(long = "no_follow", alias = "no-follow")]
    pub no_follow: bool,
    /// The number of epochs to train for.
    #[arg(long = "n_epochs", alias = "n-epochs")]
    pub n_epochs: Option<i64>,
    /// The number of examples in each training batch.
    #[arg(long = "batch_size", alias = "batch-size")]
    pub batch_size: Option<i64>,
    /// The pretraining learning rate is multiplied by this.
    #[arg(long = "learning_rate_multiplier", alias = "learning-rate-multiplier")]
    pub learning_rate_multiplier: Option<f64>,
    /// The weight of the prompt tokens' loss.
    #[arg(long = "prompt_loss_weight", alias = "prompt-loss-weight")]
    pub prompt_loss_weight: Option<f64>,
    /// Computes classification metrics on the validation set each epoch.
    #[arg(
        long = "compute_classification_metrics",
        alias = "compute-classification-metrics"
    )]
    pub compute_classification_metrics: bool,
    /// The number of classes of a multiclass classification.
    #[arg(long = "classification_n_classes", alias = "classification-n-classes")]
    pub classification_n_classes: Option<i64>,
    /// The positive class of a binary classification.
    #[arg(
        long = "classification_positive_class",
        alias = "classification-positive-class"
    )]
    pub classification_positive_class: Option<String>,
    /// The betas of the F-beta scores of a binary classification.
    #[arg(long = "classification_betas", alias = "classification-betas", num_args = 1..)]
    pub classification_betas: Option<Vec<f64>>,
}

#[derive(Debug, Args)]
pub struct FineTunesEvents {
    /// The id of the fine-tune job.
    #[arg(short = 'i', long)]
    pub id: String,
    /// Deprecated, as in the Python CLI: use fine_tunes.follow.
    #[arg(short = 's', long, hide = true)]
    pub stream: bool,
}

#[derive(Debug, Args)]
pub struct DeploymentsCreate {
    /// The model to deploy.
    #[arg(short = 'm', long)]
    pub model: String,
    /// The scale type: standard or manual.
    #[arg(short = 's', long = "scale_type", alias = "scale-type")]
    pub scale_type: String,
    /// The capacity of a manual scale.
    #[arg(short = 'c', long)]
    pub capacity: Option<i64>,
}

#[derive(Debug, Args)]
pub struct DeploymentsUpdate {
    /// The deployment ID.
    #[arg(short = 'i', long)]
    pub id: String,
    /// The model to deploy instead.
    #[arg(short = 'm', long)]
    pub model: Option<String>,
    /// The scale type: standard or manual.
    #[arg(short = 's', long = "scale_type", alias = "scale-type")]
    pub scale_type: Option<String>,
    /// The capacity of a manual scale.
    #[arg(short = 'c', long)]
    pub capacity: Option<i64>,
}

#[derive(Debug, Subcommand)]
pub enum Tools {
    /// Checks a training file against the fine-tuning guide's advice and
    /// writes a fixed JSONL copy.
    #[command(name = "fine_tunes.prepare_data")]
    PrepareData {
        /// The examples: a JSONL, JSON, CSV, TSV or TXT file.
        #[arg(short = 'f', long)]
        file: PathBuf,
        /// Accepts every suggestion without asking, for scripts.
        #[arg(short = 'q', long)]
        quiet: bool,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn debug_output_hides_the_key() {
        let cli =
            Cli::try_parse_from(["openai", "-k", "sk-secret-9", "api", "models.list"]).unwrap();
        let shown = format!("{cli:?}");
        assert!(
            !shown.contains("sk-secret-9") && shown.contains("<redacted>"),
            "{shown}"
        );
    }

    #[test]
    fn chat_messages_come_in_role_content_pairs() {
        let cli = Cli::try_parse_from([
            "openai",
            "api",
            "chat_completions.create",
            "-m",
            "gpt-3.5-turbo",
            "-g",
            "system",
            "Be brief.",
            "-g",
            "user",
            "Hi",
        ])
        .unwrap();
        let Command::Api(Api::ChatCompletionsCreate(chat)) = cli.command else {
            panic!("parsed as {:?}", cli.command);
        };
        assert_eq!(chat.message, ["system", "Be brief.", "user", "Hi"]);
        // One half of a pair is a usage error, not a message without content.
        assert!(
            Cli::try_parse_from(["openai", "api", "chat_completions.create", "-g", "user"])
                .is_err()
        );
    }
}
