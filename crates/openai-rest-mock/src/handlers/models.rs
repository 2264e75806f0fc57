//! The models: listed, retrieved and deleted from the store (Azure's shape
//! made here, at the edge, with the job that made a fine-tuned model), or
//! from the fixtures when stateless.

use openai_rest_raw::operations::{Api, OperationId};

use crate::answer::{Answer, Body};
use crate::azure_shapes;
use crate::error::ApiError;
use crate::handlers::Call;
use crate::json::Json;
use crate::store::State;
use crate::store::models::{Model, model_not_found};

/// A model in Azure's shape, with the job that made it, if the store has
/// it.
fn azure_model(state: &State, model: &Model) -> Json {
    let job = state
        .fine_tunes
        .maker_of(&model.id)
        .map(|job| job.id.as_str());
    azure_shapes::model(&model.to_openai(), job)
}

pub(crate) fn list(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        return call.fixture_answer(|_| {});
    };
    let mut state = store.lock();
    if call.api() == Api::Azure {
        let models = state.models.iter().map(|model| azure_model(&state, model));
        return call.list_answer(models.collect());
    }
    // The longest list, and the one most asked for: made (and its fixture's
    // envelope copied) only once per change.
    let listed = state.models.listed(|models| {
        let mut envelope = call.fixture_json(OperationId::ListModels).ok()?;
        let models = models.iter().filter(|model| model.is_seen_by(Api::OpenAi));
        envelope.replace("data", Json::Array(models.map(Model::to_openai).collect()));
        Some(envelope.to_bytes(true).into())
    });
    match listed {
        Some(listed) => Ok(Answer::ok(Some("application/json"), Body::Full(listed))),
        // Only without its fixture: that error.
        None => call
            .fixture_json(OperationId::ListModels)
            .map(|doc| Answer::json(&doc)),
    }
}

pub(crate) fn retrieve(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        return call.fixture_answer(|_| {});
    };
    let id = call.id();
    let state = store.lock();
    let model = state
        .models
        .get_for(id, call.api())
        .ok_or_else(|| model_not_found(id, Some("model")))?;
    Ok(Answer::json(&match call.api() {
        Api::OpenAi => model.to_openai(),
        Api::Azure => azure_model(&state, model),
    }))
}

pub(crate) fn delete(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        return call.fixture_answer(|_| {});
    };
    let mut answer = call.fixture_json(OperationId::DeleteModel)?;
    let id = call.id();
    let mut state = store.lock();
    if state.models.get_for(id, call.api()).is_none() {
        return Err(model_not_found(id, Some("model")));
    }
    state.models.delete(id)?;
    answer.replace("id", id.into());
    Ok(Answer::json(&answer))
}
