//! The fine-tunes: created (after checking their files and base model),
//! listed, retrieved, cancelled, deleted (Azure) and their events listed or
//! followed live, from the store, shown in OpenAI's or Azure's shape; from
//! the fixtures when stateless.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use openai_rest_raw::operations::{Api, OperationId};

use crate::answer::{Answer, Body, DONE, Live, LiveStream};
use crate::azure_shapes;
use crate::error::ApiError;
use crate::handlers::Call;
use crate::input::Input;
use crate::json::Json;
use crate::replies::items;
use crate::store::fine_tunes::{Event, JOB_ENDS, Job, JobStatus, ORGANIZATION, utc_stamp};
use crate::store::ids::new_id;
use crate::store::{State, Store};

/// The most epochs a fine-tune may ask for: each adds an event.
const MAX_EPOCHS: u64 = 1024;

/// A job in the shape of `api`.
fn shown(job: &Job, api: Api) -> Json {
    match api {
        Api::OpenAi => job.to_openai(),
        Api::Azure => azure_shapes::fine_tune(&job.to_openai()),
    }
}

fn shown_event(event: &Event, api: Api) -> Json {
    match api {
        Api::OpenAi => event.to_openai(),
        Api::Azure => azure_shapes::event(&event.to_openai()),
    }
}

/// A fine-tune's `hyperparams` as the request sets them.
fn set_hyperparams(job: &mut Json, input: &Input) {
    if let Some(hyperparams) = job.get_mut("hyperparams") {
        for key in [
            "batch_size",
            "learning_rate_multiplier",
            "n_epochs",
            "prompt_loss_weight",
        ] {
            if let Some(value) = input.body.get(key).filter(|value| value.is_number()) {
                hyperparams.replace(key, value.into());
            }
        }
    }
}

pub(crate) fn create(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let input = call.input;
    let Some(store) = call.store else {
        return call.fixture_answer(|doc| {
            let doc = doc.to_mut();
            if let (Some(id), Some(file)) = (
                input.text("training_file"),
                items(doc, "training_files").first_mut(),
            ) {
                file.replace("id", id.into());
            }
            set_hyperparams(doc, input);
        });
    };
    let mut object = call.fixture_json(OperationId::CreateFineTune)?;
    set_hyperparams(&mut object, input);
    let epochs = (object.get("hyperparams"))
        .and_then(|hyperparams| hyperparams.get("n_epochs"))
        .and_then(|n| match n {
            Json::Number(n) => n.as_u64(),
            _ => None,
        })
        .unwrap_or(4);
    if epochs > MAX_EPOCHS {
        return Err(ApiError {
            param: Some("n_epochs".into()),
            ..ApiError::invalid_request(
                400,
                format!(
                    "openai-rest-mock runs at most {MAX_EPOCHS} epochs; this fine-tune asks for {epochs}"
                ),
            )
        });
    }
    let base = input.text("model").unwrap_or("curie").to_owned();
    let mut state = store.lock();
    let training = input.text("training_file").unwrap_or_default();
    let training = fine_tune_file(&state, training, "training_file")?;
    let validation = match input.text("validation_file") {
        Some(id) => vec![fine_tune_file(&state, id, "validation_file")?],
        None => vec![],
    };
    let base_ok = ["ada", "babbage", "curie", "davinci"].contains(&base.as_str());
    if !(base_ok || state.models.is_owned(&base)) {
        return Err(ApiError {
            param: Some("model".into()),
            ..ApiError::invalid_request(
                400,
                format!(
                    "Invalid base model: {base} (model must be one of ada, babbage, curie, \
                     davinci) or a fine-tuned model created by your organization"
                ),
            )
        });
    }
    let clock = store.clock();
    let created = clock.elapsed();
    let unix = clock.unix_at(created);
    // A fine-tuned model is named after its base model (the root of a
    // fine-tuned one), the organization and the time it was made.
    let root = base.split(':').next().unwrap_or(&base);
    let suffix = input
        .text("suffix")
        .map(|s| format!(":{s}"))
        .unwrap_or_default();
    let mut planned_model;
    let mut at = clock.unix_at(created + JOB_ENDS);
    loop {
        planned_model = format!("{root}:ft-{ORGANIZATION}{suffix}-{}", utc_stamp(at));
        // Two jobs ending within the same second still make two models.
        if !(state.fine_tunes.plans(&planned_model) || state.models.contains(&planned_model)) {
            break;
        }
        at += 1;
    }
    object.replace("id", new_id("ft-").as_str().into());
    let mut job =
        Job::from_object(object).ok_or_else(|| ApiError::storage("the fixture has no id"))?;
    job.model = Some(base);
    job.created_at = Some(unix);
    job.updated_at = Some(unix);
    job.events = Vec::new();
    job.fine_tuned_model = None;
    job.result_files = Vec::new();
    job.status = JobStatus::Pending;
    job.training_files = vec![training];
    job.validation_files = validation;
    job.epochs = epochs;
    job.planned_model = planned_model;
    job.result_file = new_id("file-");
    job.created = created;
    job.next_step = Some(0);
    let id = job.id.clone();
    state.fine_tunes.put(job);
    // Its first steps are due now.
    drop(state);
    store.advance();
    let state = store.lock();
    let mut shown = shown(state.fine_tunes.get(&id)?, call.api());
    // Azure's answer to a create has no events yet (its example's).
    if call.api() == Api::Azure {
        shown.remove("events");
    }
    Ok(Answer::json(&shown))
}

/// The file a fine-tune names as `param`, which must exist with purpose
/// `fine-tune` (and not be a failed import), as the job shows it.
fn fine_tune_file(state: &State, id: &str, param: &str) -> Result<Json, ApiError> {
    let file = state.files.get(id).map_err(|_| ApiError {
        param: Some(param.into()),
        ..ApiError::invalid_request(400, format!("No such File object: {id}"))
    })?;
    // OpenAI's word for a file that failed its check: only a failed import
    // (Azure's `failed`) does.
    if file.status == crate::store::files::FileStatus::Error {
        return Err(ApiError {
            param: Some(param.into()),
            ..ApiError::invalid_request(
                400,
                format!("File {id} failed to import; a fine-tune needs a file that did not fail"),
            )
        });
    }
    // `fine-tune-train` is how the docs' jobs show their training file.
    match file.purpose.as_deref() {
        Some("fine-tune" | "fine-tune-train") => Ok(file.to_openai()),
        purpose => Err(ApiError {
            param: Some(param.into()),
            ..ApiError::invalid_request(
                400,
                format!(
                    "File {id} has purpose '{}'; a fine-tune needs a file uploaded with purpose 'fine-tune'",
                    purpose.unwrap_or_default()
                ),
            )
        }),
    }
}

/// OpenAI's list leaves each job's events out; Azure's has them.
pub(crate) fn list(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        return call.fixture_answer(|_| {});
    };
    let api = call.api();
    let items = (store.lock().fine_tunes.iter())
        .map(|job| {
            let mut job = shown(job, api);
            if api == Api::OpenAi {
                job.remove("events");
            }
            job
        })
        .collect();
    call.list_answer(items)
}

pub(crate) fn retrieve(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        return call.fixture_answer(|_| {});
    };
    let state = store.lock();
    Ok(Answer::json(&shown(
        state.fine_tunes.get(call.id())?,
        call.api(),
    )))
}

pub(crate) fn cancel(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        return call.fixture_answer(|_| {});
    };
    let unix = store.clock().unix();
    let mut state = store.lock();
    let job = state.fine_tunes.get_mut(call.id())?;
    job.cancel(unix)?;
    Ok(Answer::json(&shown(job, call.api())))
}

/// Azure's fine-tune delete (OpenAI has none): the job goes, its events
/// with it; its files and fine-tuned model stay.
pub(crate) fn delete(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        return call.fixture_answer(|_| {});
    };
    store.lock().fine_tunes.delete(call.id())?;
    Ok(Answer::no_content())
}

/// A job's events: listed, or with `?stream=true` followed.
pub(crate) fn events(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let Some(store) = call.store else {
        return call.fixture_answer(|_| {});
    };
    let (id, api) = (call.id(), call.api());
    if call.input.query_flag("stream") {
        return follow(store, id, api);
    }
    let mut envelope = call.fixture_json(OperationId::ListFineTuneEvents)?;
    let state = store.lock();
    let job = state.fine_tunes.get(id)?;
    let events = job.events.iter().map(|event| shown_event(event, api));
    envelope.replace("data", Json::Array(events.collect()));
    Ok(Answer::json(&envelope))
}

/// The events of job `id` after the first `seen`, whether it has ended, and
/// how long to wait (wall time) before its next step is due; `None` when
/// there is no such job (any more, after a reset).
fn events_since(
    store: &Store,
    id: &str,
    api: Api,
    seen: usize,
) -> Option<(Vec<Bytes>, bool, Duration)> {
    const POLL: Duration = Duration::from_millis(100);
    // Time moves for a follower too, between requests.
    store.advance();
    let state = store.lock();
    let job = state.fine_tunes.get(id).ok()?;
    let events = (job.events.iter().skip(seen))
        .map(|event| event_bytes(&shown_event(event, api)))
        .collect();
    let wait = (job.next_step_at())
        .and_then(|at| store.clock().wall_until(at))
        .map_or(POLL, |wait| wait.min(POLL));
    Some((events, job.next_step.is_none(), wait))
}

/// `?stream=true`: the events so far, then (standalone server) each one as
/// it happens, and `data: [DONE]` once the job has ended.
fn follow(store: &Arc<Store>, id: &str, api: Api) -> Result<Answer, ApiError> {
    let (mut now, has_ended, _) = (events_since(store, id, api, 0))
        .ok_or_else(|| crate::store::fine_tunes::no_such_job(id))?;
    let rest = if has_ended {
        now.push(Bytes::from_static(DONE));
        None
    } else {
        Some(following(store.clone(), id.to_owned(), api, now.len()))
    };
    Ok(Answer::ok(
        Some("text/event-stream"),
        Body::Live(Live { now, rest }),
    ))
}

/// The events after the first `seen` as they happen, then `[DONE]`.
fn following(store: Arc<Store>, id: String, api: Api, seen: usize) -> LiveStream {
    use futures::StreamExt;
    let events = futures::stream::unfold(Some((store, id, seen)), move |following| async move {
        let (store, id, seen) = following?;
        loop {
            let (mut fresh, has_ended, wait) =
                (events_since(&store, &id, api, seen)).unwrap_or((vec![], true, Duration::ZERO));
            if has_ended {
                fresh.push(Bytes::from_static(DONE));
                return Some((futures::stream::iter(fresh), None));
            }
            if !fresh.is_empty() {
                let seen = seen + fresh.len();
                return Some((futures::stream::iter(fresh), Some((store, id, seen))));
            }
            tokio::time::sleep(wait).await;
        }
    })
    .flatten();
    Box::pin(events)
}

/// One event as a server-sent event.
fn event_bytes(event: &Json) -> Bytes {
    let mut line = b"data: ".to_vec();
    line.extend(event.to_bytes(false));
    line.extend(b"\n\n");
    line.into()
}
