#!/usr/bin/env bash
# CI check of everything under deploy/ (no cluster, no network at run time once the Go module cache is
# warm): renders every overlay with `kubectl kustomize`, validates every object strictly against the
# Kubernetes Go types (kvalidate), checks that the manifests match what the services read, runs
# promtool on the Prometheus config and rules and on every dashboard expression, and checks that the
# dashboard JSON is what generate.py writes.
# Usage: bash deploy/check.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$here/.cache/rendered"

mkdir -p "$out"

# 1. Render every overlay.
overlays=()
for dir in "$here"/k8s/overlays/*/; do
  name="$(basename "$dir")"
  kubectl kustomize "$dir" > "$out/$name.yaml"
  overlays+=("$out/$name.yaml")
  echo "rendered $name: $(grep -c '^kind:' "$out/$name.yaml") objects"
done

# 2. Validate against the Kubernetes schema (k8s.io/api types pinned in tools/kvalidate/go.mod; the
#    modules come from the Go module proxy once and stay in the Go module cache). The binary is cached
#    outside the checkout, keyed by a hash of its sources and the Go version, so a fresh clone on the
#    same machine does not rebuild it (deploy/scripts/build-kvalidate.sh; KVALIDATE_BIN overrides).
kv="$(bash "$here/scripts/build-kvalidate.sh")"
"$kv" "${overlays[@]}"

# 3. Manifests vs the services' code.
/usr/bin/python3 "$here/scripts/check_manifests.py" "${overlays[@]}"

# 4. Prometheus config, rules, and every dashboard expression (wrapped as recording rules).
promtool check config "$here/prometheus/prometheus.yml"
/usr/bin/python3 - "$here/grafana/dashboards" "$out/dashboard-exprs.yml" <<'PY'
import json, pathlib, sys
rules = []
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    for p in json.loads(f.read_text())["panels"]:
        for t in p.get("targets", []):
            rules.append({"record": f"dashboard:{f.stem.replace('-', '_')}:{p['id']}_{t['refId']}", "expr": t["expr"]})
import yaml
pathlib.Path(sys.argv[2]).write_text(yaml.safe_dump({"groups": [{"name": "dashboard-exprs", "rules": rules}]}))
PY
promtool check rules "$out/dashboard-exprs.yml"

# 5. The dashboard JSON is generated.
cp "$here/grafana/dashboards/bottlenet-mesh.json" "$out/committed-dashboard.json"
/usr/bin/python3 "$here/grafana/generate.py"
if ! diff -q "$out/committed-dashboard.json" "$here/grafana/dashboards/bottlenet-mesh.json" >/dev/null; then
  cp "$out/committed-dashboard.json" "$here/grafana/dashboards/bottlenet-mesh.json"
  echo "deploy/grafana/dashboards/bottlenet-mesh.json is not what generate.py writes; rerun it and commit" >&2
  exit 1
fi
# 6. The k6 scripts parse (k6 inspect), when k6 is built; the load test needs it anyway, and
#    loadtest/build-k6.sh is where CI builds it. Without k6 this step is skipped with a note.
if k6="$(K6_NO_BUILD=1 bash "$root/loadtest/build-k6.sh" 2>/dev/null)"; then
  "$k6" inspect "$root/loadtest/k6/gateway.js" >/dev/null
  "$k6" inspect -e REQUESTS="$root/loadtest/k6/testdata/infer-request.json" "$root/loadtest/k6/worker-grpc.js" >/dev/null
  echo "k6 inspect: gateway.js, worker-grpc.js ok"
else
  echo "k6 inspect: skipped (k6 not built; run bash loadtest/build-k6.sh)"
fi
echo "deploy check: ok"
