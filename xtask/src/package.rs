//! `cargo xtask package`: the published crates as their users get them.
//!
//! `cargo package` writes the `.crate` files, then the unpacked packages are
//! built and documented in a workspace of their own outside this one, beside
//! a consumer crate that depends on all of them through `[patch.crates-io]`
//! and runs a first test, as a project would once they are published. Nothing
//! of the repository around a package can leak into it that way: a spec or
//! fixture embedded from outside the package fails here. The packages hold
//! no tests (the repository runs them), so nothing is built twice for them.

use std::path::Path;

use anyhow::{Context, Result};

/// The published crates, in dependency order.
const PUBLISHED: &[&str] = &[
    "openai-rest-tokens",
    "openai-rest-spec",
    "openai-rest-raw",
    "openai-rest-client",
    "openai-rest-mock",
    "openai-rest-cli",
];

/// The consumer's manifest; `{patches}` becomes the `[patch.crates-io]`
/// entries of the unpacked packages.
const CONSUMER_MANIFEST: &str = r#"[package]
name = "consumer"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
openai-rest-client = "0.1"
openai-rest-raw = "0.1"

[dev-dependencies]
openai-rest-mock = "0.1"
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
"#;

/// A first test, as a user writes it: the client against the mock.
const CONSUMER_TEST: &str = r#"use openai_rest_client::types::{CreateCompletionRequest, Prompt};
use openai_rest_client::{Client, Error};
use openai_rest_mock::{Fault, OpenAiMock, OperationId};

#[tokio::test]
async fn the_client_completes_against_the_mock() {
    let mock = OpenAiMock::start().await;
    let client = Client::builder()
        .api_key("sk-consumer")
        .base_url(mock.base_url())
        .max_retries(0)
        .build()
        .unwrap();
    let request = || {
        CreateCompletionRequest::builder()
            .model("text-davinci-003")
            .prompt(Prompt::Text("Say this is a test".into()))
    };
    let completion = client.completions().create(request()).await.unwrap();
    assert_eq!(completion.choices[0].text, "\n\nThis is indeed a test");

    mock.fail_next(OperationId::CreateCompletion, 1, Fault::RateLimit);
    let error = client.completions().create(request()).await.unwrap_err();
    assert!(matches!(error, Error::RateLimit(_)), "{error:?}");

    // The raw crate is usable on its own too.
    let _ = openai_rest_raw::operations::OPERATIONS.len();
}
"#;

pub fn run(root: &Path, allow_dirty: bool) -> Result<()> {
    // No cargo verification: it would build every package once more, and
    // the check below builds the unpacked .crate files anyway.
    let mut args = vec!["package", "--workspace", "--no-verify"];
    if allow_dirty {
        args.push("--allow-dirty");
    }
    for excluded in ["openai-contract-tests", "xtask"] {
        args.extend(["--exclude", excluded]);
    }
    crate::cargo::run(root, &args).context("cargo package")?;

    let manifest_path = root.join("Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path)?;
    let version = workspace_version(&manifest).with_context(|| {
        format!(
            "no version in [workspace.package] of {}",
            manifest_path.display()
        )
    })?;
    let check =
        std::env::temp_dir().join(format!("openai-rs-package-check-{}", std::process::id()));
    let result = check_packages(root, &check, &version, &profiles(&manifest));
    // Keep the directory when it failed, to look into.
    if result.is_ok() {
        let _ = std::fs::remove_dir_all(&check);
    } else {
        eprintln!("the package check workspace is kept in {}", check.display());
    }
    result
}

/// Unpacks the `.crate` files into a workspace of their own at `check`
/// (with `profiles`, the root manifest's), runs the consumer's test there
/// and documents it all.
fn check_packages(root: &Path, check: &Path, version: &str, profiles: &str) -> Result<()> {
    std::fs::create_dir_all(check.join("consumer/src"))?;
    std::fs::create_dir_all(check.join("consumer/tests"))?;
    let mut members = vec!["\"consumer\"".to_owned()];
    let mut patches = String::new();
    for name in PUBLISHED {
        let crate_file = root.join(format!("target/package/{name}-{version}.crate"));
        unpack(&crate_file, check)?;
        members.push(format!("\"{name}-{version}\""));
        patches.push_str(&format!("{name} = {{ path = \"{name}-{version}\" }}\n"));
    }
    std::fs::write(
        check.join("Cargo.toml"),
        format!(
            "[workspace]\nresolver = \"3\"\nmembers = [{}]\n\n[patch.crates-io]\n{patches}\n{profiles}",
            members.join(", "),
        ),
    )?;
    // The same versions of every dependency as the repository's tests use.
    std::fs::copy(root.join("Cargo.lock"), check.join("Cargo.lock"))?;
    std::fs::write(check.join("consumer/Cargo.toml"), CONSUMER_MANIFEST)?;
    std::fs::write(check.join("consumer/src/lib.rs"), "")?;
    std::fs::write(check.join("consumer/tests/first.rs"), CONSUMER_TEST)?;

    // The repository's target directory: dependencies built for its own
    // tests are reused, only the unpacked crates build again.
    let target = root.join("target");
    crate::cargo::run_in(
        check,
        &target,
        &[
            "test",
            "-p",
            "consumer",
            "--features",
            "openai-rest-mock/server",
        ],
        &[],
    )
    .context("the consumer's test of the unpacked packages")?;
    // Every feature, as docs.rs documents the mock; warnings are errors.
    crate::cargo::run_in(
        check,
        &target,
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )
    .context("the docs of the unpacked packages")?;
    println!(
        "{} build, pass a consumer's test and document from their packages",
        PUBLISHED.join(", ")
    );
    Ok(())
}

/// Extracts a `.crate` (a gzipped tar of `<name>-<version>/...`) into `into`.
/// The files get the current time (`-m`): cargo packages every file with
/// the same fixed time, so with the kept times cargo would take an earlier
/// check's build of a changed file as fresh.
fn unpack(crate_file: &Path, into: &Path) -> Result<()> {
    let status = std::process::Command::new("tar")
        .arg("-xmzf")
        .arg(crate_file)
        .arg("-C")
        .arg(into)
        .status()
        .context("running tar")?;
    anyhow::ensure!(
        status.success(),
        "tar could not unpack {}",
        crate_file.display()
    );
    Ok(())
}

/// The `[profile.*]` tables of the root manifest, for the check workspace:
/// with other profile settings every dependency would build once more.
fn profiles(manifest: &str) -> String {
    table_lines(manifest, |header| header.starts_with("[profile."))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// `[workspace.package] version` of the root manifest.
fn workspace_version(manifest: &str) -> Option<String> {
    table_lines(manifest, |header| header == "[workspace.package]").find_map(|line| {
        let value = line.trim().strip_prefix("version")?;
        let value = value.trim_start().trim_start_matches('=').trim();
        Some(value.trim_matches('"').to_owned())
    })
}

/// The lines of the manifest's tables whose header `wanted` picks, the
/// headers included.
fn table_lines(manifest: &str, wanted: impl Fn(&str) -> bool) -> impl Iterator<Item = &str> {
    let mut inside = false;
    manifest.lines().filter(move |line| {
        let line = line.trim();
        if line.starts_with('[') {
            inside = wanted(line);
        }
        inside
    })
}
