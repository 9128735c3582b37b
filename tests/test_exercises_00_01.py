"""The exercise checks of 00_start_here and 01_cnn_basics, repeated here: each must reject
plausible wrong answers and accept correct variants (rule 5 of docs/writing_notebooks.md)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn
from torchvision.transforms.v2 import functional as TF

from course_utils import checkpoints, checks, core, data, train

_PHOTO = np.random.default_rng(0).integers(0, 256, size=(12, 10, 3), dtype=np.uint8)


# ---------------------------------------------------------------- 00: to_chw_float
def run_to_chw_float_check(to_chw_float):
    mine = to_chw_float(_PHOTO)
    checks.check_shape("to_chw_float shape", mine, (3, 12, 10))
    checks.check_close("to_chw_float values", mine, TF.to_dtype(TF.to_image(_PHOTO), torch.float32, scale=True))


CHW_RIGHT = [
    lambda im: torch.from_numpy(im).permute(2, 0, 1).float() / 255.0,
    lambda im: torch.tensor(np.transpose(im, (2, 0, 1)), dtype=torch.float32).div(255),
    lambda im: torch.from_numpy(im.astype(np.float32) / 255.0).movedim(-1, 0),
]
CHW_WRONG = [
    lambda im: torch.from_numpy(im).float() / 255.0,                               # still HWC
    lambda im: torch.from_numpy(im).reshape(3, 12, 10).float() / 255.0,            # reshape is not permute
    lambda im: torch.from_numpy(im).permute(2, 0, 1).float() / 256.0,              # wrong scale
    lambda im: torch.from_numpy(im).permute(2, 0, 1).float(),                      # 0-255
    lambda im: (torch.from_numpy(im).permute(2, 0, 1) // 255).float(),             # floor division
    lambda im: torch.from_numpy(im).permute(2, 1, 0).float() / 255.0,              # CWH
]


@pytest.mark.parametrize("answer", CHW_RIGHT)
def test_to_chw_float_check_accepts(answer):
    run_to_chw_float_check(answer)


@pytest.mark.parametrize("answer", CHW_WRONG)
def test_to_chw_float_check_rejects(answer):
    with pytest.raises(AssertionError):
        run_to_chw_float_check(answer)


# ---------------------------------------------------------------- 01 exercise 1: output size
def run_output_size_check(conv_output_size):
    def measured_size(n, k, p, s):
        return nn.Conv2d(1, 1, k, stride=s, padding=p)(torch.zeros(1, 1, n, n)).shape[-1]

    grid = [(n, k, p, s) for n in (5, 8, 13, 28) for k in (1, 2, 3, 5, 7) for p in (0, 1, 2, 3)
            for s in (1, 2, 3, 4, 5, 6, 7) if n + 2 * p >= k and p <= k // 2]
    checks.check_function("conv_output_size", conv_output_size, measured_size, grid)


@pytest.mark.parametrize("answer", [
    lambda n, k, p=0, s=1: (n + 2 * p - k) // s + 1,
    lambda n, k, p=0, s=1: math.floor((n + 2 * p - k) / s) + 1,
])
def test_output_size_check_accepts(answer):
    run_output_size_check(answer)


@pytest.mark.parametrize("answer", [
    lambda n, k, p=0, s=1: (n + 2 * p - k) / s + 1,              # no floor
    lambda n, k, p=0, s=1: (n + 2 * p - k) // s,                 # forgot + 1
    lambda n, k, p=0, s=1: (n + p - k) // s + 1,                 # padding on one side only
    lambda n, k, p=0, s=1: math.ceil((n + 2 * p - k) / s) + 1,   # ceiling
    lambda n, k, p=0, s=1: (n + 2 * p - k + 1) // s,             # off by one
])
def test_output_size_check_rejects(answer):
    with pytest.raises(AssertionError):
        run_output_size_check(answer)


# ---------------------------------------------------------------- 01 exercise 2: parameters
def run_conv_params_check(conv_params):
    cases = [(c_in, c_out, k, b) for c_in in (1, 3, 64) for c_out in (8, 128) for k in (1, 3, 7)
             for b in (True, False)]
    checks.check_function("conv_params", conv_params,
                          lambda c_in, c_out, k, b: train.count_parameters(nn.Conv2d(c_in, c_out, k, bias=b)),
                          cases)


def test_conv_params_check_accepts():
    run_conv_params_check(lambda c_in, c_out, k, bias=True: c_out * (c_in * k * k + int(bias)))


@pytest.mark.parametrize("answer", [
    lambda c_in, c_out, k, bias=True: c_out * c_in * k * k,                        # bias forgotten
    lambda c_in, c_out, k, bias=True: c_out * c_in * k * k + (c_in if bias else 0),  # bias per input
    lambda c_in, c_out, k, bias=True: c_in * k * k + (c_out if bias else 0),       # one kernel only
    lambda c_in, c_out, k, bias=True: c_out * c_in * k + (c_out if bias else 0),   # k instead of k*k
])
def test_conv_params_check_rejects(answer):
    with pytest.raises(AssertionError):
        run_conv_params_check(answer)


# ---------------------------------------------------------------- 01 exercise 3: receptive field
def measured_receptive_field(layers, size=65):
    net = nn.Sequential(*layers)
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.constant_(m.weight, 0.1)
    x = torch.ones(1, 1, size, size, requires_grad=True)
    out = net(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    cols = x.grad[0, 0].abs().sum(dim=0).nonzero()
    return int(cols.max() - cols.min() + 1)


def run_receptive_field_check(receptive_field):
    def as_modules(spec):
        return [nn.Conv2d(1, 1, k, stride=s, bias=False) if kind == "conv" else nn.AvgPool2d(k, s)
                for kind, k, s in spec]

    specs = [[("conv", 3, 1)], [("conv", 3, 1)] * 3, [("conv", 3, 1), ("pool", 2, 2)],
             [("conv", 5, 1), ("pool", 2, 2), ("conv", 3, 1)], [("conv", 3, 2), ("conv", 3, 2), ("conv", 3, 1)],
             [("conv", 3, 1), ("conv", 3, 1), ("pool", 2, 2), ("conv", 3, 1), ("conv", 3, 1), ("pool", 2, 2)]]
    checks.check_function("receptive_field", lambda spec: receptive_field([(k, s) for _, k, s in spec]),
                          lambda spec: measured_receptive_field(as_modules(spec)), [(spec,) for spec in specs])


def rf_forward(layers):
    r, jump = 1, 1
    for k, s in layers:
        r, jump = r + (k - 1) * jump, jump * s
    return r


def rf_backward(layers):                      # from the output back: r = s * r + (k - s)
    r = 1
    for k, s in reversed(layers):
        r = s * r + (k - s)
    return r


def rf_no_jump(layers):
    return 1 + sum(k - 1 for k, _ in layers)


def rf_jump_first(layers):
    r, jump = 1, 1
    for k, s in layers:
        jump *= s
        r += (k - 1) * jump
    return r


@pytest.mark.parametrize("answer", [rf_forward, rf_backward])
def test_receptive_field_check_accepts(answer):
    run_receptive_field_check(answer)


@pytest.mark.parametrize("answer", [rf_no_jump, rf_jump_first, lambda layers: max(k for k, _ in layers)])
def test_receptive_field_check_rejects(answer):
    with pytest.raises(AssertionError):
        run_receptive_field_check(answer)


# ---------------------------------------------------------------- 01 exercise 4: VGG11
CONFIG = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


def make_vgg11(relu=True, dropout=True, config=CONFIG, pool=nn.MaxPool2d):
    class VGG11(nn.Module):
        def __init__(self, num_classes=1000):
            super().__init__()
            layers, c_in = [], 3
            for v in config:
                if v == "M":
                    layers.append(pool(2))
                else:
                    layers += [nn.Conv2d(c_in, v, 3, padding=1)] + ([nn.ReLU(inplace=True)] if relu else [])
                    c_in = v
            self.features = nn.Sequential(*layers)
            drop = [nn.Dropout()] if dropout else []
            self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(7 * 7 * 512, 4096), nn.ReLU(inplace=True), *drop,
                                            nn.Linear(4096, 4096), nn.ReLU(inplace=True), *drop,
                                            nn.Linear(4096, num_classes))

        def forward(self, x):
            return self.classifier(self.features(x))
    return VGG11


def run_vgg11_check(VGG11):
    with torch.device("meta"):
        mine, reference = VGG11(), torchvision.models.vgg11()
    x = torch.zeros(1, 3, 224, 224, device="meta")
    shapes_after_pool = []
    for layer in mine.features:
        x = layer(x)
        if isinstance(layer, nn.MaxPool2d):
            shapes_after_pool.append(tuple(x.shape[1:]))
    checks.check_equal("VGG11 stage shapes", shapes_after_pool,
                       [(64, 112, 112), (128, 56, 56), (256, 28, 28), (512, 14, 14), (512, 7, 7)])
    checks.check_shape("VGG11 logits", mine(torch.zeros(2, 3, 224, 224, device="meta")), (2, 1000))
    checks.check_equal("VGG11 parameter count", train.count_parameters(mine), train.count_parameters(reference))
    kinds = lambda seq: [type(m).__name__ for m in seq if not isinstance(m, nn.Flatten)]  # noqa: E731
    checks.check_equal("VGG11 classifier layers", kinds(mine.classifier), kinds(reference.classifier))
    mine.features.to_empty(device="cpu")
    reference.features.to_empty(device="cpu")
    torch.manual_seed(0)
    with torch.no_grad():
        for p_ref, p_mine in zip(reference.features.parameters(), mine.features.parameters()):
            nn.init.kaiming_normal_(p_ref) if p_ref.ndim > 1 else nn.init.normal_(p_ref, std=0.1)
            p_mine.copy_(p_ref)
        x = torch.rand(1, 3, 64, 64)
        checks.check_close("VGG11 features", mine.features(x), reference.features(x), atol=1e-4)


def test_vgg11_check_accepts():
    run_vgg11_check(make_vgg11())


@pytest.mark.parametrize("answer", [
    make_vgg11(relu=False),                                             # no ReLU: shapes and counts unchanged
    make_vgg11(dropout=False),                                          # no dropout
    make_vgg11(pool=nn.AvgPool2d),                                      # wrong pooling
    make_vgg11(config=[64, "M", 128, "M", 256, "M", 256, 512, "M", 512, 512, "M", 512]),  # wrong order
])
def test_vgg11_check_rejects(answer):
    with pytest.raises((AssertionError, RuntimeError)):
        run_vgg11_check(answer)


# ---------------------------------------------------------------- 01 exercise 5: frozen body
@pytest.fixture(scope="module")
def labelled_loader():
    train59, _ = data.digits_datasets(classes=range(5, 10))
    pool59, _ = data.train_val_split(train59, val_size=0.3, seed=0)
    labelled = data.few_labels(pool59, per_class=5, seed=0)
    return data.make_loaders(labelled, labelled, batch_size=10, seed=0)[0]


def _loop(net, loader, optimizer):
    total, n = 0.0, 0
    for X, y in loader:
        loss = F.cross_entropy(net(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total, n = total + loss.item() * len(y), n + len(y)
    return total / n


def run_frozen_check(train_epoch_frozen, loader):
    saved = checkpoints.load_state_dict("digits04_cnn")
    body = [k for k in saved if k.startswith("features.")]
    core.seed_everything(0)
    net = checkpoints.load_model("digits04_cnn")
    net.head[-1] = nn.Linear(net.head[-1].in_features, 5)
    head_before = net.head[-1].weight.detach().clone()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    loss = train_epoch_frozen(net, loader, optimizer, torch.device("cpu"), frozen=net.features)
    state = net.state_dict()
    checks.check_close("frozen body", torch.cat([state[k].double().flatten() for k in body]),
                       torch.cat([saved[k].double().flatten() for k in body]))
    checks.check_true("rest in train mode", net.head.training, "head not in train mode")
    checks.check_true("head trained", not torch.equal(state["head.2.weight"], head_before), "head unchanged")
    checks.check_true("loss returned", isinstance(loss, float) and math.isfinite(loss), f"got {loss!r}")


def frozen_right(net, loader, optimizer, device, frozen):
    frozen.requires_grad_(False)
    net.train()
    frozen.eval()
    return _loop(net, loader, optimizer)


def frozen_bn_layers_only(net, loader, optimizer, device, frozen):    # eval() on the BN layers alone
    for p in frozen.parameters():
        p.requires_grad = False
    net.train()
    for m in frozen.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
    return _loop(net, loader, optimizer)


def frozen_grad_only(net, loader, optimizer, device, frozen):         # the classic mistake
    frozen.requires_grad_(False)
    net.train()
    return _loop(net, loader, optimizer)


def frozen_eval_only(net, loader, optimizer, device, frozen):         # statistics kept, weights trained
    net.train()
    frozen.eval()
    return _loop(net, loader, optimizer)


def frozen_all_eval(net, loader, optimizer, device, frozen):          # the whole network in eval()
    frozen.requires_grad_(False)
    net.eval()
    return _loop(net, loader, optimizer)


def frozen_eval_then_train(net, loader, optimizer, device, frozen):   # eval() undone by train()
    frozen.requires_grad_(False)
    frozen.eval()
    net.train()
    return _loop(net, loader, optimizer)


def frozen_no_return(net, loader, optimizer, device, frozen):
    frozen_right(net, loader, optimizer, device, frozen)


@pytest.mark.parametrize("answer", [frozen_right, frozen_bn_layers_only])
def test_frozen_check_accepts(answer, labelled_loader):
    run_frozen_check(answer, labelled_loader)


@pytest.mark.parametrize("answer", [frozen_grad_only, frozen_eval_only, frozen_all_eval, frozen_eval_then_train,
                                    frozen_no_return])
def test_frozen_check_rejects(answer, labelled_loader):
    with pytest.raises(AssertionError):
        run_frozen_check(answer, labelled_loader)
