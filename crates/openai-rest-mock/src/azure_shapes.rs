//! Azure's authoring objects (api-version 2022-12-01), made from the
//! store's records, which keep OpenAI's shape: one record per file, job and
//! model, shown in the shape of the API that asks; and back, the records of
//! Azure's own examples, which the store is seeded with too. Azure's items carry a
//! `State` for status and `created_at`/`updated_at`; a file has no `bytes`
//! until it has been checked; a job's files are Azure files and its
//! `fine_tuned_model` is there only once it has succeeded; a model tells
//! its capabilities and deprecation dates instead of an owner and
//! permissions.

use crate::json::Json;

/// A year of Azure's deprecation dates: a base model can be fine-tuned for
/// one year after its creation, and used for two (731 days in Azure's
/// `get_models` example).
const FINE_TUNE_SUPPORT: u64 = 365 * 86_400;
const INFERENCE_SUPPORT: u64 = 731 * 86_400;

/// An OpenAI file's `status` as Azure's `State`.
fn file_state(status: &str) -> &str {
    match status {
        "uploaded" => "notRunning",
        "processed" => "succeeded",
        "error" => "failed",
        other => other,
    }
}

/// An OpenAI fine-tune's `status` as Azure's `State`.
pub(crate) fn job_state(status: &str) -> &str {
    match status {
        "pending" => "notRunning",
        "cancelled" => "canceled",
        other => other,
    }
}

/// An object of the fields that have a value, in order.
fn object<'a>(fields: impl IntoIterator<Item = (&'a str, Option<Json>)>) -> Json {
    Json::Object(
        fields
            .into_iter()
            .filter_map(|(key, value)| Some((key.to_owned(), value?)))
            .collect(),
    )
}

fn field(doc: &Json, key: &str) -> Option<Json> {
    doc.get(key).filter(|value| **value != Json::Null).cloned()
}

fn text<'a>(doc: &'a Json, key: &str) -> &'a str {
    match doc.get(key) {
        Some(Json::String(text)) => text,
        _ => "",
    }
}

fn number(doc: &Json, key: &str) -> u64 {
    doc.get(key).and_then(Json::as_u64).unwrap_or_default()
}

/// A file; `updated_at` when it last changed (its creation when `None`).
pub(crate) fn file(file: &Json, updated_at: Option<u64>) -> Json {
    let state = file_state(text(file, "status"));
    let created_at = number(file, "created_at");
    object([
        ("id", field(file, "id")),
        ("object", Some("file".into())),
        // Azure knows the size once it has checked the file.
        (
            "bytes",
            field(file, "bytes").filter(|_| state != "notRunning"),
        ),
        ("purpose", field(file, "purpose")),
        ("filename", field(file, "filename")),
        ("status", Some(state.into())),
        ("created_at", Some(created_at.into())),
        ("updated_at", Some(updated_at.unwrap_or(created_at).into())),
        // Why a failed import failed.
        ("error", field(file, "error")),
    ])
}

/// A fine-tune job, with its files and events in Azure's shape.
pub(crate) fn fine_tune(job: &Json) -> Json {
    let files = |key| {
        let files = job.get(key).and_then(Json::as_array).unwrap_or_default();
        (!files.is_empty()).then(|| Json::Array(files.iter().map(|f| file(f, None)).collect()))
    };
    let events = (job.get("events").and_then(Json::as_array))
        .map(|events| Json::Array(events.iter().map(event).collect()));
    object([
        ("id", field(job, "id")),
        ("object", Some("fine-tune".into())),
        ("hyperparams", field(job, "hyperparams")),
        ("model", field(job, "model")),
        ("fine_tuned_model", field(job, "fine_tuned_model")),
        (
            "training_files",
            Some(files("training_files").unwrap_or(Json::Array(vec![]))),
        ),
        ("validation_files", files("validation_files")),
        ("result_files", files("result_files")),
        ("events", events),
        ("status", Some(job_state(text(job, "status")).into())),
        ("created_at", field(job, "created_at")),
        ("updated_at", field(job, "updated_at")),
    ])
}

/// An event of a job: OpenAI's `warn` is Azure's `warning`.
pub(crate) fn event(event: &Json) -> Json {
    let level = match text(event, "level") {
        "warn" => "warning",
        level => level,
    };
    object([
        ("object", Some("fine-tune-event".into())),
        ("created_at", field(event, "created_at")),
        ("level", Some(level.into())),
        ("message", field(event, "message")),
    ])
}

/// A model: a base model (no `parent`), or a fine-tuned one with its base
/// and, when the job is known, the job that made it.
pub(crate) fn model(model: &Json, fine_tune: Option<&str>) -> Json {
    let id = text(model, "id");
    let created = number(model, "created");
    let base = field(model, "parent").map(|_| field(model, "root").unwrap_or(Json::Null));
    let fine_tunable = base.is_none() && ["ada", "babbage", "curie", "davinci"].contains(&id);
    let embeddings = base.is_none()
        && ["embedding", "similarity", "search"]
            .iter()
            .any(|kind| id.contains(kind));
    let completion =
        !embeddings && !id.starts_with("whisper") && !id.starts_with("text-moderation");
    let scale_types: &[&str] = match base {
        Some(_) => &["manual", "standard"],
        None => &["standard"],
    };
    let capabilities = object([
        ("fine_tune", Some(Json::Bool(fine_tunable))),
        ("inference", Some(Json::Bool(true))),
        ("completion", Some(Json::Bool(completion))),
        ("embeddings", Some(Json::Bool(embeddings))),
        (
            "scale_types",
            Some(Json::Array(scale_types.iter().map(|&t| t.into()).collect())),
        ),
    ]);
    let deprecation = object([
        (
            "fine_tune",
            fine_tunable.then(|| (created + FINE_TUNE_SUPPORT).into()),
        ),
        ("inference", Some((created + INFERENCE_SUPPORT).into())),
    ]);
    object([
        ("id", Some(id.into())),
        ("object", Some("model".into())),
        ("model", base),
        ("fine_tune", fine_tune.map(Json::from)),
        ("capabilities", Some(capabilities)),
        ("deprecation", Some(deprecation)),
        ("lifecycle_status", Some("generally-available".into())),
        ("status", Some("succeeded".into())),
        ("created_at", Some(created.into())),
        ("updated_at", Some(created.into())),
    ])
}

/// Azure's file `State` as an OpenAI file's `status`.
fn file_status(state: &str) -> &str {
    match state {
        "notRunning" | "running" => "uploaded",
        "succeeded" => "processed",
        "failed" | "canceled" | "deleted" => "error",
        other => other,
    }
}

/// Azure's job `State` as an OpenAI fine-tune's `status`.
fn job_status(state: &str) -> &str {
    match state {
        "notRunning" => "pending",
        "canceled" => "cancelled",
        other => other,
    }
}

/// `template` (an OpenAI object of the kind) with `fields` set.
fn record<'a>(template: &Json, fields: impl IntoIterator<Item = (&'a str, Json)>) -> Json {
    let mut record = template.clone();
    for (key, value) in fields {
        record.set(key, value);
    }
    record
}

/// The store's record of an Azure file: OpenAI's file, from `template`.
pub(crate) fn file_record(file: &Json, template: &Json) -> Json {
    record(
        template,
        [
            ("id", file.get("id").cloned().unwrap_or(Json::Null)),
            ("bytes", number(file, "bytes").into()),
            ("created_at", number(file, "created_at").into()),
            ("filename", text(file, "filename").into()),
            ("purpose", text(file, "purpose").into()),
            ("status", file_status(text(file, "status")).into()),
        ],
    )
}

/// The store's record of an Azure fine-tune: OpenAI's job, from
/// `template`, its files from `file_template`.
pub(crate) fn fine_tune_record(job: &Json, template: &Json, file_template: &Json) -> Json {
    let files = |key| {
        let files = job.get(key).and_then(Json::as_array).unwrap_or_default();
        Json::Array(
            files
                .iter()
                .map(|f| file_record(f, file_template))
                .collect(),
        )
    };
    let events = (job.get("events").and_then(Json::as_array)).unwrap_or_default();
    let events = events.iter().map(|event| {
        let level = match text(event, "level") {
            "warning" => "warn",
            level => level,
        };
        record(event, [("level", level.into())])
    });
    record(
        template,
        [
            ("id", job.get("id").cloned().unwrap_or(Json::Null)),
            ("model", text(job, "model").into()),
            ("created_at", number(job, "created_at").into()),
            ("updated_at", number(job, "updated_at").into()),
            ("events", Json::Array(events.collect())),
            (
                "fine_tuned_model",
                field(job, "fine_tuned_model").unwrap_or(Json::Null),
            ),
            (
                "hyperparams",
                field(job, "hyperparams").unwrap_or(Json::Object(vec![])),
            ),
            ("status", job_status(text(job, "status")).into()),
            ("training_files", files("training_files")),
            ("validation_files", files("validation_files")),
            ("result_files", files("result_files")),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Json {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn a_file_being_checked_has_no_size_and_a_checked_one_has() {
        let uploaded = json(
            r#"{"id":"file-1","object":"file","bytes":140,"created_at":10,"filename":"a.jsonl","purpose":"fine-tune","status":"uploaded","status_details":null}"#,
        );
        let shown = file(&uploaded, None);
        assert_eq!(shown.get("status"), Some(&Json::from("notRunning")));
        assert_eq!(shown.get("bytes"), None);
        assert_eq!(shown.get("updated_at"), Some(&Json::from(10u64)));
        assert_eq!(shown.get("status_details"), None);
        let mut processed = uploaded.clone();
        processed.replace("status", "processed".into());
        let shown = file(&processed, Some(11));
        assert_eq!(shown.get("status"), Some(&Json::from("succeeded")));
        assert_eq!(shown.get("bytes"), Some(&Json::from(140u64)));
        assert_eq!(shown.get("updated_at"), Some(&Json::from(11u64)));
    }

    #[test]
    fn a_job_speaks_azure_states_and_drops_what_azure_does_not_send() {
        let job = json(
            r#"{"id":"ft-1","object":"fine-tune","model":"curie","created_at":1,"events":[{"object":"fine-tune-event","created_at":1,"level":"warn","message":"m"}],"fine_tuned_model":null,"hyperparams":{"n_epochs":4},"organization_id":"org-1","result_files":[],"status":"cancelled","validation_files":[],"training_files":[],"updated_at":2}"#,
        );
        let shown = fine_tune(&job);
        assert_eq!(shown.get("status"), Some(&Json::from("canceled")));
        assert_eq!(shown.get("fine_tuned_model"), None);
        assert_eq!(shown.get("organization_id"), None);
        assert_eq!(shown.get("result_files"), None);
        assert_eq!(shown.get("training_files"), Some(&Json::Array(vec![])));
        let events = shown.get("events").and_then(Json::as_array).unwrap();
        assert_eq!(events[0].get("level"), Some(&Json::from("warning")));
        assert_eq!(job_state("pending"), "notRunning");
    }

    #[test]
    fn models_tell_their_capabilities_and_deprecation() {
        let curie = json(r#"{"id":"curie","created":100,"root":"curie","parent":null}"#);
        let shown = model(&curie, None);
        let capabilities = shown.get("capabilities").unwrap();
        assert_eq!(capabilities.get("fine_tune"), Some(&Json::Bool(true)));
        assert_eq!(capabilities.get("embeddings"), Some(&Json::Bool(false)));
        let deprecation = shown.get("deprecation").unwrap();
        assert_eq!(
            deprecation.get("fine_tune"),
            Some(&Json::from(100 + FINE_TUNE_SUPPORT))
        );
        assert_eq!(shown.get("model"), None);

        let ada = json(r#"{"id":"text-embedding-ada-002","created":1,"parent":null}"#);
        let capabilities = model(&ada, None).get("capabilities").cloned().unwrap();
        assert_eq!(capabilities.get("embeddings"), Some(&Json::Bool(true)));
        assert_eq!(capabilities.get("completion"), Some(&Json::Bool(false)));

        let tuned = json(r#"{"id":"curie:ft-x","created":5,"root":"curie","parent":"curie"}"#);
        let shown = model(&tuned, Some("ft-1"));
        assert_eq!(shown.get("model"), Some(&Json::from("curie")));
        assert_eq!(shown.get("fine_tune"), Some(&Json::from("ft-1")));
        let deprecation = shown.get("deprecation").unwrap();
        assert_eq!(deprecation.get("fine_tune"), None);
        let capabilities = shown.get("capabilities").unwrap();
        assert_eq!(capabilities.get("fine_tune"), Some(&Json::Bool(false)));
    }

    #[test]
    fn azure_examples_become_records_that_show_as_they_were() {
        let azure_file = json(
            r#"{"id":"file-1","object":"file","bytes":140,"purpose":"fine-tune","filename":"puppy.jsonl","status":"succeeded","created_at":10,"updated_at":11}"#,
        );
        let file_template = json(
            r#"{"id":"","object":"file","bytes":0,"created_at":0,"filename":"","purpose":"","status":"uploaded","status_details":null}"#,
        );
        let record = file_record(&azure_file, &file_template);
        assert_eq!(record.get("status"), Some(&Json::from("processed")));
        assert_eq!(record.get("status_details"), Some(&Json::Null));
        assert_eq!(file(&record, Some(11)), azure_file);

        let azure_job = json(
            r#"{"id":"ft-1","object":"fine-tune","hyperparams":{"n_epochs":2},"model":"curie","fine_tuned_model":"curie.ft-1","training_files":[{"id":"file-1","object":"file","bytes":140,"purpose":"fine-tune","filename":"puppy.jsonl","status":"succeeded","created_at":10,"updated_at":10}],"events":[{"object":"fine-tune-event","created_at":10,"level":"warning","message":"m"}],"status":"canceled","created_at":10,"updated_at":12}"#,
        );
        let job_template = json(
            r#"{"id":"","object":"fine-tune","model":"","created_at":0,"events":[],"fine_tuned_model":null,"hyperparams":{},"organization_id":"org-1","result_files":[],"status":"pending","validation_files":[],"training_files":[],"updated_at":0}"#,
        );
        let record = fine_tune_record(&azure_job, &job_template, &file_template);
        assert_eq!(record.get("status"), Some(&Json::from("cancelled")));
        assert_eq!(record.get("organization_id"), Some(&Json::from("org-1")));
        let events = record.get("events").and_then(Json::as_array).unwrap();
        assert_eq!(events[0].get("level"), Some(&Json::from("warn")));
        assert_eq!(fine_tune(&record), azure_job);
    }
}
