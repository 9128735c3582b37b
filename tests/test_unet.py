"""models.UNet: shapes, parameter count, skip concatenation, errors."""
from __future__ import annotations

import pytest
import torch

from course_utils import models, train


@pytest.mark.parametrize("size", [32, 64, 68])
def test_unet_keeps_size(size):
    net = models.UNet(num_classes=5, width=4).eval()
    assert net(torch.rand(2, 3, size, size)).shape == (2, 5, size, size)


def test_unet_parameter_count_as_documented():
    assert train.count_parameters(models.UNet()) == 117_412


def test_unet_skips_carry_fine_detail():
    # Zeroing the transposed-conv upsamplings leaves a net that still sees the input through the skips.
    net = models.UNet(width=4).eval()
    with torch.no_grad():
        for up in (net.up1, net.up2):
            up.weight.zero_()
            up.bias.zero_()
        a, b = torch.zeros(1, 3, 16, 16), torch.zeros(1, 3, 16, 16)
        b[..., 8, 8] = 1.0
        assert not torch.allclose(net(a), net(b))


@pytest.mark.parametrize("shape", [(1, 3, 63, 64), (3, 64, 64)])
def test_unet_rejects_bad_input(shape):
    with pytest.raises(ValueError, match="divisible by 4"):
        models.UNet()(torch.zeros(shape))


def test_unet_rejects_bad_args():
    with pytest.raises(ValueError, match="must be positive"):
        models.UNet(width=0)
