//! Embeds every file of `fixtures/` in the library, so that the mock answers
//! with no files around it. In the repository `fixtures/` is a symbolic link
//! to the workspace's `fixtures/`, the one source of the documented
//! responses; `cargo package` follows it, so the published crate carries the
//! files themselves. A new fixture is picked up without a code change: this
//! writes `$OUT_DIR/fixtures.rs`, a table of
//! `(directory, file name, include_bytes!(...))`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    // Read when the script runs, not baked in when it is compiled: cargo
    // reuses a compiled build script for a package at another path.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir).join("fixtures");
    println!("cargo::rerun-if-changed={}", root.display());

    let mut files: Vec<(String, String, PathBuf)> = Vec::new();
    for dir in entries(&root).into_iter().filter(|path| path.is_dir()) {
        for file in entries(&dir).into_iter().filter(|path| path.is_file()) {
            files.push((file_name(&dir), file_name(&file), file));
        }
    }

    let mut table = String::from("&[\n");
    for (dir, name, path) in &files {
        let path = path.canonicalize().expect("a fixture path");
        writeln!(table, "    ({dir:?}, {name:?}, include_bytes!({path:?})),").unwrap();
    }
    table.push(']');
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("fixtures.rs"), table).expect("writing fixtures.rs");
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let read = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut paths: Vec<PathBuf> = read
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    paths.sort();
    paths
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}
