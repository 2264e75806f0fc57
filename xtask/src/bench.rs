//! `cargo xtask bench`: builds what the benchmark runs (the mock's release
//! binary, the peer client program of `xtask/peer`), times a clean release
//! build of a crate depending on our client against one depending on
//! async-openai 0.14.3, then runs the `figures` benchmark of the contract-test
//! package, which prints every row. The benchmark is a bench target of that
//! unpublished package, so that what it needs (hyper's client, a load
//! generator) stays out of the published crates.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::cargo;

pub fn run(root: &Path, rows: &[String]) -> Result<()> {
    let wanted = |row: &str| rows.is_empty() || rows.iter().any(|r| r == row);
    cargo::run(
        root,
        &[
            "build",
            "--release",
            "-p",
            "openai-rest-mock",
            "--features",
            "server",
            "--bin",
            "openai-mock",
        ],
    )?;
    let mut env = Vec::new();
    if wanted("peer") {
        env.push((
            "OPENAI_BENCH_PEER",
            build_peer(root)?.to_string_lossy().into_owned(),
        ));
    }
    if wanted("build") {
        let (ours, theirs) = build_cost(root)?;
        env.push(("OPENAI_BENCH_BUILD_SECONDS", format!("{ours} {theirs}")));
    }
    let mut args = vec![
        "bench",
        "-p",
        "openai-contract-tests",
        "--bench",
        "figures",
        "--",
    ];
    args.extend(rows.iter().map(String::as_str));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    cargo::command(root, &args, &env)
}

/// The peer program: its own workspace and target directory, so that
/// async-openai never enters the repository's build.
fn build_peer(root: &Path) -> Result<PathBuf> {
    let target = root.join("target/bench-peer");
    cargo::run_in(
        &root.join("xtask/peer"),
        &target,
        &["build", "--release"],
        &[],
    )?;
    Ok(target.join("release/openai-bench-peer"))
}

/// CPU seconds (user and system) of a clean release build of a binary crate that depends only on
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
        cargo::run_in(&dir, &target, &["fetch", "--quiet"], &[])?;
        let before = children_cpu_seconds();
        cargo::run_in(&dir, &target, &["build", "--release", "--quiet"], &[])?;
        seconds.push(children_cpu_seconds() - before);
        // A release target is a gigabyte; the figure is all we keep.
        let _ = std::fs::remove_dir_all(&target);
    }
    Ok((seconds[0], seconds[1]))
}

/// User and system CPU seconds of every child process waited for so far.
/// CPU time, not wall time: this machine is shared, and other work running
/// beside a build stretches its wall time but not what it computes.
fn children_cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_CHILDREN is valid.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
