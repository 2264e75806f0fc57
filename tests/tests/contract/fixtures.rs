//! The fixtures in `fixtures/` against the spec: every operation has one, and
//! every one decodes into the generated type of its operation's response
//! without losing a field (an unknown field is dropped by the decode, so it
//! shows up when the decoded value is encoded back). `cargo xtask codegen
//! --check` runs this test.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use openai_contract_tests::cases::fixtures_dir;
use openai_contract_tests::lossless::check_lossless as check_json;
use openai_rest_raw::operations::{Api, OPERATIONS, Operation};
use serde_json::Value;

/// The media type a fixture's extension stands for (see fixtures/README.md);
/// `None` for a response without a body.
fn media_type(path: &Path) -> Result<Option<&'static str>, String> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => Ok(Some("application/json")),
        Some("sse") => Ok(Some("text/event-stream")),
        Some("txt" | "srt" | "vtt") => Ok(Some("text/plain")),
        Some("jsonl") => Ok(Some("application/octet-stream")),
        Some("empty") => Ok(None),
        other => Err(format!("unknown fixture extension {other:?}")),
    }
}

/// Checks a server-sent event stream: data-only events, each a JSON document
/// of `schema`, ending with `data: [DONE]`.
fn check_sse(schema: &str, text: &str) -> Result<(), String> {
    let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
    let (last, data) = events.split_last().ok_or("no events")?;
    if *last != "data: [DONE]" || !text.ends_with("\n\n") {
        return Err("does not end with `data: [DONE]` and a blank line".into());
    }
    if data.is_empty() {
        return Err("no event before `data: [DONE]`".into());
    }
    for (i, event) in data.iter().enumerate() {
        let json = event
            .strip_prefix("data: ")
            .filter(|json| !json.contains('\n'))
            .ok_or_else(|| format!("event {i} is not one `data: ` line"))?;
        check_json(schema, json.as_bytes()).map_err(|e| format!("event {i}: {e}"))?;
    }
    Ok(())
}

fn check_fixture(op: &Operation, path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let shared_with_a_body = OPERATIONS
        .iter()
        .any(|other| other.id == op.id && !other.responses.is_empty());
    if op.responses.is_empty() && shared_with_a_body {
        // Azure's deleteFile answers 204 and no body where OpenAI's answers
        // the shared fixture: the mock sends no body for a 204.
        return Ok(());
    }
    let Some(media) = media_type(path)? else {
        let no_body = op.responses.is_empty();
        return match (no_body, bytes.is_empty()) {
            (true, true) => Ok(()),
            (false, _) => Err("the operation answers with a body".into()),
            (true, false) => Err("an `.empty` fixture must be empty".into()),
        };
    };
    let body = op
        .responses
        .iter()
        .find(|body| body.media_type == media)
        .ok_or_else(|| format!("{} does not answer `{media}`", op.id))?;
    match (media, body.schema) {
        ("application/json", Some(schema)) => check_json(schema, &bytes),
        ("text/event-stream", Some(schema)) => check_sse(
            schema,
            std::str::from_utf8(&bytes).map_err(|e| e.to_string())?,
        ),
        ("text/plain", _) => match std::str::from_utf8(&bytes) {
            Ok(text) if !text.trim().is_empty() => Ok(()),
            Ok(_) => Err("empty text".into()),
            Err(e) => Err(format!("not UTF-8: {e}")),
        },
        ("application/octet-stream", _) if !bytes.is_empty() => Ok(()),
        (media, schema) => Err(format!("cannot check `{media}` with schema {schema:?}")),
    }
}

/// The fixtures of `op` among its operationId's files. An operationId that
/// Azure's authoring API shares with OpenAI has Azure's answers as its
/// `azure` cases, which only the Azure operation answers (as the mock
/// does), unless it has none (a file's content answers the same on both).
fn fixtures_of(op: &Operation, files: Vec<PathBuf>) -> Vec<PathBuf> {
    let is_azure = |path: &PathBuf| {
        path.file_stem()
            .and_then(|stem| stem.to_str())
            .is_some_and(|stem| stem.starts_with("azure"))
    };
    let has_azure = files.iter().any(is_azure);
    let authoring = op.api == Api::Azure && !op.path.starts_with("/deployments/{deployment-id}/");
    files
        .into_iter()
        .filter(|path| is_azure(path) == (authoring && has_azure))
        .collect()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn every_fixture_matches_its_operation_and_every_operation_has_one() {
    let root = fixtures_dir();
    let mut problems = Vec::new();
    let mut checked = 0;
    for op in OPERATIONS {
        let files = fixtures_of(op, files_in(&root.join(op.id.as_str())));
        if files.is_empty() {
            problems.push(format!(
                "{:?} {}: no fixture in fixtures/{}/",
                op.api, op.id, op.id
            ));
        }
        for path in files {
            checked += 1;
            if let Err(problem) = check_fixture(op, &path) {
                let name = path.strip_prefix(&root).unwrap_or(&path).display();
                problems.push(format!("{name} ({:?} {}): {problem}", op.api, op.id));
            }
        }
    }

    let ids: BTreeSet<&str> = OPERATIONS.iter().map(|op| op.id.as_str()).collect();
    for dir in files_in(&root).into_iter().filter(|p| p.is_dir()) {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name != "errors" && !ids.contains(name) {
            problems.push(format!(
                "fixtures/{name}/: no operation has this operationId"
            ));
        }
    }

    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        checked > OPERATIONS.len(),
        "checked only {checked} fixtures"
    );
}

#[test]
fn every_error_fixture_is_an_error_response_with_an_error_status() {
    let dir = fixtures_dir().join("errors");
    let files = files_in(&dir);
    assert!(
        files.len() >= 7,
        "expected the 7 documented errors, found {files:?}"
    );
    let mut problems = Vec::new();
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let status: Option<u16> = name.split('_').next().and_then(|s| s.parse().ok());
        if !matches!(status, Some(400..=599)) {
            problems.push(format!(
                "{name}: the name must start with a 4xx or 5xx status"
            ));
        }
        let bytes = std::fs::read(&path).expect("readable");
        if let Err(problem) = check_json("ErrorResponse", &bytes) {
            problems.push(format!("{name}: {problem}"));
        }
        // The documented body has all four keys, even when they are null.
        let value: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        for key in ["message", "type", "param", "code"] {
            if value.pointer(&format!("/error/{key}")).is_none() {
                problems.push(format!("{name}: no `error.{key}`"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_loss_check_sees_unknown_fields_and_changed_values() {
    // Guards the check itself: a field the type does not know is reported.
    let model = br#"{"id":"m","object":"model","created":1,"owned_by":"openai","permission":[],
        "root":"m","parent":null,"colour":"red"}"#;
    let error = check_json("Model", model).unwrap_err();
    assert!(error.contains("unknown field `$.colour`"), "{error}");
    // A missing required field does not decode: the API always sent
    // `created`.
    let error = check_json(
        "Model",
        br#"{"id":"m","object":"model","owned_by":"o","permission":[],"root":"m","parent":null}"#,
    )
    .unwrap_err();
    assert!(error.contains("missing field `created`"), "{error}");
    // A null field is not a loss.
    check_json(
        "Model",
        br#"{"id":"m","object":"model","created":1,"owned_by":"o","permission":[],"root":"m","parent":null}"#,
    )
    .unwrap();
}

#[test]
fn every_operation_is_in_its_spec_with_its_bounds() {
    use openai_rest_raw::operations::{Api, OperationId};
    let spec = |api: Api| -> Value {
        let file = match api {
            Api::OpenAi => "openai.yaml",
            Api::Azure => "azure.yaml",
        };
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../openapi")
            .join(file);
        serde_norway::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    };
    let specs = [
        (Api::OpenAi, spec(Api::OpenAi)),
        (Api::Azure, spec(Api::Azure)),
    ];
    for op in OPERATIONS {
        let (_, spec) = specs.iter().find(|(api, _)| *api == op.api).unwrap();
        let pointer = format!(
            "/paths/{}/{}",
            op.path.replace('/', "~1"),
            op.method.to_lowercase()
        );
        let operation = spec
            .pointer(&pointer)
            .unwrap_or_else(|| panic!("{pointer} missing"));
        assert_eq!(operation["operationId"], op.id.as_str());
        assert_eq!(op.id.as_str().parse::<OperationId>(), Ok(op.id));
    }
    // The schemas the validator compiles keep what the generated types leave
    // out, e.g. the image count bound, and Azure's references into
    // openai.yaml are resolved.
    let document = openai_rest_spec::document();
    assert_eq!(document["$defs"]["ImageCount"]["maximum"], 10);
    assert!(!document.to_string().contains("openai.yaml#"));
}
