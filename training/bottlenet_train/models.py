"""ResNet family with paper-numbered residual blocks and the BottleNet bottleneck unit.

Blocks are numbered 1..B in forward order across all stages (ResNet-50: 3-4-6-3 = 16 blocks, RB1..RB16).
Partition point j means "after block j": the head is stem + blocks 1..j, the tail is blocks j+1..B + pool + fc.
Reads like torchvision's resnet.py: small modules, explicit arguments, one builder per variant.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple, Type, Union

import torch
from torch import nn


def conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


def conv1x1(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin: int, width: int, stride: int = 1) -> None:
        super().__init__()
        cout = width * self.expansion
        self.conv1 = conv3x3(cin, width, stride)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, cout)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample: Optional[nn.Module] = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(conv1x1(cin, cout, stride), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """torchvision's ResNet v1.5 bottleneck block (stride on the 3x3 conv)."""

    expansion = 4

    def __init__(self, cin: int, width: int, stride: int = 1) -> None:
        super().__init__()
        cout = width * self.expansion
        self.conv1 = conv1x1(cin, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, cout)
        self.bn3 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample: Optional[nn.Module] = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(conv1x1(cin, cout, stride), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


BlockType = Union[Type[BasicBlock], Type[Bottleneck]]


def classifier(features: int, hidden: Sequence[int], num_classes: int) -> nn.Module:
    """One linear layer (ResNet's), or VGG's fully-connected classifier: hidden layers with ReLU and
    dropout 0.5, then the class layer. A VGG-style classifier makes the cloud tail heavy in weights rather
    than in multiply-adds, the case where batching pays even on a CPU (one pass over the weights serves the
    whole batch)."""
    if not hidden:
        return nn.Linear(features, num_classes)
    layers: List[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(features, width), nn.ReLU(inplace=True), nn.Dropout(0.5)]
        features = width
    layers.append(nn.Linear(features, num_classes))
    return nn.Sequential(*layers)


class ResNet(nn.Module):
    """A ResNet whose residual blocks form one flat, numbered ``nn.ModuleList``.

    stem="imagenet": 7x7/2 conv + 3x3/2 max pool (torchvision); stem="small": 3x3/1 conv (28x28 inputs).
    """

    def __init__(
        self,
        block: BlockType,
        layers: Sequence[int],
        num_classes: int,
        in_channels: int = 3,
        base_width: int = 64,
        stem: str = "imagenet",
        zero_init_residual: bool = False,
        stage_widths: Optional[Sequence[int]] = None,
        classifier_hidden: Sequence[int] = (),
        classifier_pool: int = 1,
    ) -> None:
        super().__init__()
        if any(h < 1 for h in classifier_hidden) or classifier_pool < 1:
            raise ValueError(f"classifier hidden widths {list(classifier_hidden)} and pool {classifier_pool} "
                             "must be positive")
        if stage_widths is not None and len(stage_widths) != len(layers):
            raise ValueError(f"stage_widths has {len(stage_widths)} entries for {len(layers)} stages")
        if stage_widths is not None and any(w < 1 for w in stage_widths):
            raise ValueError(f"stage_widths must be positive, got {list(stage_widths)}")
        if stem == "imagenet":
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, base_width, 7, stride=2, padding=3, bias=False),
                nn.BatchNorm2d(base_width),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(3, stride=2, padding=1),
            )
        elif stem == "small":
            self.stem = nn.Sequential(
                conv3x3(in_channels, base_width), nn.BatchNorm2d(base_width), nn.ReLU(inplace=True)
            )
        else:
            raise ValueError(f"unknown stem {stem!r} (expected 'imagenet' or 'small')")
        blocks: List[nn.Module] = []
        cin = base_width
        for stage, count in enumerate(layers):
            # Default: doubling per stage (torchvision). Explicit widths let the cloud-side stages grow
            # without making the early blocks (the device's heads) any more expensive.
            width = stage_widths[stage] if stage_widths is not None else base_width * (2**stage)
            for i in range(count):
                stride = 2 if (stage > 0 and i == 0) else 1
                blocks.append(block(cin, width, stride))
                cin = width * block.expansion
        self.blocks = nn.ModuleList(blocks)
        self.avgpool = nn.AdaptiveAvgPool2d(classifier_pool)
        self.fc = classifier(cin * classifier_pool * classifier_pool, classifier_hidden, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if zero_init_residual:  # each block starts as the identity (torchvision's option; deep nets train faster)
            for m in self.blocks:
                last = m.bn3 if isinstance(m, Bottleneck) else m.bn2
                nn.init.zeros_(last.weight)

    @property
    def num_blocks(self) -> int:
        return len(self.blocks)

    def forward_head(self, x: torch.Tensor, j: int) -> torch.Tensor:
        x = self.stem(x)
        for b in self.blocks[:j]:
            x = b(x)
        return x

    def forward_tail(self, x: torch.Tensor, j: int) -> torch.Tensor:
        for b in self.blocks[j:]:
            x = b(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_tail(self.forward_head(x, 0), 0)

    def feature_shape(self, input_shape: Tuple[int, int, int], j: int) -> Tuple[int, int, int]:
        """(C, H, W) of the output of block j (j >= 1) for one input of ``input_shape``."""
        with torch.no_grad():
            was = self.training
            self.eval()
            y = self.forward_head(torch.zeros(1, *input_shape), j)
            self.train(was)
        return tuple(y.shape[1:])  # type: ignore[return-value]


def resnet50(num_classes: int = 1000, in_channels: int = 3, base_width: int = 64, **options: Any) -> ResNet:
    """ResNet-50 (16 bottleneck blocks, 3-4-6-3); base_width=64 is torchvision's full width.
    ``options``: ResNet's zero_init_residual, stage_widths, classifier_hidden, classifier_pool."""
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes, in_channels, base_width, stem="imagenet", **options)


def resnet_small(num_classes: int = 10, in_channels: int = 1, base_width: int = 16, **options: Any) -> ResNet:
    """Four basic blocks (1-1-1-1) for native 28x28 inputs: RB1 28x28, RB2 14x14, RB3 7x7, RB4 4x4."""
    return ResNet(BasicBlock, [1, 1, 1, 1], num_classes, in_channels, base_width, stem="small", **options)


ARCHS = {"resnet50": resnet50, "resnet-small": resnet_small}


def build_arch(arch: str, num_classes: int, in_channels: int, base_width: int, **options: Any) -> ResNet:
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r} (expected one of {sorted(ARCHS)})")
    return ARCHS[arch](num_classes=num_classes, in_channels=in_channels, base_width=base_width, **options)


#: Tensors with fewer values are not worth storing as float16 (a Cast node each); shared with the export.
HALF_MIN_ELEMENTS = 1 << 16


def round_large_linear_weights_to_half(module: nn.Module, min_elements: int = HALF_MIN_ELEMENTS) -> int:
    """Rounds the weights of every linear layer with at least ``min_elements`` weights to values that
    float16 represents exactly, in place; returns how many layers it rounded. The export then stores those
    tensors as float16 at half the bytes without changing a single value, and the accuracy measured after
    this call is the shipped network's."""
    rounded = 0
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.Linear) and m.weight.numel() >= min_elements:
                m.weight.copy_(m.weight.half().float())
                rounded += 1
    return rounded


class Reduction(nn.Module):
    """Device side of the bottleneck unit: strided conv for s (when s > 1), then 1x1 conv to c'."""

    def __init__(self, channels: int, reduced: int, spatial: int) -> None:
        super().__init__()
        layers: List[nn.Module] = []
        if spatial > 1:
            layers += [
                nn.Conv2d(channels, channels, 3, stride=spatial, padding=1, bias=False),
                nn.BatchNorm2d(channels),
                nn.ReLU(inplace=True),
            ]
        layers += [conv1x1(channels, reduced), nn.BatchNorm2d(reduced), nn.ReLU(inplace=True)]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class Restoration(nn.Module):
    """Cloud side: 1x1 conv back to c, then transposed conv for s, restoring exactly (h, w)."""

    def __init__(self, channels: int, reduced: int, spatial: int, out_hw: Tuple[int, int]) -> None:
        super().__init__()
        layers: List[nn.Module] = [conv1x1(reduced, channels), nn.BatchNorm2d(channels), nn.ReLU(inplace=True)]
        if spatial > 1:
            h, w = out_hw
            hin, win = (h - 1) // spatial + 1, (w - 1) // spatial + 1
            # out = (in - 1) * s - 2 + 3 + output_padding
            oph, opw = h - ((hin - 1) * spatial + 1), w - ((win - 1) * spatial + 1)
            layers += [
                nn.ConvTranspose2d(
                    channels, channels, 3, stride=spatial, padding=1, output_padding=(oph, opw), bias=False
                ),
                nn.BatchNorm2d(channels),
                nn.ReLU(inplace=True),
            ]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class BottleNet(nn.Module):
    """A ResNet split after block j with a bottleneck unit (reduction -> codec -> restoration)."""

    def __init__(
        self, base: ResNet, block: int, reduced: int, spatial: int, input_shape: Tuple[int, int, int]
    ) -> None:
        super().__init__()
        if not 1 <= block <= base.num_blocks:
            raise ValueError(f"partition block {block} outside 1..{base.num_blocks}")
        if reduced < 1 or spatial < 1:
            raise ValueError(f"channels ({reduced}) and spatial factor ({spatial}) must be >= 1")
        c, h, w = base.feature_shape(input_shape, block)
        self.base = base
        self.block = block
        self.reduced = reduced
        self.spatial = spatial
        self.reduction = Reduction(c, reduced, spatial)
        self.restoration = Restoration(c, reduced, spatial, (h, w))
        self.codec: Optional[nn.Module] = None  # set by training/eval: CodecLayer or None (identity)
        self.head_frozen = False

    def base_head_modules(self) -> List[nn.Module]:
        """The base network's layers before the cut (stem and blocks 1..j), without the reduction unit."""
        return [self.base.stem, *self.base.blocks[: self.block]]

    def freeze_base_head(self) -> None:
        """Keep the base network's layers before the cut as trained: no gradient, BatchNorm statistics
        fixed. Fine-tuning then updates only the bottleneck unit and the tail, and backpropagation stops at
        the reduction unit, which for a deep cut saves most of the backward pass. The head's features stay
        the ones the tail was trained on, so short fine-tuning has less to relearn."""
        for m in self.base_head_modules():
            for p in m.parameters():
                p.requires_grad_(False)
        self.head_frozen = True
        self.train(self.training)

    def train(self, mode: bool = True) -> "BottleNet":
        super().train(mode)
        if getattr(self, "head_frozen", False):  # nn.Module may call train() before __init__ sets it
            for m in self.base_head_modules():
                m.eval()
        return self

    def head(self, x: torch.Tensor) -> torch.Tensor:
        return self.reduction(self.base.forward_head(x, self.block))

    def tail(self, f: torch.Tensor) -> torch.Tensor:
        return self.base.forward_tail(self.restoration(f), self.block)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.head(x)
        if self.codec is not None:
            f = self.codec(f)
        return self.tail(f)


class HeadModule(nn.Module):
    def __init__(self, net: BottleNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.head(x)


class TailModule(nn.Module):
    def __init__(self, net: BottleNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return self.net.tail(f)
