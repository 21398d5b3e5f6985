#!/usr/bin/env bash
# The main job on a fresh machine: build the component, build and start a
# local step-ca, then bootstrap -> token -> certificate -> inspect -> renew,
# every step running inside the WebAssembly component.
set -euo pipefail
repo=$(cd "$(dirname "$0")" && pwd)
cd "$repo"

./build.sh
# localca (the demo's CA tooling) makes its PKI with `cryptography`.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[localca]"
localca/build-step-ca.sh >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/stepwasm-demo.XXXXXX")
.venv/bin/python -m localca up --dir "$work/ca"
# localca is imported from the checkout, so stop the CA from there.
trap 'cd "$repo" && .venv/bin/python -m localca down --dir "$work/ca" >/dev/null || true' EXIT
# shellcheck disable=SC1091
. "$work/ca/ca.env"

export STEPPATH="$work/step"
cd "$work"
cp "$CA_PASSWORD_FILE" password.txt

run() {
    printf '\n$ stepwasm'; printf ' %q' "$@"; printf '\n'
    "$repo/.venv/bin/stepwasm" "$@"
}

run ca bootstrap --ca-url "$CA_URL" --fingerprint "$CA_FINGERPRINT"
run ca health
run ca token demo.internal --san demo.internal --san 127.0.0.1 \
    --provisioner "$CA_PROVISIONER" --password-file password.txt
run ca certificate demo.internal demo.crt demo.key \
    --san demo.internal --san 127.0.0.1 \
    --provisioner "$CA_PROVISIONER" --password-file password.txt
run certificate inspect demo.crt
run ca renew demo.crt demo.key
run ca renew demo.crt demo.key --mtls=false
run certificate inspect demo.crt --short
run certificate fingerprint demo.crt

printf '\nThe files are in %s (STEPPATH=%s).\n' "$work" "$STEPPATH"
