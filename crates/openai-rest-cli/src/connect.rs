//! The client the `api` subcommands call through: OpenAI or Azure, from the
//! global flags and then the environment variables the Python library read.

use openai_rest_client::{AzureAuth, AzureConfig, Client, DEFAULT_AZURE_API_VERSION};

use crate::cli::{ApiType, Connection};
use crate::failure::Failure;

/// The environment, as a function so that tests need not change the
/// process's own.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process's environment; empty values count as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// A client and what the commands need to know of how it was made.
#[derive(Debug)]
pub struct Session {
    pub client: Client,
    /// Azure OpenAI rather than OpenAI.
    pub azure: bool,
    /// The Azure deployment of `--deployment`.
    deployment: Option<String>,
}

impl Session {
    /// The client, sending Azure completions to `engine` when one is given.
    pub fn with_deployment(&self, engine: Option<&str>) -> Client {
        match engine {
            Some(engine) if self.azure => self.client.with_deployment(engine),
            _ => self.client.clone(),
        }
    }

    /// The `--deployment` given, on Azure.
    pub fn deployment(&self) -> Option<&str> {
        self.deployment.as_deref().filter(|_| self.azure)
    }

    /// A usage error unless an Azure call that goes to a deployment has one.
    pub fn require_deployment(&self, engine: Option<&str>) -> Result<(), Failure> {
        if self.azure && engine.is_none() && self.deployment.is_none() {
            return Err(Failure::usage(
                "on Azure this goes to a deployment: give it with --deployment ID (or -e ID)",
            ));
        }
        Ok(())
    }
}

/// The secrets a run may have been given, to mask wherever they could be
/// echoed.
pub fn secrets(connection: &Connection, env: Env<'_>) -> Vec<String> {
    let variables = [
        "OPENAI_API_KEY",
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_AD_TOKEN",
    ];
    connection
        .api_key
        .iter()
        .cloned()
        .chain(variables.iter().filter_map(|name| env(name)))
        .collect()
}

/// The client `connection` describes, with `env` filling what it leaves out.
pub fn session(connection: &Connection, env: Env<'_>) -> Result<Session, Failure> {
    let api_type = match connection.api_type {
        Some(api_type) => api_type,
        None => match env("OPENAI_API_TYPE") {
            None => ApiType::OpenAi,
            Some(name) => parse_api_type(&name)?,
        },
    };
    let base = connection
        .api_base
        .clone()
        .or_else(|| env("OPENAI_API_BASE"))
        .or_else(|| env("OPENAI_BASE_URL"));
    match api_type {
        ApiType::OpenAi => {
            let key = connection
                .api_key
                .clone()
                .or_else(|| env("OPENAI_API_KEY"))
                .ok_or_else(|| {
                    Failure::usage(
                        "no API key: set OPENAI_API_KEY (or pass -k/--api-key); \
                         your key is at https://platform.openai.com/account/api-keys",
                    )
                })?;
            let mut builder = Client::builder().api_key(key);
            if let Some(base) = base {
                builder = builder.base_url(base);
            }
            if let Some(org) = connection
                .organization
                .clone()
                .or_else(|| env("OPENAI_ORGANIZATION"))
            {
                builder = builder.organization(org);
            }
            Ok(Session {
                client: builder.build()?,
                azure: false,
                deployment: None,
            })
        }
        ApiType::Azure | ApiType::AzureAd => {
            let endpoint = base
                .or_else(|| env("AZURE_OPENAI_ENDPOINT"))
                .ok_or_else(|| {
                    Failure::usage(
                        "no Azure endpoint: set OPENAI_API_BASE (or pass -b/--api-base) to \
                     https://<resource>.openai.azure.com/",
                    )
                })?;
            let (own_variable, what) = if api_type == ApiType::Azure {
                ("AZURE_OPENAI_API_KEY", "API key")
            } else {
                ("AZURE_OPENAI_AD_TOKEN", "Azure AD token")
            };
            let secret = connection
                .api_key
                .clone()
                .or_else(|| env(own_variable))
                .or_else(|| env("OPENAI_API_KEY"))
                .ok_or_else(|| {
                    Failure::usage(format!(
                        "no Azure {what}: set {own_variable} or OPENAI_API_KEY (or pass -k/--api-key)"
                    ))
                })?;
            let auth = if api_type == ApiType::Azure {
                AzureAuth::api_key(secret)
            } else {
                AzureAuth::ad_token(secret)
            };
            let version = connection
                .api_version
                .clone()
                .or_else(|| env("OPENAI_API_VERSION"))
                .unwrap_or_else(|| DEFAULT_AZURE_API_VERSION.to_owned());
            let mut config = AzureConfig::new(endpoint, auth).api_version(version);
            if let Some(deployment) = &connection.deployment {
                config = config.deployment(deployment);
            }
            Ok(Session {
                client: Client::builder().azure(config).build()?,
                azure: true,
                deployment: connection.deployment.clone(),
            })
        }
    }
}

fn parse_api_type(name: &str) -> Result<ApiType, Failure> {
    match name.to_ascii_lowercase().as_str() {
        "open_ai" | "openai" => Ok(ApiType::OpenAi),
        "azure" => Ok(ApiType::Azure),
        "azure_ad" | "azuread" => Ok(ApiType::AzureAd),
        _ => Err(Failure::usage(format!(
            "OPENAI_API_TYPE is `{name}`: it must be open_ai, azure or azure_ad"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::Cli;

    fn connection(args: &[&str]) -> Connection {
        let mut all = vec!["openai"];
        all.extend_from_slice(args);
        all.extend(["api", "models.list"]);
        Cli::try_parse_from(all).unwrap().connection
    }

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    #[test]
    fn a_missing_key_says_what_to_set() {
        let error = session(&connection(&[]), &env_of(&[])).unwrap_err();
        assert!(
            error.message.contains("OPENAI_API_KEY"),
            "{}",
            error.message
        );
        let azure = connection(&["--api-type", "azure", "-b", "http://127.0.0.1:1/"]);
        let error = session(&azure, &env_of(&[])).unwrap_err();
        assert!(
            error.message.contains("AZURE_OPENAI_API_KEY"),
            "{}",
            error.message
        );
        let error = session(&connection(&["--api-type", "azure"]), &env_of(&[])).unwrap_err();
        assert!(
            error.message.contains("OPENAI_API_BASE"),
            "{}",
            error.message
        );
    }

    #[test]
    fn flags_win_over_the_environment() {
        let env = env_of(&[
            ("OPENAI_API_KEY", "sk-env"),
            ("OPENAI_API_BASE", "http://127.0.0.1:1/v1"),
            ("OPENAI_API_TYPE", "azure"),
        ]);
        let built = session(
            &connection(&["--api-type", "open_ai", "-b", "http://127.0.0.1:2/v1"]),
            &env,
        )
        .unwrap();
        assert_eq!(built.client.base_url(), "http://127.0.0.1:2/v1");
        // From the environment: Azure, under /openai.
        let built = session(&connection(&[]), &env).unwrap();
        assert_eq!(built.client.base_url(), "http://127.0.0.1:1/v1/openai");
    }

    #[test]
    fn an_unknown_api_type_is_named() {
        let env = env_of(&[("OPENAI_API_TYPE", "gcp"), ("OPENAI_API_KEY", "sk-secret")]);
        let error = session(&connection(&[]), &env).unwrap_err();
        assert!(error.message.contains("`gcp`"), "{}", error.message);
        assert!(!error.message.contains("sk-secret"));
    }
}
