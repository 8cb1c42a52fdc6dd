#!/usr/bin/env bash
# Install the Debian/Ubuntu packages the project needs, only those missing.
#
# Usage: scripts/system-deps.sh PACKAGE...
# Never fails the build: without apt, without root or without network it says what
# to install by hand and exits 0, so `make test` and `make run` still proceed (the
# tests that need a package then fail with their own message).
set -uo pipefail

if [ "$#" -eq 0 ]; then
    exit 0
fi

warn() { printf 'system-deps: %s\n' "$*" >&2; }

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    warn "no apt/dpkg here; make sure these are installed: $*"
    exit 0
fi

missing=()
for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    warn "missing ${missing[*]}; not root, skipping. Run: sudo apt-get install -y ${missing[*]}"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "system-deps: installing ${missing[*]}"
# Try the current package lists first; refresh them only if that fails.
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
    if ! { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }; then
        warn "could not install ${missing[*]}; continuing without them"
    fi
fi
exit 0
