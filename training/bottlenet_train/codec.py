"""The feature compressor, bit-compatible with packages/bottleneck-codec (docs/contracts-for-helpers.md).

quantize (eq. 1, float64 maths on float32 values) -> tile into one grayscale image -> JPEG through
libjpeg-turbo (ctypes on libturbojpeg: baseline, quality tables with force_baseline, standard Huffman,
ISLOW DCT, 1 component) and back. ``CodecLayer`` runs it in the forward pass and is the identity in the
backward pass (straight-through), which is the paper's compression-aware training.
"""
from __future__ import annotations

import ctypes
import math
import os
import threading
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np
import torch
from torch import nn

# The encoded-feature frame header (packages/bottleneck-codec, src/frame/frame-header.ts): 21 fixed bytes
# (magic, version, codec, bits, flags, quality, shape, min, max) + the payload length as a LEB128 varint.
# tests/test_vectors.py checks this against the shared vectors' frameHeaderBytes.
FRAME_FIXED_HEADER_BYTES = 21


def varint_len(n: int) -> int:
    size = 1
    while n >= 0x80:
        n >>= 7
        size += 1
    return size


def wire_bytes(payload_len: int) -> int:
    """Bytes of one feature on the wire: frame header (fixed part + varint length) + payload."""
    return FRAME_FIXED_HEADER_BYTES + varint_len(payload_len) + payload_len


class CodecError(ValueError):
    """Bad codec input (shape, bits, quality) or a libjpeg-turbo failure."""


def quantize(f: np.ndarray, bits: int) -> Tuple[np.ndarray, float, float]:
    """Min-max quantize one tensor to ``bits`` (1..8). Returns (q uint8, min, max) with min/max float32."""
    if not 1 <= bits <= 8:
        raise CodecError(f"bits must be in 1..8, got {bits}")
    f32 = np.asarray(f, dtype=np.float32)
    lo, hi = np.float32(f32.min()), np.float32(f32.max())
    levels = (1 << bits) - 1
    if hi > lo:
        scale = levels / (float(hi) - float(lo))
        q = np.floor((f32.astype(np.float64) - float(lo)) * scale + 0.5)
        q = np.clip(q, 0, levels).astype(np.uint8)
    else:
        q = np.zeros(f32.shape, dtype=np.uint8)
    return q, float(lo), float(hi)


def dequantize(q: np.ndarray, lo: float, hi: float, bits: int) -> np.ndarray:
    levels = (1 << bits) - 1
    if hi > lo:
        step = (float(np.float32(hi)) - float(np.float32(lo))) / levels
        return (float(np.float32(lo)) + q.astype(np.float64) * step).astype(np.float32)
    return np.full(q.shape, np.float32(lo), dtype=np.float32)


def q_to_pixels(q: np.ndarray, bits: int) -> np.ndarray:
    levels = (1 << bits) - 1
    return np.floor(q.astype(np.float64) * 255.0 / levels + 0.5).astype(np.uint8)


def pixels_to_q(p: np.ndarray, bits: int) -> np.ndarray:
    levels = (1 << bits) - 1
    return np.clip(np.floor(p.astype(np.float64) * levels / 255.0 + 0.5), 0, levels).astype(np.uint8)


def tile_grid(c: int) -> Tuple[int, int]:
    """(cols, rows) of the tiling of c channels: L = ceil(log2 c), cols = 2^ceil(L/2), rows = 2^floor(L/2)."""
    if c < 1:
        raise CodecError(f"channel count must be >= 1, got {c}")
    big_l = 0 if c == 1 else math.ceil(math.log2(c))
    return 1 << ((big_l + 1) // 2), 1 << (big_l // 2)


def tile(x: np.ndarray) -> np.ndarray:
    """(c, h, w) -> (rows*h, cols*w); channel k at tile (k // cols, k % cols); unused tiles are 0."""
    if x.ndim != 3:
        raise CodecError(f"tile expects (c, h, w), got shape {x.shape}")
    c, h, w = x.shape
    cols, rows = tile_grid(c)
    img = np.zeros((rows * h, cols * w), dtype=x.dtype)
    for k in range(c):
        r, cc = divmod(k, cols)
        img[r * h : (r + 1) * h, cc * w : (cc + 1) * w] = x[k]
    return img


def untile(img: np.ndarray, c: int, h: int, w: int) -> np.ndarray:
    cols, rows = tile_grid(c)
    if img.shape != (rows * h, cols * w):
        raise CodecError(f"image {img.shape} does not hold {c} tiles of {h}x{w}")
    out = np.empty((c, h, w), dtype=img.dtype)
    for k in range(c):
        r, cc = divmod(k, cols)
        out[k] = img[r * h : (r + 1) * h, cc * w : (cc + 1) * w]
    return out


# ---- libjpeg-turbo through its TurboJPEG API -------------------------------------------------------
_TJPF_GRAY = 6
_TJSAMP_GRAY = 3
_TJFLAG_ACCURATEDCT = 4096  # ISLOW (TurboJPEG otherwise picks IFAST below quality 96)


class _TurboJpeg:
    def __init__(self, path: str = "libturbojpeg.so.0") -> None:
        lib = ctypes.CDLL(path)
        lib.tjInitCompress.restype = ctypes.c_void_p
        lib.tjInitDecompress.restype = ctypes.c_void_p
        lib.tjCompress2.argtypes = [
            ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
            ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_ulong), ctypes.c_int, ctypes.c_int,
            ctypes.c_int,
        ]
        lib.tjDecompress2.argtypes = [
            ctypes.c_void_p, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
            ctypes.c_int, ctypes.c_int, ctypes.c_int,
        ]
        lib.tjDecompressHeader3.argtypes = [
            ctypes.c_void_p, ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_int),
            ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int),
        ]
        lib.tjFree.argtypes = [ctypes.c_void_p]
        lib.tjGetErrorStr2.argtypes = [ctypes.c_void_p]
        lib.tjGetErrorStr2.restype = ctypes.c_char_p
        self.lib = lib
        self.local = threading.local()

    def _handles(self) -> Tuple[int, int]:
        if not hasattr(self.local, "c"):
            self.local.c = self.lib.tjInitCompress()
            self.local.d = self.lib.tjInitDecompress()
        return self.local.c, self.local.d

    def encode(self, img: np.ndarray, quality: int) -> bytes:
        if img.dtype != np.uint8 or img.ndim != 2:
            raise CodecError(f"JPEG input must be a 2-D uint8 image, got {img.dtype} {img.shape}")
        if not 1 <= quality <= 100:
            raise CodecError(f"JPEG quality must be in 1..100, got {quality}")
        c, _ = self._handles()
        img = np.ascontiguousarray(img)
        h, w = img.shape
        buf = ctypes.c_void_p()
        size = ctypes.c_ulong(0)
        rc = self.lib.tjCompress2(
            c, img.ctypes.data, w, w, h, _TJPF_GRAY, ctypes.byref(buf), ctypes.byref(size), _TJSAMP_GRAY,
            quality, _TJFLAG_ACCURATEDCT,
        )
        if rc != 0:
            raise CodecError(f"tjCompress2 failed: {self.lib.tjGetErrorStr2(c).decode()}")
        out = ctypes.string_at(buf, size.value)
        self.lib.tjFree(buf)
        return out

    def encode_compact(self, img: np.ndarray, quality: int) -> bytes:
        """A complete JPEG with optimised Huffman tables and no JFIF APP0 segment: the same pixels as
        ``encode`` after decoding (Huffman optimisation is lossless), fewer header bytes. TurboJPEG 2.x
        has no API flag for ``optimize_coding``; it reads the TJ_OPTIMIZE environment variable at each
        compression and the setting then sticks to that handle, so a handle of its own does this."""
        std, _ = self._handles()
        if not hasattr(self.local, "copt"):
            self.local.copt = self.lib.tjInitCompress()
        saved = os.environ.get("TJ_OPTIMIZE")
        os.environ["TJ_OPTIMIZE"] = "1"
        try:
            self.local.c = self.local.copt  # encode() below compresses with the optimising handle
            try:
                jpeg = self.encode(img, quality)
            finally:
                self.local.c = std
        finally:
            if saved is None:
                del os.environ["TJ_OPTIMIZE"]
            else:
                os.environ["TJ_OPTIMIZE"] = saved
        return strip_app0(jpeg)

    def decode(self, data: bytes) -> np.ndarray:
        _, d = self._handles()
        w, h, sub, cs = ctypes.c_int(), ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        if self.lib.tjDecompressHeader3(d, data, len(data), ctypes.byref(w), ctypes.byref(h), ctypes.byref(sub),
                                        ctypes.byref(cs)) != 0:
            raise CodecError(f"bad JPEG header: {self.lib.tjGetErrorStr2(d).decode()}")
        out = np.empty((h.value, w.value), dtype=np.uint8)
        if self.lib.tjDecompress2(d, data, len(data), out.ctypes.data, w.value, w.value, h.value, _TJPF_GRAY,
                                  _TJFLAG_ACCURATEDCT) != 0:
            raise CodecError(f"tjDecompress2 failed: {self.lib.tjGetErrorStr2(d).decode()}")
        return out


_TJ: Optional[_TurboJpeg] = None


def turbojpeg() -> _TurboJpeg:
    global _TJ
    if _TJ is None:
        _TJ = _TurboJpeg()
    return _TJ


def strip_app0(jpeg: bytes) -> bytes:
    """Drop JFIF APP0 segments (0xFFE0): metadata no decoder needs for a grayscale baseline image."""
    out, i = bytearray(jpeg[:2]), 2
    while i + 4 <= len(jpeg):
        if jpeg[i] != 0xFF:
            raise CodecError(f"expected a marker at offset {i}")
        marker = jpeg[i + 1]
        seglen = (jpeg[i + 2] << 8) | jpeg[i + 3]
        if marker == 0xDA:  # start of scan: the rest is entropy-coded data and EOI
            out += jpeg[i:]
            return bytes(out)
        if marker != 0xE0:
            out += jpeg[i:i + 2 + seglen]
        i += 2 + seglen
    raise CodecError("no SOS segment in JPEG")


def scan_payload(jpeg: bytes) -> bytes:
    """The tables-omitted payload: entropy-coded bytes after the SOS segment, excluding the final EOI."""
    i = 2
    while i + 4 <= len(jpeg):
        if jpeg[i] != 0xFF:
            raise CodecError(f"expected a marker at offset {i}")
        marker = jpeg[i + 1]
        seglen = (jpeg[i + 2] << 8) | jpeg[i + 3]
        if marker == 0xDA:
            start = i + 2 + seglen
            end = len(jpeg) - 2 if jpeg[-2:] == b"\xff\xd9" else len(jpeg)
            return jpeg[start:end]
        i += 2 + seglen
    raise CodecError("no SOS segment in JPEG")


@dataclass
class Encoded:
    jpeg: bytes
    payload_bytes: int
    lo: float
    hi: float
    compact_bytes: int = 0  # complete JPEG, optimised Huffman, no APP0 (when asked for)


def encode_feature(f: np.ndarray, bits: int, quality: int, compact: bool = False) -> Encoded:
    q, lo, hi = quantize(f, bits)
    img = q_to_pixels(tile(q), bits)
    jpeg = turbojpeg().encode(img, quality)
    enc = Encoded(jpeg, len(scan_payload(jpeg)), lo, hi)
    if compact:
        enc.compact_bytes = len(turbojpeg().encode_compact(img, quality))
    return enc


def decode_feature(enc: Encoded, shape: Tuple[int, int, int], bits: int) -> np.ndarray:
    c, h, w = shape
    img = turbojpeg().decode(enc.jpeg)
    q = untile(pixels_to_q(img, bits), c, h, w)
    return dequantize(q, enc.lo, enc.hi, bits)


def roundtrip(f: np.ndarray, bits: int, quality: int) -> Tuple[np.ndarray, int, int]:
    """Encode and decode one (c, h, w) feature; returns (decoded, payload bytes, full JPEG bytes)."""
    enc = encode_feature(f, bits, quality)
    return decode_feature(enc, f.shape, bits), enc.payload_bytes, len(enc.jpeg)


class _StraightThrough(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, layer: "CodecLayer") -> torch.Tensor:  # type: ignore[override]
        arr = x.detach().cpu().numpy()
        out = np.empty_like(arr)
        for i in range(arr.shape[0]):
            enc = encode_feature(arr[i], layer.bits, layer.quality, compact=layer.measure_compact)
            out[i] = decode_feature(enc, arr[i].shape, layer.bits)
            pb, fb = enc.payload_bytes, len(enc.jpeg)
            layer.payload_bytes += pb
            layer.full_bytes += fb
            layer.wire_bytes += wire_bytes(pb)
            layer.wire_bytes_full_jpeg += wire_bytes(fb)
            if layer.measure_compact:
                layer.wire_bytes_compact_jpeg += wire_bytes(enc.compact_bytes)
            layer.samples += 1
        return torch.from_numpy(out).to(x.device)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        return grad, None


class CodecLayer(nn.Module):
    """Quantize + tile + JPEG + back in forward; identity gradient. Counts bytes it produced."""

    def __init__(self, bits: int = 8, quality: int = 20, measure_compact: bool = False) -> None:
        super().__init__()
        self.measure_compact = measure_compact  # also size a compact complete JPEG (evaluation only)
        if not 1 <= bits <= 8:
            raise CodecError(f"bits must be in 1..8, got {bits}")
        if not 1 <= quality <= 100:
            raise CodecError(f"JPEG quality must be in 1..100, got {quality}")
        self.bits = bits
        self.quality = quality
        self.reset_counts()

    def reset_counts(self) -> None:
        self.payload_bytes = 0
        self.full_bytes = 0
        self.wire_bytes = 0  # frame header + tables-omitted payload
        self.wire_bytes_full_jpeg = 0  # frame header + complete JPEG
        self.wire_bytes_compact_jpeg = 0  # frame header + compact complete JPEG (measure_compact only)
        self.samples = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _StraightThrough.apply(x, self)
