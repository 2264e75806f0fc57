//! The fine-tunes resource: typed jobs and their lifecycle, a plan of steps
//! in mock time after a job's creation (pending for 1 s, its epochs spread
//! over the next 7 s, a results file and a fine-tuned model, succeeded at
//! 10 s), each step an event. A job only reads the clock it is given: what
//! its steps make for other resources (the results file, the model) it
//! hands back as [`Made`], for the store to keep.

use std::time::Duration;

use bytes::Bytes;

use crate::clock::Clock;
use crate::error::ApiError;
use crate::json::Json;
use crate::store::files::{File, FileContent, FileStatus};
use crate::store::ids::new_id;

/// The phases of a fine-tune, in mock time after its creation.
pub(crate) const JOB_STARTS: Duration = Duration::from_secs(1);
const JOB_TRAINS: Duration = Duration::from_secs(7);
pub(crate) const JOB_ENDS: Duration = Duration::from_secs(10);

/// The organization fine-tuned models are named after, as in the docs'
/// `curie:ft-acmeco-2021-03-03-21-44-20`.
pub(crate) const ORGANIZATION: &str = "acmeco";

/// A job's `status`, in OpenAI's words (Azure's are made at the edge).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum JobStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// Any other word a recording or an example used, kept as it was.
    Other(String),
}

impl JobStatus {
    pub(crate) fn parse(status: &str) -> JobStatus {
        match status {
            "pending" => JobStatus::Pending,
            "running" => JobStatus::Running,
            "succeeded" => JobStatus::Succeeded,
            "failed" => JobStatus::Failed,
            "cancelled" => JobStatus::Cancelled,
            other => JobStatus::Other(other.to_owned()),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Other(other) => other,
        }
    }

    pub(crate) fn has_ended(&self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled
        )
    }
}

/// An event of a job, in OpenAI's shape (`level` `info` or `warn`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    /// Unix seconds.
    pub(crate) created_at: u64,
    pub(crate) level: String,
    pub(crate) message: String,
}

impl Event {
    fn info(created_at: u64, message: &str) -> Event {
        Event {
            created_at,
            level: "info".into(),
            message: message.into(),
        }
    }

    fn from_object(event: &Json) -> Event {
        let text = |key| match event.get(key) {
            Some(Json::String(text)) => text.clone(),
            _ => String::new(),
        };
        Event {
            created_at: event
                .get("created_at")
                .and_then(Json::as_u64)
                .unwrap_or_default(),
            level: text("level"),
            message: text("message"),
        }
    }

    pub(crate) fn to_openai(&self) -> Json {
        Json::Object(vec![
            ("object".into(), "fine-tune-event".into()),
            ("created_at".into(), self.created_at.into()),
            ("level".into(), self.level.as_str().into()),
            ("message".into(), self.message.as_str().into()),
        ])
    }
}

/// A fine-tune.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) id: String,
    /// Its base model.
    pub(crate) model: Option<String>,
    /// Unix seconds.
    pub(crate) created_at: Option<u64>,
    pub(crate) updated_at: Option<u64>,
    pub(crate) status: JobStatus,
    pub(crate) events: Vec<Event>,
    /// The model it made, once it has succeeded.
    pub(crate) fine_tuned_model: Option<String>,
    /// Its files as it shows them (snapshots of the files when it was made).
    pub(crate) training_files: Vec<Json>,
    pub(crate) validation_files: Vec<Json>,
    pub(crate) result_files: Vec<Json>,
    /// What its plan runs: its epochs, the model it makes and its results
    /// file's id, from `created` (mock time).
    pub(crate) epochs: u64,
    pub(crate) planned_model: String,
    pub(crate) result_file: String,
    pub(crate) created: Duration,
    /// The next step of its plan; `None` once it has ended (or for a
    /// documented job that has).
    pub(crate) next_step: Option<usize>,
    /// The rest of the object (its fields' order, `hyperparams`,
    /// `organization_id`) as the fixture or recording gave it.
    pub(crate) shape: Json,
}

/// What a job's step made for other resources.
#[derive(Debug)]
pub(crate) enum Made {
    ResultsFile(File),
    Model {
        id: String,
        base: String,
        /// Unix seconds.
        created: u64,
    },
}

enum Effect {
    None,
    Start,
    UploadResults,
    Succeed,
}

fn files(object: &Json, key: &str) -> Vec<Json> {
    (object.get(key).and_then(Json::as_array))
        .map(<[Json]>::to_vec)
        .unwrap_or_default()
}

impl Job {
    /// A job as an object in OpenAI's shape describes it (documented,
    /// recorded, the `createFineTune` fixture filled in); it does not move
    /// until given a next step. `None` without an id.
    pub(crate) fn from_object(object: Json) -> Option<Job> {
        let text = |key| match object.get(key) {
            Some(Json::String(text)) => Some(text.clone()),
            _ => None,
        };
        let result_files = files(&object, "result_files");
        Some(Job {
            id: text("id")?,
            model: text("model"),
            created_at: object.get("created_at").and_then(Json::as_u64),
            updated_at: object.get("updated_at").and_then(Json::as_u64),
            status: JobStatus::parse(&text("status").unwrap_or_default()),
            events: (object.get("events").and_then(Json::as_array))
                .unwrap_or_default()
                .iter()
                .map(Event::from_object)
                .collect(),
            fine_tuned_model: text("fine_tuned_model"),
            training_files: files(&object, "training_files"),
            validation_files: files(&object, "validation_files"),
            epochs: (object.get("hyperparams"))
                .and_then(|hyperparams| hyperparams.get("n_epochs"))
                .and_then(Json::as_u64)
                .unwrap_or(4),
            planned_model: text("fine_tuned_model").unwrap_or_default(),
            result_file: (result_files.first())
                .and_then(|file| match file.get("id") {
                    Some(Json::String(id)) => Some(id.clone()),
                    _ => None,
                })
                .unwrap_or_default(),
            result_files,
            created: Duration::ZERO,
            next_step: None,
            shape: object,
        })
    }

    /// The base model, as the plan names the model it makes.
    pub(crate) fn base(&self) -> &str {
        self.model.as_deref().unwrap_or("curie")
    }

    /// The job in OpenAI's shape, with its events.
    pub(crate) fn to_openai(&self) -> Json {
        let array = |items: &[Json]| Json::Array(items.to_vec());
        let mut object = self.shape.clone();
        object.replace("id", self.id.as_str().into());
        if let Some(model) = &self.model {
            object.replace("model", model.as_str().into());
        }
        if let Some(created_at) = self.created_at {
            object.replace("created_at", created_at.into());
        }
        if let Some(updated_at) = self.updated_at {
            object.replace("updated_at", updated_at.into());
        }
        object.replace(
            "events",
            Json::Array(self.events.iter().map(Event::to_openai).collect()),
        );
        let fine_tuned_model = (self.fine_tuned_model.as_deref()).map_or(Json::Null, Json::from);
        object.replace("fine_tuned_model", fine_tuned_model);
        object.replace("result_files", array(&self.result_files));
        object.replace("status", self.status.as_str().into());
        object.replace("training_files", array(&self.training_files));
        object.replace("validation_files", array(&self.validation_files));
        object
    }

    /// Mock time when its next step is due; `None` once it has ended.
    pub(crate) fn next_step_at(&self) -> Option<Duration> {
        let (at, _, _) = self.plan(self.next_step?)?;
        Some(self.created + at)
    }

    /// Cancels a job that has not ended, at `unix`.
    pub(crate) fn cancel(&mut self, unix: u64) -> Result<(), ApiError> {
        if self.status.has_ended() {
            return Err(ApiError::invalid_request(
                400,
                format!(
                    "Cannot cancel a job ({}) that has already {}",
                    self.id,
                    self.status.as_str()
                ),
            ));
        }
        self.status = JobStatus::Cancelled;
        self.updated_at = Some(unix);
        self.events.push(Event::info(unix, "Fine-tune cancelled"));
        self.next_step = None;
        Ok(())
    }

    /// Step `step` of the plan: when (after its creation), the event's
    /// message, and what else happens then; `None` after the last.
    fn plan(&self, step: usize) -> Option<(Duration, String, Effect)> {
        let epochs = self.epochs.max(1) as usize;
        let step = match step {
            0 => (
                Duration::ZERO,
                format!("Created fine-tune: {}", self.id),
                Effect::None,
            ),
            1 => (
                Duration::ZERO,
                "Job enqueued. Waiting for jobs ahead to complete. Queue number: 0.".to_owned(),
                Effect::None,
            ),
            2 => (JOB_STARTS, "Job started.".to_owned(), Effect::Start),
            n if n < 3 + epochs => {
                let epoch = (n - 2) as u32;
                let at = JOB_STARTS + JOB_TRAINS * epoch / epochs as u32;
                (
                    at,
                    format!("Completed epoch {epoch}/{epochs}"),
                    Effect::None,
                )
            }
            n if n == 3 + epochs => (
                JOB_ENDS - Duration::from_millis(1500),
                format!("Uploaded model: {}", self.planned_model),
                Effect::None,
            ),
            n if n == 4 + epochs => (
                JOB_ENDS - Duration::from_secs(1),
                format!("Uploaded result file: {}", self.result_file),
                Effect::UploadResults,
            ),
            n if n == 5 + epochs => (JOB_ENDS, "Fine-tune succeeded".to_owned(), Effect::Succeed),
            _ => return None,
        };
        Some(step)
    }

    /// Takes the steps due by `now`; what they made for other resources
    /// (a results file of `file_template`'s shape, a model) is handed back.
    fn advance(&mut self, now: Duration, clock: &Clock, file_template: &Json) -> Vec<Made> {
        let mut made = Vec::new();
        while let Some(step) = self.next_step {
            let Some((at, message, effect)) = self.plan(step) else {
                self.next_step = None;
                break;
            };
            let at = self.created + at;
            if at > now {
                break;
            }
            let unix = clock.unix_at(at);
            match effect {
                Effect::None => {}
                Effect::Start => self.status = JobStatus::Running,
                Effect::UploadResults => {
                    let content = results_csv(self.epochs);
                    let mut object = file_template.clone();
                    object.replace("id", self.result_file.as_str().into());
                    if let Some(mut file) =
                        File::from_object(object, FileContent::Memory(Bytes::new()))
                    {
                        file.bytes = Some(content.len() as u64);
                        file.created_at = unix;
                        file.updated_at = unix;
                        file.filename = Some("compiled_results.csv".into());
                        file.purpose = Some("fine-tune-results".into());
                        file.status = FileStatus::Processed;
                        file.content = FileContent::Memory(content);
                        self.result_files = vec![file.to_openai()];
                        made.push(Made::ResultsFile(file));
                    }
                }
                Effect::Succeed => {
                    self.status = JobStatus::Succeeded;
                    self.fine_tuned_model = Some(self.planned_model.clone());
                    made.push(Made::Model {
                        id: self.planned_model.clone(),
                        base: self.base().to_owned(),
                        created: unix,
                    });
                }
            }
            self.events.push(Event::info(unix, &message));
            self.updated_at = Some(unix);
            self.next_step = Some(step + 1);
        }
        made
    }

    /// The events a documented job that shows none went through to its
    /// status: the steps of the plan, spread from its creation to its last
    /// update.
    pub(crate) fn past_events(&self) -> Vec<Event> {
        let (created, updated) = (
            self.created_at.unwrap_or_default(),
            self.updated_at.unwrap_or_default(),
        );
        let at = |after: Duration| {
            let span = updated.saturating_sub(created) as f64;
            created + (span * after.as_secs_f64() / JOB_ENDS.as_secs_f64()) as u64
        };
        let steps = match self.status {
            JobStatus::Pending | JobStatus::Cancelled => 2,
            JobStatus::Running | JobStatus::Failed => 3,
            _ => usize::MAX,
        };
        let mut events = Vec::new();
        for step in 0..steps {
            let Some((after, message, _)) = self.plan(step) else {
                break;
            };
            events.push(Event::info(at(after), &message));
        }
        match self.status {
            JobStatus::Cancelled => events.push(Event::info(updated, "Fine-tune cancelled")),
            JobStatus::Failed => events.push(Event::info(updated, "Fine-tune failed")),
            _ => {}
        }
        events
    }

    /// A documented job that has not ended goes on from where the docs show
    /// it, from mock time `now`, as any job does, so that following it ends.
    pub(crate) fn resume(&mut self, now: Duration, clock: &Clock) {
        let step = match self.status {
            JobStatus::Pending => 2,
            JobStatus::Running => 3,
            _ => return,
        };
        self.created = now;
        self.next_step = Some(step);
        let base = self.base();
        let root = base.split(':').next().unwrap_or(base);
        let ends = clock.unix_at(now + JOB_ENDS);
        self.planned_model = format!("{root}:ft-{ORGANIZATION}-{}", utc_stamp(ends));
        self.result_file = new_id("file-");
    }
}

/// The fine-tunes, in the order created.
#[derive(Debug, Default)]
pub(crate) struct FineTunes {
    jobs: Vec<Job>,
}

impl FineTunes {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter()
    }

    pub(crate) fn get(&self, id: &str) -> Result<&Job, ApiError> {
        (self.jobs.iter())
            .find(|job| job.id == id)
            .ok_or_else(|| no_such_job(id))
    }

    pub(crate) fn get_mut(&mut self, id: &str) -> Result<&mut Job, ApiError> {
        (self.jobs.iter_mut())
            .find(|job| job.id == id)
            .ok_or_else(|| no_such_job(id))
    }

    /// Adds `job`, last, in place of one of its id (a later example wins).
    pub(crate) fn put(&mut self, job: Job) {
        self.jobs.retain(|known| known.id != job.id);
        self.jobs.push(job);
    }

    /// Azure's delete: the job goes, its events with it.
    pub(crate) fn delete(&mut self, id: &str) -> Result<(), ApiError> {
        let at = (self.jobs.iter())
            .position(|job| job.id == id)
            .ok_or_else(|| no_such_job(id))?;
        self.jobs.remove(at);
        Ok(())
    }

    /// The job that made model `id`.
    pub(crate) fn maker_of(&self, model: &str) -> Option<&Job> {
        (self.jobs.iter()).find(|job| job.fine_tuned_model.as_deref() == Some(model))
    }

    /// Whether a job makes or made model `name`.
    pub(crate) fn plans(&self, name: &str) -> bool {
        self.jobs.iter().any(|job| job.planned_model == name)
    }

    /// Every job takes the steps due by `now`.
    pub(crate) fn advance(
        &mut self,
        now: Duration,
        clock: &Clock,
        file_template: &Json,
    ) -> Vec<Made> {
        (self.jobs.iter_mut())
            .flat_map(|job| job.advance(now, clock, file_template))
            .collect()
    }
}

pub(crate) fn no_such_job(id: &str) -> ApiError {
    ApiError {
        param: Some("id".into()),
        ..ApiError::invalid_request(404, format!("No such FineTune object: {id}"))
    }
}

/// A fine-tune's results file: one row per epoch, the columns of the
/// `compiled_results.csv` of 2023.
pub(crate) fn results_csv(epochs: u64) -> Bytes {
    let mut csv = String::from(
        "step,elapsed_tokens,elapsed_examples,training_loss,training_sequence_accuracy,training_token_accuracy\n",
    );
    for epoch in 1..=epochs.max(1) {
        let loss = 1.0 / (epoch as f64 + 1.0);
        csv.push_str(&format!(
            "{epoch},{},{},{loss:.4},{:.2},{:.4}\n",
            epoch * 1024,
            epoch * 8,
            1.0 - loss,
            1.0 - loss / 2.0
        ));
    }
    csv.into()
}

/// `YYYY-MM-DD-HH-MM-SS` in UTC, as fine-tuned model names carry it.
pub(crate) fn utc_stamp(unix: u64) -> String {
    let (days, seconds) = (unix / 86_400, unix % 86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}-{:02}-{:02}-{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(status: &str) -> Job {
        let object = format!(
            r#"{{"id": "ft-1", "status": "{status}", "created_at": 100, "updated_at": 200, "events": []}}"#
        );
        let mut job = Job::from_object(serde_json::from_str(&object).unwrap()).unwrap();
        job.epochs = 2;
        job.planned_model = "curie:ft-acmeco-x".into();
        job.result_file = "file-r".into();
        job
    }

    fn messages(events: &[Event]) -> Vec<&str> {
        events.iter().map(|event| event.message.as_str()).collect()
    }

    fn file_template() -> Json {
        serde_json::from_str(
            r#"{"id":"","object":"file","bytes":0,"created_at":0,"filename":"","purpose":"","status":"uploaded"}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_documented_job_without_events_gets_those_of_its_status() {
        assert_eq!(job("pending").past_events().len(), 2);
        let succeeded = job("succeeded").past_events();
        let said = messages(&succeeded);
        assert_eq!(said[0], "Created fine-tune: ft-1");
        assert!(
            said.contains(&"Uploaded model: curie:ft-acmeco-x"),
            "{said:?}"
        );
        assert!(said.contains(&"Uploaded result file: file-r"), "{said:?}");
        assert_eq!(*said.last().unwrap(), "Fine-tune succeeded");
        // Spread over the job's life, in order.
        let times: Vec<u64> = succeeded.iter().map(|e| e.created_at).collect();
        assert_eq!((times[0], *times.last().unwrap()), (100, 200));
        assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");
        let cancelled = job("cancelled").past_events();
        assert_eq!(*messages(&cancelled).last().unwrap(), "Fine-tune cancelled");
    }

    #[test]
    fn a_job_runs_its_plan_against_a_stopped_clock() {
        let clock = Clock::new(0.0);
        let mut jobs = FineTunes::default();
        let mut new = job("pending");
        new.created = clock.elapsed();
        new.next_step = Some(0);
        jobs.put(new);
        let made = jobs.advance(clock.elapsed(), &clock, &file_template());
        assert!(made.is_empty());
        let job = jobs.get("ft-1").unwrap();
        assert_eq!(job.status, JobStatus::Pending);
        assert_eq!(job.events.len(), 2);

        clock.advance(JOB_STARTS);
        jobs.advance(clock.elapsed(), &clock, &file_template());
        assert_eq!(jobs.get("ft-1").unwrap().status, JobStatus::Running);

        clock.advance(JOB_ENDS);
        let made = jobs.advance(clock.elapsed(), &clock, &file_template());
        let job = jobs.get("ft-1").unwrap();
        assert_eq!(job.status, JobStatus::Succeeded);
        assert_eq!(job.fine_tuned_model.as_deref(), Some("curie:ft-acmeco-x"));
        assert_eq!(job.next_step_at(), None);
        assert_eq!(messages(&job.events).last(), Some(&"Fine-tune succeeded"));
        let [Made::ResultsFile(file), Made::Model { id, .. }] = &made[..] else {
            panic!("{made:?}");
        };
        assert_eq!(
            (file.id.as_str(), id.as_str()),
            ("file-r", "curie:ft-acmeco-x")
        );
        assert_eq!(job.result_files[0].get("id"), Some(&Json::from("file-r")));
    }

    #[test]
    fn only_a_job_that_has_not_ended_can_be_cancelled() {
        let mut pending = job("pending");
        pending.next_step = Some(2);
        pending.cancel(300).unwrap();
        assert_eq!(pending.status, JobStatus::Cancelled);
        assert_eq!(pending.next_step, None);
        assert_eq!(pending.updated_at, Some(300));
        assert_eq!(pending.cancel(301).unwrap_err().status, 400);
    }

    #[test]
    fn a_job_shows_as_its_object() {
        let shown = job("succeeded").to_openai();
        assert_eq!(shown.get("status"), Some(&Json::from("succeeded")));
        assert_eq!(shown.get("events"), Some(&Json::Array(vec![])));
        // A field the shape lacks is not added.
        assert_eq!(shown.get("result_files"), None);
    }
}
