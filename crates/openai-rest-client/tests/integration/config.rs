//! Building a client: what is required, what is refused, and what the
//! options put on the wire.

use crate::common;

use common::*;
use openai_rest_client::{AzureAuth, AzureConfig, Client, Error};
use openai_rest_mock::OpenAiMock;

fn config_error(result: Result<Client, Error>) -> String {
    match result {
        Err(Error::Config(message)) => message,
        other => panic!("not a configuration error: {other:?}"),
    }
}

#[test]
fn what_build_refuses() {
    let message = config_error(Client::builder().build());
    assert!(
        message.contains("api_key") && message.contains("OPENAI_API_KEY"),
        "{message}"
    );
    assert_eq!(
        config_error(Client::builder().api_key("  ").build()),
        "the API key is empty"
    );
    let message = config_error(
        Client::builder()
            .api_key("sk")
            .base_url("not a url")
            .build(),
    );
    assert!(message.contains("not a url"), "{message}");
    let message = config_error(
        Client::builder()
            .api_key("sk")
            .base_url("ftp://x/v1")
            .build(),
    );
    assert!(message.contains("ftp"), "{message}");
    let message = config_error(
        Client::builder()
            .api_key("sk")
            .default_header("bad name", "x")
            .build(),
    );
    assert!(message.contains("bad name"), "{message}");
    let azure = AzureConfig::new("https://x.openai.azure.com", AzureAuth::api_key("k"));
    let message = config_error(Client::builder().api_key("sk").azure(azure.clone()).build());
    assert!(message.contains("AzureConfig"), "{message}");
    let message = config_error(Client::builder().organization("org").azure(azure).build());
    assert!(message.contains("no organization"), "{message}");
}

#[test]
fn the_default_base_url_is_openai_and_azure_adds_openai_once() {
    let client = Client::builder().api_key("sk").build().unwrap();
    assert_eq!(client.base_url(), "https://api.openai.com/v1");
    for endpoint in [
        "https://r.openai.azure.com",
        "https://r.openai.azure.com/",
        "https://r.openai.azure.com/openai/",
    ] {
        let client = Client::builder()
            .azure(AzureConfig::new(endpoint, AzureAuth::api_key("k")))
            .build()
            .unwrap();
        assert_eq!(client.base_url(), "https://r.openai.azure.com/openai");
    }
}

#[tokio::test]
async fn default_headers_and_a_user_supplied_http_client() {
    let mock = OpenAiMock::start().await;
    let mut http_headers = reqwest::header::HeaderMap::new();
    http_headers.insert("x-from-http-client", "yes".parse().unwrap());
    openai_rest_client::install_tls_provider();
    let http = reqwest::Client::builder()
        .default_headers(http_headers)
        .build()
        .unwrap();
    let client = options(&mock)
        .default_header("x-custom", "42")
        .default_header("user-agent", "my-app/1.0")
        .http_client(http)
        .build()
        .unwrap();
    client.models().list().await.unwrap();
    let request = received(&mock).await.remove(0);
    assert_eq!(header(&request, "x-custom").as_deref(), Some("42"));
    assert_eq!(
        header(&request, "x-from-http-client").as_deref(),
        Some("yes")
    );
    assert_eq!(
        header(&request, "user-agent").as_deref(),
        Some("my-app/1.0")
    );
    assert_eq!(header(&request, "api-version"), None);
}

#[tokio::test]
async fn without_an_organization_no_header_is_sent() {
    let mock = OpenAiMock::start().await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(format!("{}/", mock.base_url()))
        .build()
        .unwrap();
    client.models().list().await.unwrap();
    let request = received(&mock).await.remove(0);
    assert_eq!(request.url.path(), "/v1/models");
    assert_eq!(header(&request, "openai-organization"), None);
    let bearer = format!("Bearer {KEY}");
    assert_eq!(
        header(&request, "authorization").as_deref(),
        Some(bearer.as_str())
    );
}
