#!/usr/bin/env bash
# Prints the path of the kvalidate binary (deploy/tools/kvalidate), building it only when no build of
# exactly these sources with this Go toolchain is cached. Cache entry:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/bottlenet/kvalidate/<sha256 of go.mod, go.sum, *.go + go version>/kvalidate
# (override the root with BOTTLENET_CACHE_DIR); falls back to deploy/.cache/bin when that is not
# writable. KVALIDATE_BIN=/path skips all of this. The first build fetches k8s.io/api etc. from the Go
# module proxy into the Go module cache (~/go/pkg/mod), which persists as well.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -n "${KVALIDATE_BIN:-}" ]]; then
  echo "$KVALIDATE_BIN"
  exit 0
fi
# shellcheck source=cache-dir.sh
source "$here/scripts/cache-dir.sh"
src="$here/tools/kvalidate"
key="$( (cd "$src" && cat go.mod go.sum $(find . -name '*.go' | LC_ALL=C sort) && go env GOVERSION GOOS GOARCH) | sha256sum | cut -c1-16)"
dir="$(bottlenet_cache_dir "kvalidate/$key" "$here/.cache/bin/kvalidate-$key")"
target="$dir/kvalidate"
if [[ ! -x "$target" ]]; then
  echo "build-kvalidate: no cached build for $key; building (minutes on a cold Go module cache)" >&2
  tmp="$(mktemp -d "$dir/.build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$src" && GOFLAGS="-buildvcs=false" nice -n 10 go build -o "$tmp/kvalidate" .) >&2
  mv -f "$tmp/kvalidate" "$target"
fi
echo "$target"
