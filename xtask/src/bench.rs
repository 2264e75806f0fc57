//! `cargo xtask bench`: builds what the benchmark runs (the mock's release
//! binary, the peer client program of `xtask/peer`), times a clean release
//! build of a crate depending on our client against one depending on
//! async-openai 0.14.3, then runs the `figures` benchmark of the contract-test
//! package, which prints every row. The benchmark is a bench target of that
//! unpublished package, so that what it needs (hyper's client, a load
//! generator) stays out of the published crates.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;

use crate::{cargo, cargo_command, cargo_in};

pub fn run(root: &Path) -> Result<()> {
    cargo(
        root,
        &[
            "build",
            "--release",
            "-p",
            "openai-rest-mock",
            "--bin",
            "openai-mock",
        ],
    )?;
    let peer = build_peer(root)?;
    let (ours, theirs) = build_cost(root)?;
    cargo_command(
        root,
        &["bench", "-p", "openai-contract-tests", "--bench", "figures"],
        &[
            ("OPENAI_BENCH_PEER", &peer.to_string_lossy()),
            ("OPENAI_BENCH_BUILD_SECONDS", &format!("{ours} {theirs}")),
        ],
    )
}

/// The peer program: its own workspace and target directory, so that
/// async-openai never enters the repository's build.
fn build_peer(root: &Path) -> Result<PathBuf> {
    let target = root.join("target/bench-peer");
    cargo_in(
        &root.join("xtask/peer"),
        &target,
        &["build", "--release"],
        &[],
    )?;
    Ok(target.join("release/openai-bench-peer"))
}

/// Seconds of a clean release build of a binary crate that depends only on
/// openai-rest-client (default features), and of one that depends only on
/// async-openai 0.14.3 (default features). Resolving and downloading are
/// done first and not timed.
fn build_cost(root: &Path) -> Result<(f64, f64)> {
    let client = root.join("crates/openai-rest-client");
    let ours = format!(
        "openai-rest-client = {{ path = {:?} }}",
        client.to_string_lossy()
    );
    let theirs = "async-openai = \"=0.14.3\"".to_owned();
    let mut seconds = Vec::new();
    for (name, dependency, library) in [
        ("ours", ours, "openai_rest_client"),
        ("async-openai", theirs, "async_openai"),
    ] {
        eprintln!("timing a clean release build of a crate depending on {name} ...");
        let dir = root.join("target/build-cost").join(name);
        let target = dir.join("target");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src"))?;
        std::fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"build-cost-{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
                 publish = false\n\n[workspace]\n\n[dependencies]\n{dependency}\n"
            ),
        )?;
        std::fs::write(
            dir.join("src/main.rs"),
            format!("use {library} as _;\n\nfn main() {{}}\n"),
        )?;
        cargo_in(&dir, &target, &["fetch", "--quiet"], &[])?;
        let start = Instant::now();
        cargo_in(&dir, &target, &["build", "--release", "--quiet"], &[])?;
        seconds.push(start.elapsed().as_secs_f64());
        // A release target is a gigabyte; the figure is all we keep.
        let _ = std::fs::remove_dir_all(&target);
    }
    Ok((seconds[0], seconds[1]))
}
