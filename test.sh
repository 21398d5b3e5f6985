#!/usr/bin/env bash
# Set everything up on a fresh machine and run the whole test suite:
# the component, the real step-ca (built from Debian's packages), then pytest.
set -euo pipefail
cd "$(dirname "$0")"

./build.sh
# The dev tools, and the core's own dependencies so its unit tests run natively.
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -e ".[dev]" -r component/requirements.txt
localca/build-step-ca.sh >/dev/null
# tests/interop/test_wasi_cli.py runs the command build under Node.js via jco.
npm ci --prefix tests/node --no-audit --no-fund --silent
# tests/browser drive Debian's Chromium; Playwright never downloads a browser.
if [ ! -x /usr/bin/chromium ]; then
    echo "test.sh: installing chromium (apt)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "test.sh: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
