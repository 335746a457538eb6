"""Training and evaluation loops: base network, bottleneck fine-tuning (compression-aware or naive),
resumable checkpoints, seeded."""
from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from .codec import CodecLayer
from .progress import progress


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def set_threads(n: int) -> None:
    torch.set_num_threads(max(1, min(n, 2)))


@dataclass
class TrainConfig:
    epochs: float = 1.0  # fractional epochs allowed (the cheap search counts partial epochs)
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 5e-4
    seed: int = 0
    checkpoint: Optional[str] = None  # path; resumes when it exists
    show_progress: bool = True
    log: Callable[[str], None] = print
    params: Optional[List[nn.Parameter]] = None  # train only these (default: all)
    # Knowledge distillation: a frozen teacher (the base network a bottleneck was cut into) whose softened
    # logits the student also matches. After the codec is inserted the student has to relearn what the
    # base network already knew; the teacher's full output distribution says far more per step than the
    # one-hot label, so short fine-tuning recovers much more of the base accuracy.
    teacher: Optional[nn.Module] = None
    distill_weight: float = 0.0  # 0: plain cross-entropy; 1: distillation loss only
    temperature: float = 4.0


def distillation_loss(student_logits: torch.Tensor, teacher_probs: torch.Tensor, temperature: float) -> torch.Tensor:
    """Hinton et al.'s soft-target loss: KL(teacher || student) at ``temperature``, scaled by T^2 so its
    gradient magnitude does not shrink as T grows."""
    log_p = torch.log_softmax(student_logits / temperature, dim=1)
    return nn.functional.kl_div(log_p, teacher_probs, reduction="batchmean") * temperature * temperature


@dataclass
class TrainResult:
    epochs_run: float
    history: List[Dict[str, float]] = field(default_factory=list)


def loader(ds: Dataset, batch_size: int, shuffle: bool, seed: int = 0) -> DataLoader:
    g = torch.Generator()
    g.manual_seed(seed)
    return DataLoader(ds, batch_size=batch_size, shuffle=shuffle, generator=g, num_workers=0, drop_last=False)


def train(model: nn.Module, ds: Dataset, cfg: TrainConfig) -> TrainResult:
    """Adam + one-cycle LR over ``cfg.epochs`` (may be fractional). Saves a checkpoint after every epoch
    (and at the end) when ``cfg.checkpoint`` is set, and resumes from it."""
    seed_everything(cfg.seed)
    params = cfg.params if cfg.params is not None else [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = (len(ds) + cfg.batch_size - 1) // cfg.batch_size  # type: ignore[arg-type]
    total_steps = max(1, int(round(cfg.epochs * steps_per_epoch)))
    if total_steps >= 10:
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=total_steps, pct_start=0.25)
    else:  # a few steps (cheap-search chunks): constant learning rate
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)
    step, history = 0, []
    if cfg.checkpoint and os.path.exists(cfg.checkpoint):
        state = torch.load(cfg.checkpoint)
        if state.get("totalSteps") != total_steps:
            raise ValueError(f"checkpoint {cfg.checkpoint} belongs to a run of {state.get('totalSteps')} steps, "
                             f"not {total_steps}: delete it or rerun with the same arguments")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        step, history = state["step"], state["history"]
        cfg.log(f"resumed from {cfg.checkpoint} at step {step}/{total_steps}")
    loss_fn = nn.CrossEntropyLoss()
    if cfg.distill_weight and cfg.teacher is None:
        raise ValueError("distill_weight > 0 needs a teacher network")
    if cfg.teacher is not None:
        cfg.teacher.eval()
    epoch = step // steps_per_epoch
    while step < total_steps:
        model.train()
        dl = loader(ds, cfg.batch_size, True, cfg.seed + epoch)
        n_in_epoch = min(steps_per_epoch, total_steps - epoch * steps_per_epoch)
        skip = step - epoch * steps_per_epoch
        tot_loss, tot_ok, tot_n = 0.0, 0, 0
        it = iter(dl)
        for b in progress(range(n_in_epoch), total=n_in_epoch, desc=f"epoch {epoch + 1}",
                          enabled=cfg.show_progress):
            x, y = next(it)
            if b < skip:
                continue
            out = model(x)
            loss = loss_fn(out, y)
            if cfg.teacher is not None and cfg.distill_weight > 0:
                with torch.no_grad():
                    soft = torch.softmax(cfg.teacher(x) / cfg.temperature, dim=1)
                kd = distillation_loss(out, soft, cfg.temperature)
                loss = (1 - cfg.distill_weight) * loss + cfg.distill_weight * kd
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            tot_loss += float(loss) * len(y)
            tot_ok += int((out.argmax(1) == y).sum())
            tot_n += len(y)
        history.append({"epoch": epoch + 1, "loss": tot_loss / max(1, tot_n), "trainAcc": tot_ok / max(1, tot_n)})
        cfg.log(f"epoch {epoch + 1}: loss {history[-1]['loss']:.4f} train acc {history[-1]['trainAcc']:.4f}")
        epoch += 1
        if cfg.checkpoint:
            tmp = cfg.checkpoint + ".tmp"
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                        "step": step, "history": history, "totalSteps": total_steps}, tmp)
            os.replace(tmp, cfg.checkpoint)
    return TrainResult(epochs_run=total_steps / steps_per_epoch, history=history)


@dataclass
class EvalResult:
    accuracy: float
    samples: int
    mean_payload_bytes: float = 0.0
    mean_full_jpeg_bytes: float = 0.0
    mean_wire_bytes: float = 0.0
    mean_wire_bytes_full_jpeg: float = 0.0
    mean_wire_bytes_compact_jpeg: float = 0.0


@torch.no_grad()
def evaluate(model: nn.Module, ds: Dataset, batch_size: int = 256, codec: Optional[CodecLayer] = None,
             show_progress: bool = False) -> EvalResult:
    """Top-1 accuracy; with ``codec`` set on a BottleNet, the codec runs between head and tail."""
    model.eval()
    prev = getattr(model, "codec", None)
    if codec is not None:
        codec.reset_counts()
        model.codec = codec  # type: ignore[assignment]
    ok = n = 0
    try:
        dl = loader(ds, batch_size, False)
        for x, y in progress(dl, total=len(dl), desc="eval", enabled=show_progress):
            ok += int((model(x).argmax(1) == y).sum())
            n += len(y)
    finally:
        if codec is not None:
            model.codec = prev  # type: ignore[assignment]
    res = EvalResult(ok / max(1, n), n)
    if codec is not None and codec.samples:
        res.mean_payload_bytes = codec.payload_bytes / codec.samples
        res.mean_full_jpeg_bytes = codec.full_bytes / codec.samples
        res.mean_wire_bytes = codec.wire_bytes / codec.samples
        res.mean_wire_bytes_full_jpeg = codec.wire_bytes_full_jpeg / codec.samples
        res.mean_wire_bytes_compact_jpeg = codec.wire_bytes_compact_jpeg / codec.samples
    return res
