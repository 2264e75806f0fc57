//! The Azure form: `--api-type azure` (an `api-key`) or `azure_ad` (a
//! token), `--api-base` the resource's endpoint, `--deployment` or `-e`.

use crate::mock::{Mock, created_job, openai, run, training_file};

/// The deployment the mock's store starts with.
const DEPLOYMENT: &str = "deployment-8f3c2a1e9d7b4c6a9e5f0b2d4c6e8a1f";

#[test]
fn completions_and_embeddings_go_to_the_deployment() {
    let mock = Mock::fast();
    let completion = mock.azure(&[
        "--deployment",
        DEPLOYMENT,
        "api",
        "completions.create",
        "-p",
        "Say this is a test",
    ]);
    assert!(
        completion.ok().contains("This is indeed a test"),
        "{completion:#?}"
    );
    // -e names the deployment, as in the Python CLI.
    let engine = mock.azure(&[
        "api",
        "completions.create",
        "-e",
        DEPLOYMENT,
        "-p",
        "Hi",
        "--json",
    ]);
    assert_eq!(engine.json()["object"], "text_completion");
    let embeddings = mock.azure(&[
        "--deployment",
        DEPLOYMENT,
        "api",
        "embeddings.create",
        "-i",
        "Hi",
    ]);
    assert_eq!(embeddings.json()["object"], "list");

    let none = mock.azure(&["api", "completions.create", "-p", "Hi"]);
    assert!(none.failed(2).contains("--deployment"), "{none:#?}");
    let unknown = mock.azure(&[
        "--deployment",
        "deployment-nope",
        "api",
        "completions.create",
        "-p",
        "Hi",
    ]);
    assert!(
        unknown.failed(1).contains("HTTP status 404"),
        "{unknown:#?}"
    );
    // What Azure does not have is said before sending.
    let chat = mock.azure(&[
        "--deployment",
        DEPLOYMENT,
        "api",
        "moderations.create",
        "-i",
        "Hi",
    ]);
    assert!(
        chat.failed(2).contains("not available on Azure"),
        "{chat:#?}"
    );
}

#[test]
fn an_azure_ad_token_from_the_environment() {
    let mock = Mock::fast();
    let ad = run(openai()
        .env_remove("OPENAI_API_KEY")
        .env("AZURE_OPENAI_AD_TOKEN", "eyJ0eXAiOiJKV1QiLCJhbGciOi")
        .env("OPENAI_API_TYPE", "azure_ad")
        .env("OPENAI_API_BASE", mock.endpoint())
        .args(["api", "deployments.list"]));
    assert_eq!(ad.json()["object"], "list");
    assert!(!format!("{ad:?}").contains("eyJ0eXAiOiJKV1QiLCJhbGciOi"));
    let no_token = run(openai().env_remove("OPENAI_API_KEY").args([
        "--api-type",
        "azure_ad",
        "-b",
        &mock.endpoint(),
        "api",
        "deployments.list",
    ]));
    assert!(
        no_token.failed(2).contains("AZURE_OPENAI_AD_TOKEN"),
        "{no_token:#?}"
    );
}

#[test]
fn deployments_from_create_to_delete() {
    let mock = Mock::fast();
    let list = mock.azure(&["api", "deployments.list"]).json();
    assert_eq!(list["data"][0]["id"], DEPLOYMENT);
    assert_eq!(
        mock.azure(&["api", "deployments.get", "-i", DEPLOYMENT])
            .json()["status"],
        "succeeded"
    );
    let created = mock
        .azure(&[
            "api",
            "deployments.create",
            "-m",
            "text-davinci-003",
            "-s",
            "standard",
        ])
        .json();
    let id = created["id"].as_str().unwrap().to_owned();
    // Provisioning takes 3 s of mock time: 30 ms here.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let updated = mock
        .azure(&[
            "api",
            "deployments.update",
            "-i",
            &id,
            "-s",
            "manual",
            "-c",
            "2",
        ])
        .json();
    assert_eq!(updated["scale_settings"]["capacity"], 2);
    let nothing = mock.azure(&["api", "deployments.update", "-i", &id]);
    assert!(
        nothing.failed(2).contains("nothing to update"),
        "{nothing:#?}"
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    let deleted = mock.azure(&["api", "deployments.delete", "-i", &id]);
    assert!(
        deleted.ok().is_empty() && deleted.stderr.contains("Deleted deployment"),
        "{deleted:#?}"
    );
    assert!(
        mock.azure(&["api", "deployments.get", "-i", &id])
            .failed(1)
            .contains("404")
    );
}

#[test]
fn files_and_fine_tunes_on_azure() {
    let mock = Mock::fast();
    let dir = tempfile::tempdir().unwrap();
    let train = training_file(dir.path(), "train.jsonl");
    let created = mock.azure(&[
        "api",
        "fine_tunes.create",
        "-t",
        train.to_str().unwrap(),
        "-m",
        "curie",
    ]);
    let stdout = created.ok();
    assert!(stdout.contains("Fine-tuned model: "), "{created:#?}");
    let id = created_job(stdout);
    let jobs = mock.azure(&["api", "fine_tunes.list"]).json();
    assert!(
        jobs["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["id"] == id.as_str())
    );
    let deleted = mock.azure(&["api", "fine_tunes.delete", "-i", &id]);
    assert!(deleted.stderr.contains("Deleted fine-tune"), "{deleted:#?}");
    assert!(
        mock.azure(&["api", "fine_tunes.get", "-i", &id])
            .failed(1)
            .contains("404")
    );
    // On OpenAI a job cannot be deleted: said before sending.
    let openai = mock.openai(&["api", "fine_tunes.delete", "-i", &id]);
    assert!(
        openai.failed(2).contains("not available on OpenAI"),
        "{openai:#?}"
    );

    let imported = mock.azure(&[
        "api",
        "files.import",
        "-u",
        "https://example.com/train.jsonl",
        "-f",
        "train.jsonl",
    ]);
    assert_eq!(imported.json()["filename"], "train.jsonl");
}
