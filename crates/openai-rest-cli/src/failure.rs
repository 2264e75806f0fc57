//! Why a command failed, as the one line it prints on stderr and the exit
//! status it ends with.

use openai_rest_client::Error;

/// A command that did not do what it was asked.
#[derive(Debug)]
pub struct Failure {
    /// One line for a person, without a trailing newline.
    pub message: String,
    /// The process's exit status.
    pub code: u8,
}

/// A usage error: clap's own status for bad arguments.
pub const USAGE: u8 = 2;
/// The shells' status for a program stopped by SIGINT.
pub const INTERRUPTED: u8 = 130;

impl Failure {
    /// Anything else that went wrong: status 1.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 1,
        }
    }

    /// Arguments or configuration that cannot work.
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: USAGE,
        }
    }

    /// The line to print: the message on one line, with each of `secrets`
    /// masked, in case an answer or a URL quoted one.
    pub fn line(&self, secrets: &[String]) -> String {
        let mut line = self.message.replace(['\n', '\r'], " ");
        for secret in secrets.iter().filter(|secret| secret.len() >= 4) {
            line = line.replace(secret.as_str(), "<redacted>");
        }
        format!("Error: {line}")
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let code = match error {
            Error::Config(_) | Error::InvalidArgument(_) | Error::Unsupported { .. } => USAGE,
            _ => 1,
        };
        let message = match error.api_error() {
            // The API's message and type, as the Python CLI printed them.
            Some(api) => {
                let mut line = api.message.clone();
                let mut details = Vec::new();
                if let Some(kind) = &api.error_type {
                    details.push(format!("type {kind}"));
                }
                if let Some(code) = &api.code {
                    details.push(format!("code {code}"));
                }
                if let Some(param) = &api.param {
                    details.push(format!("param {param}"));
                }
                details.push(format!("HTTP status {}", api.status.as_u16()));
                line.push_str(&format!(" ({})", details.join(", ")));
                line
            }
            None => error.to_string(),
        };
        Self { message, code }
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Self::new(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_one_line_and_masks_secrets() {
        let failure = Failure::new("Incorrect API key provided: sk-secret-1.\nSee the docs.");
        assert_eq!(
            failure.line(&["sk-secret-1".to_owned()]),
            "Error: Incorrect API key provided: <redacted>. See the docs."
        );
    }
}
