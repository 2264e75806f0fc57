#![doc = include_str!("../README.md")]
#![warn(missing_docs, clippy::missing_errors_doc)]

/// `From` each raw list type (`{"object", "data"}`) of either API for a
/// [`List`] of the client's `$item`.
macro_rules! list_from {
    ($item:ty: $($raw:ty),+) => {$(
        impl From<$raw> for $crate::List<$item> {
            fn from(list: $raw) -> Self {
                $crate::List::from_raw(list.object, list.data)
            }
        }
    )+};
}

mod arguments;
pub mod audio;
mod call;
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
mod list;
pub mod models;
pub mod moderations;
mod sse;
mod status;
#[cfg(feature = "tokens")]
pub mod tokens;
mod transport;
mod upload;

pub use client::{
    AzureAuth, AzureConfig, Client, ClientBuilder, DEFAULT_AZURE_API_VERSION, DEFAULT_BASE_URL,
};
pub use error::{ApiError, Error, Result};
pub use list::List;
/// The HTTP client this crate sends with, for [`ClientBuilder::http_client`].
pub use reqwest;
pub use sse::EventStream;
pub use status::Status;
pub use transport::ApiKey;
pub use upload::Upload;

/// Makes ring the process's rustls crypto provider, unless the program
/// installed one already. reqwest is built here with rustls but without a
/// provider, and then panics in `reqwest::Client::builder().build()` when
/// none is installed: [`ClientBuilder::build`] calls this first, and a
/// program that builds a `reqwest::Client` of its own before it (for
/// [`ClientBuilder::http_client`], or for anything else) calls it too.
#[cfg(feature = "rustls")]
pub fn install_tls_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // An `Err` is another thread's provider, installed in between.
        // rustls 0.23.48 deprecates ring's provider for its lack of
        // post-quantum key exchange; aws-lc, which has it, is the C build
        // this feature exists to avoid.
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        let _ = provider.install_default();
    }
}

/// The request and response bodies, generated from the spec by `openai-rest-raw`:
/// OpenAI's, which Azure shares, and Azure's own (deployments, file imports,
/// and the parts of its files, fine-tunes and models that OpenAI's lack).
/// Files, fine-tunes, events and models are answered as the client's own
/// types, which hold either API's shape: [`File`](crate::files::File),
/// [`FineTune`](crate::fine_tunes::FineTune), [`Event`](crate::fine_tunes::Event),
/// [`Model`](crate::models::Model).
pub mod types {
    pub use openai_rest_raw::azure::types::{
        AzureCapabilities, AzureDeprecation, AzureError, AzureFilePurpose, AzureFileStatistics,
        AzureLifecycleStatus, CreateDeploymentRequest, Deployment, ImportFileRequest,
        ListDeploymentsResponse, ScaleSettings, ScaleSettingsUpdate, ScaleType, State,
        UpdateDeploymentRequest,
    };
    pub use openai_rest_raw::types::*;

    // The API's model, fine-tune and error objects are the client's own
    // `models::Model`, `fine_tunes::FineTune` and `Error`/`ApiError`: these
    // private names keep the glob above from exporting the raw ones under
    // the same names.
    #[allow(hidden_glob_reexports, unused_imports)]
    use crate::{Error, fine_tunes::FineTune, models::Model};

    /// The builders of the request and response bodies: `T::builder()`
    /// makes one, and a request method takes it as it takes a `T`.
    pub mod builder {
        pub use openai_rest_raw::types::builder::*;

        // Nor the builders of the raw objects hidden above.
        #[allow(hidden_glob_reexports, unused_imports)]
        use crate::{Error, fine_tunes::FineTune, models::Model};
    }
}
