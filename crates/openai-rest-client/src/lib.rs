#![doc = include_str!("../README.md")]
#![warn(missing_docs, clippy::missing_errors_doc)]

/// Sends raw method `$method` with its setters on the client's backend,
/// adding the `api-version` query on Azure, and with `deployment` first,
/// the client's deployment too (completions and embeddings).
macro_rules! on_backend {
    ($client:expr, $operation:literal, $method:ident $(. $setter:ident ($arg:expr))*) => {
        match &$client.shared.backend {
            $crate::client::Backend::OpenAi(raw) => {
                $client
                    .send($operation, || raw.$method()$(.$setter($arg))*.send())
                    .await
            }
            $crate::client::Backend::Azure { raw, api_version } => {
                $client
                    .send($operation, || {
                        raw.$method()$(.$setter($arg))*.api_version(api_version.as_str()).send()
                    })
                    .await
            }
        }
    };
    (deployment $client:expr, $operation:literal, $method:ident $(. $setter:ident ($arg:expr))*) => {
        match &$client.shared.backend {
            $crate::client::Backend::OpenAi(raw) => {
                $client
                    .send($operation, || raw.$method()$(.$setter($arg))*.send())
                    .await
            }
            $crate::client::Backend::Azure { raw, api_version } => {
                let deployment = $client.deployment()?;
                $client
                    .send($operation, || {
                        raw.$method()
                            .deployment_id(deployment)
                            $(.$setter($arg))*
                            .api_version(api_version.as_str())
                            .send()
                    })
                    .await
            }
        }
    };
}

mod arguments;
pub mod audio;
pub mod chat;
mod client;
pub mod completions;
pub mod deployments;
pub mod edits;
pub mod embeddings;
pub mod engines;
mod error;
pub mod files;
pub mod fine_tunes;
pub mod images;
pub mod models;
pub mod moderations;
pub mod sse;
mod transport;
mod upload;

pub use client::{
    AzureAuth, AzureConfig, Client, ClientBuilder, DEFAULT_AZURE_API_VERSION, DEFAULT_BASE_URL,
};
pub use error::{ApiError, Error, Result};
/// The HTTP client this crate sends with, for [`ClientBuilder::http_client`].
pub use reqwest;
pub use sse::EventStream;
pub use transport::ApiKey;
pub use upload::Upload;

/// The request and response bodies, generated from the spec by `openai-rest-raw`:
/// OpenAI's, which Azure shares, and Azure's own (deployments, file imports).
pub mod types {
    pub use openai_rest_raw::azure::types::{
        AzureFilePurpose, CreateDeploymentRequest, Deployment, ImportFileRequest,
        ListDeploymentsResponse, ScaleSettings, ScaleSettingsUpdate, ScaleType, State,
        UpdateDeploymentRequest,
    };
    pub use openai_rest_raw::types::*;
}
