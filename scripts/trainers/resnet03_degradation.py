"""resnet03_degradation: measured training-loss curves of deep plain vs residual BN networks.

03_modern_cnns shows the degradation problem of He et al. (2015): with BatchNorm, a deeper
*plain* network trains worse than a shallower one (higher training loss), while the same
depths with skip connections do not. These runs are too long for the notebook's CPU budget,
so this trainer measures them and stores the curves as a ``TrainingCurves`` checkpoint.

Runs (in this order): plain 8, plain 32, residual 8, residual 32 convolution layers (plus
stem), width 16, on the digits at their original 8 x 8 resolution (train split), SGD with
momentum 0.9, lr 0.05, batch 64, 300 steps, seeds 0, 1, 2. ``loss[s, r, t]`` is the
mini-batch training loss of run r with seed s at step t. The network is the ``Deep`` class
of 03_modern_cnns with ``norm=True`` (copied here so that the trainer runs on its own).
"""
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import core, data, models

NAME = "resnet03_degradation"
RUNS = (("plain", 8), ("plain", 32), ("residual", 8), ("residual", 32))
SEEDS, STEPS = (0, 1, 2), 300


class Deep(nn.Module):
    """Stem + ``depth`` 3x3 convolutions in pairs, optional BN and skip per pair, GAP + linear."""

    def __init__(self, depth=40, width=16, residual=False, norm=False, init="default"):
        super().__init__()
        self.stem = nn.Conv2d(1, width, 3, padding=1)
        self.convs = nn.ModuleList(nn.Conv2d(width, width, 3, padding=1) for _ in range(depth))
        self.norms = nn.ModuleList((nn.BatchNorm2d(width) if norm else nn.Identity()) for _ in range(depth))
        self.residual = residual
        self.head = nn.Linear(width, 10)
        if init == "he":
            for conv in [self.stem, *self.convs]:
                nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
                nn.init.zeros_(conv.bias)

    def forward(self, x):
        x = F.relu(self.stem(x))
        for i in range(0, len(self.convs), 2):
            out = self.norms[i + 1](self.convs[i + 1](F.relu(self.norms[i](self.convs[i](x)))))
            x = F.relu(x + out) if self.residual else F.relu(out)
        return self.head(x.mean(dim=(2, 3)))


def train_model() -> torch.nn.Module:
    X, y = data.digits_datasets(size=8)[0].tensors
    curves = models.TrainingCurves(len(SEEDS), len(RUNS), STEPS)
    for s, seed in enumerate(SEEDS):
        for r, (kind, depth) in enumerate(RUNS):
            core.seed_everything(seed)
            net = Deep(depth=depth, width=16, residual=kind == "residual", norm=True)
            gen = torch.Generator().manual_seed(seed)
            optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
            net.train()
            for t in range(STEPS):
                idx = torch.randint(len(y), (64,), generator=gen)
                loss = F.cross_entropy(net(X[idx]), y[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                curves.loss[s, r, t] = loss.item()
            print(f"seed {seed} {kind:>8} {depth:2d}: mean loss of the last 50 steps "
                  f"{curves.loss[s, r, -50:].mean():.3f}")
    return curves
