//! Cargo run as a child of the xtask: the tasks that build (bench, package)
//! share these, so that the crate root only declares the tasks.

/// Runs the cargo that runs us (`$CARGO`) in the workspace, failing with
/// the command when it fails.
pub(crate) fn run(root: &std::path::Path, args: &[&str]) -> anyhow::Result<()> {
    command(root, args, &[])
}

/// Runs cargo in `dir` (another workspace) with its artifacts in `target`
/// and the variables `env`.
pub(crate) fn run_in(
    dir: &std::path::Path,
    target: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> anyhow::Result<()> {
    let mut env = env.to_vec();
    let target = target.to_string_lossy();
    env.push(("CARGO_TARGET_DIR", &target));
    command(dir, args, &env)
}

pub(crate) fn command(
    dir: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(dir)
        .args(args)
        .envs(env.iter().copied())
        .status()?;
    anyhow::ensure!(status.success(), "cargo {} failed", args.join(" "));
    Ok(())
}
