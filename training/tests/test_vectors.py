"""The Python codec reproduces the TypeScript codec's shared vectors (packages/bottleneck-codec/vectors)."""
import numpy as np
import pytest

from bottlenet_train import codec
from bottlenet_train.vectors import b64_bytes, b64_f32, b64_u8, load_vectors, vector_files

FILES = vector_files()
CASES = [(v["_path"].rsplit("/", 1)[-1], i, c) for v in load_vectors() for i, c in enumerate(v["cases"])]

if not FILES:
    pytest.skip("no shared vectors yet in packages/bottleneck-codec/vectors (written by the TS codec)",
                allow_module_level=True)


@pytest.mark.parametrize("name,idx,case", CASES, ids=[f"{n}#{i}" for n, i, _ in CASES])
def test_quantize_tile_jpeg_match(name, idx, case):
    shape = tuple(case["shape"])
    bits = case["bits"]
    f = b64_f32(case["inputF32LE"]).reshape(shape)
    q, lo, hi = codec.quantize(f, bits)
    assert np.float32(lo) == np.float32(case["min"]) and np.float32(hi) == np.float32(case["max"])
    assert np.array_equal(q.reshape(-1), b64_u8(case["quantized"])), "quantized levels differ"
    deq = codec.dequantize(q, lo, hi, bits)
    assert np.array_equal(deq.reshape(-1), b64_f32(case["dequantizedF32LE"])), "dequantized floats differ"
    cols, rows = codec.tile_grid(shape[0])
    assert (cols, rows) == (case["grid"]["cols"], case["grid"]["rows"])
    img = codec.q_to_pixels(codec.tile(q), bits)
    assert img.shape == (case["tiled"]["height"], case["tiled"]["width"])
    assert np.array_equal(img.reshape(-1), b64_u8(case["tiled"]["pixels"])), "tiled pixels differ"
    jpeg = codec.turbojpeg().encode(img, case["jpeg"]["quality"])
    assert jpeg == b64_bytes(case["jpeg"]["full"]), "JPEG bytes differ from libjpeg-turbo on the TS side"
    if "compact" in case["jpeg"]:  # optimised Huffman tables, no APP0: sized by training, sent by the codec
        compact = codec.turbojpeg().encode_compact(img, case["jpeg"]["quality"])
        assert compact == b64_bytes(case["jpeg"]["compact"]), "compact JPEG differs from the TS codec's"
    payload = codec.scan_payload(jpeg)
    assert payload == b64_bytes(case["jpeg"]["abbreviatedPayload"])
    # the receiver's rebuilt header + payload + EOI decodes like the complete file
    rebuilt = b64_bytes(case["jpeg"]["rebuiltHeader"]) + payload + b"\xff\xd9"
    dec_full = codec.turbojpeg().decode(jpeg)
    dec_rebuilt = codec.turbojpeg().decode(rebuilt)
    want = b64_u8(case["jpeg"]["decodedPixels"]).reshape(img.shape)
    assert np.array_equal(dec_full, want) and np.array_equal(dec_rebuilt, want)
    # decoded features: identical to what the TS side gets from its decoded pixels
    out = codec.dequantize(codec.untile(codec.pixels_to_q(dec_full, bits), *shape), lo, hi, bits)
    ts = codec.dequantize(codec.untile(codec.pixels_to_q(want, bits), *shape), lo, hi, bits)
    assert np.array_equal(out, ts)
    # wire bytes: the frame header is 21 fixed bytes + LEB128 payload length
    hdr = b64_bytes(case["frameHeaderBytes"])
    assert len(hdr) == codec.FRAME_FIXED_HEADER_BYTES + codec.varint_len(len(payload))
    assert codec.wire_bytes(len(payload)) == len(b64_bytes(case["frame"]))


def test_decoded_feature_error_small_at_quality_20():
    """Mean decoded-feature error stays well under the range for the 8-bit vectors."""
    for _, _, case in CASES:
        if case["bits"] != 8 or case["min"] == case["max"]:
            continue
        shape = tuple(case["shape"])
        f = b64_f32(case["inputF32LE"]).reshape(shape)
        out, _, _ = codec.roundtrip(f, 8, 20)
        assert np.abs(out - f).mean() < 0.05 * (case["max"] - case["min"])
