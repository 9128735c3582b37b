"""Small models reused across notebooks and by the checkpoint training script.

A model lives here only when more than one place needs it; notebooks build the
architectures they teach themselves (LeNet, VGG, U-Net, ...).
"""
from __future__ import annotations

from torch import nn


def conv_bn_relu(c_in: int, c_out: int, kernel_size: int = 3) -> nn.Sequential:
    """``Conv2d`` (same padding, no bias) -> ``BatchNorm2d`` -> ``ReLU``; keeps H and W."""
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
        if num_classes < 1 or in_channels < 1 or width < 1:
            raise ValueError(f"num_classes, in_channels and width must be positive, got "
                             f"{num_classes}, {in_channels}, {width}")
        self.features = nn.Sequential(
            conv_bn_relu(in_channels, width), nn.MaxPool2d(2),
            conv_bn_relu(width, 2 * width), nn.MaxPool2d(2),
            conv_bn_relu(2 * width, 4 * width))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(4 * width, num_classes))

    def forward(self, x):
        if x.ndim != 4:
            raise ValueError(f"expected a batch (N, C, H, W), got shape {tuple(x.shape)}")
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
