//! `cargo xtask fuzz [--seconds N] [TARGET...]`: seeds the fuzz targets of
//! `fuzz/` from the requests the contract tests snapshot and the streams of
//! `fixtures/`, then runs each with cargo-fuzz (libFuzzer, no sanitizer,
//! which works on the stable toolchain) for N seconds, one after the other,
//! and prints the executions each reached. A crash stops the run; its input
//! is in `fuzz/artifacts/<target>/`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

pub const TARGETS: &[&str] = &["mock_request", "client_sse"];

/// A real 2x2 RGB PNG, for the image parts of the seeds.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00\x00\xfd\xd4\x9a\x73\x00\x00\x00\x10IDAT\x78\xda\x63\xe8\x8e\xd2\x06\x22\x06\x08\x05\x00\x1f\x4e\x04\x41\xc8\x2b\x5b\xc9\x00\x00\x00\x00IEND\xae\x42\x60\x82";

/// The pieces a seed's multipart body arrives in, as the first byte of a
/// mock_request input (see fuzz/fuzz_targets/mock_request.rs).
const SEED_PIECES: u8 = 6;

pub fn run(root: &Path, seconds: u64, targets: &[String]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let installed = Command::new(&cargo)
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !installed {
        bail!("cargo-fuzz is missing: `cargo install cargo-fuzz --locked`");
    }
    let targets: Vec<&str> = if targets.is_empty() {
        TARGETS.to_vec()
    } else {
        targets.iter().map(String::as_str).collect()
    };
    if let Some(unknown) = targets.iter().find(|t| !TARGETS.contains(t)) {
        bail!("no fuzz target {unknown}; there are {}", TARGETS.join(", "));
    }
    let fuzz = root.join("fuzz");
    write_seeds(root, &fuzz.join("seeds"))?;
    let mut rows = Vec::new();
    for target in targets {
        let corpus = fuzz.join("corpus").join(target);
        std::fs::create_dir_all(&corpus)?;
        eprintln!("fuzzing {target} for {seconds} s ...");
        let started = Instant::now();
        let mut child = Command::new(&cargo)
            .current_dir(root)
            .args(["fuzz", "run", "--sanitizer", "none", target])
            .arg(&corpus)
            .arg(fuzz.join("seeds").join(target))
            .args([
                "--",
                &format!("-max_total_time={seconds}"),
                // An input that takes this long is a hang: a crash.
                "-timeout=10",
                "-print_final_stats=1",
            ])
            .stderr(Stdio::piped())
            .spawn()
            .context("running cargo fuzz")?;
        let mut executions = None;
        if let Some(stderr) = child.stderr.take() {
            for line in BufReader::new(stderr).lines() {
                let line = line?;
                if let Some(units) = line.strip_prefix("stat::number_of_executed_units:") {
                    executions = units.trim().parse::<u64>().ok();
                }
                // libFuzzer's progress lines are many: keep the milestones.
                if !line.starts_with('#') || line.contains("pulse") || line.contains("DONE") {
                    eprintln!("{line}");
                }
            }
        }
        let status = child.wait()?;
        let elapsed = started.elapsed().as_secs_f64();
        let corpus_size = std::fs::read_dir(&corpus)?.count();
        let verdict = if status.success() {
            "no crash".to_owned()
        } else {
            format!("FAILED ({status}): see fuzz/artifacts/{target}/")
        };
        rows.push((target, elapsed, executions, corpus_size, verdict));
        if !status.success() {
            break;
        }
    }
    println!(
        "\n{:<14} {:>8} {:>14} {:>10} {:>8}  result",
        "target", "seconds", "executions", "exec/s", "corpus"
    );
    for (target, elapsed, executions, corpus, verdict) in &rows {
        let executions = executions.map_or("?".to_owned(), |n| n.to_string());
        let rate = executions
            .parse::<f64>()
            .map_or("?".to_owned(), |n| format!("{:.0}", n / elapsed));
        println!("{target:<14} {elapsed:>8.0} {executions:>14} {rate:>10} {corpus:>8}  {verdict}");
    }
    if rows.iter().any(|row| !row.4.starts_with("no crash")) {
        bail!("a fuzz target failed");
    }
    Ok(())
}

/// Seeds: each request the contract tests snapshot (tests/tests/contract/snapshots),
/// written as a mock_request input; each stream of fixtures/, and each JSON
/// answer as one event, as client_sse inputs.
fn write_seeds(root: &Path, seeds: &Path) -> Result<()> {
    let requests = seeds.join("mock_request");
    let streams = seeds.join("client_sse");
    for dir in [&requests, &streams] {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir)?;
    }
    let snapshots = root.join("tests/tests/contract/snapshots");
    let mut count = 0;
    for entry in std::fs::read_dir(&snapshots)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "snap") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        if let Some(seed) = request_seed(&text) {
            let name = path.file_stem().unwrap_or_default().to_string_lossy();
            std::fs::write(requests.join(name.as_ref()), seed)?;
            count += 1;
        }
    }
    for operation in std::fs::read_dir(root.join("fixtures"))? {
        let dir = operation?.path();
        if !dir.is_dir() {
            continue;
        }
        let name = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        // A stream as it is; a JSON answer as the one event of a stream.
        for (file, as_event) in [("stream.sse", false), ("response.json", true)] {
            let Ok(bytes) = std::fs::read(dir.join(file)) else {
                continue;
            };
            let mut input = vec![7u8];
            if as_event {
                let Ok(json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
                    continue;
                };
                input.extend(format!("data: {json}\n\ndata: [DONE]\n\n").bytes());
            } else {
                input.extend(bytes);
            }
            std::fs::write(streams.join(format!("{name}-{file}")), input)?;
        }
    }
    eprintln!("seeded mock_request with {count} requests from the snapshots");
    Ok(())
}

/// A snapshot of a request (`METHOD PATH`, `headers:`, then `body: none`,
/// `body (json):` and the JSON, or `body (multipart):` and its parts) as a
/// mock_request input.
fn request_seed(snapshot: &str) -> Option<Vec<u8>> {
    // The front matter between the first two `---` lines.
    let rest = snapshot.splitn(3, "---\n").nth(2)?;
    let mut lines = rest.lines();
    let request_line = lines.next()?;
    let mut head = format!("{request_line}\n");
    let mut body = Vec::new();
    let boundary = "seedboundary";
    let mut in_headers = false;
    let mut lines = lines.peekable();
    while let Some(line) = lines.next() {
        if line == "headers:" {
            in_headers = true;
        } else if let (true, Some(header)) = (in_headers, line.strip_prefix("  ")) {
            let header = header
                .replace("Bearer [redacted]", "Bearer sk-seed")
                .replace("[redacted]", "seed-key")
                .replace("[boundary]", boundary);
            head.push_str(&header);
            head.push('\n');
        } else if line == "body (json):" {
            body = lines.by_ref().collect::<Vec<_>>().join("\n").into_bytes();
        } else if line == "body (multipart):" {
            for part in lines.by_ref() {
                body.extend(multipart_part(part.trim(), boundary)?);
            }
            body.extend(format!("--{boundary}--\r\n").bytes());
        } else {
            in_headers = false;
        }
    }
    let mut seed = vec![SEED_PIECES];
    seed.extend(head.bytes());
    seed.push(b'\n');
    seed.extend(body);
    Some(seed)
}

/// One part of a snapshot's multipart body: `name: "text"` or
/// `name: file "name.ext", type, N bytes` (content made up to fit the
/// extension).
fn multipart_part(part: &str, boundary: &str) -> Option<Vec<u8>> {
    let (name, value) = part.split_once(": ")?;
    let mut bytes =
        format!("--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"").into_bytes();
    if let Some(file) = value.strip_prefix("file ") {
        let file_name: String = serde_json::from_str(file.split(", ").next()?).ok()?;
        bytes.extend(format!("; filename=\"{file_name}\"\r\n\r\n").bytes());
        let content: &[u8] = match file_name.rsplit_once('.').map(|(_, e)| e) {
            Some("png") => PNG,
            Some("jsonl") => b"{\"prompt\": \"a ->\", \"completion\": \" b\\n\"}\n",
            _ => b"ID3\x03\x00\x00\x00\x00\x00\x00",
        };
        bytes.extend(content);
    } else {
        let text: String = serde_json::from_str(value).ok()?;
        bytes.extend(format!("\r\n\r\n{text}").bytes());
    }
    bytes.extend(b"\r\n");
    Some(bytes)
}
