# Shared helper (sourced): the per-user build cache that survives fresh clones on the same machine.
# bottlenet_cache_dir <key> <fallback>: creates and prints ${BOTTLENET_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bottlenet}/<key>,
# or <fallback> (a folder inside the checkout) when that location cannot be created or written.
bottlenet_cache_dir() {
  local root="${BOTTLENET_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bottlenet}"
  local dir="$root/$1"
  if mkdir -p "$dir" 2>/dev/null && [[ -w "$dir" ]]; then
    echo "$dir"
  else
    echo "cache: $root is not writable; using $2" >&2
    mkdir -p "$2"
    echo "$2"
  fi
}
