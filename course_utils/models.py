"""Small models reused across notebooks and by the checkpoint training script.

A model lives here only when more than one place needs it; notebooks build the
architectures they teach themselves (LeNet, VGG, U-Net, ...).
"""
from __future__ import annotations

from collections import OrderedDict
from numbers import Integral

import torch
from torch import Tensor, nn

from ._validate import check_module, check_tensor, describe


def _check_positive(**sizes: int) -> None:
    """Raise a ValueError naming every size argument when one of them is not a positive int."""
    if any(isinstance(v, bool) or not isinstance(v, Integral) or v < 1 for v in sizes.values()):
        got = ", ".join(f"{k}={v!r}" for k, v in sizes.items())
        raise ValueError(f"{', '.join(sizes)} must be positive ints, got {got}")


def conv_bn_relu(c_in: int, c_out: int, kernel_size: int = 3) -> nn.Sequential:
    """``Conv2d`` (same padding, no bias) -> ``BatchNorm2d`` -> ``ReLU``; keeps H and W.

    ``kernel_size`` must be odd: padding ``k // 2`` keeps the size only for odd ``k``.
    """
    _check_positive(c_in=c_in, c_out=c_out, kernel_size=kernel_size)
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd to keep H and W (padding kernel_size // 2), "
                         f"got {kernel_size}")
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel_size, padding=kernel_size // 2, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class DigitsCNN(nn.Module):
    """Three conv blocks and a global-average-pooling head (01_cnn_basics).

    Input ``(N, in_channels, H, W)`` (32x32 digits in the course); output logits
    ``(N, num_classes)``. ``features`` ends with a ``(N, width*4, H/4, W/4)`` map,
    ``head`` is GAP + ``Linear``: freeze ``features`` to use it as a fixed extractor.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, width: int = 16):
        super().__init__()
        _check_positive(num_classes=num_classes, in_channels=in_channels, width=width)
        self.features = nn.Sequential(
            conv_bn_relu(in_channels, width), nn.MaxPool2d(2),
            conv_bn_relu(width, 2 * width), nn.MaxPool2d(2),
            conv_bn_relu(2 * width, 4 * width))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(4 * width, num_classes))

    def forward(self, x):
        _check_batch(x, 1, "DigitsCNN", _in_channels(self.features))
        return self.head(self.features(x))


def layer_table(net: nn.Module, input_size: tuple[int, ...], device=None):
    """Run one input of shape ``input_size`` (batch included, e.g. ``(1, 3, 224, 224)``)
    through ``net`` and return a ``pandas.DataFrame`` with one row per leaf module:
    name, type, output shape (batch dimension dropped) and parameter count.

    Works on the ``meta`` device too (``device="meta"``): shapes without any memory or
    compute, handy for VGG-sized networks. Introduced in 01_cnn_basics.
    """
    import pandas as pd
    import torch

    check_module("net", net)
    if isinstance(input_size, (str, int)) or not all(isinstance(s, Integral) for s in input_size):
        raise TypeError(f"input_size must be a tuple of ints with the batch dimension, e.g. (1, 3, 32, 32); "
                        f"got {describe(input_size)}")
    # A conv layer with k spatial dims needs (N, C, *k) input; an unbatched (C, H, W) would
    # run silently with every reported shape off by one dimension.
    conv = next((m for m in net.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d))), None)
    if (len(input_size) < 2 or any(int(s) < 1 for s in input_size)
            or (conv is not None and len(input_size) != len(conv.kernel_size) + 2)):
        raise ValueError(f"input_size must include the batch dimension, e.g. (1, 3, 32, 32); "
                         f"got {input_size}")
    rows, hooks = [], []

    def record(name):
        def hook(module, _inputs, output):
            shape = tuple(output.shape[1:]) if hasattr(output, "shape") else None
            params = sum(p.numel() for p in module.parameters(recurse=False))
            rows.append({"layer": name, "type": type(module).__name__,
                         "output shape": shape, "parameters": params})
        return hook

    for name, module in net.named_modules():
        if not list(module.children()):
            hooks.append(module.register_forward_hook(record(name)))
    device = device or next((p.device for p in net.parameters()), "cpu")
    try:
        with torch.no_grad():
            net(torch.zeros(input_size, device=device))
    finally:
        for h in hooks:
            h.remove()
    return pd.DataFrame(rows)


# --- models added for later lectures go below this line ---


class TrainingCurves(nn.Module):
    """Measured training curves stored as a verified course checkpoint (no forward pass).

    A trainer that measures curves too long to run in a notebook (03_modern_cnns: the
    degradation of deep plain networks) returns one of these; ``loss`` is a buffer of shape
    ``(num_seeds, num_runs, num_steps)``, saved and hash-checked like any weights. The
    checkpoint's description names the runs in order. Introduced in 03_modern_cnns.
    """

    def __init__(self, num_seeds: int = 1, num_runs: int = 1, num_steps: int = 1):
        super().__init__()
        _check_positive(num_seeds=num_seeds, num_runs=num_runs, num_steps=num_steps)
        self.register_buffer("loss", torch.zeros(num_seeds, num_runs, num_steps))

    def forward(self, *args):
        raise RuntimeError("TrainingCurves stores measured curves in .loss; it has no forward pass")





def standardize_per_image(x: Tensor, eps: float = 1e-5) -> Tensor:
    """Centre each channel of each image on its mean and divide by the image's std.

    ``x``: ``(N, C, H, W)`` -> same shape. Removes the scene's background colour and
    brightness, so the network sees contrast, not absolute colour. Differentiable (the
    saliency maps of 06_cnn_visualization go through it). Introduced in 06_cnn_visualization.
    """
    check_tensor("x", x, kind="float", shape="(N, C, H, W)")
    if x.ndim != 4:
        raise ValueError(f"x: expected a batch (N, C, H, W), got shape {tuple(x.shape)}")
    centred = x - x.mean(dim=(2, 3), keepdim=True)
    return centred / (centred.flatten(1).std(dim=1)[:, None, None, None] + eps)


class ShapesGAPNet(nn.Module):
    """A small CNN with a global-average-pooling head for 64x64 shapes scenes (06_cnn_visualization).

    Input ``(N, 3, H, W)`` in ``[0, 1]``, standardized per image inside the model; output
    logits ``(N, num_classes)`` (multi-label: one sigmoid per class). ``features`` has
    named stages ``block1`` (width, H, W), ``pool1``, ``block2`` (2 width, H/2),
    ``pool2``, ``block3`` (4 width, H/4), ``pool3``, ``block4`` (4 width, H/8): an 8x8
    last map for 64x64 input. ``embed`` gives the pooled ``(N, 4 width)`` features that
    ``fc`` (``nn.Linear``) turns into logits, so CAM applies to ``features``.
    """

    def __init__(self, num_classes: int = 3, in_channels: int = 3, width: int = 16):
        super().__init__()
        _check_positive(num_classes=num_classes, in_channels=in_channels, width=width)
        w = width
        self.features = nn.Sequential(OrderedDict(
            block1=conv_bn_relu(in_channels, w), pool1=nn.MaxPool2d(2),
            block2=conv_bn_relu(w, 2 * w), pool2=nn.MaxPool2d(2),
            block3=conv_bn_relu(2 * w, 4 * w), pool3=nn.MaxPool2d(2),
            block4=conv_bn_relu(4 * w, 4 * w)))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4 * w, num_classes)

    def embed(self, x: Tensor) -> Tensor:
        """Penultimate features ``(N, 4 width)``: the global average of the last map."""
        _check_batch(x, 1, "ShapesGAPNet", _in_channels(self.features))
        return self.pool(self.features(standardize_per_image(x))).flatten(1)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.embed(x))




def double_conv(c_in: int, c_out: int) -> nn.Sequential:
    """Two ``conv_bn_relu`` 3x3 blocks, ``c_in -> c_out -> c_out``; keeps H and W (U-Net's unit)."""
    _check_positive(c_in=c_in, c_out=c_out)
    return nn.Sequential(conv_bn_relu(c_in, c_out), conv_bn_relu(c_out, c_out))


def _in_channels(module: nn.Module) -> int:
    """Input channels of the first convolution in ``module`` (read at call time, so a
    replaced first layer is honoured)."""
    return next(m.in_channels for m in module.modules() if isinstance(m, nn.Conv2d))


def _check_batch(x, multiple: int, model: str, channels: int) -> None:
    """``x``: a float batch ``(N, channels, H, W)`` with H and W divisible by ``multiple``."""
    check_tensor("x", x, kind="float", shape=f"(N, {channels}, H, W)")
    if x.ndim != 4 or x.shape[-1] % multiple or x.shape[-2] % multiple:
        divisible = f" with H and W divisible by {multiple}" if multiple > 1 else ""
        raise ValueError(f"x: {model} expected a batch (N, C, H, W){divisible}, got shape {tuple(x.shape)}")
    if x.shape[1] != channels:
        raise ValueError(f"x: {model} expected {channels} channels (N, {channels}, H, W), "
                         f"got shape {tuple(x.shape)}")


class UNet(nn.Module):
    """A small U-Net with two poolings (04_semantic_segmentation, checkpoint ``shapes_unet``).

    Contracting path ``width -> 2*width -> 4*width`` channels at full, 1/2 and 1/4
    resolution (channels double as the size halves); expanding path with 2x2 transposed
    convolutions that halve the channels, each followed by concatenation with the
    contracting feature map of the same size and a double convolution. Zero padding keeps
    the sizes, so input ``(N, in_channels, H, W)`` with H, W divisible by 4 gives logits
    ``(N, num_classes, H, W)``. ``width=16``: 117,412 parameters.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 4, width: int = 16):
        super().__init__()
        _check_positive(in_channels=in_channels, num_classes=num_classes, width=width)
        w = width
        self.enc1, self.enc2 = double_conv(in_channels, w), double_conv(w, 2 * w)
        self.bottleneck = double_conv(2 * w, 4 * w)
        self.pool = nn.MaxPool2d(2)
        self.up2, self.dec2 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2), double_conv(4 * w, 2 * w)
        self.up1, self.dec1 = nn.ConvTranspose2d(2 * w, w, 2, stride=2), double_conv(2 * w, w)
        self.head = nn.Conv2d(w, num_classes, 1)

    def forward(self, x):
        _check_batch(x, 4, "UNet", _in_channels(self.enc1))
        e1 = self.enc1(x)                                       # (N, w, H, W)
        e2 = self.enc2(self.pool(e1))                           # (N, 2w, H/2, W/2)
        b = self.bottleneck(self.pool(e2))                      # (N, 4w, H/4, W/4)
        d2 = self.dec2(torch.cat([self.up2(b), e2], dim=1))     # (N, 2w, H/2, W/2)
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))    # (N, w, H, W)
        return self.head(d1)                                    # (N, num_classes, H, W)


class CenterNetLite(nn.Module):
    """A small centre-based one-stage detector (05_object_detection, checkpoint ``shapes_centernet``).

    Backbone: full resolution, then three max-pool + ``double_conv`` stages (1/2, 1/4,
    1/8); the 1/8 map is upsampled and added to the 1/4 map (one FPN-style top-down step).
    Three heads on the stride-4 map: class heatmap logits (``num_classes`` channels), box
    size as ``log(w / stride), log(h / stride)`` (2) and the centre's sub-cell offset (2).
    Input ``(N, 3, H, W)`` with H, W divisible by 8; output ``(N, num_classes + 4, H/4, W/4)``
    in that channel order (``course_utils.centernet`` encodes targets and decodes boxes).
    """

    stride = 4

    def __init__(self, num_classes: int = 3, width: int = 16):
        super().__init__()
        _check_positive(num_classes=num_classes, width=width)
        w = width
        self.num_classes = num_classes
        self.stem = double_conv(3, w)
        self.down1 = nn.Sequential(nn.MaxPool2d(2), double_conv(w, 2 * w))
        self.down2 = nn.Sequential(nn.MaxPool2d(2), double_conv(2 * w, 4 * w))
        self.down3 = nn.Sequential(nn.MaxPool2d(2), double_conv(4 * w, 4 * w))
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.merge = conv_bn_relu(4 * w, 4 * w)

        def head(c_out: int) -> nn.Sequential:
            return nn.Sequential(conv_bn_relu(4 * w, 2 * w), nn.Conv2d(2 * w, c_out, 1))

        self.heatmap, self.size, self.offset = head(num_classes), head(2), head(2)
        heat_out = self.heatmap[-1]
        assert isinstance(heat_out, nn.Conv2d) and heat_out.bias is not None
        nn.init.constant_(heat_out.bias, -2.19)   # sigmoid = 0.1 at the start (CenterNet)

    def forward(self, x):
        _check_batch(x, 8, "CenterNetLite", 3)
        c4 = self.down2(self.down1(self.stem(x)))                # (N, 4w, H/4, W/4)
        p4 = self.merge(c4 + self.up(self.down3(c4)))            # top-down: 1/8 -> 1/4
        return torch.cat([self.heatmap(p4), self.size(p4), self.offset(p4)], dim=1)
