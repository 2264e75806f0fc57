"""The calls of official_client.py that the API still has, through today's
official Python library (openai 1.x, pinned in requirements-current.txt),
against a running `openai-mock serve`.

    python tests/python/current_sdk.py http://127.0.0.1:8080 sk-the-mock-key [stateless|stateful]

Most people who run the mock call it with the current SDK, not the 2023 one.
The library is used as its README shows: `OpenAI(base_url=...)` (and
`AzureOpenAI` for Azure), plain calls, and every list iterated to its end as
a user iterates it, so that a list the SDK pages through without end fails
the run instead of hanging it: each check runs under a watchdog, and every
request under the client's own timeout. The first check that fails stops the
run with exit status 1.
"""

import json
import os
import signal
import sys
import time
import traceback
import urllib.request

import openai
from openai import AzureOpenAI, OpenAI

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FIXTURES = os.path.join(ROOT, "fixtures")
DATA = os.path.join(ROOT, "tests", "data")

# Seconds a check may take, its lists paged through to the end; seconds one
# request may take.
WATCHDOG = 30
REQUEST_TIMEOUT = 10

CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


def fixture_json(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return json.load(f)


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


def expect_equal(got, expected, what):
    if got != expected:
        raise AssertionError(f"{what}: got {got!r}, expected {expected!r}")


def client(max_retries=0):
    return OpenAI(
        base_url=f"{MOCK}/v1",
        api_key=KEY,
        organization="org-xpMoAv99i8jdZvhGXPfiRXug",
        timeout=REQUEST_TIMEOUT,
        max_retries=max_retries,
    )


def wait_for_status(retrieve, final, what):
    item = retrieve()
    polls = 0
    while item.status not in final:
        polls += 1
        expect(polls < 200, f"{what} never finished")
        time.sleep(0.05)
        item = retrieve()
    return item


# ----- Models ----------------------------------------------------------------


@check
def models():
    ids = [model.id for model in client().models.list()]
    documented = [m["id"] for m in fixture_json("listModels/response.json")["data"]]
    if STATEFUL:
        expect(set(documented) <= set(ids) and "gpt-3.5-turbo" in ids, f"models listed: {ids}")
    else:
        expect_equal(ids, documented, "models listed")
    model = client().models.retrieve("text-davinci-003")
    expect_equal(model.id, "text-davinci-003", "retrieved model")
    expect(isinstance(model.created, int), "a model has its created time")


# ----- Completions and chat --------------------------------------------------


@check
def completions():
    completion = client().completions.create(
        model="text-davinci-003", prompt="Say this is a test", max_tokens=7, temperature=0
    )
    expect_equal(completion.object, "text_completion", "completion object")
    expect_equal(completion.model, "text-davinci-003", "the model asked for")
    expect(completion.choices[0].text, "a completion has text")
    expect(completion.usage.total_tokens > 0, "usage")


@check
def completions_streamed():
    stream = client().completions.create(
        model="text-davinci-003", prompt="Say this is a test", max_tokens=7, stream=True
    )
    text = "".join(chunk.choices[0].text for chunk in stream)
    expect(text, "a streamed completion has text")


@check
def chat():
    completion = client().chat.completions.create(
        model="gpt-3.5-turbo", messages=[{"role": "user", "content": "Hello!"}]
    )
    expect_equal(completion.object, "chat.completion", "chat object")
    expect_equal(completion.choices[0].message.role, "assistant", "the answer's role")
    expect(completion.choices[0].message.content, "the answer has content")


@check
def chat_streamed():
    stream = client().chat.completions.create(
        model="gpt-3.5-turbo", messages=[{"role": "user", "content": "Hello!"}], stream=True
    )
    chunks = list(stream)
    expect(chunks, "chunks")
    expect_equal(chunks[0].choices[0].delta.role, "assistant", "the first delta's role")
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    expect(text, "a streamed answer has content")


@check
def parameters_the_2023_api_did_not_know_are_refused_by_name():
    # Today's chat parameters did not exist in 2023: the API refused them
    # and named them.
    try:
        client().chat.completions.create(
            model="gpt-3.5-turbo", messages=[{"role": "user", "content": "Hi"}], seed=7
        )
    except openai.BadRequestError as error:
        expect_equal(error.status_code, 400, "status")
        expect("seed" in error.message, f"the error names the field: {error.message}")
        return
    raise AssertionError("a chat request with `seed` was answered")


# ----- Embeddings, moderations, images, audio --------------------------------


@check
def embeddings():
    # The SDK asks for base64 unless told otherwise, and decodes it.
    response = client().embeddings.create(
        model="text-embedding-ada-002", input="The food was delicious and the waiter..."
    )
    expect_equal(len(response.data[0].embedding), 1536, "dimensions")
    expect(isinstance(response.data[0].embedding[0], float), "floats")
    floats = client().embeddings.create(
        model="text-embedding-ada-002", input=["a", "b"], encoding_format="float"
    )
    expect_equal([item.index for item in floats.data], [0, 1], "one embedding per input")


@check
def moderations():
    response = client().moderations.create(input="I want to kill them.")
    expect_equal(len(response.results), 1, "one result per input")
    expect(isinstance(response.results[0].flagged, bool), "flagged")


@check
def images():
    generated = client().images.generate(prompt="A cute baby sea otter", n=2, size="256x256")
    expect_equal(len(generated.data), 2, "n images")
    expect(generated.data[0].url, "a URL")
    with open(os.path.join(DATA, "otter.png"), "rb") as image:
        edited = client().images.edit(image=image, prompt="An otter with a hat", n=1)
    expect_equal(len(edited.data), 1, "an edited image")
    with open(os.path.join(DATA, "otter.png"), "rb") as image:
        varied = client().images.create_variation(image=image, response_format="b64_json")
    expect(varied.data[0].b64_json, "base64 image")


@check
def audio():
    with open(os.path.join(DATA, "hello.mp3"), "rb") as audio:
        transcription = client().audio.transcriptions.create(model="whisper-1", file=audio)
    expect(transcription.text, "a transcription")
    with open(os.path.join(DATA, "hello.mp3"), "rb") as audio:
        text = client().audio.translations.create(
            model="whisper-1", file=audio, response_format="text"
        )
    expect(isinstance(text, str) and text, f"a translation as text: {text!r}")


# ----- Files: iterated to their end ------------------------------------------

TRAINING = b'{"prompt": "a ->", "completion": " b\\n"}\n{"prompt": "c ->", "completion": " d\\n"}\n'


@check
def files():
    openai_client = client()
    listed = [f.id for f in openai_client.files.list()]
    documented = [f["id"] for f in fixture_json("listFiles/response.json")["data"]]
    expect(set(documented) <= set(listed), f"the documented files are listed: {listed}")
    expect_equal(len(listed), len(set(listed)), "no file listed twice")

    uploaded = openai_client.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    expect_equal(uploaded.purpose, "fine-tune", "purpose")
    expect_equal(uploaded.bytes, len(TRAINING), "bytes")
    listed = [f.id for f in openai_client.files.list()]
    if STATEFUL:
        expect(uploaded.id in listed, "the upload is listed")
        # Paged two at a time, the SDK finds every file once.
        paged = [f.id for f in openai_client.files.list(limit=2)]
        expect_equal(paged, listed, "paged two at a time")
        checked = wait_for_status(
            lambda: openai_client.files.retrieve(uploaded.id), ("processed",), "upload check"
        )
        expect_equal(checked.id, uploaded.id, "retrieved")
        content = openai_client.files.content(uploaded.id)
        expect_equal(content.content, TRAINING, "content")
        deleted = openai_client.files.delete(uploaded.id)
        expect(deleted.deleted, "deleted")
        expect(uploaded.id not in [f.id for f in openai_client.files.list()], "gone")
        try:
            openai_client.files.retrieve(uploaded.id)
        except openai.NotFoundError:
            pass
        else:
            raise AssertionError("a deleted file was found")
    else:
        expect_equal(listed, documented, "the stateless list")
        first = openai_client.files.list(limit=1)
        expect_equal([f.id for f in first.data], documented[:1], "a page of one")
        expect_equal(first.has_more, len(documented) > 1, "has_more")


@check
def deleting_every_file_in_a_loop_ends():
    # The docs' clean-up, with the SDK paging underneath: each delete
    # removes the cursor of the next page.
    if not STATEFUL:
        return
    openai_client = client()
    for _ in range(3):
        openai_client.files.create(file=("t.jsonl", TRAINING), purpose="fine-tune")
    for f in openai_client.files.list():
        openai_client.files.delete(f.id)
    expect_equal([f.id for f in openai_client.files.list()], [], "every file deleted")


# ----- Errors ------------------------------------------------------------------


@check
def errors():
    try:
        OpenAI(base_url=f"{MOCK}/v1", api_key="sk-wrong-key-0123456789", max_retries=0).models.list()
    except openai.AuthenticationError as error:
        expect_equal(error.status_code, 401, "status")
        expect("sk-wrong" not in str(error.body) or "***" in str(error.body), "the key is masked")
    else:
        raise AssertionError("a wrong key was let in")
    if STATEFUL:
        # (The stateless mock finds any id.)
        try:
            client().models.retrieve("no-such-model")
        except openai.NotFoundError as error:
            expect_equal(error.code, "model_not_found", "code")
        else:
            raise AssertionError("an unknown model was found")
    # The SDK's own retries honour the mock's 429 and its Retry-After.
    fail_next("createCompletion", "rate_limit")
    completion = client(max_retries=2).completions.create(model="text-davinci-003", prompt="x")
    expect_equal(completion.object, "text_completion", "answered after a retry")


def fail_next(operation, fault, calls=1):
    body = json.dumps({"operation": operation, "fault": fault, "calls": calls}).encode()
    request = urllib.request.Request(
        f"{MOCK}/__mock/faults", data=body, method="POST",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
        expect_equal(response.status, 204, "scheduling a fault")


def admin(path, body=None):
    request = urllib.request.Request(
        f"{MOCK}/__mock/{path}", data=json.dumps(body or {}).encode(), method="POST",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
        return response.status


# ----- Azure ---------------------------------------------------------------------


@check
def azure():
    azure_client = AzureOpenAI(
        azure_endpoint=MOCK, api_version="2022-12-01", api_key=KEY,
        timeout=REQUEST_TIMEOUT, max_retries=0,
    )
    deployment = "text-davinci-003-deployment"
    if STATEFUL:
        # The SDK has no authoring calls: the deployment is made over HTTP.
        request = urllib.request.Request(
            f"{MOCK}/openai/deployments?api-version=2022-12-01",
            data=json.dumps({"model": "text-davinci-003", "scale_settings": {"scale_type": "standard"}}).encode(),
            method="POST",
            headers={"content-type": "application/json", "api-key": KEY},
        )
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
            deployment = json.load(response)["id"]
        retrieve = urllib.request.Request(
            f"{MOCK}/openai/deployments/{deployment}?api-version=2022-12-01",
            headers={"api-key": KEY},
        )

        def status():
            with urllib.request.urlopen(retrieve, timeout=REQUEST_TIMEOUT) as response:
                return type("Deployment", (), json.load(response))

        wait_for_status(status, ("succeeded",), "deployment")
    completion = azure_client.completions.create(model=deployment, prompt="Say this is a test")
    expect(completion.choices[0].text, "an Azure completion")
    embedding = azure_client.embeddings.create(model=deployment, input="hello")
    expect_equal(len(embedding.data[0].embedding), 1536, "an Azure embedding")
    uploaded = azure_client.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    listed = [f.id for f in azure_client.files.list()]
    expect(not STATEFUL or uploaded.id in listed, "Azure's files are listed to their end")
    expect_equal(len(listed), len(set(listed)), "no Azure file listed twice")


def watchdog(signum, frame):
    raise TimeoutError(f"a check took more than {WATCHDOG} s: a list that never ends?")


def main():
    global MOCK, KEY, STATEFUL
    if len(sys.argv) not in (3, 4) or sys.argv[3:] not in ([], ["stateless"], ["stateful"]):
        print(__doc__, file=sys.stderr)
        return 2
    MOCK, KEY = sys.argv[1].rstrip("/"), sys.argv[2]
    STATEFUL = sys.argv[3:] == ["stateful"]
    if STATEFUL:
        expect_equal(admin("reset"), 200, "reset")
    signal.signal(signal.SIGALRM, watchdog)
    for function in CHECKS:
        signal.alarm(WATCHDOG)
        try:
            function()
        except BaseException:
            signal.alarm(0)
            traceback.print_exc()
            print(f"FAILED: {function.__name__} (openai {openai.__version__})", file=sys.stderr)
            print(f"{CHECKS.index(function)} passed, 1 failed (the run stops at the first failure)")
            return 1
        finally:
            signal.alarm(0)
        print(f"ok: {function.__name__}")
    print(f"{len(CHECKS)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
