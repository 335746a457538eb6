"""ONNX export (head / tail / full) and the model repository's manifest.json + reference.json.

Layout and keys follow docs/contracts-for-helpers.md. ONNX names: input -> features -> logits, batch axis
dynamic, opset 13. reference.json holds a few test inputs (uint8 pixels, NCHW) with PyTorch's logits
for the full network and for head+tail of every partition (no codec), for the TypeScript parity test.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from torch import nn

from .data import InputSpec
from .models import HALF_MIN_ELEMENTS, BottleNet, HeadModule, ResNet, TailModule

OPSET = 13
SCHEMA_VERSION = 1


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def partition_codec(manifest: Dict[str, Any], partition: Dict[str, Any]) -> Dict[str, Any]:
    """The codec a partition's features are encoded with: its own ``codec``, else the manifest's."""
    return partition.get("codec", manifest["codec"])


def count_flops(module: nn.Module, example: torch.Tensor) -> int:
    """Multiply-accumulates x 2 of every Conv/ConvTranspose/Linear for one sample."""
    total = [0]

    def hook(m: nn.Module, inp: Any, out: torch.Tensor) -> None:
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
            total[0] += 2 * k * out[0].numel()
        elif isinstance(m, nn.ConvTranspose2d):
            k = m.kernel_size[0] * m.kernel_size[1] * (m.out_channels // m.groups)
            total[0] += 2 * k * inp[0][0].numel()
        elif isinstance(m, nn.Linear):
            total[0] += 2 * m.in_features * m.out_features

    handles = [m.register_forward_hook(hook) for m in module.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    with torch.no_grad():
        module.eval()
        module(example[:1])
    for h in handles:
        h.remove()
    return int(total[0])


def export_onnx(module: nn.Module, example: torch.Tensor, path: str, in_name: str, out_name: str) -> None:
    module.eval()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    torch.onnx.export(
        module, (example,), path, input_names=[in_name], output_names=[out_name], opset_version=OPSET,
        dynamic_axes={in_name: {0: "batch"}, out_name: {0: "batch"}}, do_constant_folding=True,
    )
    import onnx

    model = onnx.load(path)
    if store_exact_half_initializers(model) > 0:
        onnx.save(model, path)
    onnx.checker.check_model(model)


def store_exact_half_initializers(model: Any) -> int:
    """Stores every float32 initializer of at least HALF_MIN_ELEMENTS values that float16 represents
    exactly as float16 followed by a Cast back to float32 (``build --weights-fp16`` rounds the large linear
    weights so that theirs are). Lossless by construction: a tensor with any value float16 cannot hold is
    left as it is. onnxruntime folds the Cast when it loads the model, so it runs the same float32 weights
    and the file carries half the bytes. Returns how many initializers it converted."""
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    converted = 0
    for init in list(graph.initializer):
        if init.data_type != TensorProto.FLOAT or int(np.prod(init.dims)) < HALF_MIN_ELEMENTS:
            continue
        values = numpy_helper.to_array(init)
        half = values.astype(np.float16)
        if not np.array_equal(half.astype(np.float32), values):
            continue
        graph.initializer.remove(init)
        graph.initializer.append(numpy_helper.from_array(half, f"{init.name}__float16"))
        graph.node.insert(0, helper.make_node("Cast", [f"{init.name}__float16"], [init.name],
                                              to=TensorProto.FLOAT, name=f"{init.name}__to_float32"))
        converted += 1
    return converted


@dataclass
class PartitionExport:
    net: BottleNet
    accuracy: float
    mean_bytes: float
    mean_bytes_full_jpeg: float
    training: Dict[str, Any]
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> str:
        return f"rb{self.net.block}"


@dataclass
class RepositoryExport:
    name: str
    version: str
    description: str
    input_spec: InputSpec
    classes: List[str]
    baseline_accuracy: float
    base: ResNet
    partitions: List[PartitionExport]
    codec: Dict[str, Any]
    train_command: str
    reference_pixels: np.ndarray  # uint8 [N, C, H, W]
    extra: Dict[str, Any] = field(default_factory=dict)


def pixels_to_input(pixels: np.ndarray, spec: InputSpec) -> torch.Tensor:
    """uint8 NCHW -> float32 normalised exactly as the manifest says (float32 maths)."""
    x = torch.from_numpy(pixels.astype(np.float32)) / np.float32(255.0)
    mean = torch.tensor(spec.mean, dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(spec.std, dtype=torch.float32).view(1, -1, 1, 1)
    return (x - mean) / std


def _round(v: Sequence[float]) -> List[float]:
    return [float(f"{x:.8g}") for x in v]


def write_repository(rep: RepositoryExport, out_dir: str) -> Dict[str, Any]:
    os.makedirs(out_dir, exist_ok=True)
    example = torch.zeros(2, *rep.input_spec.shape)
    ref_x = pixels_to_input(rep.reference_pixels, rep.input_spec)
    full_path = os.path.join(out_dir, "full.onnx")
    export_onnx(rep.base, example, full_path, "input", "logits")
    reference: Dict[str, Any] = {
        "note": "pixels are uint8 NCHW; normalise with the manifest's input block; logits from PyTorch, no codec",
        "shape": list(rep.reference_pixels.shape),
        "pixels": rep.reference_pixels.reshape(-1).astype(int).tolist(),
        "tolerance": 1e-4,
    }
    with torch.no_grad():
        rep.base.eval()
        reference["full"] = {"logits": [_round(r) for r in rep.base(ref_x).tolist()]}
    manifest: Dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "name": rep.name,
        "version": rep.version,
        "description": rep.description,
        "input": rep.input_spec.manifest(),
        "classes": rep.classes,
        "baselineAccuracy": round(rep.baseline_accuracy, 4),
        "full": {"file": "full.onnx", "sha256": sha256_file(full_path), "flops": count_flops(rep.base, example)},
        "codec": rep.codec,
        "partitions": [],
        "trainCommand": rep.train_command,
        "profiles": {},
    }
    reference["partitions"] = {}
    for p in sorted(rep.partitions, key=lambda p: p.net.block):
        net = p.net
        net.eval()
        net.codec = None
        head, tail = HeadModule(net), TailModule(net)
        fshape = list(net.head(example[:1]).shape[1:])
        head_rel, tail_rel = f"{p.pid}/head.onnx", f"{p.pid}/tail.onnx"
        export_onnx(head, example, os.path.join(out_dir, head_rel), "input", "features")
        feat_example = torch.zeros(2, *fshape)
        export_onnx(tail, feat_example, os.path.join(out_dir, tail_rel), "features", "logits")
        with torch.no_grad():
            f = net.head(ref_x)
            logits = net.tail(f)
        reference["partitions"][p.pid] = {
            "featuresShape": fshape,
            "featuresSum": [float(v) for v in f.flatten(1).sum(1).tolist()],
            "logits": [_round(r) for r in logits.tolist()],
        }
        entry = {
            "id": p.pid,
            "block": net.block,
            "channels": net.reduced,
            "spatialFactor": net.spatial,
            "featureShape": fshape,
            "head": {"file": head_rel, "sha256": sha256_file(os.path.join(out_dir, head_rel)),
                     "flops": count_flops(head, example)},
            "tail": {"file": tail_rel, "sha256": sha256_file(os.path.join(out_dir, tail_rel)),
                     "flops": count_flops(tail, feat_example)},
            "accuracy": round(p.accuracy, 4),
            "meanBytes": round(p.mean_bytes, 1),
            "meanBytesFullJpeg": round(p.mean_bytes_full_jpeg, 1),
            "training": p.training,
        }
        entry.update(p.extra)
        manifest["partitions"].append(entry)
    manifest.update(rep.extra)
    with open(os.path.join(out_dir, "reference.json"), "w") as fh:
        json.dump(reference, fh, separators=(",", ":"))
    with open(os.path.join(out_dir, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
    return manifest
