"""Fine-tuning with the base network's layers before the cut frozen (build --freeze-head)."""
import copy

import torch
from torch.utils.data import TensorDataset

from bottlenet_train.pipeline import BaseSpec, finetune, make_bottlenet


def _tiny_net(block: int):
    torch.manual_seed(0)
    spec = BaseSpec(arch="resnet-small", width=4, num_classes=3, in_channels=1, input_shape=(1, 16, 16))
    base = spec.build()
    return base, make_bottlenet(base, spec, block, 2, 1)


def _state(modules):
    return [t.detach().clone() for m in modules for t in list(m.parameters()) + list(m.buffers())
            if t.is_floating_point()]


def test_a_frozen_head_keeps_its_weights_and_statistics_while_the_bottleneck_and_tail_learn():
    base, net = _tiny_net(block=2)
    ds = TensorDataset(torch.randn(64, 1, 16, 16), torch.randint(0, 3, (64,)))
    head_before = _state(net.base_head_modules())
    reduction_before = _state([net.reduction])
    tail_before = _state([net.base.blocks[-1], net.base.fc])
    finetune(net, ds, "naive", 2, quality=20, bits=8, lr=1e-2, batch_size=16, seed=0, show_progress=False,
             log=lambda _: None, freeze_head=True)
    assert all(torch.equal(a, b) for a, b in zip(head_before, _state(net.base_head_modules())))
    assert not all(torch.equal(a, b) for a, b in zip(reduction_before, _state([net.reduction])))
    assert not all(torch.equal(a, b) for a, b in zip(tail_before, _state([net.base.blocks[-1], net.base.fc])))
    net.train()
    assert all(not m.training for m in net.base_head_modules()), "a frozen head stays in eval mode"
    assert net.reduction.training


def test_without_freezing_the_head_is_fine_tuned_too():
    base, net = _tiny_net(block=2)
    ds = TensorDataset(torch.randn(64, 1, 16, 16), torch.randint(0, 3, (64,)))
    head_before = _state(net.base_head_modules())
    finetune(net, ds, "naive", 2, quality=20, bits=8, lr=1e-2, batch_size=16, seed=0, show_progress=False,
             log=lambda _: None)
    assert not all(torch.equal(a, b) for a, b in zip(head_before, _state(net.base_head_modules())))


def test_a_frozen_head_gives_the_base_networks_own_features():
    base, net = _tiny_net(block=3)
    ref = copy.deepcopy(base).eval()
    net.freeze_base_head()
    net.train()
    x = torch.randn(4, 1, 16, 16)
    assert torch.equal(net.base.forward_head(x, 3), ref.forward_head(x, 3))
