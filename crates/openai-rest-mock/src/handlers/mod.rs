//! What each operation answers: one handler per resource (one file each),
//! registered in [`handler`], the one table keyed by the operation. The
//! request pipeline (`fake_api`) makes a [`Call`] of a checked request and
//! asks [`answer`]; a handler answers from the store when there is one, and
//! from its fixture when the mock is stateless: the same handler either way.

mod deployments;
mod files;
mod fine_tunes;
mod inference;
mod models;

use std::borrow::Cow;
use std::sync::Arc;

use openai_rest_raw::operations::{Api, OperationId};

use crate::answer::{Answer, Body};
use crate::clock::Clock;
use crate::error::ApiError;
use crate::fixtures::Fixtures;
use crate::input::{FilePart, Input};
use crate::json::Json;
use crate::params::Params;
use crate::rate_limit::RateLimiter;
use crate::routes::{self, Route};
use crate::store::{self, Store};
use crate::token_budget::{self, Budget, Kind};

/// A checked request on its way to its answer: what every handler knows.
pub(crate) struct Call<'a> {
    pub(crate) route: &'a Route,
    pub(crate) input: &'a Input,
    /// What the body asks of the answer, read once.
    pub(crate) params: Params<'a>,
    /// The files of a multipart body, taken from the input: a store keeps
    /// them.
    pub(crate) files: Vec<FilePart>,
    pub(crate) fixtures: &'a Fixtures,
    /// `None` in stateless mode.
    pub(crate) store: Option<&'a Arc<Store>>,
    /// The mock's time, which rate limits count on.
    pub(crate) clock: &'a Clock,
    pub(crate) limiter: &'a RateLimiter,
    /// Whom the rate limits count the request against: its
    /// `OpenAI-Organization`, else a name made from its key.
    pub(crate) organization: &'a str,
    /// What a completion, chat or embedding costs in its model's tokens,
    /// once [`answer`] has counted it.
    pub(crate) budget: Option<Budget>,
}

impl Call<'_> {
    /// The id the path names (`{file_id}`, `{deployment_id}`, ...).
    pub(crate) fn id(&self) -> &str {
        self.route.param().unwrap_or_default()
    }

    pub(crate) fn api(&self) -> Api {
        self.route.operation.api
    }

    pub(crate) fn file(&self, name: &str) -> Option<&FilePart> {
        self.files.iter().find(|file| file.name == name)
    }

    /// Takes the file part `name` out of the call: a store keeps it.
    pub(crate) fn take_file(&mut self, name: &str) -> Option<FilePart> {
        let at = self.files.iter().position(|file| file.name == name)?;
        Some(self.files.remove(at))
    }

    /// The fixture's answer, with what `reflect` reflects of the request.
    pub(crate) fn fixture_answer(
        &self,
        reflect: impl FnOnce(&mut std::borrow::Cow<'_, Json>),
    ) -> Result<Answer, ApiError> {
        crate::replies::reply(
            self.fixtures,
            self.route,
            self.input,
            &self.params,
            self.budget.as_ref(),
            reflect,
        )
    }

    /// A list's answer: the operation's fixture envelope around `items`.
    pub(crate) fn list_answer(&self, items: Vec<Json>) -> Result<Answer, ApiError> {
        let mut envelope = self.fixture_json(self.route.operation.id)?;
        envelope.replace("data", Json::Array(items));
        Ok(Answer::json(&envelope))
    }

    /// The operation's fixture document: the envelope of a list, the shape
    /// of an answer.
    pub(crate) fn fixture_json(&self, operation: OperationId) -> Result<Json, ApiError> {
        store::json(self.fixtures, operation)
            .cloned()
            .ok_or_else(|| {
                ApiError::invalid_request(
                    404,
                    format!("openai-rest-mock has no fixture {operation}/response"),
                )
            })
    }
}

/// A handler: the answer to a call of its operation.
type Handler = fn(&mut Call<'_>) -> Result<Answer, ApiError>;

/// The table: every operation's handler. Exhaustive, so that an operation
/// added to the spec does not build until it has one.
fn handler(operation: OperationId) -> Handler {
    use OperationId::*;
    match operation {
        CreateFile => files::create,
        ImportFile => files::import,
        ListFiles => files::list,
        RetrieveFile => files::retrieve,
        DownloadFile => files::download,
        DeleteFile => files::delete,
        CreateFineTune => fine_tunes::create,
        ListFineTunes => fine_tunes::list,
        RetrieveFineTune => fine_tunes::retrieve,
        CancelFineTune => fine_tunes::cancel,
        DeleteFineTune => fine_tunes::delete,
        ListFineTuneEvents => fine_tunes::events,
        ListModels => models::list,
        RetrieveModel => models::retrieve,
        DeleteModel => models::delete,
        ListEngines | RetrieveEngine => inference::fixture,
        CreateDeployment => deployments::create,
        ListDeployments => deployments::list,
        RetrieveDeployment => deployments::retrieve,
        UpdateDeployment => deployments::update,
        DeleteDeployment => deployments::delete,
        CreateCompletion | CreateChatCompletion | CreateEdit | CreateEmbedding => {
            inference::with_model
        }
        CreateModeration | CreateImage | CreateImageEdit | CreateImageVariation
        | CreateTranscription | CreateTranslation => inference::fixture,
    }
}

/// The answer to a checked request: time moves in the store, the table
/// gives the operation's handler, and the edge finishes the answer (the
/// operation's success status, a 204's empty body, the page of a list, the
/// `Location` of what Azure's authoring API created).
///
/// A step that needs the operation, the request and the store for every
/// request goes here, before the handler: so do counting tokens and the
/// rate limits ([`charge`]).
pub(crate) fn answer(call: &mut Call<'_>) -> Answer {
    if let Some(store) = call.store {
        store.advance();
    }
    if let Err(refused) = charge(call) {
        return refused;
    }
    let route = call.route;
    match handler(route.operation.id)(call) {
        // A 204 has no body, whatever the fixture holds.
        Ok(_) if route.operation.success == 204 => Answer::no_content(),
        Ok(mut answer) => {
            answer.status = route.operation.success;
            if let (Some(page), Body::Full(list)) = (&call.input.page, &answer.body)
                && let Some(paged) = page.of(list)
            {
                answer.body = Body::Full(paged);
            }
            if route.is_azure_authoring() && answer.status == 201 {
                answer
                    .headers
                    .extend(location(route, call.input, &answer.body));
            }
            answer
        }
        Err(error) => Answer::error(&error),
    }
}

/// Counts a completion's, chat's or embedding's tokens with its model's
/// encoding and weighs it against the rate limits: the API's 400 when it
/// does not fit the model's window, its 429 when it would pass a limit
/// (with a `Retry-After` for when it fits); else what it costs goes with
/// the call, for the answer's `usage` and text.
fn charge(call: &mut Call<'_>) -> Result<(), Answer> {
    let Some(kind) = Kind::of(call.route.operation.id) else {
        return Ok(());
    };
    let model: Option<Cow<'_, str>> = match call.api() {
        Api::OpenAi => call.params.model.map(Cow::Borrowed),
        // The deployment's model; a stateless mock knows none.
        Api::Azure => call.store.and_then(|store| {
            let state = store.lock();
            let deployment = state.deployments.get(call.id()).ok()?;
            deployment.shape.get("model").and_then(|model| match model {
                Json::String(model) => Some(Cow::Owned(model.clone())),
                _ => None,
            })
        }),
    };
    let Some(model) = model else {
        return Ok(());
    };
    let budget =
        token_budget::budget(kind, &model, &call.params).map_err(|error| Answer::error(&error))?;
    if call.limiter.is_off() {
        call.budget = budget;
        return Ok(());
    }
    let choices = crate::replies::choices(call.route.operation.id, &call.params) as u64;
    let weight = budget
        .as_ref()
        .map_or(0, |budget| budget.weight(kind, &call.params, choices));
    let now = call.clock.elapsed();
    if let Err(refused) = call.limiter.admit(call.organization, &model, weight, now) {
        let error = ApiError {
            kind: refused.kind(),
            code: Some("rate_limit_exceeded"),
            ..ApiError::invalid_request(429, refused.message(&model, call.organization))
        };
        // In whole seconds of wall time, rounded up; a stopped clock's
        // wait is its own.
        let wait = call
            .clock
            .wall_until(now + refused.retry_after)
            .unwrap_or(refused.retry_after);
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut answer = Answer::error(&error);
        answer
            .headers
            .push(("retry-after", seconds.max(1).to_string().into()));
        return Err(answer);
    }
    call.budget = budget;
    Ok(())
}

/// Azure's authoring API answers 201 with the new item's URL: the
/// collection's path, the id the body gives, the request's `api-version`.
fn location(
    route: &Route,
    input: &Input,
    body: &Body,
) -> Option<(&'static str, std::borrow::Cow<'static, str>)> {
    let Body::Full(bytes) = body else {
        return None;
    };
    let doc: Json = serde_json::from_slice(bytes).ok()?;
    let Some(Json::String(id)) = doc.get("id") else {
        return None;
    };
    // An imported file is one of `/files`.
    let path = route.operation.path.trim_end_matches("/import");
    let collection = format!("{}{path}", routes::prefix(Api::Azure));
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair(
            "api-version",
            input.query("api-version").unwrap_or_default(),
        )
        .finish();
    Some(("location", format!("{collection}/{id}?{query}").into()))
}
