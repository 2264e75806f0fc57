//! Models: list and describe the models, delete fine-tuned ones.

use openai_rest_raw::azure::types::{
    AzureCapabilities, AzureDeprecation, AzureLifecycleStatus, AzureModel, AzureModelList,
};
use openai_rest_raw::operations::OperationId;
use openai_rest_raw::types::{ListModelsResponse, ModelPermission};

use crate::types::DeleteModelResponse;
use crate::{Client, List, Result, Status};

/// A model, as either API describes it: OpenAI tells its owner, permissions
/// and lineage, Azure its capabilities, deprecation dates and, for a
/// fine-tuned model, its base and the job that made it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), openai_rest_client::Error> {
/// # let mock = openai_rest_mock::OpenAiMock::start().await;
/// # let (base_url, endpoint) = (mock.base_url(), mock.azure_endpoint());
/// use openai_rest_client::{AzureAuth, AzureConfig, Client};
///
/// let openai = Client::builder().api_key("sk-...").base_url(base_url).build()?;
/// let curie = openai.models().retrieve("curie").await?;
/// assert_eq!(curie.owned_by.as_deref(), Some("openai"));
///
/// let azure = Client::builder()
///     .azure(AzureConfig::new(endpoint, AzureAuth::api_key("my-azure-key")))
///     .build()?;
/// let curie = azure.models().retrieve("curie").await?;
/// assert!(curie.capabilities.is_some_and(|can| can.fine_tune && can.completion));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Model {
    /// e.g. `text-davinci-003`, or a fine-tuned model's name.
    pub id: String,
    /// Always `model`.
    pub object: String,
    /// Unix seconds: OpenAI's `created`, Azure's `created_at`.
    pub created: i64,
    /// Who owns it, e.g. `openai` (OpenAI only).
    pub owned_by: Option<String>,
    /// What the organization may do with it (OpenAI only; empty on Azure).
    pub permission: Vec<ModelPermission>,
    /// The base model it descends from, its own id for a base model (OpenAI
    /// only).
    pub root: Option<String>,
    /// The model a fine-tuned model was trained from (OpenAI only).
    pub parent: Option<String>,
    /// Its state, `Succeeded` when usable (Azure only).
    pub status: Option<Status>,
    /// Unix seconds of the last change (Azure only).
    pub updated_at: Option<i64>,
    /// What it can be used for (Azure only).
    pub capabilities: Option<AzureCapabilities>,
    /// When fine-tuning and inference support end (Azure only).
    pub deprecation: Option<AzureDeprecation>,
    /// Preview or generally available (Azure only, when sent).
    pub lifecycle_status: Option<AzureLifecycleStatus>,
    /// A fine-tuned model's base model (Azure only).
    pub model: Option<String>,
    /// The fine-tune job that made it (Azure only).
    pub fine_tune: Option<String>,
}

impl From<openai_rest_raw::types::Model> for Model {
    fn from(model: openai_rest_raw::types::Model) -> Model {
        Model {
            id: model.id,
            object: model.object,
            created: model.created,
            owned_by: Some(model.owned_by),
            permission: model.permission,
            root: Some(model.root),
            parent: model.parent,
            status: None,
            updated_at: None,
            capabilities: None,
            deprecation: None,
            lifecycle_status: None,
            model: None,
            fine_tune: None,
        }
    }
}

impl From<AzureModel> for Model {
    fn from(model: AzureModel) -> Model {
        Model {
            id: model.id,
            object: model.object,
            created: model.created_at,
            owned_by: None,
            permission: Vec::new(),
            root: None,
            parent: None,
            status: Some(model.status.into()),
            updated_at: Some(model.updated_at),
            capabilities: Some(model.capabilities),
            deprecation: Some(model.deprecation),
            lifecycle_status: model.lifecycle_status,
            model: model.model,
            fine_tune: model.fine_tune,
        }
    }
}

list_from!(Model: ListModelsResponse, AzureModelList);

/// The models API, from [`Client::models`].
#[derive(Clone, Copy, Debug)]
pub struct Models<'c> {
    client: &'c Client,
}

impl Client {
    /// List and describe the models, delete fine-tuned ones.
    pub fn models(&self) -> Models<'_> {
        Models { client: self }
    }
}

impl Models<'_> {
    /// The models available: on OpenAI with their owner and permissions, on
    /// Azure with their capabilities.
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`](crate::Error)).
    pub async fn list(&self) -> Result<List<Model>> {
        let call = self.client.call(OperationId::ListModels)?;
        call.send_per_api::<ListModelsResponse, AzureModelList, _>()
            .await
    }

    /// The model `id` (fine-tuned ones contain `:`).
    ///
    /// # Errors
    ///
    /// The API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`](crate::Error)).
    pub async fn retrieve(&self, id: &str) -> Result<Model> {
        let call = self.client.call(OperationId::RetrieveModel)?.path(id);
        call.send_per_api::<openai_rest_raw::types::Model, AzureModel, _>()
            .await
    }

    /// Deletes the fine-tuned model `id`; needs the Owner role. OpenAI only.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an Azure client, before sending; otherwise the
    /// API's error by status, or a transport error, once the retries are spent
    /// (see [`Error`](crate::Error)).
    pub async fn delete(&self, id: &str) -> Result<DeleteModelResponse> {
        let call = self.client.call(OperationId::DeleteModel)?;
        call.path(id).send().await
    }
}
