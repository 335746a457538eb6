"""The paper's Fig. 7 analogue (accuracy vs compressed bytes over JPEG quality, compression-aware vs naive,
at one partition) and Table 4 analogue (per partition c', s, accuracy, mean bytes) as CSV + PNG/Markdown."""
from __future__ import annotations

import csv
import json
import os
from typing import Dict, List, Sequence

from .export import partition_codec
from .pipeline import METHODS, evaluate_with_codec, finetune, load_base, make_bottlenet
from .train import evaluate, set_threads

DEFAULT_QUALITIES = [1, 2, 3, 5, 8, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 100]


def fig7_rows(nets: Dict[str, object], te, qualities: Sequence[int], bits: int, log) -> List[dict]:
    rows = []
    for method, net in nets.items():
        for q in qualities:
            r, wire, full = evaluate_with_codec(net, te, q, bits)  # type: ignore[arg-type]
            rows.append({"method": method, "quality": q, "accuracy": round(r.accuracy, 4),
                         "meanBytes": round(wire, 1), "meanBytesFullJpeg": round(full, 1),
                         "meanBytesCompactJpeg": round(r.mean_wire_bytes_compact_jpeg, 1), "samples": r.samples})
            log(f"fig7 {method} q={q}: acc {r.accuracy:.4f} bytes {wire:.1f}")
    return rows


def plot_fig7(rows: List[dict], baseline: float, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for method, style in (("compression-aware", "o-"), ("naive", "s--")):
        rs = [r for r in rows if r["method"] == method]
        if not rs:
            continue
        axes[0].plot([r["meanBytes"] for r in rs], [100 * r["accuracy"] for r in rs], style, label=method, ms=4)
        axes[1].plot([r["quality"] for r in rs], [100 * r["accuracy"] for r in rs], style, label=method, ms=4)
    for ax in axes:
        ax.axhline(100 * baseline, color="gray", lw=0.8, ls=":", label="no bottleneck")
        ax.axhline(100 * (baseline - 0.02), color="red", lw=0.8, ls=":", label="-2 points")
        ax.set_ylabel("top-1 accuracy (%)")
        ax.grid(alpha=0.3)
    axes[0].set_xlabel("mean wire bytes per image (frame header + tables-omitted JPEG)")
    axes[1].set_xlabel("JPEG quality")
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def table4_rows(manifest: dict) -> List[dict]:
    return [{"model": manifest["name"], "partition": p["id"], "block": p["block"], "channels": p["channels"],
             "spatialFactor": p["spatialFactor"], "featureShape": "x".join(map(str, p["featureShape"])),
             "quality": partition_codec(manifest, p)["quality"],
             "accuracy": p["accuracy"], "baselineAccuracy": manifest["baselineAccuracy"],
             "meanBytes": p["meanBytes"], "meanBytesFullJpeg": p.get("meanBytesFullJpeg"),
             "meanBytesCompactJpeg": p.get("meanBytesCompactJpeg"),
             "method": p["training"].get("method")} for p in manifest["partitions"]]


def write_csv(rows: List[dict], path: str) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)


def markdown(rows: List[dict]) -> str:
    keys = list(rows[0].keys())
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def add_experiment_commands(sub, data_args, codec_args, datasets, log) -> None:
    f = sub.add_parser("fig7", help="accuracy vs bytes over JPEG quality for compression-aware and naive "
                                    "training at one partition (CSV + PNG)")
    data_args(f)
    codec_args(f)
    f.add_argument("--base", required=True, help="trained base network (train-base)")
    f.add_argument("--block", type=int, default=1, help="partition point (default 1, the earliest)")
    f.add_argument("--channels-reduced", type=int, default=1, help="c' of the bottleneck (default 1)")
    f.add_argument("--spatial", type=int, default=2, help="s of the bottleneck (default 2)")
    f.add_argument("--epochs", type=float, default=0.5, help="fine-tuning epochs per method (warm start)")
    f.add_argument("--lr", type=float, default=1e-3)
    f.add_argument("--batch-size", type=int, default=128)
    f.add_argument("--qualities", default=",".join(map(str, DEFAULT_QUALITIES)), help="JPEG qualities to test")
    f.add_argument("--out", required=True, help="output prefix: writes PREFIX.csv, PREFIX.png, PREFIX.json")

    def run_fig7(a) -> int:
        set_threads(a.threads)
        spec, base, _ = load_base(a.base)
        tr, te = datasets(a)
        baseline = evaluate(base, te).accuracy
        nets = {}
        for method in METHODS:
            net = make_bottlenet(base, spec, a.block, a.channels_reduced, a.spatial)
            log(f"fig7: {method} fine-tuning RB{a.block} c'={a.channels_reduced} s={a.spatial}")
            finetune(net, tr, method, a.epochs, quality=a.quality, bits=a.bits, lr=a.lr,
                     batch_size=a.batch_size, seed=a.seed, show_progress=not a.no_progress, log=log)
            nets[method] = net
        rows = fig7_rows(nets, te, [int(q) for q in a.qualities.split(",")], a.bits, log)
        write_csv(rows, a.out + ".csv")
        from .cli import _command

        with open(a.out + ".json", "w") as fh:
            json.dump({"baselineAccuracy": baseline, "block": a.block, "channels": a.channels_reduced,
                       "spatialFactor": a.spatial, "trainQuality": a.quality, "command": _command(),
                       "rows": rows}, fh, indent=2)
        plot_fig7(rows, baseline, a.out + ".png",
                  f"RB{a.block}, c'={a.channels_reduced}, s={a.spatial}: accuracy vs bytes (trained at q={a.quality})")
        log(f"wrote {a.out}.csv/.png/.json")
        return 0

    f.set_defaults(fn=run_fig7)

    t = sub.add_parser("table4", help="per-partition c', s, accuracy and mean bytes of model repositories "
                                      "(CSV + Markdown on stdout)")
    t.add_argument("manifests", nargs="+", help="manifest.json files")
    t.add_argument("--out", required=True, help="CSV path")

    def run_table4(a) -> int:
        rows: List[dict] = []
        for m in a.manifests:
            with open(m) as fh:
                rows += table4_rows(json.load(fh))
        write_csv(rows, a.out)
        print(markdown(rows))
        return 0

    t.set_defaults(fn=run_table4)
