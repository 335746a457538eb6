#!/usr/bin/env python3
"""Writes deploy/grafana/dashboards/bottlenet-mesh.json (provisioning-ready). Edit the panel list here,
rerun `python3 deploy/grafana/generate.py`, commit both; deploy/check.sh fails if they differ."""
import json
import pathlib

DS = {"type": "prometheus", "uid": "prometheus"}
PANELS = [
    # (title, unit, stacked, [(expr, legend)])
    ("Queue depth per worker", "short", False, [("sum by (worker) (bottlenet_worker_queue_depth)", "{{worker}}")]),
    ("In flight per worker", "short", False, [("sum by (worker) (bottlenet_worker_in_flight_requests)", "{{worker}}")]),
    ("Cloud load level K_cloud", "short", False, [("bottlenet_load_monitor_cloud_load_level", "K_cloud")]),
    ("Partition mix (cloud side, req/s)", "reqps", True, [("sum by (partition) (rate(bottlenet_worker_requests_total[1m]))", "{{partition}}")]),
    ("Partition mix (agents, req/s)", "reqps", True, [("sum by (candidate) (rate(bottlenet_agent_requests_total[1m]))", "{{candidate}}")]),
    ("Agent latency p50 / p95 by partition and network", "s", False, [
        ("histogram_quantile(0.5, sum by (le, candidate, network) (rate(bottlenet_agent_request_duration_seconds_bucket[1m])))", "p50 {{candidate}} {{network}}"),
        ("histogram_quantile(0.95, sum by (le, candidate, network) (rate(bottlenet_agent_request_duration_seconds_bucket[1m])))", "p95 {{candidate}} {{network}}"),
    ]),
    ("Worker compute p95 by partition", "s", False, [
        ("histogram_quantile(0.95, sum by (le, partition) (rate(bottlenet_worker_compute_duration_seconds_bucket[1m])))", "{{partition}}"),
    ]),
    ("Bytes uploaded per request", "bytes", False, [
        ("sum by (candidate) (rate(bottlenet_agent_upload_bytes_total[1m])) / clamp_min(sum by (candidate) (rate(bottlenet_agent_requests_total[1m])), 1e-9)", "{{candidate}}"),
    ]),
    ("Device energy per request (mJ)", "short", False, [
        ("sum by (candidate) (rate(bottlenet_agent_energy_millijoules_total[1m])) / clamp_min(sum by (candidate) (rate(bottlenet_agent_requests_total[1m])), 1e-9)", "{{candidate}}"),
    ]),
    ("Errors by code (req/s)", "reqps", True, [("sum by (code) (rate(bottlenet_worker_requests_total{code!=\"ok\"}[1m]))", "{{code}}")]),
    ("Agent fallbacks and switches", "short", False, [
        ("sum by (reason) (rate(bottlenet_agent_fallbacks_total[1m]))", "fallback {{reason}}"),
        ("sum (rate(bottlenet_agent_switches_total[5m]))", "switches"),
    ]),
    ("Load view freshness (s since last publish)", "s", False, [
        ("time() - bottlenet_load_monitor_last_publish_timestamp_seconds", "age"),
        ("bottlenet_load_monitor_redis_up", "redis up"),
    ]),
]


def panel(i, title, unit, stacked, targets):
    return {
        "id": i + 1,
        "type": "timeseries",
        "title": title,
        "datasource": DS,
        "gridPos": {"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)},
        "fieldConfig": {"defaults": {"unit": unit, "custom": {"stacking": {"mode": "normal" if stacked else "none"}}}, "overrides": []},
        "targets": [{"refId": chr(65 + k), "datasource": DS, "expr": e, "legendFormat": l} for k, (e, l) in enumerate(targets)],
    }


dashboard = {
    "uid": "bottlenet-mesh",
    "title": "BottleNet mesh",
    "tags": ["bottlenet"],
    "schemaVersion": 39,
    "version": 1,
    "editable": False,
    "time": {"from": "now-30m", "to": "now"},
    "refresh": "10s",
    "panels": [panel(i, *p) for i, p in enumerate(PANELS)],
}
out = pathlib.Path(__file__).parent / "dashboards" / "bottlenet-mesh.json"
out.write_text(json.dumps(dashboard, indent=2) + "\n")
