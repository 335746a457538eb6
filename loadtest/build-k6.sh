#!/usr/bin/env bash
# Builds k6 from the Go module proxy with this machine's Go toolchain and caches the binary in
# loadtest/.cache/bin/k6-<version>; prints its path. Nothing is downloaded from anywhere else.
# Usage: K6_VERSION=v1.3.0 bash loadtest/build-k6.sh
set -euo pipefail
version="${K6_VERSION:-v1.3.0}"
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/.cache/bin"
target="$bin/k6-$version"
if [[ ! -x "$target" ]]; then
  mkdir -p "$bin"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  # GOFLAGS=-mod=mod so a stray go.work cannot interfere; GOBIN puts the binary in the temp dir.
  GOBIN="$tmp" GOFLAGS=-mod=mod go install "go.k6.io/k6@$version" >&2
  mv "$tmp/k6" "$target"
fi
ln -sf "k6-$version" "$bin/k6"
echo "$target"
