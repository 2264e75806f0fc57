// The calls of official_client.js that the API still has, through today's
// official Node library (openai 4.x, pinned in package.json under the name
// `openai-current`), against a running `openai-mock serve`.
//
//     node tests/node/current_sdk.js http://127.0.0.1:8080 sk-the-mock-key [stateless|stateful]
//
// The counterpart of tests/python/current_sdk.py. The library is used as its
// README shows: `new OpenAI({ baseURL })` (and `AzureOpenAI` for Azure),
// plain calls, and every list iterated to its end with `for await`, as a
// user iterates it. Each check runs under a watchdog and each request under
// the client's own timeout, so that a list paged without end fails the run
// instead of hanging it. The first check that fails stops the run with exit
// status 1.

"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { OpenAI, AzureOpenAI, toFile } = require("openai-current");

const ROOT = path.join(__dirname, "..", "..");
const FIXTURES = path.join(ROOT, "fixtures");
const DATA = path.join(ROOT, "tests", "data");
// Milliseconds a check may take, its lists paged to the end; one request.
const WATCHDOG = 30000;
const REQUEST_TIMEOUT = 10000;

const [MOCK, KEY, MODE = "stateless"] = process.argv.slice(2);
const STATEFUL = MODE === "stateful";
if (!MOCK || !KEY || !["stateless", "stateful"].includes(MODE)) {
  console.error("usage: node current_sdk.js URL KEY [stateless|stateful]");
  process.exit(2);
}

const fixtureJson = (name) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name)));

const client = (options = {}) =>
  new OpenAI({
    baseURL: `${MOCK}/v1`,
    apiKey: KEY,
    organization: "org-xpMoAv99i8jdZvhGXPfiRXug",
    timeout: REQUEST_TIMEOUT,
    maxRetries: 0,
    ...options,
  });

// Every item of a list, paged as the library pages it.
async function all(list) {
  const items = [];
  for await (const item of list) items.push(item);
  return items;
}

async function waitForStatus(retrieve, final, what) {
  for (let polls = 0; polls < 200; polls += 1) {
    const item = await retrieve();
    if (final.includes(item.status)) return item;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`${what} never finished`);
}

async function failNext(operation, fault) {
  const response = await fetch(`${MOCK}/__mock/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ operation, fault, calls: 1 }),
  });
  assert.equal(response.status, 204, "scheduling a fault");
}

const TRAINING = '{"prompt": "a ->", "completion": " b\\n"}\n{"prompt": "c ->", "completion": " d\\n"}\n';
const training = () => toFile(Buffer.from(TRAINING), "train.jsonl");

const checks = [];
const check = (name, run) => checks.push({ name, run });

check("models", async () => {
  const ids = (await all(client().models.list())).map((model) => model.id);
  const documented = fixtureJson("listModels/response.json").data.map((m) => m.id);
  if (STATEFUL) assert.ok(documented.every((id) => ids.includes(id)) && ids.includes("gpt-3.5-turbo"), ids);
  else assert.deepEqual(ids, documented);
  const model = await client().models.retrieve("text-davinci-003");
  assert.equal(model.id, "text-davinci-003");
  assert.equal(typeof model.created, "number");
});

check("completions", async () => {
  const completion = await client().completions.create({
    model: "text-davinci-003",
    prompt: "Say this is a test",
    max_tokens: 7,
    temperature: 0,
  });
  assert.equal(completion.object, "text_completion");
  assert.ok(completion.choices[0].text);
  assert.ok(completion.usage.total_tokens > 0);
  const stream = await client().completions.create({ model: "text-davinci-003", prompt: "Say this is a test", stream: true });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0].text;
  assert.ok(text, "a streamed completion has text");
});

check("chat", async () => {
  const messages = [{ role: "user", content: "Hello!" }];
  const completion = await client().chat.completions.create({ model: "gpt-3.5-turbo", messages });
  assert.equal(completion.choices[0].message.role, "assistant");
  assert.ok(completion.choices[0].message.content);
  const stream = await client().chat.completions.create({ model: "gpt-3.5-turbo", messages, stream: true });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.equal(chunks[0].choices[0].delta.role, "assistant");
  assert.ok(chunks.map((c) => c.choices[0].delta.content ?? "").join(""));
});

check("parameters the 2023 API did not know are refused by name", async () => {
  try {
    await client().chat.completions.create({ model: "gpt-3.5-turbo", messages: [{ role: "user", content: "Hi" }], seed: 7 });
  } catch (error) {
    assert.ok(error instanceof OpenAI.BadRequestError, `${error}`);
    assert.match(error.message, /seed/);
    return;
  }
  assert.fail("a chat request with `seed` was answered");
});

check("embeddings", async () => {
  // The library asks for base64 unless told otherwise, and decodes it.
  const response = await client().embeddings.create({ model: "text-embedding-ada-002", input: "The food was delicious" });
  assert.equal(response.data[0].embedding.length, 1536);
  assert.equal(typeof response.data[0].embedding[0], "number");
  const floats = await client().embeddings.create({ model: "text-embedding-ada-002", input: ["a", "b"], encoding_format: "float" });
  assert.deepEqual(floats.data.map((item) => item.index), [0, 1]);
});

check("moderations", async () => {
  const response = await client().moderations.create({ input: "I want to kill them." });
  assert.equal(response.results.length, 1);
  assert.equal(typeof response.results[0].flagged, "boolean");
});

check("images", async () => {
  const generated = await client().images.generate({ prompt: "A cute baby sea otter", n: 2, size: "256x256" });
  assert.equal(generated.data.length, 2);
  assert.ok(generated.data[0].url);
  const otter = () => fs.createReadStream(path.join(DATA, "otter.png"));
  const edited = await client().images.edit({ image: otter(), prompt: "An otter with a hat" });
  assert.equal(edited.data.length, 1);
  const varied = await client().images.createVariation({ image: otter(), response_format: "b64_json" });
  assert.ok(varied.data[0].b64_json);
});

check("audio", async () => {
  const hello = () => fs.createReadStream(path.join(DATA, "hello.mp3"));
  const transcription = await client().audio.transcriptions.create({ model: "whisper-1", file: hello() });
  assert.ok(transcription.text);
  const text = await client().audio.translations.create({ model: "whisper-1", file: hello(), response_format: "text" });
  assert.equal(typeof text, "string");
  assert.ok(text);
});

check("files, listed to the end", async () => {
  const api = client();
  const documented = fixtureJson("listFiles/response.json").data.map((f) => f.id);
  const before = (await all(api.files.list())).map((f) => f.id);
  assert.ok(documented.every((id) => before.includes(id)), before);
  const uploaded = await api.files.create({ file: await training(), purpose: "fine-tune" });
  assert.equal(uploaded.bytes, TRAINING.length);
  const listed = (await all(api.files.list())).map((f) => f.id);
  assert.equal(new Set(listed).size, listed.length, "no file listed twice");
  if (STATEFUL) {
    assert.ok(listed.includes(uploaded.id), "the upload is listed");
    // Paged two at a time, the library finds every file once.
    assert.deepEqual((await all(api.files.list({ limit: 2 }))).map((f) => f.id), listed);
    await waitForStatus(() => api.files.retrieve(uploaded.id), ["processed"], "the upload's check");
    const content = await api.files.content(uploaded.id);
    assert.equal(await content.text(), TRAINING);
    assert.equal((await api.files.del(uploaded.id)).deleted, true);
    try {
      await api.files.retrieve(uploaded.id);
      assert.fail("a deleted file was found");
    } catch (error) {
      assert.ok(error instanceof OpenAI.NotFoundError, `${error}`);
    }
    // The docs' clean-up: every file deleted while the list is paged.
    for await (const file of api.files.list()) await api.files.del(file.id);
    assert.deepEqual(await all(api.files.list()), []);
  } else {
    assert.deepEqual(listed, documented);
    const first = await api.files.list({ limit: 1 });
    assert.deepEqual(first.data.map((f) => f.id), documented.slice(0, 1));
    assert.equal(first.hasNextPage(), documented.length > 1);
  }
});

check("errors", async () => {
  try {
    await client({ apiKey: "sk-wrong-key-0123456789" }).models.list();
    assert.fail("a wrong key was let in");
  } catch (error) {
    assert.ok(error instanceof OpenAI.AuthenticationError, `${error}`);
    assert.ok(!error.message.includes("sk-wrong-key-0123456789"), "the key is masked");
  }
  // The library's own retries honour the mock's 429 and its Retry-After.
  await failNext("createCompletion", "rate_limit");
  const completion = await client({ maxRetries: 2 }).completions.create({ model: "text-davinci-003", prompt: "x" });
  assert.equal(completion.object, "text_completion");
});

check("azure", async () => {
  const azure = new AzureOpenAI({ endpoint: MOCK, apiVersion: "2022-12-01", apiKey: KEY, timeout: REQUEST_TIMEOUT, maxRetries: 0 });
  let deployment = "text-davinci-003-deployment";
  if (STATEFUL) {
    // The library has no authoring calls: the deployment is made over HTTP.
    const authoring = async (method, route, body) => {
      const response = await fetch(`${MOCK}/openai${route}?api-version=2022-12-01`, {
        method,
        headers: { "api-key": KEY, "content-type": "application/json" },
        body: body && JSON.stringify(body),
      });
      return response.json();
    };
    deployment = (await authoring("POST", "/deployments", { model: "text-davinci-003", scale_settings: { scale_type: "standard" } })).id;
    await waitForStatus(() => authoring("GET", `/deployments/${deployment}`), ["succeeded"], "the deployment");
  }
  const completion = await azure.completions.create({ model: deployment, prompt: "Say this is a test" });
  assert.ok(completion.choices[0].text);
  const embedding = await azure.embeddings.create({ model: deployment, input: "hello", encoding_format: "float" });
  assert.equal(embedding.data[0].embedding.length, 1536);
  const uploaded = await azure.files.create({ file: await training(), purpose: "fine-tune" });
  const listed = (await all(azure.files.list())).map((f) => f.id);
  assert.ok(!STATEFUL || listed.includes(uploaded.id), "Azure's files are listed to the end");
  assert.equal(new Set(listed).size, listed.length, "no Azure file listed twice");
});

async function main() {
  assert.equal(require("openai-current/version").VERSION.split(".")[0], "4", "the library's major version");
  if (STATEFUL) assert.equal((await fetch(`${MOCK}/__mock/reset`, { method: "POST" })).status, 200, "a reset");
  let passed = 0;
  for (const { name, run } of checks) {
    let timer;
    const watchdog = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the check took more than ${WATCHDOG} ms: a list that never ends?`)), WATCHDOG);
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
