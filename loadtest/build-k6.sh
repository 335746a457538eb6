#!/usr/bin/env bash
# Prints the path of a k6 binary, building it from the Go module proxy with this machine's Go toolchain
# only when no cached build exists. Nothing is downloaded from anywhere else.
#
# The binary is cached outside the checkout, so a fresh clone on the same machine (CI) reuses it:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/bottlenet/k6/<version>-<go version>-<os>_<arch>/k6
# (override the root with BOTTLENET_CACHE_DIR). A symlink loadtest/.cache/bin/k6 points at it for
# convenience. If the shared cache is not writable the build lands in loadtest/.cache/bin instead.
# K6_BIN=/path/to/k6 skips all of this (the given binary is checked with `k6 version`).
# K6_NO_BUILD=1: exit 3 instead of building when nothing is cached (tests use it to decide to skip).
#
# Usage: K6_VERSION=v1.3.0 bash loadtest/build-k6.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ -n "${K6_BIN:-}" ]]; then
  "$K6_BIN" version >/dev/null
  echo "$K6_BIN"
  exit 0
fi
# shellcheck source=../deploy/scripts/cache-dir.sh
source "$here/../deploy/scripts/cache-dir.sh"
version="${K6_VERSION:-v1.3.0}"
key="$version-$(go env GOVERSION)-$(go env GOOS)_$(go env GOARCH)"
local_bin="$here/.cache/bin"
dir="$(bottlenet_cache_dir "k6/$key" "$local_bin/k6-$key")"
target="$dir/k6"
if [[ ! -x "$target" && "${K6_NO_BUILD:-}" == 1 ]]; then
  echo "build-k6: no cached k6 for $key in $dir (K6_NO_BUILD=1); run: bash loadtest/build-k6.sh" >&2
  exit 3
fi
if [[ ! -x "$target" ]]; then
  echo "build-k6: no cached k6 for $key; building into $dir (about 11 minutes on 2 shared cores)" >&2
  tmp="$(mktemp -d "$dir/.build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  # GOFLAGS=-mod=mod so a stray go.work cannot interfere; GOBIN puts the binary in the temp dir, the
  # rename makes the cache entry appear atomically (two concurrent builds cannot leave half a binary).
  GOBIN="$tmp" GOFLAGS="-mod=mod -buildvcs=false" nice -n 10 go install "go.k6.io/k6@$version" >&2
  "$tmp/k6" version >/dev/null
  mv -f "$tmp/k6" "$target"
fi
mkdir -p "$local_bin"
ln -sfn "$target" "$local_bin/k6"
echo "$target"
