"""Algorithm 1, training phase: per partition point choose (c', s) with the fewest compressed bytes whose
accuracy (codec in the loop) is within ``allowed_loss`` of the network without bottleneck.

- ``sweep`` (the paper): every grid point trained from scratch, compression-aware, for ``sweep_epochs``.
- ``cheap``: warm start from the trained base network; for each s, binary-search the smallest c' that
  meets the accuracy bound (accuracy grows with c'); each probe fine-tunes in chunks and stops as soon as
  the bound is met (early stop). Reports the epochs each search spent and whether the choices agree.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional, Sequence

from torch.utils.data import Dataset

from .models import ResNet
from .pipeline import BaseSpec, evaluate_with_codec, finetune, load_base, make_bottlenet
from .train import set_threads


@dataclass
class Probe:
    block: int
    channels: int
    spatialFactor: int
    accuracy: float
    meanBytes: float
    epochs: float
    withinLoss: bool


@dataclass
class SearchSettings:
    blocks: Sequence[int]
    channels: Sequence[int]
    spatial: Sequence[int]
    allowed_loss: float = 0.02
    quality: int = 20
    bits: int = 8
    sweep_epochs: float = 1.0
    cheap_epochs: float = 0.2
    cheap_chunks: int = 2
    lr_scratch: float = 4e-3
    lr_finetune: float = 1e-3
    batch_size: int = 128
    seed: int = 0
    show_progress: bool = False
    distill: float = 0.0  # cheap probes: weight of distillation from the base network they warm-start from


def _choose(probes: List[Probe]) -> Optional[Probe]:
    ok = [p for p in probes if p.withinLoss]
    if ok:
        return min(ok, key=lambda p: (p.meanBytes, -p.accuracy))
    return max(probes, key=lambda p: p.accuracy) if probes else None


def full_sweep(spec: BaseSpec, base: ResNet, baseline: float, tr: Dataset, te: Dataset, st: SearchSettings,
               log: Callable[[str], None]) -> Dict[int, List[Probe]]:
    out: Dict[int, List[Probe]] = {}
    for j in st.blocks:
        out[j] = []
        for s in st.spatial:
            for c in st.channels:
                net = make_bottlenet(base, spec, j, c, s, warm=False)
                ep = finetune(net, tr, "compression-aware", st.sweep_epochs, quality=st.quality, bits=st.bits,
                              lr=st.lr_scratch, batch_size=st.batch_size, seed=st.seed,
                              show_progress=st.show_progress, log=lambda m: None)
                r, wire, _ = evaluate_with_codec(net, te, st.quality, st.bits)
                p = Probe(j, c, s, r.accuracy, wire, ep, r.accuracy >= baseline - st.allowed_loss)
                log(f"sweep RB{j} c'={c} s={s}: acc {p.accuracy:.4f} bytes {p.meanBytes:.1f} epochs {ep:.2f}")
                out[j].append(p)
    return out


def cheap_search(spec: BaseSpec, base: ResNet, baseline: float, tr: Dataset, te: Dataset, st: SearchSettings,
                 log: Callable[[str], None]) -> Dict[int, List[Probe]]:
    out: Dict[int, List[Probe]] = {}
    chans = sorted(st.channels)
    for j in st.blocks:
        out[j] = []
        best_bytes = float("inf")
        for s in sorted(st.spatial, reverse=True):
            lo, hi = 0, len(chans) - 1
            while lo <= hi:
                mid = (lo + hi) // 2
                c = chans[mid]
                net = make_bottlenet(base, spec, j, c, s, warm=True)
                spent, acc, wire = 0.0, 0.0, 0.0
                for k in range(st.cheap_chunks):  # early stop: evaluate after each chunk
                    spent += finetune(net, tr, "compression-aware", st.cheap_epochs / st.cheap_chunks,
                                      quality=st.quality, bits=st.bits, lr=st.lr_finetune,
                                      batch_size=st.batch_size, seed=st.seed + k,
                                      show_progress=st.show_progress, log=lambda m: None,
                                      teacher=base, distill=st.distill)
                    r, wire, _ = evaluate_with_codec(net, te, st.quality, st.bits)
                    acc = r.accuracy
                    if acc >= baseline - st.allowed_loss:
                        break
                p = Probe(j, c, s, acc, wire, spent, acc >= baseline - st.allowed_loss)
                log(f"cheap RB{j} c'={c} s={s}: acc {acc:.4f} bytes {wire:.1f} epochs {spent:.2f}")
                out[j].append(p)
                if p.withinLoss:
                    best_bytes = min(best_bytes, wire)
                    hi = mid - 1
                else:
                    lo = mid + 1
    return out


def report(baseline: float, st: SearchSettings, sweep: Optional[Dict[int, List[Probe]]],
           cheap: Optional[Dict[int, List[Probe]]]) -> Dict:
    rows = []
    for j in st.blocks:
        row: Dict = {"block": j}
        for name, res in (("sweep", sweep), ("cheap", cheap)):
            if res is None:
                continue
            ch = _choose(res[j])
            row[name] = {"choice": asdict(ch) if ch else None, "epochs": round(sum(p.epochs for p in res[j]), 3),
                         "probes": len(res[j])}
        if sweep is not None and cheap is not None:
            a, b = row["sweep"]["choice"], row["cheap"]["choice"]
            row["sameConfig"] = (a["channels"], a["spatialFactor"]) == (b["channels"], b["spatialFactor"])
            row["accuracyGap"] = round(b["accuracy"] - a["accuracy"], 4)
            # The claim checked: the cheap search loses at most 0.5 points against the sweep's choice. A cheap
            # choice MORE accurate than the sweep's (warm start beats training from scratch at a small epoch
            # budget) is not a disagreement; accuracyGap keeps the sign so the report shows which it was.
            row["agree"] = row["sameConfig"] or row["accuracyGap"] >= -0.005
        rows.append(row)
    out: Dict = {"baselineAccuracy": baseline, "allowedLoss": st.allowed_loss, "settings": asdict(st),
                 "partitions": rows}
    for name, res in (("sweep", sweep), ("cheap", cheap)):
        if res is not None:
            out[f"{name}Epochs"] = round(sum(p.epochs for ps in res.values() for p in ps), 3)
            out[f"{name}Probes"] = {str(j): [asdict(p) for p in ps] for j, ps in res.items()}
    if sweep is not None and cheap is not None:
        out["epochRatio"] = round(out["cheapEpochs"] / max(out["sweepEpochs"], 1e-9), 4)
    src = cheap if cheap is not None else sweep
    out["chosen"] = [asdict(_choose(src[j])) for j in st.blocks] if src else []  # type: ignore[arg-type]
    return out


def _ints(text: str) -> List[int]:
    return [int(v) for v in text.split(",") if v]


def add_search_command(sub, data_args, codec_args, datasets, log) -> None:
    p = sub.add_parser("search", help="Algorithm 1's training phase: full sweep and/or the cheap search; "
                                      "writes a JSON report (per partition: choice, epochs, agreement)")
    data_args(p)
    codec_args(p)
    p.add_argument("--base", required=True, help="trained base network (train-base); its accuracy is the "
                                                 "reference and the cheap search warm-starts from it")
    p.add_argument("--mode", choices=["sweep", "cheap", "both"], default="both")
    p.add_argument("--blocks", default="1,2,3,4", help="partition points to search (block indices)")
    p.add_argument("--channels", default="1,2,4,8", help="grid of c'")
    p.add_argument("--spatial", default="1,2", help="grid of s")
    p.add_argument("--allowed-loss", type=float, default=0.02, help="accuracy loss allowed (default 0.02)")
    p.add_argument("--sweep-epochs", type=float, default=1.0, help="epochs per grid point, from scratch")
    p.add_argument("--cheap-epochs", type=float, default=0.2, help="max fine-tuning epochs per cheap probe")
    p.add_argument("--cheap-chunks", type=int, default=2, help="early-stop checks per cheap probe")
    p.add_argument("--lr-scratch", type=float, default=4e-3, help="peak LR for sweep points (from scratch)")
    p.add_argument("--lr-finetune", type=float, default=3e-3, help="LR for cheap probes (warm start)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--distill", type=float, default=0.0,
                   help="cheap probes: weight of distillation from the base network (0..1)")
    p.add_argument("--out", required=True, help="report JSON path")

    def run(a) -> int:
        set_threads(a.threads)
        spec, base, meta = load_base(a.base)
        tr, te = datasets(a)
        from .train import evaluate

        baseline = evaluate(base, te).accuracy
        log(f"baseline accuracy {baseline:.4f} (base trained {meta.get('epochs')} epochs)")
        st = SearchSettings(_ints(a.blocks), _ints(a.channels), _ints(a.spatial), a.allowed_loss, a.quality,
                            a.bits, a.sweep_epochs, a.cheap_epochs, a.cheap_chunks, a.lr_scratch, a.lr_finetune,
                            batch_size=a.batch_size,
                            seed=a.seed, show_progress=not a.no_progress, distill=a.distill)
        t0 = time.time()
        cheap = cheap_search(spec, base, baseline, tr, te, st, log) if a.mode in ("cheap", "both") else None
        t1 = time.time()
        sweep = full_sweep(spec, base, baseline, tr, te, st, log) if a.mode in ("sweep", "both") else None
        t2 = time.time()
        rep = report(baseline, st, sweep, cheap)
        rep["baseEpochs"] = meta.get("epochs")
        rep["seconds"] = {"cheap": round(t1 - t0, 1), "sweep": round(t2 - t1, 1)}
        from .cli import _command

        rep["command"] = _command()
        with open(a.out, "w") as fh:
            json.dump(rep, fh, indent=2)
        log(f"wrote {a.out}")
        print(json.dumps({k: rep.get(k) for k in ("sweepEpochs", "cheapEpochs", "epochRatio")}))
        return 0

    p.set_defaults(fn=run)
