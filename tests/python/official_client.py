"""Every documented call through the official Python library of early 2023
(openai==0.27.8), unchanged, against a running `openai-mock serve`.

    python tests/python/official_client.py http://127.0.0.1:8080 sk-the-mock-key [stateless|stateful]

The mock must be started with `--api-key` set to the key given here (a wrong
key is one of the checks), and with `--stateless` or not as the third
argument says (stateless by default). Against the stateless mock the
documented objects answer as documented; against the stateful one what the
calls create lives until deleted, and is 404 afterwards. The library is used as the docs use it: module
settings (`api_base`, `api_key`, `api_type`, `api_version`) and plain calls.
Faults (429, 500, 503, a slow answer) are scheduled on the mock beforehand
through its `/__mock/faults` admin route, so that the call itself is the one
the docs show. The first check that fails stops the run with exit status 1.
"""

import base64
import json
import os
import signal
import struct
import sys
import time
import traceback
import urllib.request

import openai
import openai.error

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FIXTURES = os.path.join(ROOT, "fixtures")
DATA = os.path.join(ROOT, "tests", "data")

# Seconds a check may take: a stream that does not end after `data: [DONE]`
# would otherwise hang the run.
WATCHDOG = 30

CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def fixture_json(name):
    return json.loads(fixture(name))


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


def expect_equal(got, expected, what):
    if got != expected:
        raise AssertionError(f"{what}: got {got!r}, expected {expected!r}")


def expect_not_found(call, what):
    """`call` raises the 404 the library calls an InvalidRequestError."""
    try:
        call()
    except openai.error.InvalidRequestError as error:
        expect_equal(error.http_status, 404, what)
        return
    raise AssertionError(f"{what}: answered, expected a 404")


def expect_model_list(models, what):
    """The documented 3 models (stateless), or those and the base models."""
    ids = [model.id for model in models.data]
    documented = [m["id"] for m in fixture_json("listModels/response.json")["data"]]
    if STATEFUL:
        expect(set(documented) <= set(ids) and "text-davinci-003" in ids, f"{what}: {ids}")
    else:
        expect_equal(ids, documented, what)


def wait_for_status(retrieve, final, what):
    """Polls `retrieve` until the object's status is one of `final`, as the
    guides poll a file, a job or a deployment."""
    item = retrieve()
    polls = 0
    while item["status"] not in final:
        polls += 1
        expect(polls < 200, f"{what} never finished")
        time.sleep(0.05)
        item = retrieve()
    return item


def fail_next(operation, fault, calls=1):
    """Schedules `fault` for the next `calls` calls to `operation`."""
    body = json.dumps({"operation": operation, "fault": fault, "calls": calls}).encode()
    request = urllib.request.Request(
        f"{MOCK}/__mock/faults",
        data=body,
        method="POST",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        expect_equal(response.status, 204, "scheduling a fault")


def use_openai():
    openai.api_type = "open_ai"
    openai.api_base = f"{MOCK}/v1"
    openai.api_key = KEY
    openai.api_version = None
    openai.organization = "org-xpMoAv99i8jdZvhGXPfiRXug"


def use_azure(api_type="azure"):
    # The docs' Azure setup. The portal's endpoint ends with a slash, which
    # the library keeps: requests go to `//openai/...`.
    openai.api_type = api_type
    openai.api_base = f"{MOCK}/"
    openai.api_version = "2022-12-01"
    openai.api_key = KEY
    openai.organization = None


# ----- Models and engines ----------------------------------------------------


@check
def models():
    models = openai.Model.list()
    expect_equal(models.object, "list", "list object")
    expect_model_list(models, "models listed")
    for model in models.data:
        expect(isinstance(model.created, int), f"{model.id} has a created time")
        # A base model is its own root; a fine-tuned one (`curie:ft-...`) has its base.
        expect_equal(model.root, model.id.split(":")[0], f"{model.id}'s root")
        expect_equal(model.permission[0].object, "model_permission", "permission")
    model = openai.Model.retrieve("text-davinci-003")
    expect_equal((model.id, model.owned_by, model.created), ("text-davinci-003", "openai", 1669599635), "model")
    # A fine-tuned model's id has a colon, which the library percent-encodes.
    fine_tuned = "curie:ft-acmeco-2021-03-03-21-44-20"
    expect_equal(openai.Model.retrieve(fine_tuned).id, fine_tuned, "fine-tuned model")
    deleted = openai.Model.delete(fine_tuned)
    expect_equal((deleted.id, deleted.deleted), (fine_tuned, True), "deleted model")
    if STATEFUL:
        expect_not_found(lambda: openai.Model.retrieve(fine_tuned), "a deleted model")


@check
def engines():
    engines = openai.Engine.list()
    expect_equal([e.id for e in engines.data], ["engine-id-0", "engine-id-2", "engine-id-3"], "engines")
    expect(engines.data[0].created is None, "an engine's created is null")
    engine = openai.Engine.retrieve("text-davinci-003")
    expect_equal((engine.id, engine.ready), ("text-davinci-003", True), "engine")


# ----- Completions, chat, edits ----------------------------------------------


@check
def completion():
    completion = openai.Completion.create(
        model="text-davinci-003", prompt="Say this is a test", max_tokens=7, temperature=0
    )
    expect_equal(completion.choices[0].text, "\n\nThis is indeed a test", "text")
    expect_equal(completion.usage.total_tokens, 12, "usage")
    expect_equal(completion.model, "text-davinci-003", "model")


@check
def completion_batch():
    # The rate-limit guide's batching: one request, choices matched back by index.
    prompts = ["Once upon a time,", "The sky is", "Roses are red"]
    completion = openai.Completion.create(model="curie", prompt=prompts, max_tokens=20, n=2)
    expect_equal(len(completion.choices), 6, "one choice per prompt and n")
    stories = [""] * len(completion.choices)
    for choice in completion.choices:
        stories[choice.index] = choice.text
    expect(all(stories), "every index answered")


@check
def completion_stream():
    chunks = list(
        openai.Completion.create(model="text-davinci-003", prompt="Say this is a test", max_tokens=7, stream=True)
    )
    expect_equal(len(chunks), 7, "one chunk per token")
    expect_equal("".join(c.choices[0].text for c in chunks), "\n\nThis is indeed a test", "streamed text")
    expect_equal(chunks[-1].choices[0].finish_reason, "length", "last chunk")


@check
def completion_logprobs():
    # The fine-tuning guide's classification call.
    completion = openai.Completion.create(
        model="curie",
        prompt="Is this a test?",
        max_tokens=1,
        temperature=0,
        logprobs=2,
        echo=True,
        stop=["\n"],
        logit_bias={"50256": -100},
        user="user-1234",
    )
    choice = completion.choices[0]
    expect(choice.text.startswith("Is this a test?"), "echo puts the prompt first")
    expect("logprobs" in choice, "the choice has logprobs")


@check
def chat():
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Hello!", "name": "alice"},
    ]
    chat = openai.ChatCompletion.create(model="gpt-3.5-turbo", messages=messages)
    expect_equal(chat.choices[0].message.role, "assistant", "role")
    expect_equal(chat.choices[0].message.content, "\n\nHello there, how may I assist you today?", "content")
    chunks = list(openai.ChatCompletion.create(model="gpt-3.5-turbo", messages=messages, stream=True))
    expect_equal(chunks[0].choices[0].delta.role, "assistant", "first delta")
    text = "".join(c.choices[0].delta.get("content", "") for c in chunks)
    expect_equal(text, "\n\nHello there, how may I assist you today?", "streamed content")
    expect_equal(chunks[-1].choices[0].finish_reason, "stop", "last chunk")


@check
def edit():
    edit = openai.Edit.create(
        model="text-davinci-edit-001", input="What day of the wek is it?", instruction="Fix the spelling mistakes"
    )
    expect_equal(edit.choices[0].text, "What day of the week is it?", "edit")


# ----- Images -----------------------------------------------------------------


@check
def images():
    images = openai.Image.create(prompt="A cute baby sea otter", n=2, size="1024x1024")
    expect_equal(len(images.data), 2, "images")
    expect(all(image.url.startswith("https://") for image in images.data), "image URLs")
    images = openai.Image.create(prompt="A cute baby sea otter", n=1, size="256x256", response_format="b64_json")
    png = base64.b64decode(images.data[0].b64_json)
    expect(png.startswith(b"\x89PNG\r\n\x1a\n"), "a base64 PNG")
    with open(os.path.join(DATA, "otter.png"), "rb") as image, open(os.path.join(DATA, "otter.png"), "rb") as mask:
        edited = openai.Image.create_edit(
            image=image, mask=mask, prompt="A cute baby sea otter wearing a beret", n=2, size="1024x1024"
        )
    expect_equal(len(edited.data), 2, "edited images")
    with open(os.path.join(DATA, "otter.png"), "rb") as image:
        variations = openai.Image.create_variation(image=image, n=3, size="1024x1024")
    expect_equal(len(variations.data), 3, "variations")


# ----- Embeddings and moderations ---------------------------------------------

DOCUMENTED_VECTOR = fixture_json("createEmbedding/response.json")["data"][0]["embedding"]


def as_float32(numbers):
    return list(struct.unpack(f"<{len(numbers)}f", struct.pack(f"<{len(numbers)}f", *numbers)))


@check
def embeddings():
    # The library asks for base64 and decodes it (with numpy).
    embedding = openai.Embedding.create(model="text-embedding-ada-002", input="The food was delicious and the waiter...")
    vector = embedding.data[0].embedding
    expect_equal(len(vector), 1536, "dimensions")
    expect_equal(vector, as_float32(DOCUMENTED_VECTOR), "the documented vector, as float32")
    floats = openai.Embedding.create(
        model="text-embedding-ada-002", input=["first", "second"], encoding_format="float"
    )
    expect_equal([d.index for d in floats.data], [0, 1], "one embedding per input")
    expect_equal(floats.data[1].embedding, DOCUMENTED_VECTOR, "floats as printed")


@check
def moderation():
    moderation = openai.Moderation.create(input="I want to kill them.")
    expect_equal(moderation.results[0].flagged, True, "flagged")
    expect_equal(moderation.results[0].categories.violence, True, "violence")


# ----- Files and fine-tunes ---------------------------------------------------

TRAINING = fixture("downloadFile/response.jsonl")


@check
def files():
    with open(os.path.join(FIXTURES, "downloadFile", "response.jsonl"), "rb") as f:
        uploaded = openai.File.create(file=f, purpose="fine-tune")
    expect_equal((uploaded.object, uploaded.bytes, uploaded.purpose), ("file", 140, "fine-tune"), "upload")
    expect_equal(uploaded.status, "uploaded", "status after upload")
    listed = openai.File.list()
    retrieved = openai.File.retrieve(uploaded.id)
    if STATEFUL:
        expect_equal(listed.data[-1].id, uploaded.id, "the upload listed last")
        expect_equal((retrieved.id, retrieved.bytes), (uploaded.id, 140), "retrieved as uploaded")
        # The API checks an upload: `uploaded`, then `processed`.
        checked = wait_for_status(lambda: openai.File.retrieve(uploaded.id), ["processed", "error"], "the file check")
        expect_equal(checked.status, "processed", "the file checked")
    else:
        expect_equal(len(listed.data), 2, "files listed")
        expect_equal((retrieved.id, retrieved.status), (uploaded.id, "processed"), "retrieved")
    expect_equal(openai.File.download(uploaded.id), TRAINING, "content")
    deleted = openai.File.delete(uploaded.id)
    expect_equal((deleted.id, deleted.deleted), (uploaded.id, True), "deleted")
    if STATEFUL:
        expect_not_found(lambda: openai.File.retrieve(uploaded.id), "a deleted file")


@check
def fine_tunes():
    training_file = "file-XGinujblHPwGLSztz8cPS8XY"
    if STATEFUL:
        with open(os.path.join(FIXTURES, "downloadFile", "response.jsonl"), "rb") as f:
            training_file = openai.File.create(file=f, purpose="fine-tune").id
    created = openai.FineTune.create(training_file=training_file, model="curie", n_epochs=4)
    expect_equal((created.object, created.status, created.training_files[0].id), ("fine-tune", "pending", training_file), "created")
    listed = openai.FineTune.list().data
    if STATEFUL:
        expect_equal(listed[-1].id, created.id, "the new job listed last")
    else:
        expect_equal(len(listed), 3, "jobs listed")
    job = openai.FineTune.retrieve(id="ft-AF1WoRqd3aJAHsqc9NY7iL8F")
    expect_equal((job.status, job.fine_tuned_model), ("succeeded", "curie:ft-acmeco-2021-03-03-21-44-20"), "retrieved")
    # Stateless, the documented cancel; stateful, the job just created (the
    # documented one has ended, and cannot be cancelled).
    cancelled = openai.FineTune.cancel(id=created.id if STATEFUL else "ft-xhrpBbvVUzYGo8oUO1FY4nI7")
    expect_equal(cancelled.status, "cancelled", "cancelled")
    events = openai.FineTune.list_events(id="ft-AF1WoRqd3aJAHsqc9NY7iL8F")
    expect_equal(len(events.data), 5, "events")
    # A Python bool goes over the wire as `stream=False`.
    events = openai.FineTune.list_events(id="ft-AF1WoRqd3aJAHsqc9NY7iL8F", stream=False)
    expect_equal(len(events.data), 5, "events with stream=False")
    streamed = list(openai.FineTune.stream_events("ft-AF1WoRqd3aJAHsqc9NY7iL8F"))
    expect_equal([e.message for e in streamed], [e.message for e in events.data], "streamed events")


# ----- Audio ------------------------------------------------------------------


@check
def audio():
    for call, name in [(openai.Audio.transcribe, "createTranscription"), (openai.Audio.translate, "createTranslation")]:
        with open(os.path.join(DATA, "hello.mp3"), "rb") as f:
            expect_equal(call("whisper-1", f).text, fixture_json(f"{name}/response.json")["text"], f"{name} json")
        with open(os.path.join(DATA, "hello.mp3"), "rb") as f:
            verbose = call("whisper-1", f, response_format="verbose_json")
        expect_equal("".join(s.text for s in verbose.segments), verbose.text, f"{name} verbose_json segments")
        for fmt, ext in [("text", "txt"), ("srt", "srt"), ("vtt", "vtt")]:
            with open(os.path.join(DATA, "hello.mp3"), "rb") as f:
                text = call("whisper-1", f, response_format=fmt)
            expect_equal(text, fixture(f"{name}/{fmt}.{ext}").decode(), f"{name} {fmt}")


# ----- Errors, as the docs' error guide names them ------------------------------


@check
def errors():
    openai.api_key = "sk-not-the-mocks-key-0123456789"
    try:
        openai.Model.list()
        raise AssertionError("a wrong key was let in")
    except openai.error.AuthenticationError as error:
        expect_equal(error.http_status, 401, "AuthenticationError status")
        expect("sk-****" in str(error) and "6789." in str(error), f"the key, masked: {error}")
    finally:
        openai.api_key = KEY

    try:
        openai.Completion.create(model="text-davinci-003", prompt="x", n=0)
        raise AssertionError("n=0 was accepted")
    except openai.error.InvalidRequestError as error:
        expect_equal((error.http_status, error.param), (400, "n"), "InvalidRequestError")

    fail_next("listModels", "rate_limit")
    try:
        openai.Model.list()
        raise AssertionError("no rate limit")
    except openai.error.RateLimitError as error:
        expect_equal(error.http_status, 429, "RateLimitError status")
        expect_equal(error.headers.get("retry-after"), "1", "Retry-After")

    fail_next("createCompletion", "service_unavailable")
    try:
        openai.Completion.create(model="text-davinci-003", prompt="x")
        raise AssertionError("no 503")
    except openai.error.ServiceUnavailableError as error:
        expect_equal(error.http_status, 503, "ServiceUnavailableError status")

    fail_next("createChatCompletion", "server_error")
    try:
        openai.ChatCompletion.create(model="gpt-3.5-turbo", messages=[{"role": "user", "content": "Hi"}])
        raise AssertionError("no 500")
    except openai.error.APIError as error:
        expect_equal(error.http_status, 500, "APIError status")

    # A slow answer and the library's own per-request timeout.
    fail_next("createEmbedding", "delay=2000")
    try:
        openai.Embedding.create(model="text-embedding-ada-002", input="x", request_timeout=0.5)
        raise AssertionError("no timeout")
    except openai.error.Timeout:
        pass
    # The mock still works afterwards.
    expect_model_list(openai.Model.list(), "after the faults")


# ----- Azure, as the docs' Azure guide sets it up -------------------------------


def azure_guide():
    """The guide's flow: create a deployment, wait for it, complete with it."""
    result = openai.Deployment.create(model="text-davinci-002", scale_settings={"scale_type": "standard"})
    deployment_id = result["id"]
    expect_equal((result["status"], result["model"]), ("notRunning", "text-davinci-002"), "created deployment")
    status = openai.Deployment.retrieve(id=deployment_id)["status"]
    polls = 0
    while status not in ["succeeded", "failed"]:
        polls += 1
        expect(polls < 200, "the deployment never finished")
        time.sleep(0.05)
        status = openai.Deployment.retrieve(id=deployment_id)["status"]
    expect_equal(status, "succeeded", "deployment status")
    prompt = "The food was delicious and the waiter"
    completion = openai.Completion.create(deployment_id=deployment_id, prompt=prompt, stop=".", temperature=0)
    expect_equal(completion["choices"][0]["text"], "\n\nThis is indeed a test", "completion by deployment")
    embedding = openai.Embedding.create(deployment_id=deployment_id, input=prompt)
    expect_equal(len(embedding.data[0].embedding), 1536, "embedding by deployment")


@check
def azure_api_key():
    use_azure("azure")
    try:
        azure_guide()
        deployments = openai.Deployment.list()
        expect_equal(deployments.data[0].object, "deployment", "deployments listed")
        expect(openai.Deployment.delete("deployment-8f3c2a1e9d7b4c6a9e5f0b2d4c6e8a1f") is None, "a 204 delete")
        azure_files_and_fine_tunes()
    finally:
        use_openai()


def azure_files_and_fine_tunes():
    """Azure's authoring answers: 201 on creation, 204 (the library's None)
    on deletion, its own error body on a 404, and its own objects: a
    `State` for status, `updated_at`, no file size until the file is
    checked, models with capabilities."""
    with open(os.path.join(FIXTURES, "downloadFile", "response.jsonl"), "rb") as f:
        uploaded = openai.File.create(file=f, purpose="fine-tune")
    expect_equal((uploaded.object, uploaded.purpose, uploaded.status), ("file", "fine-tune", "notRunning"), "an Azure upload")
    expect("bytes" not in uploaded and "updated_at" in uploaded, f"an Azure file being checked: {uploaded}")
    if STATEFUL:
        checked = wait_for_status(lambda: openai.File.retrieve(uploaded.id), ["succeeded", "failed"], "the Azure file check")
    else:
        checked = openai.File.retrieve(uploaded.id)
    expect_equal((checked.status, checked.bytes), ("succeeded", 140), "an Azure file checked")
    job = openai.FineTune.create(training_file=uploaded.id, model="curie")
    expect_equal((job.object, job.status, job.training_files[0].id), ("fine-tune", "notRunning", uploaded.id), "an Azure fine-tune")
    expect("fine_tuned_model" not in job and "organization_id" not in job, f"an Azure fine-tune enqueued: {job}")
    if STATEFUL:
        job = wait_for_status(lambda: openai.FineTune.retrieve(job.id), ["succeeded", "failed", "canceled"], "the Azure fine-tune")
        expect_equal((job.status, job.result_files[0].status), ("succeeded", "succeeded"), "an Azure fine-tune done")
        tuned = openai.Model.retrieve(job.fine_tuned_model)
        expect_equal((tuned.model, tuned.fine_tune), ("curie", job.id), "the fine-tuned model on Azure")
    events = list(openai.FineTune.stream_events(job.id))
    expect(events and all(e.level in ("info", "warning", "error") for e in events), f"Azure's events: {events}")
    curie = [model for model in openai.Model.list().data if model.id == "curie"]
    expect(curie and curie[0].capabilities.fine_tune and "inference" in curie[0].deprecation, f"Azure's curie: {curie}")
    expect(openai.FineTune.delete(job.id) is None, "an Azure fine-tune deleted: 204")
    expect(openai.File.delete(uploaded.id) is None, "an Azure file deleted: 204")
    if STATEFUL:
        expect_not_found(lambda: openai.File.retrieve(uploaded.id), "a deleted Azure file")
        expect_not_found(lambda: openai.FineTune.retrieve(job.id), "a deleted Azure fine-tune")


@check
def azure_ad_token():
    use_azure("azure_ad")
    try:
        azure_guide()
    finally:
        use_openai()


def main():
    global MOCK, KEY, STATEFUL
    if len(sys.argv) not in (3, 4) or sys.argv[3:] not in ([], ["stateless"], ["stateful"]):
        print(__doc__, file=sys.stderr)
        return 2
    MOCK, KEY = sys.argv[1].rstrip("/"), sys.argv[2]
    STATEFUL = sys.argv[3:] == ["stateful"]
    expect_equal(openai.version.VERSION, "0.27.8", "the library's version")
    use_openai()

    def timed_out(*_):
        raise TimeoutError(f"the check took more than {WATCHDOG} s")

    signal.signal(signal.SIGALRM, timed_out)
    for function in CHECKS:
        signal.alarm(WATCHDOG)
        try:
            function()
        except BaseException:
            signal.alarm(0)
            traceback.print_exc()
            print(f"FAILED: {function.__name__}", file=sys.stderr)
            print(f"{CHECKS.index(function)} passed, 1 failed (the run stops at the first failure)")
            return 1
        signal.alarm(0)
        print(f"ok: {function.__name__}")
    print(f"{len(CHECKS)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
