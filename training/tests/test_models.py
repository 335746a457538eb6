"""ResNet family with paper block numbering, the bottleneck unit, export of ResNet-50 at full width."""
import os

import onnx
import pytest
import torch

from bottlenet_train import export, models


def test_resnet50_layout_and_bottleneck_unit():
    net = models.resnet50(num_classes=10, base_width=8)
    assert net.num_blocks == 16
    shapes = [net.feature_shape((3, 112, 112), j) for j in (1, 3, 4, 7, 8, 13, 14, 16)]
    assert shapes[0] == (32, 28, 28) and shapes[2] == (64, 14, 14) and shapes[7] == (256, 4, 4)
    bn = models.BottleNet(net, block=4, reduced=3, spatial=2, input_shape=(3, 112, 112))
    x = torch.randn(2, 3, 112, 112)
    f = bn.head(x)
    assert f.shape == (2, 3, 7, 7) and (f >= 0).all()  # after the reduction unit's ReLU
    assert bn(x).shape == (2, 10)
    # reduction: strided conv + BN + ReLU, 1x1 conv to c' + BN + ReLU; restoration mirrors it
    kinds = [type(m).__name__ for m in bn.reduction.body]
    assert kinds == ["Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d", "ReLU"]
    assert bn.reduction.body[0].stride == (2, 2) and bn.reduction.body[3].kernel_size == (1, 1)
    kinds = [type(m).__name__ for m in bn.restoration.body]
    assert kinds == ["Conv2d", "BatchNorm2d", "ReLU", "ConvTranspose2d", "BatchNorm2d", "ReLU"]


@pytest.mark.parametrize("hw,s", [(28, 2), (7, 2), (7, 4), (14, 1)])
def test_restoration_restores_exact_size(hw, s):
    base = models.resnet_small(base_width=4)
    bn = models.BottleNet(base, 1, 2, s, (1, hw * 1, hw * 1)) if hw == 28 else None
    unit_r = models.Reduction(8, 2, s)
    unit_u = models.Restoration(8, 2, s, (hw, hw))
    y = unit_u(unit_r(torch.randn(1, 8, hw, hw)))
    assert y.shape == (1, 8, hw, hw)
    del bn


def test_bad_partition_arguments():
    base = models.resnet_small(base_width=4)
    with pytest.raises(ValueError, match="outside 1..4"):
        models.BottleNet(base, 5, 1, 1, (1, 28, 28))
    with pytest.raises(ValueError, match="must be >= 1"):
        models.BottleNet(base, 1, 0, 1, (1, 28, 28))
    with pytest.raises(ValueError, match="unknown arch"):
        models.build_arch("vgg", 10, 3, 8)


def test_resnet50_full_width_224_builds_and_exports(tmp_path):
    net = models.resnet50(num_classes=1000, base_width=64)
    assert sum(p.numel() for p in net.parameters()) == 25_557_032  # torchvision's ResNet-50
    bn = models.BottleNet(net, block=1, reduced=8, spatial=2, input_shape=(3, 224, 224))
    path = os.path.join(tmp_path, "head.onnx")
    export.export_onnx(models.HeadModule(bn), torch.zeros(1, 3, 224, 224), path, "input", "features")
    m = onnx.load(path)
    assert [i.name for i in m.graph.input] == ["input"] and [o.name for o in m.graph.output] == ["features"]
    dims = m.graph.output[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == [8, 28, 28]
    tail = os.path.join(tmp_path, "tail.onnx")
    export.export_onnx(models.TailModule(bn), torch.zeros(1, 8, 28, 28), tail, "features", "logits")
    assert onnx.load(tail).graph.output[0].name == "logits"


def test_stage_widths_widen_the_cloud_stages_and_leave_the_early_head_as_it_was():
    torch.manual_seed(0)
    plain = models.resnet50(num_classes=10, base_width=8)
    wide = models.resnet50(num_classes=10, base_width=8, stage_widths=[8, 32, 64, 128])
    # stage 1 (blocks 1-3) as before: the same head shapes and parameter counts up to RB3
    assert wide.feature_shape((3, 112, 112), 1) == plain.feature_shape((3, 112, 112), 1) == (32, 28, 28)
    head_params = lambda n: sum(p.numel() for p in n.stem.parameters()) + sum(
        p.numel() for b in n.blocks[:3] for p in b.parameters())
    assert head_params(wide) == head_params(plain)
    # later stages twice as wide: (64 -> 128 at RB4, 256 -> 512 at RB16)
    assert wide.feature_shape((3, 112, 112), 4) == (128, 14, 14)
    assert wide.feature_shape((3, 112, 112), 16) == (512, 4, 4)
    assert wide(torch.randn(2, 3, 112, 112)).shape == (2, 10)
    with pytest.raises(ValueError, match="3 entries for 4 stages"):
        models.resnet50(num_classes=10, base_width=8, stage_widths=[8, 16, 32])
    with pytest.raises(ValueError, match="positive"):
        models.resnet50(num_classes=10, base_width=8, stage_widths=[8, 0, 32, 64])
