"""Quantizer, tiling and JPEG per docs/contracts-for-helpers.md, and the straight-through codec layer."""
import os

import numpy as np
import pytest
import torch

from bottlenet_train import codec
from bottlenet_train.codec import CodecLayer


def test_quantize_formula_and_constant():
    f = np.array([0.0, 0.5, 1.0, 0.25], dtype=np.float32)
    q, lo, hi = codec.quantize(f, 2)
    assert (lo, hi) == (0.0, 1.0)
    assert q.tolist() == [0, 2, 3, 1]  # floor(x*3 + 0.5)
    q, lo, hi = codec.quantize(np.full(5, 0.75, np.float32), 8)
    assert q.tolist() == [0] * 5 and codec.dequantize(q, lo, hi, 8).tolist() == [0.75] * 5


@pytest.mark.parametrize("bits", [1, 3, 8])
def test_pixel_level_mapping_roundtrips(bits):
    levels = np.arange((1 << bits), dtype=np.uint8)
    assert np.array_equal(codec.pixels_to_q(codec.q_to_pixels(levels, bits), bits), levels)


def test_tile_grid_and_layout():
    assert [codec.tile_grid(c) for c in (1, 2, 3, 4, 5, 8, 16, 17)] == [
        (1, 1), (2, 1), (2, 2), (2, 2), (4, 2), (4, 2), (4, 4), (8, 4)]
    x = np.arange(5 * 2 * 3, dtype=np.uint8).reshape(5, 2, 3) + 1
    img = codec.tile(x)
    assert img.shape == (4, 12)
    assert np.array_equal(img[2:4, 0:3], x[4]) and not img[2:4, 3:].any()
    assert np.array_equal(codec.untile(img, 5, 2, 3), x)


def test_bad_inputs_raise_codec_error():
    with pytest.raises(codec.CodecError, match="bits"):
        codec.quantize(np.zeros(3, np.float32), 9)
    with pytest.raises(codec.CodecError, match="quality"):
        codec.turbojpeg().encode(np.zeros((8, 8), np.uint8), 0)
    with pytest.raises(codec.CodecError, match="2-D uint8"):
        codec.turbojpeg().encode(np.zeros((8, 8), np.float32), 20)
    with pytest.raises(codec.CodecError, match="bad JPEG"):
        codec.turbojpeg().decode(b"not a jpeg")
    with pytest.raises(codec.CodecError, match="tiles"):
        codec.untile(np.zeros((3, 3), np.uint8), 4, 2, 2)


def test_abbreviated_payload_is_scan_only():
    img = (np.random.default_rng(0).random((16, 16)) * 255).astype(np.uint8)
    jpeg = codec.turbojpeg().encode(img, 20)
    payload = codec.scan_payload(jpeg)
    assert jpeg.endswith(payload + b"\xff\xd9")
    assert len(jpeg) - len(payload) > 300  # SOI, JFIF, DQT, SOF0, DHT, SOS, EOI stay home


def test_wire_bytes_varint():
    assert codec.wire_bytes(60) == 21 + 1 + 60
    assert codec.wire_bytes(200) == 21 + 2 + 200


def test_codec_layer_is_straight_through():
    layer = codec.CodecLayer(bits=8, quality=20)
    g = torch.linspace(0, 1, 7)
    x = (g.view(1, 1, 7, 1) * g.view(1, 1, 1, 7)).repeat(2, 4, 1, 1).requires_grad_(True)
    y = layer(x)
    assert y.shape == x.shape and not torch.equal(y, x)
    assert (y - x).abs().mean() < 0.05
    (y * torch.arange(y.numel()).view_as(y)).sum().backward()
    assert torch.equal(x.grad, torch.arange(y.numel()).view_as(y).float())
    assert layer.samples == 2 and layer.wire_bytes > layer.payload_bytes


def test_compact_jpeg_is_smaller_same_pixels_and_leaves_standard_encoding_alone():
    from bottlenet_train.codec import turbojpeg
    rng = np.random.default_rng(3)
    img = np.clip(np.cumsum(np.cumsum(rng.normal(size=(28, 28)), 0), 1) * 4 + 128, 0, 255).astype(np.uint8)
    tj = turbojpeg()
    before = tj.encode(img, 20)
    compact = tj.encode_compact(img, 20)
    after = tj.encode(img, 20)
    assert before == after, "the standard encoder must not pick up the optimising switch"
    assert b"JFIF" in before and b"JFIF" not in compact
    assert len(compact) < len(before) - 100  # optimised Huffman tables + no APP0
    assert np.array_equal(tj.decode(compact), tj.decode(before))
    assert os.environ.get("TJ_OPTIMIZE") is None


def test_codec_layer_measures_compact_bytes_only_when_asked():
    x = torch.rand(3, 1, 28, 28)
    plain, measured = CodecLayer(8, 20), CodecLayer(8, 20, measure_compact=True)
    plain(x)
    measured(x)
    assert plain.wire_bytes_compact_jpeg == 0
    assert 0 < measured.wire_bytes_compact_jpeg < measured.wire_bytes_full_jpeg
