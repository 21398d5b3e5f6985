#!/usr/bin/env bash
# Build a step-ca binary from Debian's packaged Go sources and print its path.
#
# Installs the Debian packages when they are missing, then builds localca/main.go
# in GOPATH mode against /usr/share/gocode. The binary is cached per package
# version (and per revision of main.go), so later calls only print the path.
# The path is always the last line on stdout; everything else goes to stderr.
set -euo pipefail

packages=(golang-go golang-github-smallstep-certificates-dev gcc libc6-dev)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

install_packages() {
    local missing=() pkg
    for pkg in "${packages[@]}"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0

    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    echo "installing ${missing[*]} from Debian" >&2
    "${sudo[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >&2
}

# The installed version of step-ca's sources, or nothing when not installed.
source_version() {
    local out
    out=$(dpkg-query -W -f='${Status}|${Version}' \
        golang-github-smallstep-certificates-dev 2>/dev/null) || return 0
    [ "${out%%|*}" = "install ok installed" ] && echo "${out#*|}"
    return 0
}

version=$(source_version)
if [ -z "$version" ]; then
    install_packages
    version=$(source_version)
fi

main_hash=$(sha256sum "$here/main.go" | cut -c1-12)
cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/stepwasm/step-ca-$version-$main_hash"
binary="$cache_dir/step-ca"
if [ -x "$binary" ]; then
    echo "$binary"
    exit 0
fi

install_packages
mkdir -p "$cache_dir"
scratch=$(mktemp -d)
# Build under a temporary name in the cache dir, then rename: a concurrent
# caller sees either no binary or a complete one.
tmp="$cache_dir/.step-ca.$$"
trap 'rm -rf "$scratch" "$tmp"' EXIT

echo "building step-ca $version (about a minute on a cold Go cache)" >&2
if ! (cd "$here" && GO111MODULE=off GOFLAGS="" GOPATH="$scratch:/usr/share/gocode" \
        go build -o "$tmp" -ldflags "-X main.version=$version" . \
        >"$scratch/build.log" 2>&1); then
    cat "$scratch/build.log" >&2
    echo "step-ca build failed" >&2
    exit 1
fi
mv -f "$tmp" "$binary"
echo "$binary"
