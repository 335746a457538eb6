"""Data sets: Fashion-MNIST (Debian's idx files), seeded camera-like RGB scenes built from it, ImageFolder.

Every data set yields (float32 CHW normalised tensor, int label) and carries ``input_spec`` (the manifest's
``input`` block) and ``classes``. Normalisation: x = (pixel / 255 - mean[c]) / std[c].
"""
from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch.utils.data import Dataset, Subset

FMNIST_DIR = "/usr/share/datasets/fashion-mnist"
FMNIST_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
FMNIST_MEAN, FMNIST_STD = [0.286], [0.353]


class DataError(ValueError):
    """A data set path or option that cannot be used."""


@dataclass(frozen=True)
class InputSpec:
    shape: Tuple[int, int, int]
    mean: Sequence[float]
    std: Sequence[float]

    def manifest(self) -> dict:
        return {"shape": list(self.shape), "mean": list(self.mean), "std": list(self.std), "scale": 255}


def _read_idx(path: str) -> np.ndarray:
    if not os.path.exists(path):
        raise DataError(f"missing Fashion-MNIST file {path} (install Debian's dataset-fashion-mnist)")
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fmnist_arrays(split: str, root: str = FMNIST_DIR) -> Tuple[np.ndarray, np.ndarray]:
    if split not in ("train", "test"):
        raise DataError(f"split must be 'train' or 'test', got {split!r}")
    prefix = "train" if split == "train" else "t10k"
    images = _read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz"))
    labels = _read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz"))
    return images, labels


def normalise(pixels: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """uint8 HWC or HW -> float32 CHW normalised tensor."""
    x = torch.from_numpy(np.ascontiguousarray(pixels)).float().div_(255.0)
    if x.ndim == 2:
        x = x.unsqueeze(0)
    else:
        x = x.permute(2, 0, 1).contiguous()
    m = torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(-1, 1, 1)
    return (x - m) / s


class FashionMNIST(Dataset):
    """Native 28x28 grayscale Fashion-MNIST, optional random horizontal flip for training."""

    classes = FMNIST_CLASSES

    def __init__(self, split: str, augment: bool = False, root: str = FMNIST_DIR, seed: int = 0) -> None:
        self.images, self.labels = load_fmnist_arrays(split, root)
        self.augment = augment
        self.rng = np.random.default_rng(seed)
        self.input_spec = InputSpec((1, 28, 28), FMNIST_MEAN, FMNIST_STD)
        # Pre-normalised tensor: the whole set is 47 MB as float32, and indexing it is free.
        self.tensor = normalise(self.images.transpose(1, 2, 0), FMNIST_MEAN, FMNIST_STD).unsqueeze(1)
        self.targets = torch.from_numpy(self.labels.astype(np.int64))

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        x = self.tensor[i]
        if self.augment and self.rng.random() < 0.5:
            x = torch.flip(x, dims=[2])
        return x, int(self.targets[i])


SCENE_MEAN, SCENE_STD = [0.5, 0.5, 0.5], [0.25, 0.25, 0.25]


def render_scene(item: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """One camera-like RGB scene (size x size x 3 uint8): a coloured gradient background with stripes,
    checks or blotches, and the 28x28 item scaled to 60..95% of the frame at a random position, drawn as
    a solid silhouette that keeps the item's own shading.

    Half the scenes are a bright item on a dark background, half the reverse: with an arbitrary item
    colour on an arbitrary background (the first version) the item was often camouflaged and a small
    network learned next to nothing in the epochs these 2 CPUs allow.
    """
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    dark = rng.random() < 0.5
    lo, hi = (10, 110) if dark else (150, 245)
    c0, c1 = rng.uniform(lo, hi, 3), rng.uniform(lo, hi, 3)
    angle = rng.uniform(0, 2 * np.pi)
    t = (np.cos(angle) * xx + np.sin(angle) * yy + 1.5) / 3.0
    bg = c0[None, None, :] * (1 - t[..., None]) + c1[None, None, :] * t[..., None]
    kind = rng.integers(0, 3)
    freq = rng.uniform(4, 14)
    if kind == 0:  # stripes
        tex = np.sin(2 * np.pi * freq * (np.cos(angle + 1) * xx + np.sin(angle + 1) * yy))
    elif kind == 1:  # checks
        tex = np.sign(np.sin(2 * np.pi * freq * xx) * np.sin(2 * np.pi * freq * yy))
    else:  # blotchy noise, upsampled
        coarse = rng.normal(0, 1, (8, 8)).astype(np.float32)
        tex = np.kron(coarse, np.ones((size // 8 + 1, size // 8 + 1)))[:size, :size]
    bg = bg + rng.uniform(4, 14) * tex[..., None] + rng.normal(0, 3, (size, size, 1))
    side = int(rng.uniform(0.6, 0.95) * size)
    idx = (np.arange(side) * 28 // side).astype(np.int64)
    a = item[idx][:, idx].astype(np.float32) / 255.0
    alpha = np.clip(a * 3.0, 0, 1)
    colour = rng.uniform(150, 250, 3) if dark else rng.uniform(5, 100, 3)
    if dark:
        shade = colour[None, None, :] * (0.6 + 0.4 * a[..., None])
    else:
        shade = colour[None, None, :] * (1.4 - 0.4 * a[..., None])
    oy, ox = rng.integers(0, size - side + 1, 2)
    patch = bg[oy : oy + side, ox : ox + side]
    bg[oy : oy + side, ox : ox + side] = patch * (1 - alpha[..., None]) + shade * alpha[..., None]
    return np.clip(bg + 0.5, 0, 255).astype(np.uint8)


class Scenes(Dataset):
    """Fashion-MNIST items on seeded camera-like RGB backgrounds (size x size, default 112).

    Scene i of a split is a pure function of (seed, split, i), so train and test scenes are reproducible.
    """

    classes = FMNIST_CLASSES

    def __init__(self, split: str, size: int = 112, seed: int = 0, limit: Optional[int] = None,
                 root: str = FMNIST_DIR) -> None:
        if size < 32:
            raise DataError(f"scene size must be >= 32, got {size}")
        self.images, self.labels = load_fmnist_arrays(split, root)
        if limit is not None:
            self.images, self.labels = self.images[:limit], self.labels[:limit]
        self.size = size
        self.seed = seed + (0 if split == "train" else 1_000_003)
        self.input_spec = InputSpec((3, size, size), SCENE_MEAN, SCENE_STD)
        self._cache: dict = {}  # rendered scenes (uint8), so later epochs do not render again

    def __len__(self) -> int:
        return len(self.labels)

    def pixels(self, i: int) -> np.ndarray:
        px = self._cache.get(i)
        if px is None:
            px = render_scene(self.images[i], self.size, np.random.default_rng([self.seed, i]))
            self._cache[i] = px
        return px

    def __getitem__(self, i: int):
        return normalise(self.pixels(i), SCENE_MEAN, SCENE_STD), int(self.labels[i])


class ImageFolderData(Dataset):
    """A torchvision ImageFolder (root/<class>/<image>), resized to size x size, RGB or grayscale."""

    def __init__(self, root: str, size: int, channels: int = 3) -> None:
        from torchvision import datasets, transforms

        if not os.path.isdir(root):
            raise DataError(f"ImageFolder root {root!r} is not a directory")
        if channels not in (1, 3):
            raise DataError(f"channels must be 1 or 3, got {channels}")
        mean, std = [0.5] * channels, [0.25] * channels
        tf = [transforms.Resize((size, size))]
        if channels == 1:
            tf.append(transforms.Grayscale(1))
        tf += [transforms.ToTensor(), transforms.Normalize(mean, std)]
        self.ds = datasets.ImageFolder(root, transform=transforms.Compose(tf))
        if len(self.ds) == 0:
            raise DataError(f"ImageFolder root {root!r} holds no images")
        self.classes = list(self.ds.classes)
        self.input_spec = InputSpec((channels, size, size), mean, std)

    def __len__(self) -> int:
        return len(self.ds)

    def __getitem__(self, i: int):
        return self.ds[i]


def build_dataset(kind: str, split: str, *, size: int = 112, seed: int = 0, limit: Optional[int] = None,
                  folder: Optional[str] = None, channels: int = 3, augment: bool = False) -> Dataset:
    """kind: 'fmnist' | 'scenes' | 'folder' (folder/<split>/<class>/..., or folder/<class>/... for both)."""
    if kind == "fmnist":
        ds: Dataset = FashionMNIST(split, augment=augment, seed=seed)
    elif kind == "scenes":
        ds = Scenes(split, size=size, seed=seed)
    elif kind == "folder":
        if folder is None:
            raise DataError("--folder is required for --data folder")
        sub = os.path.join(folder, split)
        ds = ImageFolderData(sub if os.path.isdir(sub) else folder, size, channels)
    else:
        raise DataError(f"unknown data set kind {kind!r} (expected fmnist, scenes or folder)")
    if limit is not None and limit < len(ds):  # type: ignore[arg-type]
        sub_ds = Subset(ds, list(range(limit)))
        sub_ds.classes = ds.classes  # type: ignore[attr-defined]
        sub_ds.input_spec = ds.input_spec  # type: ignore[attr-defined]
        return sub_ds
    return ds


def classes_of(ds: Dataset) -> List[str]:
    return list(ds.classes)  # type: ignore[attr-defined]


def input_spec_of(ds: Dataset) -> InputSpec:
    return ds.input_spec  # type: ignore[attr-defined]
