//! The state the store starts with: the objects the fixtures document. A
//! resource (files, models, fine-tunes, deployments) is seeded from the
//! fixtures given for it where any was given (a recording of a resource is
//! all of it, and a replay answers what was recorded), else from the docs'
//! and Azure's examples, completed so that every id a documented object
//! names exists (see `fixtures/README.md`, "Under state").

use bytes::Bytes;
use openai_rest_raw::operations::OperationId;

use crate::azure_shapes;
use crate::clock::Clock;
use crate::fixtures::Fixtures;
use crate::json::Json;
use crate::store::deployments::Deployment;
use crate::store::files::{File, FileContent, FileStatus};
use crate::store::fine_tunes::{Job, results_csv};
use crate::store::models::Model;
use crate::store::{State, Templates, json, json_case};

/// The models of early 2023 that the API listed to everyone (besides the
/// documented ids of the fixtures and the fine-tuned models made here).
const BASE_MODELS: &[&str] = &[
    "ada",
    "babbage",
    "curie",
    "davinci",
    "text-ada-001",
    "text-babbage-001",
    "text-curie-001",
    "text-davinci-001",
    "text-davinci-002",
    "text-davinci-003",
    "text-davinci-insert-001",
    "text-davinci-insert-002",
    "davinci-instruct-beta",
    "curie-instruct-beta",
    "text-davinci-edit-001",
    "code-davinci-edit-001",
    "code-davinci-002",
    "code-cushman-001",
    "gpt-3.5-turbo",
    "gpt-3.5-turbo-0301",
    "gpt-4",
    "gpt-4-0314",
    "gpt-4-32k",
    "gpt-4-32k-0314",
    "text-embedding-ada-002",
    "text-similarity-ada-001",
    "text-similarity-babbage-001",
    "text-similarity-curie-001",
    "text-similarity-davinci-001",
    "text-search-ada-doc-001",
    "text-search-ada-query-001",
    "code-search-ada-code-001",
    "code-search-ada-text-001",
    "whisper-1",
    "text-moderation-latest",
    "text-moderation-stable",
];

pub(super) fn seeded(fixtures: &Fixtures, clock: &Clock, templates: &Templates) -> State {
    use OperationId::*;
    let mut state = State::default();

    let files = documented(fixtures, ListFiles, &[RetrieveFile]);
    let content = fixtures
        .case(DownloadFile, "response")
        .map_or_else(Bytes::new, |fixture| fixture.bytes.clone());
    // A single object's example wins over the list's description of the
    // same id.
    for object in files.openai {
        if let Some(file) = File::from_object(object, FileContent::Memory(content.clone())) {
            state.files.put(file);
        }
    }
    // Azure's examples, unless OpenAI's have the id.
    for azure in files.azure {
        let object = azure_shapes::file_record(&azure, &templates.file);
        let Some(mut file) = File::from_object(object, FileContent::Memory(content.clone())) else {
            continue;
        };
        if state.files.contains(&file.id) {
            continue;
        }
        if let Some(updated_at) = azure.get("updated_at").and_then(Json::as_u64) {
            file.updated_at = updated_at;
        }
        state.files.push(file);
    }

    let models = documented(fixtures, ListModels, &[]);
    let models_given = models.given;
    let model_template = json(fixtures, RetrieveModel);
    if !models_given && let Some(template) = model_template {
        for id in BASE_MODELS {
            state.models.add(Model::base(template, id));
        }
    }
    for model in models.openai.into_iter().filter_map(Model::from_object) {
        state.models.add(model);
    }
    // The docs' models are the API's; a recording's are the organization's
    // own only where the API said so.
    state.models.mark_base(|model| {
        (model.owned_by.as_deref()).is_some_and(|owner| {
            models_given
                && !matches!(
                    owner,
                    "openai" | "openai-internal" | "openai-dev" | "system"
                )
        })
    });

    // The list's jobs, with the retrieve and cancel examples winning for
    // their ids (they print more of a job: its events). Azure's retrieve
    // example wins over its list's; its cancel example contradicts them
    // (see fixtures/README.md) and is not seeded.
    let jobs = documented(fixtures, ListFineTunes, &[RetrieveFineTune, CancelFineTune]);
    let azure_jobs = documented(fixtures, ListFineTunes, &[RetrieveFineTune]).azure;
    let job_template = json(fixtures, CreateFineTune)
        .cloned()
        .unwrap_or(Json::Null);
    let azure_jobs = (azure_jobs.iter())
        .map(|job| azure_shapes::fine_tune_record(job, &job_template, &templates.file));
    for mut object in jobs.openai.into_iter().chain(azure_jobs) {
        if object.get("events").is_none() {
            object.set("events", Json::Array(Vec::new()));
        }
        let Some(mut job) = Job::from_object(object) else {
            continue;
        };
        if job.events.is_empty() {
            job.events = job.past_events();
        }
        job.resume(clock.elapsed(), clock);
        state.fine_tunes.put(job);
    }

    // What the docs' jobs name: their files (with content fit for their
    // purpose) and the models they made.
    if !files.given {
        let mut named = Vec::new();
        for job in state.fine_tunes.iter() {
            let listed = [
                &job.training_files,
                &job.validation_files,
                &job.result_files,
            ];
            for file in listed.into_iter().flatten() {
                let Some(Json::String(id)) = file.get("id") else {
                    continue;
                };
                if state.files.contains(id) || named.iter().any(|known: &File| known.id == *id) {
                    continue;
                }
                // The job's description of the file, with the fields of a
                // file it leaves out.
                let mut object = templates.file.clone();
                if let Json::Object(described) = file {
                    for (key, value) in described {
                        object.set(key, value.clone());
                    }
                }
                let size = file.get("bytes").and_then(Json::as_u64).unwrap_or(0);
                let content = match file.get("purpose") {
                    Some(Json::String(purpose)) if purpose == "fine-tune-results" => {
                        results_csv_of_size(job.epochs, size)
                    }
                    _ => training_jsonl_of_size(size),
                };
                if let Some(mut file) = File::from_object(object, FileContent::Memory(content)) {
                    file.status = FileStatus::Processed;
                    named.push(file);
                }
            }
        }
        for file in named {
            state.files.push(file);
        }
    }
    if !models_given && let Some(template) = model_template {
        let mut made = Vec::new();
        for job in state.fine_tunes.iter() {
            let model = job.planned_model.as_str();
            if model.is_empty() || state.models.contains(model) {
                continue;
            }
            let created = job.updated_at.unwrap_or_default();
            made.push(Model::fine_tuned(template, model, job.base(), created));
        }
        for model in made {
            state.models.add(model);
        }
    }

    let deployments = documented(fixtures, ListDeployments, &[RetrieveDeployment]);
    for deployment in deployments
        .openai
        .into_iter()
        .filter_map(Deployment::from_object)
    {
        state.deployments.seed(deployment);
    }
    state
}

/// The objects the fixtures of one resource document: its list's items,
/// then its single objects (which win for their ids, being later).
struct Documented {
    /// OpenAI's (the `response` cases).
    openai: Vec<Json>,
    /// Azure's own examples (the `azure` cases), in Azure's shape.
    azure: Vec<Json>,
    /// Whether any of them was given (a recording), not embedded: then only
    /// those given count.
    given: bool,
}

/// What the fixtures of the resource listed by `list` and described one by
/// one by `singles` document.
fn documented(fixtures: &Fixtures, list: OperationId, singles: &[OperationId]) -> Documented {
    const CASES: [&str; 2] = ["response", "azure"];
    let operations = || std::iter::once(list).chain(singles.iter().copied());
    let given = operations().any(|operation| {
        CASES
            .iter()
            .any(|case| !fixtures.is_embedded(operation, case))
    });
    let objects = |case| {
        let counts = |operation| !given || !fixtures.is_embedded(operation, case);
        let listed = (json_case(fixtures, list, case).filter(|_| counts(list)))
            .and_then(|doc| doc.get("data").and_then(Json::as_array).map(<[_]>::to_vec))
            .unwrap_or_default();
        let single = (singles.iter().copied())
            .filter(|operation| counts(*operation))
            .filter_map(|operation| json_case(fixtures, operation, case).cloned());
        listed.into_iter().chain(single).collect()
    };
    Documented {
        openai: objects("response"),
        azure: objects("azure"),
        given,
    }
}

/// A training file of exactly `size` bytes: JSON Lines of prompt and
/// completion, as the fine-tuning guide asks for.
fn training_jsonl_of_size(size: u64) -> Bytes {
    sized(
        size,
        |n| format!("{{\"prompt\": \"Example {n} ->\", \"completion\": \" answer {n}\\n\"}}\n"),
        |line, pad| {
            // The padding goes into the last prompt.
            line.replacen(" ->", &format!("{} ->", " ".repeat(pad)), 1)
        },
    )
}

/// A results file of exactly `size` bytes: the CSV of `results_csv`, with
/// as many steps as fit.
fn results_csv_of_size(epochs: u64, size: u64) -> Bytes {
    let header = results_csv(0);
    let header = std::str::from_utf8(&header).unwrap_or_default();
    let header = header.lines().next().unwrap_or_default().to_owned() + "\n";
    let mut rows = sized(
        size.saturating_sub(header.len() as u64),
        |step| {
            let loss = 1.0 / (step as f64 / epochs.max(1) as f64 + 1.0);
            format!(
                "{step},{},{},{loss:.4},{:.2},{:.4}\n",
                step * 1024,
                step * 8,
                1.0 - loss,
                1.0 - loss / 2.0
            )
        },
        |line, pad| {
            // Trailing zeros of the last figure.
            line.replacen('\n', &format!("{}\n", "0".repeat(pad)), 1)
        },
    )
    .to_vec();
    let mut csv = header.into_bytes();
    csv.append(&mut rows);
    csv.into()
}

/// Lines `line(1)`, `line(2)`, ... of exactly `size` bytes together, the
/// last one widened by `pad(line, bytes)`; nothing when `size` is smaller
/// than one line.
fn sized(size: u64, line: impl Fn(u64) -> String, pad: impl Fn(&str, usize) -> String) -> Bytes {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let mut out = String::new();
    let mut n = 1;
    loop {
        let next = line(n);
        let after = line(n + 1);
        // Room for this line and a whole next one: go on; else this one
        // takes the rest.
        if out.len() + next.len() + after.len() <= size {
            out.push_str(&next);
            n += 1;
            continue;
        }
        if out.len() + next.len() <= size {
            out.push_str(&pad(&next, size - out.len() - next.len()));
        }
        break;
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_files_have_exactly_the_size_their_object_says() {
        for size in [0, 10, 60, 61, 999, 81_509, 1_547_276] {
            let training = training_jsonl_of_size(size);
            let results = results_csv_of_size(4, size);
            // Too small for one line: empty.
            assert!(
                training.len() as u64 == size || training.is_empty(),
                "{size}"
            );
            assert!(
                results.len() as u64 == size || size < 100,
                "{size}: {}",
                results.len()
            );
            for line in std::str::from_utf8(&training).unwrap().lines() {
                let record: serde_json::Value = serde_json::from_str(line).unwrap();
                assert!(record["prompt"].is_string() && record["completion"].is_string());
            }
            let csv = std::str::from_utf8(&results).unwrap();
            for row in csv.lines().skip(1) {
                assert_eq!(row.split(',').count(), 6, "{row}");
                assert!(
                    row.split(',').all(|cell| cell.parse::<f64>().is_ok()),
                    "{row}"
                );
            }
        }
    }

    #[test]
    fn the_default_seed_names_no_missing_file_or_model() {
        let clock = Clock::new(0.0);
        let fixtures = Fixtures::default();
        let templates = Templates {
            file: json(&fixtures, OperationId::CreateFile).cloned().unwrap(),
            model: json(&fixtures, OperationId::RetrieveModel)
                .cloned()
                .unwrap(),
        };
        let state = seeded(&fixtures, &clock, &templates);
        for job in state.fine_tunes.iter() {
            for file in job.training_files.iter().chain(&job.result_files) {
                let Some(Json::String(id)) = file.get("id") else {
                    panic!()
                };
                assert!(state.files.contains(id), "{id}");
            }
            if let Some(model) = &job.fine_tuned_model {
                assert!(state.models.contains(model), "{model}");
            }
        }
    }
}
