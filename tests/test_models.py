"""Tests of course_utils.models: DigitsCNN, conv_bn_relu and layer_table."""
from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from course_utils import models, train


@pytest.mark.parametrize("size", [8, 28, 32, 33, 64])
@pytest.mark.parametrize("num_classes, in_channels", [(10, 1), (5, 3)])
def test_digits_cnn_output_shape(size, num_classes, in_channels):
    net = models.DigitsCNN(num_classes=num_classes, in_channels=in_channels, width=4).eval()
    out = net(torch.randn(2, in_channels, size, size))
    assert out.shape == (2, num_classes)


def test_digits_cnn_feature_map_shape():
    net = models.DigitsCNN(width=8)
    assert net.features(torch.randn(3, 1, 32, 32)).shape == (3, 32, 8, 8)


def test_digits_cnn_rejects_unbatched_input():
    with pytest.raises(ValueError, match=r"expected a batch \(N, C, H, W\)"):
        models.DigitsCNN()(torch.randn(1, 32, 32))


@pytest.mark.parametrize("kwargs", [{"num_classes": 0}, {"in_channels": 0}, {"width": -1}])
def test_digits_cnn_invalid_args(kwargs):
    with pytest.raises(ValueError, match="must be positive"):
        models.DigitsCNN(**kwargs)


@pytest.mark.parametrize("kernel_size", [1, 3, 5])
def test_conv_bn_relu_keeps_size(kernel_size):
    block = models.conv_bn_relu(3, 6, kernel_size)
    out = block(torch.randn(2, 3, 9, 11))
    assert out.shape == (2, 6, 9, 11)
    assert out.min() >= 0
    conv, bn, relu = block
    assert conv.bias is None and isinstance(bn, nn.BatchNorm2d) and isinstance(relu, nn.ReLU)


def test_conv_bn_relu_matches_functional():
    block = models.conv_bn_relu(2, 4).eval()
    x = torch.randn(1, 2, 5, 5)
    conv, bn, _ = block
    expected = torch.relu(bn(nn.functional.conv2d(x, conv.weight, padding=1)))
    torch.testing.assert_close(block(x), expected)


def test_layer_table_digits_cnn():
    net = models.DigitsCNN(num_classes=5)
    table = models.layer_table(net, (1, 1, 32, 32))
    leaves = [name for name, m in net.named_modules() if not list(m.children())]
    assert table["layer"].tolist() == leaves
    assert list(table.columns) == ["layer", "type", "output shape", "parameters"]
    assert table["parameters"].sum() == train.count_parameters(net)
    assert table["output shape"].iloc[0] == (16, 32, 32)
    assert table["output shape"].iloc[-1] == (5,)
    assert table["type"].iloc[-1] == "Linear"
    assert all(not m._forward_hooks for m in net.modules())      # hooks removed


def test_layer_table_vgg11_on_meta():
    with torch.device("meta"):
        net = torchvision.models.vgg11()
    table = models.layer_table(net, (1, 3, 224, 224), device="meta")
    assert table["parameters"].sum() == sum(p.numel() for p in net.parameters()) == 132_863_336
    assert table["output shape"].iloc[0] == (64, 224, 224)
    assert (512, 7, 7) in table["output shape"].tolist()
    assert table["output shape"].iloc[-1] == (1000,)
    assert (table["type"] == "Conv2d").sum() == 8


@pytest.mark.parametrize("input_size", [(32,), (1, 32, 32), (0, 1, 32, 32), (1, 1, -1, 32)])
def test_layer_table_bad_input_size(input_size):
    with pytest.raises(ValueError, match="batch dimension"):
        models.layer_table(models.DigitsCNN(), input_size)


def test_layer_table_unbatched_conv_input_is_an_error():
    """A plain conv net would accept (C, H, W) and report shapes without channels."""
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU())
    with pytest.raises(ValueError, match="batch dimension"):
        models.layer_table(net, (3, 32, 32))
    assert models.layer_table(net, (1, 3, 32, 32))["output shape"].tolist() == [(8, 30, 30)] * 2


def test_layer_table_mlp_without_conv():
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    table = models.layer_table(net, (1, 4))
    assert table["output shape"].tolist() == [(3,), (3,), (2,)]
    assert table["parameters"].tolist() == [15, 0, 8]


# --- ShapesGAPNet (06_cnn_visualization) --------------------------------------------------

def test_shapes_gapnet_shapes_and_layers():
    net = models.ShapesGAPNet(num_classes=3, width=4).eval()
    x = torch.rand(2, 3, 64, 64)
    assert net(x).shape == (2, 3)
    assert net.features(x).shape == (2, 16, 8, 8)            # 8x8 last map for 64x64 input
    assert net.features.block3(torch.rand(1, 8, 16, 16)).shape == (1, 16, 16, 16)
    assert net.embed(x).shape == (2, 16)
    torch.testing.assert_close(net.fc(net.embed(x)), net(x))


def test_shapes_gapnet_head_is_gap_plus_linear():
    """logits = W mean_hw(features(standardized x)) + b: what CAM relies on."""
    net = models.ShapesGAPNet(width=4).eval()
    x = torch.rand(3, 3, 32, 32)
    feats = net.features(models.standardize_per_image(x))
    torch.testing.assert_close(net(x), feats.mean(dim=(2, 3)) @ net.fc.weight.T + net.fc.bias)


def test_standardize_per_image():
    x = torch.rand(4, 3, 10, 12) * 0.3 + torch.rand(4, 3, 1, 1)
    z = models.standardize_per_image(x)
    torch.testing.assert_close(z.mean(dim=(2, 3)), torch.zeros(4, 3), atol=1e-5, rtol=0)
    centred = x - x.mean(dim=(2, 3), keepdim=True)
    for i in range(4):                                       # a plain per-image loop
        torch.testing.assert_close(z[i], centred[i] / (centred[i].std() + 1e-5))
    # invariant to the background colour: adding a constant per channel changes nothing
    torch.testing.assert_close(models.standardize_per_image(x + torch.rand(4, 3, 1, 1)), z,
                               atol=1e-5, rtol=1e-4)


def test_shapes_gapnet_bad_input():
    with pytest.raises(ValueError, match="must be positive"):
        models.ShapesGAPNet(width=0)
    with pytest.raises(ValueError, match=r"expected a batch \(N, C, H, W\)"):
        models.ShapesGAPNet()(torch.rand(3, 64, 64))


# --- bad inputs (collected by tests/test_bad_inputs.py) ---------------------------------

BAD_INPUTS = [
    (models.conv_bn_relu, (3, 8, 2), {}, ValueError, "kernel_size"),
    (models.conv_bn_relu, (3, 8.0), {}, ValueError, "c_out"),
    (models.DigitsCNN, (), {"width": 16.5}, ValueError, "width"),
    (models.DigitsCNN().forward, (torch.rand(2, 3, 32, 32),), {}, ValueError, "x"),
    (models.DigitsCNN().forward, ((torch.rand(2, 1, 32, 32) * 255).to(torch.uint8),), {}, TypeError, "x"),
    (models.DigitsCNN().forward, ([[0.0]],), {}, TypeError, "x"),
    (models.layer_table, (models.DigitsCNN, (1, 1, 32, 32)), {}, TypeError, "net"),
    (models.layer_table, (models.DigitsCNN(), "1, 1, 32, 32"), {}, TypeError, "input_size"),
    (models.layer_table, (models.DigitsCNN(), (1, 32, 32)), {}, ValueError, "input_size"),
    (models.standardize_per_image, (torch.rand(3, 8, 8),), {}, ValueError, "x"),
    (models.standardize_per_image, (torch.zeros(1, 3, 8, 8, dtype=torch.uint8),), {}, TypeError, "x"),
    (models.ShapesGAPNet, (), {"num_classes": 0}, ValueError, "num_classes"),
    (models.ShapesGAPNet().embed, (torch.rand(2, 1, 64, 64),), {}, ValueError, "x"),
    (models.double_conv, (3, -1), {}, ValueError, "c_out"),
    (models.UNet, (), {"in_channels": "3"}, ValueError, "in_channels"),
    (models.UNet().forward, (torch.rand(1, 3, 30, 30),), {}, ValueError, "x"),
    (models.UNet().forward, (torch.rand(1, 1, 32, 32),), {}, ValueError, "x"),
    (models.CenterNetLite, (), {"width": 0}, ValueError, "width"),
    (models.CenterNetLite().forward, (torch.rand(3, 64, 64),), {}, ValueError, "x"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs(fn, args, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        fn(*args, **kwargs)


def test_conv_bn_relu_refuses_even_kernel_that_would_change_size():
    with pytest.raises(ValueError, match="odd"):
        models.conv_bn_relu(3, 6, 4)
