"""Data sets: Fashion-MNIST, seeded scenes, ImageFolder on a tiny folder made here."""
import os

import numpy as np
import pytest
from PIL import Image

from bottlenet_train import data as D


def test_fmnist_shapes_and_normalisation():
    ds = D.FashionMNIST("test")
    assert len(ds) == 10_000 and D.classes_of(ds)[0] == "T-shirt/top"
    x, y = ds[0]
    assert tuple(x.shape) == (1, 28, 28) and 0 <= y < 10
    px = ds.images[0].astype(np.float32) / 255.0
    assert np.allclose(x[0].numpy(), (px - 0.286) / 0.353, atol=1e-6)


def test_scenes_are_seeded_rgb_and_camera_sized():
    a, b = D.Scenes("test", size=112, seed=3, limit=4), D.Scenes("test", size=112, seed=3, limit=4)
    assert np.array_equal(a.pixels(2), b.pixels(2))
    assert not np.array_equal(a.pixels(2), D.Scenes("test", size=112, seed=4, limit=4).pixels(2))
    px = a.pixels(1)
    assert px.shape == (112, 112, 3) and px.dtype == np.uint8 and px.std() > 10
    x, _ = a[1]
    assert tuple(x.shape) == (3, 112, 112)
    with pytest.raises(D.DataError, match="scene size"):
        D.Scenes("test", size=16)


def make_folder(root, classes=("cat", "dog"), per_class=6, size=20):
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for k, c in enumerate(classes):
            os.makedirs(os.path.join(root, split, c), exist_ok=True)
            for i in range(per_class):
                img = (rng.random((size, size, 3)) * 80 + 120 * k).astype(np.uint8)
                Image.fromarray(img).save(os.path.join(root, split, c, f"{i}.png"))
    return root


def test_image_folder(tmp_path):
    root = make_folder(str(tmp_path / "imgs"))
    ds = D.build_dataset("folder", "train", folder=root, size=16, channels=1)
    assert D.classes_of(ds) == ["cat", "dog"] and len(ds) == 12
    x, y = ds[0]
    assert tuple(x.shape) == (1, 16, 16) and D.input_spec_of(ds).shape == (1, 16, 16)


def test_bad_data_arguments(tmp_path):
    with pytest.raises(D.DataError, match="not a directory"):
        D.build_dataset("folder", "train", folder=str(tmp_path / "missing"), size=16)
    with pytest.raises(D.DataError, match="--folder is required"):
        D.build_dataset("folder", "train")
    with pytest.raises(D.DataError, match="unknown data set"):
        D.build_dataset("cifar", "train")
    with pytest.raises(D.DataError, match="split"):
        D.load_fmnist_arrays("valid")
