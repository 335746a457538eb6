#!/usr/bin/env bash
# Idempotent machine setup: Debian packages every part of the mesh needs, the pinned pnpm, the
# workspace's Node packages and a build. Skips what is present, so a warm machine pays seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION="$(node -p "require('./package.json').packageManager.split('@')[1]")"
APT_PACKAGES=(
  redis-server            # load bus (tests start their own on a free port)
  python3-torch           # training (Debian's CPU build, no CUDA download)
  python3-torchvision
  python3-pytest
  python3-numpy
  python3-pil
  python3-onnx            # ONNX export checks
  python3-matplotlib      # training: Fig. 7 plots (docs/results.md)
  python3-yaml            # deploy/check.sh reads rendered manifests
  python3-tqdm            # training: progress bars
  dataset-fashion-mnist   # /usr/share/datasets/fashion-mnist
  prometheus              # server + promtool for the observability test
  libturbojpeg0-dev       # the JPEG codec's native addon links against it
  libjpeg62-turbo-dev     # jpeglib.h: the addon drives the same libjpeg-turbo through its libjpeg API
  build-essential         # node-gyp and the C reference harness in bench/codec
  protobuf-compiler       # protoc, for the generated-code freshness check
)

missing=()
# kubectl may already come from another package that owns /usr/bin/kubectl; only then skip Debian's.
command -v kubectl >/dev/null || APT_PACKAGES+=(kubernetes-client)
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: Debian packages present"
fi

if ! command -v pnpm >/dev/null || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm@$PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null 2>&1
fi

# node-gyp must build against this machine's headers; it cannot download them.
export npm_config_nodedir="${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}"
pnpm install 2>&1 | tail -n 3
pnpm run build >/dev/null
echo "setup: done"
