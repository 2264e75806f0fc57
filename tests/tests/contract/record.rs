//! `openai-mock record` then `serve --fixtures`, for every operation of both
//! specs: the client calls a mock through the recording proxy, and the
//! recorded directory, with no secret in it, replays what was answered
//! byte for byte. The same directory is fixtures `verify` compares with.

use std::path::{Path, PathBuf};

use openai_contract_tests::cases::{CASES, Ids};
use openai_contract_tests::verify::{self, Options, Target};
use openai_rest_client::{AzureAuth, AzureConfig, Client};
use openai_rest_mock::{Fixtures, MockOptions, OpenAiMock, RecordOptions};
use openai_rest_raw::operations::{Api, OPERATIONS};
use tokio::net::TcpListener;

const KEY: &str = "sk-record-round-trip-0123456789abcdefR7T1";
const ORGANIZATION: &str = "org-RecordRoundTripOrg0001";
const AZURE_KEY: &str = "azure-record-round-trip-key-0123456789";
const AD_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.record-round-trip-token";
const DEPLOYMENT: &str = "deployment-8f3c2a1e9d7b4c6a9e5f0b2d4c6e8a1f";

/// Starts a server on a free port with `serve`; its `http://` origin.
async fn start<F: Future<Output = ()> + Send + 'static>(
    serve: impl FnOnce(TcpListener) -> F,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener));
    origin
}

async fn record(upstream: String, dir: PathBuf) -> String {
    start(|listener| async move {
        let options = RecordOptions::new(upstream, dir);
        openai_rest_mock::record(listener, options, std::future::pending())
            .await
            .unwrap();
    })
    .await
}

async fn serve(dir: &Path) -> String {
    let fixtures = Fixtures::load(dir).unwrap();
    start(|listener| async move {
        let options = MockOptions::default().stateless(true).fixtures(fixtures);
        openai_rest_mock::serve(listener, options, std::future::pending()).await;
    })
    .await
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "openai-contract-record-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Every file under `dir`, as paths relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Sends `request` (as the upstream received it) to `origin`: status,
/// content type and body.
async fn replay(origin: &str, request: &wiremock::Request) -> (u16, Option<String>, Vec<u8>) {
    let mut url = format!("{origin}{}", request.url.path());
    if let Some(query) = request.url.query() {
        url.push('?');
        url.push_str(query);
    }
    let mut headers = request.headers.clone();
    for name in ["host", "content-length", "transfer-encoding", "connection"] {
        headers.remove(name);
    }
    let response = openai_contract_tests::http()
        .request(request.method.clone(), url)
        .headers(headers)
        .body(request.body.clone())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned());
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_of_both_specs_is_recorded_and_replayed_byte_for_byte() {
    let upstream = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    for api in [Api::OpenAi, Api::Azure] {
        let dir = temp_dir(&format!("{api:?}"));
        // A user records each API on its own.
        let (upstream_url, clients) = match api {
            Api::OpenAi => (upstream.base_url(), vec![KEY]),
            Api::Azure => (upstream.azure_endpoint(), vec![AZURE_KEY, AD_TOKEN]),
        };
        let proxy = record(upstream_url, dir.clone()).await;
        let before = upstream.server().received_requests().await.unwrap().len();
        let ids = Ids::documented(api);
        for credential in clients {
            let client = match api {
                Api::OpenAi => Client::builder()
                    .api_key(credential)
                    .organization(ORGANIZATION)
                    .base_url(format!("{proxy}/v1")),
                Api::Azure => {
                    let auth = if credential == AD_TOKEN {
                        AzureAuth::ad_token(credential)
                    } else {
                        AzureAuth::api_key(credential)
                    };
                    Client::builder().azure(AzureConfig::new(&proxy, auth).deployment(DEPLOYMENT))
                }
            }
            .max_retries(0)
            .build()
            .unwrap();
            for case in CASES.iter().filter(|case| case.api == api) {
                if let Err(error) = (case.run)(&client, &ids).await {
                    panic!("{api:?} {} through the proxy: {error}", case.name);
                }
            }
        }

        // Every operation of the spec, each in its place.
        let recorded: Vec<String> = files_under(&dir)
            .iter()
            .map(|path| path.strip_prefix(&dir).unwrap().display().to_string())
            .collect();
        for operation in OPERATIONS.iter().filter(|operation| operation.api == api) {
            let prefix = format!("{}/", operation.id);
            assert!(
                recorded.iter().any(|file| file.starts_with(&prefix)),
                "{api:?} {}: nothing recorded in {recorded:?}",
                operation.id
            );
        }
        // Streams too.
        assert!(
            recorded.iter().any(|file| file.ends_with("stream.sse")),
            "{recorded:?}"
        );
        // No secret reached the disk.
        for path in files_under(&dir) {
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for secret in [KEY, "R7T1", ORGANIZATION, AZURE_KEY, AD_TOKEN] {
                assert!(!text.contains(secret), "{} holds {secret}", path.display());
            }
        }

        // serve --fixtures answers each request as the upstream did.
        let replayer = serve(&dir).await;
        let origin = upstream.azure_endpoint();
        let requests = upstream.server().received_requests().await.unwrap();
        assert!(requests.len() > before);
        for request in &requests[before..] {
            let answered = replay(&origin, request).await;
            let replayed = replay(&replayer, request).await;
            assert_eq!(
                replayed,
                answered,
                "{} {}: the replay differs",
                request.method,
                request.url.path()
            );
        }

        // And verify compares the API with it as with fixtures/.
        let target = match api {
            Api::OpenAi => Target::OpenAi {
                base_url: upstream.base_url(),
                api_key: KEY.into(),
                organization: None,
            },
            Api::Azure => Target::Azure {
                endpoint: upstream.azure_endpoint(),
                api_key: AZURE_KEY.into(),
                deployment: DEPLOYMENT.into(),
            },
        };
        let options = Options {
            fixtures: Fixtures::load(&dir).unwrap(),
            allow_costly: true,
            ..Options::default()
        };
        let report = verify::verify(&target, &options).await.unwrap();
        assert!(report.passed(), "{report}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
