// Every documented call through the official Node library of early 2023
// (openai@3.3.0, axios underneath), unchanged, against a running
// `openai-mock serve`.
//
//     node tests/node/official_client.js http://127.0.0.1:8080 sk-the-mock-key [stateless|stateful]
//
// The counterpart of tests/python/official_client.py, for the other client
// the docs were written for. The mock must be started with `--api-key` set to
// the key given here, and with `--stateless` or not as the third argument
// says. The library is used as its README and the docs use it: a
// `Configuration` with the key (and `basePath` for the mock), and plain calls.
// It has no Azure support of its own: Azure users pointed `basePath` at a
// deployment and passed the `api-key` header and `api-version` parameter as
// `baseOptions`, which is what the Azure check does. Streams are read as
// users of this library read them, with `{responseType: "stream"}` and their
// own `data:` parsing (the library has no stream support). The first check
// that fails stops the run with exit status 1.

"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { Configuration, OpenAIApi } = require("openai");

const ROOT = path.join(__dirname, "..", "..");
const FIXTURES = path.join(ROOT, "fixtures");
const DATA = path.join(ROOT, "tests", "data");
// Milliseconds a check may take: a stream that never ends would otherwise
// hang the run.
const WATCHDOG = 30000;

const [MOCK, KEY, MODE = "stateless"] = process.argv.slice(2);
const STATEFUL = MODE === "stateful";
if (!MOCK || !KEY || !["stateless", "stateful"].includes(MODE)) {
  console.error("usage: node official_client.js URL KEY [stateless|stateful]");
  process.exit(2);
}

const fixture = (name) => fs.readFileSync(path.join(FIXTURES, name));
const fixtureJson = (name) => JSON.parse(fixture(name));

function openai(apiKey = KEY) {
  return new OpenAIApi(
    new Configuration({
      apiKey,
      organization: "org-xpMoAv99i8jdZvhGXPfiRXug",
      basePath: `${MOCK}/v1`,
    }),
  );
}

// The data-only server-sent events of a `{responseType: "stream"}` answer,
// parsed as the library's users did: every `data:` line up to `[DONE]`.
async function events(stream) {
  let text = "";
  for await (const chunk of stream) text += chunk;
  const data = text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => line.slice("data: ".length));
  assert.equal(data.at(-1), "[DONE]", "the stream ends with [DONE]");
  return data.slice(0, -1).map((line) => JSON.parse(line));
}

// The axios error of a call the mock refuses, for its status and body.
async function refused(call) {
  try {
    await call();
  } catch (error) {
    assert.ok(error.response, `a refusal, not ${error}`);
    return error.response;
  }
  assert.fail("the call was answered, expected a refusal");
}

async function failNext(operation, fault) {
  const response = await fetch(`${MOCK}/__mock/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ operation, fault, calls: 1 }),
  });
  assert.equal(response.status, 204, "scheduling a fault");
}

const checks = [];
const check = (name, run) => checks.push({ name, run });

// ----- Models and engines -----------------------------------------------------

check("models", async () => {
  const api = openai();
  const { data: models } = await api.listModels();
  const ids = models.data.map((model) => model.id);
  const documented = fixtureJson("listModels/response.json").data.map((m) => m.id);
  if (STATEFUL) assert.ok(documented.every((id) => ids.includes(id)) && ids.includes("text-davinci-003"), ids);
  else assert.deepEqual(ids, documented);
  // The library's `Model` type requires these.
  for (const model of models.data) {
    assert.equal(typeof model.created, "number", `${model.id}.created`);
    assert.equal(typeof model.owned_by, "string", `${model.id}.owned_by`);
  }
  const { data: model } = await api.retrieveModel("text-davinci-003");
  assert.deepEqual([model.id, model.owned_by], ["text-davinci-003", "openai"]);
  // The library percent-encodes the colon of a fine-tuned model's id.
  const fineTuned = "curie:ft-acmeco-2021-03-03-21-44-20";
  assert.equal((await api.retrieveModel(fineTuned)).data.id, fineTuned);
  const { data: deleted } = await api.deleteModel(fineTuned);
  assert.deepEqual([deleted.id, deleted.deleted], [fineTuned, true]);
  if (STATEFUL) assert.equal((await refused(() => api.retrieveModel(fineTuned))).status, 404);
});

check("engines", async () => {
  const api = openai();
  const { data: engines } = await api.listEngines();
  assert.deepEqual(
    engines.data.map((engine) => engine.id),
    ["engine-id-0", "engine-id-2", "engine-id-3"],
  );
  const { data: engine } = await api.retrieveEngine("text-davinci-003");
  assert.deepEqual([engine.id, engine.ready], ["text-davinci-003", true]);
});

// ----- Completions, chat, edits -------------------------------------------------

check("completion", async () => {
  const { data } = await openai().createCompletion({
    model: "text-davinci-003",
    prompt: "Say this is a test",
    max_tokens: 7,
    temperature: 0,
  });
  assert.equal(data.choices[0].text, "\n\nThis is indeed a test");
  assert.equal(data.usage.total_tokens, 12);
});

check("completion batch, logprobs", async () => {
  const api = openai();
  const { data: batch } = await api.createCompletion({
    model: "curie",
    prompt: ["Once upon a time,", "The sky is", "Roses are red"],
    max_tokens: 20,
    n: 2,
  });
  assert.deepEqual(
    batch.choices.map((choice) => choice.index),
    [0, 1, 2, 3, 4, 5],
  );
  const { data } = await api.createCompletion({
    model: "curie",
    prompt: "Is this a test?",
    max_tokens: 1,
    logprobs: 2,
    echo: true,
    stop: ["\n"],
    logit_bias: { 50256: -100 },
    user: "user-1234",
  });
  assert.ok(data.choices[0].text.startsWith("Is this a test?"), "echo puts the prompt first");
  assert.ok("logprobs" in data.choices[0]);
});

check("completion stream", async () => {
  const response = await openai().createCompletion(
    { model: "text-davinci-003", prompt: "Say this is a test", max_tokens: 7, stream: true },
    { responseType: "stream" },
  );
  const chunks = await events(response.data);
  assert.equal(chunks.length, 7, "one chunk per token");
  assert.equal(chunks.map((c) => c.choices[0].text).join(""), "\n\nThis is indeed a test");
  assert.equal(chunks.at(-1).choices[0].finish_reason, "length");
});

check("chat", async () => {
  const api = openai();
  const messages = [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "Hello!", name: "alice" },
  ];
  const { data } = await api.createChatCompletion({ model: "gpt-3.5-turbo", messages });
  assert.deepEqual(data.choices[0].message, {
    role: "assistant",
    content: "\n\nHello there, how may I assist you today?",
  });
  const response = await api.createChatCompletion(
    { model: "gpt-3.5-turbo", messages, stream: true },
    { responseType: "stream" },
  );
  const chunks = await events(response.data);
  assert.equal(chunks[0].choices[0].delta.role, "assistant");
  assert.equal(
    chunks.map((c) => c.choices[0].delta.content ?? "").join(""),
    "\n\nHello there, how may I assist you today?",
  );
  assert.equal(chunks.at(-1).choices[0].finish_reason, "stop");
});

check("edit", async () => {
  const { data } = await openai().createEdit({
    model: "text-davinci-edit-001",
    input: "What day of the wek is it?",
    instruction: "Fix the spelling mistakes",
  });
  assert.equal(data.choices[0].text, "What day of the week is it?");
});

// ----- Images: multipart bodies sent chunked, file parts first ------------------

check("images", async () => {
  const api = openai();
  const otter = () => fs.createReadStream(path.join(DATA, "otter.png"));
  const { data: images } = await api.createImage({ prompt: "A cute baby sea otter", n: 2, size: "1024x1024" });
  assert.equal(images.data.length, 2);
  assert.ok(images.data.every((image) => image.url.startsWith("https://")));
  const { data: b64 } = await api.createImage({
    prompt: "A cute baby sea otter",
    size: "256x256",
    response_format: "b64_json",
  });
  const png = Buffer.from(b64.data[0].b64_json, "base64");
  assert.ok(png.subarray(0, 8).equals(Buffer.from("\x89PNG\r\n\x1a\n", "latin1")), "a base64 PNG");
  const { data: edited } = await api.createImageEdit(otter(), "A cute baby sea otter wearing a beret", otter(), 2, "1024x1024");
  assert.equal(edited.data.length, 2);
  const { data: variations } = await api.createImageVariation(otter(), 3, "1024x1024");
  assert.equal(variations.data.length, 3);
});

// ----- Embeddings and moderations -----------------------------------------------

check("embeddings", async () => {
  // This library asks for no encoding_format: the floats as printed.
  const documented = fixtureJson("createEmbedding/response.json").data[0].embedding;
  const { data } = await openai().createEmbedding({
    model: "text-embedding-ada-002",
    input: ["The food was delicious and the waiter...", "second"],
  });
  assert.deepEqual(
    data.data.map((d) => d.index),
    [0, 1],
  );
  assert.deepEqual(data.data[0].embedding, documented);
});

check("moderation", async () => {
  const { data } = await openai().createModeration({ input: "I want to kill them." });
  assert.equal(data.results[0].flagged, true);
  assert.equal(data.results[0].categories.violence, true);
});

// ----- Files and fine-tunes ------------------------------------------------------

const TRAINING = path.join(FIXTURES, "downloadFile", "response.jsonl");

check("files", async () => {
  const api = openai();
  const { data: uploaded } = await api.createFile(fs.createReadStream(TRAINING), "fine-tune");
  assert.deepEqual([uploaded.object, uploaded.bytes, uploaded.purpose], ["file", 140, "fine-tune"]);
  const { data: listed } = await api.listFiles();
  const { data: retrieved } = await api.retrieveFile(uploaded.id);
  if (STATEFUL) {
    assert.equal(listed.data.at(-1).id, uploaded.id, "the upload listed last");
    assert.deepEqual([retrieved.id, retrieved.bytes], [uploaded.id, 140]);
    // The API checks an upload: `uploaded`, then `processed`.
    let checked = retrieved;
    for (let polls = 0; !["processed", "error"].includes(checked.status); polls++) {
      assert.ok(polls < 200, "the file check never finished");
      await new Promise((resolve) => setTimeout(resolve, 50));
      checked = (await api.retrieveFile(uploaded.id)).data;
    }
    assert.equal(checked.status, "processed");
  } else {
    assert.equal(listed.data.length, 2);
    assert.equal(retrieved.id, uploaded.id);
  }
  // axios keeps a body that is not one JSON value as a string.
  const { data: content } = await api.downloadFile(uploaded.id);
  assert.equal(content, fs.readFileSync(TRAINING, "utf8"));
  const { data: deleted } = await api.deleteFile(uploaded.id);
  assert.deepEqual([deleted.id, deleted.deleted], [uploaded.id, true]);
  if (STATEFUL) assert.equal((await refused(() => api.retrieveFile(uploaded.id))).status, 404);
});

check("fine-tunes", async () => {
  const api = openai();
  let trainingFile = "file-XGinujblHPwGLSztz8cPS8XY";
  if (STATEFUL) trainingFile = (await api.createFile(fs.createReadStream(TRAINING), "fine-tune")).data.id;
  const { data: created } = await api.createFineTune({ training_file: trainingFile, model: "curie", n_epochs: 4 });
  assert.deepEqual([created.object, created.status, created.training_files[0].id], ["fine-tune", "pending", trainingFile]);
  const { data: listed } = await api.listFineTunes();
  if (STATEFUL) assert.equal(listed.data.at(-1).id, created.id);
  else assert.equal(listed.data.length, 3);
  const done = "ft-AF1WoRqd3aJAHsqc9NY7iL8F";
  const { data: job } = await api.retrieveFineTune(done);
  assert.deepEqual([job.status, job.fine_tuned_model], ["succeeded", "curie:ft-acmeco-2021-03-03-21-44-20"]);
  // The library sends a bodiless POST as an empty urlencoded form.
  const { data: cancelled } = await api.cancelFineTune(STATEFUL ? created.id : "ft-xhrpBbvVUzYGo8oUO1FY4nI7");
  assert.equal(cancelled.status, "cancelled");
  const { data: listedEvents } = await api.listFineTuneEvents(done);
  assert.equal(listedEvents.data.length, 5);
  // `stream` false and true go over the wire as `?stream=false|true`.
  assert.equal((await api.listFineTuneEvents(done, false)).data.data.length, 5);
  const response = await api.listFineTuneEvents(done, true, { responseType: "stream" });
  const streamed = await events(response.data);
  assert.deepEqual(
    streamed.map((event) => event.message),
    listedEvents.data.map((event) => event.message),
  );
});

// ----- Audio: the model after the file, formats as text ------------------------

check("audio", async () => {
  const api = openai();
  const mp3 = () => fs.createReadStream(path.join(DATA, "hello.mp3"));
  for (const [call, name] of [
    [(...args) => api.createTranscription(...args), "createTranscription"],
    [(...args) => api.createTranslation(...args), "createTranslation"],
  ]) {
    assert.equal((await call(mp3(), "whisper-1")).data.text, fixtureJson(`${name}/response.json`).text, name);
    const { data: verbose } = await call(mp3(), "whisper-1", undefined, "verbose_json");
    assert.equal(verbose.segments.map((s) => s.text).join(""), verbose.text, `${name} verbose_json`);
    for (const [format, ext] of [
      ["text", "txt"],
      ["srt", "srt"],
      ["vtt", "vtt"],
    ]) {
      const { data } = await call(mp3(), "whisper-1", "a prompt", format, 0);
      assert.equal(data, fixture(`${name}/${format}.${ext}`).toString(), `${name} ${format}`);
    }
  }
});

// ----- Errors: the status and the API's error body -----------------------------

check("errors", async () => {
  const wrongKey = await refused(() => openai("sk-not-the-mocks-key-0123456789").listModels());
  assert.equal(wrongKey.status, 401);
  assert.equal(wrongKey.data.error.code, "invalid_api_key");
  assert.ok(!JSON.stringify(wrongKey.data).includes("not-the-mocks-key"), "the key is masked");

  const api = openai();
  const invalid = await refused(() => api.createCompletion({ model: "text-davinci-003", prompt: "x", n: 0 }));
  assert.deepEqual([invalid.status, invalid.data.error.type, invalid.data.error.param], [400, "invalid_request_error", "n"]);

  await failNext("listModels", "rate_limit");
  const limited = await refused(() => api.listModels());
  assert.deepEqual([limited.status, limited.headers["retry-after"]], [429, "1"]);
  await failNext("createCompletion", "service_unavailable");
  assert.equal((await refused(() => api.createCompletion({ model: "text-davinci-003", prompt: "x" }))).status, 503);
  await failNext("createChatCompletion", "server_error");
  const serverError = await refused(() =>
    api.createChatCompletion({ model: "gpt-3.5-turbo", messages: [{ role: "user", content: "Hi" }] }),
  );
  assert.deepEqual([serverError.status, serverError.data.error.type], [500, "server_error"]);

  // A slow answer and axios's own timeout.
  await failNext("createEmbedding", "delay=2000");
  await assert.rejects(
    api.createEmbedding({ model: "text-embedding-ada-002", input: "x" }, { timeout: 500 }),
    (error) => error.code === "ECONNABORTED",
  );
  assert.ok((await api.listModels()).data.data.length >= 3, "the mock still works afterwards");
});

// ----- Azure: basePath at a deployment, the key and api-version as options ------

check("azure", async () => {
  const apiVersion = "2022-12-01";
  const authoring = async (method, route, body) => {
    const response = await fetch(`${MOCK}/openai${route}?api-version=${apiVersion}`, {
      method,
      headers: { "api-key": KEY, "content-type": "application/json" },
      body: body && JSON.stringify(body),
    });
    const text = await response.text();
    return [response.status, text && JSON.parse(text)];
  };
  // The library cannot create deployments: a user did it over plain HTTP.
  const [status, deployment] = await authoring("POST", "/deployments", {
    model: "text-davinci-002",
    scale_settings: { scale_type: "standard" },
  });
  assert.equal(status, 201);
  for (let polls = 0; STATEFUL; polls++) {
    assert.ok(polls < 200, "the deployment never finished");
    const [, current] = await authoring("GET", `/deployments/${deployment.id}`);
    if (current.status === "succeeded") break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const azure = new OpenAIApi(
    new Configuration({
      basePath: `${MOCK}/openai/deployments/${deployment.id}`,
      baseOptions: { headers: { "api-key": KEY }, params: { "api-version": apiVersion } },
    }),
  );
  // The library's types want a model; the deployment decides it anyway.
  const prompt = "The food was delicious and the waiter";
  const { data: completion } = await azure.createCompletion({ model: "text-davinci-002", prompt, stop: "." });
  assert.equal(completion.choices[0].text, "\n\nThis is indeed a test");
  const { data: embedding } = await azure.createEmbedding({ model: "text-embedding-ada-002", input: prompt });
  assert.equal(embedding.data[0].embedding.length, 1536);
  // Azure's own answer for a deployment it does not have.
  if (STATEFUL) {
    assert.deepEqual(await authoring("DELETE", `/deployments/${deployment.id}`), [204, ""]);
    const gone = await refused(() => azure.createCompletion({ model: "text-davinci-002", prompt }));
    assert.deepEqual([gone.status, gone.data.error.code], [404, "DeploymentNotFound"]);
  }
});

async function main() {
  assert.equal(require("openai/package.json").version, "3.3.0", "the library's version");
  // Back to the documented objects, whatever ran against the mock before
  // (a stateless mock has nothing to reset).
  if (STATEFUL) assert.equal((await fetch(`${MOCK}/__mock/reset`, { method: "POST" })).status, 200, "a reset");
  let passed = 0;
  for (const { name, run } of checks) {
    let timer;
    const watchdog = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the check took more than ${WATCHDOG} ms`)), WATCHDOG);
    });
    try {
      await Promise.race([run(), watchdog]);
    } catch (error) {
      console.error(error);
      console.error(`FAILED: ${name}`);
      console.log(`${passed} passed, 1 failed (the run stops at the first failure)`);
      process.exit(1);
    } finally {
      clearTimeout(timer);
    }
    passed += 1;
    console.log(`ok: ${name}`);
  }
  console.log(`${passed} passed, 0 failed`);
}

main();
