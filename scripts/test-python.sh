#!/usr/bin/env bash
# The training suite runs on Debian's torch, which lives in /usr/bin/python3 (the python3 first on
# PATH may be another interpreter without torch).
set -euo pipefail
cd "$(dirname "$0")/../training"
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@"
