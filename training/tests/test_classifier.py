"""VGG-style classifier option and the float16 storage of large linear weights."""
import os

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, numpy_helper

from bottlenet_train import export, models
from bottlenet_train.cli import build_parser, main
from bottlenet_train.pipeline import BaseSpec, load_base, save_base


def test_vgg_style_classifier_pools_then_runs_hidden_layers():
    net = models.resnet_small(base_width=4, classifier_hidden=(64, 32), classifier_pool=2)
    kinds = [type(m).__name__ for m in net.fc]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert net.fc[0].in_features == 32 * 2 * 2  # last stage width 32 (4 doubled 3 times), 2x2 pool
    assert net.fc[-1].out_features == 10
    assert net.eval()(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert isinstance(models.resnet_small(base_width=4).fc, torch.nn.Linear)  # default unchanged
    with pytest.raises(ValueError, match="must be positive"):
        models.resnet_small(base_width=4, classifier_hidden=(0,))
    with pytest.raises(ValueError, match="must be positive"):
        models.resnet_small(base_width=4, classifier_pool=0)


def test_rounding_touches_only_large_linear_weights():
    torch.manual_seed(0)
    net = models.resnet_small(base_width=4, classifier_hidden=(512,), classifier_pool=4)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    assert models.round_large_linear_weights_to_half(net, min_elements=1 << 16) == 1  # 512 x 512 only
    after = net.state_dict()
    big = "fc.0.weight"
    assert not torch.equal(before[big], after[big])
    assert torch.equal(after[big], after[big].half().float())
    assert torch.allclose(before[big], after[big], rtol=1e-3, atol=1e-6)
    for k in before:
        if k != big:
            assert torch.equal(before[k], after[k]), k


def _float16_initializers(path: str):
    m = onnx.load(path)
    halves = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer if i.data_type == TensorProto.FLOAT16}
    casts = [n for n in m.graph.node if n.op_type == "Cast"]
    return halves, casts


def test_export_stores_exactly_representable_weights_as_float16(tmp_path):
    torch.manual_seed(0)
    net = models.resnet_small(base_width=4, classifier_hidden=(512,), classifier_pool=4).eval()
    example = torch.zeros(1, 1, 28, 28)
    plain = os.path.join(tmp_path, "plain.onnx")
    export.export_onnx(net, example, plain, "input", "logits")
    assert _float16_initializers(plain) == ({}, [])  # trained-like float32 weights: nothing is lossless

    models.round_large_linear_weights_to_half(net)
    half = os.path.join(tmp_path, "half.onnx")
    export.export_onnx(net, example, half, "input", "logits")
    halves, casts = _float16_initializers(half)
    assert len(halves) == 1 and len(casts) == 1
    (stored,) = halves.values()
    w = net.fc[0].weight.detach().numpy()
    # the exporter may keep the weight as is (Gemm transB) or transposed (MatMul): values identical
    assert np.array_equal(stored.astype(np.float32), w) or np.array_equal(stored.astype(np.float32), w.T)
    assert os.path.getsize(half) < 0.6 * os.path.getsize(plain)


def test_classifier_flags_are_checked_before_training():
    with pytest.raises(SystemExit, match="--classifier '2048,x'"):
        main(["train-base", "--classifier", "2048,x", "--out", "/tmp/never.pt", "--train-limit", "8"])
    with pytest.raises(SystemExit, match="every hidden width must be positive"):
        main(["train-base", "--classifier", "0", "--out", "/tmp/never.pt", "--train-limit", "8"])
    with pytest.raises(SystemExit, match="--classifier-pool 0"):
        main(["train-base", "--classifier", "64", "--classifier-pool", "0", "--out", "/tmp/never.pt",
              "--train-limit", "8"])
    a = build_parser().parse_args(["build", "--base", "b.pt", "--name", "n", "--out", "o", "--weights-fp16"])
    assert a.weights_fp16


def test_checkpoint_keeps_the_classifier(tmp_path):
    spec = BaseSpec("resnet-small", 4, 10, 1, (1, 28, 28), classifier_hidden=(64,), classifier_pool=2)
    net = spec.build()
    path = os.path.join(tmp_path, "base.pt")
    save_base(path, spec, net, {})
    loaded_spec, loaded, _ = load_base(path)
    assert loaded_spec.classifier_hidden == (64,) and loaded_spec.classifier_pool == 2
    assert "classifier 2x2 pool + FC [64]" in loaded_spec.describe()
    x = torch.randn(2, 1, 28, 28)
    assert torch.equal(net.eval()(x), loaded.eval()(x))
