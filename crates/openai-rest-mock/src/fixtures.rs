//! The responses the mock replays, read from the workspace's `fixtures/`
//! layout: `<operationId>/<case>.<ext>` and `errors/<status>_<name>.json`.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use foldhash::{HashMap, HashMapExt as _};
use openai_rest_raw::operations::OperationId;

use crate::json::Json;

/// Every file of `fixtures/`, as `(directory, file name, bytes)`; written by
/// build.rs.
static EMBEDDED: &[(&str, &str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));

/// The directory of the error bodies, beside one directory per operation.
const ERRORS: &str = "errors";

/// The responses the mock replays.
///
/// [`Fixtures::default`] holds the workspace's `fixtures/`, embedded in the
/// library at build time. [`Fixtures::load`] lays the files of a directory
/// with the same layout over them, and [`Fixtures::set`] replaces one file.
/// A file replaces the embedded file of the same operation and case
/// (`createCompletion/response.json` and `createCompletion/response.txt`
/// are the same case), so the extension may change the content type.
#[derive(Clone)]
pub struct Fixtures {
    /// By directory, then by case (the file name without its extension).
    files: HashMap<String, HashMap<String, Arc<Fixture>>>,
}

/// One fixture file, checked and parsed.
#[derive(Debug)]
pub(crate) struct Fixture {
    pub(crate) bytes: Bytes,
    pub(crate) content: Content,
}

#[derive(Debug)]
pub(crate) enum Content {
    /// `.json`: `application/json`.
    Json(Json),
    /// `.sse`: `text/event-stream`. Each event's `data:` JSON and its raw
    /// bytes (`data: ...\n\n`); the final `data: [DONE]` is not in the list.
    Events(Vec<(Json, Bytes)>),
    /// `.txt`, `.srt`, `.vtt`: `text/plain`.
    Text,
    /// `.jsonl`: a file's raw content, `application/octet-stream`.
    Bytes,
    /// `.empty`: no body.
    Empty,
}

impl Fixture {
    pub(crate) fn parse(file_name: &str, bytes: Bytes) -> Result<Fixture, String> {
        let extension = file_name.rsplit_once('.').map(|(_, ext)| ext);
        let content = match extension {
            Some("json") => {
                Content::Json(serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))?)
            }
            Some("sse") => Content::Events(parse_events(&bytes)?),
            Some("txt" | "srt" | "vtt") => {
                std::str::from_utf8(&bytes).map_err(|e| format!("not UTF-8: {e}"))?;
                Content::Text
            }
            Some("jsonl") => Content::Bytes,
            Some("empty") if bytes.is_empty() => Content::Empty,
            Some("empty") => return Err("an `.empty` fixture must be empty".into()),
            _ => {
                return Err(
                    "unknown extension (expected .json, .sse, .txt, .srt, .vtt, .jsonl or .empty)"
                        .into(),
                );
            }
        };
        Ok(Fixture { bytes, content })
    }

    /// The `Content-Type` of the answer, `None` without a body.
    pub(crate) fn content_type(&self) -> Option<&'static str> {
        match self.content {
            Content::Json(_) => Some("application/json"),
            Content::Events(_) => Some("text/event-stream"),
            Content::Text => Some("text/plain; charset=utf-8"),
            Content::Bytes => Some("application/octet-stream"),
            Content::Empty => None,
        }
    }
}

/// The events of a `.sse` fixture: one-line `data:` events ending with
/// `data: [DONE]`.
fn parse_events(bytes: &Bytes) -> Result<Vec<(Json, Bytes)>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let Some(body) = text.strip_suffix("data: [DONE]\n\n") else {
        return Err("does not end with `data: [DONE]` and a blank line".into());
    };
    let mut events = Vec::new();
    let mut start = 0;
    for event in body.split_inclusive("\n\n") {
        let json = event
            .strip_prefix("data: ")
            .and_then(|rest| rest.strip_suffix("\n\n"))
            .filter(|json| !json.contains('\n'))
            .ok_or_else(|| format!("event {} is not one `data: ` line", events.len()))?;
        let json = serde_json::from_str(json)
            .map_err(|e| format!("event {} is not JSON: {e}", events.len()))?;
        events.push((json, bytes.slice(start..start + event.len())));
        start += event.len();
    }
    Ok(events)
}

/// A fixture that could not be used: its path and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureError {
    path: String,
    reason: String,
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fixture {}: {}", self.path, self.reason)
    }
}

impl std::error::Error for FixtureError {}

impl Default for Fixtures {
    /// The embedded fixtures.
    fn default() -> Self {
        embedded().clone()
    }
}

/// The embedded fixtures, parsed once.
fn embedded() -> &'static Fixtures {
    static PARSED: OnceLock<Fixtures> = OnceLock::new();
    PARSED.get_or_init(|| {
        let mut fixtures = Fixtures {
            files: HashMap::new(),
        };
        for (dir, name, bytes) in EMBEDDED {
            // The workspace's fixtures are checked by this crate's
            // tests and by `cargo xtask codegen --check`.
            fixtures
                .insert(dir, name, Bytes::from_static(bytes))
                .unwrap_or_else(|e| panic!("embedded {e}"));
        }
        fixtures
    })
}

impl Fixtures {
    /// The embedded fixtures with the files of `dir` laid over them. `dir`
    /// has the layout of the workspace's `fixtures/`: a directory per
    /// operationId, and `errors/`. Hidden files and directories (names
    /// starting with `.`) are left out.
    ///
    /// # Errors
    ///
    /// A [`FixtureError`] naming the file or directory: one that cannot be
    /// read, a directory that is neither an operationId nor `errors`, a file
    /// of an unknown extension or whose content does not parse as its
    /// extension says (see [`Fixtures::set`]).
    pub fn load(dir: impl AsRef<Path>) -> Result<Fixtures, FixtureError> {
        let dir = dir.as_ref();
        let error = |path: &Path, reason: String| FixtureError {
            path: path.display().to_string(),
            reason,
        };
        let mut fixtures = Fixtures::default();
        for sub in read_dir(dir).map_err(|e| error(dir, e))? {
            if !sub.is_dir() {
                continue;
            }
            let sub_name = sub.file_name().unwrap_or_default().to_string_lossy();
            if sub_name != ERRORS && sub_name.parse::<OperationId>().is_err() {
                return Err(error(&sub, "neither an operationId nor `errors`".into()));
            }
            for file in read_dir(&sub).map_err(|e| error(&sub, e))? {
                let name = file.file_name().unwrap_or_default().to_string_lossy();
                let bytes = std::fs::read(&file).map_err(|e| error(&file, e.to_string()))?;
                fixtures.insert(&sub_name, &name, bytes.into())?;
            }
        }
        Ok(fixtures)
    }

    /// Replaces (or adds) the fixture `file_name` of `operation`, e.g.
    /// `"response.json"` or `"stream.sse"`; the extension gives its content
    /// type: `.json`, `.sse` (data-only events ending with `data: [DONE]`),
    /// `.txt`, `.srt`, `.vtt`, `.jsonl` or `.empty`.
    ///
    /// # Errors
    ///
    /// A [`FixtureError`] when the extension is unknown or the bytes do not
    /// parse as it says (JSON that is not JSON, an event stream without its
    /// `[DONE]`, text that is not UTF-8, a non-empty `.empty`).
    pub fn set(
        &mut self,
        operation: OperationId,
        file_name: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<(), FixtureError> {
        self.insert(operation.as_str(), file_name, bytes.into())
    }

    fn insert(&mut self, dir: &str, file_name: &str, bytes: Bytes) -> Result<(), FixtureError> {
        let fixture = Fixture::parse(file_name, bytes).map_err(|reason| FixtureError {
            path: format!("{dir}/{file_name}"),
            reason,
        })?;
        let case = file_name.split('.').next().unwrap_or_default();
        self.files
            .entry(dir.to_owned())
            .or_default()
            .insert(case.to_owned(), Arc::new(fixture));
        Ok(())
    }

    /// The bytes of the fixture `case` of `operation`: the file name without
    /// its extension, e.g. `response` or `stream`. It is what the mock
    /// answers to a request that changes nothing in it.
    ///
    /// ```
    /// use openai_rest_mock::{Fixtures, OperationId};
    ///
    /// let fixtures = Fixtures::default();
    /// let models = fixtures.get(OperationId::ListModels, "response").unwrap();
    /// assert!(models.starts_with(b"{"));
    /// assert!(fixtures.get(OperationId::ListModels, "no-such-case").is_none());
    /// ```
    pub fn get(&self, operation: OperationId, case: &str) -> Option<&[u8]> {
        self.case(operation, case).map(|fixture| &fixture.bytes[..])
    }

    /// The fixture `case` (e.g. `response`, `stream`) of `operation`.
    pub(crate) fn case(&self, operation: OperationId, case: &str) -> Option<&Fixture> {
        self.find(operation.as_str(), case)
    }

    /// Whether the fixture `case` of `operation` is the embedded one (the
    /// docs'), not one given by [`Fixtures::load`] or [`Fixtures::set`]:
    /// the store seeds a resource from the fixtures given for it alone.
    pub(crate) fn is_embedded(&self, operation: OperationId, case: &str) -> bool {
        let dir = operation.as_str();
        let find = |fixtures: &'static Fixtures| fixtures.files.get(dir)?.get(case);
        match (
            self.files.get(dir).and_then(|cases| cases.get(case)),
            find(embedded()),
        ) {
            (Some(ours), Some(docs)) => Arc::ptr_eq(ours, docs),
            (None, _) => true,
            (Some(_), None) => false,
        }
    }

    /// The error body `errors/<name>.json`, e.g. `429_rate_limit`.
    pub(crate) fn error(&self, name: &str) -> Option<&Fixture> {
        self.find(ERRORS, name)
    }

    fn find(&self, dir: &str, case: &str) -> Option<&Fixture> {
        self.files.get(dir)?.get(case).map(|fixture| &**fixture)
    }
}

impl fmt::Debug for Fixtures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<String> = self
            .files
            .iter()
            .flat_map(|(dir, cases)| cases.keys().map(move |case| format!("{dir}/{case}")))
            .collect();
        names.sort();
        f.debug_struct("Fixtures").field("files", &names).finish()
    }
}

/// The entries of `dir`, sorted, but hidden ones (`.DS_Store`, an editor's
/// swap file, a recording still being written).
fn read_dir(dir: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| e.to_string())?;
    let mut paths = entries
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    paths.retain(|path| {
        !path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with('.'))
    });
    paths.sort();
    Ok(paths)
}
