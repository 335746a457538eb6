"""Command line: /usr/bin/python3 -m bottlenet_train <command> --help (run inside training/)."""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch

from . import data as D
from .models import round_large_linear_weights_to_half
from .pipeline import METHODS, BaseSpec, evaluate_with_codec, finetune, load_base, make_bottlenet, save_base
from .train import TrainConfig, evaluate, seed_everything, set_threads, train


def _log(msg: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


def _data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", choices=["fmnist", "scenes", "folder"], default="fmnist",
                   help="fmnist: Debian's Fashion-MNIST 28x28; scenes: seeded RGB scenes built from it; "
                        "folder: an ImageFolder (FOLDER/train/<class>/*, FOLDER/test/<class>/*)")
    p.add_argument("--folder", help="ImageFolder root for --data folder")
    p.add_argument("--size", type=int, default=112, help="input side for scenes/folder (default 112)")
    p.add_argument("--folder-channels", dest="folder_channels", type=int, default=3, choices=[1, 3], help="folder: 1 or 3 input channels")
    p.add_argument("--train-limit", type=int, help="use only the first N training samples")
    p.add_argument("--test-limit", type=int, help="use only the first N test samples")
    p.add_argument("--seed", type=int, default=0, help="seed for data order, init and scenes")
    p.add_argument("--threads", type=int, default=2, help="torch threads (at most 2)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _codec_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quality", type=int, default=20, help="JPEG quality of the codec (default 20)")
    p.add_argument("--bits", type=int, default=8, help="quantizer bits n, 1..8 (default 8)")


def _datasets(a: argparse.Namespace):
    kw = dict(size=a.size, seed=a.seed, folder=a.folder, channels=a.folder_channels)
    tr = D.build_dataset(a.data, "train", limit=a.train_limit, augment=True, **kw)
    te = D.build_dataset(a.data, "test", limit=a.test_limit, **kw)
    return tr, te


def _widths(flag: str, text: Optional[str], example: str, count: Optional[int] = None,
            what: str = "width") -> Optional[Tuple[int, ...]]:
    """Comma-separated positive integers given to ``flag`` (None when absent); ``count`` of them if set."""
    if not text:
        return None
    try:
        widths = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise SystemExit(f"{flag} {text!r}: expected comma-separated integers, e.g. {example}")
    if count is not None and len(widths) != count:
        raise SystemExit(f"{flag} {text!r}: expected {count} positive widths (one per {what})")
    if any(w < 1 for w in widths):
        raise SystemExit(f"{flag} {text!r}: every {what} width must be positive")
    return widths


def _architecture(spec: BaseSpec) -> dict:
    """What must match for one network's weights to load into another (zero_init_residual only sets init)."""
    d = {k: v for k, v in vars(spec).items() if k != "zero_init_residual"}
    d["input_shape"] = tuple(d["input_shape"])
    return d


def cmd_train_base(a: argparse.Namespace) -> int:
    stage_widths = _widths("--stage-widths", a.stage_widths, "8,32,64,128", count=4, what="stage")
    hidden = _widths("--classifier", a.classifier, "2048,2048", what="hidden") or ()
    if a.classifier_pool < 1:
        raise SystemExit(f"--classifier-pool {a.classifier_pool}: must be at least 1")
    set_threads(a.threads)
    seed_everything(a.seed)
    tr, te = _datasets(a)
    spec_in = D.input_spec_of(tr)
    spec = BaseSpec(a.arch, a.width, len(D.classes_of(tr)), spec_in.shape[0], tuple(spec_in.shape),
                    a.zero_init_residual, stage_widths, hidden, a.classifier_pool)
    model = spec.build()
    prior_epochs = 0.0
    if a.init:
        ispec, init_model, imeta = load_base(a.init)
        if _architecture(ispec) != _architecture(spec):
            raise SystemExit(f"--init {a.init} is a {ispec.describe()}, not {spec.describe()}")
        model.load_state_dict(init_model.state_dict())
        prior_epochs = float(imeta.get("epochs") or 0.0)
        _log(f"continuing from {a.init} ({prior_epochs} epochs so far)")
    _log(f"training {spec.describe()} on {len(tr)} samples for {a.epochs} epochs")
    res = train(model, tr, TrainConfig(epochs=a.epochs, batch_size=a.batch_size, lr=a.lr, seed=a.seed,
                                       checkpoint=a.out + ".ckpt", show_progress=not a.no_progress, log=_log))
    acc = evaluate(model, te).accuracy
    _log(f"baseline accuracy {acc:.4f} on {len(te)} test samples")
    save_base(a.out, spec, model, {"accuracy": acc, "epochs": prior_epochs + res.epochs_run, "data": a.data,
                                   "command": _command(), "initCommand": (load_base(a.init)[2].get("command")
                                                                         if a.init else None),
                                   "classes": D.classes_of(tr),
                                   "input": spec_in.manifest()})
    print(json.dumps({"baselineAccuracy": acc, "epochs": res.epochs_run, "out": a.out}))
    return 0


_ARGV: List[str] = []


def _command() -> str:
    """The exact command line of this run (recorded as trainCommand), run from training/."""
    return "/usr/bin/python3 -m bottlenet_train " + " ".join(shlex.quote(x) for x in _ARGV)


def _parse_partitions(text: str) -> List[tuple]:
    """'1:1:2,3:4:1' -> [(block 1, c' 1, s 2), (block 3, c' 4, s 1)]"""
    out = []
    for part in text.split(","):
        try:
            b, c, s = (int(v) for v in part.split(":"))
        except ValueError as e:
            raise SystemExit(f"bad partition {part!r}: expected BLOCK:CHANNELS:SPATIAL, e.g. 1:2:2") from e
        out.append((b, c, s))
    return out


def cmd_build(a: argparse.Namespace) -> int:
    from .export import PartitionExport, RepositoryExport, write_repository

    set_threads(a.threads)
    spec, base, meta = load_base(a.base)
    tr, te = _datasets(a)
    if tuple(D.input_spec_of(tr).shape) != tuple(spec.input_shape):
        raise SystemExit(f"data shape {D.input_spec_of(tr).shape} does not match the base network's "
                         f"{spec.input_shape}")
    if a.weights_fp16:
        _log(f"rounded {round_large_linear_weights_to_half(base)} large linear layers of the base to float16 values")
    base_acc = evaluate(base, te).accuracy
    _log(f"baseline accuracy {base_acc:.4f}")
    if a.partitions_from:
        with open(a.partitions_from) as fh:
            chosen = json.load(fh)["chosen"]
        plist = [(c["block"], c["channels"], c["spatialFactor"]) for c in chosen]
        search = "cheap"
    else:
        plist = _parse_partitions(a.partitions)
        search = "none"
    exports = []
    for block, ch, s in plist:
        net = make_bottlenet(base, spec, block, ch, s)
        _log(f"RB{block}: c'={ch} s={s} {a.method} fine-tuning for {a.epochs} epochs")
        ep = finetune(net, tr, a.method, a.epochs, quality=a.quality, bits=a.bits, lr=a.lr,
                      batch_size=a.batch_size, seed=a.seed, show_progress=not a.no_progress, log=_log,
                      teacher=base, distill=a.distill, freeze_head=a.freeze_head)
        if a.weights_fp16:
            round_large_linear_weights_to_half(net)
        r, wire, full = evaluate_with_codec(net, te, a.quality, a.bits)
        compact = r.mean_wire_bytes_compact_jpeg
        _log(f"RB{block}: accuracy {r.accuracy:.4f} meanBytes {wire:.1f} fullJpeg {full:.1f} "
             f"compactJpeg {compact:.1f}")
        exports.append(PartitionExport(net, r.accuracy, wire, full,
                                       {"method": a.method, "epochs": round(ep, 3), "search": search,
                                        "distill": a.distill, "warmStart": True, "testSamples": r.samples,
                                        **({"frozenHead": True} if a.freeze_head else {}),
                                        **({"weightsFp16": True} if a.weights_fp16 else {})},
                                       extra={"meanBytesCompactJpeg": round(compact, 1)}))
    rng = np.random.default_rng(a.seed)
    ref_idx = rng.choice(len(te), size=2, replace=False)
    pixels = np.stack([_pixels(te, int(i)) for i in ref_idx])
    rep = RepositoryExport(
        name=a.name, version=a.version, description=a.description, input_spec=D.input_spec_of(te),
        classes=D.classes_of(te), baseline_accuracy=base_acc, base=base, partitions=exports,
        codec={"kind": "jpeg", "quality": a.quality, "bits": a.bits}, train_command=_command(),
        reference_pixels=pixels,
        extra={"baseTraining": {"command": meta.get("command"), "epochs": meta.get("epochs"),
                                "arch": spec.arch, "width": spec.width,
                                **({"stageWidths": list(spec.stage_widths)} if spec.stage_widths else {}),
                                **({"classifierHidden": list(spec.classifier_hidden),
                                    "classifierPool": spec.classifier_pool} if spec.classifier_hidden else {})},
               "testSamples": len(te)})
    m = write_repository(rep, a.out)
    _log(f"wrote {a.out}/manifest.json with {len(m['partitions'])} partitions")
    return 0


def _pixels(ds, i: int) -> np.ndarray:
    """uint8 CHW pixels of test sample i (fmnist/scenes), rebuilt from the normalised tensor otherwise."""
    inner = ds.dataset if hasattr(ds, "dataset") else ds
    if isinstance(inner, D.FashionMNIST):
        return inner.images[i][None, :, :]
    if isinstance(inner, D.Scenes):
        return inner.pixels(i).transpose(2, 0, 1)
    x, _ = ds[i]
    spec = D.input_spec_of(ds)
    m = torch.tensor(spec.mean).view(-1, 1, 1)
    s = torch.tensor(spec.std).view(-1, 1, 1)
    return torch.clamp(torch.round((x * s + m) * 255), 0, 255).to(torch.uint8).numpy()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python3 -m bottlenet_train",
        description="BottleNet training: base networks, bottleneck units trained with the JPEG codec in the loop "
                    "(compression-aware) or without it (naive), Algorithm 1's training phase, export of a "
                    "model repository (ONNX head/tail/full + manifest.json).")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser("train-base", help="train the network without bottleneck (resumable: OUT.ckpt)")
    _data_args(t)
    t.add_argument("--arch", default="resnet-small", choices=["resnet-small", "resnet50"],
                   help="resnet-small: 4 basic blocks for 28x28; resnet50: 16 bottleneck blocks 3-4-6-3")
    t.add_argument("--width", type=int, default=16, help="base width (resnet50 full width is 64)")
    t.add_argument("--stage-widths", help="comma-separated width per stage (4 numbers) instead of doubling from "
                                          "--width per stage, e.g. 8,32,64,128: wider cloud-side stages, same "
                                          "stem and first stage (the device's early heads cost the same)")
    t.add_argument("--classifier", help="hidden widths of a VGG-style fully-connected classifier, e.g. 2048,2048 "
                                        "(default: ResNet's single linear layer after global pooling)")
    t.add_argument("--classifier-pool", dest="classifier_pool", type=int, default=1,
                   help="average-pool the last feature map to N x N before the classifier (VGG: 7; default 1)")
    t.add_argument("--zero-init-residual", action="store_true",
                   help="start every residual block as the identity (helps deep, narrow nets train quickly)")
    t.add_argument("--epochs", type=float, default=4, help="training epochs (fractions allowed)")
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (AdamW, one-cycle)")
    t.add_argument("--init", help="start from this base network's weights (continue training)")
    t.add_argument("--out", required=True, help="base network file (.pt)")
    t.set_defaults(fn=cmd_train_base)

    b = sub.add_parser("build", help="fine-tune bottleneck units at partitions and export a model repository")
    _data_args(b)
    _codec_args(b)
    b.add_argument("--base", required=True, help="base network from train-base")
    b.add_argument("--partitions", default="1:1:2", help="BLOCK:CHANNELS:SPATIAL,... (default 1:1:2)")
    b.add_argument("--partitions-from", help="search report (JSON) whose 'chosen' list gives the partitions")
    b.add_argument("--method", choices=METHODS, default="compression-aware")
    b.add_argument("--epochs", type=float, default=1, help="fine-tuning epochs per partition")
    b.add_argument("--batch-size", type=int, default=128)
    b.add_argument("--lr", type=float, default=1e-3)
    b.add_argument("--distill", type=float, default=0.0,
                   help="weight of knowledge distillation from the base network (0..1; 0 = labels only)")
    b.add_argument("--freeze-head", action="store_true",
                   help="keep the base network's layers before the cut as trained (no gradient, fixed "
                        "BatchNorm statistics): only the bottleneck unit and the tail are fine-tuned; "
                        "much cheaper for deep cuts")
    b.add_argument("--weights-fp16", dest="weights_fp16", action="store_true",
                   help="round large fully-connected weights to float16 values before evaluation and export: "
                        "the repository stores them at half the bytes, accuracy is measured on what ships, "
                        "and onnxruntime runs them in float32 as before")
    b.add_argument("--name", required=True, help="repository name (manifest 'name')")
    b.add_argument("--version", default="1")
    b.add_argument("--description", default="")
    b.add_argument("--out", required=True, help="output folder, e.g. ../models/fmnist-resnet-small")
    b.set_defaults(fn=cmd_build)

    from .experiments import add_experiment_commands
    from .merge import add_merge_command
    from .search import add_search_command

    add_search_command(sub, _data_args, _codec_args, _datasets, _log)
    add_experiment_commands(sub, _data_args, _codec_args, _datasets, _log)
    add_merge_command(sub, _log)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    global _ARGV
    _ARGV = list(sys.argv[1:] if argv is None else argv)
    a = build_parser().parse_args(_ARGV)
    return int(a.fn(a) or 0)
