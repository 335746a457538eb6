"""BottleNet training: ResNet models with partition points, the bottleneck unit, compression-aware and
naive training, Algorithm 1's training phase, and ONNX + manifest export of a model repository."""

__version__ = "0.1.0"
