#!/usr/bin/env bash
# The browser demo: build everything, start a local step-ca, and serve the
# stepwasm page for it with `stepwasm web` on http://127.0.0.1:$PORT/ (default
# 8780) until Ctrl-C, which stops both. Open the page and type the commands
# it suggests; the provisioner's password is printed below.
#
# Options: WEB_PORT (the page's port), CA_DURATION (e.g. 10m: certificates that
# short make the rotation panel renew while you watch).
set -euo pipefail
repo=$(cd "$(dirname "$0")" && pwd)
cd "$repo"

./build.sh
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[localca]"
localca/build-step-ca.sh >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/stepwasm-web-demo.XXXXXX")
if [ -n "${CA_DURATION:-}" ]; then
    .venv/bin/python - "$work/ca" "$CA_DURATION" <<'PY'
import sys
from localca.pki import create_pki
create_pki(sys.argv[1], default_duration=sys.argv[2])
PY
fi
.venv/bin/python -m localca up --dir "$work/ca" >/dev/null
trap '"$repo/.venv/bin/python" -m localca down --dir "$work/ca" >/dev/null 2>&1 || true' EXIT
# shellcheck disable=SC1091
. "$work/ca/ca.env"

port=${WEB_PORT:-8780}
cat <<TEXT

step-ca runs at $CA_URL (root fingerprint $CA_FINGERPRINT).
Open http://127.0.0.1:$port/ and type, for example:

  ca bootstrap --ca-url $CA_URL --fingerprint $CA_FINGERPRINT
  ca certificate web.internal web.crt web.key --provisioner "$CA_PROVISIONER" --password-file pass.txt
      (the password asked for is: $(cat "$CA_PASSWORD_FILE"))
  certificate inspect web.crt
  ca renew web.crt web.key --mtls=false

TEXT
.venv/bin/stepwasm web --ca-url "$CA_URL" --fingerprint "$CA_FINGERPRINT" --port "$port"
