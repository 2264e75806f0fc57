//! `Client::from_env`. The only test of its binary: it changes the
//! process's environment, which no other thread may read meanwhile.

#[path = "integration/common.rs"]
mod common;

use common::*;
use openai_rest_client::{Client, Error};
use openai_rest_mock::OpenAiMock;

#[tokio::test]
async fn from_env_reads_the_key_organization_and_base_url() {
    let mock = OpenAiMock::start().await;
    // SAFETY: this is the only test of this binary, so no other thread reads
    // the environment while it changes.
    unsafe {
        std::env::remove_var("OPENAI_API_KEY");
        std::env::remove_var("OPENAI_ORGANIZATION");
        std::env::set_var("OPENAI_BASE_URL", mock.base_url());
    }
    let error = Client::from_env().unwrap_err();
    assert!(
        matches!(&error, Error::Config(m) if m.contains("OPENAI_API_KEY")),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "configuration: the environment variable OPENAI_API_KEY is not set"
    );

    // SAFETY: as above.
    unsafe {
        std::env::set_var("OPENAI_API_KEY", KEY);
        std::env::set_var("OPENAI_ORGANIZATION", ORG);
    }
    let client = Client::from_env().unwrap();
    client.models().list().await.unwrap();
    sent(&mock, "GET", "/v1/models").await;
}
