//! The answer from a fixture: its operation's fixture, reflecting the
//! request where the docs say so (ids from the path, the `model`, `n`
//! choices or images, one embedding or moderation result per input, the
//! formats asked for, `echo`). The handlers of the resources reflect the
//! rest (what an upload or a job was created with).

use std::borrow::Cow;

use bytes::Bytes;
use openai_rest_raw::operations::{Api, OPERATIONS, Operation, OperationId};

use crate::answer::{Answer, Body, DONE};
use crate::error::{ApiError, Invalid};
use crate::fixtures::{Content, Fixtures};
use crate::generation::{self, Ask, Completion};
use crate::input::Input;
use crate::json::Json;
use crate::params::{Params, Prompts};
use crate::routes::{self, Route};
use crate::token_budget::Budget;

/// How many choices, images or results one answer may hold: a bound on what
/// a request can make the mock build.
const MAX_ITEMS: usize = 2048;

/// The fixture's answer to `route`, reflecting `input`; `reflect` reflects
/// what only its handler knows of (called on JSON answers).
pub(crate) fn reply(
    fixtures: &Fixtures,
    route: &Route,
    input: &Input,
    params: &Params<'_>,
    budget: Option<&Budget>,
    reflect: impl FnOnce(&mut Cow<'_, Json>),
) -> Result<Answer, ApiError> {
    let operation = route.operation;
    let case = fixture_case(operation, input, params);
    let fixture = fixtures
        .case(operation.id, case)
        // Azure's authoring operations that answer as OpenAI does (a
        // file's content) have no case of their own.
        .or_else(|| fixtures.case(operation.id, self::case(operation.id, input, params)))
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
            shape(route, params, &mut doc)?;
            if let Some(budget) = budget {
                write(operation.id, input, params, budget, &mut doc);
            }
            reflect(&mut doc);
            Body::Full(match doc {
                // Nothing in the request changes the fixture: its bytes.
                Cow::Borrowed(_) => fixture.bytes.clone(),
                Cow::Owned(doc) => doc.to_bytes(true).into(),
            })
        }
        Content::Events(events) => match budget {
            Some(budget)
                if matches!(
                    operation.id,
                    OperationId::CreateCompletion | OperationId::CreateChatCompletion
                ) =>
            {
                Body::Events(write_events(operation.id, input, params, budget, events)?)
            }
            _ => Body::Events(shape_events(operation.id, params, events)?),
        },
        Content::Text | Content::Bytes | Content::Empty => Body::Full(fixture.bytes.clone()),
    };
    Ok(Answer::ok(fixture.content_type(), body))
}

/// The fixture case that answers `operation`: [`case`], or for Azure's
/// authoring API, whose objects are its own, its `azure` (`azure_stream`)
/// case of an operationId it shares with OpenAI. Where that case is
/// missing, OpenAI's answers.
pub(crate) fn fixture_case(
    operation: &Operation,
    input: &Input,
    params: &Params<'_>,
) -> &'static str {
    let case = case(operation.id, input, params);
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
pub(crate) fn case(operation: OperationId, input: &Input, params: &Params<'_>) -> &'static str {
    use OperationId::*;
    match operation {
        CreateCompletion | CreateChatCompletion if params.stream => "stream",
        ListFineTuneEvents if input.query_flag("stream") => "stream",
        CreateImage | CreateImageEdit | CreateImageVariation
            if params.response_format == Some("b64_json") =>
        {
            "b64_json"
        }
        CreateTranscription | CreateTranslation => match params.response_format {
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
/// copying the fixture (and making `value` a `Json`) only then.
pub(crate) fn set<T>(doc: &mut Cow<'_, Json>, key: &str, value: T)
where
    T: Into<Json>,
    Json: PartialEq<T>,
{
    if doc.get(key).is_some_and(|old| *old != value) {
        doc.to_mut().replace(key, value.into());
    }
}

/// Reflects the request in a JSON answer; `doc` stays the fixture itself
/// when nothing changes.
fn shape(route: &Route, params: &Params<'_>, doc: &mut Cow<'_, Json>) -> Result<(), Invalid> {
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
        set(doc, "id", id);
    }
    if let Some(model) = params.model {
        set(doc, "model", model);
    }
    match operation {
        CreateCompletion => {
            let prompts = params.prompts();
            let n = params.count();
            resize(doc, "choices", prompts.len() * n, "n")?;
            if params.echo {
                for (i, choice) in items(doc.to_mut(), "choices").iter_mut().enumerate() {
                    prepend_text(choice, prompts.text(i / n));
                }
            }
        }
        CreateChatCompletion | CreateEdit => resize(doc, "choices", params.count(), "n")?,
        CreateImage | CreateImageEdit | CreateImageVariation => {
            resize(doc, "data", params.count(), "n")?
        }
        CreateEmbedding => {
            resize(doc, "data", params.inputs(), "input")?;
            if params.encoding_format == Some("base64") {
                for item in items(doc.to_mut(), "data") {
                    if let Some(vector) = item.get_mut("embedding") {
                        *vector = base64_floats(vector);
                    }
                }
            }
        }
        CreateModeration => resize(doc, "results", params.inputs(), "input")?,
        _ => {}
    }
    Ok(())
}

/// A streamed answer: every event with the request's `model`, once per
/// choice (`n`, and each prompt of a completion), the first ones carrying
/// the echoed prompt.
fn shape_events(
    operation: OperationId,
    params: &Params<'_>,
    events: &[(Json, Bytes)],
) -> Result<Vec<Bytes>, Invalid> {
    let prompts = match operation {
        OperationId::CreateCompletion => params.prompts(),
        _ => Prompts::One(None),
    };
    let choices = match operation {
        OperationId::CreateCompletion | OperationId::CreateChatCompletion => {
            bounded(prompts.len() * params.count(), "n")?
        }
        _ => 1,
    };
    let n = choices / prompts.len();
    let mut out = Vec::with_capacity(events.len() * choices + 1);
    for (position, (original, raw)) in events.iter().enumerate() {
        for index in 0..choices {
            let mut event = Cow::Borrowed(original);
            if let Some(model) = params.model {
                set(&mut event, "model", model);
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
                && params.echo
                && let Some(choice) = items(event.to_mut(), "choices").first_mut()
            {
                prepend_text(choice, prompts.text(index / n));
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

/// How many choices a completion (each prompt's `n`) or a chat (`n`)
/// answers; none for other operations.
pub(crate) fn choices(operation: OperationId, params: &Params<'_>) -> usize {
    match operation {
        OperationId::CreateCompletion => params.prompts().len() * params.count(),
        OperationId::CreateChatCompletion => params.count(),
        _ => 0,
    }
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
    let numbered =
        |(i, item): (usize, &Json)| item.get("index").is_none_or(|index| *index == i as u64);
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

/// The same request, the same answer: a seed of the request's body (its
/// keys are sorted), made once per request.
fn request_seed(input: &Input, params: &Params<'_>) -> u64 {
    // Only log probabilities depend on it: no work without them.
    if params.logprobs.is_none() {
        return 0;
    }
    generation::seed(&[&serde_json::to_vec(&input.body).unwrap_or_default()])
}

/// What the model writes for choice `index` of a request: `natural` (the
/// fixture's text) cut and counted as the request and its budget say.
fn written(
    params: &Params<'_>,
    budget: &Budget,
    natural: &str,
    index: usize,
    seed: u64,
) -> Completion {
    let ask = Ask {
        encoding: budget.encoding,
        max_tokens: u32::try_from(budget.max_tokens).unwrap_or(u32::MAX),
        stop: &params.stop,
        logprobs: params.logprobs.map(|k| k.min(5) as u8),
        seed: generation::seed(&[&seed.to_le_bytes(), &index.to_le_bytes()]),
    };
    generation::complete(natural, &ask)
}

/// The `logprobs` object of a completion choice: its tokens (after the
/// prompt's, when echoed, whose first has no log probability), theirs, the
/// alternatives and where each token starts in the prompt and text.
fn logprobs_object(
    budget: &Budget,
    prompt: Option<&str>,
    echo: bool,
    completion: &Completion,
    seed: u64,
) -> Json {
    let mut tokens = Vec::new();
    let mut logprobs = Vec::new();
    let mut top = Vec::new();
    let mut offsets = Vec::new();
    let mut offset = prompt.map_or(0, |prompt| prompt.chars().count() as u64);
    if echo && let Some(prompt) = prompt {
        offset = 0;
        let echoed = generation::complete(
            prompt,
            &Ask {
                encoding: budget.encoding,
                max_tokens: u32::MAX,
                stop: &[],
                logprobs: None,
                seed,
            },
        );
        for (i, token) in echoed.tokens.iter().enumerate() {
            tokens.push(Json::from(&*token.text));
            logprobs.push(if i == 0 {
                Json::Null
            } else {
                number(token.logprob)
            });
            top.push(Json::Null);
            offsets.push(Json::from(offset));
            offset += token.text.chars().count() as u64;
        }
    }
    for token in &completion.tokens {
        tokens.push(Json::from(&*token.text));
        logprobs.push(number(token.logprob));
        top.push(Json::Object(
            token
                .top
                .iter()
                .map(|(word, logprob)| (word.clone(), number(*logprob)))
                .collect(),
        ));
        offsets.push(Json::from(offset));
        offset += token.text.chars().count() as u64;
    }
    Json::Object(vec![
        ("tokens".into(), Json::Array(tokens)),
        ("token_logprobs".into(), Json::Array(logprobs)),
        ("top_logprobs".into(), Json::Array(top)),
        ("text_offset".into(), Json::Array(offsets)),
    ])
}

fn number(value: f64) -> Json {
    serde_json::Number::from_f64(value).map_or(Json::Null, Json::Number)
}

/// Whether `item` has `key`, equal to `value`.
fn has<T>(item: &Json, key: &str, value: &T) -> bool
where
    Json: PartialEq<T>,
{
    item.get(key).is_some_and(|old| old == value)
}

/// Sets `key` of item `index` of the array `field` where its value differs,
/// copying the fixture (and making `value` a `Json`) only then.
fn set_item<T>(doc: &mut Cow<'_, Json>, field: &str, index: usize, key: &str, value: T)
where
    T: Into<Json>,
    Json: PartialEq<T>,
{
    let same = (doc.get(field).and_then(Json::as_array))
        .and_then(|items| items.get(index))
        .is_some_and(|item| has(item, key, &value));
    if !same && let Some(item) = items(doc.to_mut(), field).get_mut(index) {
        item.set(key, value.into());
    }
}

/// The text of a JSON answer's choices as the model writes it for the
/// request (see `generation`), and `usage` as counted: the prompt's tokens
/// with the model's encoding, the tokens written.
fn write(
    operation: OperationId,
    input: &Input,
    params: &Params<'_>,
    budget: &Budget,
    doc: &mut Cow<'_, Json>,
) {
    let mut completion_tokens = 0u64;
    let seed = request_seed(input, params);
    let choices = (doc.get("choices").and_then(Json::as_array)).map_or(0, <[Json]>::len);
    match operation {
        OperationId::CreateCompletion => {
            let prompts = params.prompts();
            let n = params.count().max(1);
            let echo = params.echo;
            let asks_logprobs = params.logprobs.is_some();
            for index in 0..choices {
                let prompt = prompts.text(index / n);
                let echoed = prompt.filter(|_| echo);
                let Some(choice) = (doc.get("choices").and_then(Json::as_array))
                    .and_then(|choices| choices.get(index))
                else {
                    continue;
                };
                let natural = natural_text(choice, echoed);
                let completion = written(params, budget, natural, index, seed);
                completion_tokens += completion.tokens.len() as u64;
                // The fixture's own text, most often: nothing to set but
                // an echo.
                let shown = if completion.is(natural) {
                    echoed.map(|prompt| format!("{prompt}{natural}"))
                } else {
                    let text = completion.text();
                    Some(match echoed {
                        Some(prompt) => format!("{prompt}{text}"),
                        None => text,
                    })
                };
                let reason = completion.finish_reason.as_str();
                let logprobs = if asks_logprobs {
                    let seed = generation::seed(&[b"echo", &index.to_le_bytes()]);
                    logprobs_object(budget, prompt, echo, &completion, seed)
                } else {
                    Json::Null
                };
                // Compared field by field with the fixture's choice, which
                // is copied only when one differs.
                let text = shown.filter(|shown| !has(choice, "text", &shown.as_str()));
                let reason = (!has(choice, "finish_reason", &reason)).then_some(reason);
                let logprobs = (choice.get("logprobs") != Some(&logprobs)).then_some(logprobs);
                if (text.is_some() || reason.is_some() || logprobs.is_some())
                    && let Some(choice) = items(doc.to_mut(), "choices").get_mut(index)
                {
                    if let Some(text) = text {
                        choice.set("text", Json::String(text));
                    }
                    if let Some(reason) = reason {
                        choice.set("finish_reason", reason.into());
                    }
                    if let Some(logprobs) = logprobs {
                        choice.set("logprobs", logprobs);
                    }
                }
            }
        }
        OperationId::CreateChatCompletion => {
            for index in 0..choices {
                let natural = (doc.get("choices").and_then(Json::as_array))
                    .and_then(|choices| choices.get(index))
                    .and_then(|choice| choice.get("message")?.get("content"))
                    .and_then(|content| match content {
                        Json::String(content) => Some(content.as_str()),
                        _ => None,
                    })
                    .unwrap_or_default();
                let completion = written(params, budget, natural, index, seed);
                // A finished reply ends with the end-of-message token,
                // which the API counted: the docs' 11 tokens of text are
                // 12 completion tokens.
                completion_tokens += completion.tokens.len() as u64
                    + u64::from(completion.finish_reason == generation::FinishReason::Stop);
                let same = completion.is(natural);
                if !same
                    && let Some(choice) = items(doc.to_mut(), "choices").get_mut(index)
                    && let Some(message) = choice.get_mut("message")
                {
                    message.set("content", Json::String(completion.text()));
                }
                set_item(
                    doc,
                    "choices",
                    index,
                    "finish_reason",
                    completion.finish_reason.as_str(),
                );
            }
        }
        _ => {}
    }
    let prompt_tokens = budget.prompt_tokens();
    let usage = doc.get("usage");
    let counted = |key: &str| usage.and_then(|usage| usage.get(key)?.as_u64());
    let unchanged = counted("prompt_tokens") == Some(prompt_tokens)
        && counted("total_tokens") == Some(prompt_tokens + completion_tokens)
        && (operation == OperationId::CreateEmbedding
            || counted("completion_tokens") == Some(completion_tokens));
    if unchanged {
        return;
    }
    let usage = match operation {
        OperationId::CreateEmbedding => Json::Object(vec![
            ("prompt_tokens".into(), prompt_tokens.into()),
            ("total_tokens".into(), prompt_tokens.into()),
        ]),
        _ => Json::Object(vec![
            ("prompt_tokens".into(), prompt_tokens.into()),
            ("completion_tokens".into(), completion_tokens.into()),
            (
                "total_tokens".into(),
                (prompt_tokens + completion_tokens).into(),
            ),
        ]),
    };
    set(doc, "usage", usage);
}

/// A completion choice's text as the fixture has it, without the prompt
/// `shape` echoed before it.
fn natural_text<'a>(choice: &'a Json, echoed: Option<&str>) -> &'a str {
    let text = match choice.get("text") {
        Some(Json::String(text)) => text.as_str(),
        _ => "",
    };
    match echoed {
        Some(prompt) => text.strip_prefix(prompt).unwrap_or(text),
        None => text,
    }
}

/// A streamed completion or chat as the model writes it for the request:
/// per choice, one event per token (a chat's first announcing the role, its
/// last the finish), each made from the fixture's event at its place, whose
/// bytes are kept where nothing differs; then `data: [DONE]`.
fn write_events(
    operation: OperationId,
    input: &Input,
    params: &Params<'_>,
    budget: &Budget,
    events: &[(Json, Bytes)],
) -> Result<Vec<Bytes>, Invalid> {
    let chat = operation == OperationId::CreateChatCompletion;
    // The fixture's events: a chat's role event, those with text, the rest.
    let content: Vec<&(Json, Bytes)> = events
        .iter()
        .filter(|(event, _)| streamed_text(event, chat).is_some())
        .collect();
    let Some(template) = content.last() else {
        return shape_events(operation, params, events);
    };
    let natural: String = content
        .iter()
        .filter_map(|(event, _)| streamed_text(event, chat))
        .collect();
    let role = events
        .first()
        .filter(|(event, _)| chat && streamed_text(event, chat).is_none());
    let finish = events
        .last()
        .filter(|(event, _)| chat && streamed_text(event, chat).is_none());
    // A stream written otherwise than a token an event, or with events of
    // its own (an error in the middle), is pinned: replayed as it is.
    let tokens = generation::token_texts(budget.encoding, &natural);
    let split_alike = tokens.len() == content.len()
        && (tokens.iter().zip(&content))
            .all(|(token, (event, _))| streamed_text(event, chat) == Some(&**token));
    let framing = usize::from(role.is_some()) + usize::from(finish.is_some());
    if !split_alike || events.len() != content.len() + framing {
        return shape_events(operation, params, events);
    }
    // What the fixture streams, ending as it does: its events as they are
    // (every choice writes the same text; only log probabilities, which
    // streams do not carry, differ).
    let seed = request_seed(input, params);
    let first = written(params, budget, &natural, 0, seed);
    let fixture_finish = (if chat {
        finish
    } else {
        content.last().copied()
    })
    .and_then(|(event, _)| {
        event
            .get("choices")?
            .as_array()?
            .first()?
            .get("finish_reason")
    });
    if first.is(&natural)
        && matches!(fixture_finish, Some(Json::String(reason)) if reason == first.finish_reason.as_str())
    {
        return shape_events(operation, params, events);
    }
    let prompts = if chat {
        Prompts::One(None)
    } else {
        params.prompts()
    };
    let choices = bounded(choices(operation, params).max(1), "n")?;
    let n = (choices / prompts.len()).max(1);
    let echo = !chat && params.echo;
    // The first choice's text, already written, keeps its place.
    let completions: Vec<Completion> = std::iter::once(first)
        .chain((1..choices).map(|index| written(params, budget, &natural, index, seed)))
        .collect();
    let mut out = Vec::new();
    let model = params.model;
    // An event as the template has it, or the template's own bytes when
    // nothing differs (most events, for the docs' request): no copy.
    let mut emit = |index: usize,
                    template: &(Json, Bytes),
                    text: Option<&str>,
                    // `Some(None)`: `finish_reason` null.
                    reason: Option<Option<&str>>| {
        let choice = (template.0.get("choices").and_then(Json::as_array)).and_then(<[Json]>::first);
        let unchanged = choice.is_some_and(|choice| {
                choice.get("index").and_then(Json::as_u64) == Some(index as u64)
                    && text.is_none_or(
                        |text| matches!(event_text(choice, chat), Some(Json::String(old)) if old == text),
                    )
                    && reason.is_none_or(|reason| match (reason, choice.get("finish_reason")) {
                        (None, Some(Json::Null)) => true,
                        (Some(reason), Some(Json::String(old))) => old == reason,
                        _ => false,
                    })
            }) && model.is_none_or(
                |model| matches!(template.0.get("model"), Some(Json::String(old)) if old == model),
            );
        if unchanged {
            out.push(template.1.clone());
            return;
        }
        let mut event = template.0.clone();
        if let Some(model) = model {
            event.replace("model", model.into());
        }
        if let Some(choice) = items(&mut event, "choices").first_mut() {
            choice.replace("index", (index as u64).into());
            if let Some(text) = text {
                match choice.get_mut("delta") {
                    Some(delta) if chat => delta.set("content", text.into()),
                    _ => choice.replace("text", text.into()),
                }
            }
            if let Some(reason) = reason {
                choice.replace("finish_reason", reason.map_or(Json::Null, Json::from));
            }
        }
        let mut line = b"data: ".to_vec();
        line.extend(event.to_bytes(false));
        line.extend(b"\n\n");
        out.push(Bytes::from(line));
    };
    // Position by position, every choice's event at each, as the choices
    // were written side by side.
    if let Some(role) = role {
        for index in 0..choices {
            emit(index, role, None, None);
        }
    }
    let longest = completions
        .iter()
        .map(|c| c.tokens.len())
        .max()
        .unwrap_or(0);
    for position in 0..longest {
        let template = content.get(position).copied().unwrap_or(template);
        for (index, completion) in completions.iter().enumerate() {
            let Some(token) = completion.tokens.get(position) else {
                continue;
            };
            let prompt = prompts.text(index / n).filter(|_| echo && position == 0);
            let text = match prompt {
                Some(prompt) => Cow::Owned(format!("{prompt}{}", token.text)),
                None => Cow::Borrowed(&*token.text),
            };
            let last = position + 1 == completion.tokens.len();
            // A completion's events say its finish on the last; a chat's on
            // an event of its own.
            let reason = (!chat).then(|| last.then(|| completion.finish_reason.as_str()));
            emit(index, template, Some(&text), reason);
        }
    }
    if let Some(finish) = finish {
        for (index, completion) in completions.iter().enumerate() {
            emit(
                index,
                finish,
                None,
                Some(Some(completion.finish_reason.as_str())),
            );
        }
    }
    out.push(Bytes::from_static(DONE));
    Ok(out)
}

/// The text a streamed choice carries: a completion's `text`, a chat's
/// `delta.content`.
fn event_text(choice: &Json, chat: bool) -> Option<&Json> {
    if chat {
        choice.get("delta")?.get("content")
    } else {
        choice.get("text")
    }
}

/// The text a streamed event's first choice carries, if any.
fn streamed_text(event: &Json, chat: bool) -> Option<&str> {
    let choice = event.get("choices")?.as_array()?.first()?;
    match event_text(choice, chat)? {
        Json::String(text) => Some(text.as_str()),
        _ => None,
    }
}
