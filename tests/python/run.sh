#!/usr/bin/env bash
# The mock against clients that are not ours, on 127.0.0.1 only:
#   1. every documented call through the official Python library of early
#      2023 (openai==0.27.8), as the docs make it (official_client.py),
#      and through the official Node library (openai@3.3.0,
#      tests/node/official_client.js), against a stateful mock and a
#      stateless one;
#   2. the calls that still exist through today's official libraries
#      (openai 1.x for Python, current_sdk.py; openai 4.x for Node,
#      tests/node/current_sdk.js), every list iterated to its end, against
#      both mocks;
#   3. a spec-driven fuzz of both specs (schemathesis).
# It makes virtual environments in target/python and target/python-current
# and installs the Node libraries' locked packages in target/node, builds
# `openai-mock`, starts each mock on a free port, and stops them at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/python
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/python/requirements.txt
# Today's library cannot share an environment with the one of 2023.
current=target/python-current
[ -x "$current/bin/python" ] || python3 -m venv "$current"
"$current/bin/pip" install --quiet --disable-pip-version-check -r tests/python/requirements-current.txt
if ! command -v npm >/dev/null; then
    apt-get update -qq && apt-get install -y -qq nodejs npm
fi
node=target/node
mkdir -p "$node"
if ! cmp -s tests/node/package-lock.json "$node/package-lock.json" || [ ! -d "$node/node_modules" ]; then
    cp tests/node/package.json tests/node/package-lock.json "$node/"
    (cd "$node" && npm ci --silent --no-audit --no-fund)
fi

# The mock's binary as the test suite builds it (`cargo test` builds the bins
# its tests run): after `cargo test --workspace` this builds nothing, where
# `cargo build -p openai-rest-mock` resolves features differently and builds
# the mock and part of its dependencies once more.
cargo test --workspace --no-run --quiet
key="sk-official-client-test-$$-0123456789"
mocks=()
trap 'for pid in "${mocks[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done' EXIT
# Starts `openai-mock serve` with the options given, on a free port; its URL
# goes into $url.
start_mock() {
    local log=$1
    shift
    # Emptied here, not by the redirection below, which the background
    # process may make only after the loop has read a previous run's line.
    : >"$log"
    target/debug/openai-mock serve --addr 127.0.0.1:0 --api-key "$key" --log-level info "$@" 2>"$log" &
    mocks+=($!)
    url=
    for _ in $(seq 200); do
        url=$(sed -n 's|.*listening on \(http://[0-9.:]*\)/v1 .*|\1|p' "$log")
        [ -n "$url" ] && return 0
        sleep 0.05
    done
    cat "$log" >&2
    echo "the mock did not start" >&2
    exit 1
}
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1

# The default, stateful mock: what the calls create lives until deleted. Its
# clock runs 50 times faster, so that a deployment succeeds in 60 ms.
start_mock "$venv/mock-stateful.log" --clock-speed 50
echo "== the official Python library (openai==0.27.8) against the stateful mock at $url"
"$venv/bin/python" tests/python/official_client.py "$url" "$key" stateful
echo "== the official Node library (openai@3.3.0) against the stateful mock at $url"
NODE_PATH=$node/node_modules node tests/node/official_client.js "$url" "$key" stateful
echo "== today's Python library (openai 1.x) against the stateful mock at $url"
"$current/bin/python" tests/python/current_sdk.py "$url" "$key" stateful
echo "== today's Node library (openai 4.x) against the stateful mock at $url"
NODE_PATH=$node/node_modules node tests/node/current_sdk.js "$url" "$key" stateful

# Stateless: the script reads the documented objects as documented, and
# schemathesis draws ids at random, which a stateful mock rightly answers 404.
start_mock "$venv/mock.log" --stateless
echo "== the official Python library (openai==0.27.8) against the stateless mock at $url"
"$venv/bin/python" tests/python/official_client.py "$url" "$key" stateless
echo "== the official Node library (openai@3.3.0) against the stateless mock at $url"
NODE_PATH=$node/node_modules node tests/node/official_client.js "$url" "$key" stateless
echo "== today's Python library (openai 1.x) against the stateless mock at $url"
"$current/bin/python" tests/python/current_sdk.py "$url" "$key" stateless
echo "== today's Node library (openai 4.x) against the stateless mock at $url"
NODE_PATH=$node/node_modules node tests/node/current_sdk.js "$url" "$key" stateless

# The spec-driven fuzz: 50 schema-valid requests per operation of each spec.
# Checks: no 5xx; every answer's status, content type, headers and body as
# the spec says; and no schema-valid request refused (positive data
# acceptance: anything but a 2xx fails). The headers given here replace the
# random values schemathesis would draw for the security schemes (which may
# hold bytes no HTTP header can carry). The hooks give the file parts the
# spec's `x-file` rules (schemathesis_hooks.py).
examples=${SCHEMATHESIS_EXAMPLES:-50}
fuzz() {
    local spec=$1 base=$2
    shift 2
    PYTHONPATH=tests/python SCHEMATHESIS_HOOKS=schemathesis_hooks \
        "$venv/bin/schemathesis" run "openapi/$spec" --base-url "$url$base" "$@" \
        --checks all --exclude-checks negative_data_rejection,ignored_auth \
        --experimental positive_data_acceptance \
        --experimental-positive-data-acceptance-allowed-statuses 2xx \
        --hypothesis-max-examples "$examples" --hypothesis-seed 14 \
        --hypothesis-suppress-health-check all --hypothesis-database none \
        --workers 2 --no-color
}
for spec in openai azure; do
    started=$SECONDS
    echo "== schemathesis over openapi/$spec.yaml, $examples examples per operation"
    case $spec in
        openai) fuzz openai.yaml /v1 -H "Authorization: Bearer $key" -H "OpenAI-Organization: org-schemathesis" ;;
        azure) fuzz azure.yaml /openai -H "api-key: $key" -H "Authorization: Bearer $key" ;;
    esac
    echo "== schemathesis over openapi/$spec.yaml took $((SECONDS - started)) s"
done
