//! The client, its options and its credentials.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use openai_rest_raw::operations::{Api, OPERATIONS};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, USER_AGENT};

use crate::error::{Error, Result};
use crate::transport::{self, ApiKey, Transport};

/// The OpenAI API's base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// The Azure OpenAI `api-version` the docs use.
pub const DEFAULT_AZURE_API_VERSION: &str = "2022-12-01";

/// How an Azure OpenAI client authenticates.
#[derive(Clone, Debug)]
pub enum AzureAuth {
    /// A key of the resource, sent as the `api-key` header (`api_type = 'azure'`).
    ApiKey(ApiKey),
    /// An Azure Active Directory token, sent as `Authorization: Bearer`
    /// (`api_type = 'azure_ad'`).
    AdToken(ApiKey),
}

impl AzureAuth {
    /// An `api-key` from the portal's "Keys and Endpoint".
    pub fn api_key(key: impl Into<ApiKey>) -> Self {
        Self::ApiKey(key.into())
    }

    /// An Azure Active Directory token.
    pub fn ad_token(token: impl Into<ApiKey>) -> Self {
        Self::AdToken(token.into())
    }
}

/// Where and how to reach an Azure OpenAI resource.
#[derive(Clone, Debug)]
pub struct AzureConfig {
    endpoint: String,
    auth: AzureAuth,
    api_version: String,
    deployment: Option<String>,
}

impl AzureConfig {
    /// The resource's endpoint as the portal shows it
    /// (`https://{resource}.openai.azure.com/`), with `api-version`
    /// [`DEFAULT_AZURE_API_VERSION`] and no deployment.
    pub fn new(endpoint: impl Into<String>, auth: AzureAuth) -> Self {
        Self {
            endpoint: endpoint.into(),
            auth,
            api_version: DEFAULT_AZURE_API_VERSION.to_string(),
            deployment: None,
        }
    }

    /// The `api-version` query parameter of every request.
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }

    /// The deployment that completions and embeddings go to.
    pub fn deployment(mut self, id: impl Into<String>) -> Self {
        self.deployment = Some(id.into());
        self
    }
}

/// The client's knobs, set through [`Client::builder`] and turned into a
/// client by [`ClientBuilder::build`].
#[derive(Clone)]
pub struct ClientBuilder {
    api_key: Option<ApiKey>,
    organization: Option<String>,
    base_url: Option<String>,
    azure: Option<AzureConfig>,
    timeout: Duration,
    max_retries: u32,
    backoff: (Duration, Duration),
    poll_interval: Duration,
    default_headers: HeaderMap,
    http_client: Option<reqwest::Client>,
    // The first bad default header, reported by `build`.
    invalid: Option<String>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            organization: None,
            base_url: None,
            azure: None,
            timeout: Duration::from_secs(600),
            max_retries: 2,
            backoff: (Duration::from_secs(1), Duration::from_secs(60)),
            poll_interval: Duration::from_secs(5),
            default_headers: HeaderMap::new(),
            http_client: None,
            invalid: None,
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key)
            .field("organization", &self.organization)
            .field("base_url", &self.base_url)
            .field("azure", &self.azure)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("backoff", &self.backoff)
            .field("poll_interval", &self.poll_interval)
            // Names only: a default header may carry a secret.
            .field(
                "default_headers",
                &self.default_headers.keys().collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The options `OPENAI_API_KEY` (required), `OPENAI_ORGANIZATION` and
    /// `OPENAI_BASE_URL` give, to change further before [`build`](Self::build).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming `OPENAI_API_KEY` when it is not set or empty.
    pub fn from_env() -> Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let api_key = var("OPENAI_API_KEY").ok_or_else(|| {
            Error::Config("the environment variable OPENAI_API_KEY is not set".into())
        })?;
        let mut options = Self::default().api_key(api_key);
        options.organization = var("OPENAI_ORGANIZATION");
        options.base_url = var("OPENAI_BASE_URL");
        Ok(options)
    }

    /// The OpenAI API key, sent as `Authorization: Bearer`.
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The organization that requests count against, sent as
    /// `OpenAI-Organization`.
    pub fn organization(mut self, id: impl Into<String>) -> Self {
        self.organization = Some(id.into());
        self
    }

    /// Where the OpenAI API is; [`DEFAULT_BASE_URL`] unless set.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Talk to Azure OpenAI instead of OpenAI.
    pub fn azure(mut self, config: AzureConfig) -> Self {
        self.azure = Some(config);
        self
    }

    /// How long one attempt may take: until the whole answer is in, or for a
    /// stream or download until the answer starts and then between two
    /// chunks. 600 s unless set; [`Client::with_timeout`] changes it per call.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times a failed call is tried again (see
    /// [`Error::is_retryable`]); 2 unless set, 0 to never retry.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The wait before the first retry and the most any wait can be, also
    /// when the API asks for longer with `Retry-After`. The wait doubles with
    /// each retry, times a random 1 to 2 for jitter. 1 s and 60 s unless set.
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.backoff = (first, max);
        self
    }

    /// How often `fine_tunes().follow` and `deployments().wait` ask for the
    /// status when they have to poll; 5 s unless set.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// A header sent with every request (it replaces the `User-Agent`, not
    /// the authentication headers).
    pub fn default_header(mut self, name: &str, value: &str) -> Self {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(mut value)) => {
                value.set_sensitive(true);
                self.default_headers.insert(name, value);
            }
            _ => {
                self.invalid
                    .get_or_insert_with(|| format!("`{name}` is not a valid header"));
            }
        }
        self
    }

    /// The `reqwest::Client` to send with, for proxies, certificates or
    /// connection pools of your own. Its own timeouts apply too. With the
    /// `rustls` feature, call [`install_tls_provider`](crate::install_tls_provider)
    /// before building it.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// The client.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming what is missing or wrong: no API key, a key
    /// or organization that is not a valid header value, an invalid default
    /// header, a base URL that does not parse, an `https` URL without a TLS
    /// feature, or an HTTP client that cannot be built.
    pub fn build(self) -> Result<Client> {
        if let Some(problem) = self.invalid {
            return Err(Error::Config(problem));
        }
        let mut headers = HeaderMap::new();
        headers.insert(USER_AGENT, HeaderValue::from_static(transport::USER_AGENT));
        headers.extend(self.default_headers);
        let (secret, base_url, backend, deployment) = match self.azure {
            Some(azure) => {
                if self.api_key.is_some() || self.organization.is_some() {
                    return Err(Error::Config(
                        "an Azure client takes its key from AzureConfig and has no organization"
                            .into(),
                    ));
                }
                let (secret, name, prefix) = match azure.auth {
                    AzureAuth::ApiKey(key) => (key, HeaderName::from_static("api-key"), ""),
                    AzureAuth::AdToken(token) => (token, AUTHORIZATION, "Bearer "),
                };
                headers.insert(name, secret_header(prefix, &secret)?);
                let endpoint = azure.endpoint.trim_end_matches('/');
                let base_url = if endpoint.ends_with("/openai") {
                    endpoint.to_string()
                } else {
                    format!("{endpoint}/openai")
                };
                let backend = Backend {
                    api: Api::Azure,
                    api_version: Some(azure.api_version),
                };
                (secret, base_url, backend, azure.deployment)
            }
            None => {
                let secret = self.api_key.ok_or_else(|| {
                    Error::Config("no API key: set ClientBuilder::api_key or OPENAI_API_KEY".into())
                })?;
                headers.insert(AUTHORIZATION, secret_header("Bearer ", &secret)?);
                if let Some(org) = &self.organization {
                    let value = HeaderValue::from_str(org).map_err(|_| {
                        Error::Config("the organization id is not a valid header value".into())
                    })?;
                    headers.insert(HeaderName::from_static("openai-organization"), value);
                }
                let base_url = self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
                let backend = Backend {
                    api: Api::OpenAi,
                    api_version: None,
                };
                let base_url = base_url.trim_end_matches('/').to_string();
                (secret, base_url, backend, None)
            }
        };
        check_base_url(&base_url)?;

        // The headers of every request are the HTTP client's defaults, set
        // once; a client of the caller's own gets them on each request.
        let (http, headers) = match self.http_client {
            Some(client) => (client, Some(headers)),
            None => {
                #[cfg(feature = "rustls")]
                crate::install_tls_provider();
                let client = reqwest::Client::builder()
                    .default_headers(headers)
                    // `Transport` retries; reqwest's own policy (protocol
                    // NACKs, which HTTP/1.1 does not send) copied every
                    // request's headers and URI before sending, in case it
                    // retried.
                    .retry(reqwest::retry::never().max_retries_per_request(0))
                    .build()
                    .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
                (client, None)
            }
        };
        Ok(Client {
            shared: Arc::new(Shared {
                http,
                headers,
                urls: OPERATIONS.iter().map(|_| OnceLock::new()).collect(),
                backend,
                base_url,
                poll_interval: self.poll_interval,
            }),
            transport: Transport {
                secret,
                timeout: self.timeout,
                max_retries: self.max_retries,
                backoff: self.backoff,
            },
            deployment: deployment.map(Arc::from),
        })
    }
}

/// `prefix` + `key` as a header value, marked sensitive so that HTTP
/// tooling does not print it.
fn secret_header(prefix: &str, key: &ApiKey) -> Result<HeaderValue> {
    if key.expose().trim().is_empty() {
        return Err(Error::Config("the API key is empty".into()));
    }
    // The error must not echo the key.
    let mut value = HeaderValue::from_str(&format!("{prefix}{}", key.expose()))
        .map_err(|_| Error::Config("the API key is not a valid header value".into()))?;
    value.set_sensitive(true);
    Ok(value)
}

fn check_base_url(url: &str) -> Result<()> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| Error::Config(format!("the base URL `{url}` is not a URL: {e}")))?;
    match parsed.scheme() {
        "http" => Ok(()),
        "https" if cfg!(any(feature = "rustls", feature = "native-tls")) => Ok(()),
        "https" => Err(Error::Config(format!(
            "the base URL `{url}` needs TLS: enable the `rustls` or `native-tls` feature"
        ))),
        other => Err(Error::Config(format!(
            "the base URL `{url}` has scheme `{other}`, not http or https"
        ))),
    }
}

/// What differs between OpenAI and Azure OpenAI for the calls of a client:
/// the spec its operations come from and the `api-version` query (Azure's).
/// The base URL and the authentication headers are set once, when the client
/// is built; the deployment is per [`Client`].
pub(crate) struct Backend {
    pub(crate) api: Api,
    pub(crate) api_version: Option<String>,
}

impl Backend {
    /// Its name, for messages.
    pub(crate) fn name(&self) -> &'static str {
        match self.api {
            Api::OpenAi => "OpenAI",
            Api::Azure => "Azure OpenAI",
        }
    }
}

pub(crate) struct Shared {
    pub(crate) http: reqwest::Client,
    /// Headers for each request, when `http` is the caller's and does not
    /// have them as its defaults.
    pub(crate) headers: Option<HeaderMap>,
    /// The URL of each operation of [`OPERATIONS`] that has the same one
    /// on every call, parsed on its first call.
    pub(crate) urls: Box<[OnceLock<reqwest::Url>]>,
    pub(crate) backend: Backend,
    pub(crate) base_url: String,
    pub(crate) poll_interval: Duration,
}

/// The OpenAI (or Azure OpenAI) API. Cheap to clone: clones share the
/// connection pool.
///
/// Each API group is a method: `client.completions().create(request)`.
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
    /// How its calls are sent: timeout, retries, credentials.
    pub(crate) transport: Transport,
    deployment: Option<Arc<str>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("backend", &self.shared.backend.name())
            .field("base_url", &self.shared.base_url)
            .field("deployment", &self.deployment)
            .field("timeout", &self.transport.timeout)
            .field("max_retries", &self.transport.max_retries)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Options to build a client from.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from `OPENAI_API_KEY` (required), `OPENAI_ORGANIZATION` and
    /// `OPENAI_BASE_URL`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`], as [`ClientBuilder::from_env`] and
    /// [`ClientBuilder::build`] give it.
    pub fn from_env() -> Result<Self> {
        ClientBuilder::from_env()?.build()
    }

    /// This client with another timeout, for the calls made through it.
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        let mut client = self.clone();
        client.transport.timeout = timeout;
        client
    }

    /// This client with another number of retries, for the calls made
    /// through it.
    pub fn with_max_retries(&self, retries: u32) -> Self {
        let mut client = self.clone();
        client.transport.max_retries = retries;
        client
    }

    /// This Azure client with completions and embeddings going to another
    /// deployment.
    pub fn with_deployment(&self, id: impl Into<String>) -> Self {
        Self {
            deployment: Some(Arc::from(id.into())),
            ..self.clone()
        }
    }

    /// The base URL requests go to (for Azure, the endpoint + `/openai`).
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The deployment for completions and embeddings on Azure.
    pub(crate) fn deployment(&self) -> Result<&str> {
        self.deployment.as_deref().ok_or_else(|| {
            Error::InvalidArgument(
                "no Azure deployment: set AzureConfig::deployment or use Client::with_deployment"
                    .into(),
            )
        })
    }
}
