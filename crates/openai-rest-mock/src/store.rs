//! The mock's memory, so that it behaves like the API over a sequence of
//! calls: the files uploaded (their bytes on disk, in a temporary directory
//! the store owns and removes), the models it knows and the fine-tuned ones
//! it made. Objects take their shape from the fixtures; the store starts
//! with the documented ones. One lock guards everything, so concurrent
//! clients lose no update and never see a half-made object.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use openai_rest_raw::operations::{Api, OperationId};

use crate::azure_shapes;
use crate::clock::Clock;
use crate::error::ApiError;
use crate::fixtures::{Content, Fixtures};
use crate::input::Input;
use crate::json::Json;
use crate::replies::{self, Body, DONE, Live, LiveStream, Reply};
use crate::routes::Route;
use crate::uploads::{self, Destination, Shelf};

/// The docs: "the size of all the files uploaded by one organization can be
/// up to 1 GB".
const MAX_STORED_BYTES: u64 = 1 << 30;

/// The models of early 2023 that the API listed to everyone (besides the
/// documented ids of the fixtures and the fine-tuned models made here).
const BASE_MODELS: &[&str] = &[
    "ada",
    "babbage",
    "curie",
    "davinci",
    "text-ada-001",
    "text-babbage-001",
    "text-curie-001",
    "text-davinci-001",
    "text-davinci-002",
    "text-davinci-003",
    "text-davinci-insert-001",
    "text-davinci-insert-002",
    "davinci-instruct-beta",
    "curie-instruct-beta",
    "text-davinci-edit-001",
    "code-davinci-edit-001",
    "code-davinci-002",
    "code-cushman-001",
    "gpt-3.5-turbo",
    "gpt-3.5-turbo-0301",
    "gpt-4",
    "gpt-4-0314",
    "gpt-4-32k",
    "gpt-4-32k-0314",
    "text-embedding-ada-002",
    "text-similarity-ada-001",
    "text-similarity-babbage-001",
    "text-similarity-curie-001",
    "text-similarity-davinci-001",
    "text-search-ada-doc-001",
    "text-search-ada-query-001",
    "code-search-ada-code-001",
    "code-search-ada-text-001",
    "whisper-1",
    "text-moderation-latest",
    "text-moderation-stable",
];

/// The owner the docs print for an organization's own models.
const ORGANIZATION_OWNER: &str = "organization-owner";

pub(crate) struct Store {
    clock: Clock,
    /// The shapes of the objects the mock makes, from the fixtures.
    file_template: Json,
    model_template: Json,
    /// Where uploads are written as they arrive, and the bytes they hold
    /// against the 1 GB.
    shelf: Arc<Shelf>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// In the order created, as the API lists them.
    files: Vec<StoredFile>,
    /// Every model `GET /models` lists, in order; base models first.
    models: Vec<Json>,
    /// `GET /models`'s answer, made once per change of `models`: the list
    /// most asked for, and the longest.
    models_answer: Option<Bytes>,
    /// Base models cannot be deleted.
    base_models: HashSet<String>,
    /// Fine-tunes, in the order created.
    jobs: Vec<Job>,
    /// Azure deployments, in the order created.
    deployments: Vec<Deployment>,
}

/// An Azure deployment: `notRunning`, `running` after 1 s, `succeeded`
/// after 3 s of mock time.
struct Deployment {
    id: String,
    object: Json,
    /// Mock time when it was created; `None` for a documented one, which
    /// never moves.
    created: Option<Duration>,
}

const DEPLOYMENT_STEPS: [(Duration, &str); 2] = [
    (Duration::from_secs(1), "running"),
    (Duration::from_secs(3), "succeeded"),
];

/// A fine-tune. Its object is brought up to date with the clock whenever
/// the state is read: the steps of its plan that are due are applied.
struct Job {
    id: String,
    object: Json,
    /// Mock time when it was created.
    created: Duration,
    epochs: u64,
    /// The model it makes, and the id of its results file.
    fine_tuned_model: String,
    result_file: String,
    /// The next step of its plan; `None` once it has ended (or for a
    /// documented job, which never moves).
    next_step: Option<usize>,
}

impl Job {
    /// The job in the shape of `api`.
    fn shown(&self, api: Api) -> Json {
        match api {
            Api::OpenAi => self.object.clone(),
            Api::Azure => azure_shapes::fine_tune(&self.object),
        }
    }
}

/// The phases of a fine-tune, in mock time after its creation: pending for
/// 1 s, the epochs spread over the next 7 s, succeeded at 10 s.
const JOB_STARTS: Duration = Duration::from_secs(1);
const JOB_TRAINS: Duration = Duration::from_secs(7);
const JOB_ENDS: Duration = Duration::from_secs(10);

/// The most epochs a fine-tune may ask for: each adds an event.
const MAX_EPOCHS: u64 = 1024;

/// The statuses in which a fine-tune has ended.
fn ended(status: &str) -> bool {
    matches!(status, "succeeded" | "failed" | "cancelled")
}

enum Effect {
    None,
    Start,
    UploadResults,
    Succeed,
}

/// What the store keeps a list of: found by id, or the API's 404.
trait Object {
    fn id(&self) -> &str;
    fn missing(id: &str) -> ApiError;
}

impl Object for StoredFile {
    fn id(&self) -> &str {
        &self.id
    }

    fn missing(id: &str) -> ApiError {
        no_such_file(id)
    }
}

impl Object for Job {
    fn id(&self) -> &str {
        &self.id
    }

    fn missing(id: &str) -> ApiError {
        no_such_job(id)
    }
}

impl Object for Deployment {
    fn id(&self) -> &str {
        &self.id
    }

    fn missing(id: &str) -> ApiError {
        no_such_deployment(id)
    }
}

struct StoredFile {
    id: String,
    /// In OpenAI's shape; Azure's is made from it (`azure_shapes`).
    object: Json,
    /// Unix seconds of its last change, which Azure shows.
    updated_at: u64,
    /// Mock time when its check is done and it is `processed` (Azure:
    /// `succeeded`); `None` once it is.
    checked_at: Option<Duration>,
    content: FileContent,
}

/// How long the API takes to check an upload: it is `uploaded` (Azure:
/// `notRunning`, without its size) until then, and `processed` (Azure:
/// `succeeded`) after.
const FILE_CHECK: Duration = Duration::from_secs(1);

impl StoredFile {
    /// A file that needs no check: documented, or made by the mock.
    fn checked(id: String, object: Json, content: FileContent) -> StoredFile {
        let updated_at = (object.get("created_at").and_then(Json::as_u64)).unwrap_or_default();
        StoredFile {
            id,
            object,
            updated_at,
            checked_at: None,
            content,
        }
    }

    /// The file in the shape of `api`.
    fn shown(&self, api: Api) -> Json {
        match api {
            Api::OpenAi => self.object.clone(),
            Api::Azure => azure_shapes::file(&self.object, Some(self.updated_at)),
        }
    }
}

enum FileContent {
    /// A documented file (the content fixture's bytes) or one the mock made
    /// (a fine-tune's small results CSV).
    Memory(Bytes),
    /// An upload, `size` bytes on disk.
    Disk { path: PathBuf, size: u64 },
}

impl Store {
    pub(crate) fn new(fixtures: &Fixtures, clock: Clock) -> Store {
        let template = |operation| json(fixtures, operation).cloned().unwrap_or(Json::Null);
        let store = Store {
            clock,
            file_template: template(OperationId::CreateFile),
            model_template: template(OperationId::RetrieveModel),
            shelf: Arc::new(Shelf::new(MAX_STORED_BYTES)),
            state: Mutex::new(State::default()),
        };
        *store.state.lock().unwrap_or_else(PoisonError::into_inner) = store.seeded(fixtures);
        store
    }

    /// Back to the documented objects (the clock goes on); the uploads'
    /// bytes are removed from disk.
    pub(crate) fn reset(&self, fixtures: &Fixtures) {
        let seeded = self.seeded(fixtures);
        let old = std::mem::replace(&mut *self.lock(), seeded);
        for file in old.files {
            self.remove(file);
        }
    }

    /// Where the file parts of uploads to `route` go: the store's
    /// directory, each counted against the 1 GB as it arrives, for a file
    /// the store keeps (`POST /files`); nowhere for the others, which are
    /// answered from their checks.
    pub(crate) fn destination(&self, route: &Route) -> Destination {
        match route.operation.id {
            OperationId::CreateFile => Destination::Directory(self.shelf.clone()),
            _ => Destination::Discard,
        }
    }

    /// Removes an uploaded file's bytes, off the runtime's threads.
    fn remove(&self, file: StoredFile) {
        if let FileContent::Disk { path, size } = file.content {
            self.shelf.release(size);
            uploads::remove(path);
        }
    }

    /// The state the mock starts with: the objects the fixtures document.
    /// A resource (files, models, fine-tunes, deployments) is seeded from
    /// the fixtures given for it where any was given (a recording of a
    /// resource is all of it, and a replay answers what was recorded), else
    /// from the docs' examples, completed so that every id a documented
    /// object names exists (see `fixtures/README.md`, "Under state").
    fn seeded(&self, fixtures: &Fixtures) -> State {
        use OperationId::*;
        let mut state = State::default();

        let files = documented(fixtures, ListFiles, &[RetrieveFile]);
        let content = fixtures
            .case(DownloadFile, "response")
            .map_or_else(Bytes::new, |fixture| fixture.bytes.clone());
        // A single object's example wins over the list's description of
        // the same id.
        for object in files.openai {
            let Some(id) = text(&object, "id").map(str::to_owned) else {
                continue;
            };
            state.files.retain(|file| file.id != id);
            let content = FileContent::Memory(content.clone());
            state.files.push(StoredFile::checked(id, object, content));
        }
        // Azure's examples, unless OpenAI's have the id.
        for azure in files.azure {
            let object = azure_shapes::file_record(&azure, &self.file_template);
            let Some(id) = text(&object, "id").map(str::to_owned) else {
                continue;
            };
            if state.files.iter().any(|file| file.id == id) {
                continue;
            }
            let mut file = StoredFile::checked(id, object, FileContent::Memory(content.clone()));
            file.updated_at = azure
                .get("updated_at")
                .and_then(Json::as_u64)
                .unwrap_or(file.updated_at);
            state.files.push(file);
        }

        let models = documented(fixtures, ListModels, &[]);
        let models_given = models.given;
        if !models_given && let Some(template) = json(fixtures, RetrieveModel) {
            for id in BASE_MODELS {
                // A base model is its own root, with no parent.
                let mut model = template.clone();
                model.replace("id", (*id).into());
                model.replace("owned_by", "openai".into());
                model.replace("root", (*id).into());
                model.replace("parent", Json::Null);
                state.models.push(model);
            }
        }
        for model in models.openai {
            let Some(id) = text(&model, "id").map(str::to_owned) else {
                continue;
            };
            if !state
                .models
                .iter()
                .any(|known| text(known, "id") == Some(&id))
            {
                state.models.push(model);
            }
        }
        // The docs' models are the API's; a recording's are the
        // organization's own only where the API said so.
        for model in &state.models {
            let owned = text(model, "owned_by").is_some_and(|owner| {
                models_given
                    && !matches!(
                        owner,
                        "openai" | "openai-internal" | "openai-dev" | "system"
                    )
            });
            if let (false, Some(id)) = (owned, text(model, "id")) {
                state.base_models.insert(id.to_owned());
            }
        }

        // The list's jobs, with the retrieve and cancel examples winning
        // for their ids (they print more of a job: its events).
        // Azure's retrieve example wins over its list's; its cancel example
        // contradicts them (see fixtures/README.md) and is not seeded.
        let jobs = documented(fixtures, ListFineTunes, &[RetrieveFineTune, CancelFineTune]);
        let azure_jobs = documented(fixtures, ListFineTunes, &[RetrieveFineTune]).azure;
        let job_template = json(fixtures, CreateFineTune)
            .cloned()
            .unwrap_or(Json::Null);
        let azure_jobs = (azure_jobs.iter())
            .map(|job| azure_shapes::fine_tune_record(job, &job_template, &self.file_template));
        for mut object in jobs.openai.into_iter().chain(azure_jobs) {
            let Some(id) = text(&object, "id").map(str::to_owned) else {
                continue;
            };
            if object.get("events").is_none() {
                object.set("events", Json::Array(Vec::new()));
            }
            let mut job = Job {
                id,
                epochs: (object.get("hyperparams"))
                    .and_then(|hyperparams| hyperparams.get("n_epochs"))
                    .and_then(Json::as_u64)
                    .unwrap_or(4),
                fine_tuned_model: text(&object, "fine_tuned_model")
                    .unwrap_or_default()
                    .to_owned(),
                result_file: (object.get("result_files").and_then(Json::as_array))
                    .and_then(|files| files.first())
                    .and_then(|file| text(file, "id"))
                    .unwrap_or_default()
                    .to_owned(),
                object,
                created: Duration::ZERO,
                next_step: None,
            };
            if (job.object.get("events").and_then(Json::as_array)).is_some_and(<[_]>::is_empty) {
                job.object.replace("events", Json::Array(past_events(&job)));
            }
            // A job that has not ended goes on from where the docs show it,
            // as any job does, so that following it ends.
            let shown_steps = match text(&job.object, "status") {
                Some("pending") => Some(2),
                Some("running") => Some(3),
                _ => None,
            };
            if let Some(step) = shown_steps {
                let created = self.clock.elapsed();
                job.created = created;
                job.next_step = Some(step);
                let base = text(&job.object, "model").unwrap_or("curie");
                let root = base.split(':').next().unwrap_or(base);
                let ends = self.clock.unix_at(created + JOB_ENDS);
                job.fine_tuned_model = format!("{root}:ft-{ORGANIZATION}-{}", utc_stamp(ends));
                job.result_file = new_id("file-");
            }
            state.jobs.retain(|known| known.id != job.id);
            state.jobs.push(job);
        }

        // What the docs' jobs name: their files (with content fit for
        // their purpose) and the models they made.
        if !files.given {
            for job in &state.jobs {
                for key in ["training_files", "validation_files", "result_files"] {
                    for file in (job.object.get(key).and_then(Json::as_array)).unwrap_or_default() {
                        let Some(id) = text(file, "id") else {
                            continue;
                        };
                        if state.files.iter().any(|known| known.id == id) {
                            continue;
                        }
                        // The job's description of the file, with the
                        // fields of a file it leaves out.
                        let mut object = self.file_template.clone();
                        if let Json::Object(described) = file {
                            for (key, value) in described {
                                object.set(key, value.clone());
                            }
                        }
                        object.replace("status", "processed".into());
                        let size = file.get("bytes").and_then(Json::as_u64).unwrap_or(0);
                        let content = match text(file, "purpose") {
                            Some("fine-tune-results") => results_csv_of_size(job.epochs, size),
                            _ => training_jsonl_of_size(size),
                        };
                        let content = FileContent::Memory(content);
                        state
                            .files
                            .push(StoredFile::checked(id.to_owned(), object, content));
                    }
                }
            }
        }
        if !models_given && let Some(template) = json(fixtures, RetrieveModel) {
            for job in &state.jobs {
                let model = job.fine_tuned_model.as_str();
                if model.is_empty()
                    || state
                        .models
                        .iter()
                        .any(|known| text(known, "id") == Some(model))
                {
                    continue;
                }
                let base = text(&job.object, "model").unwrap_or("curie");
                let mut made = fine_tuned_model(template, model, base);
                let updated = job.object.get("updated_at").and_then(Json::as_u64);
                made.replace("created", updated.unwrap_or_default().into());
                state.models.push(made);
            }
        }

        let deployments = documented(fixtures, ListDeployments, &[RetrieveDeployment]);
        for object in deployments.openai {
            let Some(id) = text(&object, "id").map(str::to_owned) else {
                continue;
            };
            state.deployments.retain(|deployment| deployment.id != id);
            state.deployments.push(Deployment {
                id,
                object,
                created: None,
            });
        }
        state
    }

    pub(crate) fn advance_clock(&self, by: std::time::Duration) {
        self.clock.advance(by);
    }

    /// The state, brought up to date with the clock.
    fn lock(&self) -> MutexGuard<'_, State> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.clock.elapsed();
        let State {
            jobs,
            files,
            models,
            models_answer,
            ..
        } = &mut *state;
        for file in files.iter_mut() {
            if let Some(at) = file.checked_at.filter(|at| *at <= now) {
                file.checked_at = None;
                file.updated_at = self.clock.unix_at(at);
                file.object.replace("status", "processed".into());
            }
        }
        for job in jobs.iter_mut() {
            if self.catch_up(job, now, files, models) {
                *models_answer = None;
            }
        }
        for deployment in &mut state.deployments {
            let Some(created) = deployment.created else {
                continue;
            };
            for (after, status) in DEPLOYMENT_STEPS {
                if created + after <= now && text(&deployment.object, "status") != Some(status) {
                    let at = self.clock.unix_at(created + after);
                    deployment.object.replace("status", status.into());
                    deployment.object.replace("updated_at", at.into());
                }
            }
        }
        state
    }

    /// Applies the steps of `job`'s plan that are due at `now`; whether
    /// they added a model.
    fn catch_up(
        &self,
        job: &mut Job,
        now: Duration,
        files: &mut Vec<StoredFile>,
        models: &mut Vec<Json>,
    ) -> bool {
        let mut models_changed = false;
        while let Some(step) = job.next_step {
            let Some((at, message, effect)) = plan(job, step) else {
                job.next_step = None;
                break;
            };
            let at = job.created + at;
            if at > now {
                break;
            }
            let unix = self.clock.unix_at(at);
            match effect {
                Effect::None => {}
                Effect::Start => job.object.replace("status", "running".into()),
                Effect::UploadResults => {
                    let content = results_csv(job.epochs);
                    let mut object = self.file_template.clone();
                    object.replace("id", job.result_file.as_str().into());
                    object.replace("bytes", (content.len() as u64).into());
                    object.replace("created_at", unix.into());
                    object.replace("filename", "compiled_results.csv".into());
                    object.replace("purpose", "fine-tune-results".into());
                    object.replace("status", "processed".into());
                    files.push(StoredFile::checked(
                        job.result_file.clone(),
                        object.clone(),
                        FileContent::Memory(content),
                    ));
                    job.object
                        .replace("result_files", Json::Array(vec![object]));
                }
                Effect::Succeed => {
                    job.object.replace("status", "succeeded".into());
                    job.object
                        .replace("fine_tuned_model", job.fine_tuned_model.as_str().into());
                    let base = text(&job.object, "model").unwrap_or("curie");
                    let mut model =
                        fine_tuned_model(&self.model_template, &job.fine_tuned_model, base);
                    model.replace("created", unix.into());
                    models.push(model);
                    models_changed = true;
                }
            }
            push_event(&mut job.object, unix, &message);
            job.object.replace("updated_at", unix.into());
            job.next_step = Some(step + 1);
        }
        models_changed
    }

    /// The answer to a request whose result depends on the state; `None`
    /// for the others, which the fixtures answer.
    pub(crate) fn answer(
        self: &Arc<Self>,
        fixtures: &Fixtures,
        route: &Route,
        input: &mut Input,
    ) -> Option<Result<Reply, ApiError>> {
        use OperationId::*;
        let id = route.param().unwrap_or_default();
        let operation = route.operation.id;
        // The records keep OpenAI's shapes; Azure's are made from them.
        let api = route.operation.api;
        let answer = match operation {
            CreateFile => self.create_file(fixtures, input, api),
            ImportFile => self.import_file(fixtures, input, api),
            ListFiles => self.list(fixtures, operation, |state| {
                state.files.iter().map(|file| file.shown(api)).collect()
            }),
            RetrieveFile => self.with(
                id,
                |state| &state.files,
                |file| Ok(json_reply(&file.shown(api))),
            ),
            DownloadFile => self.download(id),
            DeleteFile => self.delete_file(fixtures, id),
            ListModels => self.list_models(fixtures, api),
            CreateFineTune => self.create_fine_tune(fixtures, input, api),
            // OpenAI's list left each job's events out; Azure's has them.
            ListFineTunes => self.list(fixtures, operation, |state| {
                let jobs = state.jobs.iter().map(|job| job.shown(api));
                jobs.map(|mut job| {
                    if api == Api::OpenAi {
                        job.remove("events");
                    }
                    job
                })
                .collect()
            }),
            RetrieveFineTune => self.with(
                id,
                |state| &state.jobs,
                |job| Ok(json_reply(&job.shown(api))),
            ),
            CancelFineTune => self.cancel(id, api),
            DeleteFineTune => self.delete_azure_fine_tune(id),
            ListFineTuneEvents if input.query_flag("stream") => self.follow(id, api),
            ListFineTuneEvents => self.list_events(fixtures, id, api),
            RetrieveModel => self.retrieve_model(id, api),
            DeleteModel => self.delete_model(fixtures, id),
            CreateDeployment => self.create_deployment(fixtures, input),
            ListDeployments => self.list(fixtures, operation, |state| {
                (state.deployments.iter())
                    .map(|deployment| deployment.object.clone())
                    .collect()
            }),
            RetrieveDeployment => self.with(
                id,
                |state| &state.deployments,
                |deployment| Ok(json_reply(&deployment.object)),
            ),
            UpdateDeployment => self.update_deployment(id, input),
            DeleteDeployment => {
                let mut state = self.lock();
                let before = state.deployments.len();
                state.deployments.retain(|deployment| deployment.id != id);
                if state.deployments.len() == before {
                    Err(no_such_deployment(id))
                } else {
                    Ok(no_content())
                }
            }
            CreateCompletion | CreateChatCompletion | CreateEmbedding
                if route.operation.api == Api::Azure =>
            {
                // A deployment that has succeeded: the fixture answers.
                let state = self.lock();
                let ready = (state.deployments.iter()).any(|deployment| {
                    deployment.id == id && text(&deployment.object, "status") == Some("succeeded")
                });
                if ready {
                    return None;
                }
                Err(ApiError {
                    code: Some("DeploymentNotFound"),
                    ..ApiError::invalid_request(
                        404,
                        "The API deployment for this resource does not exist. If you created the \
                         deployment within the last 5 minutes, please wait a moment and try again.",
                    )
                })
            }
            CreateCompletion | CreateChatCompletion | CreateEdit | CreateEmbedding
                if route.operation.api == Api::OpenAi =>
            {
                // A model the mock knows: the fixture answers.
                let model = input.text("model")?;
                if self.knows_model(model) {
                    return None;
                }
                Err(model_not_found(model, None))
            }
            _ => return None,
        };
        Some(answer.map(|mut reply| {
            reply.status = route.operation.success;
            reply
        }))
    }

    /// A list answer: the fixture's envelope around `items`.
    fn list(
        &self,
        fixtures: &Fixtures,
        operation: OperationId,
        items: impl FnOnce(&State) -> Vec<Json>,
    ) -> Result<Reply, ApiError> {
        let mut envelope = json(fixtures, operation)
            .cloned()
            .ok_or_else(|| no_fixture(operation))?;
        envelope.replace("data", Json::Array(items(&self.lock())));
        Ok(json_reply(&envelope))
    }

    fn list_models(&self, fixtures: &Fixtures, api: Api) -> Result<Reply, ApiError> {
        let mut state = self.lock();
        if api == Api::Azure {
            let mut envelope = json(fixtures, OperationId::ListModels)
                .cloned()
                .ok_or_else(|| no_fixture(OperationId::ListModels))?;
            let models = state.models.iter().map(|model| azure_model(&state, model));
            envelope.replace("data", Json::Array(models.collect()));
            return Ok(json_reply(&envelope));
        }
        if state.models_answer.is_none() {
            let mut envelope = json(fixtures, OperationId::ListModels)
                .cloned()
                .ok_or_else(|| no_fixture(OperationId::ListModels))?;
            envelope.replace("data", Json::Array(state.models.clone()));
            state.models_answer = Some(envelope.to_bytes(true).into());
        }
        Ok(Reply {
            status: 200,
            content_type: Some("application/json"),
            body: Body::Full(state.models_answer.clone().unwrap_or_default()),
        })
    }

    /// The fixtures changed: the answers made from them are to be made
    /// anew.
    pub(crate) fn fixtures_changed(&self) {
        self.lock().models_answer = None;
    }

    /// Adopts the uploaded file where it was written as it arrived (its
    /// bytes already counted against the 1 GB): no copy, no wait.
    fn create_file(
        &self,
        fixtures: &Fixtures,
        input: &mut Input,
        api: Api,
    ) -> Result<Reply, ApiError> {
        // The schema check has made sure of both, and the store's
        // destination of the file's bytes.
        let (Some(file), Some(purpose)) = (input.take_file("file"), input.text("purpose")) else {
            return Err(ApiError::invalid_request(
                400,
                "'file' and 'purpose' are required",
            ));
        };
        let Some(stored) = file.stored else {
            return Err(ApiError::storage("the upload was not written"));
        };
        let size = stored.size();
        let content = FileContent::Disk {
            path: stored.keep(),
            size,
        };
        self.keep_file(fixtures, content, api, |object| {
            object.replace("bytes", size.into());
            let filename = file.file_name.as_deref().unwrap_or("file");
            object.replace("filename", filename.into());
            object.replace("purpose", purpose.into());
            object.replace("status", "uploaded".into());
        })
    }

    /// Keeps a new file: the `createFile` fixture with the fields `fill`
    /// sets, a new id and the time now; an `uploaded` one is checked
    /// [`FILE_CHECK`] later. The answer is the file in the shape of `api`.
    fn keep_file(
        &self,
        fixtures: &Fixtures,
        content: FileContent,
        api: Api,
        fill: impl FnOnce(&mut Json),
    ) -> Result<Reply, ApiError> {
        let mut object = json(fixtures, OperationId::CreateFile)
            .cloned()
            .ok_or_else(|| no_fixture(OperationId::CreateFile))?;
        fill(&mut object);
        let id = new_id("file-");
        let created = self.clock.elapsed();
        let unix = self.clock.unix_at(created);
        object.replace("id", id.as_str().into());
        object.replace("created_at", unix.into());
        let checked_at =
            (text(&object, "status") == Some("uploaded")).then_some(created + FILE_CHECK);
        let file = StoredFile {
            id,
            object,
            updated_at: unix,
            checked_at,
            content,
        };
        let reply = json_reply(&file.shown(api));
        self.lock().files.push(file);
        Ok(reply)
    }

    /// Azure's import of a file from a URL. The mock reaches no network: a
    /// `data:` URL imports its bytes, checked as an upload's; any other URL,
    /// or content that fails the check, leaves the file `failed` with
    /// Azure's `error`, as a failed import was.
    fn import_file(&self, fixtures: &Fixtures, input: &Input, api: Api) -> Result<Reply, ApiError> {
        // The schema check has made sure of all three.
        let purpose = input.text("purpose").unwrap_or_default();
        let filename = input.text("filename").unwrap_or_default();
        let url = input.text("content_url").unwrap_or_default();
        let imported = match data_url(url) {
            None => Err((
                "fileImportFailed",
                format!(
                    "openai-rest-mock does not fetch URLs, so it cannot import this {}: URL; it \
                     imports only the content of a data: URL (RFC 2397), such as \
                     data:application/jsonl;base64,...",
                    url.split([':', '/']).next().unwrap_or_default()
                ),
            )),
            Some(Err(problem)) => Err((
                "fileImportFailed",
                format!("The content_url is not a valid data: URL: {problem}"),
            )),
            Some(Ok(bytes)) => check_upload(purpose, filename, &bytes)
                .map(|()| bytes)
                .map_err(|problem| ("jsonlValidationFailed", problem)),
        };
        let bytes = imported.as_ref().map_or(0, |bytes| bytes.len() as u64);
        let content = FileContent::Memory(imported.as_ref().cloned().unwrap_or_default());
        self.keep_file(fixtures, content, api, |object| {
            object.replace("filename", filename.into());
            object.replace("purpose", purpose.into());
            object.replace("bytes", bytes.into());
            match &imported {
                // Checked as an upload is.
                Ok(_) => object.replace("status", "uploaded".into()),
                // OpenAI's `error` (Azure's `failed`), with Azure's `error`
                // saying why.
                Err((code, message)) => {
                    object.replace("status", "error".into());
                    object.replace("status_details", message.as_str().into());
                    let error = Json::Object(vec![
                        ("code".into(), (*code).into()),
                        ("message".into(), message.as_str().into()),
                    ]);
                    object.merge_patch(&Json::Object(vec![("error".into(), error)]));
                }
            }
        })
    }

    /// `answer` from the object `id` of the kind `of` lists, under the
    /// lock; the kind's 404 when there is none.
    fn with<T: Object>(
        &self,
        id: &str,
        of: impl FnOnce(&State) -> &Vec<T>,
        answer: impl FnOnce(&T) -> Result<Reply, ApiError>,
    ) -> Result<Reply, ApiError> {
        let state = self.lock();
        let object = (of(&state).iter())
            .find(|object| object.id() == id)
            .ok_or_else(|| T::missing(id))?;
        answer(object)
    }

    /// The file's bytes: opened under the lock, so that a delete cannot
    /// remove it first, and read after, as the answer goes out.
    fn download(&self, id: &str) -> Result<Reply, ApiError> {
        let body = self.with(
            id,
            |state| &state.files,
            |file| {
                Ok(Reply {
                    status: 200,
                    content_type: Some("application/octet-stream"),
                    body: match &file.content {
                        FileContent::Memory(bytes) => Body::Full(bytes.clone()),
                        FileContent::Disk { path, size } => Body::File {
                            file: std::fs::File::open(path).map_err(ApiError::storage)?,
                            size: *size,
                        },
                    },
                })
            },
        )?;
        Ok(body)
    }

    fn delete_file(&self, fixtures: &Fixtures, id: &str) -> Result<Reply, ApiError> {
        let mut answer = json(fixtures, OperationId::DeleteFile)
            .cloned()
            .ok_or_else(|| no_fixture(OperationId::DeleteFile))?;
        let mut state = self.lock();
        let at = state
            .files
            .iter()
            .position(|file| file.id == id)
            .ok_or_else(|| no_such_file(id))?;
        let file = state.files.remove(at);
        drop(state);
        self.remove(file);
        answer.replace("id", id.into());
        Ok(json_reply(&answer))
    }

    fn knows_model(&self, id: &str) -> bool {
        let state = self.lock();
        state
            .models
            .iter()
            .any(|model| text(model, "id") == Some(id))
    }

    fn retrieve_model(&self, id: &str, api: Api) -> Result<Reply, ApiError> {
        let state = self.lock();
        let model = state
            .models
            .iter()
            .find(|model| text(model, "id") == Some(id))
            .ok_or_else(|| model_not_found(id, Some("model")))?;
        Ok(json_reply(&match api {
            Api::OpenAi => model.clone(),
            Api::Azure => azure_model(&state, model),
        }))
    }

    fn delete_model(&self, fixtures: &Fixtures, id: &str) -> Result<Reply, ApiError> {
        let mut answer = json(fixtures, OperationId::DeleteModel)
            .cloned()
            .ok_or_else(|| no_fixture(OperationId::DeleteModel))?;
        let mut state = self.lock();
        let at = (state.models.iter())
            .position(|model| text(model, "id") == Some(id))
            .ok_or_else(|| model_not_found(id, Some("model")))?;
        if state.base_models.contains(id) {
            return Err(ApiError {
                param: Some("model".into()),
                ..ApiError::invalid_request(
                    403,
                    format!(
                        "You do not have permission to delete the model {id}: only fine-tuned models owned by your organization can be deleted"
                    ),
                )
            });
        }
        state.models.remove(at);
        state.models_answer = None;
        answer.replace("id", id.into());
        Ok(json_reply(&answer))
    }
    fn create_deployment(&self, fixtures: &Fixtures, input: &Input) -> Result<Reply, ApiError> {
        let mut object = json(fixtures, OperationId::CreateDeployment)
            .cloned()
            .ok_or_else(|| no_fixture(OperationId::CreateDeployment))?;
        let created = self.clock.elapsed();
        let unix = self.clock.unix_at(created);
        let id = format!("deployment-{:032x}", fastrand::u128(..));
        object.replace("id", id.as_str().into());
        if let Some(model) = input.text("model") {
            object.replace("model", model.into());
        }
        if let Some(scale_settings) = input.body.get("scale_settings") {
            object.replace("scale_settings", scale_settings.into());
        }
        object.replace("status", "notRunning".into());
        object.replace("created_at", unix.into());
        object.replace("updated_at", unix.into());
        let reply = json_reply(&object);
        self.lock().deployments.push(Deployment {
            id,
            object,
            created: Some(created),
        });
        Ok(reply)
    }

    /// Azure's deployment update: the request merged into the deployment
    /// (RFC 7396), which then provisions again from `notRunning`. Only a
    /// deployment in a final state can be updated.
    fn update_deployment(&self, id: &str, input: &Input) -> Result<Reply, ApiError> {
        let mut state = self.lock();
        let deployment = (state.deployments.iter_mut())
            .find(|deployment| deployment.id == id)
            .ok_or_else(|| no_such_deployment(id))?;
        let is_final = matches!(
            text(&deployment.object, "status"),
            Some("succeeded" | "failed" | "canceled" | "deleted")
        );
        if !is_final {
            return Err(ApiError {
                code: Some("unexpectedEntityState"),
                ..ApiError::invalid_request(
                    409,
                    "The specified deployment cannot be updated because it's in a non-terminal \
                     state.",
                )
            });
        }
        let mut updated = deployment.object.clone();
        updated.merge_patch(&Json::from(&input.body));
        // What the patch made must still be a deployment Azure would create.
        if let Some(schema) =
            crate::input::request_schema(Api::Azure, OperationId::CreateDeployment)
        {
            let fields = |key| serde_json::to_value(updated.get(key)).unwrap_or_default();
            let settings = serde_json::json!({
                "model": fields("model"),
                "scale_settings": fields("scale_settings"),
            });
            schema
                .check(&settings)
                .map_err(|violation| ApiError::from(crate::error::Invalid::from(violation)))?;
        }
        let now = self.clock.elapsed();
        updated.replace("status", "notRunning".into());
        updated.replace("updated_at", self.clock.unix_at(now).into());
        deployment.object = updated;
        deployment.created = Some(now);
        Ok(json_reply(&deployment.object))
    }

    fn create_fine_tune(
        &self,
        fixtures: &Fixtures,
        input: &Input,
        api: Api,
    ) -> Result<Reply, ApiError> {
        let mut object = json(fixtures, OperationId::CreateFineTune)
            .cloned()
            .ok_or_else(|| no_fixture(OperationId::CreateFineTune))?;
        replies::set_hyperparams(&mut object, input);
        let epochs = (object.get("hyperparams"))
            .and_then(|hyperparams| hyperparams.get("n_epochs"))
            .and_then(|n| match n {
                Json::Number(n) => n.as_u64(),
                _ => None,
            })
            .unwrap_or(4);
        if epochs > MAX_EPOCHS {
            return Err(ApiError {
                param: Some("n_epochs".into()),
                ..ApiError::invalid_request(
                    400,
                    format!(
                        "openai-rest-mock runs at most {MAX_EPOCHS} epochs; this fine-tune asks for {epochs}"
                    ),
                )
            });
        }
        let base = input.text("model").unwrap_or("curie").to_owned();
        let mut state = self.lock();
        let training = input.text("training_file").unwrap_or_default();
        let training = fine_tune_file(&state, training, "training_file")?;
        let validation = match input.text("validation_file") {
            Some(id) => vec![fine_tune_file(&state, id, "validation_file")?],
            None => vec![],
        };
        let owned = |id: &str| {
            !state.base_models.contains(id)
                && state.models.iter().any(|m| text(m, "id") == Some(id))
        };
        if !(["ada", "babbage", "curie", "davinci"].contains(&base.as_str()) || owned(&base)) {
            return Err(ApiError {
                param: Some("model".into()),
                ..ApiError::invalid_request(
                    400,
                    format!(
                        "Invalid base model: {base} (model must be one of ada, babbage, curie, \
                         davinci) or a fine-tuned model created by your organization"
                    ),
                )
            });
        }
        let created = self.clock.elapsed();
        let id = new_id("ft-");
        let unix = self.clock.unix_at(created);
        // A fine-tuned model is named after its base model (the root of
        // a fine-tuned one), the organization and the time it was made.
        let root = base.split(':').next().unwrap_or(&base);
        let suffix = input
            .text("suffix")
            .map(|s| format!(":{s}"))
            .unwrap_or_default();
        let mut fine_tuned_model;
        let mut at = self.clock.unix_at(created + JOB_ENDS);
        loop {
            fine_tuned_model = format!("{root}:ft-{ORGANIZATION}{suffix}-{}", utc_stamp(at));
            // Two jobs ending within the same second still make two models.
            let taken = |name: &str| {
                state.jobs.iter().any(|job| job.fine_tuned_model == name)
                    || state.models.iter().any(|m| text(m, "id") == Some(name))
            };
            if !taken(&fine_tuned_model) {
                break;
            }
            at += 1;
        }
        object.replace("id", id.as_str().into());
        object.replace("model", base.as_str().into());
        object.replace("created_at", unix.into());
        object.replace("updated_at", unix.into());
        object.replace("events", Json::Array(vec![]));
        object.replace("fine_tuned_model", Json::Null);
        object.replace("result_files", Json::Array(vec![]));
        object.replace("status", "pending".into());
        object.replace("training_files", Json::Array(vec![training]));
        object.replace("validation_files", Json::Array(validation));
        let mut job = Job {
            id,
            object,
            created,
            epochs,
            fine_tuned_model,
            result_file: new_id("file-"),
            next_step: Some(0),
        };
        let State { files, models, .. } = &mut *state;
        self.catch_up(&mut job, created, files, models);
        let mut shown = job.shown(api);
        // Azure's answer to a create has no events yet (its example's).
        if api == Api::Azure {
            shown.remove("events");
        }
        let reply = json_reply(&shown);
        state.jobs.push(job);
        Ok(reply)
    }

    /// Azure's fine-tune delete (OpenAI has none): the job goes, its events
    /// with it; its files and fine-tuned model stay.
    fn delete_azure_fine_tune(&self, id: &str) -> Result<Reply, ApiError> {
        let mut state = self.lock();
        let at = (state.jobs.iter())
            .position(|job| job.id == id)
            .ok_or_else(|| no_such_job(id))?;
        state.jobs.remove(at);
        Ok(no_content())
    }

    fn cancel(&self, id: &str, api: Api) -> Result<Reply, ApiError> {
        let mut state = self.lock();
        let job = state
            .jobs
            .iter_mut()
            .find(|job| job.id == id)
            .ok_or_else(|| no_such_job(id))?;
        let status = text(&job.object, "status").unwrap_or_default().to_owned();
        if ended(&status) {
            return Err(ApiError::invalid_request(
                400,
                format!("Cannot cancel a job ({id}) that has already {status}"),
            ));
        }
        let unix = self.clock.unix();
        job.object.replace("status", "cancelled".into());
        job.object.replace("updated_at", unix.into());
        push_event(&mut job.object, unix, "Fine-tune cancelled");
        job.next_step = None;
        Ok(json_reply(&job.shown(api)))
    }

    fn list_events(&self, fixtures: &Fixtures, id: &str, api: Api) -> Result<Reply, ApiError> {
        let mut envelope = json(fixtures, OperationId::ListFineTuneEvents)
            .cloned()
            .ok_or_else(|| no_fixture(OperationId::ListFineTuneEvents))?;
        self.with(
            id,
            |state| &state.jobs,
            |job| {
                let events = (job.object.get("events").and_then(Json::as_array))
                    .unwrap_or_default()
                    .iter()
                    .map(|event| shown_event(event, api))
                    .collect();
                envelope.replace("data", Json::Array(events));
                Ok(json_reply(&envelope))
            },
        )
    }

    /// The events of job `id` after the first `seen`, whether it has ended,
    /// and how long to wait (wall time) before its next step is due; `None`
    /// when there is no such job (any more, after a reset).
    fn events_since(
        &self,
        id: &str,
        api: Api,
        seen: usize,
    ) -> Option<(Vec<Bytes>, bool, Duration)> {
        const POLL: Duration = Duration::from_millis(100);
        let state = self.lock();
        let job = state.jobs.iter().find(|job| job.id == id)?;
        let events = (job.object.get("events").and_then(Json::as_array))
            .map(|events| {
                let events = events.iter().skip(seen);
                events
                    .map(|event| event_bytes(&shown_event(event, api)))
                    .collect()
            })
            .unwrap_or_default();
        let wait = job
            .next_step
            .and_then(|step| plan(job, step))
            .and_then(|(at, _, _)| self.clock.wall_until(job.created + at))
            .map_or(POLL, |wait| wait.min(POLL));
        Some((events, job.next_step.is_none(), wait))
    }

    /// `?stream=true`: the events so far, then (standalone server) each one
    /// as it happens, and `data: [DONE]` once the job has ended.
    fn follow(self: &Arc<Self>, id: &str, api: Api) -> Result<Reply, ApiError> {
        let (mut now, has_ended, _) =
            (self.events_since(id, api, 0)).ok_or_else(|| no_such_job(id))?;
        let rest = if has_ended {
            now.push(Bytes::from_static(DONE));
            None
        } else {
            Some(follow(self.clone(), id.to_owned(), api, now.len()))
        };
        Ok(Reply {
            status: 200,
            content_type: Some("text/event-stream"),
            body: Body::Live(Live { now, rest }),
        })
    }
}

/// The events after the first `seen` as they happen, then `[DONE]`.
fn follow(store: Arc<Store>, id: String, api: Api, seen: usize) -> LiveStream {
    use futures::StreamExt;
    let events = futures::stream::unfold(Some((store, id, seen)), move |following| async move {
        let (store, id, seen) = following?;
        loop {
            let (mut fresh, has_ended, wait) =
                (store.events_since(&id, api, seen)).unwrap_or((vec![], true, Duration::ZERO));
            if has_ended {
                fresh.push(Bytes::from_static(DONE));
                return Some((futures::stream::iter(fresh), None));
            }
            if !fresh.is_empty() {
                let seen = seen + fresh.len();
                return Some((futures::stream::iter(fresh), Some((store, id, seen))));
            }
            tokio::time::sleep(wait).await;
        }
    })
    .flatten();
    Box::pin(events)
}

/// An event of a job in the shape of `api`.
fn shown_event(event: &Json, api: Api) -> Json {
    match api {
        Api::OpenAi => event.clone(),
        Api::Azure => azure_shapes::event(event),
    }
}

/// A model in Azure's shape, with the job that made it, if the store has
/// it.
fn azure_model(state: &State, model: &Json) -> Json {
    let id = text(model, "id");
    let job = (state.jobs.iter())
        .find(|job| id.is_some() && text(&job.object, "fine_tuned_model") == id)
        .map(|job| job.id.as_str());
    azure_shapes::model(model, job)
}

/// One event as a server-sent event.
fn event_bytes(event: &Json) -> Bytes {
    let mut line = b"data: ".to_vec();
    line.extend(event.to_bytes(false));
    line.extend(b"\n\n");
    line.into()
}

/// The organization fine-tuned models are named after, as in the docs'
/// `curie:ft-acmeco-2021-03-03-21-44-20`.
const ORGANIZATION: &str = "acmeco";

/// Step `step` of a fine-tune's plan: when (after its creation), the
/// event's message, and what else happens then; `None` after the last.
fn plan(job: &Job, step: usize) -> Option<(Duration, String, Effect)> {
    let epochs = job.epochs.max(1) as usize;
    let step = match step {
        0 => (
            Duration::ZERO,
            format!("Created fine-tune: {}", job.id),
            Effect::None,
        ),
        1 => (
            Duration::ZERO,
            "Job enqueued. Waiting for jobs ahead to complete. Queue number: 0.".to_owned(),
            Effect::None,
        ),
        2 => (JOB_STARTS, "Job started.".to_owned(), Effect::Start),
        n if n < 3 + epochs => {
            let epoch = (n - 2) as u32;
            let at = JOB_STARTS + JOB_TRAINS * epoch / epochs as u32;
            (
                at,
                format!("Completed epoch {epoch}/{epochs}"),
                Effect::None,
            )
        }
        n if n == 3 + epochs => (
            JOB_ENDS - Duration::from_millis(1500),
            format!("Uploaded model: {}", job.fine_tuned_model),
            Effect::None,
        ),
        n if n == 4 + epochs => (
            JOB_ENDS - Duration::from_secs(1),
            format!("Uploaded result file: {}", job.result_file),
            Effect::UploadResults,
        ),
        n if n == 5 + epochs => (JOB_ENDS, "Fine-tune succeeded".to_owned(), Effect::Succeed),
        _ => return None,
    };
    Some(step)
}

fn push_event(job: &mut Json, unix: u64, message: &str) {
    let event = Json::Object(vec![
        ("object".into(), "fine-tune-event".into()),
        ("created_at".into(), unix.into()),
        ("level".into(), "info".into()),
        ("message".into(), message.into()),
    ]);
    if let Some(events) = job.get_mut("events").and_then(Json::as_array_mut) {
        events.push(event);
    }
}

/// A fine-tune's results file: one row per epoch, the columns of the
/// `compiled_results.csv` of 2023.
fn results_csv(epochs: u64) -> Bytes {
    let mut csv = String::from(
        "step,elapsed_tokens,elapsed_examples,training_loss,training_sequence_accuracy,training_token_accuracy\n",
    );
    for epoch in 1..=epochs.max(1) {
        let loss = 1.0 / (epoch as f64 + 1.0);
        csv.push_str(&format!(
            "{epoch},{},{},{loss:.4},{:.2},{:.4}\n",
            epoch * 1024,
            epoch * 8,
            1.0 - loss,
            1.0 - loss / 2.0
        ));
    }
    csv.into()
}

/// `YYYY-MM-DD-HH-MM-SS` in UTC, as fine-tuned model names carry it.
fn utc_stamp(unix: u64) -> String {
    let (days, seconds) = (unix / 86_400, unix % 86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}-{:02}-{:02}-{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// The bytes of a `data:` URL (RFC 2397: `data:[<media type>][;base64],<data>`);
/// `None` for a URL of another scheme, the problem for a malformed one.
/// Small enough not to need a crate of its own.
fn data_url(url: &str) -> Option<Result<Bytes, String>> {
    let rest = url
        .get(..5)
        .filter(|scheme| scheme.eq_ignore_ascii_case("data:"))
        .map(|_| &url[5..])?;
    let Some((meta, data)) = rest.split_once(',') else {
        return Some(Err("it has no comma before its data".into()));
    };
    let data: Vec<u8> = percent_encoding::percent_decode_str(data).collect();
    let is_base64 = meta
        .rsplit(';')
        .next()
        .is_some_and(|last| last.eq_ignore_ascii_case("base64"));
    if !is_base64 {
        return Some(Ok(data.into()));
    }
    use base64::Engine as _;
    Some(
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .map(Bytes::from)
            .map_err(|e| format!("its data is not base64: {e}")),
    )
}

/// Checks content as Azure's upload of it would be (JSON Lines of
/// prompt/completion records for `fine-tune`).
fn check_upload(purpose: &str, filename: &str, bytes: &[u8]) -> Result<(), String> {
    let Some(schema) = crate::input::request_schema(Api::Azure, OperationId::CreateFile) else {
        return Ok(());
    };
    let file = openai_rest_spec::File {
        name: "file",
        file_name: Some(filename),
        bytes,
    };
    schema
        .check_files(&serde_json::json!({ "purpose": purpose }), &[file])
        .map_err(|violation| violation.to_string())
}

/// The file a fine-tune names as `param`, which must exist with purpose
/// `fine-tune` (and not be a failed import).
fn fine_tune_file(state: &State, id: &str, param: &str) -> Result<Json, ApiError> {
    let file = state
        .files
        .iter()
        .find(|file| file.id == id)
        .ok_or_else(|| ApiError {
            param: Some(param.into()),
            ..ApiError::invalid_request(400, format!("No such File object: {id}"))
        })?;
    // OpenAI's word for a file that failed its check: only a failed import
    // (Azure's `failed`) does.
    if text(&file.object, "status") == Some("error") {
        return Err(ApiError {
            param: Some(param.into()),
            ..ApiError::invalid_request(
                400,
                format!("File {id} failed to import; a fine-tune needs a file that did not fail"),
            )
        });
    }
    // `fine-tune-train` is how the docs' jobs show their training file.
    match text(&file.object, "purpose") {
        Some("fine-tune" | "fine-tune-train") => Ok(file.object.clone()),
        purpose => Err(ApiError {
            param: Some(param.into()),
            ..ApiError::invalid_request(
                400,
                format!(
                    "File {id} has purpose '{}'; a fine-tune needs a file uploaded with purpose 'fine-tune'",
                    purpose.unwrap_or_default()
                ),
            )
        }),
    }
}

/// A fine-tuned model of the organization: its base is its root and parent.
fn fine_tuned_model(template: &Json, id: &str, base: &str) -> Json {
    let mut model = template.clone();
    model.replace("id", id.into());
    model.replace("owned_by", ORGANIZATION_OWNER.into());
    model.replace("root", base.into());
    model.replace("parent", base.into());
    model
}

/// The objects the fixtures of one resource document: its list's items,
/// then its single objects (which win for their ids, being later).
struct Documented {
    /// OpenAI's (the `response` cases).
    openai: Vec<Json>,
    /// Azure's own examples (the `azure` cases), in Azure's shape.
    azure: Vec<Json>,
    /// Whether any of them was given (a recording), not embedded: then
    /// only those given count.
    given: bool,
}

/// What the fixtures of the resource listed by `list` and described one by
/// one by `singles` document.
fn documented(fixtures: &Fixtures, list: OperationId, singles: &[OperationId]) -> Documented {
    const CASES: [&str; 2] = ["response", "azure"];
    let operations = || std::iter::once(list).chain(singles.iter().copied());
    let given = operations().any(|operation| {
        CASES
            .iter()
            .any(|case| !fixtures.is_embedded(operation, case))
    });
    let objects = |case| {
        let counts = |operation| !given || !fixtures.is_embedded(operation, case);
        let listed = (json_case(fixtures, list, case).filter(|_| counts(list)))
            .and_then(|doc| doc.get("data").and_then(Json::as_array).map(<[_]>::to_vec))
            .unwrap_or_default();
        let single = (singles.iter().copied())
            .filter(|operation| counts(*operation))
            .filter_map(|operation| json_case(fixtures, operation, case).cloned());
        listed.into_iter().chain(single).collect()
    };
    Documented {
        openai: objects("response"),
        azure: objects("azure"),
        given,
    }
}

/// The events a documented job that shows none went through to its
/// status: the steps of the mock's own plan, spread from its creation to
/// its last update.
fn past_events(job: &Job) -> Vec<Json> {
    let unix = |key| {
        job.object
            .get(key)
            .and_then(Json::as_u64)
            .unwrap_or_default()
    };
    let (created, updated) = (unix("created_at"), unix("updated_at"));
    let at = |after: Duration| {
        let span = updated.saturating_sub(created) as f64;
        created + (span * after.as_secs_f64() / JOB_ENDS.as_secs_f64()) as u64
    };
    let status = text(&job.object, "status").unwrap_or_default();
    let steps = match status {
        "pending" => 2,
        "running" => 3,
        "failed" => 3,
        "cancelled" => 2,
        _ => usize::MAX,
    };
    let mut object = job.object.clone();
    object.replace("events", Json::Array(Vec::new()));
    for step in 0..steps {
        let Some((after, message, _)) = plan(job, step) else {
            break;
        };
        push_event(&mut object, at(after), &message);
    }
    match status {
        "cancelled" => push_event(&mut object, updated, "Fine-tune cancelled"),
        "failed" => push_event(&mut object, updated, "Fine-tune failed"),
        _ => {}
    }
    match object.get("events") {
        Some(Json::Array(events)) => events.clone(),
        _ => Vec::new(),
    }
}

/// A training file of exactly `size` bytes: JSON Lines of prompt and
/// completion, as the fine-tuning guide asks for.
fn training_jsonl_of_size(size: u64) -> Bytes {
    sized(
        size,
        |n| format!("{{\"prompt\": \"Example {n} ->\", \"completion\": \" answer {n}\\n\"}}\n"),
        |line, pad| {
            // The padding goes into the last prompt.
            line.replacen(" ->", &format!("{} ->", " ".repeat(pad)), 1)
        },
    )
}

/// A results file of exactly `size` bytes: the CSV of `results_csv`, with
/// as many steps as fit.
fn results_csv_of_size(epochs: u64, size: u64) -> Bytes {
    let header = results_csv(0);
    let header = std::str::from_utf8(&header).unwrap_or_default();
    let header = header.lines().next().unwrap_or_default().to_owned() + "\n";
    let mut rows = sized(
        size.saturating_sub(header.len() as u64),
        |step| {
            let loss = 1.0 / (step as f64 / epochs.max(1) as f64 + 1.0);
            format!(
                "{step},{},{},{loss:.4},{:.2},{:.4}\n",
                step * 1024,
                step * 8,
                1.0 - loss,
                1.0 - loss / 2.0
            )
        },
        |line, pad| {
            // Trailing zeros of the last figure.
            line.replacen('\n', &format!("{}\n", "0".repeat(pad)), 1)
        },
    )
    .to_vec();
    let mut csv = header.into_bytes();
    csv.append(&mut rows);
    csv.into()
}

/// Lines `line(1)`, `line(2)`, ... of exactly `size` bytes together, the
/// last one widened by `pad(line, bytes)`; nothing when `size` is smaller
/// than one line.
fn sized(size: u64, line: impl Fn(u64) -> String, pad: impl Fn(&str, usize) -> String) -> Bytes {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let mut out = String::new();
    let mut n = 1;
    loop {
        let next = line(n);
        let after = line(n + 1);
        // Room for this line and a whole next one: go on; else this one
        // takes the rest.
        if out.len() + next.len() + after.len() <= size {
            out.push_str(&next);
            n += 1;
            continue;
        }
        if out.len() + next.len() <= size {
            out.push_str(&pad(&next, size - out.len() - next.len()));
        }
        break;
    }
    out.into()
}

/// Azure's answer for a deployment it does not have.
fn no_such_deployment(id: &str) -> ApiError {
    ApiError {
        code: Some("notFound"),
        ..ApiError::invalid_request(
            404,
            format!("The specified deployment '{id}' does not exist."),
        )
    }
}

fn no_such_job(id: &str) -> ApiError {
    ApiError {
        param: Some("id".into()),
        ..ApiError::invalid_request(404, format!("No such FineTune object: {id}"))
    }
}

/// A fixture's JSON document.
fn json(fixtures: &Fixtures, operation: OperationId) -> Option<&Json> {
    json_case(fixtures, operation, "response")
}

/// The JSON document of the fixture `case` of `operation`.
fn json_case<'a>(fixtures: &'a Fixtures, operation: OperationId, case: &str) -> Option<&'a Json> {
    match &fixtures.case(operation, case)?.content {
        Content::Json(doc) => Some(doc),
        _ => None,
    }
}

fn text<'a>(doc: &'a Json, key: &str) -> Option<&'a str> {
    match doc.get(key)? {
        Json::String(text) => Some(text),
        _ => None,
    }
}

/// Azure's answer to a delete: 204, no body.
fn no_content() -> Reply {
    Reply {
        status: 204,
        content_type: None,
        body: Body::Full(Bytes::new()),
    }
}

fn json_reply(doc: &Json) -> Reply {
    Reply {
        status: 200,
        content_type: Some("application/json"),
        body: Body::Full(doc.to_bytes(true).into()),
    }
}

/// An id as the API made them: a prefix and 24 letters and digits.
fn new_id(prefix: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + 24);
    id.push_str(prefix);
    id.extend(std::iter::repeat_with(fastrand::alphanumeric).take(24));
    id
}

/// What the API of early 2023 answered for an unknown file id.
fn no_such_file(id: &str) -> ApiError {
    ApiError {
        param: Some("id".into()),
        ..ApiError::invalid_request(404, format!("No such File object: {id}"))
    }
}

fn model_not_found(id: &str, param: Option<&str>) -> ApiError {
    ApiError {
        param: param.map(str::to_owned),
        code: Some("model_not_found"),
        ..ApiError::invalid_request(404, format!("The model `{id}` does not exist"))
    }
}

fn no_fixture(operation: OperationId) -> ApiError {
    ApiError::invalid_request(
        404,
        format!("openai-rest-mock has no fixture {operation}/response"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_files_have_exactly_the_size_their_object_says() {
        for size in [0, 10, 60, 61, 999, 81_509, 1_547_276] {
            let training = training_jsonl_of_size(size);
            let results = results_csv_of_size(4, size);
            // Too small for one line: empty.
            assert!(
                training.len() as u64 == size || training.is_empty(),
                "{size}"
            );
            assert!(
                results.len() as u64 == size || size < 100,
                "{size}: {}",
                results.len()
            );
            for line in std::str::from_utf8(&training).unwrap().lines() {
                let record: serde_json::Value = serde_json::from_str(line).unwrap();
                assert!(record["prompt"].is_string() && record["completion"].is_string());
            }
            let csv = std::str::from_utf8(&results).unwrap();
            for row in csv.lines().skip(1) {
                assert_eq!(row.split(',').count(), 6, "{row}");
                assert!(
                    row.split(',').all(|cell| cell.parse::<f64>().is_ok()),
                    "{row}"
                );
            }
        }
    }

    fn job(status: &str) -> Job {
        let object = format!(
            r#"{{"id": "ft-1", "status": "{status}", "created_at": 100, "updated_at": 200, "events": []}}"#
        );
        Job {
            id: "ft-1".into(),
            object: serde_json::from_str(&object).unwrap(),
            created: Duration::ZERO,
            epochs: 2,
            fine_tuned_model: "curie:ft-acmeco-x".into(),
            result_file: "file-r".into(),
            next_step: None,
        }
    }

    fn messages(events: &[Json]) -> Vec<String> {
        events
            .iter()
            .map(|event| text(event, "message").unwrap().to_owned())
            .collect()
    }

    #[test]
    fn a_documented_job_without_events_gets_those_of_its_status() {
        assert_eq!(messages(&past_events(&job("pending"))).len(), 2);
        let succeeded = past_events(&job("succeeded"));
        let said = messages(&succeeded);
        assert_eq!(said.first().unwrap(), "Created fine-tune: ft-1");
        assert!(
            said.contains(&"Uploaded model: curie:ft-acmeco-x".to_owned()),
            "{said:?}"
        );
        assert!(
            said.contains(&"Uploaded result file: file-r".to_owned()),
            "{said:?}"
        );
        assert_eq!(said.last().unwrap(), "Fine-tune succeeded");
        // Spread over the job's life, in order.
        let times: Vec<u64> = succeeded
            .iter()
            .map(|e| e.get("created_at").unwrap().as_u64().unwrap())
            .collect();
        assert_eq!((times[0], *times.last().unwrap()), (100, 200));
        assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");
        assert_eq!(
            messages(&past_events(&job("cancelled"))).last().unwrap(),
            "Fine-tune cancelled"
        );
    }
}
