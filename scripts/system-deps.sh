#!/usr/bin/env bash
# System packages the tests and the local runner need, installed by `make install`.
# bubblewrap for the sandbox, and the Debian toolchains of the runnable languages in
# runner/languages.py. Idempotent: when every command is present it installs nothing
# and does not touch the network.
set -euo pipefail

# command -> Debian package providing it. rustc is checked at /usr/bin so a rustup
# install elsewhere on PATH does not count: the sandbox only sees /usr.
declare -A wanted=(
    [/usr/bin/bwrap]=bubblewrap
    [/usr/bin/unshare]=util-linux
    [/usr/bin/stdbuf]=coreutils
    [/usr/bin/gcc]=gcc
    [/usr/bin/g++]=g++
    [/usr/bin/node]=nodejs
    [/usr/bin/tsc]=node-typescript
    [/usr/bin/javac]=default-jdk-headless
    [/usr/bin/ruby]=ruby
    [/usr/bin/go]=golang-go
    [/usr/bin/rustc]=rustc
    # Debian's browser for the web UI tests (Playwright drives it; no browser downloads).
    [/usr/bin/chromium]=chromium
    # A load generator in C for `make bench` (bench/api.py), so the client is not the bottleneck.
    [/usr/bin/wrk]=wrk
)

missing=()
for path in "${!wanted[@]}"; do
    [ -x "$path" ] || missing+=("${wanted[$path]}")
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "system-deps: missing packages. Install them, then run make again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
