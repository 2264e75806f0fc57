//! `cargo xtask verify`: the contract cases run against a live server (the
//! real API, an Azure resource, or anything that speaks it) instead of the
//! mock, to find where the API no longer answers what the spec and the
//! fixtures say.
//!
//! Each case's request goes through openai-rest-mock's recording proxy,
//! which hands over the answer as it came, secrets masked. The answer is
//! checked against the spec (its status and content type, and that it
//! decodes into the generated type without losing a field) and against the
//! fixture of the case (its set of fields, by path: values such as ids and
//! timestamps always differ).

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use openai_rest_client::{AzureAuth, AzureConfig, Client};
use openai_rest_mock::{Exchange, Fixtures, RecordOptions, Recorded};
use openai_rest_raw::operations::{Api, OPERATIONS, Operation, OperationId};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::cases::{CASES, Case, Ids, Output};
use crate::lossless::check_lossless;

/// The OpenAI API's base URL, verified unless told otherwise.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

/// The server verified and how to sign in to it.
#[derive(Clone)]
pub enum Target {
    /// The OpenAI API at `base_url`.
    OpenAi {
        base_url: String,
        api_key: String,
        organization: Option<String>,
    },
    /// An Azure OpenAI resource; completions and embeddings go to
    /// `deployment`.
    Azure {
        endpoint: String,
        api_key: String,
        deployment: String,
    },
}

impl Target {
    /// The target the environment names: with `azure`, the resource of
    /// `AZURE_OPENAI_ENDPOINT` (or `base_url`) with `AZURE_OPENAI_API_KEY`
    /// and `AZURE_OPENAI_DEPLOYMENT`; otherwise OpenAI at `base_url`
    /// ([`OPENAI_BASE_URL`] by default) with `OPENAI_API_KEY` and, if set,
    /// `OPENAI_ORGANIZATION`. `var` reads a variable.
    pub fn from_env(
        azure: bool,
        base_url: Option<String>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Target, String> {
        let required = |name: &str| {
            var(name)
                .filter(|value| !value.trim().is_empty())
                .ok_or_else(|| format!("{name} is not set"))
        };
        if azure {
            let endpoint = match base_url {
                Some(url) => url,
                None => required("AZURE_OPENAI_ENDPOINT")?,
            };
            Ok(Target::Azure {
                endpoint,
                api_key: required("AZURE_OPENAI_API_KEY")?,
                deployment: required("AZURE_OPENAI_DEPLOYMENT")?,
            })
        } else {
            Ok(Target::OpenAi {
                base_url: base_url.unwrap_or_else(|| OPENAI_BASE_URL.to_owned()),
                api_key: required("OPENAI_API_KEY")?,
                organization: var("OPENAI_ORGANIZATION").filter(|value| !value.is_empty()),
            })
        }
    }

    /// Which spec the target speaks.
    pub fn api(&self) -> Api {
        match self {
            Target::OpenAi { .. } => Api::OpenAi,
            Target::Azure { .. } => Api::Azure,
        }
    }

    /// Where the requests go.
    pub fn url(&self) -> &str {
        match self {
            Target::OpenAi { base_url, .. } => base_url,
            Target::Azure { endpoint, .. } => endpoint,
        }
    }

    fn secrets(&self) -> Vec<&str> {
        match self {
            Target::OpenAi {
                api_key,
                organization,
                ..
            } => [Some(api_key.as_str()), organization.as_deref()]
                .into_iter()
                .flatten()
                .collect(),
            Target::Azure { api_key, .. } => vec![api_key],
        }
    }

    /// A client that sends through the proxy at `proxy`, and does not retry:
    /// each case is one request and one answer.
    fn client(&self, proxy: SocketAddr, timeout: Duration) -> Result<Client, String> {
        let builder = Client::builder().max_retries(0).timeout(timeout);
        let builder = match self {
            Target::OpenAi {
                api_key,
                organization,
                ..
            } => {
                let builder = builder
                    .api_key(api_key.clone())
                    .base_url(format!("http://{proxy}/v1"));
                match organization {
                    Some(organization) => builder.organization(organization.clone()),
                    None => builder,
                }
            }
            Target::Azure {
                api_key,
                deployment,
                ..
            } => builder.azure(
                AzureConfig::new(
                    format!("http://{proxy}"),
                    AzureAuth::api_key(api_key.clone()),
                )
                .deployment(deployment.clone()),
            ),
        };
        builder.build().map_err(|e| e.to_string())
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("api", &self.api())
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

/// How to verify.
#[derive(Debug, Clone)]
pub struct Options {
    /// What the answers are compared with: the embedded `fixtures/` by
    /// default, or a directory of the user's (`Fixtures::load`).
    pub fixtures: Fixtures,
    /// Also run what costs money or changes the account: uploads,
    /// fine-tunes, image generation, deployments, deletes. What a run
    /// creates it cancels or deletes after.
    pub allow_costly: bool,
    /// How long each answer may take.
    pub timeout: Duration,
    /// Keep the answers, recorded in the fixtures layout, in this
    /// directory; by default they go to a temporary one, removed after.
    pub record: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fixtures: Fixtures::default(),
            allow_costly: false,
            timeout: Duration::from_secs(120),
            record: None,
        }
    }
}

/// Why nothing could be verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// The server cannot be reached, or answers but not as this API does.
    NotTheApi(String),
    /// The verification could not start (no local port, a bad URL, ...).
    Setup(String),
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::NotTheApi(why) | VerifyError::Setup(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for VerifyError {}

/// One case's result.
#[derive(Debug, Clone)]
pub struct Row {
    /// The case's name in the case table, e.g. `createCompletion_stream`.
    pub case: &'static str,
    pub operation: OperationId,
    pub verdict: Verdict,
}

/// What became of a case.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// A success answer, checked column by column.
    Checked(Checked),
    /// No success answer to check: an error answer (its status) or none.
    Error {
        status: Option<u16>,
        message: String,
    },
    /// Not run, and why.
    Skipped(String),
}

/// The checks of a success answer.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The status, against the spec's.
    pub status: Cell,
    /// The media type, against the spec's and the fixture's.
    pub content_type: Cell,
    /// Whether it decodes into the generated type without losing a field.
    pub decode: Cell,
    /// Its fields by path against the fixture's.
    pub fields: Cell,
}

/// One check: what it found, and whether that breaks the contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub broken: bool,
}

impl Cell {
    fn ok(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            broken: false,
        }
    }

    fn broken(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            broken: true,
        }
    }
}

impl Checked {
    fn cells(&self) -> [&Cell; 4] {
        [&self.status, &self.content_type, &self.decode, &self.fields]
    }
}

impl Row {
    /// Whether the case breaks the contract or could not be checked.
    pub fn fails(&self) -> bool {
        match &self.verdict {
            Verdict::Checked(checked) => checked.cells().iter().any(|cell| cell.broken),
            Verdict::Error { .. } => true,
            Verdict::Skipped(_) => false,
        }
    }
}

/// Every case of one API, in the order of the case table.
#[derive(Debug, Clone)]
pub struct Report {
    pub api: Api,
    /// Where the requests went.
    pub url: String,
    pub rows: Vec<Row>,
}

impl Report {
    /// Whether every case that ran passed.
    pub fn passed(&self) -> bool {
        !self.rows.iter().any(Row::fails)
    }

    /// The row of the case `name`.
    pub fn row(&self, name: &str) -> Option<&Row> {
        self.rows.iter().find(|row| row.case == name)
    }
}

impl fmt::Display for Report {
    /// One table, a line per case, then the counts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dash = || "-".to_owned();
        let mut lines = vec![[
            "case".to_owned(),
            "status".to_owned(),
            "content type".to_owned(),
            "decodes".to_owned(),
            "fields vs fixture".to_owned(),
            "result".to_owned(),
        ]];
        for row in &self.rows {
            let [status, content_type, decode, fields, result] = match &row.verdict {
                Verdict::Checked(checked) => {
                    let [a, b, c, d] = checked.cells().map(|cell| cell.text.clone());
                    let result = if row.fails() { "BREAK" } else { "ok" };
                    [a, b, c, d, result.to_owned()]
                }
                Verdict::Error { status, message } => [
                    status.map_or_else(dash, |status| status.to_string()),
                    dash(),
                    dash(),
                    dash(),
                    format!("ERROR: {message}"),
                ],
                Verdict::Skipped(why) => {
                    [dash(), dash(), dash(), dash(), format!("skipped: {why}")]
                }
            };
            lines.push([
                row.case.to_owned(),
                status,
                content_type,
                decode,
                fields,
                result,
            ]);
        }
        let mut widths = [0; 6];
        for line in &lines {
            for (width, cell) in widths.iter_mut().zip(line) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let api = match self.api {
            Api::OpenAi => "OpenAI API",
            Api::Azure => "Azure OpenAI API",
        };
        writeln!(f, "{api} at {}", self.url)?;
        for line in &lines {
            let mut text = String::new();
            for (i, (cell, width)) in line.iter().zip(widths).enumerate() {
                if i + 1 == line.len() {
                    text.push_str(cell);
                } else {
                    text.push_str(&format!("{cell:width$}  "));
                }
            }
            writeln!(f, "{}", text.trim_end())?;
        }
        let count = |f: fn(&Row) -> bool| self.rows.iter().filter(|row| f(row)).count();
        write!(
            f,
            "{} ok, {} broken or failed, {} skipped",
            count(|row| !row.fails() && !matches!(row.verdict, Verdict::Skipped(_))),
            count(Row::fails),
            count(|row| matches!(row.verdict, Verdict::Skipped(_))),
        )
    }
}

/// Runs every case of the target's API against it and checks each answer.
///
/// # Errors
///
/// [`VerifyError::NotTheApi`] when the first case (a list, which costs and
/// changes nothing) gets no answer in the API's shape; nothing else is
/// sent then. [`VerifyError::Setup`] when the proxy or the client cannot be
/// set up.
pub async fn verify(target: &Target, options: &Options) -> Result<Report, VerifyError> {
    let temporary = options.record.is_none();
    let dir = options.record.clone().unwrap_or_else(|| {
        static RUNS: AtomicU64 = AtomicU64::new(0);
        let run = RUNS.fetch_add(1, Ordering::Relaxed);
        std::env::temp_dir().join(format!("openai-verify-{}-{run}", std::process::id()))
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| VerifyError::Setup(format!("listening on 127.0.0.1: {e}")))?;
    let proxy = listener
        .local_addr()
        .map_err(|e| VerifyError::Setup(e.to_string()))?;
    let (exchanges, received) = mpsc::unbounded_channel();
    let recording = RecordOptions::new(target.url(), &dir)
        .timeout(options.timeout)
        .on_exchange(move |exchange| {
            let _ = exchanges.send(exchange.clone());
        });
    let client = target
        .client(proxy, options.timeout)
        .map_err(VerifyError::Setup)?;
    let run = Run {
        target,
        options,
        client,
        exchanges: received,
        ids: Ids {
            model: "text-davinci-003".to_owned(),
            ..Ids::default()
        },
    };
    // The proxy serves until the cases are done; it ends first only if it
    // could not start.
    let result = tokio::select! {
        started = openai_rest_mock::record(listener, recording, std::future::pending()) => {
            Err(VerifyError::Setup(match started {
                Err(error) => error.to_string(),
                Ok(()) => "the recording proxy stopped".to_owned(),
            }))
        }
        report = run.cases() => report,
    };
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

/// The state of one verification.
struct Run<'a> {
    target: &'a Target,
    options: &'a Options,
    client: Client,
    exchanges: mpsc::UnboundedReceiver<Exchange>,
    /// The objects found so far, for the cases that need one.
    ids: Ids,
}

impl Run<'_> {
    async fn cases(mut self) -> Result<Report, VerifyError> {
        let api = self.target.api();
        let mut cases: Vec<(usize, &'static Case)> = CASES
            .iter()
            .enumerate()
            .filter(|(_, case)| case.api == api)
            .collect();
        // Creates before what reads what they create, cancels and deletes last.
        cases.sort_by_key(|(_, case)| phase(case.operation));
        let mut rows = Vec::new();
        for (position, (index, case)) in cases.into_iter().enumerate() {
            let verdict = match self.skip(case) {
                Some(why) => Verdict::Skipped(why),
                None => {
                    let (result, exchange) = self.run(case).await;
                    if position == 0 {
                        self.is_the_api(case, exchange.as_ref(), &result)?;
                    }
                    if let Some(exchange) = &exchange {
                        self.learn(case.operation, exchange);
                    }
                    self.judge(case, exchange.as_ref(), &result)
                }
            };
            rows.push((
                index,
                Row {
                    case: case.name,
                    operation: case.operation,
                    verdict,
                },
            ));
        }
        rows.sort_by_key(|(index, _)| *index);
        Ok(Report {
            api,
            url: self.target.url().to_owned(),
            rows: rows.into_iter().map(|(_, row)| row).collect(),
        })
    }

    /// Why `case` is not run, if it is not.
    fn skip(&self, case: &Case) -> Option<String> {
        if let Some(what) = costly(case.operation)
            && !self.options.allow_costly
        {
            return Some(format!("{what} (run with --allow-costly)"));
        }
        let (id, why) = needs(case.operation)?;
        id(&self.ids).is_empty().then(|| why.to_owned())
    }

    /// Runs `case`; its result and the exchange the proxy saw for it.
    async fn run(&mut self, case: &Case) -> (openai_rest_client::Result<Output>, Option<Exchange>) {
        // Anything left from a case before is not this case's.
        while self.exchanges.try_recv().is_ok() {}
        let result = (case.run)(&self.client, &self.ids).await;
        let sent = !matches!(
            result,
            Err(openai_rest_client::Error::InvalidArgument(_)
                | openai_rest_client::Error::Config(_)
                | openai_rest_client::Error::Unsupported { .. })
        );
        let exchange = if sent {
            // The proxy reports an answer once it is recorded, which is
            // when its body ended or broke.
            tokio::time::timeout(self.options.timeout, self.exchanges.recv())
                .await
                .ok()
                .flatten()
        } else {
            None
        };
        (result, exchange)
    }

    /// Fails when the first answer is not the API's.
    fn is_the_api(
        &self,
        case: &Case,
        exchange: Option<&Exchange>,
        result: &openai_rest_client::Result<Output>,
    ) -> Result<(), VerifyError> {
        let url = self.target.url();
        let api = match self.target.api() {
            Api::OpenAi => "the OpenAI API",
            Api::Azure => "an Azure OpenAI endpoint",
        };
        let Some(exchange) = exchange else {
            let error = match result {
                Err(error) => self.scrub(&error.to_string()),
                Ok(_) => "no answer".to_owned(),
            };
            return Err(VerifyError::NotTheApi(format!("{url}: {error}")));
        };
        if let Recorded::UpstreamFailed(why) = &exchange.recorded {
            return Err(VerifyError::NotTheApi(format!(
                "{url} cannot be reached: {}",
                self.scrub(why)
            )));
        }
        let body: Option<Value> = serde_json::from_slice(&exchange.body).ok();
        let answers_like_the_api = match exchange.status {
            200..=299 => {
                let operation = operation(case);
                let media = media_type(exchange.content_type.as_deref());
                operation
                    .responses
                    .iter()
                    .any(|response| Some(response.media_type) == media.as_deref())
                    && (media.as_deref() != Some("application/json") || body.is_some())
            }
            400..=599 => body.is_some_and(|body| body["error"].is_object()),
            _ => false,
        };
        if answers_like_the_api {
            return Ok(());
        }
        Err(VerifyError::NotTheApi(format!(
            "{url} is not {api}: {} {} answered {} {}",
            exchange.method,
            exchange.path,
            exchange.status,
            exchange
                .content_type
                .as_deref()
                .unwrap_or("without a content type"),
        )))
    }

    /// Keeps the id of what `operation` listed or created, for the cases
    /// that need one; a created object wins over a listed one.
    fn learn(&mut self, operation: OperationId, exchange: &Exchange) {
        use OperationId::*;
        if !(200..=299).contains(&exchange.status) {
            return;
        }
        let Ok(body) = serde_json::from_slice::<Value>(&exchange.body) else {
            return;
        };
        let listed = body["data"][0]["id"].as_str().map(str::to_owned);
        let created = body["id"].as_str().map(str::to_owned);
        let ids = &mut self.ids;
        let keep_first = |slot: &mut String, id: Option<String>| {
            if let (true, Some(id)) = (slot.is_empty(), id) {
                *slot = id;
            }
        };
        match operation {
            ListFiles => keep_first(&mut ids.file, listed),
            ListFineTunes => keep_first(&mut ids.fine_tune, listed),
            ListDeployments => keep_first(&mut ids.deployment, listed),
            CreateFile => {
                if let Some(id) = created {
                    ids.file.clone_from(&id);
                    ids.training_file.clone_from(&id);
                    ids.file_to_delete = id;
                }
            }
            CreateFineTune => {
                if let Some(id) = created {
                    ids.fine_tune.clone_from(&id);
                    ids.fine_tune_to_cancel = id;
                }
            }
            CreateDeployment => {
                if let Some(id) = created {
                    ids.deployment.clone_from(&id);
                    ids.deployment_to_delete = id;
                }
            }
            _ => {}
        }
    }

    fn judge(
        &self,
        case: &Case,
        exchange: Option<&Exchange>,
        result: &openai_rest_client::Result<Output>,
    ) -> Verdict {
        let Some(exchange) = exchange else {
            let message = match result {
                Err(error) => self.scrub(&error.to_string()),
                Ok(_) => "the proxy saw no request".to_owned(),
            };
            return Verdict::Error {
                status: None,
                message,
            };
        };
        if let Recorded::UpstreamFailed(why) = &exchange.recorded {
            return Verdict::Error {
                status: Some(exchange.status),
                message: self.scrub(why),
            };
        }
        if !(200..=299).contains(&exchange.status) {
            return Verdict::Error {
                status: Some(exchange.status),
                message: self.scrub(&error_message(exchange)),
            };
        }
        Verdict::Checked(check(case, exchange, &self.options.fixtures))
    }

    /// `text` without the target's secrets: a last guard, since every body
    /// shown has been masked by the proxy already.
    fn scrub(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in self.target.secrets() {
            if !secret.is_empty() {
                text = text.replace(secret, "[redacted]");
            }
        }
        text
    }
}

/// When a case runs: what creates before what reads what was created,
/// cancels and deletes last, the rest (lists first) before all.
fn phase(operation: OperationId) -> u8 {
    use OperationId::*;
    match operation {
        CreateFile | ImportFile | CreateFineTune | CreateDeployment => 1,
        RetrieveFile | DownloadFile | RetrieveFineTune | ListFineTuneEvents
        | RetrieveDeployment | UpdateDeployment => 2,
        CancelFineTune | DeleteFineTune | DeleteFile | DeleteModel | DeleteDeployment => 3,
        _ => 0,
    }
}

/// What an operation costs or changes, if it costs money or changes the
/// account.
fn costly(operation: OperationId) -> Option<&'static str> {
    use OperationId::*;
    Some(match operation {
        CreateFile => "uploads a file",
        ImportFile => "imports a file",
        CreateFineTune => "starts a fine-tune, which costs money",
        CancelFineTune => "cancels a fine-tune",
        DeleteFineTune => "deletes a fine-tune",
        CreateImage | CreateImageEdit | CreateImageVariation => {
            "generates images, which costs money"
        }
        DeleteFile => "deletes a file",
        DeleteModel => "deletes a model",
        CreateDeployment => "creates a deployment",
        UpdateDeployment => "updates a deployment",
        DeleteDeployment => "deletes a deployment",
        _ => return None,
    })
}

type IdOf = fn(&Ids) -> &str;

/// The id a case needs, and why it is skipped without one.
fn needs(operation: OperationId) -> Option<(IdOf, &'static str)> {
    use OperationId::*;
    Some(match operation {
        RetrieveFile | DownloadFile => (
            |ids| &ids.file,
            "no file to read: the account has none (--allow-costly uploads one)",
        ),
        DeleteFile => (
            |ids| &ids.file_to_delete,
            "deletes only a file it uploaded, and none was",
        ),
        CreateFineTune => (
            |ids| &ids.training_file,
            "needs the file it uploads, and none was",
        ),
        RetrieveFineTune | ListFineTuneEvents => (
            |ids| &ids.fine_tune,
            "no fine-tune to read: the account has none (--allow-costly starts one)",
        ),
        CancelFineTune => (
            |ids| &ids.fine_tune_to_cancel,
            "cancels only a fine-tune it started, and none was",
        ),
        DeleteFineTune => (
            |ids| &ids.fine_tune_to_cancel,
            "deletes only a fine-tune it started, and none was",
        ),
        DeleteModel => (
            |ids| &ids.model_to_delete,
            "deletes only a model it made, and a run makes none",
        ),
        RetrieveDeployment => (
            |ids| &ids.deployment,
            "no deployment to read: the resource has none (--allow-costly creates one)",
        ),
        UpdateDeployment => (
            |ids| &ids.deployment_to_delete,
            "updates only a deployment it created, and none was",
        ),
        DeleteDeployment => (
            |ids| &ids.deployment_to_delete,
            "deletes only a deployment it created, and none was",
        ),
        _ => return None,
    })
}

fn operation(case: &Case) -> &'static Operation {
    OPERATIONS
        .iter()
        .find(|operation| operation.api == case.api && operation.id == case.operation)
        .expect("every case is an operation of its spec (the coverage test checks)")
}

/// A content type's media type, lower case, without parameters; `None`
/// without one.
fn media_type(content_type: Option<&str>) -> Option<String> {
    let media = content_type?.split(';').next()?.trim().to_ascii_lowercase();
    (!media.is_empty()).then_some(media)
}

/// The media type the fixture file `name` is answered with (see
/// fixtures/README.md); `None` for `.empty`.
fn fixture_media_type(name: &str) -> Option<&'static str> {
    match name.rsplit_once('.').map(|(_, extension)| extension) {
        Some("json") => Some("application/json"),
        Some("sse") => Some("text/event-stream"),
        Some("txt" | "srt" | "vtt") => Some("text/plain"),
        Some("jsonl") => Some("application/octet-stream"),
        _ => None,
    }
}

/// An error answer in a line: its code or type and message, or what it is.
fn error_message(exchange: &Exchange) -> String {
    let body: Value = serde_json::from_slice(&exchange.body).unwrap_or_default();
    let error = &body["error"];
    match (
        error["message"].as_str(),
        error["code"].as_str().or(error["type"].as_str()),
    ) {
        (Some(message), Some(code)) => format!("{code}: {message}"),
        (Some(message), None) => message.to_owned(),
        _ => format!(
            "a {} body of {} bytes",
            exchange.content_type.as_deref().unwrap_or("untyped"),
            exchange.body.len()
        ),
    }
}

/// Checks a success answer against the spec and the case's fixture.
fn check(case: &Case, exchange: &Exchange, fixtures: &Fixtures) -> Checked {
    let operation = operation(case);
    let status = if exchange.status == operation.success {
        Cell::ok(exchange.status.to_string())
    } else {
        Cell::broken(format!("{} (spec: {})", exchange.status, operation.success))
    };

    // `None`: no body.
    let media = (!exchange.body.is_empty()).then(|| {
        media_type(exchange.content_type.as_deref()).unwrap_or_else(|| "untyped".to_owned())
    });
    let spec: Vec<&str> = operation.responses.iter().map(|r| r.media_type).collect();
    let in_spec = match &media {
        None => spec.is_empty(),
        Some(media) => spec.contains(&media.as_str()),
    };
    let fixture_media = case.fixture.and_then(fixture_media_type);
    let as_fixture = media.as_deref() == fixture_media;
    let shown = media.clone().unwrap_or_else(|| "no body".to_owned());
    let content_type = match (in_spec, as_fixture) {
        (true, true) => Cell::ok(shown),
        (false, _) => Cell::broken(format!(
            "{shown} (spec: {})",
            if spec.is_empty() {
                "no body".to_owned()
            } else {
                spec.join(" or ")
            }
        )),
        (true, false) => Cell::broken(format!(
            "{shown} (fixture: {})",
            fixture_media.unwrap_or("no body")
        )),
    };

    let schema = operation
        .responses
        .iter()
        .find(|response| Some(response.media_type) == media.as_deref())
        .and_then(|response| response.schema);
    let answer = documents(media.as_deref(), &exchange.body);
    let decode = match (schema, &answer) {
        (_, Err(why)) => Cell::broken(why.clone()),
        (Some(schema), Ok(Some(documents))) => documents
            .iter()
            .enumerate()
            .find_map(|(i, document)| {
                let mut loss = check_lossless(schema, document.as_bytes()).err()?;
                // Where in the line serde stopped says nothing here.
                if let Some(at) = loss.find(" at line ") {
                    loss.truncate(at);
                }
                Some(if documents.len() > 1 {
                    format!("event {i}: {loss}")
                } else {
                    loss
                })
            })
            .map_or_else(|| Cell::ok("lossless"), Cell::broken),
        _ => Cell::ok("-"),
    };

    let fixture = case.fixture.and_then(|name| {
        let file = name.rsplit('/').next().unwrap_or(name);
        let case_name = file.split('.').next().unwrap_or(file);
        fixtures.get(case.operation, case_name)
    });
    let fields = match (&answer, fixture) {
        (Ok(Some(answer)), Some(fixture)) => match documents(fixture_media, fixture) {
            Ok(Some(expected)) => compare_fields(&expected, answer),
            _ => Cell::ok("-"),
        },
        (Ok(Some(_)), None) if case.fixture.is_some() => Cell::ok("no fixture"),
        _ => Cell::ok("-"),
    };
    Checked {
        status,
        content_type,
        decode,
        fields,
    }
}

/// The JSON documents of a body: one for JSON, one per event for a stream
/// (`data: [DONE]` ends it); `None` for a body of another type.
fn documents(media: Option<&str>, body: &[u8]) -> Result<Option<Vec<String>>, String> {
    match media {
        Some("application/json") => Ok(Some(vec![String::from_utf8_lossy(body).into_owned()])),
        Some("text/event-stream") => {
            let text = String::from_utf8_lossy(body);
            let mut events = Vec::new();
            for event in text.split("\n\n").filter(|event| !event.trim().is_empty()) {
                let data = event
                    .strip_prefix("data: ")
                    .filter(|data| !data.contains('\n'))
                    .ok_or_else(|| format!("event {} is not one `data:` line", events.len()))?;
                if data == "[DONE]" {
                    return Ok(Some(events));
                }
                events.push(data.to_owned());
            }
            Err("the stream does not end with `data: [DONE]`".to_owned())
        }
        _ => Ok(None),
    }
}

/// The field paths of JSON documents (`$.data[].id`), and those under which
/// a document says nothing: a `null`, `[]` or `{}`, whose fields the other
/// side may have or not.
#[derive(Default)]
struct Fields {
    paths: BTreeSet<String>,
    open: BTreeSet<String>,
}

impl Fields {
    fn of(documents: &[String]) -> Fields {
        let mut fields = Fields::default();
        for document in documents {
            if let Ok(value) = serde_json::from_str::<Value>(document) {
                fields.add(&value, "$".to_owned());
            }
        }
        fields
    }

    fn add(&mut self, value: &Value, at: String) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (key, value) in map {
                    self.add(value, format!("{at}.{key}"));
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for item in items {
                    self.add(item, format!("{at}[]"));
                }
            }
            Value::Null | Value::Array(_) | Value::Object(_) => {
                self.open.insert(at.clone());
            }
            _ => {}
        }
        self.paths.insert(at);
    }

    /// The paths of `self` that `other` lacks, but those under a path
    /// `other` says nothing under, and those under a path already listed.
    fn lacking_in(&self, other: &Fields) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for path in self.paths.difference(&other.paths) {
            let under = |parent: &String| {
                path.strip_prefix(parent.as_str())
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            };
            if !out.iter().any(under) && !other.open.iter().any(under) {
                out.push(path.clone());
            }
        }
        out
    }
}

fn compare_fields(fixture: &[String], answer: &[String]) -> Cell {
    match shape_difference(fixture, answer) {
        None => Cell::ok("same"),
        Some(difference) => Cell::broken(difference),
    }
}

/// How the fields of the JSON documents `answer` differ from those of
/// `documented`, by path and not by value (`missing $.events; extra
/// $.data[].x`): what `verify` reports as a broken shape. `None` when they
/// have the same fields; a `null`, `[]` or `{}` on one side says nothing
/// of the fields under it.
pub fn shape_difference(documented: &[String], answer: &[String]) -> Option<String> {
    let (documented, answer) = (Fields::of(documented), Fields::of(answer));
    let missing = documented.lacking_in(&answer);
    let extra = answer.lacking_in(&documented);
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("missing {}", missing.join(", ")));
    }
    if !extra.is_empty() {
        parts.push(format!("extra {}", extra.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(fixture: &str, answer: &str) -> Cell {
        compare_fields(&[fixture.to_owned()], &[answer.to_owned()])
    }

    #[test]
    fn fields_are_compared_by_path_not_by_value() {
        assert_eq!(
            fields(
                r#"{"id": "a", "n": 1, "data": [{"x": 1}, {"x": 2}]}"#,
                r#"{"id": "b", "n": 2, "data": [{"x": 3}]}"#
            ),
            Cell::ok("same")
        );
        assert_eq!(
            fields(
                r#"{"id": "a", "gone": {"deep": 1}, "data": [{"x": 1}]}"#,
                r#"{"id": "b", "new": 1, "data": [{"x": 1, "y": 2}]}"#
            ),
            Cell::broken("missing $.gone; extra $.data[].y, $.new")
        );
    }

    #[test]
    fn a_null_or_empty_value_says_nothing_of_the_fields_under_it() {
        assert_eq!(
            fields(
                r#"{"logprobs": null, "permission": []}"#,
                r#"{"logprobs": {"tokens": []}, "permission": [{"id": "p"}]}"#
            ),
            Cell::ok("same")
        );
        assert_eq!(
            fields(r#"{"permission": [{"id": "p"}]}"#, r#"{"permission": []}"#),
            Cell::ok("same")
        );
    }

    #[test]
    fn streams_are_read_event_by_event_to_done() {
        let body = b"data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n";
        assert_eq!(
            documents(Some("text/event-stream"), body),
            Ok(Some(vec![r#"{"a":1}"#.to_owned(), r#"{"b":2}"#.to_owned()]))
        );
        assert!(documents(Some("text/event-stream"), b"data: {}\n\n").is_err());
        assert!(
            documents(
                Some("text/event-stream"),
                b"event: x\ndata: {}\n\ndata: [DONE]\n\n"
            )
            .is_err()
        );
        assert_eq!(documents(Some("text/plain"), b"hi"), Ok(None));
    }

    #[test]
    fn the_target_comes_from_the_environment_and_never_shows_its_key() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        let target =
            Target::from_env(false, None, env(&[("OPENAI_API_KEY", "sk-env-secret")])).unwrap();
        assert_eq!((target.api(), target.url()), (Api::OpenAi, OPENAI_BASE_URL));
        assert!(!format!("{target:?}").contains("sk-env-secret"));
        assert_eq!(
            Target::from_env(false, None, env(&[])).unwrap_err(),
            "OPENAI_API_KEY is not set"
        );
        let azure = Target::from_env(
            true,
            None,
            env(&[
                ("AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com"),
                ("AZURE_OPENAI_API_KEY", "k"),
                ("AZURE_OPENAI_DEPLOYMENT", "d"),
            ]),
        )
        .unwrap();
        assert_eq!(
            (azure.api(), azure.url()),
            (Api::Azure, "https://r.openai.azure.com")
        );
        let error = Target::from_env(true, None, env(&[("AZURE_OPENAI_ENDPOINT", "https://r")]))
            .unwrap_err();
        assert_eq!(error, "AZURE_OPENAI_API_KEY is not set");
    }
}
