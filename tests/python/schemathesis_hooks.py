"""Schemathesis hooks for the spec-driven fuzz of the mock (run.sh).

The spec states what JSON Schema cannot say as extensions, which
schemathesis cannot read:
- `x-file` on a file part (a square PNG image, a mask of the same size,
  JSON Lines of prompt and completion for a fine-tune file): the bytes
  schemathesis puts in such a part (random, or the spec's example) are
  replaced with a file that keeps the rule;
- `x-rules` between the fields of a JSON body (`best_of` against `n` and
  `stream`): a field that breaks one is left out, which the spec allows.
Both happen before each call, whichever phase made the case; every other
part and field stays as drawn.
"""

import os

import schemathesis
import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def read(*path):
    with open(os.path.join(ROOT, *path), "rb") as f:
        return f.read()


# A 2x2 PNG (square, and the same size as itself for a mask).
PNG = read("tests", "data", "otter.png")
# Two lines of prompt and completion.
JSONL = read("fixtures", "downloadFile", "response.jsonl")

# The file parts with an `x-file` rule, by the end of the operation's path.
FILES = {
    "/images/edits": {"image": PNG, "mask": PNG},
    "/images/variations": {"image": PNG},
    "/files": {"file": JSONL},
}


def rules():
    """Every `x-rules` entry of both specs, with the default of each field
    a rule compares with."""
    schemas = []
    for spec in ("openai.yaml", "azure.yaml"):
        with open(os.path.join(ROOT, "openapi", spec)) as f:
            schemas.extend(yaml.safe_load(f)["components"]["schemas"].values())
    out = []
    for schema in schemas:
        properties = schema.get("properties", {})
        for rule in schema.get("x-rules", []):
            other = rule.get("notLessThan")
            default = properties.get(other, {}).get("default") if other else None
            out.append((rule, default))
    return out


RULES = rules()


def number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def breaks(rule, default, body):
    value = number(body.get(rule["field"]))
    if value is None:
        return False
    if "notLessThan" in rule:
        bound = number(body.get(rule["notLessThan"]))
        bound = default if bound is None else bound
        return bound is not None and value < bound
    if all(body.get(key) == expected for key, expected in rule.get("when", {}).items()):
        return value > rule["maximum"]
    return False


@schemathesis.hook
def before_call(context, case):
    if not isinstance(case.body, dict):
        return
    for rule, default in RULES:
        if breaks(rule, default, case.body):
            del case.body[rule["field"]]
    parts = next(
        (parts for path, parts in FILES.items() if case.operation.path.endswith(path)),
        None,
    )
    if parts is None:
        return
    for name, content in parts.items():
        if name in case.body:
            case.body[name] = content
