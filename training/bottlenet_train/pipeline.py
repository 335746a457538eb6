"""Glue between data, models, training and export: base networks on disk, bottleneck fine-tuning with
either method, codec-in-the-loop evaluation."""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

import torch
from torch.utils.data import Dataset

from .codec import CodecLayer
from .models import BottleNet, ResNet, build_arch
from .train import EvalResult, TrainConfig, evaluate, loader, train

METHODS = ("compression-aware", "naive")


@dataclass
class BaseSpec:
    arch: str
    width: int
    num_classes: int
    in_channels: int
    input_shape: Tuple[int, int, int]
    zero_init_residual: bool = False
    #: Per-stage widths instead of doubling from ``width`` (None: doubling). Older checkpoints lack it.
    stage_widths: Optional[Tuple[int, ...]] = None
    #: Hidden widths of a VGG-style classifier after ``classifier_pool`` x ``classifier_pool`` average
    #: pooling (empty: ResNet's single linear layer after global pooling).
    classifier_hidden: Tuple[int, ...] = ()
    classifier_pool: int = 1

    def build(self) -> ResNet:
        return build_arch(self.arch, self.num_classes, self.in_channels, self.width,
                          zero_init_residual=self.zero_init_residual, stage_widths=self.stage_widths,
                          classifier_hidden=self.classifier_hidden, classifier_pool=self.classifier_pool)

    def describe(self) -> str:
        widths = f"stage widths {list(self.stage_widths)}" if self.stage_widths else f"width {self.width}"
        head = (f", classifier {self.classifier_pool}x{self.classifier_pool} pool + FC {list(self.classifier_hidden)}"
                if self.classifier_hidden else "")
        return f"{self.arch} {widths}{head} for {tuple(self.input_shape)}"


def save_base(path: str, spec: BaseSpec, model: ResNet, meta: Dict[str, Any]) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    torch.save({"spec": spec.__dict__, "state": model.state_dict(), "meta": meta}, path)


def load_base(path: str) -> Tuple[BaseSpec, ResNet, Dict[str, Any]]:
    if not os.path.exists(path):
        raise FileNotFoundError(f"base network checkpoint {path} does not exist (run train-base first)")
    blob = torch.load(path)
    d = dict(blob["spec"])
    d["input_shape"] = tuple(d["input_shape"])
    if d.get("stage_widths") is not None:
        d["stage_widths"] = tuple(d["stage_widths"])
    d["classifier_hidden"] = tuple(d.get("classifier_hidden", ()))
    spec = BaseSpec(**d)
    model = spec.build()
    model.load_state_dict(blob["state"])
    return spec, model, blob.get("meta", {})


def make_bottlenet(base: ResNet, spec: BaseSpec, block: int, channels: int, spatial: int,
                   warm: bool = True) -> BottleNet:
    """A BottleNet after ``block``; warm=True copies the trained base weights (else a fresh network)."""
    b = copy.deepcopy(base) if warm else spec.build()
    return BottleNet(b, block, channels, spatial, spec.input_shape)


def finetune(net: BottleNet, ds: Dataset, method: str, epochs: float, *, quality: int, bits: int,
             lr: float, batch_size: int, seed: int, checkpoint: Optional[str] = None,
             show_progress: bool = True, log=print, teacher: Optional[torch.nn.Module] = None,
             distill: float = 0.0, freeze_head: bool = False) -> float:
    """Train ``net`` with the codec in the loop (compression-aware) or without (naive), optionally also
    matching ``teacher``'s softened outputs with weight ``distill``, optionally with the base network's
    layers before the cut frozen (``freeze_head``). Returns epochs run."""
    if method not in METHODS:
        raise ValueError(f"unknown training method {method!r} (expected one of {METHODS})")
    if freeze_head:
        net.freeze_base_head()
    net.codec = CodecLayer(bits, quality) if method == "compression-aware" else None
    try:
        res = train(net, ds, TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                                         checkpoint=checkpoint, show_progress=show_progress, log=log,
                                         teacher=teacher if distill > 0 else None, distill_weight=distill))
        recalibrate_bn(net, ds, batch_size=batch_size, seed=seed)
    finally:
        net.codec = None
    return res.epochs_run


@torch.no_grad()
def recalibrate_bn(net: torch.nn.Module, ds: Dataset, batches: int = 8, batch_size: int = 128,
                   seed: int = 0) -> None:
    """Re-estimate BatchNorm running statistics with a few forward batches (no gradient, same codec
    setting as training). After short fine-tuning the new bottleneck unit's running stats are still near
    their initial values, and evaluation with them is meaningless. Frozen layers (no trainable
    parameter) keep their statistics."""
    bns = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
           and any(p.requires_grad for p in m.parameters())]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration batches
    net.train()
    dl = loader(ds, batch_size, True, seed + 7919)
    for i, (x, _) in enumerate(dl):
        if i >= batches:
            break
        net(x)
    for m, mom in zip(bns, saved):
        m.momentum = mom
    net.eval()


def evaluate_with_codec(net: BottleNet, ds: Dataset, quality: int, bits: int) -> Tuple[EvalResult, float, float]:
    """Accuracy with the codec in the loop, mean wire bytes (frame header + tables-omitted payload) and
    mean bytes with a complete JPEG instead (frame header + full JPEG file). ``r`` also carries the
    compact complete JPEG's mean wire bytes (optimised Huffman tables, no APP0)."""
    r = evaluate(net, ds, codec=CodecLayer(bits, quality, measure_compact=True))
    return r, r.mean_wire_bytes, r.mean_wire_bytes_full_jpeg
