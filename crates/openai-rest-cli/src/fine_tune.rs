//! The fine-tune commands that do more than one call: `fine_tunes.create`
//! uploads local files first and then follows the job; `fine_tunes.follow`
//! prints the events as they happen, with a progress display, until the job
//! ends; `fine_tunes.results` prints the results file.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressStyle};
use openai_rest_client::fine_tunes::{Event, FineTune};
use openai_rest_client::{Client, Status, Upload};
use serde_json::json;

use crate::cli::FineTunesCreate;
use crate::failure::{self, Failure};
use crate::output;

/// `fine_tunes.create`: the files resolved (uploaded if local), the job
/// created, then followed unless `--no_follow`.
pub async fn create(client: &Client, args: FineTunesCreate) -> Result<(), Failure> {
    let check = !args.no_check_if_files_exist;
    let training_file = file_id(client, &args.training_file, check).await?;
    let validation_file = match &args.validation_file {
        Some(file) => Some(file_id(client, file, check).await?),
        None => None,
    };
    let mut fields = json!({
        "training_file": training_file,
        "validation_file": validation_file,
        "model": args.model,
        "suffix": args.suffix,
        "n_epochs": args.n_epochs,
        "batch_size": args.batch_size,
        "learning_rate_multiplier": args.learning_rate_multiplier,
        "prompt_loss_weight": args.prompt_loss_weight,
        "compute_classification_metrics": args.compute_classification_metrics.then_some(true),
        "classification_n_classes": args.classification_n_classes,
        "classification_positive_class": args.classification_positive_class,
        "classification_betas": args.classification_betas,
    });
    if let Some(fields) = fields.as_object_mut() {
        fields.retain(|_, value| !value.is_null());
    }
    let request: openai_rest_client::types::CreateFineTuneRequest = serde_json::from_value(fields)
        .map_err(|e| Failure::usage(format!("invalid arguments: {e}")))?;
    let job = client.fine_tunes().create(request).await?;
    if args.no_follow {
        return output::json(&job);
    }
    output::text_line(&format!(
        "Created fine-tune {}. Following its events until it ends \
         (Ctrl-C stops following; the job goes on).",
        job.id
    ))?;
    follow(client, &job.id).await
}

/// The id of an uploaded file for `file`: a local file is uploaded (after
/// offering an uploaded one of the same name and size, when `check`);
/// anything else is taken as the id of an uploaded file.
async fn file_id(client: &Client, file: &str, check: bool) -> Result<String, Failure> {
    let path = Path::new(file);
    if !path.is_file() {
        return Ok(file.to_owned());
    }
    let size = std::fs::metadata(path)
        .map_err(|e| Failure::new(format!("cannot read {file}: {e}")))?
        .len();
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_owned());
    if check && let Some(id) = reuse_uploaded(client, &name, size).await? {
        return Ok(id);
    }
    let uploaded = client
        .files()
        .create(Upload::path(path), "fine-tune")
        .await?;
    // On stderr, as all but the job: with --no_follow stdout is its JSON.
    eprintln!("Uploaded {file} as {}", uploaded.id);
    Ok(uploaded.id)
}

/// An uploaded fine-tune file of this name and size the user picks to use
/// instead of uploading again, as the Python CLI offered. An empty answer
/// (or no input at all) uploads anyway.
async fn reuse_uploaded(client: &Client, name: &str, size: u64) -> Result<Option<String>, Failure> {
    let files = client.files().list().await?;
    let ids: Vec<&str> = files
        .data
        .iter()
        .filter(|f| f.purpose == "fine-tune" && f.filename == name && f.bytes == Some(size))
        .map(|f| f.id.as_str())
        .collect();
    if ids.is_empty() {
        return Ok(None);
    }
    eprintln!(
        "Already uploaded for fine-tuning as {name}, {size} bytes:\n{}",
        ids.join("\n")
    );
    let mut stdin = std::io::stdin().lock();
    loop {
        eprint!("Type one of these ids to use it, or press Enter to upload again: ");
        let mut answer = String::new();
        // End of input counts as the empty answer.
        stdin.read_line(&mut answer)?;
        let answer = answer.trim();
        if answer.is_empty() {
            eprintln!();
            return Ok(None);
        }
        if ids.contains(&answer) {
            eprintln!("Using the uploaded {answer}");
            return Ok(Some(answer.to_owned()));
        }
        eprintln!("`{answer}` is not one of the ids above");
    }
}

/// `fine_tunes.follow`: the job's events until it ends (the client
/// reconnects a stream that drops), then its outcome. A failed or cancelled
/// job is a failure; Ctrl-C stops following and says how to resume.
pub async fn follow(client: &Client, id: &str) -> Result<(), Failure> {
    let progress = Progress::new();
    let followed = {
        let fine_tunes = client.fine_tunes();
        let following = fine_tunes.follow(id, |event| progress.event(event));
        tokio::select! {
            job = following => job,
            interrupted = tokio::signal::ctrl_c() => {
                progress.finish();
                interrupted.map_err(|e| Failure::new(format!("cannot wait for Ctrl-C: {e}")))?;
                return Err(interrupted_failure(client, id).await);
            }
        }
    };
    progress.finish();
    let job = followed.map_err(|error| {
        // The connection gave out (after the client's retries), not the API:
        // following again may work.
        let lost = error.api_error().is_none();
        let mut failure = Failure::from(error);
        if lost {
            failure.message.push_str(&format!(
                "; the job goes on: follow it again with `openai api fine_tunes.follow -i {id}`"
            ));
        }
        failure
    })?;
    outcome(&job)
}

/// The message after Ctrl-C: the job goes on; how to resume or cancel.
async fn interrupted_failure(client: &Client, id: &str) -> Failure {
    let status = match client.fine_tunes().retrieve(id).await {
        Ok(job) => format!(" (it is {})", job.status),
        Err(_) => String::new(),
    };
    let _ = output::text_line(&format!(
        "\nStopped following; fine-tune {id} goes on{status}.\nFollow it again with:\n\n  \
         openai api fine_tunes.follow -i {id}\n\nor cancel it with:\n\n  \
         openai api fine_tunes.cancel -i {id}\n"
    ));
    Failure {
        message: format!("interrupted; fine-tune {id} was not cancelled"),
        code: failure::INTERRUPTED,
    }
}

/// What the end of a job prints; the job's name on success, a failure
/// otherwise.
fn outcome(job: &FineTune) -> Result<(), Failure> {
    match (&job.status, &job.fine_tuned_model) {
        (Status::Succeeded, Some(model)) => output::text_line(&format!(
            "\nFine-tune {} succeeded.\nFine-tuned model: {model}\n\
             Try it with:\n\n  openai api completions.create -m {model} -p <YOUR_PROMPT>",
            job.id
        )),
        (Status::Succeeded, None) => Err(Failure::new(format!(
            "fine-tune {} succeeded without naming its model",
            job.id
        ))),
        (Status::Cancelled, _) => Err(Failure::new(format!("fine-tune {} was cancelled", job.id))),
        (status, _) => Err(Failure::new(format!(
            "fine-tune {} ended with status {status}; its events above say why",
            job.id
        ))),
    }
}

/// `fine_tunes.results`: the results CSV of a job that has one.
pub async fn results(client: &Client, id: &str) -> Result<(), Failure> {
    let job = client.fine_tunes().retrieve(id).await?;
    let file = job
        .result_files
        .first()
        .ok_or_else(|| Failure::new(format!("no results file available for fine-tune {id}")))?;
    let content = client.files().content(&file.id).await?;
    output::bytes(&content)
}

/// The follow's display: each event as a line on stdout, and on a terminal
/// a spinner on stderr with the latest event, which becomes a bar of the
/// epochs once the job reports one.
struct Progress {
    bar: ProgressBar,
}

impl Progress {
    fn new() -> Self {
        // indicatif draws nothing when stderr is not a terminal: the plain
        // event lines are then all there is.
        let bar = ProgressBar::new_spinner();
        if std::io::stderr().is_terminal() {
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        Self { bar }
    }

    fn event(&self, event: &Event) {
        let line = format!("[{}] {}", timestamp(event.created_at), event.message);
        self.bar.suspend(|| {
            // A closed stdout ends nothing: the job is followed to its end.
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
        });
        if let Some((done, total)) = epoch(&event.message) {
            if self.bar.length().is_none() {
                self.bar.set_style(
                    ProgressStyle::with_template("{spinner} epoch {pos}/{len} [{bar:30}] {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
            }
            self.bar.set_length(total);
            self.bar.set_position(done);
        }
        self.bar.set_message(event.message.clone());
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `n/N` of a "Completed epoch n/N" event.
fn epoch(message: &str) -> Option<(u64, u64)> {
    let rest = message.strip_prefix("Completed epoch ")?;
    let (done, total) = rest.trim_end_matches('.').split_once('/')?;
    Some((done.trim().parse().ok()?, total.trim().parse().ok()?))
}

/// Unix seconds as an HTTP date, in UTC: readable, and the same wherever it
/// runs.
fn timestamp(seconds: i64) -> String {
    let time = UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).unwrap_or(0));
    httpdate::fmt_http_date(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_are_read_from_their_event() {
        assert_eq!(epoch("Completed epoch 2/4"), Some((2, 4)));
        assert_eq!(epoch("Completed epoch 4/4."), Some((4, 4)));
        assert_eq!(epoch("Job started."), None);
        assert_eq!(epoch("Completed epoch two/4"), None);
    }

    #[test]
    fn timestamps_are_utc_dates() {
        assert_eq!(timestamp(1614807352), "Wed, 03 Mar 2021 21:35:52 GMT");
        // A negative time is not a panic.
        assert_eq!(timestamp(-1), "Thu, 01 Jan 1970 00:00:00 GMT");
    }
}
