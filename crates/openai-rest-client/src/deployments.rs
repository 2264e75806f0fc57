//! Deployments (Azure OpenAI only): the models deployed in a resource, which
//! completions and embeddings are asked of.

use std::fmt::Display;

use openai_rest_raw::operations::OperationId;

use crate::types::{
    CreateDeploymentRequest, Deployment, ListDeploymentsResponse, State, UpdateDeploymentRequest,
};
use crate::{Client, Result};

/// The deployments API, from [`Client::deployments`].
#[derive(Clone, Copy, Debug)]
pub struct Deployments<'c> {
    client: &'c Client,
}

impl Client {
    /// Create, list, update, wait for and delete deployments. Azure only: on an
    /// OpenAI client each call is an [`Error::Unsupported`](crate::Error::Unsupported).
    pub fn deployments(&self) -> Deployments<'_> {
        Deployments { client: self }
    }
}

impl Deployments<'_> {
    /// The resource's deployments.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an OpenAI client, before sending; otherwise
    /// the API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`](crate::Error)).
    pub async fn list(&self) -> Result<ListDeploymentsResponse> {
        self.client.call(OperationId::ListDeployments)?.send().await
    }

    /// Deploys a model; it is ready when [`wait`](Self::wait) says `succeeded`.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an OpenAI client, and
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a request the spec refuses, both before
    /// sending; otherwise the API's error by status, or a transport error, once
    /// the retries are spent (see [`Error`](crate::Error)).
    pub async fn create<R>(&self, request: R) -> Result<Deployment>
    where
        R: TryInto<CreateDeploymentRequest>,
        R::Error: Display,
    {
        let request: CreateDeploymentRequest = crate::arguments::convert(request)?;
        let call = self.client.call(OperationId::CreateDeployment)?;
        call.json(&request)?.send().await
    }

    /// Changes the deployment `id`'s model or scale settings (Azure's JSON
    /// merge patch: what the request leaves out stays). Only a deployment
    /// in a final status can be updated; it is then `notRunning` until
    /// [`wait`](Self::wait) says `succeeded` again.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an OpenAI client, and
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a request the spec refuses, both before
    /// sending; [`Error::Conflict`](crate::Error::Conflict) (409, retried like any
    /// conflict) while the deployment is not in a final status; otherwise the
    /// API's error by status, or a transport error, once the retries are spent
    /// (see [`Error`](crate::Error)).
    pub async fn update<R>(&self, id: &str, request: R) -> Result<Deployment>
    where
        R: TryInto<UpdateDeploymentRequest>,
        R::Error: Display,
    {
        let call = self.client.call(OperationId::UpdateDeployment)?.path(id);
        let request: UpdateDeploymentRequest = crate::arguments::convert(request)?;
        call.json(&request)?.send().await
    }

    /// The deployment `id`, with its status.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an OpenAI client, before sending; otherwise
    /// the API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`](crate::Error)).
    pub async fn retrieve(&self, id: &str) -> Result<Deployment> {
        let call = self.client.call(OperationId::RetrieveDeployment)?;
        call.path(id).send().await
    }

    /// Deletes the deployment `id`.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an OpenAI client, before sending; otherwise
    /// the API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`](crate::Error)).
    pub async fn delete(&self, id: &str) -> Result<()> {
        let call = self.client.call(OperationId::DeleteDeployment)?;
        call.path(id).send().await
    }

    /// Asks for the deployment `id` every poll interval until its status is
    /// final (`succeeded`, `failed`, `canceled` or `deleted`), as the Azure
    /// guide does, and answers it in that status. It has no limit of its
    /// own: wrap it in `tokio::time::timeout` to bound the wait.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) on an OpenAI client, before sending; otherwise
    /// the API's error by status, or a transport error, once the retries are
    /// spent (see [`Error`](crate::Error)). The first error ends the wait.
    pub async fn wait(&self, id: &str) -> Result<Deployment> {
        loop {
            let deployment = self.retrieve(id).await?;
            if matches!(
                deployment.status,
                State::Succeeded | State::Failed | State::Canceled | State::Deleted
            ) {
                return Ok(deployment);
            }
            tokio::time::sleep(self.client.shared.poll_interval).await;
        }
    }
}
