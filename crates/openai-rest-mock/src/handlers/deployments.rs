//! Azure's deployments: created, listed, retrieved, updated (a merge patch,
//! after which the deployment provisions again) and deleted in the store;
//! from the fixtures when stateless.

use openai_rest_raw::operations::{Api, OperationId};

use crate::answer::Answer;
use crate::error::{ApiError, Invalid};
use crate::handlers::Call;
use crate::json::Json;
use crate::replies::set;
use crate::store::deployments::Deployment;

pub(crate) fn create(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let scale_settings = call.input.body.get("scale_settings").map(Json::from);
    let Some(store) = call.store else {
        return call.fixture_answer(|doc| {
            if let Some(scale_settings) = scale_settings {
                set(doc, "scale_settings", scale_settings);
            }
        });
    };
    let mut object = call.fixture_json(OperationId::CreateDeployment)?;
    let clock = store.clock();
    let created = clock.elapsed();
    let id = format!("deployment-{:032x}", fastrand::u128(..));
    object.replace("id", id.as_str().into());
    if let Some(model) = call.input.text("model") {
        object.replace("model", model.into());
    }
    if let Some(scale_settings) = scale_settings {
        object.replace("scale_settings", scale_settings);
    }
    object.replace("created_at", clock.unix_at(created).into());
    let deployment = Deployment::provisioning(object, created, clock)
        .ok_or_else(|| ApiError::storage("the deployment fixture has no id"))?;
    let answer = Answer::json(&deployment.to_azure());
    store.lock().deployments.put(deployment);
    Ok(answer)
}

pub(crate) fn list(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        return call.fixture_answer(|_| {});
    };
    let items = store
        .lock()
        .deployments
        .iter()
        .map(Deployment::to_azure)
        .collect();
    call.list_answer(items)
}

pub(crate) fn retrieve(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        return call.fixture_answer(|_| {});
    };
    let state = store.lock();
    Ok(Answer::json(&state.deployments.get(call.id())?.to_azure()))
}

/// The request merged into the deployment (RFC 7396), which then
/// provisions again from `notRunning`. Only a deployment in a final state
/// can be updated.
pub(crate) fn update(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let patch = Json::from(&call.input.body);
    let Some(store) = call.store else {
        // The fixture as the merge patch changes it.
        return call.fixture_answer(|doc| doc.to_mut().merge_patch(&patch));
    };
    let mut state = store.lock();
    let deployment = state.deployments.get(call.id())?;
    if !deployment.is_final() {
        return Err(ApiError {
            code: Some("unexpectedEntityState"),
            ..ApiError::invalid_request(
                409,
                "The specified deployment cannot be updated because it's in a non-terminal \
                 state.",
            )
        });
    }
    let mut updated = deployment.to_azure();
    updated.merge_patch(&patch);
    // What the patch made must still be a deployment Azure would create.
    if let Some(schema) = crate::input::request_schema(Api::Azure, OperationId::CreateDeployment) {
        let fields = |key| serde_json::to_value(updated.get(key)).unwrap_or_default();
        let settings = serde_json::json!({
            "model": fields("model"),
            "scale_settings": fields("scale_settings"),
        });
        schema
            .check(&settings)
            .map_err(|violation| ApiError::from(Invalid::from(violation)))?;
    }
    let mut updated = Deployment::provisioning(updated, store.clock().elapsed(), store.clock())
        .ok_or_else(|| ApiError::storage("the deployment has no id"))?;
    // Found by the id it had, whatever the patch said.
    updated.id = call.id().to_owned();
    let answer = Answer::json(&updated.to_azure());
    state.deployments.put(updated);
    Ok(answer)
}

pub(crate) fn delete(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        return call.fixture_answer(|_| {});
    };
    store.lock().deployments.delete(call.id())?;
    Ok(Answer::no_content())
}
