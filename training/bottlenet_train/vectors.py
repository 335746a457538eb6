"""Shared codec test vectors written by the TypeScript side (packages/bottleneck-codec/vectors/*.json)."""
from __future__ import annotations

import glob
import json
import os
from typing import Any, Dict, List

from .codec import DEFAULT_FRAME_HEADER_BYTES

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


def _find_key(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            r = _find_key(v, key)
            if r is not None:
                return r
    elif isinstance(obj, list):
        for v in obj:
            r = _find_key(v, key)
            if r is not None:
                return r
    return None


def frame_header_bytes(directory: str = VECTORS_DIR) -> int:
    """frameHeaderBytes from the shared vectors, or DEFAULT_FRAME_HEADER_BYTES until they exist."""
    for v in load_vectors(directory):
        n = _find_key(v, "frameHeaderBytes")
        if isinstance(n, int):
            return n
    return DEFAULT_FRAME_HEADER_BYTES
