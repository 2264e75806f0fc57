//! The answer from a fixture: its operation's fixture, reflecting the
//! request where the docs say so (ids from the path, the `model`, `n`
//! choices or images, one embedding or moderation result per input, the
//! formats asked for, `echo`). The handlers of the resources reflect the
//! rest (what an upload or a job was created with).

use std::borrow::Cow;

use bytes::Bytes;
use openai_rest_raw::operations::{Api, OPERATIONS, Operation, OperationId};
use serde_json::Value;

use crate::answer::{Answer, Body, DONE};
use crate::error::{ApiError, Invalid};
use crate::fixtures::{Content, Fixtures};
use crate::input::Input;
use crate::json::Json;
use crate::routes::{self, Route};

/// How many choices, images or results one answer may hold: a bound on what
/// a request can make the mock build.
const MAX_ITEMS: usize = 2048;

/// The fixture's answer to `route`, reflecting `input`; `reflect` reflects
/// what only its handler knows of (called on JSON answers).
pub(crate) fn reply(
    fixtures: &Fixtures,
    route: &Route,
    input: &Input,
    reflect: impl FnOnce(&mut Cow<'_, Json>),
) -> Result<Answer, ApiError> {
    let operation = route.operation;
    let case = fixture_case(operation, input);
    let fixture = fixtures
        .case(operation.id, case)
        // Azure's authoring operations that answer as OpenAI does (a
        // file's content) have no case of their own.
        .or_else(|| fixtures.case(operation.id, self::case(operation.id, input)))
        // The image operations share createImage's base64 images.
        .or_else(|| {
            fixtures
                .case(OperationId::CreateImage, case)
                .filter(|_| case == "b64_json")
        })
        .ok_or_else(|| {
            ApiError::invalid_request(
                404,
                format!("openai-rest-mock has no fixture {}/{case}", operation.id),
            )
        })?;
    let body = match &fixture.content {
        Content::Json(original) => {
            let mut doc = Cow::Borrowed(original);
            shape(route, input, &mut doc)?;
            reflect(&mut doc);
            Body::Full(match doc {
                // Nothing in the request changes the fixture: its bytes.
                Cow::Borrowed(_) => fixture.bytes.clone(),
                Cow::Owned(doc) => doc.to_bytes(true).into(),
            })
        }
        Content::Events(events) => Body::Events(shape_events(operation.id, input, events)?),
        Content::Text | Content::Bytes | Content::Empty => Body::Full(fixture.bytes.clone()),
    };
    Ok(Answer::ok(fixture.content_type(), body))
}

/// The fixture case that answers `operation`: [`case`], or for Azure's
/// authoring API, whose objects are its own, its `azure` (`azure_stream`)
/// case of an operationId it shares with OpenAI. Where that case is
/// missing, OpenAI's answers.
pub(crate) fn fixture_case(operation: &Operation, input: &Input) -> &'static str {
    let case = case(operation.id, input);
    let shared = || {
        OPERATIONS
            .iter()
            .any(|other| other.id == operation.id && other.api == Api::OpenAi)
    };
    if !(routes::is_azure_authoring(operation) && shared()) {
        return case;
    }
    match case {
        "stream" => "azure_stream",
        _ => "azure",
    }
}

/// Which fixture of the operation answers: `response`, or the case the
/// request asks for.
pub(crate) fn case(operation: OperationId, input: &Input) -> &'static str {
    use OperationId::*;
    let streams = input.body.get("stream") == Some(&Value::Bool(true));
    match operation {
        CreateCompletion | CreateChatCompletion if streams => "stream",
        ListFineTuneEvents if input.query_flag("stream") => "stream",
        CreateImage | CreateImageEdit | CreateImageVariation
            if input.text("response_format") == Some("b64_json") =>
        {
            "b64_json"
        }
        CreateTranscription | CreateTranslation => match input.text("response_format") {
            Some("text") => "text",
            Some("srt") => "srt",
            Some("vtt") => "vtt",
            Some("verbose_json") => "verbose_json",
            _ => "response",
        },
        _ => "response",
    }
}

/// Sets `key` of `doc` where the fixture has it and its value differs,
/// copying the fixture only then.
pub(crate) fn set(doc: &mut Cow<'_, Json>, key: &str, value: Json) {
    if doc.get(key).is_some_and(|old| *old != value) {
        doc.to_mut().replace(key, value);
    }
}

/// Reflects the request in a JSON answer; `doc` stays the fixture itself
/// when nothing changes.
fn shape(route: &Route, input: &Input, doc: &mut Cow<'_, Json>) -> Result<(), Invalid> {
    use OperationId::*;
    let operation = route.operation.id;
    // The resource named in the path is the one answered.
    if matches!(
        operation,
        RetrieveModel
            | DeleteModel
            | RetrieveEngine
            | RetrieveFile
            | DeleteFile
            | RetrieveFineTune
            | CancelFineTune
            | RetrieveDeployment
            | UpdateDeployment
    ) && let Some(id) = route.param()
    {
        set(doc, "id", id.into());
    }
    if let Some(model) = input.text("model") {
        set(doc, "model", model.into());
    }
    match operation {
        CreateCompletion => {
            let prompts = prompts(input);
            let n = count(input);
            resize(doc, "choices", prompts.len() * n, "n")?;
            if echoes(input) {
                for (i, choice) in items(doc.to_mut(), "choices").iter_mut().enumerate() {
                    prepend_text(choice, prompts[i / n]);
                }
            }
        }
        CreateChatCompletion | CreateEdit => resize(doc, "choices", count(input), "n")?,
        CreateImage | CreateImageEdit | CreateImageVariation => {
            resize(doc, "data", count(input), "n")?
        }
        CreateEmbedding => {
            resize(doc, "data", inputs(input), "input")?;
            if input.text("encoding_format") == Some("base64") {
                for item in items(doc.to_mut(), "data") {
                    if let Some(vector) = item.get_mut("embedding") {
                        *vector = base64_floats(vector);
                    }
                }
            }
        }
        CreateModeration => resize(doc, "results", inputs(input), "input")?,
        _ => {}
    }
    Ok(())
}

/// A streamed answer: every event with the request's `model`, once per
/// choice (`n`, and each prompt of a completion), the first ones carrying
/// the echoed prompt.
fn shape_events(
    operation: OperationId,
    input: &Input,
    events: &[(Json, Bytes)],
) -> Result<Vec<Bytes>, Invalid> {
    let prompts = match operation {
        OperationId::CreateCompletion => prompts(input),
        _ => vec![None],
    };
    let choices = match operation {
        OperationId::CreateCompletion | OperationId::CreateChatCompletion => {
            bounded(prompts.len() * count(input), "n")?
        }
        _ => 1,
    };
    let n = choices / prompts.len();
    let mut out = Vec::with_capacity(events.len() * choices + 1);
    for (position, (original, raw)) in events.iter().enumerate() {
        for index in 0..choices {
            let mut event = Cow::Borrowed(original);
            if let Some(model) = input.text("model") {
                set(&mut event, "model", model.into());
            }
            let numbered = Json::from(index as u64);
            let old_index = (event.get("choices").and_then(Json::as_array))
                .and_then(<[Json]>::first)
                .and_then(|choice| choice.get("index"));
            if old_index.is_some_and(|old| *old != numbered)
                && let Some(choice) = items(event.to_mut(), "choices").first_mut()
            {
                choice.replace("index", numbered);
            }
            if position == 0
                && echoes(input)
                && let Some(choice) = items(event.to_mut(), "choices").first_mut()
            {
                prepend_text(choice, prompts[index / n]);
            }
            out.push(match event {
                Cow::Borrowed(_) => raw.clone(),
                Cow::Owned(event) => {
                    let mut line = b"data: ".to_vec();
                    line.extend(event.to_bytes(false));
                    line.extend(b"\n\n");
                    line.into()
                }
            });
        }
    }
    out.push(Bytes::from_static(DONE));
    Ok(out)
}

/// An embedding as `encoding_format: base64` answers it: the base64 of its
/// numbers as little-endian float32s.
fn base64_floats(vector: &Json) -> Json {
    use base64::Engine as _;
    let Some(numbers) = vector.as_array() else {
        return vector.clone();
    };
    let bytes: Vec<u8> = numbers
        .iter()
        .flat_map(|number| {
            let value = match number {
                Json::Number(number) => number.as_f64().unwrap_or_default() as f32,
                _ => 0.0,
            };
            value.to_le_bytes()
        })
        .collect();
    Json::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// `n`: how many choices or images per prompt.
fn count(input: &Input) -> usize {
    input
        .body
        .get("n")
        .and_then(Value::as_u64)
        .map_or(1, |n| n as usize)
}

/// How many inputs an embedding or moderation request has: a string or an
/// array of tokens is one, an array of strings or of token arrays is one per
/// item.
fn inputs(input: &Input) -> usize {
    match input.body.get("input") {
        Some(Value::Array(items)) if !items.iter().all(Value::is_number) => items.len().max(1),
        _ => 1,
    }
}

/// A completion's prompts, with their text where it has one (not tokens).
fn prompts(input: &Input) -> Vec<Option<&str>> {
    match input.body.get("prompt") {
        Some(Value::Array(items)) if !items.is_empty() && !items.iter().all(Value::is_number) => {
            items.iter().map(Value::as_str).collect()
        }
        Some(Value::String(text)) => vec![Some(text)],
        _ => vec![None],
    }
}

fn echoes(input: &Input) -> bool {
    input.body.get("echo") == Some(&Value::Bool(true))
}

fn prepend_text(choice: &mut Json, prompt: Option<&str>) {
    if let (Some(prompt), Some(Json::String(text))) = (prompt, choice.get_mut("text")) {
        text.insert_str(0, prompt);
    }
}

pub(crate) fn items<'a>(doc: &'a mut Json, field: &str) -> &'a mut [Json] {
    match doc.get_mut(field).and_then(Json::as_array_mut) {
        Some(items) => items,
        None => &mut [],
    }
}

fn bounded(count: usize, param: &str) -> Result<usize, Invalid> {
    if count > MAX_ITEMS {
        return Err(Invalid::new(
            Some(param),
            format!(
                "openai-rest-mock answers at most {MAX_ITEMS} items per request; this one asks for {count}"
            ),
        ));
    }
    Ok(count)
}

/// Makes the array `field` hold `count` items, cycling through the
/// fixture's and numbering their `index`; the fixture itself when it
/// already does.
fn resize(doc: &mut Cow<'_, Json>, field: &str, count: usize, param: &str) -> Result<(), Invalid> {
    let count = bounded(count, param)?;
    let Some(items) = doc.get(field).and_then(Json::as_array) else {
        return Ok(());
    };
    let numbered = |(i, item): (usize, &Json)| {
        item.get("index")
            .is_none_or(|index| *index == Json::from(i as u64))
    };
    if items.is_empty() || (items.len() == count && items.iter().enumerate().all(numbered)) {
        return Ok(());
    }
    let Some(items) = doc.to_mut().get_mut(field).and_then(Json::as_array_mut) else {
        return Ok(());
    };
    let template = std::mem::take(items);
    *items = (0..count)
        .map(|i| {
            let mut item = template[i % template.len()].clone();
            item.replace("index", (i as u64).into());
            item
        })
        .collect();
    Ok(())
}
