#!/usr/bin/env python3
"""Checks that the rendered manifests and the observability config match what the services read.

Usage: check_manifests.py <rendered-overlay.yaml>...  (deploy/check.sh renders them)

For every service whose sources exist (services/<name>/src beyond the placeholder index.ts):
- every env var a Deployment sets appears in the service's (non-test) sources;
- each port given by env (WORKER_GRPC_PORT, WORKER_METRICS_PORT) equals the matching containerPort;
- every HTTP probe path appears in the service's sources; gRPC probes hit the gRPC containerPort;
- the load monitor's ConfigMap JSON passes the service's own schema (compileLoadMonitorConfig, via tsx)
  and its http.port equals the containerPort;
- every bottlenet_* metric used by deploy/prometheus/rules.yml and the Grafana dashboard is registered
  by some service.
A service without sources yet is reported as SKIPPED, not passed.
"""
import json
import pathlib
import re
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERVICES = {"cloud-worker": "cloud-worker", "load-monitor": "load-monitor", "gateway": "gateway"}
errors: list[str] = []
notes: list[str] = []


def sources(service: str) -> str:
    src = ROOT / "services" / service / "src"
    files = [p for p in src.rglob("*.ts") if not p.name.endswith(".test.ts")]
    if len(files) <= 1:
        return ""
    return "\n".join(p.read_text() for p in files)


def containers(docs, name):
    for d in docs:
        if d and d.get("kind") == "Deployment" and d["metadata"]["name"] == name:
            yield from d["spec"]["template"]["spec"]["containers"]


def check_overlay(path: pathlib.Path):
    docs = list(yaml.safe_load_all(path.read_text()))
    for deploy, service in SERVICES.items():
        text = sources(service)
        if not text:
            notes.append(f"SKIPPED {path.name}:{deploy}: services/{service}/src has no sources yet")
            continue
        for c in containers(docs, deploy):
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            for name in env:
                if f"{name}" not in text:
                    errors.append(f"{path.name}:{deploy}: env {name} is not read by services/{service}/src")
            for var, port_name in (("WORKER_GRPC_PORT", "grpc"), ("WORKER_METRICS_PORT", "metrics")):
                if var in env and int(env[var]) != ports.get(port_name):
                    errors.append(f"{path.name}:{deploy}: {var}={env[var]} but containerPort {port_name}={ports.get(port_name)}")
            for probe_name in ("readinessProbe", "livenessProbe", "startupProbe"):
                probe = c.get(probe_name)
                if not probe:
                    continue
                if "httpGet" in probe and f"'{probe['httpGet']['path']}'" not in text:
                    errors.append(f"{path.name}:{deploy}: {probe_name} path {probe['httpGet']['path']} is not served by services/{service}/src")
                if "grpc" in probe and probe["grpc"]["port"] != ports.get("grpc"):
                    errors.append(f"{path.name}:{deploy}: {probe_name} gRPC port {probe['grpc']['port']} is not the grpc containerPort")
            if deploy == "load-monitor":
                check_service_config(path, docs, ports, "load-monitor", "load-monitor.json", "compileLoadMonitorConfig", None)
            if deploy == "gateway":
                check_service_config(path, docs, ports, "gateway", "gateway.json", "compileGatewayConfig", api_keys(docs))


def api_keys(docs):
    """The dev overlay's generated API keys (prod's Secret is created out of band: a placeholder)."""
    import base64
    for d in docs:
        if d and d.get("kind") == "Secret" and d["metadata"]["name"] == "gateway-api-keys":
            return json.loads(base64.b64decode(d["data"]["api-keys.json"]))
    return [{"name": "placeholder", "key": "placeholder-key-0123456789"}]


def check_service_config(path, docs, ports, service, file, compile_fn, keys):
    """Runs the service's own config compiler on the ConfigMap JSON (env overrides applied like load.ts)."""
    cm = next(d for d in docs if d and d.get("kind") == "ConfigMap" and d["metadata"]["name"].startswith(f"{service}-config"))
    cfg = json.loads(cm["data"][file])
    port = (cfg.get("http") or cfg.get("listen") or {}).get("port")
    if port != ports.get("http"):
        errors.append(f"{path.name}: {file} port {port} is not the containerPort http ({ports.get('http')})")
    if keys is not None:
        cfg["apiKeys"] = keys
    script = (
        f"import {{ {compile_fn} }} from './services/{service}/src/config/index.ts';"
        f"{compile_fn}(JSON.parse(process.argv[1]));"
    )
    r = subprocess.run(["node", "--import", "tsx", "--input-type=module", "-e", script, json.dumps(cfg)], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        lines = r.stderr.strip().splitlines()
        why = next((l.strip() for l in lines if "[invalid_argument]" in l), lines[-1] if lines else str(r.returncode))
        errors.append(f"{path.name}: {file} rejected by services/{service}'s schema: {why}")


def check_metrics():
    registered = "\n".join(sources(s) for s in ("cloud-worker", "load-monitor", "gateway", "mobile-agent"))
    used = set()
    for f in [ROOT / "deploy/prometheus/rules.yml", *(ROOT / "deploy/grafana/dashboards").glob("*.json")]:
        used |= set(re.findall(r"\bbottlenet_[a-z0-9_]+", f.read_text()))
    for m in sorted(used):
        base = re.sub(r"_(bucket|sum|count)$", "", m)
        # prom-client names may be built from a prefix, e.g. `${p}polls_total` with p = 'bottlenet_load_monitor_'
        if base in registered or any(base == pre + rest for pre, rest in prefixed(registered)):
            continue
        errors.append(f"metric {m} is used by rules/dashboards but no service registers it")


def prefixed(text):
    for pre in set(re.findall(r"'(bottlenet_[a-z_]+_)'", text)):
        for rest in re.findall(r"\$\{p\}([a-z0-9_]+)", text):
            yield pre, rest


for arg in sys.argv[1:]:
    check_overlay(pathlib.Path(arg))
check_metrics()
for n in notes:
    print(n)
for e in errors:
    print("ERROR", e)
print(f"check_manifests: overlays={len(sys.argv) - 1} errors={len(errors)} skipped={len(notes)}")
sys.exit(1 if errors else 0)
