//! The operations that make something from a request (completions, chat,
//! edits, embeddings, moderations, images, audio) and the engines: their
//! fixture, reflecting the request (see `replies`). With a store, a model
//! must be one it knows, and an Azure deployment one that has succeeded.

use openai_rest_raw::operations::Api;

use crate::answer::Answer;
use crate::error::ApiError;
use crate::handlers::Call;
use crate::store::models::model_not_found;

/// The fixture's answer, whatever the store holds.
pub(crate) fn fixture(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    call.fixture_answer(|_| {})
}

/// The fixture's answer for a model (OpenAI) or a deployment (Azure) the
/// store has ready.
pub(crate) fn with_model(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        return fixture(call);
    };
    match call.api() {
        Api::Azure => {
            let ready = (store.lock().deployments.get(call.id())).is_ok_and(|d| d.is_ready());
            if !ready {
                return Err(ApiError {
                    code: Some("DeploymentNotFound"),
                    ..ApiError::invalid_request(
                        404,
                        "The API deployment for this resource does not exist. If you created the \
                         deployment within the last 5 minutes, please wait a moment and try again.",
                    )
                });
            }
        }
        Api::OpenAi => {
            if let Some(model) = call.params.model
                && !store.lock().models.shows(model, Api::OpenAi)
            {
                return Err(model_not_found(model, None));
            }
        }
    }
    fixture(call)
}
