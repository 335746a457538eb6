"""Shared codec test vectors written by the TypeScript side (packages/bottleneck-codec/vectors/*.json,
see docs/codec.md "Shared test vectors"): base64 payloads, float32 little-endian arrays."""
from __future__ import annotations

import base64
import glob
import json
import os
from typing import Any, Dict, List

import numpy as np

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VECTORS_DIR = os.path.join(REPO_ROOT, "packages", "bottleneck-codec", "vectors")


def vector_files(directory: str = VECTORS_DIR) -> List[str]:
    return sorted(glob.glob(os.path.join(directory, "*.json")))


def load_vectors(directory: str = VECTORS_DIR) -> List[Dict[str, Any]]:
    out = []
    for path in vector_files(directory):
        with open(path) as fh:
            out.append({"_path": path, **json.load(fh)})
    return out


def b64_bytes(s: str) -> bytes:
    return base64.b64decode(s)


def b64_u8(s: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(s), dtype=np.uint8)


def b64_f32(s: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(s), dtype="<f4").astype(np.float32)
